"""The command line asks who is acting before it acts, and takes no input
that could crash it: real processes on real files (issue 16: reset, staff
commands for representatives, the export file, ids, logins, another
program's database, usage errors, an interrupted demo)."""
from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest

import models
from models import Customer, write_tx
from services.store import users
from services.store.database import open_store
from tests.unit.test_cli import ROOT, atende, one_line_error


def _shared(tmp_path: Path) -> str:
    """A database several people use: the OS login (admin), helena (admin),
    ana (agent), rep (a representative of Acme); Acme is a customer."""
    db = str(tmp_path / "shared.db")
    open_store(db)
    me = users.identify(users.session_login())
    users.add(me, "helena", "admin", name="Helena")
    users.add(me, "ana", "agent", name="Ana")
    with write_tx():
        acme = Customer.create(kind="customer", name="Acme", name_norm="acme", doc="11222333000181", doc_kind="cnpj")
    users.add(me, "rep", "representative", company_id=acme.id)
    models.close_database()
    return db


def _people(db: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT login, role FROM user ORDER BY login").fetchall()
    finally:
        con.close()


def as_(login: str) -> dict:
    return {"ATENDE_USER": login}  # allowed on a file the OS user owns (the tests' files)


# -- demo --reset -------------------------------------------------------------


def test_demo_reset_is_refused_to_everyone_but_an_admin(tmp_path):
    db = _shared(tmp_path)
    before = _people(db)
    for login in ("rep", "ana"):
        r = atende("--db", db, "demo", "--reset", "--customers", "5", env=as_(login))
        one_line_error(r, "Only an admin", "nothing was deleted")
        assert r.returncode == 1
        assert _people(db) == before  # not deleted, not refilled
    con = sqlite3.connect(db)
    assert con.execute("SELECT name FROM customer").fetchall() == [("Acme",)]
    con.close()


def test_demo_reset_by_an_admin_starts_anew(tmp_path):
    db = _shared(tmp_path)
    r = atende("--db", db, "demo", "--reset", "--customers", "20", env=as_("helena"))
    assert r.returncode == 0, r.stderr
    people = dict(_people(db))
    assert people["helena"] == "admin" and users.os_login() not in people  # the old database is gone
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM customer WHERE name = 'Acme'").fetchone()[0] == 0
    con.close()


def test_demo_reset_by_the_owner_of_a_file_nobody_else_uses(tmp_path):
    db = str(tmp_path / "mine.db")
    assert atende("--db", db, "users", "list").returncode == 0  # the OS login: its first admin
    con = sqlite3.connect(db)
    con.execute("UPDATE user SET role = 'agent'")  # not even admin: but it is their file, and only theirs
    con.commit()
    con.close()
    r = atende("--db", db, "demo", "--reset", "--customers", "20")
    assert r.returncode == 0, r.stderr
    assert dict(_people(db))[users.os_login()] == "admin"


def test_demo_after_an_interrupted_demo_finishes_it(tmp_path):
    """The process dies in the middle of the features' demos (no clean-up at
    all); the next `atende demo` finishes the fill instead of refusing it."""
    db = str(tmp_path / "demo.db")
    killer = ("import os, services.demo.events as e\n"
              "real = e.fill\n"
              "def fill(actor, rng):\n"
              "    real(actor, rng)\n"
              "    os._exit(9)\n"
              "e.fill = fill\n"
              "from app import main\n"
              f"main(['--db', {db!r}, 'demo', '--customers', '200'])\n")
    import subprocess

    died = subprocess.run([sys.executable, "-c", killer], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert died.returncode == 9
    r = atende("--db", db, "demo")
    assert r.returncode == 0, r.stderr
    assert "interrupted" in r.stderr and "Demo data ready" in r.stdout
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM customer").fetchone()[0] == 200
    assert con.execute("SELECT count(*) FROM event").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM setting WHERE key = 'demo.fill'").fetchone()[0] == 0
    con.close()
    again = atende("--db", db, "demo")
    assert again.returncode == 0 and "already" in again.stdout


# -- representatives hold no staff permission -----------------------------------


@pytest.mark.parametrize("args", [["worker", "--once"], ["event", "remind"], ["settings", "list"], ["demo"],
                                  ["users", "add", "x", "--role", "representative", "--company", "1"]])
def test_representatives_are_refused_staff_commands(tmp_path, args):
    db = _shared(tmp_path)
    r = atende("--db", db, *args, env=as_("rep"))
    one_line_error(r, "may not")


def test_staff_still_run_the_background_commands(tmp_path):
    db = _shared(tmp_path)
    r = atende("--db", db, "settings", "list", env=as_("ana"))
    assert r.returncode == 0 and "certificates.window_days" in r.stdout
    r = atende("--db", db, "event", "remind", env=as_("ana"))
    assert r.returncode == 0 and "reminders queued" in r.stdout


def test_users_add_checks_permission_before_looking_the_company_up(tmp_path):
    db = _shared(tmp_path)
    answers = set()
    for company in ("11.222.333/0001-81", "1", "999", "99999999999999999999"):
        r = atende("--db", db, "users", "add", "newrep", "--role", "representative", "--company", company,
                   env=as_("ana"))
        one_line_error(r, "may not")
        answers.add(r.stderr)
    assert len(answers) == 1  # the same answer whether the company exists or not
    one_line_error(atende("--db", db, "users", "add", "newrep", "--role", "representative", "--company", "999"),
                   "No company")


# -- export -o ------------------------------------------------------------------


def test_export_never_damages_an_existing_file(tmp_path):
    db = _shared(tmp_path)
    out = tmp_path / "out.csv"
    out.write_text("precious\n")
    for force in ([], ["--force"]):
        r = atende("--db", db, "export", "tickets", "-o", str(out), *force, env=as_("rep"))
        one_line_error(r, "may not")
        assert out.read_text() == "precious\n"
    one_line_error(atende("--db", db, "export", "tickets", "-o", str(out)), "exists", "--force")
    assert out.read_text() == "precious\n"
    for bad in (["--view", "queue:99999999999999999999"], ["--view", "nope"], ["--view", "type:²"]):
        r = atende("--db", db, "export", "tickets", "-o", str(out), "--force", *bad)
        assert r.returncode != 0 and "Traceback" not in r.stderr
        assert out.read_text() == "precious\n", bad
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".atende-export")) == []
    r = atende("--db", db, "export", "tickets", "-o", str(out), "--force")
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("protocol,")
    fresh = tmp_path / "fresh.json"
    assert atende("--db", db, "export", "tickets", "--format", "json", "-o", str(fresh)).returncode == 0
    assert fresh.read_text().strip() == "[]"


# -- input ------------------------------------------------------------------------


def test_ids_beyond_what_the_store_holds_are_one_line_usage_errors(tmp_path):
    db = _shared(tmp_path)
    big = "99999999999999999999"
    for args in (["bookings", "outcome", big, "held"], ["outbox", "retry", big], ["event", "show", big],
                 ["event", "import", big, "/dev/null"], ["triage", "check", "--customer", big, "--topic", "x"],
                 ["event", "show", "-5"], ["outbox", "retry", "0"]):
        r = atende("--db", db, *args)
        one_line_error(r)
        assert r.returncode == 2, (args, r.stderr)
        assert "internal error" not in r.stderr
    for args in (["ticket", "show", big], ["certificates", "issue", big], ["outbox", "resend", "event", big],
                 ["export", "tickets", "--view", f"queue:{big}"],
                 ["users", "set-role", "ana", "agent", "--company", "²"]):
        r = atende("--db", db, *args)
        one_line_error(r)
        assert r.returncode == 1 and "internal error" not in r.stderr, (args, r.stderr)


def test_a_login_with_escape_sequences_is_refused_not_trimmed(tmp_path):
    db = _shared(tmp_path)
    r = atende("--db", db, "users", "add", "\x1b[31mbob", "--role", "agent")
    one_line_error(r, "control characters")
    assert "\x1b" not in r.stderr
    assert "bob" not in dict(_people(db))
    r = atende("--db", db, "users", "list", env=as_("\x1b]0;owned\x07helena"))
    one_line_error(r, "control characters")
    assert "\x1b" not in r.stderr


def test_another_programs_database_is_refused_untouched(tmp_path):
    db = tmp_path / "notes.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE note (text TEXT)")
    con.execute("INSERT INTO note VALUES ('mine')")
    con.commit()
    con.close()
    for args in (["users", "list"], ["demo", "--reset"], ["settings", "list"], ["worker", "--once"]):
        one_line_error(atende("--db", str(db), *args), "another program's database")
    con = sqlite3.connect(db)
    assert con.execute("SELECT name FROM sqlite_master").fetchall() == [("note",)]
    assert con.execute("SELECT text FROM note").fetchall() == [("mine",)]
    con.close()


@pytest.mark.parametrize("args,help_of", [
    (["settings", "set"], "atende settings set"),
    (["settings", "set", "certificates.window_days"], "atende settings set"),
    (["--bogus"], "atende"),
    (["nocommand"], "atende"),
    (["export", "tickets", "--format", "xml"], "atende export tickets"),
    (["event", "show", "abc"], "atende event show"),
    (["audit", "list", "--limit", "0"], "atende audit list"),
])
def test_usage_errors_are_one_line(tmp_path, args, help_of):
    r = atende("--db", str(tmp_path / "a.db"), *args)
    one_line_error(r, f"(see '{help_of} --help')")
    assert r.returncode == 2


def test_a_negative_setting_is_a_value_refused_for_its_range(tmp_path):
    db = str(tmp_path / "a.db")
    one_line_error(atende("--db", db, "settings", "set", "certificates.window_days", "-1"), "between 1 and 365")


def test_imports_of_a_device_or_a_pipe_say_so_in_one_line(tmp_path):
    """/dev/zero never fills the memory, a named pipe is never waited on
    (services.core.files reads regular files only)."""
    import time

    db = _shared(tmp_path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for args in (["import", "customers", "/dev/zero"], ["import", "customers", str(fifo)],
                 ["event", "import", "1", "/dev/zero"], ["event", "import", "1", str(fifo)]):
        started = time.monotonic()
        r = atende("--db", db, *args)
        one_line_error(r)
        assert r.returncode == 1 and "internal error" not in r.stderr, (args, r.stderr)
        assert time.monotonic() - started < 30
