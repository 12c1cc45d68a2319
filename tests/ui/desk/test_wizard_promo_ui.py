"""The wizard offers upcoming public events to the contact on the line (80x24)."""
from textual.widgets import ContentSwitcher, OptionList

from app import AtendeApp
from services.events import registrations as er
from tests.ui.desk.test_wizard_ui import SIZE, to_customer, wait
from tests.unit.events.test_events import make_event, open_registration
from tui.dialogs import ConfirmDialog
from tui.event_promo import EventPromo


def footer_keys(app) -> set[str]:
    return {b.id for (_n, b, enabled, _t) in app.screen.active_bindings.values() if enabled and b.id}


async def test_no_events_takes_no_space(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_customer(pilot, app)
        await pilot.press("enter")  # the contact
        await wait(pilot, app)
        assert wiz.draft.contact_id
        promo = wiz.query_one("#wizard-promo", EventPromo)
        assert not promo.display and promo.region.height == 0
        assert wiz.query_one(ContentSwitcher).region.height == 24 - 3
        assert "wizard-promo-register" not in footer_keys(app)


async def test_promo_registers_the_contact_after_consent(admin, desk_with_scripts):
    public = open_registration(admin, make_event(admin, description="Oficina [fibra]", seats=5, public=True))
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_customer(pilot, app)
        promo = wiz.query_one("#wizard-promo", EventPromo)
        await wait(pilot, app)
        assert promo.events and not promo.display  # nobody chosen yet
        await pilot.press("enter")  # the contact
        await wait(pilot, app)
        assert wiz.draft.step == "plan" and promo.display
        assert 1 <= promo.region.height <= 4 and promo.region.bottom <= 23
        assert wiz.query_one(ContentSwitcher).region.height >= 24 - 3 - 4
        assert "Oficina [fibra]" in promo.query_one(OptionList).options[0].prompt.plain
        assert "wizard-promo-register" in footer_keys(app)
        await pilot.press("ctrl+g")
        await wait(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait(pilot, app)
        assert app.screen is wiz
        [r] = er.list_registrations(admin, public.id)
        assert (r.name, r.source) == (wiz.draft.contact_name, "desk")
