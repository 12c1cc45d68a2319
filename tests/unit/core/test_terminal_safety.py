"""Escape sequences stored in data never reach the terminal: what another
program wrote straight into the database is shown, neutralised, by every
command (real processes, as a person runs them)."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from models import Customer, Queue, Ticket, TicketType, User, write_tx
from models.live import Presence
from services.core.text import shown
from services.store import users
from tests.unit.test_cli import atende

TITLE = "\x1b]0;PWNED\x07"  # sets the terminal's title
CLEAR = "\x1b[2J"  # clears the screen
C1_CSI = "\x9b31m"  # a CSI in one (C1) character: red from now on
BAD = f"Maria{TITLE} da{CLEAR} Silva{C1_CSI}\x7f\u202eok"


def controls(text: str) -> list[str]:
    """The characters of `text` that drive a terminal (CR LF line ends aside)."""
    text = text.replace("\r\n", "\n")
    return [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F
            or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069]


def test_shown_makes_every_control_visible_and_keeps_lines():
    assert shown(BAD) == "Maria\u241b]0;PWNED\u2407 da\u241b[2J Silva\ufffd31m\u2421\ufffdok"
    assert len(shown(BAD)) == len(BAD)  # one character for one: nothing else moves
    assert shown("a\tb\nc\r\nd\re") == "a\tb\nc\r\nd\u240de"
    assert shown("one\nline", multiline=False) == "one\u240aline"
    assert shown("São Paulo — 10% [bold]") == "São Paulo — 10% [bold]"
    assert controls(shown("".join(map(chr, range(0x100))))) == []


@pytest.fixture
def poisoned(store, admin):
    """A ticket, its customer, a session and a person whose texts another
    program rewrote with escape sequences, straight in the database."""
    now = dt.datetime.now()
    with write_tx():
        queue = Queue.create(name="Suporte")
        kind = TicketType.create(name="Sem conexão", queue=queue)
        customer = Customer.create(kind="customer", name="Maria", name_norm="maria")
        me = User.get(User.login == users.session_login())
        Ticket.create(protocol="20260001", status="open", type=kind, queue=queue, customer=customer,
                      problem="modem", created_by=me, created_at=now, updated_at=now)
        Presence.create(session="s1", login="ana", name="Ana", host="pc", screen="Queues",
                        started_at=now, heartbeat_at=now + dt.timedelta(days=1))
    server = str(store).startswith("postgresql")
    if server:
        import psycopg

        con = psycopg.connect(store)
    else:
        con = sqlite3.connect(store)
    p = "%s" if server else "?"
    with con:
        con.execute(f"UPDATE customer SET name = {p}", (BAD,))
        con.execute(f"UPDATE ticket SET problem = {p}, subject = {p}", (f"line 1\n{BAD}\r\nline 3", BAD))
        con.execute(f'UPDATE "user" SET name = {p}', (BAD,))
        con.execute(f"UPDATE presence SET name = {p}, login = {p}, host = {p}, screen = {p}", (BAD, "ana", BAD, BAD))
    con.close()
    return str(store)


@pytest.mark.parametrize("args", [
    ["ticket", "show", "20260001"],
    ["ticket", "show", "20260001", "--json"],
    ["ticket", "list"],
    ["ticket", "list", "--json"],
    ["export", "tickets"],
    ["export", "tickets", "--format", "json"],
    ["who"],
    ["who", "--json"],
    ["users", "list"],
    ["users", "list", "--json"],
])
def test_commands_never_print_stored_escapes(poisoned, args):
    r = atende("--db", poisoned, *args)
    assert r.returncode == 0, r.stderr
    assert controls(r.stdout) == [] and controls(r.stderr) == []
    if "--json" in args or "json" in args:
        json.loads(r.stdout)  # still JSON
    elif args[0] != "users":
        assert "PWNED" in r.stdout  # the data is shown, neutralised


def test_show_prints_the_problem_lines_and_the_escapes_as_visible_signs(poisoned):
    r = atende("--db", poisoned, "ticket", "show", "20260001")
    # (click itself drops CSI sequences such as the clear when the output is no terminal)
    assert "Maria\u241b]0;PWNED\u2407 da" in r.stdout and "Silva\ufffd31m\u2421\ufffdok" in r.stdout
    assert "line 1\n" in r.stdout and "\nline 3" in r.stdout


def test_an_error_naming_what_was_typed_stays_one_clean_line(tmp_path):
    r = atende("--db", str(tmp_path / f"x{TITLE}\ny" / "a.db"), "ticket", "list")
    assert r.returncode != 0 and r.stdout == ""
    assert "PWNED" in r.stderr and controls(r.stderr) == [] and len(r.stderr.strip().splitlines()) == 1
