"""Escape sequences stored in data never reach the terminal from a screen:
what the app would write for a full frame carries none of them, while the
data is still shown (its controls as visible signs)."""
from __future__ import annotations

import datetime as dt
import io
import sqlite3

import pytest
from rich.console import Console

from models import Customer, Queue, Ticket, TicketType, User, write_tx
from models.live import Presence
from screens.desk.queues import QueuesScreen
from screens.desk.ticket import TicketDetailScreen
from screens.scheduling.triage import TriageScreen
from screens.supervisor.dashboard import SupervisorScreen
from screens.supervisor.who import WhoScreen
from services.core import clock
from services.store import users
from tests.ui.pilot_tools import settle, until
from tests.unit.core.test_terminal_safety import BAD, controls

NOW = dt.datetime(2026, 3, 2, 12, 0, 0)


@pytest.fixture
def poisoned(store, admin):
    """A ticket, its customer and queue, and a session whose texts another program
    rewrote with escape sequences, straight in the database."""
    clock.set_clock(lambda: NOW)
    with write_tx():
        queue = Queue.create(name="Suporte")
        kind = TicketType.create(name="Sem conexão", queue=queue)
        customer = Customer.create(kind="customer", name="Maria", name_norm="maria", city="Campinas")
        me = User.get(User.login == users.session_login())
        Ticket.create(protocol="20260001", status="open", type=kind, queue=queue, customer=customer,
                      problem="modem", created_by=me, created_at=NOW, updated_at=NOW)
        Presence.create(session="s1", login="ana", name="Ana", host="pc", screen="Queues",
                        started_at=NOW, heartbeat_at=NOW)
    con = sqlite3.connect(store)
    with con:
        con.execute("UPDATE customer SET name = ?, city = ?", (BAD, BAD))
        con.execute("UPDATE queue SET name = ?", (BAD,))
        con.execute("UPDATE ticket SET problem = ?", (f"line 1\n{BAD}\nline 3",))
        con.execute("UPDATE presence SET name = ?, host = ?, entity_kind = 'ticket', entity_label = ?",
                    (BAD, BAD, BAD))
    con.close()


def frame(app) -> tuple[str, list[str]]:
    """The text of a full frame of the screen on top, and the controls found
    in what its widgets painted."""
    update = app.screen._compositor.render_full_update()
    text, found = [], []
    for line in update.strips:
        for strip in line:
            for segment in strip:
                if not segment.control:
                    text.append(segment.text)
                    found += controls(segment.text)
        text.append("\n")
    raw = update.render_segments(Console(file=io.StringIO(), force_terminal=True, color_system="truecolor"))
    for sequence in ("\x1b]0;PWNED", "\x1b[2J", "\x9b", "\x7f", "\u202e"):
        if sequence in raw:
            found.append(sequence)
    return "".join(text), found


@pytest.mark.parametrize("open_screen", [
    lambda: QueuesScreen("open"),
    lambda: TicketDetailScreen("20260001"),
    lambda: WhoScreen(),
    lambda: SupervisorScreen(),  # (its panels show the queue's name)
], ids=["queues", "ticket", "who", "supervisor"])
async def test_screens_paint_no_stored_escape(make_app, poisoned, open_screen):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.push_screen(open_screen())
        await settle(pilot, rounds=2)
        text, found = frame(app)
        assert found == []
        assert "\u241b]0;PWNED" in text  # the name is shown, its escapes as signs (BEL dropped)


async def test_customer_lookup_and_notifications_paint_no_stored_escape(make_app, poisoned):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.push_screen(TriageScreen())
        await settle(pilot)
        await pilot.press(*"maria")
        await settle(pilot)
        await until(pilot, lambda: app.screen.query_one("#lookup-results").row_count)
        app.notify(f"Saved {BAD}", title=BAD, markup=False)
        app.screen.sub_title = BAD
        await until(pilot, lambda: "Saved" in frame(app)[0])
        text, found = frame(app)
        assert found == []
        assert text.count("\u241b]0;PWNED") >= 3  # the result, the notification, the title
