"""Live screens at 80x24: another connection commits, the open list follows
without moving the cursor or losing the selection; presence is shown."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from textual.widgets import DataTable

from models import Customer, Queue, Ticket, TicketType, User, write_tx
from screens.desk.queues import QueuesScreen
from screens.desk.ticket import TicketDetailScreen
from screens.supervisor.who import WhoScreen
from services.core import clock
from services.store import presence, users

NOW = dt.datetime(2026, 3, 2, 12, 0, 0)


@pytest.fixture
def tickets_world(admin):
    clock.set_clock(lambda: NOW)
    users.add(admin, "ana", "agent", name="Ana Souza")
    users.add(admin, "bruno", "agent", name="[bold]Bruno")
    users.add(admin, "gabi", "supervisor", name="Gabriela")
    with write_tx():
        q = Queue.create(name="Suporte")
        t = TicketType.create(name="Sem conexão", queue=q)
        ana = User.get(User.login == "ana")
        cust = Customer.create(kind="customer", name="Maria", name_norm="maria")
        for i in range(30):
            at = NOW - dt.timedelta(minutes=i)
            Ticket.create(protocol=f"P{i:04d}", status="open", type=t, queue=q, customer=cust, problem="x",
                          created_by=ana, created_at=at, updated_at=at)
    return {"queue": q, "type": t, "customer": cust, "ana": ana}


def protocols(table: DataTable) -> list[str]:
    return [str(table.get_row_at(i)[0]).removeprefix("● ") for i in range(table.row_count)]


def cursor_protocol(table: DataTable) -> str:
    return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value).split(":", 1)[1]


async def until(pilot, condition, seconds: float = 15.0) -> float:
    """Wait (letting the app run) until `condition()`; return how long it took.

    The deadline only ends a test that will never pass: how soon other
    sessions' work shows is measured by bench/live.py, not by timed tests."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < seconds:
        if condition():
            return loop.time() - start
        await pilot.pause(0.1)
    raise AssertionError("the screen did not change in time")


async def test_queue_follows_another_sessions_commit_keeping_cursor_and_selection(make_app, tickets_world):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen("open"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#queues-table", DataTable)
        assert protocols(table)[:2] == ["P0000", "P0001"]
        await pilot.press("down", "down", "space")  # select P0002, cursor on P0003
        await pilot.pause()
        assert cursor_protocol(table) == "P0003" and list(app.screen.selected) != []
        focused = app.focused
        # another session opens a ticket (newest first: it goes on top)
        w = tickets_world
        with write_tx():
            Ticket.create(protocol="NEW01", status="open", type=w["type"], queue=w["queue"], customer=w["customer"],
                          problem="novo", created_by=w["ana"], created_at=NOW + dt.timedelta(minutes=1),
                          updated_at=NOW + dt.timedelta(minutes=1))
        await until(pilot, lambda: "NEW01" in protocols(table))  # by itself, no key pressed
        await pilot.pause()
        assert protocols(table)[0] == "NEW01"
        assert cursor_protocol(table) == "P0003"  # same ticket, one row lower
        assert str(table.get_row_at(3)[0]) == "● P0002"  # the selection is kept and shown
        assert app.focused is focused


async def test_ticket_shows_who_else_is_on_it_and_editing(make_app, tickets_world):
    app = make_app("ana")
    bruno = users.identify("bruno")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TicketDetailScreen("P0001"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        ticket_id = app.screen.ticket_id
        bar = app.screen.query_one("#ticket-peers")
        assert not bar.display or bar.text == ""
        presence.join(bruno, "bruno-1", presence.Place("Ticket", "ticket", ticket_id, "P0001", editing=True))
        await until(pilot, lambda: "[bold]Bruno is editing" in bar.text)
        assert bar.display
        # this session's own presence says it is on the ticket
        await until(pilot, lambda: any(o.session == app.live.session and o.entity_id == ticket_id
                                        for o in presence.online(users.identify("gabi"))))
        presence.leave("bruno-1")
        await until(pilot, lambda: bar.text == "")


async def test_who_screen_lists_sessions_live(make_app, tickets_world):
    app = make_app("gabi")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(WhoScreen())
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 1)  # this very session
        presence.join(users.identify("ana"), "ana-1", presence.Place("Queues"))
        await until(pilot, lambda: table.row_count == 2)
        assert "ana" in [str(table.get_row_at(i)[0]) for i in range(2)]


async def test_a_dialog_over_a_record_means_editing(make_app, tickets_world):
    from screens.desk.ticket import ReplyDialog
    from tui.live import place_of

    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TicketDetailScreen("P0002"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        place = place_of(list(app.screen_stack))
        assert (place.screen, place.entity_kind, place.entity_label, place.editing) == ("Ticket", "ticket", "P0002",
                                                                                        False)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReplyDialog)
        assert place_of(list(app.screen_stack)).editing
        # others see it within a heartbeat tick
        gabi = users.identify("gabi")
        await until(pilot, lambda: any(o.session == app.live.session and o.editing for o in presence.online(gabi)))


async def test_one_failing_screen_does_not_stop_the_others(make_app, tickets_world):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen("open"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = app.screen
        calls = []
        screen.live_changed = lambda topics: (calls.append(topics), 1 / 0)
        app.live.dispatch(frozenset({"data"}))  # logged, not raised
        assert calls == [frozenset({"data"})]
        assert app.live.worker.is_alive()


async def test_a_failing_presence_is_logged_once_and_never_written_on_the_screen(make_app, tickets_world,
                                                                                  monkeypatch, capfd):
    """Warnings of the live thread (a full or read-only disk) went to Python's
    last-resort handler, stderr, which is the terminal the application draws
    on, and leaving was tried and said three times on quit."""
    from services.core import logs

    def refuse(*_args, **_kwargs):
        raise OSError("Nothing was saved: the disk is full")

    monkeypatch.setattr(presence, "beat", refuse)
    monkeypatch.setattr(presence, "leave", refuse)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
    app.live.stop(wait=True)
    app.live.stop()
    assert "failed" not in capfd.readouterr().err
    text = logs.log_file().read_text()
    assert "presence heartbeat failed" in text
    assert text.count("presence leave failed") == 1
