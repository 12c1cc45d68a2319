"""Pilot tests of the ticket detail screen: reply, note, status, reassign, conflicts."""
from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import TextArea

from models import Customer, Ticket, User, write_tx
from screens.desk.ticket import ReplyDialog, StatusDialog, TicketDetailScreen
from services.core import clock
from services.store import users
from services.tickets import thread as ticket_thread
from tests.ui.pilot_tools import settle

NOW = dt.datetime(2026, 3, 2, 12, 0, 0)


@pytest.fixture
def one_ticket(admin):
    clock.set_clock(lambda: NOW)
    users.add(admin, "ana", "agent", name="Ana Souza")
    users.add(admin, "bruno", "agent", name="Bruno Lima")
    with write_tx():
        ana = User.get(User.login == "ana")
        cust = Customer.create(kind="customer", name="[bold]Maria[/", name_norm="[bold]maria[/")
        t = Ticket.create(protocol="P0001", status="open", responsible=ana, customer=cust,
                          problem="sem sinal [red]", script_report="LED LOS aceso", created_by=ana,
                          created_at=NOW, updated_at=NOW)
    return t.id




def text_of(screen, selector) -> str:
    return str(screen.query_one(selector).render())


async def test_reply_note_status_reassign(make_app, one_ticket):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TicketDetailScreen("P0001"))
        await settle(pilot)
        screen = app.screen
        record = text_of(screen, "#ticket-record")
        assert "[bold]Maria[/" in record and "LED LOS aceso" in record and "sem sinal [red]" in record
        # a public reply
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReplyDialog) and not app.screen.internal
        app.screen.query_one(TextArea).load_text("Reinicie o modem [b]agora")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # an internal note
        await pilot.press("i")
        await pilot.pause()
        assert app.screen.internal
        app.screen.query_one(TextArea).load_text("Cliente difícil")
        await pilot.press("ctrl+s")
        await settle(pilot)
        thread = text_of(screen, "#ticket-thread")
        assert "PUBLIC REPLY · the customer sees it" in thread and "INTERNAL NOTE · staff only" in thread
        assert thread.index("Reinicie o modem [b]agora") < thread.index("Cliente difícil")
        # an empty message keeps the dialog open with the message under the field
        await pilot.press("r")
        await pilot.pause()
        app.screen.query_one(TextArea).load_text("   ")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReplyDialog)
        assert "Write the message first" in text_of(app.screen, ".field-error")
        await pilot.press("escape")
        await settle(pilot)
        # change status
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, StatusDialog)
        await pilot.press("enter")  # the first allowed: in progress
        await settle(pilot)
        assert ticket_thread.state(app.actor, one_ticket).status == "in_progress"
        # reassign
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"bruno", "enter")
        await settle(pilot)
        assert ticket_thread.state(app.actor, one_ticket).responsible_login == "bruno"
        history = text_of(screen, "#ticket-history")
        assert "reassign" in history and "status" in history and "message" in history


async def test_a_stale_save_is_refused_and_reloaded(make_app, one_ticket):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TicketDetailScreen("P0001"))
        await settle(pilot)
        screen = app.screen
        bruno = users.identify("bruno")
        ticket_thread.change_status(bruno, one_ticket, "waiting_customer", expected_version=1)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert ticket_thread.state(bruno, one_ticket).status == "waiting_customer"
        assert screen.state.version == 2  # reloaded after the refusal
        assert any("bruno changed ticket P0001" in n.message for n in app._notifications)


async def test_reopening_without_a_reason_keeps_the_dialog_and_resolving_with_a_scheduled_order_asks(
        make_app, one_ticket):
    from models.wizard import ServiceOrder, Technician
    from tui.dialogs import ConfirmDialog

    with write_tx():
        tech = Technician.create(name="Tião")
        ServiceOrder.create(ticket=one_ticket, technician=tech, date=NOW.date(), start_minute=14 * 60,
                            duration_minutes=60, created_by="ana", created_at=NOW)
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TicketDetailScreen("P0001"))
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # resolved: a service order is still scheduled
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "1 service order is still scheduled" in str(app.screen.query_one("#question").render())
        await pilot.press("escape")  # no: nothing changes, the status dialog stays
        await settle(pilot)
        assert isinstance(app.screen, StatusDialog)
        assert ticket_thread.state(app.actor, one_ticket).status == "open"
        await pilot.press("enter")  # asked again; yes
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        app.screen.dismiss(True)
        await settle(pilot)
        assert ticket_thread.state(app.actor, one_ticket).status == "resolved"
        assert not isinstance(app.screen, StatusDialog)
        # reopening without a reason: the dialog stays, the message is under the reason
        await pilot.press("s")
        await pilot.pause()
        dialog = app.screen
        await pilot.press("down", "enter")  # open
        await settle(pilot)
        assert app.screen is dialog
        assert "Say why the ticket is reopened" in text_of(dialog, ".field-error")
        assert app.focused is dialog.query_one("#status-reason")
        await pilot.press(*"cliente ligou de novo", "enter")  # Enter in the reason saves the chosen status
        await settle(pilot)
        assert ticket_thread.state(app.actor, one_ticket).status == "open"
        assert "cliente ligou de novo" in text_of(app.screen, "#ticket-thread")


async def test_the_login_typed_right_after_a_goes_into_the_reassign_dialog(make_app, one_ticket):
    """"a" (reassign) and the new responsible's login read at once: the login
    lands in the dialog that "a" opened. Before, the letters went to the
    ticket's screen, where "r" and "i" opened more dialogs."""
    from textual import events

    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TicketDetailScreen("P0001"))
        await settle(pilot)
        screen = app.screen
        for key, char in (*((c, c) for c in "abruno"), ("enter", None)):
            app.post_message(events.Key(key, char))  # all queued before the app reads any
        await settle(pilot, 2)
        assert app.screen is screen
        assert ticket_thread.state(app.actor, one_ticket).responsible_login == "bruno"


async def test_the_desk_opens_a_recent_ticket_on_the_ticket_screen(make_app, one_ticket):
    """Enter on the desk's recent tickets opens the one ticket screen (there
    is no read-only copy beside it): the record, and the keys to work on it."""
    from screens.desk.home import DeskScreen

    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DeskScreen(offer_drafts=False))
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketDetailScreen) and screen.protocol_number == "P0001"
        assert "sem sinal [red]" in text_of(screen, "#ticket-record")
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReplyDialog)
