"""The supervisor's dashboard figures against a known database; the desk
filters behind them; the audit log's page service; CSV export checks."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os

import pytest

from services.core import export
from services.core.errors import PermissionDenied, ValidationError
from services.core.permissions import Actor
from services.store import audit, users
from services.supervisor import dashboard
from services.tickets import queues
from tests.scenes import DASHBOARD_NOW, make_dashboard


@pytest.fixture
def known_dashboard(admin):
    return make_dashboard(admin)


@pytest.fixture
def gabi(known_dashboard):
    return users.identify("gabi")


def figures(items):
    return {f.label: f.n for f in items}


def test_dashboard_figures(known_dashboard, gabi):
    board = dashboard.read(gabi)
    assert board.at == DASHBOARD_NOW and board.open_total == 6
    assert figures(board.by_queue) == {"Suporte": 4, "Financeiro": 2}
    assert figures(board.by_type) == {"Sem conexão": 4, "Boleto": 2}
    assert [f.n for f in board.by_age] == [1, 1, 2, 1, 1]
    # today: ana opened 2 (and the abandoned draft does not count), bruno 1 finished
    assert figures(board.today_by_agent) == {"Ana Souza": 2 + 1, "Bruno Lima": 1}
    assert [(c.protocol, c.agent_login, c.duration, c.step, c.customer) for c in board.calls] == [
        ("D001", "bruno", "7 min", "contact", "[red]Cliente")]
    assert [t.protocol for t in board.oldest] == ["T005", "T004", "T006", "T003", "T002", "T001"]
    assert board.oldest[0].age == "10 d" and board.oldest[0].queue == "Financeiro"
    assert [(e.description, e.filled, e.seats, e.waiting) for e in board.events] == [
        ("Treino A", 4, 10, 0), ("Treino B", 2, 2, 3)]
    assert {f.key: f.n for f in board.mail} == {
        "mail:queued": 3, "mail:failed": 2, "certificates:pending": 3, "certificates:no_cpf": 2}
    assert len(board.per_day) == 30 and board.first_day == DASHBOARD_NOW.date() - dt.timedelta(days=29)
    # today: T001, T002, T007 and the abandoned A001 (opened and given up: still a call taken)
    assert board.per_day[-1] == 4
    assert sum(board.per_day) == 7 + 1  # every ticket but the 40-day-old one and the draft


def test_today_counts_the_abandoned_as_a_call(known_dashboard, gabi):
    # the abandoned ticket A001 was opened today by ana: it is one of her calls
    assert figures(dashboard.read(gabi).today_by_agent)["Ana Souza"] == 3


def test_each_figure_opens_the_list_behind_it(known_dashboard, gabi):
    """The view and filter each figure carries list exactly the tickets it counts."""
    board = dashboard.read(gabi)
    for fig in (*board.by_queue, *board.by_type, *board.by_age, *board.today_by_agent):
        assert fig.target == "queues"
        assert queues.count(gabi, fig.view, fig.filter) == fig.n, fig


def test_dashboard_refuses_agents_coordinators_and_representatives(known_dashboard, people):
    rep = Actor(login="rep", name="Rep", role="representative")
    for actor in (people["agent"], people["coordinator"], rep):
        with pytest.raises(PermissionDenied):
            dashboard.read(actor)
        with pytest.raises(PermissionDenied):
            audit.page(actor)
    assert dashboard.read(people["supervisor"]).open_total == 6
    assert dashboard.read(people["admin"]).open_total == 6


def test_new_desk_filters(known_dashboard, gabi):
    assert queues.count(gabi, "all", "age:>7d") == 2  # T005 and the 40-day-old resolved one
    assert queues.count(gabi, "open", "age:1d-3d") == 2
    assert queues.count(gabi, "all", "opener:bruno created:today") == 1
    assert queues.count(gabi, "all", "created:2026-03-08") == 1  # T003, 30 hours ago
    assert queues.count(gabi, "all", "criado:hoje") == 4  # T001, T002, T007 and the abandoned A001
    for bad in ("age:soon", "age:<1w", "created:31/02", 'created:"[bold]"'):
        with pytest.raises(ValidationError):
            queues.parse_filter(bad)


def test_audit_page_filters_and_keyset(known_dashboard, admin):
    # users.add wrote three "create user" rows; the dashboard's tickets were written directly
    first = audit.page(admin, entity="user", limit=2)
    assert len(first.rows) == 2 and first.next_before is not None
    rest = audit.page(admin, entity="user", limit=2, before_id=first.next_before)
    ids = [e.id for e in first.rows + rest.rows]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert all(e.login == admin.login for e in audit.page(admin, login=admin.login).rows)
    assert audit.page(admin, login="nobody").rows == ()
    assert audit.page(admin, since="2999-01-01").rows == ()
    with pytest.raises(ValidationError) as bad:
        audit.page(admin, since="ontem")
    assert "since" in bad.value.errors
    with pytest.raises(ValidationError) as bad:
        audit.page(admin, since="2026-03-09", until="2026-03-01")
    assert "until" in bad.value.errors
    one = audit.page(admin, entity="user").rows[0]
    assert audit.page(admin, entity=f"user:{one.entity_id}").rows[0].id == one.id
    assert "login" in audit.changes_text(one)


def test_audit_csv_is_formula_safe(admin):
    from models import write_tx

    with write_tx():
        audit.record("=cmd|' /C calc'!A0", "ticket", 1, "@update", {"subject": ["-1", "+2"]})
    out = io.StringIO()
    assert audit.export_csv(admin, out, entity="ticket") == 1
    row = list(csv.reader(io.StringIO(out.getvalue())))[1]
    assert row[2].startswith("'=") and row[5] == "'@update"


def test_export_path_checks(tmp_path):
    with pytest.raises(ValidationError, match="Type the file"):
        export.check_path("  ")
    with pytest.raises(ValidationError, match="folder"):
        export.check_path(str(tmp_path))
    with pytest.raises(ValidationError, match="does not exist"):
        export.check_path(str(tmp_path / "nope" / "x.csv"))
    with pytest.raises(ValidationError, match="control"):
        export.check_path("a\x1bb.csv", cwd=tmp_path)
    target = tmp_path / "x.csv"
    target.write_text("old")
    with pytest.raises(ValidationError, match="exists"):
        export.check_path(str(target))
    assert export.check_path(str(target), overwrite=True) == target
    assert export.check_path("rel.csv", cwd=tmp_path) == tmp_path / "rel.csv"
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(ValidationError, match="may not write"):
                export.check_path(str(locked / "x.csv"))
        finally:
            locked.chmod(0o700)
    n = export.write_csv(target, ["a", "b"], [["=1+1", "[bold]x"], ["ok", None]])
    assert n == 2
    assert list(csv.reader(target.open())) == [["a", "b"], ["'=1+1", "[bold]x"], ["ok", ""]]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".atende-export")] == []


def test_audit_list_cli(tmp_path):
    """`atende audit list`: text, csv and json; a bad date is one line on stderr."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    db = str(tmp_path / "cli.db")

    def atende(*args):
        return subprocess.run([sys.executable, "-c", "from app import main; main()", "--db", db, *args],
                              cwd=root, capture_output=True, text=True, timeout=60)

    assert atende("users", "add", "ana", "--role", "agent").returncode == 0
    listed = atende("audit", "list", "--entity", "user", "--format", "json")
    assert listed.returncode == 0
    rows = json.loads(listed.stdout)
    assert [r["changes"].get("login") for r in rows][:1] == ["ana"] and rows[0]["entity"] == "user"
    as_csv = atende("audit", "list", "--format", "csv", "--limit", "1")
    assert as_csv.stdout.splitlines()[0] == "id,at,login,entity,entity_id,action,changes"
    assert len(as_csv.stdout.splitlines()) == 2
    bad = atende("audit", "list", "--since", "yesterday")
    assert bad.returncode == 1 and bad.stdout == "" and bad.stderr.startswith("atende: ")
    assert len(bad.stderr.strip().splitlines()) == 1
