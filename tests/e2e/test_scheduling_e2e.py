"""A full triage ending in a booking, in a real terminal at 80x24."""
import json
import random
import sys
from pathlib import Path

import pytest

import models
from models.mail import Outbox
from models.scheduling import Booking
from services.demo import scheduling
from services.store import users
from services.store.database import open_store
from tests.e2e.tmux import Terminal
from tests.scenes import make_customers

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not Terminal.available(), reason="tmux is not installed")]


def test_triage_to_booking_in_a_real_terminal(tmp_path):
    db = tmp_path / "atende.db"
    open_store(str(db))
    admin = users.identify(users.os_login())  # the person running the test opens the app too
    make_customers()
    scheduling.fill(admin, random.Random(1))
    before = Booking.select().count()
    models.close_database()

    atende = str(Path(sys.executable).with_name("atende"))
    env = {"HOME": str(tmp_path), "LANG": "C.UTF-8", "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    with Terminal(f"{atende} --db {db}", width=80, height=24, env=env, cwd=str(ROOT)) as term:
        term.wait_for("Work areas")
        term.keys("F4")
        term.wait_for("Pick the customer")
        term.type("padaria")
        term.wait_for("Pão Quente")
        term.keys("Enter", "Enter")
        term.wait_for("Search the topic")
        term.type("balan")
        screen = term.wait_for("Book with implementation")
        assert "Configuração de Balança" in screen
        term.keys("F2")
        term.wait_for("Igor Nascimento")
        term.type("Configurar a balança no caixa 2 e os produtos pesáveis")
        term.keys("Tab")
        term.type("Marta Souza")
        term.keys("Tab", "Tab", "Tab")
        term.type("Toledo")
        term.keys("Tab")
        term.type("Prix 3 Fit")
        term.wait_for("Homologated: yes")
        term.keys("C-s")
        screen = term.wait_for("Session booked")
        assert "1h30" in screen and "15 minutes" in screen
        term.keys("Enter")
        term.wait_for("Booked: protocol 20")
        term.keys("C-q")

    open_store(str(db))
    try:
        assert Booking.select().count() == before + 1
        b = Booking.select().order_by(Booking.id.desc()).get()
        assert (b.contact_name, b.equipment_model, b.equipment_homologated) == ("Marta Souza", "Prix 3 Fit", True)
        mail = Outbox.get((Outbox.about_entity == "booking") & (Outbox.about_id == str(b.id)))
        [ics_file] = json.loads(mail.attachments)
        assert mail.kind == "booking_confirmation" and "BEGIN:VCALENDAR" in Path(ics_file["path"]).read_text()
    finally:
        models.close_database()
