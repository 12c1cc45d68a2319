"""Who may change an event: its responsible consultant, or a supervisor or
admin. The rule of everything done to an event (editing it, moving it,
its registrations, materials and certificates, its e-mails sent again), and
the optimistic check that nobody changed it since the person looked."""
from __future__ import annotations

from models import User, reading
from models.events import Event
from services.core.errors import Conflict, PermissionDenied
from services.core.i18n import _
from services.core.permissions import LEADS, Actor, can, require
from services.events.queries import EventInfo, event_row


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
        require_change_row(actor, event_row(event_id))


def require_change_row(actor: Actor, row: Event) -> None:
    """`require_change` for an event row already read (inside the caller's transaction)."""
    require(actor, "events.edit")
    if actor.role in LEADS or actor.id == row.responsible_id:
        return
    owner = User.get_or_none(User.id == row.responsible_id)
    raise PermissionDenied(_("Only the responsible consultant ({name}) or a supervisor may change this event").format(
        name=owner.name if owner else "?"))


def check_version(row: Event, version: int | None) -> None:
    """Conflict, naming who, when the event is no longer at `version` (the one the person saw)."""
    if version is not None and row.version != version:
        raise Conflict(_("{login} changed this event in the meantime; reopen it to see their changes").format(
            login=row.updated_by or "?"))
