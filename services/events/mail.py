"""Event e-mail through the outbox.

- `queue_registration_mail` renders a template for one registration and
  queues it (calendar file attached, the participant's own access link for
  online events) inside the caller's transaction, with an idempotency key.
- `queue_kind` is how the events services ask for their mail by name
  (`KIND_OF`); `mail_participants` writes to every participant of an event.
- `resend` queues again the last e-mails about an event, for who may change it.

The worker's sweeps (reminders, certificates, materials) are in
`services.events.sweeps`.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from models import User
from models.db import sqlite_path
from models.events import Event, EventType, Registration
from services.core.errors import ValidationError
from services.core.permissions import Actor, require
from services.core.validation import record_id
from services.events import reminders
from services.events.access import require_change
from services.events.fields import format_datetime
from services.events.stages import event_status, status_label
from services.mail import ics, outbox, templates
from services.store import database, settings

ACCESS_URL_ENV = "ATENDE_ACCESS_URL"
"""e.g. "https://eventos.example.com/acesso/{token}": the participant's own online link.
Unset: the event's link with the participant's token as a parameter."""

# The events services' own names for their mail, mapped onto template kinds.
KIND_OF = {
    "registration_confirmed": "registration_confirmation",
    "registration_waitlisted": "waiting_list",
    "waitlist_responsible": "waitlist_responsible",
    "registration_promoted": "registration_promoted",
    "event_confirmed": "event_confirmed",
    "event_cancelled": "event_cancelled",
    "event_details": "event_details",
    "event_materials": "materials",
}
NO_CALENDAR = ("materials", "waiting_list", "waitlist_responsible")
"""Templates sent without the event's calendar file."""
TO_THE_WAITING_LIST = ("event_cancelled",)
"""What `mail_participants` also sends to those on the waiting list."""


# --------------------------------------------------------------------------- context


_MEMO: dict[tuple, tuple[float, Any]] = {}
MEMO_SECONDS = 5.0


def _memo(key: tuple, load: Callable[[], Any]) -> Any:
    """Event types and coordinators' names, kept a few seconds: bulk mail reads them once."""
    key = (str(sqlite_path()),) + key
    hit = _MEMO.get(key)
    if hit is not None and time.monotonic() - hit[0] < MEMO_SECONDS:
        return hit[1]
    value = load()
    _MEMO[key] = (time.monotonic(), value)
    return value


def organization() -> str:
    """The organisation that runs the events (the org.name parameter; "" unset)."""
    return settings.get_text("org.name")


def signatory() -> str:
    """Who signs the certificates (the org.signatory parameter; "" for the event's responsible)."""
    return settings.get_text("org.signatory")


def _type(event: Event) -> EventType:
    return _memo(("type", event.type_id), lambda: EventType.get_by_id(event.type_id))


def _responsible_name(event: Event) -> str:
    def load() -> str:
        user = User.get_or_none(User.id == event.responsible_id)
        return user.name if user else ""

    return _memo(("user", event.responsible_id), load)


def access_link_for(event: Event, reg: Registration | None, fmt: str) -> str:
    """The participant's own online link (empty for an offline event)."""
    if fmt == "offline" or not event.access_link or reg is None:
        return ""
    template = os.environ.get(ACCESS_URL_ENV, "")
    if template and "{token}" in template:
        return template.replace("{token}", reg.access_token)
    base = settings.get_url("web.base_url")
    if base:  # the participant's own page on the web: the meeting link only inside its window
        return f"{base}/acesso/{reg.access_token}"
    sep = "&" if "?" in event.access_link else "?"
    return f"{event.access_link}{sep}atende_token={reg.access_token}"


def context_for(reg: Registration | None, event: Event, etype: EventType | None = None) -> dict[str, Any]:
    etype = etype or _type(event)
    online = etype.format != "offline"
    # a participant is given their own access link (the web's page when it has an address), never the meeting's
    meeting = (access_link_for(event, reg, etype.format) or event.access_link) if reg else event.access_link
    return {
        "participant_name": reg.name if reg else "", "event_title": event.description,
        "event_type": etype.name, "event_status": status_label(event_status(event.stage, event.status)),
        "event_start": format_datetime(event.starts_at), "event_end": format_datetime(event.ends_at),
        "event_location": event.address or (meeting if online else "") or event.client,
        "online_link": meeting if online else "",
        "access_link": access_link_for(event, reg, etype.format),
        "event_description": "", "coordinator_name": _responsible_name(event),
        "company_name": organization(), "reason": "", "materials_link": "", "materials_text": "",
        "position": "", "seats": event.seats if event.seats is not None else "",
    }


def event_ics(event: Event, etype: EventType | None = None, reg: Registration | None = None,
              folder: Path | None = None) -> Path:
    """The event's calendar file for its current version. For a participant
    of an online or hybrid event it carries their own access link (written to
    `folder`, a temporary one: the outbox keeps its copy); otherwise one file
    per version, shared, with no meeting link once the web pages have an
    address."""
    etype = etype or _type(event)
    online = etype.format != "offline"
    name = f"event-{event.id}-v{event.version}"
    fields = dict(uid=f"event-{event.id}", title=event.description, start=event.starts_at, end=event.ends_at,
                  location=event.address if etype.format != "online" else "", description="", sequence=event.version,
                  cancelled=event.stage == "cancelled")
    own_link = access_link_for(event, reg, etype.format) if online else ""
    if online and not fields["location"]:  # where an online event is: the link when there is one, else "Online"
        fields["location"] = own_link or ("" if settings.get_url("web.base_url") else event.access_link) or "Online"
    if own_link and folder is not None:
        return ics.write_ics(folder, name, online_link=own_link, **fields)
    shared = database.files_root() / "ics"
    path = shared / f"{name}.ics"
    if path.exists():
        return path
    shared_link = event.access_link if online and not settings.get_url("web.base_url") else ""
    return ics.write_ics(shared, name, online_link=shared_link, **fields)


def queue_mail(kind: str, *, to: str, name: str, context: dict[str, Any], event: Event, key: str,
               attachments: list = (), created_by: str = "atende", event_type: str = "") -> int:
    """Render template `kind` and queue it (inside the caller's transaction).
    A bad address never raises: the mail is recorded as failed with the reason."""
    r = templates.render(kind, context, event_type=event_type)
    address = [outbox.recipient(name, to)] if to else []
    about = ("event", event.id)
    try:
        return outbox.queue(to=address, subject=r.subject, text=r.text, html=r.html, attachments=list(attachments),
                            about=about, kind=kind, key=key, created_by=created_by)
    except ValidationError as exc:
        if "to" not in exc.errors:
            raise
        return outbox.record_failed(to=to or "-", subject=r.subject, kind=kind, key=key, about=about,
                                    error=exc.errors["to"], created_by=created_by)


def queue_registration_mail(kind: str, reg: Registration, event: Event, *, key: str,
                            extra: dict[str, Any] | None = None, attachments: list | None = None,
                            created_by: str = "atende") -> int | None:
    """One registration's e-mail of template `kind`, with the event's calendar
    file for a seat holder (never for someone on the waiting list, who holds
    no place in it yet, nor with the materials)."""
    if not reg.email:
        return None
    etype = _type(event)
    context = {**context_for(reg, event, etype), **(extra or {})}
    with tempfile.TemporaryDirectory(prefix="atende-ics-") as own:  # the outbox copies what it sends
        calendar = [] if reg.waitlisted or kind in NO_CALENDAR else [event_ics(event, etype, reg, Path(own))]
        files = calendar + list(attachments or [])
        return queue_mail(kind, to=reg.email, name=reg.name, context=context, event=event, key=key,
                          attachments=files, created_by=created_by, event_type=etype.name)


def queue_kind(kind: str, about: tuple[str, Any], recipients: Iterable[str],
               context: dict[str, Any] | None = None) -> int:
    """Queue the events services' e-mail `kind` (a key of `KIND_OF`) about
    (entity, id) to `recipients`, inside the caller's transaction; return how
    many were queued (none when no recipient has an address)."""
    recipients = list(recipients)
    if not any(r for r in recipients):
        return 0
    context = context or {}
    entity, entity_id = about
    if kind == "event_reminder":
        reg = Registration.get_by_id(entity_id)
        tag = context.get("when", "1d")
        return int(queue_registration_mail(f"reminder_{tag}", reg, Event.get_by_id(reg.event_id),
                                           key=reminders.reminder_key(reg.id, f"reminder_{tag}")) is not None)
    template = KIND_OF.get(kind)
    if template is None:
        raise ValueError(f"unknown event mail {kind!r}")
    if kind == "waitlist_responsible":
        event = context.get("_event") or Event.get_by_id(entity_id)
        reg = context.get("_reg") or Registration.get_or_none(Registration.code == context.get("code", ""))
        responsible = User.get_or_none(User.id == event.responsible_id)
        to = next((r for r in recipients if r), "")
        if not to:
            return 0
        ctx = {**context_for(reg, event), "position": context.get("position", ""),
               "coordinator_name": responsible.name if responsible else ""}
        queue_mail(template, to=to, name=responsible.name if responsible else "", context=ctx, event=event,
                   key=f"event:{event.id}:waitlist:reg:{reg.id if reg else context.get('code', '')}")
        return 1
    reg = context.get("_reg") or Registration.get_by_id(entity_id)
    event = context.get("_event") or Event.get_by_id(reg.event_id)
    attachments = list(context.get("attachments") or [])
    extra = {}
    if kind == "registration_waitlisted":
        extra["position"] = context.get("position") or ""
    if kind == "event_materials":
        extra["materials_text"] = "\n".join(Path(p).name for p in attachments)
    done = queue_registration_mail(template, reg, event, key=reminders.reminder_key(reg.id, template),
                                   extra=extra, attachments=attachments)
    return int(done is not None)


def mail_participants(event: Event, kind: str, key_of: Callable[[Registration], str]) -> int:
    """One e-mail of `kind` to every active registration of `event` (current
    row): a cancellation to everyone, anything else to the seat holders only
    (the waiting list is never told the event is confirmed for them)."""
    template = KIND_OF.get(kind, kind)
    n = 0
    regs = Registration.select().where((Registration.event == event.id) & Registration.cancelled_at.is_null()
                                       & (Registration.email != "")).order_by(Registration.id)
    if template not in TO_THE_WAITING_LIST:
        regs = regs.where(Registration.waitlisted == False)  # noqa: E712
    for reg in regs:
        if queue_registration_mail(template, reg, event, key=key_of(reg)) is not None:
            n += 1
    return n


def resend(actor: Actor, event_id: int | str, kind: str | None = None) -> list[int]:
    """Queue again the last e-mail each recipient got about event `event_id`
    (`outbox.resend`), following the event's own rule: its responsible, or a
    supervisor/admin (NotFound for no such event). Returns the new outbox ids."""
    require(actor, "mail.send")
    require_change(actor, event_id)
    return outbox.resend(actor, "event", record_id(event_id), kind)  # "#12", "012": as its mail records it
