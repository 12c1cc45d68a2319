"""The command line as a person uses it: real processes, one-line errors."""
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def atende(*args, env=None, input=None):
    cmd = [sys.executable, "-c", "from app import main; main()", *args]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=full_env, input=input, timeout=60)


def one_line_error(result, *fragments):
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("atende: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_version():
    r = atende("--version")
    assert r.returncode == 0 and "0.1.0" in r.stdout


@pytest.mark.parametrize("setup,args,fragment", [
    (None, ["--db", "/nonexistent-folder/x.db", "users", "list"], "does not exist"),
    ("dir", ["--db", "{tmp}", "users", "list"], "directory"),
    ("text", ["--db", "{tmp}/notes.db", "users", "list"], "not an Atende database"),
    (None, ["--config", "/nope/c.toml", "locate"], "does not exist"),
    ("badconfig", ["--config", "{tmp}/c.toml", "locate"], "c.toml"),
])
def test_bad_db_or_config_gives_one_line(tmp_path, setup, args, fragment):
    if setup == "text":
        (tmp_path / "notes.db").write_text("hello " * 200)
    if setup == "badconfig":
        (tmp_path / "c.toml").write_text("database = [\n")
    r = atende(*[a.format(tmp=tmp_path) for a in args])
    one_line_error(r, fragment)


def test_newer_database_is_refused(tmp_path):
    db = tmp_path / "a.db"
    assert atende("--db", str(db), "users", "list").returncode == 0
    con = sqlite3.connect(db)
    con.execute("INSERT INTO schema_migration VALUES ('9999_x', '2030-01-01')")
    con.commit()
    con.close()
    one_line_error(atende("--db", str(db), "users", "list"), "newer Atende")


def test_locked_database_waits_then_says_so(tmp_path):
    db = tmp_path / "a.db"
    assert atende("--db", str(db), "users", "list").returncode == 0
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    try:
        r = atende("--db", str(db), "users", "add", "zoe", "--role", "agent",
                   env={"ATENDE_BUSY_TIMEOUT_MS": "300"})
    finally:
        con.execute("ROLLBACK")
        con.close()
    one_line_error(r, "locked")


def test_users_commands(tmp_path):
    db = str(tmp_path / "a.db")
    r = atende("--db", db, "users", "add", "ana", "--role", "agent", "--name", "Ana [bold]Luíza")
    assert r.returncode == 0, r.stderr
    one_line_error(atende("--db", db, "users", "add", "bob", "--role", "chef"), "Unknown role")
    r = atende("--db", db, "users", "set-role", "ana", "coordinator")
    assert r.returncode == 0
    people = json.loads(atende("--db", db, "users", "list", "--json").stdout)
    assert {"login": "ana", "role": "coordinator", "name": "Ana [bold]Luíza"}.items() <= \
        next(p for p in people if p["login"] == "ana").items()


def test_unknown_person_is_refused(tmp_path):
    db = str(tmp_path / "a.db")
    atende("--db", db, "users", "list")
    con = sqlite3.connect(db)
    con.execute("UPDATE user SET login='someone_else'")
    con.commit()
    con.close()
    one_line_error(atende("--db", db, "users", "list"), "atende users add")


def test_locate_and_doctor(tmp_path):
    db = str(tmp_path / "a.db")
    r = atende("--db", db, "locate")
    assert db in r.stdout and "config" in r.stdout
    atende("--db", db, "users", "list")
    r = atende("--db", db, "doctor")
    lines = r.stdout.splitlines()
    names = [line.split()[1] for line in lines]
    assert names[:3] == ["config", "database", "folder"]
    assert {"files", "disk", "mail", "fonts", "worker", "person"} <= set(names)
    assert lines[1].startswith("OK")


def test_doctor_on_missing_database_fails(tmp_path):
    r = atende("--db", str(tmp_path / "none.db"), "doctor")
    assert r.returncode == 1 and "FAIL" in r.stdout and "atende demo" in r.stdout


def test_backup(tmp_path):
    db = str(tmp_path / "a.db")
    atende("--db", db, "users", "add", "ana", "--role", "agent")
    r = atende("--db", db, "backup", str(tmp_path / "copy.db"))
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(tmp_path / "copy.db")
    assert con.execute("SELECT count(*) FROM user").fetchone()[0] == 2
    con.close()
    one_line_error(atende("--db", db, "backup", str(tmp_path / "copy.db")), "--force")
    one_line_error(atende("--db", db, "backup", str(tmp_path / "no" / "x.db")), "does not exist")
    assert atende("--db", db, "backup", str(tmp_path)).returncode == 0  # a folder: a dated file inside


def test_tui_without_a_terminal_says_so(tmp_path):
    one_line_error(atende("--db", str(tmp_path / "a.db")), "terminal")


def test_portuguese_errors(tmp_path):
    r = atende("--lang", "pt_BR", "--db", "/nonexistent-folder/x.db", "users", "list")
    one_line_error(r, "não existe")


def test_desk_setup_commands(tmp_path):
    """A fresh store gets its destinations, types, technicians and service-order types from the CLI."""
    db = str(tmp_path / "a.db")
    assert atende("--db", db, "desk", "add", "queue", "--name", "Suporte [bold]").returncode == 0
    r = atende("--db", db, "desk", "add", "type", "--name", "Sem conexão", "--queue", "suporte [BOLD]",
               "--responsible", "role:agent", "--allows-link")
    assert r.returncode == 0, r.stderr
    assert "Suporte [bold]" in r.stdout
    assert atende("--db", db, "desk", "add", "os_type", "--name", "Reparo", "--minutes", "90").returncode == 0
    r = atende("--db", db, "desk", "edit", "type", "1", "--response-minutes", "60", "--resolution-minutes", "480")
    assert r.returncode == 0 and "response 1 h 00 · resolution 8 h 00" in r.stdout, r.stderr
    one_line_error(atende("--db", db, "desk", "edit", "queue", "1", "--resolution-minutes", "soon"), "whole minutes")
    one_line_error(atende("--db", db, "desk", "add", "os_type", "--name", "X", "--minutes", "0"), "greater than zero")
    one_line_error(atende("--db", db, "desk", "add", "queue", "--name", "Y", "--phone", "1"), "--phone")
    one_line_error(atende("--db", db, "desk", "add", "queue", "--name", "SUPORTE [bold]"), "already")
    types = json.loads(atende("--db", db, "desk", "list", "type", "--json").stdout)
    assert [(t["name"], t["active"]) for t in types] == [("Sem conexão", True)]
    r = atende("--db", db, "desk", "disable", "type", str(types[0]["id"]))
    assert r.returncode == 0 and "inactive" in r.stdout
    atende("--db", db, "users", "add", "ana", "--role", "agent")
    one_line_error(atende("--db", db, "desk", "list", "queue", env={"ATENDE_USER": "ana"}), "may not")


def test_call_ring_and_list(tmp_path):
    """The PBX's hook: one line (or JSON) saying whom it told; a wrong agent is one line and exit 1."""
    db = str(tmp_path / "a.db")
    assert atende("--db", db, "users", "add", "ana", "--role", "agent").returncode == 0
    r = atende("--db", db, "call", "ring", "--number", "011 99469-5266", "--to", "ana")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ("ana has no open session: the call waits in their list of calls "
                                "(Call from +55 11 99469-5266: unknown number)")
    got = json.loads(atende("--db", db, "call", "ring", "--number", "[bold]\x1b[31m", "--to", "ana", "--json").stdout)
    assert (got["to"], got["matches"], got["sessions"], got["customer_id"]) == ("ana", 0, 0, None)
    one_line_error(atende("--db", db, "call", "ring", "--number", "1", "--to", "ghost"), "'ghost'")
    one_line_error(atende("--db", db, "call", "ring", "--to", "ana"), "--number")
    listed = json.loads(atende("--db", db, "call", "list", "--json", env={"ATENDE_USER": "ana"}).stdout)
    assert [c["status"] for c in listed] == ["ringing", "ringing"]


def test_canned_commands(tmp_path):
    """Leads keep canned replies from the shell; errors are one line; agents may not."""
    db = str(tmp_path / "a.db")
    assert atende("--db", db, "desk", "add", "queue", "--name", "Suporte").returncode == 0
    r = atende("--db", db, "canned", "add", "--title", "Saudação [b]", "--queue", "suporte",
               "--body-file", "-", input="Olá {contact}, protocolo {protocol}.\n")
    assert r.returncode == 0 and "Saudação [b]  (Suporte, in use)" in r.stdout, r.stderr
    one_line_error(atende("--db", db, "canned", "add", "--title", "X", "--body", "{custmer}"), "{custmer}")
    one_line_error(atende("--db", db, "canned", "add", "--title", "X", "--body", "y", "--queue", "nada"), "nada")
    one_line_error(atende("--db", db, "canned", "edit", "99", "--title", "Z"), "No canned reply 99")
    assert "(every destination, in use)" in atende("--db", db, "canned", "edit", "1", "--queue", "").stdout
    assert "out of use" in atende("--db", db, "canned", "disable", "1").stdout
    listed = json.loads(atende("--db", db, "canned", "list", "--json").stdout)
    assert [(c["title"], c["body"], c["active"]) for c in listed] == [
        ("Saudação [b]", "Olá {contact}, protocolo {protocol}.", False)]
    atende("--db", db, "users", "add", "ana", "--role", "agent")
    one_line_error(atende("--db", db, "canned", "list", env={"ATENDE_USER": "ana"}), "may not")
