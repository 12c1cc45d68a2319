"""Registrations: consent, capacity and the waiting list, replication to
secondary events, cancelling, and reading them. Check-in and online access
are in `services.events.checkin`; a participant's data on request in
`services.events.privacy`; CSV import in `services.events.imports`.

Capacity is counted inside `write_tx()` (BEGIN IMMEDIATE on SQLite): the
count and the insert happen under the write lock, so two people registering
the last seat at once never both get it.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from models import User, reading, write_tx
from models.events import REGISTRATION_STAGES, Event, Registration
from services.core import clock, validation
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean, fold
from services.events import mail
from services.events.access import require_change_row
from services.events.notifications import notify
from services.events.queries import event_row
from services.events.stages import FINAL_STAGES, REGISTRATION_OPEN_STAGES, stage_label
from services.store import audit

STAGE_LABELS = {
    "new": N_("New registration"),
    "waiting": N_("Waiting for event"),
    "came": N_("Came"),
    "materials": N_("Waiting for materials"),
    "processed": N_("Processed"),
    "no_show": N_("Did not come"),
}
CAME_STAGES = ("came", "materials", "processed")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
SOURCES = ("staff", "desk", "import", "cli", "replica", "online", "web")


def registration_stage_label(stage: str) -> str:
    return _(STAGE_LABELS.get(stage, stage))


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class RegistrationInput:
    name: str = ""
    email: str = ""
    phone: str = ""
    cpf: str = ""
    company: str = ""
    consent: bool = False
    """The participant agreed to the processing of their personal data."""


@dataclass(frozen=True)
class RegistrationInfo:
    id: int
    event_id: int
    code: str
    access_token: str
    name: str
    email: str
    phone: str
    cpf: str
    company: str
    stage: str
    waitlisted: bool
    waitlist_position: int | None
    consent_at: dt.datetime
    consent_by: str
    source: str
    origin_id: int | None
    came_at: dt.datetime | None
    came_by: str
    cancelled_at: dt.datetime | None
    erased: bool
    created_at: dt.datetime
    created_by: str
    version: int

    @property
    def active(self) -> bool:
        return self.cancelled_at is None

    @property
    def came(self) -> bool:
        return self.stage in CAME_STAGES

    @property
    def stage_label(self) -> str:
        if self.cancelled_at is not None:
            return _("Registration cancelled")
        if self.waitlisted:
            return _("Waiting list #{n}").format(n=self.waitlist_position or "?")
        return registration_stage_label(self.stage)


@dataclass(frozen=True)
class RegisterResult:
    registration: RegistrationInfo
    waitlisted: bool
    replicas: int


# --------------------------------------------------------------------------- helpers


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if not Registration.select().where(Registration.code == code).exists():
            return code


def _new_token() -> str:
    """The online-access token: URL-safe, never starting with "-" (it would
    read as an option to `atende event access TOKEN`)."""
    while True:
        token = secrets.token_urlsafe(18)
        if not token.startswith("-"):
            return token


def normalize_code(text: str) -> str:
    """A code as typed or scanned: spaces, dashes and case do not matter."""
    return "".join(c for c in clean(text).upper() if c.isalnum())


def waitlist_positions(event_id: int) -> dict[int, int]:
    """Each waiting registration's place in the event's waiting list."""
    return _positions(event_id)


def _positions(event_id: int) -> dict[int, int]:
    ids = [r.id for r in Registration.select(Registration.id).where(
        (Registration.event == event_id) & Registration.cancelled_at.is_null() & (Registration.waitlisted == True)  # noqa: E712
    ).order_by(Registration.waitlisted_at, Registration.id)]
    return {rid: i + 1 for i, rid in enumerate(ids)}


def registration_info(r: Registration, positions: dict[int, int] | None = None) -> RegistrationInfo:
    if r.waitlisted and positions is None:
        positions = _positions(r.event_id)
    return RegistrationInfo(
        id=r.id, event_id=r.event_id, code=r.code, access_token=r.access_token, name=r.name, email=r.email,
        phone=r.phone, cpf=r.cpf, company=r.company, stage=r.stage, waitlisted=r.waitlisted,
        waitlist_position=(positions or {}).get(r.id) if r.waitlisted else None,
        consent_at=r.consent_at, consent_by=r.consent_by, source=r.source, origin_id=r.origin_id,
        came_at=r.came_at, came_by=r.came_by, cancelled_at=r.cancelled_at, erased=r.erased_at is not None,
        created_at=r.created_at, created_by=r.created_by, version=r.version)


def seats_taken(event_id: int) -> int:
    return Registration.select().where(
        (Registration.event == event_id) & Registration.cancelled_at.is_null()
        & (Registration.waitlisted == False)).count()  # noqa: E712


def _has_seat_for_one_more(event: Event) -> bool:
    return event.seats is None or seats_taken(event.id) < event.seats


def validate_input(data: RegistrationInput) -> dict[str, str]:
    """Normalised participant fields, or ValidationError with every field's message."""
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    for key, fn_, args in (
        ("name", validation.name, (data.name,)),
        ("email", validation.email, (data.email,)),
        ("phone", validation.phone, (data.phone, "phone", False)),
        ("cpf", validation.cpf, (data.cpf, "cpf", False)),
    ):
        try:
            out[key] = fn_(*args)
        except ValidationError as exc:
            errors.update(exc.errors)
    company = clean(data.company)
    if len(company) > 200:
        errors["company"] = _("Too long: at most {n} characters").format(n=200)
    out["company"] = company
    if "email" in out:
        out["email"] = out["email"].lower()
    if not data.consent:
        errors["consent"] = _("No consent, no registration: the participant must agree to the processing "
                              "of their personal data")
    if errors:
        raise ValidationError(errors)
    return out


def insert_registration(actor_login: str, event: Event, fields: dict[str, str], source: str,
                        consent_at: dt.datetime, consent_by: str, origin: Registration | None = None,
                        taken: int | None = None) -> Registration:
    """Insert one registration, holding a seat when one is free, else on the
    waiting list (and the responsible is told). Call inside write_tx().
    `taken` is the seats already held, when the caller keeps count (imports)."""
    now = clock.now()
    if taken is None:
        seat = _has_seat_for_one_more(event)
    else:
        seat = event.seats is None or taken < event.seats
    reg = Registration.create(
        event=event.id, code=_new_code(), access_token=_new_token(),
        name=fields["name"], name_norm=fold(fields["name"]), email=fields["email"],
        phone=fields.get("phone", ""), cpf=fields.get("cpf", ""), company=fields.get("company", ""),
        stage="waiting" if seat else "new", waitlisted=not seat, waitlisted_at=None if seat else now,
        consent_at=consent_at, consent_by=consent_by, source=source, origin=origin.id if origin else None,
        created_at=now, created_by=actor_login, updated_at=now, updated_by=actor_login, version=1)
    audit.record(actor_login, "registration", reg.id, "create", {
        "event": event.id, "code": reg.code, "waitlisted": not seat, "source": source,
        "origin": origin.id if origin else None})
    context = {"event": event.description, "name": reg.name, "code": reg.code, "starts_at": event.starts_at,
               "ends_at": event.ends_at, "address": event.address, "access_token": reg.access_token,
               "_reg": reg, "_event": event}
    if seat:
        mail.queue_kind("registration_confirmed", ("registration", reg.id), [reg.email], context)
    else:
        position = _positions(event.id).get(reg.id)
        mail.queue_kind("registration_waitlisted", ("registration", reg.id), [reg.email],
                        {**context, "position": position})
        notify(event.responsible_id, N_("Event {event} is full ({seats} seats): {name} is #{n} on the waiting list"),
               {"event": event.description, "seats": event.seats, "name": reg.name, "n": position}, event.id)
        responsible = User.get_or_none(User.id == event.responsible_id)
        if responsible is not None:
            mail.queue_kind("waitlist_responsible", ("event", event.id), [responsible.email],
                            {**context, "position": position, "seats": event.seats})
    return reg


def open_secondaries(main: Event) -> list[Event]:
    """The secondaries taking registrations now: each ready on its own (its
    registration opened, its address or link checked), never one still being
    prepared, cancelled or held."""
    return list(Event.select().where((Event.main == main.id) & Event.stage.in_(REGISTRATION_OPEN_STAGES)))


def replicate(actor_login: str, reg: Registration, main: Event, secondaries: list[Event] | None = None) -> int:
    """Copy a main event's registration to each of its open secondaries."""
    n = 0
    for sec in open_secondaries(main) if secondaries is None else secondaries:
        exists = Registration.select().where(
            (Registration.event == sec.id) & (Registration.email == reg.email)
            & Registration.cancelled_at.is_null()).exists()
        if exists:
            continue
        insert_registration(actor_login, sec, {"name": reg.name, "email": reg.email, "phone": reg.phone,
                                               "cpf": reg.cpf, "company": reg.company},
                            "replica", reg.consent_at, reg.consent_by, origin=reg)
        n += 1
    return n


def replicate_existing(actor: Actor, main: Event, secondary: Event) -> int:
    """A secondary opening its registrations receives the main event's active
    registrations (those it does not hold yet)."""
    n = 0
    regs = Registration.select().where((Registration.event == main.id) & Registration.cancelled_at.is_null()
                                       & (Registration.email != "")).order_by(Registration.id)
    held = {r.email for r in Registration.select(Registration.email).where(
        (Registration.event == secondary.id) & Registration.cancelled_at.is_null())}
    for reg in regs:
        if reg.email in held:
            continue
        insert_registration(actor.login, secondary, {"name": reg.name, "email": reg.email, "phone": reg.phone,
                                                     "cpf": reg.cpf, "company": reg.company},
                            "replica", reg.consent_at, reg.consent_by, origin=reg)
        n += 1
    return n


def promote(actor: Actor, event: Event) -> list[int]:
    """Give free seats to the waiting list, first come first served."""
    event = Event.get_by_id(event.id)
    if event.stage in FINAL_STAGES:
        return []
    promoted = []
    while _has_seat_for_one_more(event):
        first = (Registration.select().where(
            (Registration.event == event.id) & Registration.cancelled_at.is_null()
            & (Registration.waitlisted == True))  # noqa: E712
            .order_by(Registration.waitlisted_at, Registration.id).first())
        if first is None:
            break
        Registration.update(waitlisted=False, waitlisted_at=None, stage="waiting", updated_at=clock.now(),
                            updated_by=actor.login, version=Registration.version + 1) \
            .where(Registration.id == first.id).execute()
        audit.record(actor.login, "registration", first.id, "promoted", {"event": event.id})
        mail.queue_kind("registration_promoted", ("registration", first.id), [first.email], {
            "event": event.description, "name": first.name, "code": first.code, "starts_at": event.starts_at})
        notify(event.responsible_id, N_("A seat opened in {event}: {name} left the waiting list"),
               {"event": event.description, "name": first.name}, event.id)
        promoted.append(first.id)
    return promoted


# --------------------------------------------------------------------------- registering


def register(actor: Actor, event_id: int, data: RegistrationInput, *, source: str = "staff") -> RegisterResult:
    """Register a participant. Over capacity the registration goes to the
    waiting list and the responsible is notified; a registration to a main
    event is replicated to its secondary events."""
    require(actor, "registrations.add")
    if source not in SOURCES:
        source = "staff"
    fields = validate_input(data)
    with write_tx():
        event = event_row(event_id)
        check_open(event)
        check_unique(event.id, fields["email"])
        now = clock.now()
        reg = insert_registration(actor.login, event, fields, source, now, actor.login)
        replicas = replicate(actor.login, reg, event) if event.main_id is None else 0
        return RegisterResult(registration_info(reg), reg.waitlisted, replicas)


def check_open(event: Event) -> None:
    if event.stage not in REGISTRATION_OPEN_STAGES:
        raise ValidationError(_("Registrations are not open: the event is at stage {stage}").format(
            stage=stage_label(event.stage)), "event")


def check_unique(event_id: int, email: str, row: int | None = None) -> None:
    clash = Registration.get_or_none((Registration.event == event_id) & (Registration.email == email)
                                     & Registration.cancelled_at.is_null())
    if clash is not None:
        raise ValidationError(_("{email} is already registered in this event (code {code})").format(
            email=email, code=clash.code), "email")


def cancel_registration(actor: Actor, registration_id: int, version: int | None = None) -> list[int]:
    """Cancel a registration (and its replicas); the first on each waiting
    list takes the freed seat. Returns the ids promoted. With `version` (the
    one the person saw), a change by someone else since is refused, naming them."""
    require(actor, "registrations.manage")
    with write_tx():
        reg = registration_row(registration_id)
        event = Event.get_by_id(reg.event_id)
        require_change_row(actor, event)  # its responsible, or a supervisor/admin
        if version is not None and reg.version != version:
            raise _conflict(reg)
        if reg.cancelled_at is not None:
            raise ValidationError(_("This registration is already cancelled"), "registration")
        if event.stage in FINAL_STAGES:
            raise ValidationError(_("The event is {stage}; its registrations can no longer be cancelled").format(
                stage=stage_label(event.stage).lower()), "registration")
        now = clock.now()
        # replicas in secondary events already held or cancelled keep their history
        targets = [reg] + list(Registration.select().join(Event).where(
            (Registration.origin == reg.id) & Registration.cancelled_at.is_null()
            & Event.stage.not_in(FINAL_STAGES)))
        promoted: list[int] = []
        for r in targets:
            Registration.update(cancelled_at=now, updated_at=now, updated_by=actor.login,
                                version=Registration.version + 1).where(Registration.id == r.id).execute()
            audit.record(actor.login, "registration", r.id, "cancel", {"event": r.event_id})
            promoted += promote(actor, Event.get_by_id(r.event_id))
        return promoted


def set_stage(actor: Actor, registration_id: int, stage: str, version: int | None = None) -> RegistrationInfo:
    """Move a registration by hand (a correction by the responsible)."""
    require(actor, "registrations.manage")
    if stage not in REGISTRATION_STAGES:
        raise ValidationError(_("Unknown stage '{stage}'").format(stage=stage), "stage")
    with write_tx():
        reg = registration_row(registration_id)
        event = Event.get_by_id(reg.event_id)
        require_change_row(actor, event)
        if reg.cancelled_at is not None:
            raise ValidationError(_("This registration is cancelled"), "stage")
        if reg.waitlisted and stage != "new":
            raise ValidationError(_("This registration is on the waiting list; it gets a seat when one opens"),
                                  "stage")
        if version is not None and reg.version != version:
            raise _conflict(reg)
        now = clock.now()
        extra: dict[str, Any] = {}
        if stage in CAME_STAGES and reg.came_at is None:
            extra = {"came_at": now, "came_by": actor.login}
        if stage in ("new", "waiting", "no_show"):
            extra = {"came_at": None, "came_by": ""}
        n = (Registration.update(stage=stage, updated_at=now, updated_by=actor.login,
                                 version=Registration.version + 1, **extra)
             .where((Registration.id == reg.id) & (Registration.version == reg.version)).execute())
        if not n:
            raise _conflict(Registration.get_by_id(reg.id))
        audit.record(actor.login, "registration", reg.id, "stage", {"stage": [reg.stage, stage]})
        return registration_info(Registration.get_by_id(reg.id))


def _conflict(reg: Registration):
    return Conflict(_("{login} changed this registration in the meantime; look again").format(
        login=reg.updated_by or "?"))


def registration_row(registration_id: int) -> Registration:
    reg = Registration.get_or_none(Registration.id == registration_id)
    if reg is None:
        raise NotFound(_("No registration {id}").format(id=registration_id))
    return reg


# --------------------------------------------------------------------------- reading


def list_registrations(actor: Actor, event_id: int, include_cancelled: bool = False) -> list[RegistrationInfo]:
    """The event's registrations: seat holders by name, then the waiting list in order."""
    require(actor, "events.read")
    with reading():
        q = Registration.select().where(Registration.event == event_id)
        if not include_cancelled:
            q = q.where(Registration.cancelled_at.is_null())
        rows = list(q)
        positions = _positions(event_id)
    rows.sort(key=lambda r: (r.cancelled_at is not None, r.waitlisted, positions.get(r.id, 0), r.name_norm, r.id))
    return [registration_info(r, positions) for r in rows]


def get_registration(actor: Actor, registration_id: int) -> RegistrationInfo:
    require(actor, "events.read")
    with reading():
        return registration_info(registration_row(registration_id))


def find_by_code(actor: Actor, code: str) -> RegistrationInfo:
    require(actor, "events.read")
    wanted = normalize_code(code)
    with reading():
        reg = Registration.get_or_none(Registration.code == wanted) if wanted else None
        if reg is None:
            raise NotFound(_("No registration with code {code}").format(code=clean(code)[:40]))
        return registration_info(reg)


def mark_certificate_issued(registration_id: int, when: dt.datetime | None = None) -> None:
    """For the certificate issuer: this registration's certificate exists, so
    an erasure must keep the name and CPF it proves."""
    with write_tx():
        Registration.update(certificate_issued_at=when or clock.now()).where(
            Registration.id == registration_id).execute()


def update_cpf(actor: Actor, registration_id: int, cpf: str, version: int | None = None) -> RegistrationInfo:
    """Correct a participant's CPF (e.g. so the certificate can be issued: the
    worker's next sweep picks the registration up)."""
    require(actor, "registrations.add")
    number = validation.cpf(cpf, "cpf", required=True)
    with write_tx():
        reg = registration_row(registration_id)
        if version is not None and reg.version != version:
            raise _conflict(reg)
        now = clock.now()
        Registration.update(cpf=number, updated_at=now, updated_by=actor.login,
                            version=Registration.version + 1).where(Registration.id == reg.id).execute()
        audit.record(actor.login, "registration", reg.id, "cpf", {"changed": True})
        return registration_info(Registration.get_by_id(reg.id))
