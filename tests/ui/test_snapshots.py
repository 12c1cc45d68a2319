"""A few pictures at fixed sizes: layout regressions show up as diffs.

Update with: pytest tests/ui/test_snapshots.py --snapshot-update
"""
from app import AtendeApp
from services import i18n, users


def home_app(store) -> AtendeApp:
    actor = users.identify("helena")  # the first login on the test database: its admin
    return AtendeApp(actor=actor, db_label="/srv/atende/atende.db")


def test_home_80x24(store, snap_compare):
    assert snap_compare(home_app(store), terminal_size=(80, 24))


def test_home_80x24_portuguese(store, snap_compare):
    i18n.set_language("pt_BR")
    assert snap_compare(home_app(store), terminal_size=(80, 24))


def test_help_80x24(store, snap_compare):
    assert snap_compare(home_app(store), press=["f1"], terminal_size=(80, 24))
