"""Events: types, the coordinator's pipeline, readiness, the preparation task,
materials, closing, in-app notifications and the queries screens need.

Registrations (capacity, waiting list, check-in, online access) are in
`services.events.registrations`; CSV import in `services.events.imports`.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peewee import Case, fn

from models import User, reading, write_tx
from models.events import (
    EVENT_FORMATS,
    EVENT_STAGES,
    Event,
    EventMaterial,
    EventTask,
    EventTaskItem,
    EventType,
    Notification,
    Registration,
)
from services.core import clock, paths
from services.core import files as intake
from services.core import rows as rows_mod
from services.core.errors import AtendeError, Conflict, NotFound, PermissionDenied, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import LEADS, REPRESENTATIVE, Actor, can, require
from services.core.text import clean, fold
from services.core.validation import record_id
from services.store import audit

# --------------------------------------------------------------------------- vocabulary

STAGES = EVENT_STAGES
OPEN_STAGES = ("new", "preparation", "registration", "materials", "feedback")
FINAL_STAGES = ("held", "cancelled")
STAGE_LABELS = {
    "new": N_("New"),
    "preparation": N_("Preparation"),
    "registration": N_("Participant registration"),
    "materials": N_("Materials preparation"),
    "feedback": N_("Feedback"),
    "held": N_("Held"),
    "cancelled": N_("Cancelled"),
}
STAGE_SHORT = {
    "new": N_("New"), "preparation": N_("Preparation"), "registration": N_("Registration"),
    "materials": N_("Materials"), "feedback": N_("Feedback"), "held": N_("Held"),
    "cancelled": N_("Cancelled"),
}
# The help desk's own statuses (Aberto, Confirmado, Cancelado) mapped onto the stages.
STATUS_OF_STAGE = {
    "new": "open", "preparation": "open", "registration": "confirmed", "materials": "confirmed",
    "feedback": "confirmed", "held": "confirmed", "cancelled": "cancelled",
}
STATUS_LABELS = {"open": N_("Open event"), "confirmed": N_("Confirmed"), "cancelled": N_("Cancelled")}
FORMAT_LABELS = {"offline": N_("offline"), "online": N_("online"), "hybrid": N_("hybrid")}
REGISTRATION_OPEN_STAGES = ("registration", "materials")
"""Stages in which participants may register."""
CHECKIN_STAGES = ("registration", "materials", "feedback")

# What the readiness check demands of each format before registration opens.
REQUIRED_BY_FORMAT = {
    "online": ("access_link",),
    "offline": ("address", "seats"),
    "hybrid": ("access_link", "address", "seats"),
}
FIELD_LABELS = {
    "description": N_("Description"), "responsible": N_("Responsible"),
    "starts_at": N_("Start"), "ends_at": N_("End"), "type": N_("Type"),
    "client": N_("Client / location"), "access_link": N_("Online access link"),
    "address": N_("Address"), "seats": N_("Seats"), "public": N_("Public registration"),
    "workload_hours": N_("Workload (hours)"), "main": N_("Main event"),
}
INHERITED = ("type", "responsible", "client", "public", "seats")
"""Fields a secondary event takes from its main event (shown read-only)."""

MAX_SEATS = 100_000
MAX_WORKLOAD = 1_000
MAX_MATERIAL_BYTES = 50 * 1024 * 1024
FINAL_VISIBLE_DAYS = 90
"""The board shows held and cancelled events that ended at most this long ago."""


def stage_label(stage: str) -> str:
    return _(STAGE_LABELS.get(stage, stage))


def status_label(stage: str) -> str:
    return _(STATUS_LABELS[STATUS_OF_STAGE.get(stage, "open")])


def format_label(fmt: str) -> str:
    return _(FORMAT_LABELS.get(fmt, fmt))


def field_label(name: str) -> str:
    return _(FIELD_LABELS.get(name, name))


# --------------------------------------------------------------------------- errors


class NotReady(ValidationError):
    """The event lacks what its format needs before registration opens."""

    def __init__(self, missing: list[str], fmt: str):
        self.missing = list(missing)
        message = _("Not ready for registration ({format} event): missing {fields}").format(
            format=format_label(fmt), fields=", ".join(field_label(f) for f in missing))
        errors = {f: _("Required for {format} events before registration opens").format(format=format_label(fmt))
                  for f in missing}
        super().__init__(errors)
        self.args = (message,)

    @property
    def message(self) -> str:
        return str(self.args[0])


class StageError(AtendeError):
    """A stage move that the pipeline does not allow."""


def error_text(exc: BaseException) -> str:
    """What to show for a failure: an AtendeError's own message, or for
    anything unexpected, a line saying where the details were logged."""
    if isinstance(exc, AtendeError):
        return exc.message
    from services.core.logs import internal_error

    return internal_error(exc, "events")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class EventTypeInfo:
    id: int
    name: str
    format: str
    preparation: str
    checklist: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class EventInfo:
    id: int
    description: str
    responsible_id: int
    responsible_login: str
    responsible_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    type_id: int
    type_name: str
    format: str
    client: str
    access_link: str
    address: str
    seats: int | None
    public: bool
    workload_hours: float | None
    stage: str
    main_id: int | None
    main_description: str
    secondary_ids: tuple[int, ...]
    registered: int
    """Registrations holding a seat (not cancelled, not on the waiting list)."""
    waiting: int
    """Registrations on the waiting list."""
    came: int
    task_done: int
    task_total: int
    version: int
    updated_by: str
    updated_at: dt.datetime
    damaged: tuple[str, ...] = ()
    """Fields whose stored value could not be read (shown marked, never a crash)."""

    @property
    def status(self) -> str:
        return STATUS_OF_STAGE.get(self.stage, "open")

    @property
    def is_secondary(self) -> bool:
        return self.main_id is not None

    @property
    def free_seats(self) -> int | None:
        return None if self.seats is None else max(0, self.seats - self.registered)

    @property
    def is_final(self) -> bool:
        return self.stage in FINAL_STAGES

    def seats_text(self) -> str:
        text = f"{self.registered}/{self.seats}" if self.seats is not None else f"{self.registered}/∞"
        if self.waiting:
            text += " " + _("+{n} waiting").format(n=self.waiting)
        return text


@dataclass(frozen=True)
class EventInput:
    """What a form or a command gives to create or change an event. Dates may
    be datetimes or text as typed (DD/MM/YYYY HH:MM)."""

    description: str = ""
    responsible_id: int | None = None
    starts_at: str | dt.datetime = ""
    ends_at: str | dt.datetime = ""
    type_id: int | None = None
    client: str = ""
    access_link: str = ""
    address: str = ""
    seats: str | int | None = ""
    public: bool = False
    workload_hours: str | float | None = ""
    main_id: int | None = None

    @classmethod
    def from_event(cls, e: EventInfo) -> EventInput:
        return cls(description=e.description, responsible_id=e.responsible_id, starts_at=e.starts_at,
                   ends_at=e.ends_at, type_id=e.type_id, client=e.client, access_link=e.access_link,
                   address=e.address, seats=e.seats, public=e.public, workload_hours=e.workload_hours,
                   main_id=e.main_id)


@dataclass(frozen=True)
class TaskItemInfo:
    id: int
    position: int
    text: str
    done: bool
    done_at: dt.datetime | None
    done_by: str


@dataclass(frozen=True)
class TaskInfo:
    id: int
    event_id: int
    assignee_id: int
    assignee_name: str
    title: str
    preparation: str
    created_at: dt.datetime
    items: tuple[TaskItemInfo, ...]

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.done)


@dataclass(frozen=True)
class MaterialInfo:
    id: int
    event_id: int
    filename: str
    path: str
    size: int
    added_at: dt.datetime
    added_by: str


@dataclass(frozen=True)
class NotificationInfo:
    id: int
    text: str
    event_id: int | None
    created_at: dt.datetime
    read: bool


@dataclass(frozen=True)
class CloseReport:
    waiting_materials: int = 0
    did_not_come: int = 0


@dataclass(frozen=True)
class MoveResult:
    event: EventInfo
    task_created: bool = False
    closed: CloseReport | None = None
    mailed: int = 0


@dataclass(frozen=True)
class StaffOption:
    id: int
    name: str
    login: str


# --------------------------------------------------------------------------- integration points


def _queue_mail(kind: str, about: tuple[str, Any], recipients: Iterable[str],
                context: dict[str, Any] | None = None) -> int:
    """Queue e-mail `kind` about (entity, id) to `recipients` through the outbox,
    inside the caller's transaction (see `services.events.mail`); return how many."""
    if not any(r for r in recipients):
        return 0
    from services.events.mail import queue_legacy

    return queue_legacy(kind, about, list(recipients), context)


def _notify(user_id: int, text: str, event_id: int | None = None) -> None:
    """An in-app notification for one person, inside the caller's transaction."""
    Notification.create(user=user_id, text=text, event=event_id, created_at=clock.now())


# --------------------------------------------------------------------------- parsing


_DATETIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                     "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %Hh%M", "%d/%m/%Y %H")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def parse_datetime(value: str | dt.datetime | None, field_name: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(second=0, microsecond=0)
    text = clean(value or "")
    if not text:
        raise ValidationError(_("Date and time are required"), field_name)
    for fmt in _DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValidationError(_("Invalid date and time: use DD/MM/YYYY HH:MM"), field_name)


def format_datetime(value: dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def _parse_seats(value) -> int | None:
    if value is None:
        return None
    text = clean(str(value))
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise ValidationError(_("Enter a whole number"), "seats") from None
    if number <= 0:
        raise ValidationError(_("Seats must be greater than zero"), "seats")
    if number > MAX_SEATS:
        raise ValidationError(_("Must be at most {n}").format(n=MAX_SEATS), "seats")
    return number


def _parse_workload(value) -> float | None:
    if value is None:
        return None
    text = clean(str(value)).replace(",", ".").removesuffix("h").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValidationError(_("Enter a number of hours, such as 4 or 1,5"), "workload_hours") from None
    if not number > 0:
        raise ValidationError(_("Must be greater than zero"), "workload_hours")
    if number > MAX_WORKLOAD:
        raise ValidationError(_("Must be at most {n}").format(n=MAX_WORKLOAD), "workload_hours")
    return round(number, 2)


def _collect(errors: dict[str, str], fn_, *args):
    try:
        return fn_(*args)
    except ValidationError as exc:
        errors.update(exc.errors)
        return None


def _text(value: str, field_name: str, max_len: int, required: bool = False) -> str:
    text = clean(value or "")
    if required and not text:
        raise ValidationError(_("This field is required"), field_name)
    if len(text) > max_len:
        raise ValidationError(_("Too long: at most {n} characters").format(n=max_len), field_name)
    return text


def _link(value: str) -> str:
    text = clean(value or "")
    if not text:
        return ""
    if len(text) > 500:
        raise ValidationError(_("Too long: at most {n} characters").format(n=500), "access_link")
    if not _URL.match(text):
        raise ValidationError(_("Enter a link starting with https://"), "access_link")
    return text


def _parse_input(data: EventInput, main: Event | None) -> dict[str, Any]:
    """Validated column values for an event; every field's error at once."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    description = _collect(errors, _text, data.description, "description", 200)
    if description == "" and main is not None:
        description = main.description
    elif description == "" and "description" not in errors:
        errors["description"] = _("Description is required")
    values["description"] = description
    starts = _collect(errors, parse_datetime, data.starts_at, "starts_at")
    ends = _collect(errors, parse_datetime, data.ends_at, "ends_at")
    if starts and ends and ends <= starts:
        errors["ends_at"] = _("The end must be after the start")
    values["starts_at"], values["ends_at"] = starts, ends
    values["access_link"] = _collect(errors, _link, data.access_link)
    values["address"] = _collect(errors, _text, data.address, "address", 300)
    values["workload_hours"] = _collect(errors, _parse_workload, data.workload_hours)
    if main is not None:
        values.update(type=main.type_id, responsible=main.responsible_id, client=main.client,
                      public=main.public, seats=main.seats, main=main.id)
    else:
        values["client"] = _collect(errors, _text, data.client, "client", 200)
        values["public"] = bool(data.public)
        values["seats"] = _collect(errors, _parse_seats, data.seats)
        values["main"] = None
        if not data.type_id:
            errors["type"] = _("Choose the event type")
        else:
            t = EventType.get_or_none(EventType.id == data.type_id)
            if t is None:
                errors["type"] = _("No event type with id {id}").format(id=data.type_id)
            values["type"] = data.type_id
        if not data.responsible_id:
            errors["responsible"] = _("Choose the responsible consultant")
        else:
            u = User.get_or_none(User.id == data.responsible_id)
            if u is None or not u.active or u.role == REPRESENTATIVE:
                errors["responsible"] = _("The responsible must be an active member of staff")
            values["responsible"] = data.responsible_id
    if errors:
        raise ValidationError(errors)
    return values


# --------------------------------------------------------------------------- reading


def _type_info(t: EventType) -> EventTypeInfo:
    try:
        checklist = tuple(str(x) for x in json.loads(t.checklist or "[]"))
    except (ValueError, TypeError):
        checklist = ()
    return EventTypeInfo(t.id, t.name, t.format, t.preparation, checklist, t.active)


def _counts(event_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """{event id: (holding a seat, waiting list, came)} for active registrations."""
    if not event_ids:
        return {}
    seat = fn.SUM(Case(None, ((Registration.waitlisted == False, 1),), 0))  # noqa: E712
    waiting = fn.SUM(Case(None, ((Registration.waitlisted == True, 1),), 0))  # noqa: E712
    came = fn.SUM(Case(None, ((Registration.stage.in_(("came", "materials", "processed")), 1),), 0))
    out: dict[int, tuple[int, int, int]] = {}
    for chunk in _chunks(event_ids, 500):
        q = (Registration.select(Registration.event, seat.alias("seat"), waiting.alias("waiting"), came.alias("came"))
             .where(Registration.event.in_(chunk) & Registration.cancelled_at.is_null())
             .group_by(Registration.event).tuples())
        for event_id, s, w, c in q:
            out[event_id] = (int(s or 0), int(w or 0), int(c or 0))
    return out


def _task_progress(event_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not event_ids:
        return {}
    done = fn.SUM(Case(None, ((EventTaskItem.done_at.is_null(False), 1),), 0))
    out = {}
    for chunk in _chunks(event_ids, 500):
        q = (EventTaskItem.select(EventTask.event, done, fn.COUNT(EventTaskItem.id))
             .join(EventTask).where(EventTask.event.in_(chunk)).group_by(EventTask.event).tuples())
        for event_id, d, total in q:
            out[event_id] = (int(d or 0), int(total or 0))
    return out


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _infos(rows: list[Event]) -> list[EventInfo]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    counts = _counts(ids)
    progress = _task_progress(ids)
    user_ids = {r.responsible_id for r in rows}
    people = {u.id: u for u in User.select(User.id, User.name, User.login).where(User.id.in_(list(user_ids)))}
    types = {t.id: t for t in EventType.select()}
    main_ids = {r.main_id for r in rows if r.main_id}
    mains = {e.id: e.description
             for e in Event.select(Event.id, Event.description).where(Event.id.in_(list(main_ids)))} \
        if main_ids else {}
    secondaries: dict[int, list[int]] = {}
    for sid, mid in (Event.select(Event.id, Event.main).where(Event.main.in_(ids)).order_by(Event.starts_at, Event.id)
                     .tuples()):
        secondaries.setdefault(mid, []).append(sid)
    out = []
    for r in rows:
        person = people.get(r.responsible_id)
        t = types.get(r.type_id)
        seat, waiting, came = counts.get(r.id, (0, 0, 0))
        done, total = progress.get(r.id, (0, 0))
        bad = rows_mod.Damage()  # a value another program broke: shown marked, never a crash
        starts_at = bad.datetime(r.starts_at, "starts_at")
        out.append(EventInfo(
            id=r.id, description=bad.text(r.description, "description"), responsible_id=r.responsible_id,
            responsible_login=person.login if person else "", responsible_name=person.name if person else "",
            starts_at=starts_at, ends_at=bad.datetime(r.ends_at, "ends_at") if r.ends_at is not None else starts_at,
            type_id=r.type_id, type_name=t.name if t else "",
            format=t.format if t else "offline", client=r.client or "", access_link=r.access_link or "",
            address=r.address or "", seats=bad.integer(r.seats, "seats", optional=True), public=bool(r.public),
            workload_hours=bad.number(r.workload_hours, "workload_hours"),
            stage=bad.choice(r.stage, "stage", STAGES, "new"), main_id=r.main_id,
            main_description=mains.get(r.main_id, ""),
            secondary_ids=tuple(secondaries.get(r.id, ())), registered=seat, waiting=waiting, came=came,
            task_done=done, task_total=total, version=bad.integer(r.version, "version", default=1),
            updated_by=r.updated_by or "", updated_at=bad.datetime(r.updated_at, "updated_at"),
            damaged=bad.result(),
        ))
    return out


def _row(event_id: int | str) -> Event:
    number = record_id(event_id)  # an id the store cannot hold is no event's (never an OverflowError)
    row = Event.get_or_none(Event.id == number) if number is not None else None
    if row is None:
        raise NotFound(_("No event {id}").format(id=event_id))
    return row


def get_event(actor: Actor, event_id: int) -> EventInfo:
    require(actor, "events.read")
    with reading():
        return _infos([_row(event_id)])[0]


def list_events(actor: Actor, *, stage: str | None = None, mine: bool = False, search: str = "",
                include_old: bool = False, limit: int = 5000) -> list[EventInfo]:
    """Events by start date. Held and cancelled events that ended long ago
    are left out unless `include_old`."""
    require(actor, "events.read")
    q = Event.select().order_by(Event.starts_at, Event.id).limit(limit)
    if stage:
        q = q.where(Event.stage == stage)
    if mine:
        q = q.where(Event.responsible == actor.id)
    if not include_old:
        cutoff = clock.now() - dt.timedelta(days=FINAL_VISIBLE_DAYS)
        q = q.where(Event.stage.not_in(FINAL_STAGES) | (Event.ends_at >= cutoff))
    with reading():
        rows = list(q)
        if search:
            needle = fold(clean(search))
            rows = [r for r in rows if needle in fold(r.description) or needle in fold(r.client) or needle == str(r.id)]
        return _infos(rows)


def upcoming_public_events_with_seats(actor: Actor, limit: int = 5) -> list[EventInfo]:
    """Public events open for registration, not started yet, with free seats
    (for the service desk to offer to the customer on the line)."""
    require(actor, "events.read")
    now = clock.now()
    with reading():
        rows = list(Event.select().where(
            (Event.public == True) & Event.stage.in_(REGISTRATION_OPEN_STAGES)  # noqa: E712
            & (Event.starts_at > now) & Event.main.is_null()
        ).order_by(Event.starts_at, Event.id).limit(max(limit * 4, 20)))
        infos = [e for e in _infos(rows) if e.free_seats is None or e.free_seats > 0]
    return infos[:limit]


def list_types(actor: Actor, include_inactive: bool = False) -> list[EventTypeInfo]:
    require(actor, "events.read")
    with reading():
        q = EventType.select().order_by(EventType.name)
        if not include_inactive:
            q = q.where(EventType.active == True)  # noqa: E712
        return [_type_info(t) for t in q]


def staff_options(actor: Actor) -> list[StaffOption]:
    """People who may be responsible for an event."""
    require(actor, "events.read")
    with reading():
        q = (User.select().where((User.active == True) & (User.role != REPRESENTATIVE))  # noqa: E712
             .order_by(User.name))
        return [StaffOption(u.id, u.name, u.login) for u in q]


def main_event_options(actor: Actor, exclude: int | None = None) -> list[EventInfo]:
    """Events that may be the main event of a secondary one."""
    require(actor, "events.read")
    with reading():
        q = Event.select().where(Event.main.is_null() & Event.stage.in_(OPEN_STAGES)).order_by(Event.starts_at)
        if exclude:
            q = q.where(Event.id != exclude)
        return _infos(list(q))


# --------------------------------------------------------------------------- event types


def save_type(actor: Actor, name: str, format: str, preparation: str = "",
              checklist: Iterable[str] = (), type_id: int | None = None, active: bool = True) -> EventTypeInfo:
    """Create (or change) an event type; its checklist becomes each new
    event's preparation task, so a new type needs no code."""
    require(actor, "events.types")
    errors = {}
    name_ = _collect(errors, _text, name, "name", 120, True)
    if format not in EVENT_FORMATS:
        errors["format"] = _("Format must be one of: {formats}").format(formats=", ".join(EVENT_FORMATS))
    items = [clean(c) for c in checklist if clean(c)]
    if any(len(c) > 300 for c in items):
        errors["checklist"] = _("Too long: at most {n} characters").format(n=300)
    preparation_ = clean(preparation, multiline=True)
    if errors:
        raise ValidationError(errors)
    with write_tx():
        clash = EventType.get_or_none(EventType.name == name_)
        if clash and clash.id != type_id:
            raise ValidationError(_("There is already a type named {name}").format(name=name_), "name")
        fields = dict(name=name_, format=format, preparation=preparation_,
                      checklist=json.dumps(items, ensure_ascii=False), active=active)
        if type_id:
            if not EventType.update(**fields).where(EventType.id == type_id).execute():
                raise NotFound(_("No event type {id}").format(id=type_id))
            t = EventType.get_by_id(type_id)
            audit.record(actor.login, "event_type", t.id, "update", fields)
        else:
            t = EventType.create(**fields)
            audit.record(actor.login, "event_type", t.id, "create", fields)
        return _type_info(t)


# --------------------------------------------------------------------------- who may change


def may_change(actor: Actor, event: EventInfo) -> bool:
    """Whether `actor` may change `event` (the responsible, or a supervisor/admin)."""
    return can(actor, "events.edit") and (actor.role in LEADS or actor.id == event.responsible_id)


def require_change(actor: Actor, event_id: int | str) -> None:
    """PermissionDenied unless `actor` may change event `event_id` (its
    responsible, or a supervisor/admin); NotFound when there is no such event.
    The rule of everything done to an event: registrations cancelled or
    imported, certificates issued, its e-mails sent again."""
    require(actor, "events.edit")
    with reading():
        _require_change(actor, _row(event_id))


def _require_change(actor: Actor, row: Event) -> None:
    require(actor, "events.edit")
    if actor.role in LEADS or actor.id == row.responsible_id:
        return
    owner = User.get_or_none(User.id == row.responsible_id)
    raise PermissionDenied(_("Only the responsible consultant ({name}) or a supervisor may change this event").format(
        name=owner.name if owner else "?"))


def _check_version(row: Event, version: int | None) -> None:
    if version is not None and row.version != version:
        raise Conflict(_("{login} changed this event in the meantime; reopen it to see their changes").format(
            login=row.updated_by or "?"))


# --------------------------------------------------------------------------- create and change


def _snapshot(row: Event) -> dict[str, Any]:
    return {k: getattr(row, k if k not in ("type", "responsible", "main") else f"{k}_id")
            for k in ("description", "responsible", "starts_at", "ends_at", "type", "client",
                      "access_link", "address", "seats", "public", "workload_hours", "main", "stage")}


def create_event(actor: Actor, data: EventInput) -> EventInfo:
    require(actor, "events.create")
    with write_tx():
        main = None
        if data.main_id:
            main = _main_for(data.main_id, None)
        values = _parse_input(data, main)
        now = clock.now()
        row = Event.create(stage="new", created_at=now, created_by=actor.login, updated_at=now,
                           updated_by=actor.login, version=1, **values)
        audit.record(actor.login, "event", row.id, "create", _snapshot(row))
        if main is not None:
            from services.events.registrations import _replicate_existing

            _replicate_existing(actor, main, row)
        return _infos([row])[0]


def _main_for(main_id: int, event_id: int | None) -> Event:
    main = Event.get_or_none(Event.id == main_id)
    if main is None:
        raise ValidationError(_("No event {id}").format(id=main_id), "main")
    if main.id == event_id:
        raise ValidationError(_("An event cannot be its own main event"), "main")
    if main.main_id is not None:
        raise ValidationError(_("Event {id} is itself a secondary event; choose its main event").format(id=main.id),
                              "main")
    if event_id is not None and Event.select().where(Event.main == event_id).exists():
        raise ValidationError(_("This event has secondary events, so it cannot become secondary"), "main")
    if main.stage in FINAL_STAGES:
        raise ValidationError(_("The main event is {stage}").format(stage=stage_label(main.stage).lower()), "main")
    return main


def update_event(actor: Actor, event_id: int, data: EventInput, version: int | None = None) -> EventInfo:
    """Change an event (optimistically: `version` is the one the person saw).
    Inherited fields of a secondary come from its main; a main's changes
    reach its secondaries in the same transaction."""
    with write_tx():
        row = _row(event_id)
        _require_change(actor, row)
        _check_version(row, version)
        if row.stage in FINAL_STAGES:
            raise StageError(_("This event is {stage}; it can no longer be changed").format(
                stage=stage_label(row.stage).lower()))
        main = None
        if data.main_id != row.main_id:
            if Registration.select().where(Registration.event == row.id).exists():
                raise ValidationError(_("The main event cannot change once there are registrations"), "main")
        if data.main_id:
            main = _main_for(data.main_id, row.id)
        values = _parse_input(data, main)
        before = _snapshot(row)
        if row.stage not in ("new", "preparation"):
            _check_ready(row.stage, EventType.get_by_id(values["type"]).format, values)
        now = clock.now()
        n = (Event.update(updated_at=now, updated_by=actor.login, version=Event.version + 1, **values)
             .where((Event.id == row.id) & (Event.version == row.version)).execute())
        if not n:
            raise Conflict(_("{login} changed this event in the meantime; reopen it to see their changes").format(
                login=Event.get_by_id(row.id).updated_by))
        row = Event.get_by_id(row.id)
        audit.record(actor.login, "event", row.id, "update", audit.diff(before, _snapshot(row)))
        touched = [row]
        inherited = {k: values[k] for k in INHERITED}
        for sec in Event.select().where(Event.main == row.id):
            sec_before = _snapshot(sec)
            Event.update(updated_at=now, updated_by=actor.login, version=Event.version + 1, **inherited) \
                .where(Event.id == sec.id).execute()
            sec = Event.get_by_id(sec.id)
            changes = audit.diff(sec_before, _snapshot(sec))
            if changes:
                audit.record(actor.login, "event", sec.id, "inherit", changes)
            touched.append(sec)
        if row.responsible_id != before["responsible"]:
            _notify(row.responsible_id, _("You are now responsible for the event: {event}").format(
                event=row.description), row.id)
            task = EventTask.get_or_none(EventTask.event == row.id)
            if task is not None:
                EventTask.update(assignee=row.responsible_id).where(EventTask.id == task.id).execute()
        from services.events.registrations import _promote

        for ev in touched:
            _promote(actor, ev)
        return _infos([row])[0]


# --------------------------------------------------------------------------- readiness


def missing_for_registration(fmt: str, values: dict[str, Any]) -> list[str]:
    """Fields the format requires that are empty."""
    return [f for f in REQUIRED_BY_FORMAT.get(fmt, ()) if values.get(f) in (None, "", 0)]


def _check_ready(stage: str, fmt: str, values: dict[str, Any]) -> None:
    missing = missing_for_registration(fmt, values)
    if missing:
        raise NotReady(missing, fmt)


def readiness(actor: Actor, event_id: int) -> list[str]:
    """What is missing before this event may open registration (empty: ready)."""
    event = get_event(actor, event_id)
    return missing_for_registration(event.format, {
        "access_link": event.access_link, "address": event.address, "seats": event.seats})


# --------------------------------------------------------------------------- the pipeline


def allowed_moves(stage: str) -> tuple[str, ...]:
    """Stages an event in `stage` may move to: one step forward, any step
    back, or cancelled. Held and cancelled are final."""
    if stage in FINAL_STAGES:
        return ()
    i = OPEN_STAGES.index(stage)
    forward = (OPEN_STAGES[i + 1],) if i + 1 < len(OPEN_STAGES) else ("held",)
    return forward + tuple(reversed(OPEN_STAGES[:i])) + ("cancelled",)


def next_stage(stage: str) -> str | None:
    moves = allowed_moves(stage)
    return moves[0] if moves else None


def previous_stage(stage: str) -> str | None:
    if stage in FINAL_STAGES or stage == "new":
        return None
    return OPEN_STAGES[OPEN_STAGES.index(stage) - 1]


def move_event(actor: Actor, event_id: int, to: str, version: int | None = None,
               send_mail: bool = True, from_stage: str | None = None) -> MoveResult:
    """Move an event to stage `to`, applying the pipeline's rules:

    - entering Preparation creates the preparation task once;
    - entering Participant registration runs the readiness check (refused:
      the event stays where it was, with what is missing);
    - entering Held closes the registrations;
    - becoming Confirmed or Cancelled e-mails the participants (`send_mail`).

    `from_stage` is the stage the person saw: if someone moved the event
    since, nothing happens and Conflict says who (`version` is stricter:
    any change refuses).
    """
    if to not in STAGES:
        raise ValidationError(_("Unknown stage '{stage}'").format(stage=to), "stage")
    with write_tx():
        row = _row(event_id)
        _require_change(actor, row)
        _check_version(row, version)
        frm = row.stage
        if from_stage is not None and from_stage != frm:
            raise Conflict(_("{login} moved this event to {stage} in the meantime").format(
                login=row.updated_by or "?", stage=stage_label(frm)))
        if to == frm:
            return MoveResult(_infos([row])[0])
        if frm in FINAL_STAGES:
            raise StageError(_("This event is {stage}; it can no longer move").format(stage=stage_label(frm).lower()))
        if to not in allowed_moves(frm):
            raise StageError(_("An event moves one stage forward at a time: from {frm} it can go to {to}").format(
                frm=stage_label(frm), to=stage_label(allowed_moves(frm)[0])))
        t = EventType.get_by_id(row.type_id)
        if to == "registration":
            _check_ready(to, t.format, {"access_link": row.access_link, "address": row.address, "seats": row.seats})
        task_created = False
        if to == "preparation":
            task_created = _ensure_task(actor, row, t)
        now = clock.now()
        n = (Event.update(stage=to, updated_at=now, updated_by=actor.login, version=Event.version + 1)
             .where((Event.id == row.id) & (Event.version == row.version)).execute())
        if not n:
            raise Conflict(_("{login} changed this event in the meantime; reopen it to see their changes").format(
                login=Event.get_by_id(row.id).updated_by))
        audit.record(actor.login, "event", row.id, "stage", {"stage": [frm, to]})
        closed = _close(actor, row) if to == "held" else None
        mailed = 0
        row = Event.get_by_id(row.id)
        if send_mail and STATUS_OF_STAGE[to] != STATUS_OF_STAGE[frm] and to in ("registration", "cancelled"):
            status = STATUS_OF_STAGE[to]
            mailed = _mail_participants(row, "event_confirmed" if to == "registration" else "event_cancelled",
                                        lambda reg: f"event:{row.id}:status:{status}:v{row.version}:reg:{reg.id}")
        return MoveResult(_infos([row])[0], task_created, closed, mailed)


def _mail_participants(row: Event, kind: str, key_of=None) -> int:
    """One e-mail per active registration, in the caller's transaction."""
    from services.events.mail import mail_participants

    if key_of is None:
        stamp = clock.now().isoformat()
        key_of = lambda reg: f"event:{row.id}:{kind}:{stamp}:reg:{reg.id}"  # noqa: E731
    return mail_participants(row, kind, key_of)


def resend_mail(actor: Actor, event_id: int) -> int:
    """E-mail every participant the event's current status and details again."""
    with write_tx():
        row = _row(event_id)
        _require_change(actor, row)
        kind = {"open": "event_details", "confirmed": "event_confirmed", "cancelled": "event_cancelled"}[
            STATUS_OF_STAGE[row.stage]]
        n = _mail_participants(row, kind)
        audit.record(actor.login, "event", row.id, "resend_mail", {"recipients": n})
        return n


# --------------------------------------------------------------------------- preparation task


def _ensure_task(actor: Actor, row: Event, t: EventType) -> bool:
    """Create the event's preparation task unless it exists; True if created."""
    if EventTask.select().where(EventTask.event == row.id).exists():
        return False
    info = _type_info(t)
    task = EventTask.create(
        event=row.id, assignee=row.responsible_id, created_at=clock.now(),
        title=_("Prepare: {event}").format(event=row.description), preparation=info.preparation)
    for i, text in enumerate(info.checklist):
        EventTaskItem.create(task=task.id, position=i, text=text[:300])
    audit.record(actor.login, "event", row.id, "task_created", {"items": len(info.checklist)})
    if actor.id != row.responsible_id:  # the responsible who moved it knows already
        _notify(row.responsible_id, _("Preparation task for {event} ({n} items)").format(
            event=row.description, n=len(info.checklist)), row.id)
    return True


def _task_info(task: EventTask) -> TaskInfo:
    assignee = User.get_or_none(User.id == task.assignee_id)
    items = tuple(TaskItemInfo(i.id, i.position, i.text, i.done_at is not None, i.done_at, i.done_by)
                  for i in EventTaskItem.select().where(EventTaskItem.task == task.id).order_by(EventTaskItem.position))
    return TaskInfo(task.id, task.event_id, task.assignee_id, assignee.name if assignee else "", task.title,
                    task.preparation, task.created_at, items)


def get_task(actor: Actor, event_id: int) -> TaskInfo | None:
    require(actor, "events.read")
    with reading():
        task = EventTask.get_or_none(EventTask.event == event_id)
        return _task_info(task) if task else None


def toggle_task_item(actor: Actor, item_id: int) -> TaskInfo:
    with write_tx():
        item = EventTaskItem.get_or_none(EventTaskItem.id == item_id)
        if item is None:
            raise NotFound(_("No checklist item {id}").format(id=item_id))
        task = EventTask.get_by_id(item.task_id)
        _require_change(actor, _row(task.event_id))
        done = item.done_at is None
        EventTaskItem.update(done_at=clock.now() if done else None, done_by=actor.login if done else "") \
            .where(EventTaskItem.id == item.id).execute()
        audit.record(actor.login, "event", task.event_id, "checklist", {"item": item.text, "done": done})
        return _task_info(task)


# --------------------------------------------------------------------------- closing and materials


def _close(actor: Actor, row: Event) -> CloseReport:
    """Held: those who came wait for materials; everyone else did not come."""
    now = clock.now()
    active = (Registration.event == row.id) & Registration.cancelled_at.is_null()
    to_materials = (Registration.update(stage="materials", updated_at=now, updated_by=actor.login,
                                        version=Registration.version + 1)
                    .where(active & (Registration.stage == "came")).execute())
    no_show = (Registration.update(stage="no_show", updated_at=now, updated_by=actor.login,
                                   version=Registration.version + 1)
               .where(active & Registration.stage.in_(("new", "waiting"))).execute())
    audit.record(actor.login, "event", row.id, "close", {"waiting_materials": to_materials, "did_not_come": no_show})
    return CloseReport(to_materials, no_show)


WORKER = Actor("worker", "Atende worker", "admin")
"""Who the worker's automatic changes are recorded as."""


def close_ended(now: dt.datetime, after: dt.timedelta | None = None) -> int:
    """Close as Held the events that ran (registration opened) and ended `after`
    ago (the `events.autoclose_hours` parameter; 0 never closes): the same
    closing as a person's, recorded as the worker, and the responsible is told.
    Events that never opened registrations are left for their responsible."""
    if after is None:
        from services.store import settings

        hours = settings.get_int("events.autoclose_hours")
        if hours <= 0:
            return 0
        after = dt.timedelta(hours=hours)
    with reading():
        due = [e.id for e in Event.select(Event.id).where(
            Event.stage.in_(CHECKIN_STAGES) & (Event.ends_at <= now - after)).order_by(Event.id)]
    n = 0
    for event_id in due:
        with write_tx():
            row = Event.get_or_none(Event.id == event_id)
            if row is None or row.stage not in CHECKIN_STAGES:
                continue  # someone moved it meanwhile
            frm = row.stage
            changed = (Event.update(stage="held", updated_at=now, updated_by=WORKER.login,
                                    version=Event.version + 1)
                       .where((Event.id == row.id) & (Event.version == row.version)).execute())
            if not changed:
                continue
            audit.record(WORKER.login, "event", row.id, "stage", {"stage": [frm, "held"], "automatic": True})
            report = _close(WORKER, row)
            _notify(row.responsible_id, _(
                "{event} ended and was closed as held: {came} waiting for materials, {absent} did not come").format(
                event=row.description, came=report.waiting_materials, absent=report.did_not_come), row.id)
            n += 1
    return n


def _files_root() -> Path:
    from models.db import sqlite_path

    db_file = sqlite_path()
    return paths.files_dir(db_file) if db_file else paths.user_data_dir() / "files"


def _material_info(m: EventMaterial) -> MaterialInfo:
    return MaterialInfo(m.id, m.event_id, m.filename, m.stored_path, m.size, m.added_at, m.added_by)


def list_materials(actor: Actor, event_id: int) -> list[MaterialInfo]:
    require(actor, "events.read")
    with reading():
        return [_material_info(m) for m in
                EventMaterial.select().where(EventMaterial.event == event_id).order_by(EventMaterial.id)]


def attach_material(actor: Actor, event_id: int, source: str | Path) -> MaterialInfo:
    """Copy a file into the event's materials (sent after the event is held):
    a regular file of at most MAX_MATERIAL_BYTES (services.core.files)."""
    with reading():
        _require_change(actor, _row(event_id))
    picked = intake.check(source, "path", MAX_MATERIAL_BYTES)
    dest: Path | None = None
    try:
        with write_tx():
            row = _row(event_id)
            _require_change(actor, row)
            if row.stage == "cancelled":
                raise StageError(_("This event is cancelled"))
            n = EventMaterial.select().where(EventMaterial.event == row.id).count() + 1
            copied = intake.copy_into(source, _files_root() / "events" / str(row.id), field="path",
                                      limit=MAX_MATERIAL_BYTES, name=f"{n:03d}-{picked.name}")
            dest = copied.path
            m = EventMaterial.create(event=row.id, filename=picked.name, stored_path=str(dest), size=copied.size,
                                     added_at=clock.now(), added_by=actor.login)
            audit.record(actor.login, "event", row.id, "material_added", {"file": picked.name, "size": copied.size})
            return _material_info(m)
    except BaseException:
        if dest is not None:  # not saved: no file without its row
            dest.unlink(missing_ok=True)
        raise


def send_materials(actor: Actor, event_id: int) -> int:
    """Send the materials to everyone waiting for them; they become Processed.
    Returns how many registrations were processed."""
    with write_tx():
        row = _row(event_id)
        _require_change(actor, row)
        if row.stage != "held":
            raise StageError(_("Materials go out once the event is held"))
        materials = list(EventMaterial.select().where(EventMaterial.event == row.id))
        if not materials:
            raise ValidationError(_("Attach the materials first"), "path")
        waiting = list(Registration.select().where(
            (Registration.event == row.id) & Registration.cancelled_at.is_null() & (Registration.stage == "materials")))
        files = [m.stored_path for m in materials]
        now = clock.now()
        for reg in waiting:
            _queue_mail("event_materials", ("registration", reg.id), [reg.email],
                        {"event": row.description, "name": reg.name, "attachments": files})
        if waiting:
            Registration.update(stage="processed", updated_at=now, updated_by=actor.login,
                                version=Registration.version + 1) \
                .where(Registration.id.in_([r.id for r in waiting])).execute()
        audit.record(actor.login, "event", row.id, "materials_sent", {"registrations": len(waiting)})
        return len(waiting)


# --------------------------------------------------------------------------- notifications


def notifications(actor: Actor, unread_only: bool = True, limit: int = 50) -> list[NotificationInfo]:
    if actor.id is None:
        return []
    with reading():
        q = Notification.select().where(Notification.user == actor.id).order_by(Notification.id.desc()).limit(limit)
        if unread_only:
            q = q.where(Notification.read_at.is_null())
        return [NotificationInfo(n.id, n.text, n.event_id, n.created_at, n.read_at is not None) for n in q]


def unread_count(actor: Actor) -> int:
    if actor.id is None:
        return 0
    with reading():
        return Notification.select().where((Notification.user == actor.id) & Notification.read_at.is_null()).count()


def mark_read(actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark `actor`'s notifications read (all of them when `ids` is None)."""
    if actor.id is None:
        return 0
    with write_tx():
        q = Notification.update(read_at=clock.now()).where(
            (Notification.user == actor.id) & Notification.read_at.is_null())
        if ids is not None:
            q = q.where(Notification.id.in_(list(ids)))
        return q.execute()


# --------------------------------------------------------------------------- the desk's shortcut


def register(actor: Actor, event_id: int, data, **kwargs):
    """Register a participant (see `services.events.registrations.register`)."""
    from services.events.registrations import register as _register

    return _register(actor, event_id, data, **kwargs)

