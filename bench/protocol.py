"""Protocol numbering and ticket throughput under concurrent agents.

    python bench/protocol.py --procs 8 --tickets 500 [--db PATH | --db postgresql://...]

N processes open wizards (reserve a protocol: one durable commit) and finish
tickets (one durable commit with everything attached) at once against one
database, each session committing for itself through the services, with the
app's own durability settings (WAL, synchronous=FULL, busy timeout). It
measures tickets per second, the latency of each reservation and each finish
(p50, p99), and checks the database afterwards: every protocol once, every
finished ticket open, no draft left. The machine's raw rate of durable
commits (a bare loop, one process) is printed beside it for scale.

Last line, one JSON object: tickets_per_s, reserve_p50_ms, reserve_p99_ms,
finish_p50_ms, finish_p99_ms, duplicates, errors, lost (and the other figures).
Target: tickets_per_s >= 200, finish_p99_ms <= 100, and 0, 0, 0.
"""
from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py would shadow the standard library's `queue` (multiprocessing needs it)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import json
import multiprocessing as mp
import sqlite3
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_TICKETS_PER_S = 200
TARGET_FINISH_P99_MS = 100


def setup(path: str) -> dict:
    from models import Contact, Customer, Plan, Queue, TicketType, write_tx
    from services.store import users
    from services.store.database import open_store

    open_store(path)
    users.identify(users.session_login())
    with write_tx():  # a store used before (a server's database) keeps its rows: found, not made twice
        c, _new = Customer.get_or_create(kind="customer", name="Bench Cliente", name_norm="bench cliente",
                                         doc="52998224725")
        k, _new = Contact.get_or_create(customer=c, name="Bench Contato", phone="+55 11 91234-5678")
        p, _new = Plan.get_or_create(customer=c, name="Fibra", login="bench")
        q, _new = Queue.get_or_create(name="Suporte")
        t, _new = TicketType.get_or_create(name="Sem conexão", queue=q, responsible_role="agent")
    import models

    models.close_database()
    return {"customer": c.id, "contact": k.id, "plan": p.id, "queue": q.id, "type": t.id}


def filled(d, ids: dict, i: int):
    """The draft `d` as an agent leaves it at the first contact: customer, contact, plan, problem, destination."""
    from services.tickets.wizard import draft

    return draft.update(d, kind="customer", customer_id=ids["customer"], customer_name="Bench Cliente",
                        contact_id=ids["contact"], plan_id=ids["plan"], problem=f"sem internet {i}",
                        queue_id=ids["queue"], type_id=ids["type"], responsible_role="agent",
                        checks="reiniciou a ONU", step="first_contact")


def worker(path: str, n: int, ids: dict, start_at: float, out) -> None:
    from services.store import users
    from services.store.database import open_store
    from services.tickets.wizard import finishing, saving

    open_store(path)
    actor = users.identify(users.session_login())
    done, errors, reserve_ms, finish_ms = [], [], [], []
    while time.time() < start_at:
        time.sleep(0.001)
    for i in range(n):
        try:
            t0 = time.perf_counter()
            d = saving.start(actor)
            t1 = time.perf_counter()
            d = filled(d, ids, i)
            t2 = time.perf_counter()
            finishing.finish(actor, d)
            t3 = time.perf_counter()
            reserve_ms.append((t1 - t0) * 1000)
            finish_ms.append((t3 - t2) * 1000)
            done.append(d.protocol)
        except Exception as exc:  # counted, never hidden
            errors.append(f"{type(exc).__name__}: {exc}")
    out.put((done, errors, reserve_ms, finish_ms))


def raw_commits(path: str, seconds: float = 2.0) -> float:
    """Durable commits per second of a bare loop (WAL, synchronous=FULL), one process: the machine's scale."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE IF NOT EXISTS raw_bench (id INTEGER PRIMARY KEY, v TEXT)")
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO raw_bench (v) VALUES ('x')")
        con.execute("COMMIT")
        n += 1
    rate = n / (time.perf_counter() - t0)
    con.close()
    return rate


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile `p` (0-100) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


def run(path: str, procs: int, tickets: int) -> dict:
    ids = setup(path)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    share = [tickets // procs + (1 if i < tickets % procs else 0) for i in range(procs)]
    start_at = time.time() + 3.0  # every process connected before the clock starts
    workers = [ctx.Process(target=worker, args=(path, n, ids, start_at, out)) for n in share]
    for p in workers:
        p.start()
    results = [out.get() for _ in workers]
    elapsed = time.time() - start_at
    for p in workers:
        p.join()
    done = [x for r in results for x in r[0]]
    errors = [x for r in results for x in r[1]]
    reserve_ms = [x for r in results for x in r[2]]
    finish_ms = [x for r in results for x in r[3]]
    import models
    from models import Ticket
    from models.wizard import TicketDraft
    from services.store.database import open_store

    open_store(path)
    stored = dict(Ticket.select(Ticket.protocol, Ticket.status).tuples())
    drafts = TicketDraft.select().count()
    models.close_database()
    return {"done": done, "errors": errors, "elapsed": elapsed, "duplicates": len(done) - len(set(done)),
            "lost": sum(1 for p in done if stored.get(p) != "open") + drafts, "rate": len(done) / elapsed,
            "gaps": gaps(stored), "reserve_ms": reserve_ms, "finish_ms": finish_ms}


def gaps(protocols) -> int:
    """Numbers missing between the first and the last protocol of each day."""
    by_day: dict[str, list[int]] = {}
    for p in protocols:
        if p[:8].isdigit() and p[8:].isdigit():
            by_day.setdefault(p[:8], []).append(int(p[8:]))
    return sum(max(n) - min(n) + 1 - len(set(n)) for n in by_day.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--tickets", type=int, default=500, help="tickets in all (split among the processes)")
    ap.add_argument("--db", help="database file (default: a temporary one)")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="atende-bench-"))
    raw = raw_commits(str(folder / "raw.db"))
    r = run(args.db or str(folder / "protocol.db"), args.procs, args.tickets)
    figures = {
        "tickets": len(r["done"]), "procs": args.procs, "tickets_per_s": round(r["rate"], 1),
        "reserve_p50_ms": round(percentile(r["reserve_ms"], 50), 2),
        "reserve_p99_ms": round(percentile(r["reserve_ms"], 99), 2),
        "finish_p50_ms": round(percentile(r["finish_ms"], 50), 2),
        "finish_p99_ms": round(percentile(r["finish_ms"], 99), 2),
        "duplicates": r["duplicates"], "errors": len(r["errors"]), "lost": r["lost"], "gaps": r["gaps"],
        "raw_commits_per_s": round(raw, 1), "store": "postgresql" if "://" in (args.db or "") else "sqlite",
    }
    figures["ok"] = (figures["tickets_per_s"] >= TARGET_TICKETS_PER_S
                     and figures["finish_p99_ms"] <= TARGET_FINISH_P99_MS
                     and not (figures["duplicates"] or figures["errors"] or figures["lost"] or figures["gaps"]))
    print(f"raw durable commits: {raw:,.0f}/s (bare SQLite loop, one process, WAL, synchronous=FULL)")
    print(f"{len(r['done'])} tickets by {args.procs} processes in {r['elapsed']:.2f} s, each session committing "
          f"itself: {r['rate']:,.0f} tickets/s (target >= {TARGET_TICKETS_PER_S})")
    print(f"reserve: p50 {figures['reserve_p50_ms']} ms, p99 {figures['reserve_p99_ms']} ms; "
          f"finish: p50 {figures['finish_p50_ms']} ms, p99 {figures['finish_p99_ms']} ms "
          f"(target p99 finish <= {TARGET_FINISH_P99_MS} ms)")
    print(f"duplicates {r['duplicates']}, errors {len(r['errors'])}, lost {r['lost']}, gaps {r['gaps']} "
          "(target 0, 0, 0, 0)")
    for e in r["errors"][:5]:
        print("  error:", e)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
