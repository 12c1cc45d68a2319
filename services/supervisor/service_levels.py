"""Service-level breaches (services.tickets.sla keeps the deadlines): the
worker's sweep tells a ticket's responsible and the supervisors, once per
missed deadline, and the dashboard's panel lists the tickets past a deadline
and those about to be.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import Ticket, User, write_tx
from models.db import execute
from services.core import business
from services.core.i18n import N_, _
from services.events.notifications import notify
from services.store import audit
from services.tickets import sla
from services.tickets.protocol import OPEN_STATUSES
from services.tickets.queues import parse_dt

MESSAGES = {
    "response": N_("Ticket {protocol} missed its first-response target (due {due})"),
    "resolution": N_("Ticket {protocol} missed its resolution target (due {due})"),
}
PANEL_LIMIT = 20
SOON = dt.timedelta(days=3)
"""The panel looks for tickets about to breach among deadlines this close on the wall clock."""


def _missed(now: dt.datetime):
    """Open tickets with a running deadline past `now` that nobody was told about."""
    response = (Ticket.first_response_at.is_null() & Ticket.response_left.is_null()
                & (Ticket.response_due_at <= now) & (Ticket.response_breached == False))  # noqa: E712
    resolution = (Ticket.resolution_left.is_null() & (Ticket.resolution_due_at <= now)
                  & (Ticket.resolution_breached == False))  # noqa: E712
    return (Ticket.select(Ticket.id, Ticket.protocol, Ticket.responsible, Ticket.first_response_at,
                          Ticket.response_due_at, Ticket.response_left, Ticket.response_breached,
                          Ticket.resolution_due_at, Ticket.resolution_left, Ticket.resolution_breached)
            .where(Ticket.sla_due_at.is_null(False) & (Ticket.sla_due_at <= now)
                   & Ticket.status.in_(OPEN_STATUSES) & (response | resolution))
            .order_by(Ticket.id))


def notify_breaches(now: dt.datetime) -> int:
    """Tell the responsible and every active supervisor about each deadline
    missed since the last run (a flag on the ticket: once per deadline);
    returns how many deadlines. The worker runs it every minute."""
    done = 0
    with write_tx():
        tickets = list(_missed(now))
        if not tickets:
            return 0
        supervisors = [u.id for u in User.select(User.id).where(User.active & (User.role == "supervisor"))
                       .order_by(User.id)]
        for t in tickets:
            missed = {}
            if (t.first_response_at is None and t.response_left is None and t.response_due_at is not None
                    and t.response_due_at <= now and not t.response_breached):
                missed["response"] = t.response_due_at
            if (t.resolution_left is None and t.resolution_due_at is not None and t.resolution_due_at <= now
                    and not t.resolution_breached):
                missed["resolution"] = t.resolution_due_at
            Ticket.update(**{f"{kind}_breached": True for kind in missed}).where(Ticket.id == t.id).execute()
            for kind, due in missed.items():
                for user_id in dict.fromkeys(x for x in (t.responsible_id, *supervisors) if x):
                    notify(user_id, MESSAGES[kind], {"protocol": t.protocol, "due": due.strftime("%d/%m/%Y %H:%M")})
            audit.record("worker", "ticket", t.id, "sla_breach", {"missed": sorted(missed)})
            done += len(missed)
    return done


def sweep(now: dt.datetime) -> int:
    """The worker's sweep (services.ops.sweeps)."""
    return notify_breaches(now)


@dataclass(frozen=True)
class AtRisk:
    """A ticket of the dashboard's service-level panel."""

    id: int
    protocol: str
    customer: str
    responsible: str
    target: str
    """Which deadline: "response" or "resolution"."""
    target_label: str
    due_at: dt.datetime
    left: int
    """Business minutes left (negative: past it)."""
    left_text: str
    breached: bool


TARGET_LABELS = {"response": N_("first response"), "resolution": N_("resolution")}


def at_risk(now: dt.datetime, limit: int = PANEL_LIMIT) -> tuple[AtRisk, ...]:
    """Open tickets past a running deadline (most overdue first), then those
    close to one (least time left first): at most `limit` of each. Read inside
    the caller's snapshot."""
    rows = execute(
        "SELECT t.id, t.protocol, COALESCE(c.name, ''), COALESCE(u.name, ''), t.sla_due_at, "
        "t.first_response_at, t.response_due_at, "
        "COALESCE(tt.response_minutes, q.response_minutes), COALESCE(tt.resolution_minutes, q.resolution_minutes) "
        "FROM ticket t LEFT JOIN customer c ON c.id = t.customer_id "
        'LEFT JOIN "user" u ON u.id = t.responsible_id LEFT JOIN ticket_type tt ON tt.id = t.type_id '
        "LEFT JOIN queue q ON q.id = t.queue_id "
        f"WHERE t.sla_due_at IS NOT NULL AND t.sla_due_at <= ? AND t.status IN ({','.join('?' * len(OPEN_STATUSES))}) "
        "ORDER BY t.sla_due_at, t.id",
        (str(now + SOON), *OPEN_STATUSES)).fetchall()
    if not rows:
        return ()
    cal = sla.calendar()
    breached, close = [], []
    for tid, number, customer, responsible, due, first, response_due, response_target, resolution_target in rows:
        due = parse_dt(due)
        target = "response" if first is None and response_due is not None and parse_dt(response_due) == due \
            else "resolution"
        left = business.business_minutes(cal, now, due)
        minutes = response_target if target == "response" else resolution_target
        late = now > due
        if not late and not (left < sla.WARN_MINUTES or (minutes and left < minutes * sla.WARN_SHARE)):
            continue
        item = AtRisk(tid, number, customer, responsible, target, _(TARGET_LABELS[target]), due, left,
                      sla.minutes_text(left), late)
        (breached if late else close).append(item)
    return tuple(breached[:limit]) + tuple(sorted(close, key=lambda r: (r.left, r.id))[:limit])
