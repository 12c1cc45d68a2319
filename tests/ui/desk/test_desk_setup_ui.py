"""Desk setup in the TUI: a lead builds the desk a fresh store lacks."""
from textual.widgets import DataTable, Input, Select

from models import Queue, TicketType
from screens.desk.home import DeskScreen
from screens.desk.setup import DeskSetupScreen, SetupForm
from services.store import users
from tests.ui.pilot_tools import settle


async def test_a_lead_adds_a_destination_and_a_type_from_the_desk(make_app, admin):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DeskScreen(offer_drafts=False))
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DeskSetupScreen)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, SetupForm)
        await pilot.press("ctrl+s")  # no name: said at the field, the form stays
        await settle(pilot)
        assert isinstance(app.screen, SetupForm)
        assert "Name is required" in str(app.screen.query_one(".field-error").render())
        await pilot.press(*"Suporte [b]", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen and Queue.get().name == "Suporte [b]"
        assert screen.query_one(DataTable).row_count == 1
        await pilot.press("2", "a")
        await settle(pilot)
        form = app.screen
        form.query_one("#setup-name", Input).value = "Sem conexão"
        form.query_one("#setup-queue", Select).value = "Suporte [b]"
        form.query_one("#setup-responsible", Select).value = "role:agent"
        await pilot.press("ctrl+s")
        await settle(pilot)
        t = TicketType.get()
        assert (t.name, t.queue_id, t.responsible_role) == ("Sem conexão", Queue.get().id, "agent")
        await pilot.press("d")  # out of use
        await settle(pilot)
        assert not TicketType.get().active


async def test_an_agent_has_no_setup_key(make_app, admin):
    users.add(admin, "ana", "agent", name="Ana")
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DeskScreen(offer_drafts=False))
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
