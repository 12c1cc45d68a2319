"""Creating and changing an event: `EventInput` (what the form or a command
gives), checked field by field, and the rules of a secondary event, whose
inherited fields come from its main event."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from models import User, write_tx
from models.events import Event, EventTask, EventType, Registration
from services.core import clock
from services.core.errors import Conflict, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import REPRESENTATIVE, Actor, require
from services.events.access import check_version, require_change_row
from services.events.fields import collect, parse_datetime, parse_link, parse_seats, parse_text, parse_workload
from services.events.notifications import notify
from services.events.preparation import check_ready
from services.events.queries import EventInfo, event_infos, event_row
from services.events.registrations import promote
from services.events.stages import FINAL_STAGES, StageError, stage_label
from services.store import audit

INHERITED = ("type", "responsible", "client", "public", "seats")
"""Fields a secondary event takes from its main event (shown read-only)."""


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


def _parse_input(data: EventInput, main: Event | None) -> dict[str, Any]:
    """Validated column values for an event; every field's error at once."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    description = collect(errors, parse_text, data.description, "description", 200)
    if description == "" and main is not None:
        description = main.description
    elif description == "" and "description" not in errors:
        errors["description"] = _("Description is required")
    values["description"] = description
    starts = collect(errors, parse_datetime, data.starts_at, "starts_at")
    ends = collect(errors, parse_datetime, data.ends_at, "ends_at")
    if starts and ends and ends <= starts:
        errors["ends_at"] = _("The end must be after the start")
    values["starts_at"], values["ends_at"] = starts, ends
    values["access_link"] = collect(errors, parse_link, data.access_link)
    values["address"] = collect(errors, parse_text, data.address, "address", 300)
    values["workload_hours"] = collect(errors, parse_workload, data.workload_hours)
    if main is not None:
        values.update(type=main.type_id, responsible=main.responsible_id, client=main.client,
                      public=main.public, seats=main.seats, main=main.id)
    else:
        values["client"] = collect(errors, parse_text, data.client, "client", 200)
        values["public"] = bool(data.public)
        values["seats"] = collect(errors, parse_seats, data.seats)
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
        return event_infos([row])[0]  # a secondary receives its main's registrations once it opens them


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
        row = event_row(event_id)
        require_change_row(actor, row)
        check_version(row, version)
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
            check_ready(row.stage, EventType.get_by_id(values["type"]).format, values)
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
        # a cancelled (or held) secondary keeps what it had: it no longer follows its main
        for sec in Event.select().where((Event.main == row.id) & Event.stage.not_in(FINAL_STAGES)):
            sec_before = _snapshot(sec)
            Event.update(updated_at=now, updated_by=actor.login, version=Event.version + 1, **inherited) \
                .where(Event.id == sec.id).execute()
            sec = Event.get_by_id(sec.id)
            changes = audit.diff(sec_before, _snapshot(sec))
            if changes:
                audit.record(actor.login, "event", sec.id, "inherit", changes)
            touched.append(sec)
        if row.responsible_id != before["responsible"]:
            notify(row.responsible_id, N_("You are now responsible for the event: {event}"),
                   {"event": row.description}, row.id)
            task = EventTask.get_or_none(EventTask.event == row.id)
            if task is not None:
                EventTask.update(assignee=row.responsible_id).where(EventTask.id == task.id).execute()
        for ev in touched:
            promote(actor, ev)
        return event_infos([row])[0]
