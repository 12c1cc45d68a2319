"""The supervisor's dashboard: the figures of the whole desk at one glance.

Every figure is read with a few aggregate statements that the indexes serve
(see migration 0820_dashboard): open tickets by queue, type and age; today's
tickets per agent; calls in progress (wizard drafts); the oldest open tickets;
events in the next 14 days with their seats; the outbox and the certificates
still to issue; tickets per day for the last 30 days.

Each count carries the queue view and filter (services.tickets.queues) that lists the
tickets behind it, so the screen opens exactly that list.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from models import read_tx
from models.db import execute
from services.core import clock
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.supervisor import service_levels
from services.tickets.protocol import OPEN_STATUSES, STATUSES
from services.tickets.queues import age_text, parse_dt

AGE_BUCKETS = (
    # key (the desk filter's age value), label, lower bound (older than), upper bound (younger than)
    ("<1h", N_("less than an hour"), None, dt.timedelta(hours=1)),
    ("1h-1d", N_("1 hour to 1 day"), dt.timedelta(hours=1), dt.timedelta(days=1)),
    ("1d-3d", N_("1 to 3 days"), dt.timedelta(days=1), dt.timedelta(days=3)),
    ("3d-7d", N_("3 to 7 days"), dt.timedelta(days=3), dt.timedelta(days=7)),
    (">7d", N_("more than 7 days"), dt.timedelta(days=7), None),
)
DAYS = 30
EVENT_DAYS = 14
OLDEST = 10


@dataclass(frozen=True)
class Figure:
    """One number on the dashboard and the list behind it."""

    key: str
    label: str
    n: int
    target: str = "queues"
    """Which list opens: "queues" (view + filter), "outbox" (state in `filter`), "events", "none"."""
    view: str = "open"
    filter: str = ""


@dataclass(frozen=True)
class Call:
    """A call in progress: a wizard draft whose ticket is still being opened."""

    protocol: str
    agent: str
    agent_login: str
    started_at: dt.datetime
    duration: str
    step: str
    customer: str


@dataclass(frozen=True)
class OldTicket:
    id: int
    protocol: str
    customer: str
    queue: str
    status_label: str
    responsible: str
    created_at: dt.datetime
    age: str


@dataclass(frozen=True)
class UpcomingEvent:
    id: int
    description: str
    starts_at: dt.datetime
    seats: int | None
    filled: int
    waiting: int
    stage: str


@dataclass(frozen=True)
class Rating:
    """The satisfaction surveys answered in the last SURVEY_DAYS days, for
    one agent, queue or type: the average from 1 to 5 and how many answered."""

    group: str  # agent | queue | type
    name: str
    average: float
    answers: int


SURVEY_DAYS = 30


@dataclass(frozen=True)
class Dashboard:
    at: dt.datetime
    open_total: int
    by_queue: tuple[Figure, ...]
    by_type: tuple[Figure, ...]
    by_age: tuple[Figure, ...]
    today_by_agent: tuple[Figure, ...]
    calls: tuple[Call, ...]
    oldest: tuple[OldTicket, ...]
    events: tuple[UpcomingEvent, ...]
    mail: tuple[Figure, ...]
    per_day: tuple[int, ...]
    """Tickets opened on each of the last `DAYS` days, oldest first (today last)."""
    first_day: dt.date
    timings: tuple[tuple[str, float], ...] = ()
    """(part, milliseconds) of this reading, for the bench and the curious."""
    satisfaction: tuple[Rating, ...] = ()
    service_levels: tuple[service_levels.AtRisk, ...] = ()
    """Open tickets past a service-level deadline, then those about to be."""


def _q(name: str) -> str:
    """A quoted filter value."""
    return '"' + name.replace('"', "") + '"'


def _stamp(value: dt.datetime) -> str:
    return str(value)


def _open_in() -> str:
    return "status IN (" + ",".join("?" * len(OPEN_STATUSES)) + ")"


def _open_by(column: str, table: str, key: str, none_label: str) -> tuple[Figure, ...]:
    """Open tickets counted by `column` (a foreign key to `table`), biggest first."""
    rows = execute(
        # "+ 0" keeps SQLite from walking a whole (column, updated) index just to skip a sort
        f"SELECT t.ref, COALESCE(r.name, ''), t.n FROM (SELECT {column} + 0 ref, COUNT(*) n FROM ticket "
        f"WHERE {_open_in()} GROUP BY {column} + 0) t LEFT JOIN {table} r ON r.id = t.ref "
        "ORDER BY t.n DESC, r.name", OPEN_STATUSES).fetchall()
    return tuple(
        Figure(f"{key}:{ref}", name, n, filter=f"{key}:{_q(name)}") if ref is not None
        else Figure(f"{key}:none", none_label, n, target="none")
        for ref, name, n in rows)


def by_queue(now: dt.datetime) -> tuple[Figure, ...]:
    return _open_by("queue_id", "queue", "queue", _("(no queue)"))


def by_type(now: dt.datetime) -> tuple[Figure, ...]:
    return _open_by("type_id", "ticket_type", "type", _("(no type)"))


def by_age(now: dt.datetime) -> tuple[Figure, ...]:
    cases, params = [], []
    for _key, _label, older, younger in AGE_BUCKETS:
        cond, p = [], []
        if older is not None:
            cond.append("created_at <= ?")
            p.append(_stamp(now - older))
        if younger is not None:
            cond.append("created_at > ?")
            p.append(_stamp(now - younger))
        cases.append(f"SUM(CASE WHEN {' AND '.join(cond)} THEN 1 ELSE 0 END)")
        params.extend(p)
    row = execute(f"SELECT {', '.join(cases)} FROM ticket WHERE {_open_in()}",
                         [*params, *OPEN_STATUSES]).fetchone()
    return tuple(Figure(f"age:{key}", _(label), int(n or 0), filter=f"age:{key}")
                 for (key, label, _o, _y), n in zip(AGE_BUCKETS, row))


def today_by_agent(now: dt.datetime) -> tuple[Figure, ...]:
    start = dt.datetime.combine(now.date(), dt.time.min)
    rows = execute(
        "SELECT u.login, u.name, t.n FROM (SELECT created_by_id + 0 created_by_id, COUNT(*) n FROM ticket "
        "WHERE created_at >= ? AND status != 'draft' GROUP BY created_by_id + 0) t "
        'JOIN "user" u ON u.id = t.created_by_id ORDER BY t.n DESC, u.name',
        (_stamp(start),)).fetchall()
    return tuple(Figure(f"agent:{login}", name or login, n, view="all", filter=f"opener:{login} created:today")
                 for login, name, n in rows)


def calls(now: dt.datetime) -> tuple[Call, ...]:
    rows = execute(
        "SELECT t.protocol, u.login, u.name, t.created_at, d.step, d.data FROM ticket t "
        'JOIN "user" u ON u.id = t.created_by_id LEFT JOIN ticket_draft d ON d.ticket_id = t.id '
        "WHERE t.status = 'draft'").fetchall()
    rows.sort(key=lambda r: str(r[3]))  # sorted here: an ORDER BY would walk the creation index
    out = []
    for number, login, name, created, step, data in rows:
        customer = ""
        if data:
            try:
                loaded = json.loads(data)
                customer = str(loaded.get("customer_name") or loaded.get("access_point_name") or "")
            except (ValueError, AttributeError):
                customer = ""
        started = parse_dt(created)
        out.append(Call(number, name or login, login, started, age_text(started, now), step or "kind", customer))
    return tuple(out)


def oldest(now: dt.datetime, limit: int = OLDEST) -> tuple[OldTicket, ...]:
    # one indexed range per status, merged here: cheaper than sorting every open ticket
    found = []
    for status in OPEN_STATUSES:
        found += execute(
            "SELECT t.id, t.protocol, COALESCE(c.name, ''), COALESCE(q.name, ''), t.status, "
            "COALESCE(u.name, ''), t.created_at FROM ticket t "
            "LEFT JOIN customer c ON c.id = t.customer_id LEFT JOIN queue q ON q.id = t.queue_id "
            'LEFT JOIN "user" u ON u.id = t.responsible_id '
            "WHERE t.status = ? ORDER BY t.created_at, t.id LIMIT ?", (status, limit)).fetchall()
    found.sort(key=lambda r: (str(r[6]), r[0]))
    out = []
    for tid, number, customer, queue, status, responsible, created in found[:limit]:
        at = parse_dt(created)
        out.append(OldTicket(tid, number, customer, queue, _(STATUSES.get(status, status)), responsible, at,
                             age_text(at, now)))
    return tuple(out)


def upcoming_events(now: dt.datetime, days: int = EVENT_DAYS) -> tuple[UpcomingEvent, ...]:
    rows = execute(
        "SELECT e.id, e.description, e.starts_at, e.seats, e.stage, "
        "COALESCE(SUM(CASE WHEN r.id IS NOT NULL AND NOT r.waitlisted THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN r.waitlisted THEN 1 ELSE 0 END), 0) "
        "FROM event e LEFT JOIN registration r ON r.event_id = e.id AND r.cancelled_at IS NULL "
        "WHERE e.starts_at >= ? AND e.starts_at < ? AND e.stage != 'cancelled' "
        "GROUP BY e.id ORDER BY e.starts_at, e.id",
        (_stamp(now), _stamp(now + dt.timedelta(days=days)))).fetchall()
    return tuple(UpcomingEvent(i, d, parse_dt(s), seats, int(filled), int(waiting), stage)
                 for i, d, s, seats, stage, filled, waiting in rows)


def mail_and_certificates(now: dt.datetime) -> tuple[Figure, ...]:
    from services.events.issuing import cpf_valid
    from services.events.registrations import CAME_STAGES
    from services.store import settings

    states = dict(execute("SELECT state, COUNT(*) FROM outbox WHERE state IN ('queued', 'failed') "
                                 "GROUP BY state").fetchall())
    window = dt.timedelta(days=settings.get_int("certificates.window_days"))
    cpfs = [r[0] for r in execute(
        "SELECT r.cpf FROM registration r JOIN event e ON e.id = r.event_id "
        "WHERE e.ends_at <= ? AND e.ends_at >= ? AND e.stage != 'cancelled' AND r.cancelled_at IS NULL "
        f"AND r.certificate_issued_at IS NULL AND r.stage IN ({','.join('?' * len(CAME_STAGES))})",
        (_stamp(now), _stamp(now - window), *CAME_STAGES)).fetchall()]
    no_cpf = sum(1 for c in cpfs if not cpf_valid(c or ""))
    return (
        Figure("mail:queued", _("E-mail queued"), int(states.get("queued", 0)), target="outbox", filter="queued"),
        Figure("mail:failed", _("E-mail failed"), int(states.get("failed", 0)), target="outbox", filter="failed"),
        Figure("certificates:pending", _("Certificates to issue"), len(cpfs) - no_cpf, target="events"),
        Figure("certificates:no_cpf", _("Certificates waiting for a valid CPF"), no_cpf, target="events"),
    )


def satisfaction(now: dt.datetime, days: int = SURVEY_DAYS) -> tuple[Rating, ...]:
    """Survey answers of the last `days` days per agent, queue and type, best first."""
    out: list[Rating] = []
    for group, table, key in (("agent", "user", "agent_id"), ("queue", "queue", "queue_id"),
                              ("type", "ticket_type", "type_id")):
        rows = execute(
            f"SELECT COALESCE(x.name, ''), AVG(s.rating), COUNT(*) FROM survey s "
            f"LEFT JOIN {_q(table)} x ON x.id = s.{key} WHERE s.answered_at >= ? "
            f"GROUP BY s.{key}, x.name ORDER BY AVG(s.rating) DESC, COUNT(*) DESC",
            (_stamp(now - dt.timedelta(days=days)),)).fetchall()
        out += [Rating(group, name or "-", round(float(avg), 1), int(n)) for name, avg, n in rows]
    return tuple(out)


def per_day(now: dt.datetime, days: int = DAYS) -> tuple[dt.date, tuple[int, ...]]:
    first = now.date() - dt.timedelta(days=days - 1)
    rows = execute(
        "SELECT substr(CAST(created_at AS TEXT), 1, 10), COUNT(*) FROM ticket "
        "WHERE created_at >= ? AND status != 'draft' GROUP BY 1",
        (_stamp(dt.datetime.combine(first, dt.time.min)),)).fetchall()
    found = {str(d): n for d, n in rows}
    return first, tuple(found.get((first + dt.timedelta(days=i)).isoformat(), 0) for i in range(days))


def open_total() -> int:
    return execute(f"SELECT COUNT(*) FROM ticket WHERE {_open_in()}", OPEN_STATUSES).fetchone()[0]


def read(actor: Actor) -> Dashboard:
    """Every figure of the dashboard, read in one snapshot."""
    import time

    require(actor, "area.supervisor")
    now = clock.now()
    timings: list[tuple[str, float]] = []
    results: dict[str, object] = {}
    parts = (("open_total", lambda: open_total()), ("by_queue", lambda: by_queue(now)),
             ("by_type", lambda: by_type(now)), ("by_age", lambda: by_age(now)),
             ("today_by_agent", lambda: today_by_agent(now)), ("calls", lambda: calls(now)),
             ("oldest", lambda: oldest(now)), ("events", lambda: upcoming_events(now)),
             ("mail", lambda: mail_and_certificates(now)), ("per_day", lambda: per_day(now)),
             ("satisfaction", lambda: satisfaction(now)), ("service_levels", lambda: service_levels.at_risk(now)))
    with read_tx():  # one read snapshot: the figures agree with each other
        for name, part in parts:
            started = time.perf_counter()
            results[name] = part()
            timings.append((name, round((time.perf_counter() - started) * 1000, 2)))
    first, days = results["per_day"]
    return Dashboard(
        at=now, open_total=results["open_total"], by_queue=results["by_queue"], by_type=results["by_type"],
        by_age=results["by_age"], today_by_agent=results["today_by_agent"], calls=results["calls"],
        oldest=results["oldest"], events=results["events"], mail=results["mail"], per_day=days,
        first_day=first, timings=tuple(timings), satisfaction=results["satisfaction"],
        service_levels=results["service_levels"])
