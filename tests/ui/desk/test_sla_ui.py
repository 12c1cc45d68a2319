"""Service levels on screen: the queue's Time left column and sort, the
dashboard's panel of breached tickets and of those about to breach."""
from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.widgets import DataTable

from screens.desk.queues import QueuesScreen
from screens.desk.ticket import TicketDetailScreen
from screens.supervisor.dashboard import SupervisorScreen
from services.core import clock
from services.store import users
from tests.scenes import make_sla_desk, wizard_ticket
from tests.ui.pilot_tools import settle


def world(admin):
    w = make_sla_desk(admin)  # Monday 10:00
    users.add(admin, "sara", "supervisor", name="Sara Supervisora")
    late = wizard_ticket(admin, w)  # due 18:00
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 12, 0))
    fine = wizard_ticket(admin, w, type_key="plain")  # due Wednesday 12:00
    clock.set_clock(lambda: dt.datetime(2026, 3, 10, 8, 30))
    return late, fine


def column(table: DataTable, label: str) -> list[Text]:
    index = [c.label.plain for c in table.columns.values()].index(label)
    return [table.get_row_at(i)[index] for i in range(table.row_count)]


async def test_the_queue_shows_time_left_in_colour_and_sorts_by_it(make_app, admin):
    late, fine = world(admin)
    app = make_app("sara")
    async with app.run_test(size=(120, 24)) as pilot:
        app.push_screen(QueuesScreen("open"))
        await settle(pilot)
        screen = app.screen
        while screen.sort != "due":
            await pilot.press("o")
            await settle(pilot)
        assert not screen.descending  # the nearest deadline first
        table = screen.query_one("#queues-table", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [late.protocol, fine.protocol]
        cells = column(table, "Time left")
        assert (cells[0].plain, str(cells[0].style)) == ("-30 min", "bold red")
        assert (cells[1].plain, str(cells[1].style)) == ("13 h 30", "")


async def test_the_dashboard_lists_the_breach_and_enter_opens_the_ticket(make_app, admin):
    late, _fine = world(admin)
    app = make_app("sara")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        table = screen.query_one("#dash-sla", DataTable)
        row = table.get_row_at(0)
        assert [c.plain for c in row][:3] == [late.protocol, "-30 min", "resolution"]
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketDetailScreen)
