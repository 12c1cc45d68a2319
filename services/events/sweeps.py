"""What the worker does for events every minute (`services.ops.sweeps` runs
each of `SWEEPS`): reminders three days and one day before the start,
certificates after the end for those who came with a valid CPF, materials for
those waiting for them, and closing events that ended. Each is idempotent
(idempotency keys, stage checks), so running twice does nothing more.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from peewee import fn

from models import reading, write_tx
from models.events import Event, EventMaterial, Registration
from models.mail import Outbox
from services.core import clock
from services.core.errors import ValidationError
from services.core.logs import internal_error
from services.events import certificates as certs
from services.events import mail, reminders
from services.events.issuing import came, cpf_valid, issue_one
from services.events.pipeline import close_ended
from services.events.stages import FINAL_STAGES
from services.store import settings

# --------------------------------------------------------------------------- reminders


def _registration_status(reg: Registration) -> str:
    if reg.cancelled_at is not None:
        return "cancelled"
    return "waiting" if reg.waitlisted else "registered"


def reminders_sweep(now: dt.datetime) -> int:
    horizon = now + reminders.REMINDERS[0][1]
    n = 0
    with write_tx():
        events = list(Event.select().where(Event.stage.not_in(FINAL_STAGES) & (Event.starts_at > now)
                                           & (Event.starts_at <= horizon)))
        for event in events:
            regs = Registration.select().where(
                (Registration.event == event.id) & Registration.cancelled_at.is_null()
                & (Registration.waitlisted == False) & (Registration.email != ""))  # noqa: E712
            for reg in regs:
                for kind in reminders.due_reminders(event.starts_at, now, reg.created_at,
                                                    "cancelled" if event.stage == "cancelled" else "open",
                                                    _registration_status(reg)):
                    key = reminders.reminder_key(reg.id, kind)
                    if Outbox.select().where(Outbox.idempotency_key == key).exists():
                        continue
                    mail.queue_registration_mail(kind, reg, event, key=key, created_by="worker")
                    n += 1
    return n


def queue_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue the reminders that are due (three days and one day before the
    start); the same path as the worker's sweep, so nothing is queued twice.
    Returns how many were queued."""
    return reminders_sweep(now or clock.now())


# --------------------------------------------------------------------------- certificates


def certificates_sweep(now: dt.datetime, window: dt.timedelta | None = None) -> int:
    if window is None:  # the system parameter, 15 days unless an admin changed it
        window = dt.timedelta(days=settings.get_int("certificates.window_days"))
    with reading():
        events = {e.id: e for e in Event.select().where(
            (Event.ends_at <= now) & (Event.ends_at >= now - window) & (Event.stage == "held"))}
        regs = list(came(list(events)).where(Registration.certificate_issued_at.is_null())) if events else []
    n = 0
    for reg in regs:
        event = events[reg.event_id]
        if reg.certificate_issued_at is not None:
            continue
        decision = reminders.certificate_due(event.ends_at, now, attended=True, cpf_valid=cpf_valid(reg.cpf),
                                             already_issued=certs.issued_for(f"registration:{reg.id}") is not None,
                                             window=window, event_status="done")
        if not decision.due:
            continue
        try:
            issue_one(reg, event)
        except ValidationError as exc:  # e.g. a blank name: the others still get theirs
            internal_error(exc, f"certificate for registration {reg.id}")
            continue
        n += 1
    return n


# --------------------------------------------------------------------------- materials


MATERIALS_SETTLE = dt.timedelta(hours=1)
"""The sweep sends materials once the last file was attached this long ago, so a
coordinator attaching several files sends them together (M sends at once)."""


def materials_sweep(now: dt.datetime) -> int:
    """Held events with materials attached: those still waiting get them."""
    n = 0
    with write_tx():
        held = [e for e in Event.select().where(Event.stage == "held")
                if (EventMaterial.select(fn.MAX(EventMaterial.added_at)).where(EventMaterial.event == e.id).scalar()
                    or now) <= now - MATERIALS_SETTLE]
        for event in held:
            files = [str(f) for f in (material_file(m.stored_path) for m in EventMaterial.select()
                                      .where(EventMaterial.event == event.id)) if f is not None]
            waiting = list(Registration.select().where(
                (Registration.event == event.id) & Registration.cancelled_at.is_null()
                & (Registration.stage == "materials")))
            for reg in waiting:
                mail.queue_kind("event_materials", ("registration", reg.id), [reg.email], {"attachments": files})
                Registration.update(stage="processed", updated_at=now, updated_by="worker",
                                    version=Registration.version + 1).where(Registration.id == reg.id).execute()
                n += 1
    return n


SWEEPS = {
    "events.reminders": reminders_sweep,
    "events.certificates": certificates_sweep,
    "events.materials": materials_sweep,
    "events.close": close_ended,
}
"""The events sweeps by name, each `sweep(now) -> how many things it did`."""


def material_file(recorded: str) -> Path | None:
    """A material's file on this host (from the store if another host added it), None when it is gone."""
    from services.core.errors import NotFound
    from services.store import blobs

    try:
        found = blobs.file(recorded)
    except NotFound:
        return None
    return found if found.is_file() else None
