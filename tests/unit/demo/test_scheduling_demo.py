"""The scheduling demo fills analysts, the rota and bookings on a database we fill ourselves."""
import datetime as dt
import random

from models.scheduling import Booking, RotaMonth
from services.demo import scheduling
from services.scheduling import bookings, rota
from tests.scenes import freeze, make_customers


def test_fill(people):
    make_customers()
    freeze(dt.datetime(2026, 3, 18, 11, 0))
    scheduling.fill(people["admin"], random.Random(7))
    assert rota.local_now() == dt.datetime(2026, 3, 18, 11, 0)  # the clock is back where it was
    assert {r.month for r in RotaMonth.select()} == {"2026-02", "2026-03", "2026-04"}
    assert rota.analyst_for_month(people["agent"]).login == "igor"
    rows = bookings.list_bookings(people["agent"])
    statuses = {b.status for b in rows}
    assert "booked" in statuses and statuses & {"held", "no_show"}
    assert all(b.customer_name == "Padaria [bold]Pão Quente" for b in rows)  # the one customer that may book
    assert Booking.select().count() == len(rows) >= 8
    scheduling.fill(people["admin"], random.Random(7))  # a second run adds no bookings
    assert Booking.select().count() == len(rows)
