"""A participant's personal data on request: everything kept about them
(export), and erasure, which keeps only what an issued certificate proves."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from models import reading, write_tx
from models.events import Event, Registration
from services.core import clock, validation
from services.core.errors import NotFound
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.events.registrations import RegistrationInfo, promote, registration_info
from services.events.stages import FINAL_STAGES
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
        rows = list(Registration.select().where(Registration.email == address).order_by(Registration.id))
        events = {e.id: e for e in Event.select().where(Event.id.in_([r.event_id for r in rows]))} if rows else {}
    with write_tx():
        audit.record(actor.login, "participant", _pseudonym(address), "export", {"registrations": len(rows)})
    out = []
    for r in rows:
        d = asdict(_info_plain(r))
        d.pop("access_token", None)
        e = events.get(r.event_id)
        d["event"] = e.description if e else ""
        d["event_starts_at"] = e.starts_at if e else None
        out.append({k: (v.isoformat() if isinstance(v, (dt.datetime, dt.date)) else v) for k, v in d.items()})
    return {"email": address, "exported_at": clock.now().isoformat(), "registrations": out}


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
        rows = list(Registration.select().where(Registration.email == address))
        if not rows:
            raise NotFound(_("No registration with e-mail {email}").format(email=address))
        now = clock.now()
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
