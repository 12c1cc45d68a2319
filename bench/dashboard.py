"""The supervisor's dashboard at scale: every figure read from a database of
many tickets (spread over the last 90 days), drafts, events and e-mail.

    python bench/dashboard.py --tickets 100000 [--keep /tmp/dash.db]

Last line: JSON with tickets, read_p95_ms (the whole dashboard, one
snapshot) and the slowest part. Target: read_p95_ms <= 100.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STATUSES = ("open", "in_progress", "waiting_customer", "resolved", "finished", "finished", "finished")


def p95(samples: list[float]) -> float:
    samples = sorted(samples)
    return samples[max(0, int(len(samples) * 0.95) - 1)]


def fill(tickets: int, rng: random.Random) -> None:
    from models import Customer, Queue, Ticket, TicketType, User, db, write_tx
    from models.events import Event, EventType, Registration
    from models.mail import Outbox
    from models.wizard import TicketDraft
    from services.core import clock

    now = clock.now()
    with write_tx():
        queues = [Queue.create(name=f"Fila {i}") for i in range(6)]
        types = [TicketType.create(name=f"Tipo {i}", queue=queues[i % 6]) for i in range(20)]
        agents = [User.create(login=f"agent{i}", name=f"Agente {i}", role="agent") for i in range(30)]
        for c0 in range(0, 20_000, 500):
            Customer.insert_many([{"kind": "customer", "name": f"Cliente {i}", "name_norm": f"cliente {i}"}
                                  for i in range(c0, c0 + 500)]).execute()
    span = 90 * 24 * 60
    for start in range(0, tickets, 500):
        rows = []
        for i in range(start, min(tickets, start + 500)):
            at = now - dt.timedelta(minutes=span * (tickets - i) // tickets)
            t = types[rng.randrange(len(types))]
            rows.append({"id": i + 1, "protocol": f"B{i:09d}", "status": rng.choice(STATUSES),
                         "customer": rng.randrange(1, 20_001), "queue": t.queue_id, "type": t.id,
                         "responsible": agents[rng.randrange(30)].id, "subject": "x",
                         "created_by": agents[rng.randrange(30)].id, "created_at": at, "updated_at": at,
                         "version": 1})
        with write_tx():
            Ticket.insert_many(rows).execute()
    with write_tx():
        for i in range(8):  # calls in progress
            t = Ticket.create(protocol=f"D{i:06d}", status="draft", created_by=agents[i].id,
                              created_at=now - dt.timedelta(minutes=3 * i), updated_at=now)
            TicketDraft.create(protocol=t.protocol, owner=agents[i].login, ticket=t, step="contact",
                               data=json.dumps({"customer_name": f"Cliente {i}"}), updated_at=now)
        et = EventType.select().first()
        for i in range(10):
            e = Event.create(description=f"Treinamento {i}", responsible=agents[0].id, type=et,
                             starts_at=now + dt.timedelta(days=i * 2 - 4),
                             ends_at=now + dt.timedelta(days=i * 2 - 4, hours=2),
                             seats=20, stage="registration", created_at=now, created_by="bench", updated_at=now)
            for r in range(rng.randrange(5, 25)):
                Registration.create(event=e, code=f"C{i}-{r}", access_token=f"T{i}-{r}", name=f"P {r}",
                                    email=f"p{r}@e{i}.example", stage="came" if i < 2 else "new",
                                    waitlisted=r >= 20, consent_at=now, consent_by="bench", created_at=now,
                                    created_by="bench", updated_at=now)
        Outbox.insert_many([{"recipients": "[]", "idempotency_key": f"k{i}", "state": rng.choice(
            ("queued", "sent", "sent", "failed")), "next_attempt_at": now, "created_at": now}
            for i in range(2000)]).execute()
        db.execute_sql("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", metavar="PATH", help="build the database here and keep it (for a walk in tmux)")
    args = parser.parse_args()

    import models
    from services.core.permissions import Actor
    from services.store import users
    from services.store.database import open_store
    from services.supervisor import dashboard

    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="atende-bench-dash-")) / "bench.db"
    open_store(str(path))
    users.identify(users.os_login())
    t0 = time.perf_counter()
    fill(args.tickets, random.Random(8))
    print(f"filled {args.tickets} tickets in {time.perf_counter() - t0:.1f} s")
    boss = Actor(login="boss", name="Boss", role="supervisor")
    totals: list[float] = []
    parts: dict[str, list[float]] = {}
    for _r in range(args.repeat):
        w = time.perf_counter()
        board = dashboard.read(boss)
        totals.append((time.perf_counter() - w) * 1000)
        for name, ms in board.timings:
            parts.setdefault(name, []).append(ms)
    for name, samples in parts.items():
        print(f"{name}: median {statistics.median(samples):.2f} ms, p95 {p95(samples):.2f} ms")
    print(f"whole dashboard: median {statistics.median(totals):.2f} ms, p95 {p95(totals):.2f} ms "
          f"({board.open_total} open tickets)")
    models.close_database()
    slowest = max(parts, key=lambda k: p95(parts[k]))
    print(json.dumps({"tickets": args.tickets, "read_p95_ms": round(p95(totals), 2),
                      "read_median_ms": round(statistics.median(totals), 2), "slowest": slowest,
                      "slowest_p95_ms": round(p95(parts[slowest]), 2), "target_ms": 100,
                      "ok": p95(totals) <= 100}))


if __name__ == "__main__":
    main()
