"""A coordinator runs an event from New to Held in a real terminal (tmux,
80x24), with the keyboard alone: create it, meet the readiness check, fix
it, open registration, register and import participants, check one in,
close the event."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal, available

ROOT = Path(__file__).resolve().parents[2]
FOCUS = 0.5
"""Seconds to wait after a key that moves the focus: Textual hands the next
keys to the widget focused when they arrive, so typing on at once would land
in the previous field."""
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not available(), reason="tmux is not installed")]


def atende_command() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "atende"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import app; app.main()"]


def prefill(db_path: Path) -> None:
    """A database where the person running the test is a coordinator."""
    import models
    from services.store import users
    from services.store.database import open_store

    open_store(str(db_path))
    me = users.identify(users.os_login())
    users.add(me, "helena", "admin", name="Helena Admin")
    helena = users.identify("helena")
    users.set_role(helena, me.login, "coordinator")
    models.close_database()


def read(db_path: Path, fn):
    import models
    from services.store import users
    from services.store.database import open_store

    open_store(str(db_path))
    try:
        return fn(users.identify(users.os_login()))
    finally:
        models.close_database()


def test_event_from_new_to_held(tmp_path):
    from services.events import queries
    from services.events import registrations as er

    db = tmp_path / "atende.db"
    prefill(db)
    csv_file = tmp_path / "inscritos.csv"
    csv_file.write_text("nome;e-mail;cpf;consentimento\n"
                        "Bruna Costa;bruna@example.com;529.982.247-25;sim\n"
                        "Caio Lima;caio@example.com;;sim\n"
                        "Sem Aceite;sem@example.com;;não\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    command = atende_command() + ["--db", str(db)]
    with Terminal(command, width=80, height=24, cwd=ROOT,
                  env={"HOME": str(home), "LANG": "C.UTF-8", "TERM": "xterm-256color"}) as term:
        term.wait_for("Work areas", timeout=20)
        term.press("f3")
        term.wait_for("New (0)")
        # create the event: an offline meeting type, without address and seats
        term.press("n")
        term.wait_for("Description")
        time.sleep(FOCUS)  # the form focuses its first field
        term.type("Treinamento [bold]Estoque")
        term.press("tab", delay=FOCUS)
        term.type("10/12/2030 14:00")
        term.press("tab", delay=FOCUS)
        term.type("10/12/2030 18:00")
        term.press("tab", delay=FOCUS)
        term.press("enter")
        term.wait_for("Webinar (online)")  # the type list is open
        term.press("down", "enter")
        term.wait_for("registration opens once it has")
        term.press("ctrl+s")
        screen = term.wait_for("New (1)")
        assert "Treinamento" in screen and "[bold]Estoque" in screen  # wrapped on the card, as text
        # New -> Preparation: the preparation task is created
        term.press("]")
        term.wait_for("Preparation (1)")
        # Preparation -> Participant registration: refused, it lacks address and seats
        term.press("]")
        screen = term.wait_for("Edit it now?")
        assert "missing" in screen and "Address, Seats" in screen
        term.press("y")
        # the form opens on the first missing field, with what is missing marked
        screen = term.wait_for("Required for offline events")
        time.sleep(FOCUS)
        term.type("Rua das Flores, 100")
        term.press("tab", delay=FOCUS)
        term.type("2")
        term.press("ctrl+s")
        term.wait_for("Preparation (1)")
        term.press("]")
        term.wait_for("Registration (1)")
        # registrations: one by hand (consent ticked), two imported, one rejected
        term.press("enter")
        term.wait_for("Registrations")
        term.press("a")
        term.wait_for("Register in:")
        time.sleep(FOCUS)  # the form focuses its first field
        term.type("Ana Paula")
        term.press("tab", delay=FOCUS)
        term.type("ana@example.com")
        for _ in range(4):
            term.press("tab", delay=FOCUS)
        term.press("space")
        term.press("ctrl+s")
        term.wait_for("registered, code")  # saved and closed (the e-mail typed in the form is on screen before)
        term.press("i")
        term.wait_for("CSV file")
        time.sleep(FOCUS)  # the form focuses its first field
        term.type(str(csv_file))
        term.press("enter")
        screen = term.wait_for("Import report")
        assert "2 registered (1 on the waiting list), 1 rejected" in screen
        term.press("enter")
        term.wait_for("Waiting list #1")
        # check-in: the code is typed the way a barcode scanner does
        regs = read(db, lambda me: er.list_registrations(me, queries.list_events(me)[0].id))
        ana = next(r for r in regs if r.email == "ana@example.com")
        term.press("c")
        term.wait_for("Expected 2")
        time.sleep(FOCUS)  # the form focuses its first field
        term.type(ana.code.lower())
        term.press("enter")
        screen = term.wait_for("Present 1")
        assert "Ana Paula checked in" in screen
        term.press("escape")
        term.wait_for("Registrations")
        # the coordinator confirms the event, with the registrations there: the status is its own action
        term.press("o")
        term.wait_for("Status of Treinamento [bold]Estoque")
        term.press("enter")  # the first choice: Confirmed
        term.wait_for("E-mail the 2 participants that the event is now")
        term.press("y")
        term.wait_for("Participant registration · Confirmed")
        # through Materials and Feedback to Held
        term.press("]")
        term.wait_for("Materials preparation")
        term.press("]")
        term.wait_for("Feedback")
        term.press("]")  # it starts in 2030: a coordinator cannot close it as held yet, and is told before
        screen = term.wait_for("Not yet")
        assert "Estoque starts at 10/12/2030 14:00" in screen, screen  # (toasts may cover the rest)
        term.press("enter")
        term.wait_for("Feedback · Confirmed")
        term.press("ctrl+q")
    event_id = read(db, lambda me: queries.list_events(me)[0].id)
    early = subprocess.run(command + ["event", "move", str(event_id), "held", "--reason",
                                      "Realizado antes, a pedido do cliente"], capture_output=True, text=True,
                           env={**os.environ, "HOME": str(home), "ATENDE_USER": "helena"}, cwd=ROOT, timeout=60)
    assert early.returncode == 0, early.stderr  # an admin may, saying why
    assert "1 waiting for materials, 2 did not come" in early.stdout
    stages = read(db, lambda me: {r.email: r.stage for r in er.list_registrations(
        me, queries.list_events(me, include_old=True)[0].id)})
    assert stages == {"ana@example.com": "materials", "bruna@example.com": "no_show", "caio@example.com": "no_show"}
