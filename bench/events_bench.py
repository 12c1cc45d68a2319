"""Speed of the events area on a realistic-to-large database.

    python bench/events_bench.py [--events 2000] [--registrations 3000]

Prints each figure, then (last line) one JSON object. Targets: the board
loads in under 300 ms with 2,000 events; the check-in desk filters 3,000
registrations per keystroke in under 50 ms; one registration (with the
capacity count) takes under 20 ms; a 5,000-row CSV imports in under 15 s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGETS = {"board_ms": 300, "checkin_filter_ms": 50, "register_ms": 20, "import_5000_s": 15}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--registrations", type=int, default=3000)
    args = parser.parse_args()

    from services.core import clock
    from services.events import checkin, editing, event_types, pipeline, queries
    from services.events import imports as imp
    from services.events import registrations as er
    from services.store import users
    from services.store.database import open_store

    folder = tempfile.mkdtemp(prefix="atende-bench-")
    open_store(str(Path(folder) / "bench.db"))
    admin = users.identify(users.os_login())
    now = dt.datetime(2026, 5, 4, 9, 0)
    clock.set_clock(lambda: now)
    offline = next(t.id for t in event_types.list_types(admin) if t.format == "offline")

    def new_event(i: int, seats: int = 30) -> queries.EventInfo:
        start = now + dt.timedelta(days=1 + i % 90, hours=i % 8)
        return editing.create_event(admin, editing.EventInput(
            description=f"Evento {i}", responsible_id=admin.id, starts_at=start,
            ends_at=start + dt.timedelta(hours=3), type_id=offline, address="Rua A, 1", seats=seats))

    t0 = time.perf_counter()
    for i in range(args.events):
        new_event(i)
    created_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    board = queries.list_events(admin)
    board_ms = (time.perf_counter() - t0) * 1000

    big = new_event(99_999, seats=args.registrations * 2)
    pipeline.move_event(admin, big.id, "preparation")
    pipeline.move_event(admin, big.id, "registration")
    t0 = time.perf_counter()
    for i in range(args.registrations):
        er.register(admin, big.id, er.RegistrationInput(name=f"Participante {i}", email=f"p{i}@example.com",
                                                       consent=True))
    register_ms = (time.perf_counter() - t0) * 1000 / args.registrations

    t0 = time.perf_counter()
    regs = er.list_registrations(admin, big.id)
    load_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    for query in ("parti", "participante 12", "1234", "ZZZZ"):
        [r for r in regs if checkin.matches(r, query)]
    filter_ms = (time.perf_counter() - t0) * 1000 / 4

    other = new_event(100_000, seats=10_000)
    pipeline.move_event(admin, other.id, "preparation")
    pipeline.move_event(admin, other.id, "registration")
    rows = "".join(f"Pessoa {i};pessoa{i}@example.com;sim\n" for i in range(5000))
    t0 = time.perf_counter()
    report = imp.import_csv(admin, other.id, ("nome;email;consentimento\n" + rows).encode())
    import_s = time.perf_counter() - t0
    assert report.added == 5000, report

    figures = {
        "events": args.events, "create_events_s": round(created_s, 2), "board_ms": round(board_ms, 1),
        "board_events": len(board), "registrations": args.registrations, "register_ms": round(register_ms, 2),
        "checkin_load_ms": round(load_ms, 1), "checkin_filter_ms": round(filter_ms, 2),
        "import_5000_s": round(import_s, 2),
    }
    for key, value in figures.items():
        target = TARGETS.get(key)
        verdict = f"  (target < {target}: {'ok' if value < target else 'SLOW'})" if target else ""
        print(f"{key:>20}: {value}" + verdict)
    figures["ok"] = all(figures[k] < v for k, v in TARGETS.items())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
