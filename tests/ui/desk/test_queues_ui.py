"""Pilot tests of the queue screen at 80x24, keyboard only."""
from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import DataTable, Input, Select

from models import Customer, Queue, Ticket, TicketType, User, write_tx
from screens.desk.home import DeskScreen
from screens.desk.queues import QueuesScreen
from screens.desk.ticket import TicketDetailScreen
from services.core import clock
from services.store import users
from tests.ui.pilot_tools import settle, until

NOW = dt.datetime(2026, 3, 2, 12, 0, 0)


@pytest.fixture
def queue_world(admin):
    clock.set_clock(lambda: NOW)
    users.add(admin, "ana", "agent", name="Ana Souza")
    with write_tx():
        suporte = Queue.create(name="Suporte")
        sem = TicketType.create(name="Sem conexão", queue=suporte)
        boleto = TicketType.create(name="Boleto", queue=suporte)
        ana = User.get(User.login == "ana")
        cust = Customer.create(kind="customer", name="[bold]Maria[/", name_norm="[bold]maria[/")
        for i in range(120):
            status = ("open", "waiting_customer", "finished")[i % 3]
            at = NOW - dt.timedelta(minutes=i)
            Ticket.create(protocol=f"P{i:04d}", status=status, type=sem if i % 2 else boleto, queue=suporte,
                          responsible=ana if i % 4 == 0 else None, customer=cust,
                          problem="modem queimado" if i == 7 else "sem sinal", created_by=ana,
                          created_at=at, updated_at=at)


def table_protocols(screen) -> list[str]:
    table = screen.query_one("#queues-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]




async def test_queue_screen_views_filter_paging_and_open(make_app, queue_world):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DeskScreen(offer_drafts=False))
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueuesScreen)
        # the Open view: newest first, 50 a page, count computed after the page
        assert table_protocols(screen)[:2] == ["P0000", "P0001"] and len(table_protocols(screen)) == 50
        status = str(screen.query_one("#queues-status").render())
        assert "50 of 80" in status
        await pilot.press("n")
        await settle(pilot)
        assert len(table_protocols(screen)) == 80
        # markup in a customer's name is shown as typed
        assert str(screen.query_one("#queues-table", DataTable).get_row_at(0)[1]) == "[bold]Maria[/"
        # the view switcher
        screen.query_one("#queues-views", Select).value = "waiting"
        await settle(pilot)
        assert table_protocols(screen)[:2] == ["P0001", "P0004"]
        # a typed filter
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"agent:ana", "enter")
        await settle(pilot)
        assert table_protocols(screen) == ["P0004", "P0016", "P0028", "P0040", "P0052", "P0064",
                                           "P0076", "P0088", "P0100", "P0112"]
        # sort column and direction
        await pilot.press("d")
        await settle(pilot)
        assert table_protocols(screen)[0] == "P0112"
        # Enter opens the ticket
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketDetailScreen) and app.screen.protocol_number == "P0112"
        from services.tickets import thread as ticket_thread

        ticket_thread.change_status(app.actor, Ticket.get(Ticket.protocol == "P0112").id, "in_progress",
                                    expected_version=1)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        # reloaded: no longer waiting on the customer, so out of this view
        assert "P0112" not in table_protocols(screen) and "P0100" in table_protocols(screen)


async def test_bad_filter_shows_a_message_and_keeps_the_text(make_app, queue_world):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen(view="all"))
        await settle(pilot)
        await pilot.press("slash", *'colour:"red', "enter")
        await settle(pilot)
        screen = app.screen
        error = str(screen.query_one("#queues-filter-field .field-error").render())
        assert "quote is not closed" in error
        assert screen.query_one("#queues-filter-input", Input).value == 'colour:"red'
        await pilot.press("ctrl+u", *"colour:red", "enter")
        await settle(pilot)
        assert "Unknown field" in str(screen.query_one("#queues-filter-field .field-error").render())


async def test_search_by_text_and_protocol_jump(make_app, queue_world):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen(view="all"))
        await settle(pilot)
        await pilot.press("slash", *"queimado", "enter")
        await settle(pilot)
        assert table_protocols(app.screen) == ["P0007"]
        await pilot.press("slash", "ctrl+u", *"P0042", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketDetailScreen) and app.screen.protocol_number == "P0042"


async def test_a_selected_row_shows_the_whole_protocol(make_app, queue_world):
    with write_tx():
        Ticket.update(protocol="20261205000169").where(Ticket.protocol == "P0000").execute()
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen(view="open"))
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#queues-table", DataTable)
        table.move_cursor(row=table.get_row_index(next(k for k in table.rows if "20261205000169" in k.value)))
        await pilot.press("space")
        await settle(pilot)
        assert "● 20261205000169" in table_protocols(screen)
        assert table.ordered_columns[0].content_width >= len("● 20261205000169")


async def test_bulk_actions_on_selected_tickets(make_app, queue_world):
    from services.tickets import thread as ticket_thread

    users.add(users.identify(users.session_login()), "bruno", "agent", name="Bruno Lima")
    users.set_role(users.identify(users.session_login()), "ana", "supervisor")  # bulk reassignment is for leads
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen(view="open"))
        await settle(pilot)
        screen = app.screen
        await pilot.press("b")  # nothing selected: a hint, nothing else
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("space", "space")
        assert table_protocols(screen)[:2] == ["● P0000", "● P0001"]
        assert "2 selected" in str(screen.query_one("#queues-status").render())
        await pilot.press("b")
        await pilot.pause()
        await pilot.press("down", "enter")  # Reassign
        await pilot.pause()
        await pilot.press(*"bruno", "enter")
        await settle(pilot)
        ana = app.actor
        ids = [t.id for t in Ticket.select().where(Ticket.protocol.in_(["P0000", "P0001"]))]
        assert {ticket_thread.state(ana, i).responsible_login for i in ids} == {"bruno"}
        # both moved to the top (same last update; the newer id first)
        assert not screen.selected and table_protocols(screen)[:2] == ["P0001", "P0000"]
        # a bulk note
        await pilot.press("space", "b")
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        from textual.widgets import TextArea

        app.screen.query_one(TextArea).load_text("Verificado")
        await pilot.press("ctrl+s")
        await settle(pilot)
        p1 = Ticket.get(Ticket.protocol == "P0001").id
        assert ticket_thread.messages(ana, p1)[-1].body == "Verificado"


async def test_view_and_filter_keys_take_the_keys_typed_right_after_them(make_app, queue_world):
    """"v" opens the views list and "/" the filter; what is typed at once
    (or arrives together over SSH) goes into them, and what is typed right
    after the choice or the filter's Enter goes to the tickets again."""
    from textual import events

    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen())
        await settle(pilot)
        screen = app.screen
        views = screen.query_one("#queues-views", Select)
        await pilot.press("v")
        await settle(pilot)
        assert views.expanded and app.focused is not views  # the list is open, and has the keys
        await pilot.press("escape")
        await settle(pilot)
        assert not views.expanded
        names = [v for _label, v in views._options]
        wanted = names[names.index(views.value) + 1]
        for key in ("v", "down", "enter"):
            app.post_message(events.Key(key, None))  # all queued before the app reads any
        await settle(pilot)
        assert views.value == wanted and not views.expanded
        table = screen.query_one("#queues-table", DataTable)
        assert app.focused is table  # back on the tickets of the new view
        descending = screen.descending
        for key, char in (*(("slash" if c == "/" else c, c) for c in "/agent:ana"), ("enter", None), ("d", "d")):
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert screen.query_one("#queues-filter-input", Input).value == "agent:ana"
        assert screen.filter_text == "agent:ana" and app.focused is table
        assert screen.descending is not descending  # the "d" after Enter was the table's
        views.focus()
        await settle(pilot)
        await pilot.press("escape")  # on the view list: back to the tickets, not out of the queue
        await settle(pilot)
        assert app.screen is screen and app.focused is table



async def test_a_refresh_read_before_a_new_filter_does_not_replace_its_tickets(make_app, queue_world, monkeypatch):
    """A live refresh still reading the old view when the person applies a
    filter: its answer, coming after the filtered page, must not put the
    old view's tickets back under the new filter."""
    import threading

    from services.tickets import queues

    real_page, refreshes, filtered_shown = queues.page, [], threading.Event()

    def page(*args, **kwargs):
        if "limit" in kwargs:  # the live refresh: it answers once the filtered page is shown
            refreshes.append(args)
            filtered_shown.wait(5)
        return real_page(*args, **kwargs)

    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(QueuesScreen(view="all"))
        await settle(pilot)
        screen = app.screen
        assert len(table_protocols(screen)) == 50
        monkeypatch.setattr(queues, "page", page)
        screen.live_reload(frozenset({"data"}))  # another session committed
        await until(pilot, lambda: refreshes)
        await pilot.press("slash", *"agent:ana", "enter")
        await until(pilot, lambda: table_protocols(screen) and len(table_protocols(screen)) < 50)
        filtered = table_protocols(screen)
        assert len(filtered) == 30
        filtered_shown.set()
        await settle(pilot)
        await settle(pilot)
        assert table_protocols(screen) == filtered
        assert "30 of 30" in str(screen.query_one("#queues-status").render())
