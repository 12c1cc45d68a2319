"""Certificates for an event's participants: who gets one (came, with a
valid CPF), issuing and e-mailing one (`issue_one`, which the worker's sweep
uses too), `atende certificates issue EVENT` (every certificate of one event,
now, without the 15-day window), and who came but gets none.

The certificate itself (PDF, code, verification) is `services.events.certificates`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models import User, reading, write_tx
from models.events import Event, Registration
from services.core import clock, validation
from services.core.errors import NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.core.validation import record_id
from services.events import certificates as certs
from services.events.access import require_change_row
from services.events.mail import organization, signatory
from services.events.registrations import CAME_STAGES, mark_certificate_issued
from services.events.stages import stage_label
from services.mail import outbox

NO_CPF = N_("no valid CPF")


@dataclass
class IssueReport:
    issued: int = 0
    """Newly issued now."""
    before: int = 0
    """Issued before (not issued or e-mailed again)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(participant, reason) for the coordinator's list."""


def cpf_valid(cpf: str) -> bool:
    try:
        validation.cpf(cpf or "", "cpf", required=True)
        return True
    except ValidationError:
        return False


def came(event_ids: list[int]):
    """The active registrations of those who came to the events `event_ids`, in order."""
    return Registration.select().where(Registration.event.in_(event_ids) & Registration.cancelled_at.is_null()
                                       & Registration.stage.in_(CAME_STAGES)).order_by(Registration.id)


def _certificate_data(reg: Registration, event: Event) -> certs.CertificateData:
    responsible = User.get_or_none(User.id == event.responsible_id)
    return certs.CertificateData(
        participant_name=reg.name, cpf=reg.cpf, event_title=event.description,
        workload_hours=event.workload_hours or 0, start=event.starts_at, end=event.ends_at,
        key=f"registration:{reg.id}", email=reg.email, about=("event", str(event.id)),
        signer=signatory() or (responsible.name if responsible else ""), organization=organization(),
        verify_url=verify_url())


def verify_url() -> str:
    """Where a certificate's QR code and e-mail send people to check it: the
    web pages' /certificados/<code> when their address is set ("" else: the bare code)."""
    from services.store import settings

    base = settings.get_url("web.base_url")
    return f"{base}/certificados/{{code}}" if base else ""


def issue_one(reg: Registration, event: Event, issued_by: str = "worker") -> Path:
    """Issue (same code if issued before), e-mail once, and mark the registration."""
    data = _certificate_data(reg, event)
    path = certs.issue_certificate(data, issued_by=issued_by)
    with write_tx():
        if reg.email:
            try:
                certs.mail_certificate(data, path, company_name=data.organization, created_by=issued_by)
            except ValidationError as exc:
                if "to" not in exc.errors:
                    raise
                outbox.record_failed(to=reg.email, subject=event.description, kind="certificate",
                                     key=f"certificate:{data.key}", about=data.about, error=exc.errors["to"],
                                     created_by=issued_by)
        mark_certificate_issued(reg.id)
    return path


def _event(ref: str) -> Event:
    number = record_id(ref)  # ASCII digits within the store's range: never an OverflowError
    row = Event.get_or_none(Event.id == number) if number is not None else None
    if row is None:
        raise NotFound(_("No event {ref}").format(ref=clean(str(ref or "")) or "-"))
    return row


def issue_event(actor: Actor, event_ref: str, progress=None) -> IssueReport:
    """Issue now every certificate of the event `event_ref`: for its
    responsible, or a supervisor/admin."""
    require(actor, "certificates.issue")
    with reading():
        event = _event(event_ref)
        require_change_row(actor, event)
        regs = list(came([event.id]))
    report = IssueReport()
    if event.stage == "cancelled":
        raise ValidationError(_("This event is cancelled"), "event")
    if event.stage != "held" or event.ends_at > clock.now():
        raise ValidationError(_("Certificates are issued once the event has ended and been closed as held; "
                                "{event} is at {stage}").format(event=event.description,
                                                                stage=stage_label(event.stage)), "event")
    total = len(regs)
    if progress:
        progress(0, total)
    for i, reg in enumerate(regs, 1):
        if reg.certificate_issued_at is not None:
            report.before += 1
        elif not cpf_valid(reg.cpf):
            report.skipped.append((reg.name, _(NO_CPF)))
        else:
            try:
                issue_one(reg, event, issued_by=actor.login)
                report.issued += 1
            except ValidationError as exc:
                report.skipped.append((reg.name, "; ".join(exc.errors.values())))
        if progress:
            progress(i, total)
    return report


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
        return [MissingCpf(r.id, r.name, r.email, r.cpf) for r in came([event_id])
                if r.certificate_issued_at is None and not cpf_valid(r.cpf)]
