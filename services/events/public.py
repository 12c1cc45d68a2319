"""What the public web shows of the events: the public events open for
registration, each with its times, place and the seats left. Only what a
visitor may see (never the meeting link, the client or who is responsible),
and never an event that is not marked public."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import reading, write_tx
from models.events import Event, EventType, Registration
from services.core import clock, validation
from services.core.errors import NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.validation import record_id
from services.events import registrations
from services.events.checkin import registration_for_token
from services.events.registrations import RegistrationInput, seats_taken
from services.events.stages import REGISTRATION_OPEN_STAGES, format_label


@dataclass(frozen=True)
class PublicEvent:
    id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    format: str
    """offline, online or hybrid."""
    place: str
    """The address of an event held in a place ("" for an online one)."""
    seats: int | None
    seats_left: int | None
    """None: no limit."""
    certificate: bool
    """It issues certificates (its workload is set): a CPF is asked for."""
    open: bool
    """Registrations are open now."""

    @property
    def format_label(self) -> str:
        return format_label(self.format)

    @property
    def full(self) -> bool:
        return self.seats_left is not None and self.seats_left <= 0


def _public(row: Event, etype: EventType, now: dt.datetime) -> PublicEvent:
    left = None if row.seats is None else max(0, row.seats - seats_taken(row.id))
    return PublicEvent(
        id=row.id, title=row.description, starts_at=row.starts_at, ends_at=row.ends_at, format=etype.format,
        place=row.address if etype.format != "online" else "", seats=row.seats, seats_left=left,
        certificate=bool(row.workload_hours), open=row.stage in REGISTRATION_OPEN_STAGES and row.ends_at > now)


def open_events(now: dt.datetime | None = None) -> list[PublicEvent]:
    """The public events open for registration that have not ended, soonest first."""
    now = now or clock.now()
    with reading():
        rows = list(Event.select(Event, EventType).join(EventType)
                    .where((Event.public == True) & Event.stage.in_(REGISTRATION_OPEN_STAGES)  # noqa: E712
                           & (Event.ends_at > now))
                    .order_by(Event.starts_at, Event.id))
        return [_public(r, r.type, now) for r in rows]


def public_event(event_ref: str | int, now: dt.datetime | None = None) -> PublicEvent:
    """One public event (open or not), or NotFound: an event that is not
    public is not found, whatever its id."""
    number = record_id(str(event_ref))
    with reading():
        row = (Event.select(Event, EventType).join(EventType).where((Event.id == number) & (Event.public == True))  # noqa: E712
               .first() if number is not None else None)
        if row is None:
            raise NotFound(_("This event does not exist or is not public"))
        return _public(row, row.type, now or clock.now())


CONSENT_VERSION = "2026-12-05"
"""The consent text's version: stored with each registration made on the web."""
CONSENT_TEXT = N_("I agree that my personal data (name, e-mail, phone, company and CPF) are used to manage this "
                  "registration, send me this event's messages and issue my certificate, and kept as the law "
                  "requires; I may ask for them to be erased.")
WEB = "web"
"""Who records a registration made on the web (the audit's login)."""


@dataclass(frozen=True)
class PublicRegistration:
    event_id: int
    event: str
    name: str
    email: str
    waitlisted: bool
    position: int | None


def register(event_ref: str | int, data: RegistrationInput, *, address: str) -> PublicRegistration:
    """A participant registers themself on the web: only for a public event
    whose registrations are open; the CPF is required when it issues
    certificates; their consent is stored with its text's version, the time
    and `address`. Full: the waiting list. The same rules as the staff's
    registrations (registrations.insert_registration), never re-written."""
    errors: dict[str, str] = {}
    try:
        fields = registrations.validate_input(data)
    except ValidationError as exc:
        errors.update(exc.errors)
        fields = {}
    event = public_event(event_ref)
    if event.certificate and not errors.get("cpf"):
        try:
            validation.cpf(data.cpf, "cpf", required=True)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    with write_tx():
        row = Event.get_or_none((Event.id == event.id) & (Event.public == True))  # noqa: E712
        if row is None:  # withdrawn meanwhile
            raise NotFound(_("This event does not exist or is not public"))
        registrations.check_open(row)
        try:
            registrations.check_unique(row.id, fields["email"])
        except ValidationError:  # never someone else's registration code to a visitor
            raise ValidationError(_("This e-mail is already registered in this event; look for the confirmation "
                                    "e-mail we sent"), "email") from None
        now = clock.now()
        reg = registrations.insert_registration(WEB, row, fields, "web", now, WEB)
        Registration.update(consent_version=CONSENT_VERSION, consent_address=address[:64]).where(
            Registration.id == reg.id).execute()
        if row.main_id is None:
            registrations.replicate(WEB, reg, row)
        info = registrations.registration_info(Registration.get_by_id(reg.id),
                                               registrations.waitlist_positions(row.id) if reg.waitlisted else None)
    return PublicRegistration(row.id, row.description, info.name, info.email, info.waitlisted, info.waitlist_position)


def cpf_wanted(token: str) -> bool:
    """Whether the registration holding `token` still needs a valid CPF for
    its certificate (the event issues certificates, none issued yet)."""
    from services.events.issuing import cpf_valid

    with reading():
        reg, event = registration_for_token(token)
    return (bool(event.workload_hours) and reg.cancelled_at is None and reg.certificate_issued_at is None
            and not cpf_valid(reg.cpf))


def set_own_cpf(token: str, cpf: str) -> None:
    """The participant gives their CPF for the certificate (checked), while
    it is still wanted; ValidationError at the field otherwise."""
    number = validation.cpf(cpf, "cpf", required=True)
    if not cpf_wanted(token):
        raise ValidationError(_("Your certificate does not need a CPF now"), "cpf")
    with write_tx():
        reg, _event = registration_for_token(token)
        now = clock.now()
        Registration.update(cpf=number, updated_at=now, updated_by=WEB, version=Registration.version + 1).where(
            Registration.id == reg.id).execute()
        from services.store import audit

        audit.record(WEB, "registration", reg.id, "cpf", {"cpf": "set by the participant"})

