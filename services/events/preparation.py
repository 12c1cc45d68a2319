"""Getting an event ready: the readiness check (what each format needs before
registration opens) and the preparation task, made once from the event
type's checklist when the event enters Preparation."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from models import User, reading, write_tx
from models.events import Event, EventTask, EventTaskItem, EventType
from services.core import clock
from services.core.errors import NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.events.access import require_change_row
from services.events.event_types import in_reader_language, type_info
from services.events.fields import field_label
from services.events.notifications import notify
from services.events.queries import event_row, get_event
from services.events.stages import format_label
from services.store import audit

# What the readiness check demands of each format before registration opens.
REQUIRED_BY_FORMAT = {
    "online": ("access_link",),
    "offline": ("address", "seats"),
    "hybrid": ("access_link", "address", "seats"),
}


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


def missing_for_registration(fmt: str, values: dict[str, Any]) -> list[str]:
    """Fields the format requires that are empty."""
    return [f for f in REQUIRED_BY_FORMAT.get(fmt, ()) if values.get(f) in (None, "", 0)]


def check_ready(stage: str, fmt: str, values: dict[str, Any]) -> None:
    missing = missing_for_registration(fmt, values)
    if missing:
        raise NotReady(missing, fmt)


def readiness(actor: Actor, event_id: int) -> list[str]:
    """What is missing before this event may open registration (empty: ready)."""
    event = get_event(actor, event_id)
    return missing_for_registration(event.format, {
        "access_link": event.access_link, "address": event.address, "seats": event.seats})


# --------------------------------------------------------------------------- the preparation task


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


def ensure_task(actor: Actor, row: Event, t: EventType) -> bool:
    """Create the event's preparation task unless it exists; True if created."""
    if EventTask.select().where(EventTask.event == row.id).exists():
        return False
    info = type_info(t)
    task = EventTask.create(
        event=row.id, assignee=row.responsible_id, created_at=clock.now(),
        title=_("Prepare: {event}").format(event=row.description), preparation=info.preparation)
    for i, text in enumerate(info.checklist):
        EventTaskItem.create(task=task.id, position=i, text=text[:300])
    audit.record(actor.login, "event", row.id, "task_created", {"items": len(info.checklist)})
    if actor.id != row.responsible_id:  # the responsible who moved it knows already
        notify(row.responsible_id, N_("Preparation task for {event} ({n} items)"),
               {"event": row.description, "n": len(info.checklist)}, row.id)
    return True


def _task_info(task: EventTask) -> TaskInfo:
    """The task as its reader sees it: its title and the shipped types' texts
    in the reader's language (what a person wrote stays as written)."""
    assignee = User.get_or_none(User.id == task.assignee_id)
    items = tuple(TaskItemInfo(i.id, i.position, in_reader_language(i.text), i.done_at is not None, i.done_at,
                               i.done_by)
                  for i in EventTaskItem.select().where(EventTaskItem.task == task.id).order_by(EventTaskItem.position))
    event = Event.get_or_none(Event.id == task.event_id)
    title = _("Prepare: {event}").format(event=event.description) if event else task.title
    return TaskInfo(task.id, task.event_id, task.assignee_id, assignee.name if assignee else "", title,
                    in_reader_language(task.preparation), task.created_at, items)


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
        require_change_row(actor, event_row(task.event_id))
        done = item.done_at is None
        EventTaskItem.update(done_at=clock.now() if done else None, done_by=actor.login if done else "") \
            .where(EventTaskItem.id == item.id).execute()
        audit.record(actor.login, "event", task.event_id, "checklist", {"item": item.text, "done": done})
        return _task_info(task)
