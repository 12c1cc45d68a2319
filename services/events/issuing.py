"""`atende certificates issue EVENT`: issue now every certificate of one event
(the same path as the worker's sweep, without the 15-day window)."""
from __future__ import annotations

from models import reading
from models.events import Event
from services.core.errors import NotFound, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.core.validation import record_id
from services.events import certificates as certs
from services.events.mail import NO_CPF, _came, cpf_valid, issue_one
from services.events.pipeline import _require_change


def _event(ref: str) -> Event:
    number = record_id(ref)  # ASCII digits within the store's range: never an OverflowError
    row = Event.get_or_none(Event.id == number) if number is not None else None
    if row is None:
        raise NotFound(_("No event {ref}").format(ref=clean(str(ref or "")) or "-"))
    return row


def issue_event(actor: Actor, event_ref: str, progress=None) -> certs.IssueReport:
    """Issue now every certificate of the event `event_ref`: for its
    responsible, or a supervisor/admin."""
    require(actor, "certificates.issue")
    with reading():
        event = _event(event_ref)
        _require_change(actor, event)
        regs = list(_came([event.id]))
    report = certs.IssueReport()
    if event.stage == "cancelled":
        raise ValidationError(_("This event is cancelled"), "event")
    total = len(regs)
    if progress:
        progress(0, total)
    for i, reg in enumerate(regs, 1):
        if not cpf_valid(reg.cpf):
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


certs.register_event_issuer(issue_event)
