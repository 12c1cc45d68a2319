"""The new-ticket wizard in a real terminal (tmux), at 80x24."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.tmux import Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

ROOT = Path(__file__).resolve().parents[2]
ATENDE = str(Path(sys.executable).parent / "atende")
PROTOCOL = re.compile(r"Protocol\s+(\d{14})")


def fill(db: Path | str, home: Path | None = None) -> None:
    """A database with demo customers and the desk's demo data."""
    code = (
        "import random, sys\n"
        "from services.store.database import open_store\n"
        "from services.customers.lookup import rebuild_search_index\n"
        "from services.demo import build, wizard\n"
        "from services.store import users\n"
        f"open_store({str(db)!r})\n"
        "actor = users.identify(users.session_login())\n"
        "build.fill(actor, customers=300, seed=7)\n"
        "rebuild_search_index()\n"
        "wizard.fill(actor, random.Random(7), tickets=2)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=_env(home or db.parent))


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATENDE_", "XDG_"))}
    env.update(HOME=str(home), LANG="C.UTF-8", TEXTUAL_ANIMATIONS="none")
    return env


def start(db: Path, home: Path) -> Tmux:
    env = {"HOME": str(home), "LANG": "C.UTF-8", "TEXTUAL_ANIMATIONS": "none"}
    return Tmux(f"{ATENDE} --db {db}", width=80, height=24, env=env, cwd=str(ROOT))


def cli(db: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ATENDE, "--db", str(db), *args], capture_output=True, text=True, env=_env(home))


@pytest.fixture
def demo_db(tmp_path):
    db = tmp_path / "atende.db"
    fill(db)
    return db


def open_wizard(t: Tmux) -> str:
    t.wait_for("Service desk")
    t.send("F2")
    t.wait_for("Recent tickets")
    t.send("C-n")
    screen = t.wait_for("read it to the customer")
    return PROTOCOL.search(screen).group(1)


def to_customer(t: Tmux, name: str) -> None:
    t.send("C-n")
    t.wait_for("Find the customer")
    t.type(name)
    t.wait_for(" found")
    t.send("Enter", pause=0.3)
    t.send("Enter")
    t.wait_for("Who is calling")


def saved_at_step(db: Path, protocol: str, step: str, timeout: float = 10.0) -> None:
    """Wait until the draft of `protocol` is saved at `step` in the store."""
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(db, timeout=10) as conn:
            row = conn.execute("SELECT step FROM ticket_draft WHERE protocol = ?", (protocol,)).fetchone()
        if row and row[0] == step:
            return
        time.sleep(0.05)
    raise AssertionError(f"the draft of {protocol} was not saved at step {step!r} within {timeout}s: {row}")


def test_a_call_from_start_to_finish(demo_db, tmp_path):
    call_from_start_to_finish(demo_db, tmp_path)


def test_a_call_from_start_to_finish_on_a_server(pg_cluster, tmp_path):
    """The same call, every session of it on a PostgreSQL store."""
    from tests import pg

    url = pg_cluster.create_database(pg.unique_name())
    fill(url, tmp_path)
    call_from_start_to_finish(url, tmp_path)


def call_from_start_to_finish(demo_db, tmp_path):
    with start(demo_db, tmp_path) as t:
        protocol = open_wizard(t)
        to_customer(t, "joao")
        time.sleep(0.5)
        t.send("Enter")  # the contact calling
        t.wait_for("Plan (Enter chooses)")
        time.sleep(0.5)
        t.send("Enter")  # the plan
        t.wait_for("routing point")
        t.type("Cliente sem internet desde ontem [bold]")
        t.wait_for("desde ontem [bold]")
        time.sleep(0.3)
        t.send("C-n")
        t.wait_for("Checks performed in this contact")
        time.sleep(0.5)
        t.send("Enter", pause=0.3)  # destination: open the list
        t.send("Down", "Enter", pause=0.3)
        t.send("Tab", pause=0.3)
        t.send("Enter", pause=0.3)  # ticket type
        t.send("Down", "Enter", pause=0.3)
        t.wait_for("Role:")  # the type proposed its responsible
        t.send("C-s")
        t.wait_for(protocol + r"\s+open", regex=True)  # its row on the desk, not the wizard's heading
        t.wait_for("Resume draft")  # the desk, behind the wizard
        t.send("C-q")
    shown = cli(demo_db, tmp_path, "ticket", "show", protocol, "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["status"] == "open"
    assert data["problem"] == "Cliente sem internet desde ontem [bold]"
    assert "jo" in data["customer"].lower() and data["plan"]
    listed = cli(demo_db, tmp_path, "ticket", "list", "--status", "open")
    assert protocol in listed.stdout


def test_kill_9_mid_wizard_and_resume_with_the_same_protocol(demo_db, tmp_path):
    t = start(demo_db, tmp_path)
    try:
        protocol = open_wizard(t)
        to_customer(t, "maria")
        saved_at_step(demo_db, protocol, "customer")  # the step change's save (off the UI thread) has landed
        pid = t.pane_pid()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
    finally:
        t.kill()
    assert json.loads(cli(demo_db, tmp_path, "ticket", "show", protocol, "--json").stdout)["status"] == "draft"
    with start(demo_db, tmp_path) as t:
        t.wait_for("did not finish")
        screen = t.wait_for(protocol)
        t.send("Enter")
        screen = t.wait_for("Who is calling")
        assert protocol in screen and "Customer and contact" in screen
        assert "Maria" in screen or "maria" in screen.lower()
        t.send("Escape")
        t.wait_for("Keep draft")
        t.send("Enter")  # the default: keep
        t.wait_for("Resume draft")  # back on the desk
        t.send("C-q")
