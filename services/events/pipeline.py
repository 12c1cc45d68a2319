"""The pipeline: moving an event from stage to stage and what each move does
(the preparation task, the readiness check, closing the registrations when
held, e-mail to the participants when it is confirmed or cancelled), the
worker closing events that ended, and the event's e-mail sent again.

The stages themselves and which moves are allowed: `services.events.stages`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import reading, write_tx
from models.events import Event, EventType, Registration
from services.core import clock
from services.core.errors import Conflict, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, can
from services.core.text import clean
from services.events import mail
from services.events.access import check_version, require_change_row
from services.events.fields import format_datetime
from services.events.notifications import notify
from services.events.preparation import check_ready, ensure_task
from services.events.queries import EventInfo, event_infos, event_row
from services.events.registrations import replicate_existing
from services.events.stages import (
    CHECKIN_STAGES,
    FINAL_STAGES,
    STAGES,
    STATUSES,
    StageError,
    allowed_moves,
    event_status,
    stage_label,
)
from services.store import audit, settings


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


def move_event(actor: Actor, event_id: int, to: str, version: int | None = None,
               send_mail: bool = True, from_stage: str | None = None, reason: str = "") -> MoveResult:
    """Move an event to stage `to`, applying the pipeline's rules:

    - entering Preparation creates the preparation task once;
    - entering Participant registration runs the readiness check (refused:
      the event stays where it was, with what is missing);
    - entering Held closes the registrations, only once the event has
      started (before: a supervisor, with a `reason`, recorded);
    - Cancelled e-mails the participants (`send_mail`); confirming is the
      event's status, its own action (`set_status`).

    `from_stage` is the stage the person saw: if someone moved the event
    since, nothing happens and Conflict says who (`version` is stricter:
    any change refuses).
    """
    if to not in STAGES:
        raise ValidationError(_("Unknown stage '{stage}'").format(stage=to), "stage")
    with write_tx():
        row = event_row(event_id)
        require_change_row(actor, row)
        check_version(row, version)
        frm = row.stage
        if from_stage is not None and from_stage != frm:
            raise Conflict(_("{login} moved this event to {stage} in the meantime").format(
                login=row.updated_by or "?", stage=stage_label(frm)))
        if to == frm:
            return MoveResult(event_infos([row])[0])
        if frm in FINAL_STAGES:
            raise StageError(_("This event is {stage}; it can no longer move").format(stage=stage_label(frm).lower()))
        if to not in allowed_moves(frm):
            raise StageError(_("An event moves one stage forward at a time: from {frm} it can go to {to}").format(
                frm=stage_label(frm), to=stage_label(allowed_moves(frm)[0])))
        early = to == "held" and clock.now() < row.starts_at
        if early:
            check_close_early(actor, row, reason)
        t = EventType.get_by_id(row.type_id)
        if to == "registration":
            check_ready(to, t.format, {"access_link": row.access_link, "address": row.address, "seats": row.seats})
        task_created = False
        if to == "preparation":
            task_created = ensure_task(actor, row, t)
        now = clock.now()
        n = (Event.update(stage=to, updated_at=now, updated_by=actor.login, version=Event.version + 1)
             .where((Event.id == row.id) & (Event.version == row.version)).execute())
        if not n:
            raise Conflict(_("{login} changed this event in the meantime; reopen it to see their changes").format(
                login=Event.get_by_id(row.id).updated_by))
        audit.record(actor.login, "event", row.id, "stage",
                     {"stage": [frm, to], **({"before_start": clean(reason)} if early else {})})
        closed = _close(actor, row) if to == "held" else None
        if to == "registration" and row.main_id:  # ready now: the main's participants come in
            replicate_existing(actor, Event.get_by_id(row.main_id), Event.get_by_id(row.id))
        mailed = 0
        row = Event.get_by_id(row.id)
        if to == "cancelled":  # cancelling is a stage and a status: the participants may be told
            if send_mail:
                mailed = _mail_once(row, "event_cancelled", "status:cancelled")
            mailed += _cancel_secondaries(actor, row, send_mail, now)
        return MoveResult(event_infos([row])[0], task_created, closed, mailed)


def _cancel_secondaries(actor: Actor, main: Event, send_mail: bool, now: dt.datetime) -> int:
    """A cancelled main takes its open secondaries with it (their participants
    e-mailed when the main's are); the e-mails queued."""
    mailed = 0
    for sec in Event.select().where((Event.main == main.id) & Event.stage.not_in(FINAL_STAGES)):
        Event.update(stage="cancelled", updated_at=now, updated_by=actor.login, version=Event.version + 1).where(
            Event.id == sec.id).execute()
        audit.record(actor.login, "event", sec.id, "stage", {"stage": [sec.stage, "cancelled"], "main": main.id})
        if send_mail:
            mailed += _mail_once(Event.get_by_id(sec.id), "event_cancelled", "status:cancelled")
    return mailed


def check_close_early(actor: Actor, row: Event, reason: str) -> None:
    """Closing as held before the start: StageError unless a supervisor gives
    the reason (a coordinator is told who can)."""
    if not can(actor, "events.close_early"):
        raise StageError(_("{event} starts at {when}: it can be closed as held once it has started (a "
                           "supervisor can close it earlier, saying why)").format(
            event=row.description, when=format_datetime(row.starts_at)))
    if not clean(reason):
        raise ValidationError(_("{event} has not started yet: say why it is closed as held now").format(
            event=row.description), "reason")


def _mail_once(row: Event, kind: str, what: str) -> int:
    """`kind` to the event's participants, once per version of the event for
    `what` (asking twice for the same version queues nothing more)."""
    return _mail_participants(row, kind, lambda reg: f"event:{row.id}:{what}:v{row.version}:reg:{reg.id}")


def _mail_participants(row: Event, kind: str, key_of=None) -> int:
    """One e-mail per active registration, in the caller's transaction."""
    if key_of is None:
        stamp = clock.now().isoformat()
        key_of = lambda reg: f"event:{row.id}:{kind}:{stamp}:reg:{reg.id}"  # noqa: E731
    return mail.mail_participants(row, kind, key_of)


WHERE_AND_WHEN = ("starts_at", "ends_at", "address", "access_link")
"""What, changed, the participants are asked to be told about (event_details)."""


def moved(before: EventInfo, after: EventInfo) -> bool:
    """Whether the event's date or place changed between `before` and `after`."""
    return any(getattr(before, k) != getattr(after, k) for k in WHERE_AND_WHEN)


@dataclass(frozen=True)
class StatusResult:
    event: EventInfo
    mailed: int = 0


def set_status(actor: Actor, event_id: int, status: str, *, send_mail: bool = False,
               version: int | None = None) -> StatusResult:
    """The coordinator's decision beside the stages (seed 000): Open,
    Confirmed or Cancelled, asked with "e-mail the participants?" —
    `send_mail` e-mails the seat holders the event is confirmed (or everyone
    that it is cancelled, which is also its stage)."""
    if status not in STATUSES:
        raise ValidationError(_("Unknown status '{status}': use one of {statuses}").format(
            status=status, statuses=", ".join(STATUSES)), "status")
    if status == "cancelled":
        result = move_event(actor, event_id, "cancelled", version=version, send_mail=send_mail)
        return StatusResult(result.event, result.mailed)
    with write_tx():
        row = event_row(event_id)
        require_change_row(actor, row)
        check_version(row, version)
        if row.stage in FINAL_STAGES:
            raise StageError(_("This event is {stage}; it can no longer change").format(
                stage=stage_label(row.stage).lower()))
        mailed = 0
        if row.status != status:
            Event.update(status=status, updated_at=clock.now(), updated_by=actor.login,
                         version=Event.version + 1).where(Event.id == row.id).execute()
            audit.record(actor.login, "event", row.id, "status", {"status": [row.status, status]})
            row = Event.get_by_id(row.id)
            if send_mail and status == "confirmed":
                mailed = _mail_once(row, "event_confirmed", "status:confirmed")
        return StatusResult(event_infos([row])[0], mailed)


def mail_changes(actor: Actor, event_id: int) -> int:
    """E-mail the seat holders the event's new date and place (event_details);
    the number of e-mails queued."""
    with write_tx():
        row = event_row(event_id)
        require_change_row(actor, row)
        if row.stage in FINAL_STAGES:
            return 0
        n = _mail_once(row, "event_details", "details")
        audit.record(actor.login, "event", row.id, "mail_changes", {"recipients": n})
        return n


def resend_mail(actor: Actor, event_id: int) -> int:
    """E-mail every participant the event's current status and details again."""
    with write_tx():
        row = event_row(event_id)
        require_change_row(actor, row)
        kind = {"open": "event_details", "confirmed": "event_confirmed", "cancelled": "event_cancelled"}[
            event_status(row.stage, row.status)]
        n = _mail_participants(row, kind)
        audit.record(actor.login, "event", row.id, "resend_mail", {"recipients": n})
        return n


# --------------------------------------------------------------------------- closing


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
            notify(row.responsible_id, N_(
                "{event} ended and was closed as held: {came} waiting for materials, {absent} did not come"),
                {"event": row.description, "came": report.waiting_materials, "absent": report.did_not_come}, row.id)
            n += 1
    return n
