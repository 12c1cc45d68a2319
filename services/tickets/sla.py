"""Service levels of tickets: first-response and resolution targets in
business minutes (a ticket type's own, else its ticket's queue's), the
deadlines kept on each ticket, the clock paused while waiting on the
customer, and the time left as the queue shows it.

A deadline runs while its `*_left` column is empty. Waiting on the customer
pauses it: the business minutes that remained go to `*_left` and the
deadline is cleared; going back to work sets a new deadline that far ahead.
Closing a ticket keeps its deadlines (for the figures) and also what
remained, so a reopened ticket carries on from there. `sla_due_at` is the
nearest running deadline: the queue sorts by it, the breach sweep
(services.supervisor.service_levels) reads it. The calendar is
services.core.business, set with the `sla.*` settings.

Every function that writes runs inside its caller's transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import Queue, Ticket, TicketType
from services.core import business
from services.core.errors import ValidationError
from services.core.i18n import _
from services.store import settings

WARN_SHARE = 0.2
"""A deadline is close when less than this share of its target is left..."""
WARN_MINUTES = 60
"""... or less than this many business minutes."""
MAX_TARGET = 60 * 24 * 90
"""A target is at most 90 days of business minutes."""
CLOSED = ("resolved", "finished", "abandoned")
PAUSED = "waiting_customer"


def calendar() -> business.Calendar:
    """The business calendar of the settings (the default hours when a stored value is unreadable)."""
    hours = settings.get_text("sla.hours")
    try:
        business.parse_hours(hours)
    except ValidationError:
        hours = business.DEFAULT_HOURS
    local = settings.get_text("sla.holidays")
    try:
        business.parse_holidays(local)
    except ValidationError:
        local = ""
    return business.calendar(hours, local, settings.get_text("sla.state"))


def check_target(value, field: str) -> int | None:
    """A target as typed ("" for none): whole business minutes, or ValidationError at `field`."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    try:
        minutes = int(text)
    except ValueError:
        raise ValidationError(_("Enter the target in whole minutes (480 is a working day of 8 hours)"),
                              field) from None
    if not 1 <= minutes <= MAX_TARGET:
        raise ValidationError(_("Must be between {low} and {high}").format(low=1, high=MAX_TARGET), field)
    return minutes


def targets(type_id: int | None, queue_id: int | None) -> tuple[int | None, int | None]:
    """(first response, resolution) business minutes of a ticket of this type in this queue."""
    own = (TicketType.select(TicketType.response_minutes, TicketType.resolution_minutes)
           .where(TicketType.id == type_id).tuples().first()) if type_id else None
    queue = (Queue.select(Queue.response_minutes, Queue.resolution_minutes)
             .where(Queue.id == queue_id).tuples().first()) if queue_id else None
    own, queue = own or (None, None), queue or (None, None)
    return (own[0] if own[0] is not None else queue[0], own[1] if own[1] is not None else queue[1])


def _nearest(values: dict) -> dt.datetime | None:
    due = [values.get("resolution_due_at") if values.get("resolution_left") is None else None]
    if values.get("first_response_at") is None and values.get("response_left") is None:
        due.append(values.get("response_due_at"))
    due = [d for d in due if d is not None]
    return min(due) if due else None


def _state(t: Ticket) -> dict:
    return {k: getattr(t, k) for k in ("first_response_at", "response_due_at", "resolution_due_at",
                                       "response_left", "resolution_left")}


def start(ticket_id: int, now: dt.datetime, *, responded: bool) -> None:
    """Set the deadlines of a ticket just opened (its type and queue chosen).
    `responded`: it was opened during a call with the customer (the wizard's
    first contact is its first response)."""
    t = Ticket.get_by_id(ticket_id)
    response, resolution = targets(t.type_id, t.queue_id)
    cal = calendar()
    values: dict = {
        "first_response_at": now if responded else None,
        "response_due_at": business.add_business_minutes(cal, now, response) if response else None,
        "resolution_due_at": business.add_business_minutes(cal, now, resolution) if resolution else None,
        "response_left": None, "resolution_left": None}
    if t.status in CLOSED or t.status == PAUSED:
        values.update(_stopped(cal, values, now, closing=t.status in CLOSED))
    Ticket.update(**values, sla_due_at=_nearest(values)).where(Ticket.id == ticket_id).execute()


def _stopped(cal: business.Calendar, values: dict, now: dt.datetime, *, closing: bool) -> dict:
    """What a running clock keeps when it pauses (deadlines cleared) or closes (deadlines kept)."""
    out = {}
    for kind in ("response", "resolution"):
        due = values.get(f"{kind}_due_at")
        if due is None or values.get(f"{kind}_left") is not None:
            continue
        if kind == "response" and values.get("first_response_at") is not None:
            continue
        left = business.business_minutes(cal, now, due)
        out[f"{kind}_left"] = left
        if not closing:
            out[f"{kind}_due_at"] = None
        elif left < 0:
            out[f"{kind}_breached"] = True
    return out


def on_status(t: Ticket, new_status: str, now: dt.datetime) -> dict:
    """The service-level columns that change when ticket `t` goes to `new_status`
    (for the same UPDATE as the status)."""
    old = t.status
    values = _state(t)
    cal = None
    changes: dict = {}
    if new_status in CLOSED and old not in CLOSED:
        cal = calendar()
        changes = _stopped(cal, values, now, closing=True)
    elif new_status == PAUSED and old not in CLOSED and old != PAUSED:
        changes = _stopped(calendar(), values, now, closing=False)
    elif new_status not in CLOSED and new_status != PAUSED and (old in CLOSED or old == PAUSED):
        cal = calendar()
        for kind in ("response", "resolution"):
            left = values.get(f"{kind}_left")
            if left is None or (kind == "response" and values["first_response_at"] is not None):
                continue
            changes[f"{kind}_due_at"] = business.add_business_minutes(cal, now, left)
            changes[f"{kind}_left"] = None
    else:
        return {}
    values.update(changes)
    changes["sla_due_at"] = _nearest(values) if new_status not in CLOSED and new_status != PAUSED else None
    return changes


def responded(ticket_id: int, now: dt.datetime) -> None:
    """The first public reply by staff: the first-response clock stops."""
    t = Ticket.get_by_id(ticket_id)
    if t.first_response_at is not None:
        return
    values = _state(t)
    values["first_response_at"] = now
    changes: dict = {"first_response_at": now}
    if t.response_due_at is not None and t.response_left is None and now > t.response_due_at:
        changes["response_breached"] = True
    elif t.response_left is not None and t.response_left < 0:
        changes["response_breached"] = True
    if t.status not in CLOSED and t.status != PAUSED:
        changes["sla_due_at"] = _nearest(values)
    Ticket.update(**changes).where(Ticket.id == ticket_id).execute()


@dataclass(frozen=True)
class Level:
    """A ticket's service level as the queue shows it."""

    state: str = ""
    """"" (no target), "ok", "warning", "breached" or "paused"."""
    left: int | None = None
    """Business minutes to the nearest running deadline (negative: past it)."""
    text: str = ""
    response_due: dt.datetime | None = None
    resolution_due: dt.datetime | None = None
    breached: bool = False
    """Some target was missed (now or before)."""


NO_LEVEL = Level()

LEVEL_SQL = ("t.first_response_at, t.response_due_at, t.resolution_due_at, t.response_left, t.resolution_left, "
             "t.sla_due_at, t.response_breached, t.resolution_breached, "
             "COALESCE(tt.response_minutes, q.response_minutes), COALESCE(tt.resolution_minutes, q.resolution_minutes)")
"""The columns `level` reads, in its order (the ticket as t, its type as tt, its queue as q)."""
LEVEL_COLUMNS = 10


def minutes_text(minutes: int) -> str:
    """Business minutes as the queue shows them: 45 min, 3 h 20, 52 h 00 (business hours, never days)."""
    sign = "-" if minutes < 0 else ""
    m = abs(minutes)
    if m < 60:
        return sign + _("{n} min").format(n=m)
    return sign + _("{h} h {m:02d}").format(h=m // 60, m=m % 60)


def _stamp(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def level(row, status: str, now: dt.datetime, cal: business.Calendar | None) -> Level:
    """The service level from the LEVEL_SQL columns of one ticket (`cal` read once per page)."""
    (first, response_due, resolution_due, response_left, resolution_left, due, r_breached, s_breached,
     response_target, resolution_target) = row
    response_due, resolution_due, due, first = _stamp(response_due), _stamp(resolution_due), _stamp(due), _stamp(first)
    breached = bool(r_breached) or bool(s_breached) or any(
        x is not None and x < 0 for x in (response_left, resolution_left)) or (
        response_due is not None and first is not None and first > response_due)
    base = Level(response_due=response_due, resolution_due=resolution_due, breached=breached)
    if status in CLOSED or (response_due is None and resolution_due is None and response_left is None
                            and resolution_left is None):
        return base
    if status == PAUSED or due is None or cal is None:
        waiting = [x for x in (resolution_left, None if first else response_left) if x is not None]
        if status != PAUSED or not waiting:
            return base
        left = min(waiting)
        return Level("paused", left, _("paused, {left}").format(left=minutes_text(left)), response_due,
                     resolution_due, breached or left < 0)
    left = business.business_minutes(cal, now, due)
    target = response_target if (first is None and due == response_due) else resolution_target
    if left < 0 or now > due:
        state = "breached"
        breached = True
    elif left < WARN_MINUTES or (target and left < target * WARN_SHARE):
        state = "warning"
    else:
        state = "ok"
    text = "-" + minutes_text(0) if state == "breached" and left == 0 else minutes_text(left)  # past it after hours
    return Level(state, left, text, response_due, resolution_due, breached)


@dataclass(frozen=True)
class Deadline:
    """One target of a ticket as its record shows it."""

    due: dt.datetime | None
    """When it is due; None while the clock is paused (waiting on the customer)."""
    left: int | None
    """Business minutes that remained when the clock paused or the ticket closed (negative: past it)."""
    breached: bool
    """Missed: now, or before (the sweep's mark, a late first response, closed past it)."""
    done_at: dt.datetime | None = None
    """The first response only: when staff first answered (None: not yet)."""


@dataclass(frozen=True)
class Deadlines:
    """A ticket's service level for its record: each target it has, and the
    time left to the nearest running deadline as the queue shows it."""

    response: Deadline | None
    resolution: Deadline | None
    level: Level
    """The queue's Time left (`level`): its `text` and `state`; state "paused" while waiting on the customer."""

    @property
    def paused(self) -> bool:
        return self.level.state == "paused"


def deadlines(t: Ticket, now: dt.datetime) -> Deadlines | None:
    """The service level of ticket `t` (read inside the caller's transaction);
    None when it has no target."""
    first = _stamp(t.first_response_at)
    response_due, resolution_due = _stamp(t.response_due_at), _stamp(t.resolution_due_at)
    has_response = response_due is not None or t.response_left is not None
    has_resolution = resolution_due is not None or t.resolution_left is not None
    if not (has_response or has_resolution):
        return None
    running = t.status not in CLOSED and t.status != PAUSED
    response_target, resolution_target = targets(t.type_id, t.queue_id)
    cal = calendar() if running and t.sla_due_at is not None else None
    lv = level((first, response_due, resolution_due, t.response_left, t.resolution_left, t.sla_due_at,
                t.response_breached, t.resolution_breached, response_target, resolution_target), t.status, now, cal)
    response = resolution = None
    if has_response:
        if first is not None:
            late = response_due is not None and first > response_due
        else:
            late = (t.response_left is not None and t.response_left < 0) or (
                running and response_due is not None and now > response_due)
        response = Deadline(response_due, t.response_left, late or bool(t.response_breached), first)
    if has_resolution:
        late = bool(t.resolution_breached) or (t.resolution_left is not None and t.resolution_left < 0) or (
            running and t.resolution_left is None and resolution_due is not None and now > resolution_due)
        resolution = Deadline(resolution_due, t.resolution_left, late)
    return Deadlines(response, resolution, lv)


STAMP = "%d/%m/%Y %H:%M"


def describe(d: Deadlines) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The lines of a ticket's service level, for its screen and `atende ticket
    show`: (label, parts), each part (text, state), the state "" or a `Level`
    state ("ok", "warning", "breached", "paused") that the screen colours as
    the queue's Time left: each target's deadline, its first response, or what
    was left when the clock paused, marked when missed; then the time left."""
    lines = []
    breached = (" · " + _("breached"), "breached")
    for label, target in ((_("First response"), d.response), (_("Resolution"), d.resolution)):
        if target is None:
            continue
        if target.done_at is not None:
            part = (_("done at {at}").format(at=f"{target.done_at:{STAMP}}"), "")
        elif target.due is not None:
            part = (_("due at {at}").format(at=f"{target.due:{STAMP}}"), "")
        else:
            part = (_("paused, {left}").format(left=minutes_text(target.left or 0)), "paused")
        lines.append((label, (part, breached) if target.breached else (part,)))
    if d.level.text:
        parts = [(d.level.text, d.level.state)]
        if d.paused:
            parts.append((" " + _("(waiting on the customer)"), "paused"))
        elif d.level.state == "breached":
            parts.append(breached)
        lines.append((_("Time left"), tuple(parts)))
    return tuple(lines)
