"""An event's materials: files attached by the coordinator (copied into the
store's files folder) and sent to the participants who came once the event is
held; `services.events.sweeps` sends them on its own when nobody does."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from models import reading, write_tx
from models.events import EventMaterial, Registration
from services.core import clock
from services.core import files as intake
from services.core.errors import ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.events import mail
from services.events.access import require_change_row
from services.events.queries import event_row
from services.events.stages import StageError
from services.store import audit, blobs, database

MAX_MATERIAL_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class MaterialInfo:
    id: int
    event_id: int
    filename: str
    path: str
    size: int
    added_at: dt.datetime
    added_by: str


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
        require_change_row(actor, event_row(event_id))
    picked = intake.check(source, "path", MAX_MATERIAL_BYTES)
    dest: Path | None = None
    try:
        with write_tx():
            row = event_row(event_id)
            require_change_row(actor, row)
            if row.stage == "cancelled":
                raise StageError(_("This event is cancelled"))
            n = EventMaterial.select().where(EventMaterial.event == row.id).count() + 1
            copied = intake.copy_into(source, database.files_root() / "events" / str(row.id), field="path",
                                      limit=MAX_MATERIAL_BYTES, name=f"{n:03d}-{picked.name}")
            dest = copied.path
            m = EventMaterial.create(event=row.id, filename=picked.name, stored_path=blobs.place(dest),
                                     size=copied.size, added_at=clock.now(), added_by=actor.login)
            blobs.keep(dest)  # for the hosts that share no folder with this one
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
        row = event_row(event_id)
        require_change_row(actor, row)
        if row.stage != "held":
            raise StageError(_("Materials go out once the event is held"))
        materials = list(EventMaterial.select().where(EventMaterial.event == row.id))
        if not materials:
            raise ValidationError(_("Attach the materials first"), "path")
        waiting = list(Registration.select().where(
            (Registration.event == row.id) & Registration.cancelled_at.is_null() & (Registration.stage == "materials")))
        files = [str(blobs.file(m.stored_path)) for m in materials]
        now = clock.now()
        for reg in waiting:
            mail.queue_kind("event_materials", ("registration", reg.id), [reg.email],
                            {"event": row.description, "name": reg.name, "attachments": files})
        if waiting:
            Registration.update(stage="processed", updated_at=now, updated_by=actor.login,
                                version=Registration.version + 1) \
                .where(Registration.id.in_([r.id for r in waiting])).execute()
        audit.record(actor.login, "event", row.id, "materials_sent", {"registrations": len(waiting)})
        return len(waiting)
