"""Several processes registering the last seats of one event at once, on one
SQLite file: never more registrations holding a seat than there are seats."""
from __future__ import annotations

import multiprocessing as mp

from models import reading
from models.events import Registration
from services.events import queries
from services.events import registrations as er
from tests.unit.events.test_events import frozen, make_event, open_registration  # noqa: F401

PROCESSES = 6
SEATS = 2


def _register(db_path: str, event_id: int, i: int, barrier, results) -> None:
    from services.events import registrations as er_
    from services.store import users
    from services.store.database import open_store

    open_store(db_path)
    actor = users.identify("t_agent")
    barrier.wait(timeout=60)
    try:
        result = er_.register(actor, event_id, er_.RegistrationInput(
            name=f"Racer {i}", email=f"racer{i}@example.com", consent=True))
        results.put((i, "waitlisted" if result.waitlisted else "seat"))
    except Exception as exc:  # reported to the parent, which fails the test
        results.put((i, f"error: {exc!r}"))


def test_concurrent_registrations_never_exceed_the_seats(people, store, frozen):  # noqa: F811 (the imported pytest fixture)
    coord = people["coordinator"]
    event = open_registration(coord, make_event(coord, seats=SEATS))
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=_register, args=(str(store), event.id, i, barrier, results))
             for i in range(PROCESSES)]
    for p in procs:
        p.start()
    outcomes = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert not [o for o in outcomes.values() if o.startswith("error")], outcomes
    assert sorted(outcomes.values()).count("seat") == SEATS
    assert sorted(outcomes.values()).count("waitlisted") == PROCESSES - SEATS
    with reading():
        holding = Registration.select().where(
            (Registration.event == event.id) & (Registration.waitlisted == False)).count()  # noqa: E712
    assert holding == SEATS
    info = queries.get_event(coord, event.id)
    assert (info.registered, info.waiting) == (SEATS, PROCESSES - SEATS)
    positions = sorted(r.waitlist_position for r in er.list_registrations(coord, event.id) if r.waitlisted)
    assert positions == list(range(1, PROCESSES - SEATS + 1))
