"""The routers screen (admins): opened from People, a router changed with its
errors at the fields, a connection test against a RouterOS API server on 127.0.0.1."""
import pytest
from textual.widgets import Checkbox, Input, Static

from screens.admin.people import PeopleScreen
from screens.admin.routers import RouterForm, RoutersScreen
from services.customers import router
from tests.routeros import FakeRouter, memory_keyring
from tests.scenes import make_desk
from tests.ui.pilot_tools import settle


@pytest.fixture
def ring(monkeypatch):
    monkeypatch.delenv("ATENDE_NO_KEYRING", raising=False)
    with memory_keyring() as memory:
        yield memory


async def test_change_and_test_a_router(make_app, admin, ring):
    desk = make_desk()
    ap = desk["aps"][0]
    app = make_app()
    with FakeRouter(tables={"/system/identity": [{"name": "RB-Se"}]}) as server:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f6")
            await settle(pilot)
            assert isinstance(app.screen, PeopleScreen)
            await pilot.press("o")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, RoutersScreen)
            screen.query_one("#routers").move_cursor(row=[r.access_point_id for r in screen.routers].index(ap.id))
            await pilot.press("e")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, RouterForm)
            assert "atende routers password" in " ".join(str(s.render()) for s in form.query(Static))
            form.query_one("#router-host", Input).value = "not a host"
            form.query_one("#router-port", Input).value = str(server.port)
            form.query_one("#router-user", Input).value = "api"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is form and form.query_one("Field.-invalid").field_name == "host"
            form.query_one("#router-host", Input).value = "127.0.0.1"
            assert form.query_one("#router-tls", Checkbox).value is False
            await pilot.press("ctrl+s")
            await settle(pilot, rounds=2)
            assert app.screen is screen
            info = router.get_router(admin, ap.id)
            assert (info.host, info.port, info.user) == ("127.0.0.1", server.port, "api")
            status = screen.query_one("#routers-status", Static)
            assert "atende routers password" in str(status.render())  # no password kept yet
            await pilot.press("t")
            await settle(pilot)
            assert "refused the login" in str(status.render())
            router.set_password(admin, ap.id, "s3cret")
            await pilot.press("t")
            await settle(pilot)
            assert str(status.render()) == "Connected to 127.0.0.1 and logged in as api; the router is RB-Se."
