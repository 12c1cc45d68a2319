"""A few pictures at fixed sizes: layout regressions show up as diffs.

Update with: pytest tests/ui/test_snapshots.py --snapshot-update
"""
from app import AtendeApp
from services.core import i18n
from services.store import users
from tests.ui.pilot_tools import settle as settle_workers


def home_app(store) -> AtendeApp:
    actor = users.identify("helena")  # the first login on the test database: its admin
    return AtendeApp(actor=actor, db_label="/srv/atende/atende.db")


async def settled(pilot) -> None:
    """Start-up checks (the mail worker's status) have reported."""
    await settle_workers(pilot)


def test_home_80x24(store, snap_compare):
    assert snap_compare(home_app(store), run_before=settled, terminal_size=(80, 24))


def test_home_80x24_portuguese(store, snap_compare):
    i18n.set_language("pt_BR")
    assert snap_compare(home_app(store), run_before=settled, terminal_size=(80, 24))


def test_help_80x24(store, snap_compare):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(home_app(store), run_before=run_before, terminal_size=(80, 24))


def test_supervisor_dashboard_80x24(store, snap_compare):
    """The supervisor's dashboard on a known database, time frozen (tests.scenes.make_dashboard)."""
    from tests.scenes import make_dashboard

    make_dashboard(users.identify("helena"))
    app = AtendeApp(actor=users.identify("gabi"), db_label="/srv/atende/atende.db")

    async def run_before(pilot):
        await pilot.press("f5")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
