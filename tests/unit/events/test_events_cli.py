"""The `atende event` commands: thin, scriptable, one-line errors."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import models
from app import main
from services.core import clock
from services.events import registrations as er
from tests.unit.events.test_events import make_event, open_registration


@pytest.fixture
def cli(people, store):
    """Run `atende --db STORE ...` as the test's OS login (the admin)."""
    coord = people["coordinator"]
    clock.set_clock(lambda: dt.datetime(2026, 5, 4, 9, 0))
    event = open_registration(coord, make_event(coord, description="CLI [bold]event", seats=1, fmt="hybrid"))
    models.close_database()
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(main, ["--db", str(store), *args], catch_exceptions=False)
        models.close_database()
        return result

    run.event = event
    return run


def test_list_and_show_json(cli):
    result = cli("event", "list", "--json")
    assert result.exit_code == 0
    [item] = json.loads(result.output)
    assert (item["description"], item["stage"], item["status"], item["free_seats"]) == (
        "CLI [bold]event", "registration", "open", 1)
    shown = json.loads(cli("event", "show", str(cli.event.id), "--json").output)
    assert shown["registrations"] == [] and shown["seats"] == 1
    assert "CLI [bold]event" in cli("event", "list").output


def test_register_requires_consent_then_waiting_list(cli):
    refused = cli("event", "register", str(cli.event.id), "--name", "Ana", "--email", "ana@example.com")
    assert refused.exit_code == 1 and "consent" in refused.output
    ok = cli("event", "register", str(cli.event.id), "--name", "Ana", "--email", "ana@example.com", "--consent")
    assert ok.exit_code == 0 and "registered, code" in ok.output
    full = cli("event", "register", str(cli.event.id), "--name", "Bia", "--email", "bia@example.com", "--consent")
    assert "#1 on the waiting list" in full.output
    bad = cli("event", "register", str(cli.event.id), "--name", "Cy", "--email", "nope", "--consent")
    assert bad.exit_code == 1 and "Invalid e-mail" in bad.output and "Traceback" not in bad.output


def test_checkin(cli):
    cli("event", "register", str(cli.event.id), "--name", "Ana", "--email", "ana@example.com", "--consent")
    shown = json.loads(cli("event", "show", str(cli.event.id), "--json").output)
    code = shown["registrations"][0]["code"]
    assert "access_token" not in shown["registrations"][0]
    assert "checked in" in cli("event", "checkin", code.lower()).output
    again = cli("event", "checkin", code)
    assert again.exit_code == 1 and "already checked in" in again.output
    unknown = cli("event", "checkin", "NOPE1234")
    assert unknown.exit_code == 1 and "Unknown code" in unknown.output


def test_access_prints_the_link_or_when_it_opens(cli, store):
    from services.store import users
    from services.store.database import open_store

    cli("event", "register", str(cli.event.id), "--name", "Ana", "--email", "ana@example.com", "--consent")
    open_store(str(store))
    reg = er.list_registrations(users.identify(users.session_login()), cli.event.id)[0]
    models.close_database()
    early = cli("event", "access", reg.access_token)
    assert early.exit_code == 1 and "opens at" in early.output and "one hour before" in early.output
    clock.set_clock(lambda: cli.event.starts_at - dt.timedelta(hours=1))
    result = cli("event", "access", reg.access_token)
    assert result.exit_code == 0 and result.output.strip() == "https://meet.example.com/x"


def test_import_reports_rows(cli, tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("name,email,consent\nAna,ana@example.com,yes\nBia,bia@example.com,no\n", encoding="utf-8")
    result = cli("event", "import", str(cli.event.id), str(f))
    assert result.exit_code == 0
    assert "1 registered (0 on the waiting list), 1 rejected, of 2 rows." in result.output
    assert "line 3:" in result.output
    wrong = tmp_path / "w.csv"
    wrong.write_text("foo,bar\n1,2\n", encoding="utf-8")
    failed = cli("event", "import", str(cli.event.id), str(wrong))
    assert failed.exit_code == 1 and "Wrong columns" in failed.output


def test_import_with_every_row_rejected_fails(cli, tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("name,email,consent\nAna,ana@example.com,no\nBia,not-an-email,yes\n", encoding="utf-8")
    result = cli("event", "import", str(cli.event.id), str(f))
    assert result.exit_code == 1  # nothing registered: a script must not read it as done
    assert "0 registered (0 on the waiting list), 2 rejected, of 2 rows." in result.output
    assert "line 2:" in result.output and "line 3:" in result.output


def test_ids_beyond_the_store_are_usage_errors(cli):
    for args in (["event", "show", "99999999999999999999"], ["event", "move", "9223372036854775808", "held"],
                 ["event", "register", "0", "--name", "A", "--email", "a@example.com", "--consent"],
                 ["event", "show", "²"]):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert "is not an id" in result.output and "internal error" not in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert cli("certificates", "issue", "99999999999999999999").exit_code == 1


def test_move_and_types(cli):
    result = cli("event", "move", str(cli.event.id), "materials")
    assert result.exit_code == 0 and "Materials preparation" in result.output
    refused = cli("event", "move", str(cli.event.id), "new")
    assert refused.exit_code == 0  # back is allowed
    bad = cli("event", "move", str(cli.event.id), "held")
    assert bad.exit_code == 1 and "one stage forward" in bad.output
    added = cli("event", "type-add", "Hackathon", "--format", "hybrid", "--check", "Pizza")
    assert added.exit_code == 0
    types = json.loads(cli("event", "types", "--json").output)
    assert any(t["name"] == "Hackathon" and t["checklist"] == ["Pizza"] for t in types)


def test_access_token_never_reads_as_an_option(cli, store, monkeypatch):
    """Tokens are URL-safe base64: one in 64 used to start with "-", which the
    command line took for an option (exit 2, 'No such option')."""
    import secrets

    from services.events import registrations as er_mod

    drawn = iter(["-starts-with-a-dash", "fine_token"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(drawn))
    assert er_mod._new_token() == "fine_token"
    models.close_database()
    result = cli("event", "access", "-Xold-token-from-before")  # still a token, not an option
    assert result.exit_code == 1 and "No such option" not in result.output


def test_the_cli_creates_and_edits_events_cancels_registrations_and_sets_e_mails(cli, people):
    from services.events import queries
    from services.store import users

    created = cli("event", "create", "--description", "Webinar <CLI>", "--start", "20/05/2026 14:00",
                  "--end", "20/05/2026 16:00", "--type", "webinar", "--responsible", "t_coordinator",
                  "--link", "https://meet.example/cli", "--seats", "30", "--public", "--hours", "2")
    assert created.exit_code == 0, created.output
    models.db.connect(reuse_if_open=True)
    [e] = [x for x in queries.list_events(people["admin"]) if x.description == "Webinar <CLI>"]
    assert (e.seats, e.public, e.workload_hours, e.access_link) == (30, True, 2, "https://meet.example/cli")
    secondary = cli("event", "create", "--description", "Turma 2", "--start", "21/05/2026 14:00",
                    "--end", "21/05/2026 16:00", "--main", str(e.id), "--link", "https://meet.example/cli2")
    assert secondary.exit_code == 0, secondary.output
    edited = cli("event", "edit", str(e.id), "--seats", "12", "--address", "Rua Nova, 5")
    assert edited.exit_code == 0, edited.output
    changed = queries.get_event(people["admin"], e.id)
    assert (changed.seats, changed.description, changed.address) == (12, "Webinar <CLI>", "Rua Nova, 5")
    bad = cli("event", "edit", str(e.id), "--start", "31/02/2026 10:00")
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert cli("event", "create", "--type", "nope").exit_code != 0
    ok = cli("event", "register", str(cli.event.id), "--name", "Ana", "--email", "ana@example.com", "--consent")
    waiting = cli("event", "register", str(cli.event.id), "--name", "Bia", "--email", "bia@example.com", "--consent")
    assert "waiting list" in waiting.output
    code = ok.output.split("code ")[1].strip(". \n")
    cancelled = cli("event", "cancel-registration", code)
    assert cancelled.exit_code == 0 and "moved up from the waiting list" in cancelled.output
    assert cli("event", "cancel-registration", "NOPE-CODE").exit_code != 0
    assert cli("users", "set-email", "t_agent", "agente@example.com").exit_code == 0
    assert users.identify("t_agent") and [u.email for u in users.list_users(people["admin"])
                                         if u.login == "t_agent"] == ["agente@example.com"]
    assert cli("users", "set-email", "t_agent", "not-an-address").exit_code != 0
