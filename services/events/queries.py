"""Reading events: `EventInfo` (an event as screens show it, with its counts
of registrations and preparation progress), one event, the board's list, the
events the desk may offer, and the choices the event form needs."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import Case, fn

from models import User, reading
from models.events import Event, EventTask, EventTaskItem, EventType, Registration
from services.core import clock
from services.core import rows as rows_mod
from services.core.errors import NotFound
from services.core.i18n import _
from services.core.permissions import REPRESENTATIVE, Actor, require
from services.core.text import clean, fold
from services.core.validation import record_id
from services.events.stages import FINAL_STAGES, OPEN_STAGES, REGISTRATION_OPEN_STAGES, STAGES, event_status

FINAL_VISIBLE_DAYS = 90
"""The board shows held and cancelled events that ended at most this long ago."""


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
    own_status: str = "open"

    @property
    def status(self) -> str:
        """Open, confirmed or cancelled (see stages.STATUSES)."""
        return event_status(self.stage, self.own_status)

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
class StaffOption:
    id: int
    name: str
    login: str


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


def event_infos(rows: list[Event]) -> list[EventInfo]:
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
            damaged=bad.result(), own_status=r.status or "open",
        ))
    return out


def event_row(event_id: int | str) -> Event:
    number = record_id(event_id)  # an id the store cannot hold is no event's (never an OverflowError)
    row = Event.get_or_none(Event.id == number) if number is not None else None
    if row is None:
        raise NotFound(_("No event {id}").format(id=event_id))
    return row


def get_event(actor: Actor, event_id: int) -> EventInfo:
    require(actor, "events.read")
    with reading():
        return event_infos([event_row(event_id)])[0]


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
        return event_infos(rows)


def upcoming_public_events_with_seats(actor: Actor, limit: int = 5, *, for_email: str = "") -> list[EventInfo]:
    """Public events open for registration, not started yet, with free seats
    (for the service desk to offer to the customer on the line), leaving out
    those `for_email` is already registered in."""
    from services.core import validation
    from services.core.errors import ValidationError

    require(actor, "events.read")
    now = clock.now()
    try:
        email = validation.email(for_email, "email") if for_email else ""
    except ValidationError:
        email = ""
    with reading():
        q = Event.select().where(
            (Event.public == True) & Event.stage.in_(REGISTRATION_OPEN_STAGES)  # noqa: E712
            & (Event.starts_at > now) & Event.main.is_null())
        if email:
            q = q.where(Event.id.not_in(Registration.select(Registration.event).where(
                (fn.LOWER(Registration.email) == email.lower()) & Registration.cancelled_at.is_null())))
        rows = list(q.order_by(Event.starts_at, Event.id).limit(max(limit * 4, 20)))
        infos = [e for e in event_infos(rows) if e.free_seats is None or e.free_seats > 0]
    return infos[:limit]


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
        return event_infos(list(q))
