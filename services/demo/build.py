"""Demo data: fills an empty database with realistic Brazilian customers.

`fill` writes networks, access points (POPs), queues, ticket types, staff in
every role, custom contact fields, and then customers with their contacts
and plans: valid and unique CPFs/CNPJs, accented names, mobile phones with
real area codes, e-mails at real domains, PPPoE logins. Everything derives
from `random.Random(seed)`, so the same seed and size give the same data.

Speed matters (a million customers is a normal stress size): rows are built
as tuples from precomputed pools, CPF check digits come from lookup tables,
and on SQLite they go in through the raw connection with `executemany`, in
one transaction, with the bulk tables' indexes rebuilt once at the end.
Other databases get peewee `insert_many` in batches.

UI-free: never imports textual, tui or screens.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass

from models import (
    AccessPoint,
    Contact,
    ContactExtraValue,
    Customer,
    ExtraField,
    Network,
    Plan,
    Queue,
    Setting,
    TicketType,
    User,
    db,
    is_sqlite,
    reading,
    write_tx,
)
from models.search import search_index_paused
from services.core import clock
from services.core.errors import PermissionDenied, ValidationError
from services.core.i18n import _
from services.core.permissions import ADMIN, Actor, require
from services.core.text import fold
from services.demo import canned, contactus, desk, events, mail, scheduling, wizard
from services.demo.customers import Generator, PeeweeWriter, Progress, Reference, SqliteWriter
from services.demo.names import EXTRA_FIELDS, NETWORKS, QUEUES, STAFF, STAFF_DOMAIN, TICKET_TYPES
from services.store import audit

MAX_CUSTOMERS = 5_000_000
"""The CLI's own limit (`atende demo --customers`)."""
BATCH = 20_000
"""Customers generated and inserted per round (and per progress call)."""



@dataclass(frozen=True)
class DemoReport:
    """What `fill` wrote: customers and prospects (customers + prospects is the
    size asked for), their contacts and plans, the access points and staff
    users it added (existing ones are kept), and how long it took."""

    customers: int
    prospects: int
    contacts: int
    plans: int
    access_points: int
    users: int
    seconds: float


def _next_ids() -> dict[str, int]:
    def next_id(model) -> int:
        return (model.select(model.id).order_by(model.id.desc()).limit(1).scalar() or 0) + 1

    return {"customer": next_id(Customer), "contact": next_id(Contact),
            "value": next_id(ContactExtraValue), "plan": next_id(Plan)}


def _get_or_insert(model, name: str, **fields) -> tuple[int, bool]:
    row = model.select(model.id).where(model.name == name).first()
    if row is not None:
        return row.id, False
    return model.insert(name=name, **fields).execute(), True


def _reference_data() -> Reference:
    """Networks, POPs, queues, staff, ticket types and custom fields (existing
    rows with the same names are kept and reused)."""
    aps, weights, added_aps = [], [], 0
    for network, tech, cities in NETWORKS:
        network_id, _new = _get_or_insert(Network, network)
        for city, state, ddd, pops in cities:
            for pop, district, weight in pops:
                row = AccessPoint.select(AccessPoint.id).where(AccessPoint.name == pop).first()
                if row is None:
                    ap_id = AccessPoint.insert(name=pop, name_norm=fold(pop), city=city, state=state,
                                               network=network_id).execute()
                    added_aps += 1
                else:
                    ap_id = row.id
                aps.append((ap_id, city, state, ddd, district, tech, fold(city)))
                weights.append(weight)

    queue_ids = {name: _get_or_insert(Queue, name)[0] for name in QUEUES}

    logins = [login for login, _name, _role in STAFF]
    existing = {u.login for u in User.select(User.login).where(User.login.in_(logins))}
    now = clock.now()
    new_users = [dict(login=login, name=name, email=f"{login}@{STAFF_DOMAIN}", role=role, created_at=now)
                 for login, name, role in STAFF if login not in existing]
    if new_users:
        User.insert_many(new_users).on_conflict_ignore().execute()
    user_ids = {u.login: u.id for u in User.select(User.id, User.login).where(User.login.in_(logins))}

    for name, queue, role, user, allows_link in TICKET_TYPES:
        _get_or_insert(TicketType, name, queue=queue_ids[queue], responsible_role=role,
                       responsible_user=user_ids.get(user) if user else None, allows_link=allows_link)

    position = (ExtraField.select(ExtraField.position).order_by(ExtraField.position.desc())
                .limit(1).scalar() or 0)
    field_ids = []
    for name, label, type_, choices in EXTRA_FIELDS:
        row = ExtraField.select(ExtraField.id).where(ExtraField.name == name).first()
        if row is None:
            position += 1
            field_ids.append(ExtraField.insert(
                name=name, label=label, type=type_, choices=json.dumps(choices, ensure_ascii=False),
                position=position).execute())
        else:
            field_ids.append(row.id)
    return Reference(aps, weights, field_ids, added_aps, len(new_users))


def has_data() -> bool:
    """True when the database already holds customers (demo or real)."""
    with reading():
        return Customer.select().exists()


PROGRESS_KEY = "demo.fill"
"""The Setting row that follows a fill: written with the core data (customers,
in one transaction), updated in the same transaction as each feature's demo,
removed once all are in. Present means a fill was interrupted: `fill` then
adds only what is missing."""


def _unfinished() -> dict | None:
    with reading():
        row = Setting.get_or_none(Setting.key == PROGRESS_KEY)
    if row is None:
        return None
    try:
        state = json.loads(row.value)
    except ValueError:
        return None
    return state if isinstance(state, dict) and isinstance(state.get("done"), list) else None


def status(actor: Actor) -> str:
    """Where a fill stands: "empty" (no customers: a fill starts),
    "unfinished" (a fill was interrupted: a fill finishes it) or "filled"
    (customers are there: a fill is refused)."""
    require(actor, "demo.fill")
    if _unfinished() is not None:
        return "unfinished"
    return "filled" if has_data() else "empty"


def require_reset(login: str, path) -> None:
    """Raise PermissionDenied unless `login` may delete the database file
    `path` (open, not yet upgraded) to start anew: an active admin of it, or
    the file's owner when nobody else is an active person of it. Reads only."""
    import os
    from pathlib import Path

    with reading():
        people = list(User.select(User.login, User.role).where(User.active == True))  # noqa: E712
    if any(p.login == login and p.role == ADMIN for p in people):
        return
    try:
        owner = Path(path).stat().st_uid == os.getuid()
    except OSError:
        owner = False
    if owner and all(p.login == login for p in people):
        return
    raise PermissionDenied(_("Only an admin of {path} may reset it; nothing was deleted").format(path=path))


def fill(actor: Actor, customers: int = 10_000, seed: int = 7,
         progress: Progress | None = None) -> DemoReport:
    """Fill an empty database with `customers` demo customers and prospects
    (with contacts and plans) and the reference data around them.

    `progress(stage, done, total)` is called after every batch ("customers")
    and after every rebuilt index ("indexes", SQLite only).
    Refuses (ValidationError) a database that already has customers, unless
    a fill was interrupted there: then the features' demos still missing are
    added (with the seed of that fill) and its report returned.
    """
    require(actor, "demo.fill")
    if isinstance(customers, bool) or not isinstance(customers, int) or not 1 <= customers <= MAX_CUSTOMERS:
        raise ValidationError(
            _("The number of demo customers must be between 1 and {n:,}").format(n=MAX_CUSTOMERS), "customers")
    state = _unfinished()
    if state is not None:
        return _finish(actor, state, progress, time.perf_counter())
    started = time.perf_counter()
    sqlite = is_sqlite()
    with db.connection_context():
        saved = _tune_sqlite() if sqlite and not db.in_transaction() else None
        try:
            with write_tx():
                if Customer.select().exists():
                    raise ValidationError(
                        _("This database already has customers: demo data goes only into an empty "
                          "database (use 'atende demo --reset' to start anew)"), "customers")
                ref = _reference_data()
                rng = random.Random(seed)
                gen = Generator(rng, customers, ref, clock.today())
                ids = _next_ids()
                writer = SqliteWriter() if sqlite else PeeweeWriter()
                n_contacts = n_plans = n_prospects = n_values = 0
                # one search-index rebuild at the end, not a trigger per row
                with search_index_paused():
                    for first in range(0, customers, BATCH):
                        size = min(BATCH, customers - first)
                        cust, contacts, values, plans, prospects = gen.batch(first, size, ids)
                        writer.write(Customer, cust)
                        writer.write(Contact, contacts)
                        writer.write(ContactExtraValue, values)
                        writer.write(Plan, plans)
                        n_contacts += len(contacts)
                        n_plans += len(plans)
                        n_values += len(values)
                        n_prospects += prospects
                        del cust, contacts, values, plans
                        if progress:
                            progress("customers", first + size, customers)
                    writer.finish(progress)
                    if progress:
                        progress("search index", 0, 1)
                if progress:
                    progress("search index", 1, 1)
                summary = {
                    "seed": seed, "customers": customers - n_prospects, "prospects": n_prospects,
                    "contacts": n_contacts, "plans": n_plans, "extra_values": n_values,
                    "access_points": ref.access_points_added, "users": ref.users_added,
                }
                audit.record(actor.login, "demo", "fill", "fill", summary)
                Setting.put(PROGRESS_KEY, json.dumps({**summary, "done": []}))
        finally:
            if saved:
                _restore_sqlite(saved)
    return _finish(actor, {**summary, "done": []}, progress, started)


def _finish(actor: Actor, state: dict, progress: Progress | None, started: float) -> DemoReport:
    """The features' demos not yet in (`state["done"]` lists those that are),
    then the progress row goes."""
    _fill_features(actor, int(state.get("seed", 7)), progress, done=set(state["done"]))
    with write_tx():
        Setting.delete().where(Setting.key == PROGRESS_KEY).execute()
    return DemoReport(
        customers=int(state.get("customers", 0)), prospects=int(state.get("prospects", 0)),
        contacts=int(state.get("contacts", 0)), plans=int(state.get("plans", 0)),
        access_points=int(state.get("access_points", 0)), users=int(state.get("users", 0)),
        seconds=round(time.perf_counter() - started, 3),
    )


FEATURE_DEMOS = (("wizard", wizard), ("desk", desk), ("events", events), ("mail", mail),
                 ("scheduling", scheduling), ("contactus", contactus), ("canned", canned))
"""Each feature's demo, in this order: a module with `fill(actor, rng)`, run after the core data."""


def _fill_features(actor: Actor, seed: int, progress: Progress | None, done: set[str] = frozenset()) -> None:
    """Each feature's demo in its own transaction, with its name added to the
    progress row in the same commit: an interrupted fill leaves each one whole
    or absent, and the next fill runs the absent ones."""
    for i, (label, module) in enumerate(FEATURE_DEMOS, start=1):
        if label in done:
            continue
        if progress:
            progress(label, 0, 1)
        with write_tx():
            module.fill(actor, random.Random(seed * 1000 + i))
            row = Setting.get_or_none(Setting.key == PROGRESS_KEY)
            if row is not None:
                state = json.loads(row.value)
                state["done"] = [*state.get("done", []), label]
                Setting.update(value=json.dumps(state)).where(Setting.key == PROGRESS_KEY).execute()
        if progress:
            progress(label, 1, 1)


_TUNED = (("synchronous", "OFF"), ("cache_size", "-262144"))


def _tune_sqlite() -> dict[str, object]:
    """Relax durability for the bulk fill (outside any transaction: SQLite
    refuses to change the safety level inside one); returns what to restore."""
    conn = db.connection()
    saved = {}
    for pragma, value in _TUNED:
        saved[pragma] = conn.execute(f"PRAGMA {pragma}").fetchone()[0]
        conn.execute(f"PRAGMA {pragma} = {value}")
    return saved


def _restore_sqlite(saved: dict[str, object]) -> None:
    conn = db.connection()
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # a reader elsewhere keeps the WAL; it shrinks later
        pass
    for pragma, value in saved.items():
        conn.execute(f"PRAGMA {pragma} = {value}")
