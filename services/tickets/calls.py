"""The phone: the PBX tells Atende who is calling which agent (`atende call
ring --number N --to LOGIN`, from an Asterisk dialplan or any hook), and the
agent's running session shows the caller within a second (the "ring" live
topic: tui.live). Answering reserves a protocol and opens the wizard with
the customer and contact already chosen, or, when the number is on several
customers or none, on the lookup with the number typed in.

Numbers are compared in E.164 whatever their format (validation.phone_key):
customers by `phone_digits`, contacts by their stored international form.
A call nobody answered or dismissed is a missed call in the agent's list.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from peewee import JOIN

from models import Contact, Customer, Ticket, User, reading, write_tx
from models.calls import Call
from models.live import Presence
from services.core import clock, validation
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, can, require
from services.core.text import clean
from services.store import presence
from services.tickets import protocol
from services.tickets.wizard import saving
from services.tickets.wizard.draft import Draft

RING_FRESH = dt.timedelta(seconds=90)
"""A call still ringing: shown by a session that starts (or reconnects) this long after it rang."""
MAX_NUMBER = 40
MAX_MATCHES = 20
KIND_WORDS = {"customer": N_("customer"), "prospect": N_("prospect")}
STATUSES = {"ringing": N_("ringing"), "answered": N_("answered"), "dismissed": N_("dismissed"),
            "missed": N_("missed")}


@dataclass(frozen=True)
class CallInfo:
    id: int
    to_login: str
    number: str
    """As the PBX gave it."""
    shown_number: str
    """The international form when the number is valid, else as given."""
    customer_id: int | None
    customer_name: str
    customer_kind: str
    contact_id: int | None
    contact_name: str
    matches: int
    created_at: dt.datetime
    answered_at: dt.datetime | None
    dismissed_at: dt.datetime | None
    ticket_protocol: str
    ticket_status: str
    """The answered call's ticket's status ("draft" while its wizard is not finished)."""
    by_login: str

    @property
    def status(self) -> str:
        if self.answered_at:
            return "answered"
        if self.dismissed_at:
            return "dismissed"
        return "ringing" if clock.now() - self.created_at < RING_FRESH else "missed"

    def headline(self) -> str:
        """"Call from Maria Souza (customer 1234)", translated."""
        if not self.number and not self.shown_number:
            return _("Call from a withheld number")
        if self.customer_id is None:
            if self.matches > 1:
                return _("Call from {number}: {n} customers have this number").format(
                    number=self.shown_number, n=self.matches)
            return _("Call from {number}: unknown number").format(number=self.shown_number)
        kind = _(KIND_WORDS.get(self.customer_kind, self.customer_kind))
        if self.contact_name and self.contact_name != self.customer_name:
            return _("Call from {contact} at {customer} ({kind} {id})").format(
                contact=self.contact_name, customer=self.customer_name, kind=kind, id=self.customer_id)
        return _("Call from {name} ({kind} {id})").format(name=self.customer_name, kind=kind, id=self.customer_id)


@dataclass(frozen=True)
class Rung:
    call: CallInfo
    sessions: int
    """The agent's running sessions told of it (0: the call waits in their list)."""


def _query():
    return (Call.select(Call.id, Call.to_login, Call.number, Call.e164, Call.customer, Call.contact, Call.matches,
                        Call.by_login, Call.created_at, Call.answered_at, Call.dismissed_at, Customer.name,
                        Customer.kind, Contact.name, Ticket.protocol, Ticket.status)
            .join(Customer, on=(Call.customer == Customer.id), join_type=JOIN.LEFT_OUTER)
            .switch(Call).join(Contact, on=(Call.contact == Contact.id), join_type=JOIN.LEFT_OUTER)
            .switch(Call).join(Ticket, on=(Call.ticket == Ticket.id), join_type=JOIN.LEFT_OUTER))


def _rows(query) -> list[CallInfo]:
    out = []
    for (call_id, to_login, number, e164, customer_id, contact_id, matches, by_login, created_at, answered_at,
         dismissed_at, customer_name, customer_kind, contact_name, ticket_protocol, ticket_status) in query.tuples():
        key = validation.phone_key(number) if e164 else None
        out.append(CallInfo(
            id=call_id, to_login=to_login, number=number, shown_number=key[1] if key else number,
            customer_id=customer_id, customer_name=customer_name or "", customer_kind=customer_kind or "",
            contact_id=contact_id, contact_name=contact_name or "", matches=matches,
            created_at=_stamp(created_at), answered_at=_stamp(answered_at), dismissed_at=_stamp(dismissed_at),
            ticket_protocol=ticket_protocol or "", ticket_status=ticket_status or "", by_login=by_login))
    return out


def _stamp(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def who_has(key: tuple[str, str] | None) -> tuple[int | None, int | None, int]:
    """(customer id, contact id, how many customers) the number `key`
    (validation.phone_key: E.164, international form) belongs to:
    the customer and contact only when exactly one customer has it; the
    contact then the one with that number, else the customer's only or
    primary contact. Inside the caller's read."""
    if key is None:
        return None, None, 0
    e164, international = key
    by_contact = list(Contact.select(Contact.id, Contact.customer).where(Contact.phone == international)
                      .limit(MAX_MATCHES).tuples())
    by_customer = [c for (c,) in Customer.select(Customer.id).where(Customer.phone_digits == e164[1:])
                   .limit(MAX_MATCHES).tuples()]
    customers = {c for _id, c in by_contact} | set(by_customer)
    if len(customers) != 1:
        return None, None, len(customers)
    customer_id = customers.pop()
    contacts = [c for c, _cust in by_contact]
    if len(contacts) == 1:
        return customer_id, contacts[0], 1
    if contacts:  # several contacts of one customer share it: the agent asks which one is calling
        return customer_id, None, 1
    theirs = list(Contact.select(Contact.id, Contact.is_primary).where(Contact.customer == customer_id)
                  .order_by(Contact.is_primary.desc(), Contact.id).limit(2).tuples())
    if len(theirs) == 1 or (theirs and theirs[0][1] and not theirs[1][1]):
        return customer_id, theirs[0][0], 1
    return customer_id, None, 1


def ring(actor: Actor | None, number: str, to_login: str) -> Rung:
    """Tell `to_login`'s sessions that `number` is calling them. `actor` is
    who rings: a staff member, or None for the PBX's system account (as for
    the worker: services.store.users.identify_background)."""
    if actor is not None:
        require(actor, "calls.ring")
    number = clean(number)[:MAX_NUMBER]
    login = clean(to_login)[:64]
    with write_tx(live="ring"):
        user = User.get_or_none(User.login == login)
        if user is None or not user.active:
            raise ValidationError(_("Nobody with the login '{login}' in this Atende database").format(login=login),
                                  "to")
        if not can(Actor(user.login, user.name, user.role), "tickets.create"):
            raise ValidationError(_("{login} does not open tickets: ring an agent").format(login=login), "to")
        key = validation.phone_key(number)
        customer_id, contact_id, matches = who_has(key)
        call_id = Call.insert(to_login=login, number=number, e164=key[0] if key else "", customer=customer_id,
                              contact=contact_id, matches=matches, by_login=actor.login if actor else "",
                              created_at=clock.now()).execute()
        call = _rows(_query().where(Call.id == call_id))[0]
        since = clock.now() - dt.timedelta(seconds=presence.STALE_SECONDS)
        sessions = Presence.select().where((Presence.login == login) & (Presence.heartbeat_at >= since)).count()
    return Rung(call, sessions)


def ringing(login: str, after_id: int = 0) -> list[CallInfo]:
    """Calls to `login` still ringing (neither answered nor dismissed, rung
    within RING_FRESH), with ids above `after_id`, oldest first. Read by the
    live thread of `login`'s own session (no permission: it is its own)."""
    since = clock.now() - RING_FRESH
    with reading():
        return _rows(_query().where((Call.to_login == login) & (Call.id > after_id) & (Call.created_at >= since)
                                    & Call.answered_at.is_null() & Call.dismissed_at.is_null())
                     .order_by(Call.id))


def recent(actor: Actor, *, limit: int = 100) -> list[CallInfo]:
    """The actor's calls, newest first."""
    require(actor, "tickets.create")
    with reading():
        return _rows(_query().where(Call.to_login == actor.login).order_by(Call.id.desc()).limit(limit))


def get(actor: Actor, call_id: int) -> CallInfo:
    require(actor, "tickets.create")
    with reading():
        found = _rows(_query().where((Call.id == call_id) & (Call.to_login == actor.login)))
    if not found:
        raise NotFound(_("No call {id} for you").format(id=call_id))
    return found[0]


def dismiss(actor: Actor, call_id: int) -> None:
    """The agent let the call go without a ticket (their other sessions close it too)."""
    require(actor, "tickets.create")
    with write_tx(live="ring"):
        (Call.update(dismissed_at=clock.now())
         .where((Call.id == call_id) & (Call.to_login == actor.login) & Call.answered_at.is_null()
                & Call.dismissed_at.is_null()).execute())


def answer(actor: Actor, call_id: int, fmt: str | None = None) -> Draft:
    """Open a ticket for the call: one commit reserves the protocol, marks the
    call answered (once: another session of the agent is told it is taken)
    and saves the wizard's draft with the caller chosen, so a dropped
    connection resumes it. A missed or dismissed call may be answered later
    (calling back); an answered one points at its ticket."""
    require(actor, "tickets.create")
    fmt = protocol.check_format(fmt or protocol.DEFAULT_FORMAT)
    with write_tx(live="ring"):
        call = get(actor, call_id)
        if call.answered_at is not None:
            raise Conflict(_("This call was already answered: ticket {protocol}").format(
                protocol=call.ticket_protocol or "-"))
        reservation = protocol.reserve_here(actor, fmt)
        draft = Draft(protocol=reservation.protocol, ticket_id=reservation.ticket_id, owner=actor.login,
                      created_at=reservation.at.isoformat(), step="lookup", lookup_text=call.number)
        if call.customer_id is not None:
            customer = Customer.get_or_none(Customer.id == call.customer_id)
            contact = Contact.get_or_none(Contact.id == call.contact_id) if call.contact_id else None
            if customer is not None:
                draft = dataclasses.replace(
                    draft, step="customer", lookup_text="",
                    kind=customer.kind if customer.kind in ("customer", "prospect") else "customer",
                    customer_id=customer.id, customer_name=customer.name,
                    contact_id=contact.id if contact else None, contact_name=contact.name if contact else "")
        Call.update(answered_at=clock.now(), ticket=reservation.ticket_id).where(Call.id == call.id).execute()
        saving.save(actor, draft)
    return draft
