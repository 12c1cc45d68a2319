"""Many sessions on one database at once: nothing lost, nothing doubled.

    python bench/concurrency.py --sessions 8 --seconds 30 [--db PATH] [--seed N]

N processes (agents and supervisors, each its own user) open the database
through `open_store` as the app does and, for `--seconds`, at random:

- open tickets through the wizard (protocol reserved, then finished),
- change a ticket's status with the version they read (a Conflict is a save
  correctly refused, counted apart), append replies and notes,
- register participants to events with 3 seats (a waiting list when full; a
  second registration of one e-mail is refused), cancel registrations,
- book the analyst's slots (someone else's slot is refused).

Each process records what the services said succeeded; afterwards the parent
checks the database:

- lost_updates: a reported message, status change, ticket, registration,
  cancellation or booking that is not in the database, two successful saves
  of one ticket that claim the same version, or a version that went backwards;
- duplicates: two tickets with one protocol, one e-mail registered twice in an
  event, two bookings of one slot;
- overbooked: an event with more confirmed registrations than seats, a slot
  with more bookings than its capacity (1);
- lock_errors: "database is locked" (or any OperationalError) that reached a caller.

Figures first, then as the LAST line one JSON object. Target: the four counts 0.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import multiprocessing as mp
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NOW = dt.datetime(2026, 3, 9, 8, 0)
"""The bench's clock starts here (a Monday; the analyst's rota covers March)."""
SEATS = 3
EVENTS = 4
EMAILS = 12
"""Participants' addresses are drawn from a small pool, so sessions race for one e-mail."""
HOT_TICKETS = 6
"""Status changes and messages go to the newest few tickets, so sessions collide."""

AGENT_OPS = (("wizard", 3), ("status", 3), ("message", 3), ("register", 2), ("book", 1))
EVENT_OPS = (("register", 4), ("cancel", 1), ("status", 2), ("message", 2), ("wizard", 1))


def _clock(start: float):
    return lambda: NOW + dt.timedelta(seconds=time.monotonic() - start)


# ------------------------------------------------------------------ setup


def setup(path: str, sessions: int) -> dict:
    """A database with customers, a queue, events with few seats, an analyst on
    duty, and one user per session (agents and supervisors alternate: the events' work
    needs someone who may change any event, as only its responsible or a
    supervisor may cancel a registration)."""
    import models
    from models import Contact, Customer, Plan, Queue, TicketType, write_tx
    from models.scheduling import Topic
    from services.core import clock
    from services.core.text import fold
    from services.events import editing, event_types, pipeline
    from services.scheduling import rota
    from services.store import users
    from services.store.database import open_store

    open_store(path)
    clock.set_clock(lambda: NOW)
    admin = users.identify(users.session_login())
    logins = []
    for i in range(sessions):
        role = "agent" if i % 2 == 0 else "supervisor"
        login = f"bench_{role}_{i}"
        users.add(admin, login, role, name=f"Bench {role} {i}", email=f"{login}@example.com")
        logins.append(login)
    users.add(admin, "bench_analyst", "agent", name="Bench Analyst")
    rota.save_analyst(admin, "bench_analyst")
    rota.set_rota(admin, f"{NOW:%Y-%m}", "bench_analyst")
    with write_tx():
        customers = []
        for i in range(20):
            c = Customer.create(kind="customer", name=f"Cliente {i}", name_norm=fold(f"cliente {i}"),
                                doc=f"{i + 1:011d}", email=f"cliente{i}@example.com")
            customers.append(c.id)
        contact = Contact.create(customer=customers[0], name="Bench Contato", phone="+55 11 91234-5678")
        plan = Plan.create(customer=customers[0], name="Fibra", login="bench")
        queue = Queue.create(name="Suporte bench")
        ttype = TicketType.create(name="Sem conexão bench", queue=queue, responsible_role="agent")
        topic = Topic.get(Topic.key == "tapp_do_zero")
    offline = next(t.id for t in event_types.list_types(admin) if t.format == "offline")
    event_ids = []
    for i in range(EVENTS):
        start = NOW + dt.timedelta(days=10 + i, hours=1)
        info = editing.create_event(admin, editing.EventInput(
            description=f"Oficina {i}", responsible_id=admin.id, starts_at=start,
            ends_at=start + dt.timedelta(hours=3), type_id=offline, address="Rua A, 1", seats=SEATS))
        pipeline.move_event(admin, info.id, "preparation")
        pipeline.move_event(admin, info.id, "registration")
        event_ids.append(info.id)
    models.close_database()
    clock.set_clock(None)
    return {"logins": logins, "customers": customers, "contact": contact.id, "plan": plan.id,
            "queue": queue.id, "type": ttype.id, "events": event_ids,
            "preconditions": json.loads(topic.preconditions)}


# ------------------------------------------------------------------ one session


def _is_lock_error(exc: BaseException) -> bool:
    import sqlite3

    import peewee

    while exc is not None:  # services.store.database turns a lock met while saving into StoreUnavailable
        text = str(exc).lower()
        if (isinstance(exc, (sqlite3.OperationalError, peewee.OperationalError))
                or "database is locked" in text or "database is busy" in text):
            return True
        exc = exc.__cause__
    return False


class Session:
    """One person's process: picks operations at random and records what succeeded."""

    def __init__(self, path: str, index: int, world: dict, seed: int):
        from services.core import clock
        from services.store import users
        from services.store.database import open_store

        self.index = index
        self.world = world
        self.rng = random.Random(seed * 1000 + index)
        open_store(path, create=False, upgrade=False)
        self.actor = users.identify(world["logins"][index])
        self.ops = AGENT_OPS if self.actor.role == "agent" else EVENT_OPS
        self.names = [name for name, weight in self.ops for _ in range(weight)]
        self.done: list[tuple] = []
        self.refused: collections.Counter = collections.Counter()
        self.lock_errors: list[str] = []
        self.errors: list[str] = []
        self.attempts = 0
        self.n = 0
        clock.set_clock(_clock(time.monotonic()))

    # -- picking targets

    def _hot_ticket(self):
        from models import Ticket, reading

        with reading():
            ids = [t.id for t in Ticket.select(Ticket.id).where(Ticket.status != "draft")
                   .order_by(Ticket.id.desc()).limit(HOT_TICKETS)]
        return self.rng.choice(ids) if ids else None

    # -- operations

    def op_wizard(self):
        from services.tickets.wizard import draft, finishing, saving

        w = self.world
        d = saving.start(self.actor)
        d = draft.update(d, kind="customer", customer_id=w["customers"][0], customer_name="Cliente 0",
                         contact_id=w["contact"], plan_id=w["plan"], problem=f"sem internet {self.index}-{self.n}",
                         queue_id=w["queue"], type_id=w["type"], responsible_role="agent",
                         checks="reiniciou a ONU", step="first_contact")
        done = finishing.finish(self.actor, d)
        self.done.append(("ticket", done.ticket_id, done.protocol))

    def op_status(self):
        from services.tickets import thread as tt

        tid = self._hot_ticket()
        if tid is None:
            return self.op_wizard()
        st = tt.state(self.actor, tid)
        allowed = [s for s in tt.allowed_statuses(st.status) if s != "draft"]
        if not allowed:
            self.refused["no_move"] += 1
            return
        new = self.rng.choice(allowed)
        time.sleep(self.rng.random() * 0.005)  # a person reads before saving: others may save meanwhile
        after = tt.change_status(self.actor, tid, new, expected_version=st.version,
                                 reason=f"reaberto por {self.actor.login}")
        self.done.append(("status", tid, after.version, after.status))

    def op_message(self):
        from services.tickets import thread as tt

        tid = self._hot_ticket()
        if tid is None:
            return self.op_wizard()
        body = f"mensagem {self.index}-{self.n} de {self.actor.login}"
        msg = tt.add_message(self.actor, tid, body, internal=self.rng.random() < 0.5)
        self.done.append(("message", msg.id, tid, body))

    def op_register(self):
        from services.events import registrations as er

        event_id = self.rng.choice(self.world["events"])
        k = self.rng.randrange(EMAILS)
        result = er.register(self.actor, event_id, er.RegistrationInput(
            name=f"Participante {k}", email=f"p{k}@example.com", consent=True))
        self.done.append(("registration", result.registration.id, event_id, f"p{k}@example.com"))

    def op_cancel(self):
        from models import reading
        from models.events import Registration
        from services.events import registrations as er

        event_id = self.rng.choice(self.world["events"])
        with reading():
            ids = [r.id for r in Registration.select(Registration.id).where(
                (Registration.event == event_id) & Registration.cancelled_at.is_null()
                & Registration.origin.is_null())]
        if not ids:
            return self.op_register()
        rid = self.rng.choice(ids)
        er.cancel_registration(self.actor, rid)
        self.done.append(("cancel", rid))

    def op_book(self):
        from services.scheduling import bookings, rota

        analyst = rota.analyst_for_month(self.actor)
        free = bookings.free_slots(self.actor, analyst, limit=4)
        if not free:
            self.refused["no_slot"] += 1
            return
        slot = self.rng.choice(free)
        w = self.world
        result = bookings.book(self.actor, bookings.BookingRequest(
            self.rng.choice(w["customers"][1:]), "tapp_do_zero", slot.start,
            "Integrar o TAPP do zero e ensinar a equipe a usar os pedidos e os relatórios",
            "Marta Souza", "11 91234-5678", "marta@example.com", preconditions_done=tuple(w["preconditions"])))
        self.done.append(("booking", result.booking.id, slot.start.isoformat()))

    def one(self) -> None:
        from services.core.errors import Conflict, ValidationError
        from services.scheduling.bookings import SlotTaken

        name = self.rng.choice(self.names)
        self.n += 1
        self.attempts += 1
        try:
            getattr(self, f"op_{name}")()
        except SlotTaken:
            self.refused["slot_taken"] += 1
        except Conflict:
            self.refused["conflict"] += 1
        except ValidationError as exc:
            self.refused[f"{name}_refused"] += 1
            if name not in ("register", "status", "cancel"):  # raced another session: a correct refusal
                self.errors.append(f"{name}: {exc}")
        except Exception as exc:  # counted, never hidden
            (self.lock_errors if _is_lock_error(exc) else self.errors).append(
                f"{name}: {type(exc).__name__}: {exc}")

    def result(self) -> dict:
        return {"done": self.done, "refused": dict(self.refused), "lock_errors": self.lock_errors,
                "errors": self.errors, "attempts": self.attempts}


def _session_main(path: str, index: int, world: dict, seed: int, start_at: float, seconds: float, out) -> None:
    try:
        s = Session(path, index, world, seed)
    except Exception as exc:
        out.put({"done": [], "refused": {}, "lock_errors": [], "attempts": 0,
                 "errors": [f"start: {type(exc).__name__}: {exc}"]})
        return
    while time.time() < start_at:
        time.sleep(0.005)
    end = start_at + seconds
    while time.time() < end:
        s.one()
    out.put(s.result())


# ------------------------------------------------------------------ the check


def check(path: str, results: list[dict]) -> dict:
    """Compare what the sessions were told with what the database holds."""
    server = "://" in path
    if server:
        import psycopg

        con = psycopg.connect(path)
    else:
        import sqlite3

        con = sqlite3.connect(path)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    done = [tuple(d) for r in results for d in r["done"]]
    lost: list[str] = []
    by_kind = collections.Counter(d[0] for d in done)

    tickets = {row[0]: row for row in q("SELECT id, protocol, status, version FROM ticket")}
    messages = {row[0]: row for row in q("SELECT id, ticket_id, body FROM ticket_message")}
    regs = {row[0]: row for row in q("SELECT id, event_id, email, cancelled_at FROM registration")}
    bookings_ = {row[0]: row for row in q("SELECT id, start FROM booking")}
    versions: dict[int, list[tuple[int, str]]] = collections.defaultdict(list)
    for d in done:
        kind = d[0]
        if kind == "ticket" and (d[1] not in tickets or tickets[d[1]][1] != d[2]):
            lost.append(f"ticket {d[2]} missing")
        elif kind == "message" and (d[1] not in messages or messages[d[1]][2] != d[3]):
            lost.append(f"message {d[1]} on ticket {d[2]} missing")
        elif kind == "status":
            versions[d[1]].append((d[2], d[3]))
        elif kind == "registration" and (d[1] not in regs or regs[d[1]][1] != d[2] or regs[d[1]][2] != d[3]):
            lost.append(f"registration {d[1]} missing")
        elif kind == "cancel" and (d[1] not in regs or regs[d[1]][3] is None):
            lost.append(f"cancellation of registration {d[1]} lost")
        elif kind == "booking" and d[1] not in bookings_:
            lost.append(f"booking {d[1]} missing")
    for tid, saves in versions.items():
        seen = collections.Counter(v for v, _s in saves)
        for v, n in seen.items():
            if n > 1:
                lost.append(f"ticket {tid}: {n} saves reported version {v}")
        top_version, top_status = max(saves)
        current = tickets.get(tid)
        if current is None or current[3] < top_version:
            lost.append(f"ticket {tid}: version went back to {current and current[3]} (saved {top_version})")
        elif current[3] == top_version and current[2] != top_status:
            lost.append(f"ticket {tid}: status {current[2]} but the last save set {top_status}")

    duplicates = [f"protocol {p} x{n}" for p, n in q(
        "SELECT protocol, count(*) FROM ticket GROUP BY protocol HAVING count(*) > 1")]
    duplicates += [f"{e} twice in event {ev}" for ev, e, _n in q(
        "SELECT event_id, email, count(*) FROM registration WHERE cancelled_at IS NULL "
        "GROUP BY event_id, email HAVING count(*) > 1")]
    double_booked = [f"slot {s} x{n}" for _a, s, n in q(
        "SELECT analyst_id, start, count(*) FROM booking WHERE status != 'cancelled' "
        "GROUP BY analyst_id, start HAVING count(*) > 1")]
    duplicates += double_booked
    overbooked = [f"event {e}: {n} confirmed for {seats} seats" for e, seats, n in q(
        "SELECT e.id, e.seats, count(r.id) FROM event e JOIN registration r ON r.event_id = e.id "
        "WHERE r.cancelled_at IS NULL AND NOT r.waitlisted AND e.seats IS NOT NULL "
        "GROUP BY e.id HAVING count(r.id) > e.seats")]
    overbooked += double_booked  # a slot holds one session: a double booking is also past capacity
    waiting_with_free_seat = q(
        "SELECT e.id FROM event e WHERE e.seats IS NOT NULL AND "
        "(SELECT count(*) FROM registration r WHERE r.event_id = e.id AND r.cancelled_at IS NULL "
        "AND NOT r.waitlisted) < e.seats "
        "AND EXISTS (SELECT 1 FROM registration r WHERE r.event_id = e.id AND r.cancelled_at IS NULL "
        "AND r.waitlisted)")
    integrity = "ok (server)" if server else q("PRAGMA integrity_check")[0][0]
    con.close()
    refused: collections.Counter = collections.Counter()
    for r in results:
        refused.update(r["refused"])
    return {
        "done": dict(by_kind), "refused": dict(refused),
        "lost": lost, "duplicates": duplicates, "overbooked": overbooked,
        "lock_errors": [e for r in results for e in r["lock_errors"]],
        "errors": [e for r in results for e in r["errors"]],
        "attempts": sum(r["attempts"] for r in results),
        "waiting_with_free_seat": len(waiting_with_free_seat),
        "integrity": integrity,
    }


# ------------------------------------------------------------------ the run


def run(path: str, sessions: int = 8, seconds: float = 30.0, seed: int = 7) -> dict:
    """Set up `path`, run the sessions, check; returns the figures."""
    world = setup(path, sessions)
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 1.0 + 0.1 * sessions  # everyone connected before the clock starts
    procs = [ctx.Process(target=_session_main, args=(path, i, world, seed, start_at, seconds, out))
             for i in range(sessions)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    elapsed = max(time.time() - start_at, 1e-9)
    for p in procs:
        p.join()
    report = check(path, results)
    ops = report["attempts"]
    return {
        "sessions": sessions, "seconds": seconds,
        "ops": ops, "ops_per_s": round(ops / elapsed, 1),
        "succeeded": sum(report["done"].values()),
        "conflicts_refused": report["refused"].get("conflict", 0) + report["refused"].get("slot_taken", 0),
        "lost_updates": len(report["lost"]), "duplicates": len(report["duplicates"]),
        "overbooked": len(report["overbooked"]), "lock_errors": len(report["lock_errors"]),
        "other_errors": len(report["errors"]), "integrity": report["integrity"],
        "_detail": report,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", help="database file (default: a temporary one, removed afterwards), or an empty "
                                 "PostgreSQL database's URL")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="atende-bench-"))
    path = args.db or str(folder / "concurrency.db")
    try:
        figures = run(path, args.sessions, args.seconds, args.seed)
    finally:
        if not args.db:
            shutil.rmtree(folder, ignore_errors=True)
    detail = figures.pop("_detail")
    print(f"{figures['ops']} operations by {args.sessions} sessions in {args.seconds:g} s: "
          f"{figures['ops_per_s']:,.1f} ops/s")
    print("succeeded: " + ", ".join(f"{k} {v}" for k, v in sorted(detail["done"].items())))
    print("refused (correctly): " + (", ".join(f"{k} {v}" for k, v in sorted(detail["refused"].items())) or "none"))
    for label, key in (("lost updates", "lost"), ("duplicates", "duplicates"), ("overbooked", "overbooked"),
                       ("lock errors", "lock_errors"), ("other errors", "errors")):
        items = detail[key]
        print(f"{label}: {len(items)}" + (f"  e.g. {items[:3]}" if items else ""))
    print(f"waiting lists with a free seat: {detail['waiting_with_free_seat']}; integrity: {detail['integrity']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
