"""Implementation bookings: the analyst's calendar, free slots, the rules a
booking must meet before it is saved, the confirmation (text, e-mail, ICS)
and, after the session, held or no-show.

A booking goes to the analyst on the rota for the month it is made in (the
seed's "analista responsável no mês vigente"). Sessions last 1h30 and start
on a grid from the start of each of the analyst's working periods. The grid
moves when the working hours change, so a session is refused when it overlaps
any session of the analyst, checked inside the write transaction (`BEGIN
IMMEDIATE`, or the advisory lock on PostgreSQL; the unique index on (analyst,
start) besides): of two agents booking the same slot at the same moment
exactly one wins. Sessions the new hours no longer cover stay in the calendar.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from peewee import IntegrityError

from models import Customer, Ticket, User, reading, write_tx
from models.scheduling import Booking, ImplementationAnalyst, Topic
from services.core import clock, paths, validation
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import LEADS, Actor, require
from services.core.text import clean
from services.scheduling.rota import (
    AnalystInfo,
    analyst_for_month,
    get_analyst,
    load_analyst,
    local_now,
    month_range,
    parse_month,
)
from services.scheduling.topics import TopicInfo, find_homologated, get_topic, wrong_kind
from services.scheduling.triage import triage
from services.store import audit, database, settings

SESSION = dt.timedelta(minutes=90)
TOLERANCE = dt.timedelta(minutes=15)
HORIZON_DAYS = 28
MAX_AHEAD_DAYS = 365
MIN_NEED_WORDS = 5
MIN_NEED_CHARS = 20
STATUS_LABELS = {"booked": N_("booked"), "held": N_("held"), "no_show": N_("no-show")}
OUTCOMES = ("held", "no_show")


class SlotTaken(Conflict):
    """Someone booked the slot first; `alternatives` are the next free slots."""

    def __init__(self, message: str, alternatives: list[Slot]):
        super().__init__(message)
        self.alternatives = alternatives


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    booking_id: int | None = None
    customer_name: str = ""

    @property
    def free(self) -> bool:
        return self.booking_id is None

    def label(self) -> str:
        return f"{weekday_short(self.start)} {self.start:%d/%m %H:%M}-{self.end:%H:%M}"


WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def weekday_short(day: dt.date) -> str:
    return _(WEEKDAYS[day.weekday()])


@dataclass(frozen=True)
class BookingRequest:
    """What the agent fills in to book a session."""

    customer_id: int
    topic_key: str
    start: dt.datetime | None
    needs: str
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    equipment_manufacturer: str = ""
    equipment_model: str = ""
    preconditions_done: tuple[str, ...] = ()
    webinar_offered: bool = False
    ticket_protocol: str = ""
    """An existing ticket of the customer to link; empty opens a new one."""


@dataclass(frozen=True)
class BookingInfo:
    id: int
    analyst_id: int
    analyst_user_id: int
    analyst_login: str
    analyst_name: str
    analyst_email: str
    start: dt.datetime
    end: dt.datetime
    customer_id: int
    customer_name: str
    topic_key: str
    topic_label: str
    ticket_id: int
    protocol: str
    needs: str
    contact_name: str
    contact_phone: str
    contact_email: str
    equipment_manufacturer: str
    equipment_model: str
    equipment_homologated: bool | None
    preconditions_done: tuple[str, ...]
    webinar_offered: bool
    status: str
    outcome_note: str
    outcome_by: str
    created_by: str
    created_at: dt.datetime
    updated_by: str
    version: int

    def as_dict(self) -> dict:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k in ("start", "end", "created_at"):
            data[k] = data[k].isoformat(timespec="minutes")
        data["preconditions_done"] = list(self.preconditions_done)
        return data


@dataclass(frozen=True)
class BookingResult:
    booking: BookingInfo
    confirmation: str
    email_id: int
    new_ticket: bool
    warnings: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------- calendar


def day_grid(analyst: AnalystInfo, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The session starts and ends of `analyst` on `day` (no bookings looked at)."""
    if day.weekday() not in analyst.weekdays:
        return []
    out = []
    for start, end in analyst.periods():
        t = dt.datetime.combine(day, start)
        stop = dt.datetime.combine(day, end)
        while t + SESSION <= stop:
            out.append((t, t + SESSION))
            t += SESSION
    return out


def _taken(analyst_id: int, since: dt.datetime, until: dt.datetime) -> list[Slot]:
    """The sessions of `analyst_id` that overlap [since, until), as booked slots."""
    q = (Booking.select(Booking.id, Booking.start, Booking.end, Customer.name)
         .join(Customer, on=(Booking.customer == Customer.id))
         .where((Booking.analyst == analyst_id) & (Booking.start < until) & (Booking.end > since)))
    return [Slot(r.start, r.end, r.id, r.customer.name) for r in q]


def calendar(actor: Actor, analyst: AnalystInfo, first_day: dt.date, days: int = 7) -> list[Slot]:
    """Every session of `analyst` from `first_day` for `days` days, soonest
    first: the booked ones, also those the working hours no longer cover
    (hours changed after they were booked), and the free slots of the
    working hours that overlap none of them."""
    require(actor, "scheduling.triage")
    since = dt.datetime.combine(first_day, dt.time.min)
    until = since + dt.timedelta(days=days)
    with reading():
        taken = _taken(analyst.id, since, until)
    grid = [g for i in range(days) for g in day_grid(analyst, first_day + dt.timedelta(days=i))]
    free = [Slot(start, end) for start, end in grid if not any(b.start < end and start < b.end for b in taken)]
    return sorted([b for b in taken if b.start >= since] + free, key=lambda s: s.start)


def free_slots(actor: Actor, analyst: AnalystInfo, after: dt.datetime | None = None, limit: int = 40,
               days: int = HORIZON_DAYS) -> list[Slot]:
    """Free slots of `analyst` starting after `after` (and after now), soonest first."""
    now = local_now()
    after = max(after or now, now)
    slots = calendar(actor, analyst, after.date(), days)
    return [s for s in slots if s.free and s.start > after][:limit]


# ---------------------------------------------------------------- booking rules


def _needs(text: str) -> tuple[str, str | None]:
    needs = clean(text, multiline=True)
    words = re.findall(r"\w+", needs)
    if len(words) < MIN_NEED_WORDS or len(needs) < MIN_NEED_CHARS:
        return needs, _("Describe in detail what the session must cover (at least {n} words): "
                        "the more is described, the better the session").format(n=MIN_NEED_WORDS)
    if len(needs) > 5000:
        return needs, _("Too long: at most {n} characters").format(n=5000)
    return needs, None


def _check_slot(analyst: AnalystInfo, start: dt.datetime | None, now: dt.datetime) -> str | None:
    if start is None:
        return _("Pick a free slot")
    if start <= now:
        return _("{when} is in the past: pick a slot from now on").format(when=f"{start:%d/%m/%Y %H:%M}")
    if start > now + dt.timedelta(days=MAX_AHEAD_DAYS):
        return _("Too far ahead: book at most {n} days from today").format(n=MAX_AHEAD_DAYS)
    if (start, start + SESSION) not in day_grid(analyst, start.date()):
        return _("{when} is outside {analyst}'s working hours ({hours}); pick one of the free slots").format(
            when=f"{weekday_short(start)} {start:%d/%m/%Y %H:%M}", analyst=analyst.name, hours=analyst.hours)
    return None


@dataclass(frozen=True)
class _Checked:
    needs: str
    contact_name: str
    contact_phone: str
    contact_email: str
    manufacturer: str
    model: str
    homologated: bool | None
    preconditions: tuple[str, ...]


def check_request(actor: Actor, req: BookingRequest, topic: TopicInfo, analyst: AnalystInfo,
                  customer_email: str = "") -> _Checked:
    """Every rule a booking must meet before it is saved, all reported at once."""
    errors: dict[str, str] = {}
    needs, problem = _needs(req.needs)
    if problem:
        errors["needs"] = problem

    def take(fn, value, name, **kw):
        try:
            return fn(value, name, **kw)
        except ValidationError as exc:
            errors.update(exc.errors)
            return ""

    contact_name = take(validation.name, req.contact_name, "contact_name")
    if "contact_name" in errors:
        errors["contact_name"] = _("The name of the person who will attend is required")
    contact_phone = take(validation.phone, req.contact_phone, "contact_phone")
    contact_email = take(validation.email, clean(req.contact_email) or customer_email, "contact_email")
    if "contact_email" in errors and not clean(req.contact_email) and not customer_email:
        errors["contact_email"] = _("An e-mail is needed to send the confirmation")
    manufacturer = clean(req.equipment_manufacturer)
    model = clean(req.equipment_model)
    homologated: bool | None = None
    if topic.involves_equipment:
        if not manufacturer:
            errors["equipment_manufacturer"] = _("The equipment's manufacturer is required for this topic")
        if not model:
            errors["equipment_model"] = _("The equipment's model is required for this topic")
        if manufacturer and model:
            entry = find_homologated(manufacturer, model)
            homologated = entry is not None
            if entry is None:
                errors["equipment_model"] = _(
                    "{manufacturer} {model} is not homologated: support tries the installation "
                    "during the call; it is not booked with implementation").format(
                    manufacturer=manufacturer, model=model)
            elif entry.category != topic.equipment_kind:
                errors["equipment_model"] = wrong_kind(entry, topic)
            else:
                manufacturer, model = entry.manufacturer, entry.model
    else:
        manufacturer = model = ""
    done = tuple(p for p in topic.preconditions if p in set(req.preconditions_done))
    missing = [p for p in topic.preconditions if p not in done]
    if missing:
        errors["preconditions"] = _("Do these first and tick them: {items}").format(items="; ".join(missing))
    if topic.needs_attachment and not clean(req.ticket_protocol):
        errors["ticket_protocol"] = _("{topic} is booked on the customer's ticket with the answer attached: "
                                      "give its protocol").format(topic=topic.label)
    if topic.is_training and not req.webinar_offered:
        errors["webinar_offered"] = _(
            "Offer the webinar first ({link}); book only if the customer still needs the session").format(
            link=topic.webinar_link or "-")
    problem = _check_slot(analyst, req.start, local_now())
    if problem:
        errors["slot"] = problem
    if errors:
        raise ValidationError(errors)
    return _Checked(needs, contact_name, contact_phone, contact_email, manufacturer, model, homologated, done)


def _create_ticket_for_booking(actor: Actor, *, customer_id: int, subject: str, problem: str,
                               responsible_user_id: int, now: dt.datetime,
                               protocol_format: str | None = None) -> tuple[int, str]:
    """Open the ticket a new booking is linked to; returns (ticket id, protocol).

    Runs inside the booking's transaction. The protocol comes from the
    wizard's protocol service (services.tickets.protocol.reserve), so tickets opened
    by bookings and by the wizard share one sequence and never collide.
    """
    from services.tickets import protocol as protocols

    reservation = protocols.reserve(actor, protocol_format)
    (Ticket.update(status="open", kind="customer", customer=customer_id, responsible=responsible_user_id,
                   subject=subject[:200], problem=problem, updated_at=now, updated_by=actor.login,
                   version=Ticket.version + 1)
     .where(Ticket.id == reservation.ticket_id).execute())
    audit.record(actor.login, "ticket", reservation.ticket_id, "create",
                 {"protocol": reservation.protocol, "from": "booking", "status": ["draft", "open"]})
    return reservation.ticket_id, reservation.protocol


def _queue_booking_email(booking_id: int, to_addr: str, subject: str, body: str, ics: str,
                         created_by: str = "atende") -> int:
    """Queue the confirmation e-mail of a booking in the outbox (its ICS attached
    as a file); returns the outbox id. Runs inside the booking's transaction;
    the same booking never gets two confirmations (idempotency key)."""
    from services.mail import outbox

    folder = database.files_root() / "ics"
    paths.private_dir(folder)
    path = folder / f"booking-{booking_id}.ics"
    path.write_text(ics, encoding="utf-8")
    paths.private_file(path)
    return outbox.queue(to=to_addr, subject=subject, text=body, attachments=[path], about=("booking", booking_id),
                        kind="booking_confirmation", key=f"booking:{booking_id}:confirmation",
                        created_by=created_by)


def book(actor: Actor, req: BookingRequest) -> BookingResult:
    """Check everything, then save the booking, its ticket and its e-mail in
    one transaction. SlotTaken (with the next free slots) when someone else
    got the slot first; nothing is half-saved on any error."""
    require(actor, "scheduling.book")
    decision = triage(actor, req.customer_id, req.topic_key)
    if not decision.can_book:
        raise ValidationError({"topic": decision.title + ": " + decision.reason})
    topic = get_topic(actor, req.topic_key)
    analyst = analyst_for_month(actor)
    with reading():
        customer = Customer.get_by_id(req.customer_id)
    ok = check_request(actor, req, topic, analyst, customer.email)
    protocol_in = clean(req.ticket_protocol)
    now = clock.now()
    try:
        with write_tx():
            existing = None
            if protocol_in:
                existing = Ticket.get_or_none(Ticket.protocol == protocol_in)
                if existing is None:
                    raise ValidationError(_("No ticket with protocol {protocol}").format(protocol=protocol_in),
                                          "ticket_protocol")
                if existing.customer_id != req.customer_id:
                    raise ValidationError(_("Ticket {protocol} belongs to another customer").format(
                        protocol=protocol_in), "ticket_protocol")
                if existing.status in ("finished", "abandoned"):
                    raise ValidationError(_("Ticket {protocol} is closed; leave it empty to open a new one").format(
                        protocol=protocol_in), "ticket_protocol")
                if topic.needs_attachment and not existing.attachments.exists():
                    raise ValidationError(_("Ticket {protocol} has no file attached: attach the answer to it "
                                            "first").format(protocol=protocol_in), "ticket_protocol")
            if Booking.select().where((Booking.analyst == analyst.id) & (Booking.start < req.start + SESSION)
                                      & (Booking.end > req.start)).exists():  # overlaps one of the analyst's
                raise _SlotGone()
            if existing is not None:
                ticket_id, protocol = existing.id, existing.protocol
            else:
                ticket_id, protocol = _create_ticket_for_booking(
                    actor, customer_id=req.customer_id,
                    subject=_("Implementation session: {topic}").format(topic=topic.label),
                    problem=ok.needs, responsible_user_id=analyst.user_id, now=now)
            row = Booking.create(
                analyst=analyst.id, start=req.start, end=req.start + SESSION, customer=req.customer_id,
                topic=topic.id, ticket=ticket_id, needs=ok.needs, contact_name=ok.contact_name,
                contact_phone=ok.contact_phone, contact_email=ok.contact_email,
                equipment_manufacturer=ok.manufacturer, equipment_model=ok.model,
                equipment_homologated=ok.homologated,
                preconditions_done=json.dumps(list(ok.preconditions), ensure_ascii=False),
                webinar_offered=bool(req.webinar_offered), created_by=actor.login, created_at=now,
                updated_by=actor.login, updated_at=now,
            )
            audit.record(actor.login, "booking", row.id, "create", {
                "analyst": analyst.login, "start": req.start, "customer": req.customer_id,
                "topic": topic.key, "ticket": protocol})
            info = _load(row.id)
            text = confirmation_text(info)
            email_id = _queue_booking_email(row.id, ok.contact_email, confirmation_subject(info), text,
                                            ics_text(info), created_by=actor.login)
    except (_SlotGone, IntegrityError):
        alternatives = free_slots(actor, analyst, after=req.start)[:5] or free_slots(actor, analyst)[:5]
        raise SlotTaken(
            _("Someone else has just booked {when} with {analyst}. Pick another slot: the next free ones are "
              "{slots}").format(when=f"{req.start:%d/%m %H:%M}", analyst=analyst.name,
                                slots=", ".join(s.label() for s in alternatives) or _("none in the next weeks")),
            alternatives) from None
    return BookingResult(info, text, email_id, existing is None)


class _SlotGone(Exception):
    pass


# ---------------------------------------------------------------- confirmation


def confirmation_subject(b: BookingInfo) -> str:
    return _("Implementation session booked: {date} at {time} (protocol {protocol})").format(
        date=f"{b.start:%d/%m/%Y}", time=f"{b.start:%H:%M}", protocol=b.protocol)


def confirmation_text(b: BookingInfo) -> str:
    """What the agent tells the customer, and the body of the e-mail."""
    return _(
        "Hello {contact},\n\n"
        "Your session with the implementation team is booked.\n\n"
        "Topic: {topic}\n"
        "Date: {weekday} {date}, from {start} to {end}\n"
        "Analyst: {analyst}\n"
        "Protocol: {protocol}\n\n"
        "The session lasts 1h30. There is a tolerance of 15 minutes for lateness: "
        "after that the session is counted as missed and must be booked again.\n\n"
        "What will be covered:\n{needs}\n"
    ).format(contact=b.contact_name, topic=b.topic_label, weekday=weekday_short(b.start),
             date=f"{b.start:%d/%m/%Y}", start=f"{b.start:%H:%M}", end=f"{b.end:%H:%M}",
             analyst=b.analyst_name, protocol=b.protocol, needs=b.needs)


def ics_text(b: BookingInfo) -> str:
    """An iCalendar invitation (METHOD:REQUEST) for the session."""
    from icalendar import Calendar, Event, vCalAddress, vText

    tz = settings.get_zone("scheduling.timezone")
    cal = Calendar()
    cal.add("prodid", "-//Atende//Scheduling//PT-BR")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"booking-{b.id}@atende")
    event.add("dtstamp", dt.datetime.now(dt.UTC).replace(microsecond=0))
    event.add("dtstart", b.start.replace(tzinfo=tz))
    event.add("dtend", b.end.replace(tzinfo=tz))
    event.add("summary", _("Implementation session: {topic}").format(topic=b.topic_label))
    event.add("description", confirmation_text(b))
    event.add("sequence", b.version - 1)
    if b.analyst_email:
        organizer = vCalAddress(f"mailto:{b.analyst_email}")
        organizer.params["cn"] = vText(b.analyst_name)
        event["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{b.contact_email}")
    attendee.params["cn"] = vText(b.contact_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical().decode("utf-8")


# ---------------------------------------------------------------- reading


def _query():
    analyst_user = User.alias("analyst_user")
    return (Booking.select(Booking, ImplementationAnalyst.user.alias("analyst_user_id"),
                           analyst_user.login.alias("analyst_login"), analyst_user.name.alias("analyst_name"),
                           analyst_user.email.alias("analyst_email"), Customer.name.alias("customer_name"),
                           Topic.key.alias("topic_key"), Topic.label.alias("topic_label"),
                           Ticket.protocol.alias("protocol"))
            .join(ImplementationAnalyst, on=(Booking.analyst == ImplementationAnalyst.id))
            .join(analyst_user, on=(ImplementationAnalyst.user == analyst_user.id))
            .switch(Booking).join(Customer, on=(Booking.customer == Customer.id))
            .switch(Booking).join(Topic, on=(Booking.topic == Topic.id))
            .switch(Booking).join(Ticket, on=(Booking.ticket == Ticket.id))
            .order_by(Booking.start))


def _info(r) -> BookingInfo:
    return BookingInfo(
        r.id, r.analyst_id, r.analyst_user_id, r.analyst_login, r.analyst_name, r.analyst_email,
        r.start, r.end, r.customer_id, r.customer_name, r.topic_key, r.topic_label, r.ticket_id, r.protocol,
        r.needs, r.contact_name, r.contact_phone, r.contact_email, r.equipment_manufacturer,
        r.equipment_model, r.equipment_homologated, tuple(json.loads(r.preconditions_done or "[]")),
        r.webinar_offered, r.status, r.outcome_note, r.outcome_by, r.created_by, r.created_at,
        r.updated_by, r.version)


def _load(booking_id: int) -> BookingInfo | None:
    row = _query().where(Booking.id == booking_id).objects().first()
    return _info(row) if row else None


def get_booking(actor: Actor, booking_id: int) -> BookingInfo:
    require(actor, "scheduling.triage")
    with reading():
        info = _load(booking_id)
    if info is None:
        raise NotFound(_("No booking with id {id}").format(id=booking_id))
    return info


def list_bookings(actor: Actor, analyst: str | None = None, month: str | None = None,
                  status: str | None = None) -> list[BookingInfo]:
    """Bookings, soonest first, of one analyst (login) and/or one month (YYYY-MM)."""
    require(actor, "scheduling.triage")
    q = _query()
    if analyst:
        a = get_analyst(actor, analyst)
        q = q.where(Booking.analyst == a.id)
    if month:
        first, nxt = month_range(parse_month(month))
        q = q.where((Booking.start >= first) & (Booking.start < nxt))
    if status:
        if status not in STATUS_LABELS:
            raise ValidationError(_("Unknown status '{status}': use booked, held or no_show").format(
                status=status), "status")
        q = q.where(Booking.status == status)
    with reading():
        return [_info(r) for r in q.objects()]


def queued_emails(actor: Actor, booking_id: int) -> list[dict]:
    """The confirmation e-mails of a booking, as the outbox holds them."""
    from models.mail import Outbox
    from services.store import blobs

    require(actor, "scheduling.triage")
    out = []
    with reading():
        rows = list(Outbox.select().where((Outbox.about_entity == "booking") & (Outbox.about_id == str(booking_id)))
                    .order_by(Outbox.id))
    for e in rows:
        files = json.loads(e.attachments or "[]")
        ics = ""
        for f in files:
            if f.get("name", "").endswith(".ics"):
                try:  # the outbox records a file's place on a store whose hosts share no folder
                    ics = blobs.file(f["path"]).read_text(encoding="utf-8")
                except (OSError, NotFound):
                    ics = ""
        out.append(dict(id=e.id, to=", ".join(json.loads(e.recipients)), subject=e.subject, body=e.body_text,
                        ics=ics, status=e.state))
    return out


# ---------------------------------------------------------------- after the session


def record_outcome(actor: Actor, booking_id: int, outcome: str, expected_version: int,
                   note: str = "") -> BookingInfo:
    """The analyst (or a lead) records that the session was held or that the
    customer did not come; no-show only once the 15 minutes of tolerance
    have passed."""
    require(actor, "scheduling.outcome")
    if outcome not in OUTCOMES:
        raise ValidationError(_("Unknown outcome '{outcome}': use held or no_show").format(outcome=outcome),
                              "outcome")
    note = validation.long_text(note, "note", max_len=2000)
    now, local = clock.now(), local_now()  # the sessions' times are the scheduling time zone's
    with write_tx():
        row = Booking.get_or_none(Booking.id == booking_id)
        if row is None:
            raise NotFound(_("No booking with id {id}").format(id=booking_id))
        analyst = load_analyst(row.analyst_id)
        if actor.login != analyst.login and actor.role not in LEADS:
            raise PermissionDenied(_("Only {analyst} (the session's analyst) or a supervisor records how "
                                     "the session went").format(analyst=analyst.name))
        if row.version != expected_version:
            raise Conflict(_("{who} changed this booking meanwhile; look again").format(
                who=row.updated_by or _("someone")))
        if row.status != "booked":
            raise ValidationError(_("This session is already recorded as {status}").format(
                status=_(STATUS_LABELS[row.status])), "outcome")
        if local < row.start:
            raise ValidationError(_("The session has not started yet (it starts at {when})").format(
                when=f"{row.start:%d/%m %H:%M}"), "outcome")
        if outcome == "no_show" and local < row.start + TOLERANCE:
            raise ValidationError(_("No-show can be recorded only after the 15 minutes of tolerance, "
                                    "from {when}").format(when=f"{row.start + TOLERANCE:%H:%M}"), "outcome")
        n = (Booking.update(status=outcome, outcome_note=note, outcome_at=now, outcome_by=actor.login,
                            updated_by=actor.login, updated_at=now, version=Booking.version + 1)
             .where((Booking.id == booking_id) & (Booking.version == expected_version)).execute())
        if n == 0:
            raise Conflict(_("{who} changed this booking meanwhile; look again").format(
                who=row.updated_by or _("someone")))
        audit.record(actor.login, "booking", booking_id, outcome, {"status": ["booked", outcome], "note": note})
        return _load(booking_id)
