"""The supervisor's area in Pilot: figures shown, Enter on a number opens the
list behind it, reload keeps the cursor, the audit viewer and its entry
dialog (markup-safe), the CSV export dialog's messages."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable, Input

from screens.desk.queues import QueuesScreen
from screens.mail.outbox import OutboxScreen
from screens.supervisor.audit import AuditEntryDialog, AuditScreen
from screens.supervisor.dashboard import SupervisorScreen
from tests.scenes import make_dashboard
from tests.ui.pilot_tools import settle
from tui.export import ExportDialog


def cells(screen, table_id):
    table = screen.query_one(table_id, DataTable)
    return [[c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_dashboard_numbers_open_their_lists(make_app, admin):
    make_dashboard(admin)
    app = make_app("gabi")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        assert cells(screen, "#dash-by-queue") == [["Suporte", "4"], ["Financeiro", "2"]]
        assert cells(screen, "#dash-calls")[0][:2] == ["D001", "Bruno Lima"]
        assert cells(screen, "#dash-oldest")[0][-1] == "[bold]Maria[/"  # user data, not markup
        # Enter on "Financeiro 2" opens the open tickets of that queue
        await pilot.press("down", "enter")
        await settle(pilot)
        queues = app.screen
        assert isinstance(queues, QueuesScreen) and queues.filter_text == 'queue:"Financeiro"'
        assert sorted(r.protocol for r in queues.rows) == ["T005", "T006"]
        await pilot.press("escape")
        await settle(pilot)
        # the age panel: "more than 7 days" (tab to it: queue, type, age)
        await pilot.press("tab", "tab", "down", "down", "down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueuesScreen) and [r.protocol for r in app.screen.rows] == ["T005"]
        await pilot.press("escape")
        await settle(pilot)
        # the outbox's failed mail
        screen.query_one("#dash-mail", DataTable).focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen) and app.screen.state_filter == "failed"
        await pilot.press("escape")
        await settle(pilot)
        # reload keeps the focused panel and its cursor
        table = screen.query_one("#dash-mail", DataTable)
        assert table.has_focus and table.cursor_row == 1
        screen.reload()
        await settle(pilot)
        assert table.has_focus and table.cursor_row == 1


async def test_agents_do_not_get_the_supervisor_area(make_app, admin):
    make_dashboard(admin)
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert not isinstance(app.screen, SupervisorScreen)


async def test_audit_viewer_filters_and_shows_changes(make_app, admin):
    from models import write_tx
    from services.store import audit

    make_dashboard(admin)
    with write_tx():
        audit.record("gabi", "ticket", 42, "update", {"subject": ["[bold]old", "[/new"]})
    app = make_app("gabi")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(AuditScreen())
        await settle(pilot)
        screen = app.screen
        assert len(screen.entries) >= 4
        await pilot.press("slash", *"gabi", "enter")
        await settle(pilot)
        assert [e.entity_id for e in screen.entries] == ["42"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AuditEntryDialog)
        body = str(app.screen.query_one("#audit-entry-body").render())
        assert "subject: [bold]old → [/new" in body
        await pilot.press("escape")
        # a bad date: the message under the field, what was typed kept
        screen.query_one("#audit-since", Input).value = "ontem"
        screen.query_one("#audit-since", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "YYYY-MM-DD" in str(screen.query_one("Field.-invalid .field-error").render())
        assert screen.query_one("#audit-since", Input).value == "ontem"


async def test_export_dialog_messages_and_file(make_app, admin, tmp_path):
    make_dashboard(admin)
    app = make_app("gabi")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SupervisorScreen())
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        path_input = dialog.query_one("#export-path", Input)
        path_input.value = str(tmp_path / "missing" / "q.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert "does not exist" in str(dialog.query_one(".field-error").render())
        (tmp_path / "q.csv").write_text("old")
        path_input.value = str(tmp_path / "q.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert "exists" in str(dialog.query_one(".field-error").render())
        dialog.query_one("#export-overwrite").value = True
        path_input.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SupervisorScreen)
        assert (tmp_path / "q.csv").read_text().splitlines() == ["Queue,Open tickets", "Suporte,4", "Financeiro,2"]
