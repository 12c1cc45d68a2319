"""Pilot: a removed person's session stops; a full disk keeps the typed text;
corrupt rows are marked in the lists, the other rows shown."""
from __future__ import annotations

import datetime as dt

import peewee
from textual.widgets import DataTable, OptionList, TextArea

from models import Customer, Queue, Ticket, TicketType, User, db, write_tx
from services.core import clock
from services.events import editing, event_types
from services.store import audit, users
from tests.ui.pilot_tools import settle as settle_workers

NOW = dt.datetime(2026, 3, 2, 12, 0, 0)


async def settle(pilot):
    await settle_workers(pilot, rounds=2)


def make_tickets(admin):
    clock.set_clock(lambda: NOW)
    users.add(admin, "ana", "agent", name="Ana Souza")
    with write_tx():
        q = Queue.create(name="Suporte")
        t = TicketType.create(name="Sem conexão", queue=q)
        c = Customer.create(kind="customer", name="[bold]Maria[/", name_norm="maria")
        ana = User.get(User.login == "ana")
        for i in range(3):
            Ticket.create(protocol=f"P{i}", status="open", type=t, queue=q, customer=c, responsible=ana,
                          created_by=ana, created_at=NOW, updated_at=NOW)


async def test_removed_while_logged_in(make_app, admin):
    from tui.account import RemovedScreen, check_account

    make_tickets(admin)
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        check_account(app)
        await settle(pilot)
        assert not isinstance(app.screen, RemovedScreen)
        users.remove(admin, "ana")
        check_account(app)
        await settle(pilot)
        assert isinstance(app.screen, RemovedScreen)
        assert "has been removed" in str(app.screen.query_one("#removed-message").render())
        await pilot.press("f2")  # nothing else acts any more
        await pilot.pause()
        assert isinstance(app.screen, RemovedScreen)
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_code == 1


async def test_disk_full_keeps_the_message_typed(make_app, admin, monkeypatch):
    from screens.desk.ticket import ReplyDialog, TicketDetailScreen

    make_tickets(admin)
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TicketDetailScreen("P0"))
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one(TextArea).load_text("Cliente pediu retorno [b]amanhã")

        def full(*args, **kwargs):
            raise peewee.OperationalError("database or disk is full")

        real = audit.AuditLog.insert
        monkeypatch.setattr(audit.AuditLog, "insert", full)
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReplyDialog)
        assert dialog.query_one(TextArea).text == "Cliente pediu retorno [b]amanhã"
        assert "is full" in str(dialog.query_one(".field-error").render())
        monkeypatch.setattr(audit.AuditLog, "insert", real)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketDetailScreen)
        assert "Cliente pediu retorno [b]amanhã" in str(app.screen.query_one("#ticket-thread").render())


async def test_queue_marks_a_corrupt_row(make_app, admin):
    from screens.desk.queues import QueuesScreen

    make_tickets(admin)
    db.execute_sql("UPDATE ticket SET updated_at = 'garbage' WHERE protocol = 'P1'")
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen(view="all"))
        await settle(pilot)
        table = app.screen.query_one("#queues-table", DataTable)
        cells = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert sorted(c.lstrip("⚠ ") for c in cells) == ["P0", "P1", "P2"]
        assert "⚠ P1" in cells and "⚠ P0" not in cells


async def test_event_board_marks_a_corrupt_card(make_app, admin):
    from screens.events.board import EventBoardScreen

    clock.set_clock(lambda: NOW)
    offline = next(t.id for t in event_types.list_types(admin) if t.format == "offline")
    ids = []
    for i in range(2):
        start = NOW + dt.timedelta(days=i + 1)
        ids.append(editing.create_event(admin, editing.EventInput(
            description=f"Evento {i}", responsible_id=admin.id, starts_at=start,
            ends_at=start + dt.timedelta(hours=2), type_id=offline, address="Rua A", seats=3)).id)
    db.execute_sql("UPDATE event SET starts_at = 'ontem' WHERE id = ?", (ids[1],))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(EventBoardScreen())
        await settle(pilot)
        options = app.screen.query_one("#cards-new", OptionList)
        prompts = {o.id: str(o.prompt) for o in options.options if o.id}
        assert set(prompts) == {str(ids[0]), str(ids[1])}
        assert "damaged: starts_at" in prompts[str(ids[1])] and "damaged" not in prompts[str(ids[0])]
