"""How fast the triage decision, the analyst's calendar and a booking are,
on a database with a year of bookings. Prints figures, then one JSON line.

    .venv/bin/python bench/scheduling.py [--bookings 5000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import models  # noqa: E402
from models import Customer, Ticket, write_tx  # noqa: E402
from models.scheduling import Booking, Topic  # noqa: E402
from services.core import clock
from services.core.text import fold  # noqa: E402
from services.scheduling import bookings, rota, triage
from services.store import users  # noqa: E402
from services.store.database import open_store  # noqa: E402

NOW = dt.datetime(2026, 3, 9, 8, 0)


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(xs: list[float]) -> float:
    return sorted(xs)[int(len(xs) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=5000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="atende-bench-")
    open_store(str(Path(folder) / "bench.db"))
    admin = users.identify(users.os_login())
    users.add(admin, "igor", "agent", name="Igor Nascimento")
    analyst = rota.save_analyst(admin, "igor")
    clock.set_clock(lambda: NOW)
    rota.set_rota(admin, "2026-03", "igor")
    with write_tx():
        ids = [Customer.create(kind="customer", name=f"Cliente {i}", name_norm=fold(f"cliente {i}"), doc=f"{i:011d}",
                               email=f"c{i}@x.com.br").id for i in range(500)]
        topic = Topic.get(Topic.key == "tapp_do_zero")
        ticket = Ticket.create(protocol="BENCH", customer=ids[0], created_by=admin.id, created_at=NOW, updated_at=NOW)
        rows, day = [], NOW.date() - dt.timedelta(days=1)
        while len(rows) < args.bookings:
            for start, end in bookings.day_grid(analyst, day):
                rows.append(dict(analyst=analyst.id, start=start, end=end, customer=ids[len(rows) % 500],
                                 topic=topic.id, ticket=ticket.id, needs="x", contact_name="x", contact_phone="x",
                                 status="held", created_by="bench", created_at=NOW, updated_at=NOW))
            day -= dt.timedelta(days=1)
        for i in range(0, len(rows), 500):
            Booking.insert_many(rows[i:i + 500]).execute()
    pre = json.loads(topic.preconditions)
    t_triage = timed(lambda: triage.triage(admin, ids[1], "treinamento_financeiro"), 200)
    t_calendar = timed(lambda: bookings.calendar(admin, analyst, NOW.date(), bookings.HORIZON_DAYS), 50)
    free = bookings.free_slots(admin, analyst, limit=60)
    it = iter(free)

    def book_one():
        bookings.book(admin, bookings.BookingRequest(
            ids[2], "tapp_do_zero", next(it).start, "Integrar o TAPP do zero e ensinar a equipe a usar os pedidos",
            "Marta Souza", "11 91234-5678", "marta@x.com.br", preconditions_done=tuple(pre)))

    t_book = timed(book_one, 40)
    figures = {
        "bookings_in_db": Booking.select().count(),
        "triage_ms_p50": round(statistics.median(t_triage), 2), "triage_ms_p95": round(p95(t_triage), 2),
        "calendar_28d_ms_p50": round(statistics.median(t_calendar), 2),
        "calendar_28d_ms_p95": round(p95(t_calendar), 2),
        "book_ms_p50": round(statistics.median(t_book), 2), "book_ms_p95": round(p95(t_book), 2),
    }
    for k, v in figures.items():
        print(f"{k:>22}: {v}")
    models.close_database()
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
