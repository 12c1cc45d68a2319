"""Event e-mail through the outbox, and the sweeps the worker runs every minute.

- `queue_registration_mail` renders a template for one registration and
  queues it (calendar file attached, the participant's own access link for
  online events) inside the caller's transaction, with an idempotency key.
- Sweeps: reminders three days and one day before the start, certificates
  after the end for those who came with a valid CPF, materials for those
  waiting for them. Each is idempotent (keys), so running twice does nothing.
- `without_cpf(actor, event_id)`: who came but gets no certificate, for the
  coordinator.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import User, reading, write_tx
from models.events import Event, EventMaterial, EventType, Registration
from services.core import validation
from services.core.errors import ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.events import certificates as certs
from services.events import reminders
from services.mail import ics, outbox, templates
from services.ops.sweeps import register_sweep

COMPANY_NAME = "Atende"
CAME_STAGES = ("came", "materials", "processed")
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
STATUS_TEXT = {"open": N_("Open event"), "confirmed": N_("Confirmed"), "cancelled": N_("Cancelled")}
NO_CPF = N_("no valid CPF")


# --------------------------------------------------------------------------- context


def _fmt(value: dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


_MEMO: dict[tuple, tuple[float, Any]] = {}
MEMO_SECONDS = 5.0


def _memo(key: tuple, load: Callable[[], Any]) -> Any:
    """Event types and coordinators' names, kept a few seconds: bulk mail reads them once."""
    import time

    from models.db import sqlite_path

    key = (str(sqlite_path()),) + key
    hit = _MEMO.get(key)
    if hit is not None and time.monotonic() - hit[0] < MEMO_SECONDS:
        return hit[1]
    value = load()
    _MEMO[key] = (time.monotonic(), value)
    return value


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
    sep = "&" if "?" in event.access_link else "?"
    return f"{event.access_link}{sep}atende_token={reg.access_token}"


def context_for(reg: Registration | None, event: Event, etype: EventType | None = None) -> dict[str, Any]:
    from services.events.pipeline import STATUS_OF_STAGE

    etype = etype or _type(event)
    online = etype.format != "offline"
    return {
        "participant_name": reg.name if reg else "", "event_title": event.description,
        "event_type": etype.name, "event_status": _(STATUS_TEXT[STATUS_OF_STAGE.get(event.stage, "open")]),
        "event_start": _fmt(event.starts_at), "event_end": _fmt(event.ends_at),
        "event_location": event.address or (event.access_link if online else "") or event.client,
        "online_link": event.access_link if online else "",
        "access_link": access_link_for(event, reg, etype.format),
        "event_description": "", "coordinator_name": _responsible_name(event),
        "company_name": COMPANY_NAME, "reason": "", "materials_link": "", "materials_text": "",
        "position": "", "seats": event.seats if event.seats is not None else "",
    }


def event_ics(event: Event, etype: EventType | None = None) -> Path:
    """The event's calendar file for its current version (one per version)."""
    etype = etype or _type(event)
    folder = outbox.store_files_dir() / "ics"
    path = folder / f"event-{event.id}-v{event.version}.ics"
    if path.exists():
        return path
    online = etype.format != "offline"
    return ics.write_ics(folder, f"event-{event.id}-v{event.version}", uid=f"event-{event.id}",
                         title=event.description, start=event.starts_at, end=event.ends_at,
                         location=event.address or event.client,
                         online_link=event.access_link if online else "", description="",
                         sequence=event.version, cancelled=event.stage == "cancelled")


def _record_failed(*, to: str, subject: str, kind: str, key: str, about: tuple[str, object],
                   error: str, created_by: str) -> int:
    """A mail that cannot be sent (bad address): kept as failed, visible in the outbox."""
    from models.mail import Outbox

    existing = Outbox.select(Outbox.id).where(Outbox.idempotency_key == key).first()
    if existing is not None:
        return existing.id
    now = outbox.clock.now()
    return Outbox.insert(
        kind=kind[:40], recipients=json.dumps([to], ensure_ascii=False), cc="[]", subject=subject[:300] or kind,
        body_text="", body_html="", attachments="[]", read_receipt=False, about_entity=str(about[0])[:40],
        about_id=str(about[1])[:64], idempotency_key=key[:200], state=outbox.FAILED, attempts=0,
        last_error=error[:500], next_attempt_at=now, created_at=now, created_by=created_by[:64]).execute()


def queue_mail(kind: str, *, to: str, name: str, context: dict[str, Any], event: Event, key: str,
               attachments: list = (), created_by: str = "atende", event_type: str = "") -> int:
    """Render template `kind` and queue it (inside the caller's transaction).
    A bad address never raises: the mail is recorded as failed with the reason."""
    r = templates.render(kind, context, event_type=event_type)
    address = f"{name} <{to}>" if name and to else (to or "")
    about = ("event", event.id)
    try:
        return outbox.queue(to=address, subject=r.subject, text=r.text, html=r.html, attachments=list(attachments),
                            about=about, kind=kind, key=key, created_by=created_by)
    except ValidationError as exc:
        if "to" not in exc.errors:
            raise
        return _record_failed(to=to or "-", subject=r.subject, kind=kind, key=key, about=about,
                              error=exc.errors["to"], created_by=created_by)


def queue_registration_mail(kind: str, reg: Registration, event: Event, *, key: str,
                            extra: dict[str, Any] | None = None, attachments: list | None = None,
                            created_by: str = "atende") -> int | None:
    """One registration's e-mail of template `kind`, with the event's calendar file."""
    if not reg.email:
        return None
    etype = _type(event)
    context = {**context_for(reg, event, etype), **(extra or {})}
    files = [event_ics(event, etype)] + list(attachments or [])
    return queue_mail(kind, to=reg.email, name=reg.name, context=context, event=event, key=key,
                      attachments=files, created_by=created_by, event_type=etype.name)


def queue_legacy(kind: str, about: tuple[str, Any], recipients, context: dict[str, Any] | None) -> int:
    """The events services' `_queue_mail(kind, about, recipients, context)`."""
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
        from services.events.registrations import _positions

        extra["position"] = _positions(event.id).get(reg.id, "")
    if kind == "event_materials":
        extra["materials_text"] = "\n".join(Path(p).name for p in attachments)
    done = queue_registration_mail(template, reg, event, key=reminders.reminder_key(reg.id, template),
                                   extra=extra, attachments=attachments)
    return int(done is not None)


def mail_participants(event: Event, kind: str, key_of: Callable[[Registration], str]) -> int:
    """One e-mail of `kind` to every active registration of `event` (current row)."""
    template = KIND_OF.get(kind, kind)
    n = 0
    regs = Registration.select().where((Registration.event == event.id) & Registration.cancelled_at.is_null()
                                       & (Registration.email != "")).order_by(Registration.id)
    for reg in regs:
        if queue_registration_mail(template, reg, event, key=key_of(reg)) is not None:
            n += 1
    return n


# --------------------------------------------------------------------------- reminders


def _registration_status(reg: Registration) -> str:
    if reg.cancelled_at is not None:
        return "cancelled"
    return "waiting" if reg.waitlisted else "registered"


def reminders_sweep(now: dt.datetime) -> int:
    from services.events.pipeline import FINAL_STAGES

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
                    if outbox.Outbox.select().where(outbox.Outbox.idempotency_key == key).exists():
                        continue
                    queue_registration_mail(kind, reg, event, key=key, created_by="worker")
                    n += 1
    return n


# --------------------------------------------------------------------------- certificates


def cpf_valid(cpf: str) -> bool:
    try:
        validation.cpf(cpf or "", "cpf", required=True)
        return True
    except ValidationError:
        return False


def _certificate_data(reg: Registration, event: Event) -> certs.CertificateData:
    responsible = User.get_or_none(User.id == event.responsible_id)
    return certs.CertificateData(
        participant_name=reg.name, cpf=reg.cpf, event_title=event.description,
        workload_hours=event.workload_hours or 0, start=event.starts_at, end=event.ends_at,
        key=f"registration:{reg.id}", email=reg.email, about=("event", str(event.id)),
        signer=responsible.name if responsible else "", organization=COMPANY_NAME)


def issue_one(reg: Registration, event: Event, issued_by: str = "worker") -> Path:
    """Issue (same code if issued before), e-mail once, and mark the registration."""
    from services.events.registrations import mark_certificate_issued

    data = _certificate_data(reg, event)
    path = certs.issue_certificate(data, issued_by=issued_by)
    with write_tx():
        if reg.email:
            try:
                certs.mail_certificate(data, path, company_name=COMPANY_NAME, created_by=issued_by)
            except ValidationError as exc:
                if "to" not in exc.errors:
                    raise
                _record_failed(to=reg.email, subject=event.description, kind="certificate",
                               key=f"certificate:{data.key}", about=data.about, error=exc.errors["to"],
                               created_by=issued_by)
        mark_certificate_issued(reg.id)
    return path


def _came(event_ids: list[int]):
    return Registration.select().where(Registration.event.in_(event_ids) & Registration.cancelled_at.is_null()
                                       & Registration.stage.in_(CAME_STAGES)).order_by(Registration.id)


def certificates_sweep(now: dt.datetime, window: dt.timedelta | None = None) -> int:
    if window is None:  # the system parameter, 15 days unless an admin changed it
        from services.store import settings

        window = dt.timedelta(days=settings.get_int("certificates.window_days"))
    with reading():
        events = {e.id: e for e in Event.select().where(
            (Event.ends_at <= now) & (Event.ends_at >= now - window) & (Event.stage != "cancelled"))}
        regs = list(_came(list(events)).where(Registration.certificate_issued_at.is_null())) if events else []
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
            from services.core.logs import internal_error

            internal_error(exc, f"certificate for registration {reg.id}")
            continue
        n += 1
    return n


@dataclass(frozen=True)
class MissingCpf:
    registration_id: int
    name: str
    email: str
    cpf: str


def without_cpf(actor: Actor, event_id: int) -> list[MissingCpf]:
    """Those who came but get no certificate because their CPF is missing or invalid."""
    require(actor, "events.read")
    with reading():
        return [MissingCpf(r.id, r.name, r.email, r.cpf) for r in _came([event_id])
                if r.certificate_issued_at is None and not cpf_valid(r.cpf)]


# --------------------------------------------------------------------------- materials


MATERIALS_SETTLE = dt.timedelta(hours=1)
"""The sweep sends materials once the last file was attached this long ago, so a
coordinator attaching several files sends them together (M sends at once)."""


def materials_sweep(now: dt.datetime) -> int:
    """Held events with materials attached: those still waiting get them."""
    from peewee import fn

    n = 0
    with write_tx():
        held = [e for e in Event.select().where(Event.stage == "held")
                if (EventMaterial.select(fn.MAX(EventMaterial.added_at)).where(EventMaterial.event == e.id).scalar()
                    or now) <= now - MATERIALS_SETTLE]
        for event in held:
            files = [m.stored_path for m in EventMaterial.select().where(EventMaterial.event == event.id)
                     if Path(m.stored_path).is_file()]
            waiting = list(Registration.select().where(
                (Registration.event == event.id) & Registration.cancelled_at.is_null()
                & (Registration.stage == "materials")))
            for reg in waiting:
                queue_legacy("event_materials", ("registration", reg.id), [reg.email], {"attachments": files})
                Registration.update(stage="processed", updated_at=now, updated_by="worker",
                                    version=Registration.version + 1).where(Registration.id == reg.id).execute()
                n += 1
    return n


register_sweep("events.reminders", reminders_sweep)
register_sweep("events.certificates", certificates_sweep)
register_sweep("events.materials", materials_sweep)


def close_sweep(now: dt.datetime) -> int:
    from services.events.pipeline import close_ended

    return close_ended(now)


register_sweep("events.close", close_sweep)
