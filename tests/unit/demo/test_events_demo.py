"""The events demo fills every stage on a database with the core demo's people."""
from __future__ import annotations

import random

from services.demo import events as events_demo
from services.events import queries
from services.events import registrations as er
from services.events import stages as event_stages
from services.store import users


def test_demo_fills_every_stage(admin):
    for login, role in (("elisa", "coordinator"), ("fabio", "coordinator"), ("ana", "agent")):
        users.add(admin, login, role, name=login.title(), email=f"{login}@example.com")
    events_demo.fill(admin, random.Random(7))
    events = queries.list_events(admin, include_old=True)
    assert {e.stage for e in events} == set(event_stages.STAGES)
    assert any(e.secondary_ids for e in events)
    assert any(e.waiting for e in events)
    stages = {r.stage for e in events for r in er.list_registrations(admin, e.id)}
    assert stages == {"new", "waiting", "came", "materials", "processed", "no_show"}
    assert queries.upcoming_public_events_with_seats(users.identify("ana"))
    assert {e.responsible_login for e in events} == {"elisa", "fabio"}
