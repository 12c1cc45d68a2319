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


def styled(text: Text, part: str) -> str:
    """The style of the span that holds `part` in `text` (a line of the ticket's record)."""
    start = text.plain.index(part)
    return " ".join(str(s.style) for s in text.spans if s.start <= start < s.end)


async def test_the_ticket_screen_shows_its_deadlines_as_the_queue_does(make_app, admin):
    from models import Ticket, User, write_tx
    from tests.scenes import move

    late, fine = world(admin)  # Tuesday 08:30: late's resolution was due Monday 18:00
    app = make_app("sara")
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(TicketDetailScreen(late.protocol))
        await settle(pilot)
        screen = app.screen
        record = screen.query_one("#ticket-record").content
        lines = record.plain.splitlines()
        assert "Service level" in lines
        assert "First response: done at 09/03/2026 10:00" in lines  # answered in the call
        assert "Resolution: due at 09/03/2026 18:00 · breached" in lines
        assert "Time left: -30 min · breached" in lines
        assert styled(record, "-30 min") == "bold red" and styled(record, "· breached") == "bold red"
        header = screen.query_one("#ticket-header").content
        assert "Time left: -30 min" in header.plain and styled(header, "-30 min") == "bold red"

        app.push_screen(TicketDetailScreen(fine.protocol))  # due Wednesday 12:00
        await settle(pilot)
        record = app.screen.query_one("#ticket-record").content
        assert "Time left: 13 h 30" in record.plain.splitlines() and "breached" not in record.plain
        move(admin, fine.id, "waiting_customer")
        app.screen.load()
        await settle(pilot)
        record = app.screen.query_one("#ticket-record").content
        lines = record.plain.splitlines()
        assert "Resolution: paused, 13 h 30" in lines
        assert "Time left: paused, 13 h 30 (waiting on the customer)" in lines
        assert styled(record, "(waiting on the customer)") == "dim"

        # a ticket without targets: no service level at all
        with write_tx():
            bare = Ticket.create(protocol="P-BARE", status="open", created_by=User.get(User.login == "sara"),
                                 created_at=clock.now(), updated_at=clock.now())
        app.push_screen(TicketDetailScreen(bare.protocol))
        await settle(pilot)
        assert "Service level" not in app.screen.query_one("#ticket-record").content.plain
        assert "Time left" not in app.screen.query_one("#ticket-header").content.plain


async def test_a_breach_notice_shows_on_the_desk_and_i_reads_it(make_app, admin):
    from screens.desk.home import DeskScreen
    from services.events import notifications
    from services.supervisor import service_levels
    from tests.ui.pilot_tools import until
    from tui.inbox import InboxLine, NotificationsDialog

    late, _fine = world(admin)  # Tuesday 08:30: late's resolution was due Monday 18:00
    sara = users.identify("sara")
    app = make_app("sara")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DeskScreen(offer_drafts=False))
        await settle(pilot)
        desk = app.screen
        line = desk.query_one("#desk-inbox-line", InboxLine)
        assert not line.display  # nothing unread yet
        assert service_levels.sweep(clock.now()) == 1  # the worker's sweep: the supervisor is told
        await until(pilot, lambda: line.display)  # the desk reloads on the change by itself
        assert line.display and str(line.render()) == "1 unread notification: press i to read it"
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, NotificationsDialog)
        text = str(dialog.query_one("#notifications-text").render())
        assert f"Ticket {late.protocol} missed its resolution target (due 09/03/2026 18:00)" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is desk and not line.display
        assert notifications.unread_count(sara) == 0
