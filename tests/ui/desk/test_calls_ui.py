"""The phone at 80x24, through the real live thread: a ring from another
connection pops up on the agent's session by itself; Enter opens the wizard
with the caller chosen, Esc lets it go to the list of calls, and a call taken
in the agent's other session closes here."""
from __future__ import annotations

import time

from textual.widgets import DataTable, Input, Static

from screens.desk.calls import CallsScreen, IncomingCallDialog
from screens.desk.home import DeskScreen
from screens.desk.wizard.screen import WizardScreen
from services.customers import registration
from services.store import users
from services.tickets import calls
from tests.ui.test_live_ui import until


def _world(admin):
    users.add(admin, "ana", "agent", name="Ana Souza")
    got = registration.register(admin, kind="customer", name="Maria Souza", doc="529.982.247-25",
                                phone="(11) 99469-5266")
    return got.customer.id, got.contact_id


async def test_a_ring_pops_up_and_enter_opens_the_wizard_on_the_caller(make_app, admin):
    customer_id, contact_id = _world(admin)
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DeskScreen(offer_drafts=False))
        await pilot.pause()
        calls.ring(None, "011 99469-5266", "ana")  # the PBX, another connection
        await until(pilot, lambda: isinstance(app.screen, IncomingCallDialog) and app.screen.query("#call-who"))
        dialog = app.screen
        assert f"Call from Maria Souza (customer {customer_id})" in str(dialog.query_one("#call-who", Static).render())
        dialog.armed_at = time.monotonic() + 60  # as if it had just popped up (a loaded machine is slow)
        await pilot.press("enter")  # typed ahead for the desk: not an answer
        await pilot.pause()
        assert app.screen is dialog
        dialog.armed_at = 0
        await pilot.pause(0.3)  # the button's own press effect ignores a second press in 0.2 s
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, WizardScreen))
        draft = app.screen.draft
        assert (draft.step, draft.customer_id, draft.contact_id) == ("customer", customer_id, contact_id)
        await until(pilot, lambda: "Calling: Maria Souza" in str(app.screen.query_one("#contact-info").render()))


async def test_esc_lets_a_call_go_to_the_list_where_enter_calls_back(make_app, admin):
    _world(admin)
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DeskScreen(offer_drafts=False))
        await pilot.pause()
        calls.ring(None, "+55 21 3333-0000", "ana")  # on nobody
        await until(pilot, lambda: isinstance(app.screen, IncomingCallDialog))
        await pilot.press("escape")
        await until(pilot, lambda: calls.recent(users.identify("ana"))[0].status == "dismissed")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, CallsScreen)
                    and app.screen.query_one("#calls", DataTable).row_count == 1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, WizardScreen))
        assert app.screen.draft.step == "lookup"
        await until(pilot, lambda: app.screen.query_one("#lookup-text", Input).value == "+55 21 3333-0000")


async def test_a_call_taken_in_the_agents_other_session_closes_here(make_app, admin):
    _world(admin)
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        call = calls.ring(None, "11994695266", "ana").call
        await until(pilot, lambda: isinstance(app.screen, IncomingCallDialog))
        calls.answer(users.identify("ana"), call.id)  # the same agent, on another terminal
        await until(pilot, lambda: not isinstance(app.screen, IncomingCallDialog))
