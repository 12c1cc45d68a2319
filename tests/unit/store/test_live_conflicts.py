"""Saving over someone else's change is refused with their name: events,
registrations and bookings (tickets: test_ticket_thread)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from services.core.errors import Conflict
from services.events import editing, pipeline, queries
from services.events import registrations as er
from services.scheduling import bookings
from services.store import users
from tests.scenes import freeze
from tests.unit.events.test_events import frozen, make_event, open_registration, person  # noqa: F401
from tests.unit.scheduling.test_bookings import booking_desk, request  # noqa: F401 (fixture)


def test_event_edit_and_move_refused_naming_who_changed_it(people, frozen):  # noqa: F811 (the imported pytest fixture)
    coord, sup = people["coordinator"], people["supervisor"]
    e = make_event(coord)
    editing.update_event(sup, e.id, replace(editing.EventInput.from_event(e), description="Renamed"), version=e.version)
    with pytest.raises(Conflict, match="t_supervisor changed this event"):
        editing.update_event(coord, e.id, replace(editing.EventInput.from_event(e), seats=9), version=e.version)
    with pytest.raises(Conflict, match="t_supervisor"):
        pipeline.move_event(coord, e.id, "preparation", version=e.version)
    assert queries.get_event(coord, e.id).description == "Renamed"


def test_registration_stage_and_cancel_refused_naming_who_changed_it(people, frozen):  # noqa: F811 (the imported pytest fixture)
    coord, sup = people["coordinator"], people["supervisor"]
    event = open_registration(coord, make_event(coord, seats=5))
    reg = er.register(people["agent"], event.id, person(1)).registration
    er.set_stage(sup, reg.id, "came", version=reg.version)
    with pytest.raises(Conflict, match="t_supervisor changed this registration"):
        er.set_stage(coord, reg.id, "no_show", version=reg.version)
    with pytest.raises(Conflict, match="t_supervisor"):
        er.cancel_registration(coord, reg.id, version=reg.version)
    fresh = er.get_registration(coord, reg.id)
    assert fresh.stage == "came" and fresh.cancelled_at is None
    er.cancel_registration(coord, reg.id, version=fresh.version)  # with what is current: fine


def test_booking_outcome_refused_naming_who_recorded_it(booking_desk):  # noqa: F811
    a = bookings.book(booking_desk["agent"], request(booking_desk["ids"])).booking
    freeze(dt.datetime(2026, 3, 10, 10, 45))
    bookings.record_outcome(booking_desk["supervisor"], a.id, "held", a.version)
    with pytest.raises(Conflict, match="t_supervisor"):
        bookings.record_outcome(users.identify("igor"), a.id, "no_show", a.version)
