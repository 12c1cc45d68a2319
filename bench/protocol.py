"""Protocol numbering and ticket throughput under concurrent agents.

    python bench/protocol.py --procs 8 --tickets 500 [--db PATH]

N processes open wizards (reserve a protocol: one durable commit with its
draft) and finish tickets (one durable commit with everything attached) at
once against one database, with the app's own durability settings (WAL,
synchronous=FULL, busy timeout). In the same run, a bare SQLite loop measures
the machine's raw rate of durable commits, and one process doing the
writer's writes alone (no sessions, no sockets) shows the ceiling the store's
own work per ticket sets; and the same SQL from a bare sqlite3 loop (no app
code at all) shows what SQLite itself allows with this schema. Last line,
one JSON object: tickets_per_s, raw_commits_per_s, duplicates, errors, lost
(and the other figures).
Target: tickets_per_s >= 0.35 x raw_commits_per_s, and 0, 0, 0.
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
from contextlib import contextmanager, nullcontext

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def setup(path: str) -> dict:
    from models import Contact, Customer, Plan, Queue, TicketType, write_tx
    from services import users
    from services.store import open_store

    open_store(path)
    users.identify(users.os_login())
    with write_tx():
        c = Customer.create(kind="customer", name="Bench Cliente", name_norm="bench cliente", doc="52998224725")
        k = Contact.create(customer=c, name="Bench Contato", phone="+55 11 91234-5678")
        p = Plan.create(customer=c, name="Fibra", login="bench")
        q = Queue.create(name="Suporte")
        t = TicketType.create(name="Sem conexão", queue=q, responsible_role="agent")
    import models

    models.close_database()
    return {"customer": c.id, "contact": k.id, "plan": p.id, "queue": q.id, "type": t.id}


def filled(d, ids: dict, i: int):
    """The draft `d` as an agent leaves it at the first contact: customer, contact, plan, problem, destination."""
    from services import wizard

    return wizard.update(d, kind="customer", customer_id=ids["customer"], customer_name="Bench Cliente",
                         contact_id=ids["contact"], plan_id=ids["plan"], problem=f"sem internet {i}",
                         queue_id=ids["queue"], type_id=ids["type"], responsible_role="agent",
                         checks="reiniciou a ONU", step="first_contact")


def worker(path: str, n: int, ids: dict, start_at: float, out) -> None:
    from services import users, wizard
    from services.store import open_store

    open_store(path)
    actor = users.identify(users.os_login())
    done, errors = [], []
    while time.time() < start_at:
        time.sleep(0.001)
    for i in range(n):
        try:
            d = filled(wizard.start(actor), ids, i)
            wizard.finish(actor, d)
            done.append(d.protocol)
        except Exception as exc:  # counted, never hidden
            errors.append(f"{type(exc).__name__}: {exc}")
    out.put((done, errors))


def writes_only(path: str, tickets: int, per_group: int) -> float:
    """The store's own work per ticket, without sessions or sockets: one
    process runs the writer's requests (reserve, finish) in groups as the
    writer does, with the same checks, savepoints and durable commits. With
    `per_group` reservations and finishes a commit, as many requests as the
    sessions can have waiting (one each), its rate bounds what they can reach
    through one writer on this machine."""
    from models.writelock import queued_write_tx
    from services import group_commit, users, wizard
    from services.store import open_store

    ids = setup(path)
    open_store(path)
    actor = users.identify(users.os_login())

    def request(op: str, args: dict) -> dict:
        return {"id": group_commit.new_request_id(), "op": op, "args": args}

    pending: list[dict] = []
    done = 0
    t0 = time.perf_counter()
    while done < tickets:
        with queued_write_tx():
            new = [group_commit.execute(request("reserve", {"fmt": "{date:%Y%m%d}{seq:06d}"}), actor)
                   for _ in range(per_group)]
            for r in pending:
                d = filled(wizard.Draft(protocol=r["protocol"], ticket_id=r["ticket_id"], owner=actor.login,
                                        created_at=r["at"]), ids, done)
                group_commit.execute(request("finish", {"draft": wizard.to_json(d), "attachments": [],
                                                        "email_files": {}}), actor)
                done += 1
            pending = new
    return done / (time.perf_counter() - t0)


def bare_floor(path: str, tickets: int, per_group: int) -> float:
    """The SQL a ticket needs, run from a bare sqlite3 loop (no peewee, no
    services, no sockets, no sessions): the statements the writer runs for a
    reservation and a finish (with the audit rows, the request ids and the
    savepoints), `per_group` of each a commit. Its rate is what SQLite itself
    allows on this machine with this schema: the app's own work comes on top."""
    from services.fastsql import AUDIT_SQL
    from services.group_commit import REQUEST_SQL
    from services.protocol import DRAFT_TICKET_SQL, NEXT_SEQ_SQL, TAKEN_SQL
    from services.wizard import _FINISH_SQL, _REFERENCES_SQL

    ids = setup(path)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=FULL")
    user_id = con.execute("SELECT id FROM user ORDER BY id LIMIT 1").fetchone()[0]
    stamp = "2026-01-01 10:00:00"
    pending: list[tuple[str, int]] = []
    done = 0
    t0 = time.perf_counter()
    while done < tickets:
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE live_change SET n = n + 1 WHERE topic = 'data'")
        new = []
        for _ in range(per_group):
            con.execute("SAVEPOINT r")
            seq = con.execute(NEXT_SEQ_SQL, ("bare",)).fetchone()[0]
            protocol = f"B{seq:09d}"
            con.execute(TAKEN_SQL, (protocol,)).fetchone()
            ticket_id = con.execute(DRAFT_TICKET_SQL, (protocol, user_id, stamp, stamp, "bench")).fetchone()[0]
            con.execute(AUDIT_SQL, (stamp, "bench", "ticket", str(ticket_id), "reserve",
                                    json.dumps({"protocol": protocol})))
            con.execute(REQUEST_SQL, (f"{time.time_ns():016x}{seq:016x}", "bench", "reserve",
                                      json.dumps({"protocol": protocol, "ticket_id": ticket_id, "at": stamp}), stamp))
            con.execute("RELEASE r")
            new.append((protocol, ticket_id))
        for protocol, ticket_id in pending:
            con.execute("SAVEPOINT r")
            con.execute(_REFERENCES_SQL, (ids["customer"], ids["contact"], ids["customer"], ids["plan"], ids["plan"],
                                          None, ids["queue"], ids["type"], None)).fetchone()
            problem = f"sem internet {done}"
            con.execute(_FINISH_SQL, ("open", "customer", ids["customer"], None, ids["contact"], ids["plan"],
                                      ids["queue"], ids["type"], None, None, problem, problem, "reiniciou a ONU",
                                      "", "", stamp, "bench", None, ticket_id, protocol))
            con.execute("DELETE FROM ticket_draft WHERE protocol = ?", (protocol,))
            con.execute(AUDIT_SQL, (stamp, "bench", "ticket", str(ticket_id), "finish",
                                    json.dumps({"protocol": protocol, "status": ["draft", "open"],
                                                "customer": ids["customer"], "queue": ids["queue"],
                                                "type": ids["type"], "outbox": []})))
            con.execute(REQUEST_SQL, (f"{time.time_ns():016x}{ticket_id:016x}", "bench", "finish",
                                      json.dumps({"protocol": protocol, "ticket_id": ticket_id, "status": "open"}), stamp))
            con.execute("RELEASE r")
            done += 1
        con.execute("COMMIT")
        pending = new
    rate = done / (time.perf_counter() - t0)
    con.close()
    return rate


def raw_commits(path: str, seconds: float = 2.0) -> float:
    """Durable commits per second of a bare loop (WAL, synchronous=FULL), one process."""
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


def _child(out, fn, *args) -> None:
    out.put(fn(*args))


def in_child(fn, *args) -> float:
    """fn(*args) in a fresh process (its own connection and imports); a child
    that dies ends the bench with a message instead of waiting for ever."""
    import queue

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=_child, args=(out, fn, *args))
    child.start()
    while True:
        try:
            result = out.get(timeout=1.0)
            break
        except queue.Empty:
            if not child.is_alive():
                raise SystemExit(f"{fn.__name__} failed (exit code {child.exitcode}); its error is above") from None
    child.join()
    return result


@contextmanager
def writer_running(path: str):
    """`atende writer` for the database, as a shared server runs it: started,
    waited for until it listens, stopped on the way out (its last line printed)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    with open(f"{path}.writer.log", "w+") as log:  # a file, not a pipe: a full pipe would stop the writer
        proc = subprocess.Popen([sys.executable, "-c", "import app; app.main()", "--db", path, "writer"],
                                cwd=root, stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            sock = Path(f"{Path(path).resolve()}.writer")
            deadline = time.time() + 30
            while not sock.exists():
                if proc.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    raise SystemExit(f"the writer did not start: {log.read().strip() or 'timeout'}")
                time.sleep(0.02)
            yield
        finally:
            proc.terminate()
            proc.wait(10)
            log.seek(0)
            said = log.read().strip().splitlines()
            if said:
                print("writer:", said[-1])


def run(path: str, procs: int, tickets: int, writer: bool) -> dict:
    ids = setup(path)
    with writer_running(path) if writer else nullcontext():
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
    done = [x for d, _e in results for x in d]
    errors = [x for _d, e in results for x in e]
    con = sqlite3.connect(path)
    stored = {r[0]: r[1] for r in con.execute("SELECT protocol, status FROM ticket")}
    drafts = con.execute("SELECT count(*) FROM ticket_draft").fetchone()[0]
    con.close()
    return {"done": done, "errors": errors, "elapsed": elapsed, "duplicates": len(done) - len(set(done)),
            "lost": sum(1 for p in done if stored.get(p) != "open") + drafts, "rate": len(done) / elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--tickets", type=int, default=500, help="tickets in all (split among the processes)")
    ap.add_argument("--mode", choices=("writer", "direct", "both"), default="both",
                    help="writer: sessions send their commits to `atende writer` (a shared server); "
                         "direct: each session commits for itself (no writer running); both (default)")
    ap.add_argument("--db", help="database file (default: a temporary one; with --mode both, two)")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="atende-bench-"))
    raw_before = raw_commits(str(folder / "raw.db"))
    modes = ["writer", "direct"] if args.mode == "both" else [args.mode]
    runs = {}
    for mode in modes:
        path = args.db if args.db and len(modes) == 1 else str(folder / f"protocol-{mode}.db")
        runs[mode] = run(path, args.procs, args.tickets, mode == "writer")
    per_group = max(args.procs // 2, 1)
    writes_rate = in_child(writes_only, str(folder / "writes-only.db"), max(args.tickets, 1000), per_group)
    floor_rate = in_child(bare_floor, str(folder / "bare.db"), max(args.tickets, 1000), per_group)
    # The disk is shared: measure the raw rate on both sides of the runs and take the mean.
    raw_after = raw_commits(str(folder / "raw.db"))
    raw = (raw_before + raw_after) / 2
    print(f"raw durable commits: {raw:,.0f}/s (bare SQLite loop, WAL, synchronous=FULL; "
          f"{raw_before:,.0f} before, {raw_after:,.0f} after the runs)")
    for mode, r in runs.items():
        label = "with `atende writer`" if mode == "writer" else "each session committing itself"
        print(f"{mode}: {len(r['done'])} tickets by {args.procs} processes in {r['elapsed']:.2f} s "
              f"({label}): {r['rate']:,.0f} tickets/s = {r['rate'] / raw:.3f} x raw; "
              f"duplicates {r['duplicates']}, errors {len(r['errors'])}, lost {r['lost']}")
        for e in r["errors"][:5]:
            print("  error:", e)
    print(f"the writes alone (one process, no sessions, no sockets; {per_group} reservations and {per_group} "
          f"finishes a commit, all {args.procs} sessions' requests): {writes_rate:,.0f} tickets/s = "
          f"{writes_rate / raw:.3f} x raw, the ceiling of the writer's run")
    print(f"the same SQL from a bare sqlite3 loop (no app code at all; {per_group} of each a commit): "
          f"{floor_rate:,.0f} tickets/s = {floor_rate / raw:.3f} x raw, what SQLite itself allows with this schema")
    main_run = runs[modes[0]]
    figures = {"tickets": len(main_run["done"]), "procs": args.procs, "mode": modes[0],
               "tickets_per_s": round(main_run["rate"], 1), "raw_commits_per_s": round(raw, 1),
               "ratio": round(main_run["rate"] / raw, 3), "duplicates": main_run["duplicates"],
               "errors": len(main_run["errors"]), "lost": main_run["lost"]}
    if "direct" in runs and modes[0] != "direct":
        figures["direct_tickets_per_s"] = round(runs["direct"]["rate"], 1)
        figures["direct_ratio"] = round(runs["direct"]["rate"] / raw, 3)
    figures["writes_only_tickets_per_s"] = round(writes_rate, 1)
    figures["writes_only_ratio"] = round(writes_rate / raw, 3)
    figures["bare_sql_tickets_per_s"] = round(floor_rate, 1)
    figures["bare_sql_ratio"] = round(floor_rate / raw, 3)
    figures["ok"] = figures["ratio"] >= 0.35 and not (figures["duplicates"] or figures["errors"] or figures["lost"])
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
