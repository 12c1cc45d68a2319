"""The scheduling triage: does a request need a session with implementation,
or does support handle it now, or does another team take it?

`decide` is the rule, a pure function of the customer's facts, the topic and
the teams' guidance; `triage` loads those and calls it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from models import Customer, reading
from services.core.errors import NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.customers.lookup import ACCOUNT_STATUSES
from services.scheduling.topics import TeamInfo, TopicInfo, get_topic, list_teams

SUPPORT, GR_BLOCKED, GR_NO_PLAN, GR_ONBOARDING, FRANCHISE, IMPLEMENTATION, WEBINAR_FIRST = (
    "support", "gr_blocked", "gr_no_plan", "gr_onboarding", "franchise", "implementation", "webinar_first")
ROUTES = {
    SUPPORT: N_("Support handles it now"),
    GR_BLOCKED: N_("GR team: collect data (blocked account)"),
    GR_NO_PLAN: N_("GR team: no active plan"),
    GR_ONBOARDING: N_("GR team: books with implementation (onboarding)"),
    FRANCHISE: N_("Franchise team"),
    IMPLEMENTATION: N_("Book with implementation"),
    WEBINAR_FIRST: N_("Offer the webinar first, then book if still needed"),
}
BOOKABLE = frozenset({IMPLEMENTATION, WEBINAR_FIRST})


@dataclass(frozen=True)
class CustomerFacts:
    """What the triage looks at on a customer."""

    id: int
    name: str
    kind: str
    account_status: str
    onboarding: bool
    franchise_group: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Decision:
    route: str
    title: str
    reason: str
    next_steps: tuple[str, ...]
    guidance: str
    webinar_link: str
    can_book: bool
    customer_id: int
    customer_name: str
    topic_key: str
    topic_label: str

    def as_dict(self) -> dict:
        data = asdict(self)
        data["next_steps"] = list(self.next_steps)
        return data


def _booking_steps(topic: TopicInfo) -> list[str]:
    steps = [_("Ask in detail what the session must cover: the more is described, the better the session.")]
    if topic.involves_equipment:
        steps.append(_("Collect the equipment's manufacturer and model and check it is homologated."))
    for p in topic.preconditions:
        steps.append(_("Before booking: {precondition}").format(precondition=p))
    if topic.needs_attachment:
        steps.append(_("Before booking: attach the answer to the customer's ticket; the session is booked on it."))
    steps.append(_("Collect the name and phone of the person who will attend."))
    steps.append(_("Tell the customer the session lasts 1h30, with 15 minutes of tolerance for lateness."))
    steps.append(_("Book a free slot with the analyst of the month."))
    return steps


def decide(customer: CustomerFacts, topic: TopicInfo, teams: dict[str, TeamInfo]) -> Decision:
    """The route for `customer` asking for `topic` (the seed's rules, in its order):
    a support topic is handled now, whoever asks; then the account: blocked goes
    to GR to collect data, any other status but active (suspended, inactive,
    cancelled: no active plan, "possui plano ativo") to GR too, without booking;
    then onboarding, franchise, and only then a training's webinar or the booking."""

    def made(route: str, reason: str, steps: list[str], guidance: str = "", link: str = "") -> Decision:
        return Decision(route, _(ROUTES[route]), reason, tuple(steps), guidance, link, route in BOOKABLE,
                        customer.id, customer.name, topic.key, topic.label)

    gr = teams.get("gr")
    franchise = teams.get("franchise")
    if not topic.needs_booking:
        return made(SUPPORT, _("'{topic}' is handled by support during the first contact; no booking is needed.")
                    .format(topic=topic.label),
                    [_("Handle it now, following the guidance."), _("Record what was done on the ticket.")],
                    topic.guidance)
    if customer.account_status == "blocked":
        return made(GR_BLOCKED, _("{customer}'s account is blocked.").format(customer=customer.name),
                    [_("Call the GR team to collect the data and check the details of the case."),
                     _("Do not book with implementation while the account is blocked.")],
                    gr.guidance if gr else "")
    if customer.account_status != "active":
        status = _(ACCOUNT_STATUSES.get(customer.account_status, customer.account_status))
        return made(GR_NO_PLAN, _("{customer} has no active plan (account {status}).").format(
                        customer=customer.name, status=status),
                    [_("Tell the customer a session with implementation needs an active plan."),
                     _("Call the GR team to check the customer's plan and account."),
                     _("Do not book with implementation until the plan is active again.")],
                    gr.guidance if gr else "")
    if customer.onboarding:
        return made(GR_ONBOARDING, _("{customer} is still in onboarding.").format(customer=customer.name),
                    [_("Tell the customer a team takes care of this kind of booking during onboarding."),
                     _("Forward the contact to the GR team, who book the session with implementation.")],
                    gr.guidance if gr else "")
    if customer.franchise_group:
        group = customer.franchise_group
        return made(FRANCHISE, _("{customer} is a branch of the franchise '{group}', served by the franchise team.")
                    .format(customer=customer.name, group=group),
                    [_("Confirm with the customer that they are a branch of '{group}'.").format(group=group),
                     _("Forward the contact to the franchise team, who will book the session."),
                     _("Follow the franchise team's guidance.")],
                    franchise.guidance if franchise else "")
    if topic.is_training:
        return made(WEBINAR_FIRST,
                    _("'{topic}' is a full training: the webinar may be all the customer needs.")
                    .format(topic=topic.label),
                    [_("Ask whether the customer has seen the webinar and send the link: {link}")
                     .format(link=topic.webinar_link or "-"),
                     _("Book only if the customer still needs the session after the webinar.")]
                    + _booking_steps(topic),
                    topic.guidance, topic.webinar_link)
    return made(IMPLEMENTATION,
                _("'{topic}' needs a session with the implementation analyst of the month.").format(topic=topic.label),
                _booking_steps(topic), topic.guidance)


def customer_facts(actor: Actor, customer_id: int) -> CustomerFacts:
    require(actor, "scheduling.triage")
    with reading():
        c = Customer.get_or_none(Customer.id == customer_id)
    if c is None:
        raise NotFound(_("No customer with id {id}").format(id=customer_id))
    if c.kind != "customer":
        raise ValidationError(_("{name} is a prospect, not a customer: there is nothing to book yet").format(
            name=c.name), "customer")
    return CustomerFacts(c.id, c.name, c.kind, c.account_status, bool(c.onboarding), c.franchise_group or "",
                         c.email, c.phone)


def triage(actor: Actor, customer_id: int, topic_key: str) -> Decision:
    """Load the customer and the topic and decide. NotFound for either unknown."""
    require(actor, "scheduling.triage")
    customer = customer_facts(actor, customer_id)
    topic = get_topic(actor, topic_key)
    if not topic.active:
        raise NotFound(_("Topic '{key}' has been retired from the catalogue").format(key=topic.key))
    return decide(customer, topic, list_teams(actor))
