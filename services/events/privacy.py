"""A participant's personal data on request: everything kept about them
(export), and erasure, which keeps only what an issued certificate proves."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass
from email.utils import parseaddr
from typing import Any

from peewee import fn

from models import reading, write_tx
from models.events import Event, Notification, Registration
from models.mail import Certificate, Outbox
from services.core import clock, validation
from services.core.errors import NotFound
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.events.notifications import refresh_text
from services.events.registrations import RegistrationInfo, promote, registration_info
from services.events.stages import FINAL_STAGES
from services.mail.outbox import FAILED, QUEUED, SENDING
from services.store import audit

ERASED_NAME = "—"


@dataclass(frozen=True)
class EraseReport:
    registrations: int
    kept_for_certificates: int
    cancelled: int


def export_participant(actor: Actor, email: str) -> dict[str, Any]:
    """Everything kept about the participant with `email`, for a data request."""
    require(actor, "registrations.privacy")
    address = validation.email(email).lower()
    with reading():
        rows = list(Registration.select().where(fn.LOWER(Registration.email) == address).order_by(Registration.id))
        events = {e.id: e for e in Event.select().where(Event.id.in_([r.event_id for r in rows]))} if rows else {}
        mails = _mails_to(address)
        certificates = list(Certificate.select().where(Certificate.key.in_([f"registration:{r.id}" for r in rows])))
    with write_tx():
        audit.record(actor.login, "participant", _pseudonym(address), "export", {"registrations": len(rows)})
    out = []
    for r in rows:
        d = asdict(_info_plain(r))
        d.pop("access_token", None)
        e = events.get(r.event_id)
        d["event"] = e.description if e else ""
        d["event_starts_at"] = e.starts_at if e else None
        out.append({k: _when(v) for k, v in d.items()})
    sent = [{"kind": m.kind, "subject": m.subject, "state": m.state, "created_at": _when(m.created_at),
             "sent_at": _when(m.sent_at), "text": m.body_text,
             "attachments": [a.get("name", "") for a in json.loads(m.attachments or "[]")]} for m in mails]
    issued = [{"code": c.code, "participant_name": c.participant_name, "cpf": c.cpf_masked, "event": c.event_title,
               "workload_hours": c.workload_hours, "issued_at": _when(c.issued_at)} for c in certificates]
    return {"email": address, "exported_at": clock.now().isoformat(), "registrations": out, "emails": sent,
            "certificates": issued}


def _when(value):
    """A date as ISO text for the export; anything else as it is."""
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


def _mails_to(address: str):
    """The outbox rows sent (or to be sent) to `address`, oldest first."""
    candidates = Outbox.select().where(fn.LOWER(Outbox.recipients).contains(address)
                                       | fn.LOWER(Outbox.cc).contains(address)).order_by(Outbox.id)
    return [m for m in candidates if any(parseaddr(a)[1].lower() == address
                                         for a in json.loads(m.recipients or "[]") + json.loads(m.cc or "[]"))]


def _pseudonym(address: str) -> str:
    """The audit log names a participant by a hash, never by their e-mail."""
    return hashlib.sha256(address.encode()).hexdigest()[:16]


def _info_plain(r: Registration) -> RegistrationInfo:
    return registration_info(r, {})


def erase_participant(actor: Actor, email: str) -> EraseReport:
    """Erase the participant's personal data. Registrations behind an issued
    certificate keep the name and CPF the certificate proves; everything else
    (e-mail, phone, company, access) goes. Future seats are given up."""
    require(actor, "registrations.privacy")
    address = validation.email(email).lower()
    kept = cancelled = 0
    with write_tx():
        rows = list(Registration.select().where(fn.LOWER(Registration.email) == address))
        if not rows:
            raise NotFound(_("No registration with e-mail {email}").format(email=address))
        now = clock.now()
        names = {r.name for r in rows if r.name and r.name != ERASED_NAME}
        _erase_mail(address, names, {r.event_id for r in rows}, {r.id for r in rows})
        _erase_notifications(rows)
        for r in rows:
            event = Event.get_by_id(r.event_id)
            changes: dict[str, Any] = dict(email="", phone="", company="", erased_at=now, updated_at=now,
                                           updated_by=actor.login, access_token=f"erased-{r.id}-{secrets.token_hex(6)}")
            if r.certificate_issued_at is not None:
                kept += 1
            else:
                changes.update(name=ERASED_NAME, name_norm="", cpf="")
            if r.cancelled_at is None and event.stage not in FINAL_STAGES:
                changes["cancelled_at"] = now
                cancelled += 1
            Registration.update(version=Registration.version + 1, **changes).where(Registration.id == r.id).execute()
            if "cancelled_at" in changes:
                promote(actor, event)
        audit.record(actor.login, "participant", _pseudonym(address), "erase",
                     {"registrations": len(rows), "kept_for_certificates": kept})
    return EraseReport(len(rows), kept, cancelled)


def _erase_mail(address: str, names: set[str], event_ids: set[int], registration_ids: set[int]) -> None:
    """Inside the erasure's transaction: the e-mails to the person lose their
    address and text (one still waiting is never sent); an e-mail about them
    to someone else (the coordinator's waiting-list notice) loses their name
    and address."""
    for m in _mails_to(address):
        changes: dict[str, Any] = dict(recipients=json.dumps([ERASED_NAME]), cc="[]", body_text=ERASED_NAME,
                                       body_html="", attachments="[]")
        if m.state in (QUEUED, SENDING):
            changes.update(state=FAILED, last_error=_("erased on the participant's request"), claim="")
        Outbox.update(**changes).where(Outbox.id == m.id).execute()
    about_them = ((fn.LOWER(Outbox.body_text).contains(address)) | (fn.LOWER(Outbox.body_html).contains(address))
                  | ((Outbox.kind == "waitlist_responsible") & (Outbox.about_entity == "event")
                     & Outbox.about_id.in_([str(i) for i in event_ids]))
                  | ((Outbox.about_entity == "registration")
                     & Outbox.about_id.in_([str(i) for i in registration_ids])))
    for m in Outbox.select().where(about_them):
        text, html = m.body_text, m.body_html
        for secret in sorted({address, *names}, key=len, reverse=True):
            text = _masked(text, secret)
            html = _masked(html, secret)
        Outbox.update(body_text=text, body_html=html).where(Outbox.id == m.id).execute()


def _masked(text: str, secret: str) -> str:
    return re.sub(re.escape(secret), ERASED_NAME, text or "", flags=re.IGNORECASE) if secret else text


def _erase_notifications(rows: list[Registration]) -> None:
    """Notifications that name the person (a waiting list, a seat that opened)."""
    by_event: dict[int, set[str]] = {}
    for r in rows:
        if r.name and r.name != ERASED_NAME:
            by_event.setdefault(r.event_id, set()).add(r.name)
    for event_id, names in by_event.items():
        for n in Notification.select().where(Notification.event == event_id):
            params = json.loads(n.params or "{}")
            if params.get("name") in names:
                params["name"] = ERASED_NAME
                refresh_text(n.id, params)
            elif any(name in (n.text or "") for name in names):  # an older one, as written
                text = n.text
                for name in names:
                    text = text.replace(name, ERASED_NAME)
                Notification.update(text=text).where(Notification.id == n.id).execute()
