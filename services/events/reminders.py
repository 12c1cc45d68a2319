"""When event mail is due: pure functions, no database, so every rule is tested
on its own and the events feature's sweeps stay small.

- Registration confirmation: at once (key `reminder_key(reg, "registration_confirmation")`).
- Reminders three days and one day before the start: each at most once per
  registration (the idempotency key has no date in it), skipped for a
  registration created after its send time, computed from the event's
  *current* start (so it follows the event when the start moves), never for a
  cancelled event or registration, never after the start. When the worker was
  stopped past both send times only the nearest reminder goes out.
- Certificates: from the end of the event until `window` days after it, for
  participants who came and have a valid CPF.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

REMINDERS = (("reminder_3d", dt.timedelta(days=3)), ("reminder_1d", dt.timedelta(days=1)))
"""(kind, how long before the start), farthest first."""
CERTIFICATE_WINDOW = dt.timedelta(days=15)
INACTIVE_EVENT = frozenset({"cancelled", "canceled", "draft"})
INACTIVE_REGISTRATION = frozenset({"cancelled", "canceled", "no_show", "waiting"})


def reminder_key(registration_id: object, kind: str) -> str:
    """The outbox idempotency key of one registration's mail of one kind."""
    return f"registration:{registration_id}:{kind}"


def send_time(start: dt.datetime, kind: str) -> dt.datetime:
    for name, before in REMINDERS:
        if name == kind:
            return start - before
    raise ValueError(f"unknown reminder {kind!r}")


def due_reminders(start: dt.datetime, now: dt.datetime, registered_at: dt.datetime,
                  event_status: str = "open", registration_status: str = "registered") -> list[str]:
    """The reminder kinds to queue now for one registration (usually none or one).

    The caller queues each with `reminder_key`, so a kind already sent is a no-op.
    """
    if event_status in INACTIVE_EVENT or registration_status in INACTIVE_REGISTRATION:
        return []
    if now >= start:
        return []
    due = []
    for index, (kind, before) in enumerate(REMINDERS):
        at = start - before
        window_end = start - REMINDERS[index + 1][1] if index + 1 < len(REMINDERS) else start
        if at <= now < window_end and registered_at <= at:
            due.append(kind)
    return due


@dataclass(frozen=True)
class CertificateDecision:
    due: bool
    reason: str = ""  # why not, for the coordinator's list ("", "no_cpf", "not_attended", ...)


def certificate_due(end: dt.datetime, now: dt.datetime, *, attended: bool, cpf_valid: bool,
                    already_issued: bool = False, window: dt.timedelta = CERTIFICATE_WINDOW,
                    event_status: str = "done") -> CertificateDecision:
    """Whether the worker issues a participant's certificate now."""
    if event_status in INACTIVE_EVENT:
        return CertificateDecision(False, "event_cancelled")
    if already_issued:
        return CertificateDecision(False, "issued")
    if now < end:
        return CertificateDecision(False, "not_ended")
    if now > end + window:
        return CertificateDecision(False, "window_passed")
    if not attended:
        return CertificateDecision(False, "not_attended")
    if not cpf_valid:
        return CertificateDecision(False, "no_cpf")
    return CertificateDecision(True)
