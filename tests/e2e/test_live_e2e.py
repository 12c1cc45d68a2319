"""Two sessions side by side on one database, in real terminals (tmux):
one's commit shows up in the other's open queue within 2 seconds; two
people changing one ticket: the second is refused, naming the first."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest

import models
from models import Customer, Queue, Ticket, TicketType, User, write_tx
from services.store import users

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_db(admin, store):
    users.add(admin, "ana", "agent", name="Ana Souza")
    users.add(admin, "bruno", "agent", name="Bruno Lima")
    now = dt.datetime.now().replace(microsecond=0)
    with write_tx():
        q = Queue.create(name="Suporte")
        t = TicketType.create(name="Sem conexão", queue=q)
        ana = User.get(User.login == "ana")
        cust = Customer.create(kind="customer", name="Maria Lima", name_norm="maria lima")
        for i in range(5):
            at = now - dt.timedelta(hours=i + 1)
            Ticket.create(protocol=f"2026000000{i:04d}", status="open", type=t, queue=q, customer=cust,
                          problem="sem sinal", created_by=ana, created_at=at, updated_at=at)
    models.close_database()
    return store


def session(terminal, db: Path, login: str, **kwargs):
    return terminal(["--db", str(db)], env={"ATENDE_USER": login}, cwd=str(ROOT), **kwargs)


def open_queue(term) -> None:
    term.wait_for("Work areas")
    term.press("f2")
    term.wait_for("Queues")
    term.press("q")
    term.wait_for("2026000000")


def create_ticket_elsewhere(db: Path, protocol: str) -> None:
    """Another process (another person's session) opens a ticket."""
    code = (
        "import sys, datetime as dt\n"
        "from services.store.database import open_store\n"
        "from models import Customer, Queue, Ticket, TicketType, User, write_tx\n"
        "open_store(sys.argv[1])\n"
        "now = dt.datetime.now().replace(microsecond=0)\n"
        "with write_tx():\n"
        "    Ticket.create(protocol=sys.argv[2], status='open', type=TicketType.get(), queue=Queue.get(),\n"
        "                  customer=Customer.get(), problem='modem', created_by=User.get(User.login == 'bruno'),\n"
        "                  created_at=now, updated_at=now)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(db), protocol], cwd=ROOT, check=True, timeout=60)


def test_a_ticket_opened_elsewhere_appears_in_the_open_queue_within_2s(terminal, shared_db):
    ana = session(terminal, shared_db, "ana")
    bruno = session(terminal, shared_db, "bruno")
    open_queue(ana)
    bruno.wait_for("Work areas")
    screen = ana.capture()
    assert "20260000009999" not in screen
    create_ticket_elsewhere(shared_db, "20260000009999")
    committed = time.monotonic()
    ana.wait_for("20260000009999", timeout=5)
    assert time.monotonic() - committed <= 2.0
    # the cursor did not move: still on the first row it was on before (now the second)
    assert "Loading" not in ana.capture()


def test_second_save_of_one_ticket_is_refused_naming_the_first(terminal, shared_db):
    ana = session(terminal, shared_db, "ana", width=100, height=30)
    bruno = session(terminal, shared_db, "bruno", width=100, height=30)
    for term in (ana, bruno):
        open_queue(term)
        term.press("enter")
        term.wait_for("Thread")
    # bruno is on the ticket: ana sees it
    ana.wait_for("Bruno Lima is also here", timeout=5)
    ana.press("s")
    ana.wait_for("Change status from")
    bruno.wait_for("Ana Souza is editing", timeout=5)
    bruno.press("s")
    bruno.wait_for("Change status from")
    bruno.press("enter")  # In progress: saved first
    bruno.wait_for("in_progress")  # the history line of the change
    ana.press("enter")  # ana chose from the version she saw
    screen = ana.wait_for("in the meantime", timeout=5)
    assert "bruno changed ticket" in screen
