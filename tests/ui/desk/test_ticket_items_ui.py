"""Pilot tests at 80x24, keyboard only: the detail screen's actions after
creation (attach, service order, task, task done, parent link, go to linked),
bad input in messages, and every queue view."""
from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import DataTable, Input, Select, TextArea

from models import Plan, Queue, Ticket, TicketType, User, write_tx
from models.wizard import ServiceOrder, TicketAttachment, TicketTask
from screens.desk.queues import QueuesScreen
from screens.desk.ticket import (
    LinkDialog,
    ReplyDialog,
    TicketAttachmentForm,
    TicketDetailScreen,
    TicketServiceOrderForm,
    TicketTaskForm,
)
from services.core import clock
from services.store import users
from services.tickets import thread as ticket_thread
from tests.ui.pilot_tools import hold, settle, until
from tui.dialogs import PickDialog as ChoiceDialog

NOW = dt.datetime(2026, 3, 9, 10, 0)


@pytest.fixture
def tickets_world(desk_with_scripts, admin):
    """Two open tickets on one network (T0 may become T1's parent), one elsewhere."""
    users.add(admin, "ana", "agent", name="Ana Souza")
    users.add(admin, "bruno", "agent", name="Bruno Lima")
    ana = User.get(User.login == "ana")
    with write_tx():
        for i, cust in enumerate(desk_with_scripts["customers"]):
            plan = Plan.get(Plan.customer == cust)
            Ticket.create(protocol=f"T{i}", status="open", customer=cust, plan=plan, type=desk_with_scripts["outage"],
                          queue=desk_with_scripts["queue"], responsible=ana, problem="sem sinal [bold]", created_by=ana,
                          script_report="Script: LED LOS aceso", created_at=NOW - dt.timedelta(hours=3 - i),
                          updated_at=NOW)
    return desk_with_scripts




def text_of(screen, selector) -> str:
    return str(screen.query_one(selector).render())


async def open_ticket(app, pilot, protocol="T1"):
    app.push_screen(TicketDetailScreen(protocol))
    await settle(pilot)
    return app.screen


async def test_header_and_sections(make_app, tickets_world):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(app, pilot)
        header = text_of(screen, "#ticket-header")
        for part in ("T1", "open", "Sem conexão", "Ana Souza", "Suporte Técnico", "2 h"):
            assert part in header, part
        record = text_of(screen, "#ticket-record")
        assert "Maria Conceição" in record and "Fibra 300" in record and "LED LOS aceso" in record
        await pilot.press("3")
        await pilot.pause()
        assert screen.query_one("#ticket-detail").scroll_y > 0
        await pilot.press("1")
        await pilot.pause()
        assert screen.query_one("#ticket-detail").scroll_y == 0


async def test_attach_with_errors_next_to_the_field(make_app, tickets_world, tmp_path):
    app = make_app("ana")
    src = tmp_path / "[bold]foto.jpg"
    src.write_bytes(b"jpeg")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, TicketAttachmentForm)
        await pilot.press(*str(tmp_path), "ctrl+s")
        await settle(pilot)  # the file is checked off the UI thread
        assert "is a folder" in text_of(app.screen, ".field-error")
        assert app.screen.query_one("#path", Input).value == str(tmp_path)  # kept
        app.screen.query_one("#path", Input).value = str(src)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert TicketAttachment.get().name == "_bold_foto.jpg"
        assert "_bold_foto.jpg" in text_of(screen, "#ticket-record")
        assert "attachment" in text_of(screen, "#ticket-history")


async def test_attach_refuses_devices_pipes_folders_and_long_names_under_the_field(make_app, tickets_world, tmp_path):
    from services.tickets.wizard import actions as wizard_actions
    from tests.unit.core.test_files import bad_paths

    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, TicketAttachmentForm)
        for path, word in bad_paths(tmp_path, wizard_actions.MAX_ATTACHMENT).items():
            form.query_one("#path", Input).value = path
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is form, path
            assert word in text_of(form, ".field-error"), path
            assert form.query_one("#path", Input).value == path  # kept
    assert not TicketAttachment.select().exists()


async def test_service_order_and_tasks(make_app, tickets_world):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(app, pilot)
        await pilot.press("o")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TicketServiceOrderForm)
        form.query_one("#technician", Select).value = tickets_world["tech"].id
        form.query_one("#start", Input).value = "25:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "start" in str(form.query_one("#start").parent.query_one(".field-error").render()).lower() or \
            form.query_one("#start").parent.has_class("-invalid")
        form.query_one("#start", Input).value = "11:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and ServiceOrder.select().count() == 1
        # a task, then marked done from the list
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TicketTaskForm)
        app.screen.query_one("#assignee", Select).value = User.get(User.login == "bruno").id
        app.screen.query_one("#description", Input).value = "Ligar [b] para o cliente"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert TicketTask.select().count() == 1
        assert "☐ Bruno Lima" in text_of(screen, "#ticket-record")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert TicketTask.get().done
        assert "✓ Bruno Lima" in text_of(screen, "#ticket-record")
        history = text_of(screen, "#ticket-history")
        assert "task_done" in history and "service_order" in history


async def test_link_parent_then_go_to_it(make_app, tickets_world):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        assert app.screen is screen  # nothing linked yet: a message only
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LinkDialog)
        await pilot.press(*"T2", "enter")
        await settle(pilot)
        assert "network" in text_of(app.screen, ".field-error")
        await pilot.press(*["backspace"] * 2, *"T0", "enter")
        await settle(pilot)
        assert app.screen is screen and "T0" in text_of(screen, "#ticket-record")
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketDetailScreen) and app.screen.protocol_number == "T0"
        assert "T1" in text_of(app.screen, "#ticket-record")  # its child


async def test_a_stale_attachment_names_who_saved_first(make_app, tickets_world, tmp_path):
    app = make_app("ana")
    src = tmp_path / "a.txt"
    src.write_text("a")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        ticket_thread.change_status(users.identify("bruno"), screen.state.id, "in_progress",
                                    expected_version=screen.state.version)
        app.screen.query_one("#path", Input).value = str(src)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and not TicketAttachment.select().exists()
        assert any("bruno changed ticket T1" in n.message for n in app._notifications)
        assert screen.state.status == "in_progress"  # reloaded


@pytest.mark.parametrize("body, expected", [
    ("x" * 1_000_001, "Too long"),
    ("\x00\x1b[31m\x00", "Write the message first"),
], ids=["1MB", "nul-and-escapes-only"])
async def test_bad_messages_keep_the_dialog(make_app, tickets_world, body, expected):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        app.screen.query_one(TextArea).load_text(body)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReplyDialog)
        assert expected in text_of(app.screen, ".field-error")


async def test_markup_and_escapes_in_a_message_show_as_text(make_app, tickets_world):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one(TextArea).load_text("[bold]x [/ \x1b[2Jfim\x00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        thread = text_of(screen, "#ticket-thread")
        assert "[bold]x [/ fim" in thread and "\x1b" not in thread


@pytest.fixture
def views_world(admin):
    clock.set_clock(lambda: NOW)
    users.add(admin, "ana", "agent", name="Ana Souza")
    ana = User.get(User.login == "ana")
    with write_tx():
        qa, qb = Queue.create(name="Fila A"), Queue.create(name="Fila B")
        ta, tb = TicketType.create(name="Tipo A", queue=qa), TicketType.create(name="Tipo B", queue=qb)
        rows = [("V1", "open", qa, ta, ana), ("V2", "waiting_customer", qb, tb, None),
                ("V3", "finished", qa, tb, ana), ("V4", "in_progress", qb, ta, None), ("V5", "resolved", qa, ta, None)]
        for i, (p, status, q, t, resp) in enumerate(rows):
            Ticket.create(protocol=p, status=status, queue=q, type=t, responsible=resp, created_by=ana,
                          created_at=NOW - dt.timedelta(minutes=i), updated_at=NOW - dt.timedelta(minutes=i))
    return dict(qa=qa, tb=tb)


@pytest.mark.parametrize("view, expected", [
    ("all", ["V1", "V2", "V3", "V4", "V5"]),
    ("open", ["V1", "V2", "V4"]),
    ("finished", ["V3", "V5"]),
    ("mine", ["V1", "V3"]),
    ("waiting", ["V2"]),
    ("queue", ["V1", "V3", "V5"]),
    ("type", ["V2", "V3"]),
])
async def test_each_queue_view(make_app, views_world, view, expected):
    key = {"queue": f"queue:{views_world['qa'].id}", "type": f"type:{views_world['tb'].id}"}.get(view, view)
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen(view="all"))
        await settle(pilot)
        screen = app.screen
        screen.query_one("#queues-views", Select).value = key
        await settle(pilot)
        table = screen.query_one("#queues-table", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == expected
        assert f"of {len(expected)}" in text_of(screen, "#queues-status") or len(expected) == table.row_count


async def test_an_attachment_refused_in_its_thread_shows_under_the_path(make_app, tickets_world, tmp_path,
                                                                        monkeypatch):
    """The file is checked and copied off the UI thread; the ValidationError
    of that thread comes back under the path, with what was typed kept."""
    import threading

    from services.tickets import items as ticket_items

    adding = hold(monkeypatch, ticket_items, "add_attachment", when=lambda *args: False)
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(app, pilot)
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        await pilot.press(*str(tmp_path), "ctrl+s")
        await settle(pilot)
        assert adding.threads and adding.threads[0] is not threading.main_thread()
        assert app.screen is form
        assert "is a folder" in text_of(form.query_one("#path").parent, ".field-error")
        assert form.query_one("#path", Input).value == str(tmp_path)
        assert not [n for n in app._notifications if "folder" in n.message]  # under the field, not a notice


async def test_a_large_attachment_is_copied_while_the_screen_answers_keys(make_app, tickets_world, tmp_path,
                                                                          monkeypatch):
    """Ctrl+S on a 10 MB file: the copy (held here until the test lets it
    go) runs off the UI thread, so Tab still moves to the notes meanwhile;
    a second Ctrl+S attaches nothing twice. The form closes once it is copied."""
    from services.tickets import items as ticket_items
    from services.tickets.wizard import actions as wizard_actions

    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * wizard_actions.MAX_ATTACHMENT)
    copying = hold(monkeypatch, ticket_items, "add_attachment")
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(app, pilot)
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        form.query_one("#path", Input).value = str(big)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: copying.calls)
        await pilot.press("tab", "ctrl+s")
        assert app.screen is form and app.focused is form.query_one("#notes", Input)
        assert not copying.returned.is_set()  # the screen answered while the file was being copied
        copying.release()
        await settle(pilot)
        assert app.screen is screen
        assert len(copying.calls) == 1 and TicketAttachment.get().size == wizard_actions.MAX_ATTACHMENT
        assert "big.bin" in text_of(screen, "#ticket-record")
