"""Contact us in real terminals: a company representative opens a contact in
one session, an agent answers it from the desk in another session on the
same database, and the answer appears in the representative's thread.

Both sessions run as the person running the tests (their OS login): the test
makes that login a representative for the first session and an agent for the
second; an open session keeps the role it started with."""
from __future__ import annotations

import models
from models import Customer, Queue, Ticket, reading, write_tx
from services.contactus import catalogue
from services.store import users
from services.store.database import open_store


def _as(db: str, role: str, company_id: int | None = None) -> None:
    open_store(db)
    users.set_role(users.identify("helena"), users.os_login(), role, company_id=company_id)
    models.close_database()


def test_representative_contact_answered_by_agent_in_another_session(tmp_path, terminal):
    db = str(tmp_path / "cu.db")
    open_store(db)
    me = users.identify(users.os_login())
    users.add(me, "helena", "admin", name="Helena")
    with write_tx():
        q = Queue.create(name="Financeiro")
        acme = Customer.create(kind="customer", name="Acme Ltda", name_norm="acme ltda", doc="11222333000181",
                               doc_kind="cnpj")
    c = catalogue.add_classification(me, "Financeiro", q.id)
    catalogue.add_subclassification(me, c.id, "Segunda via de boleto")
    models.close_database()
    _as(db, "representative", acme.id)
    env = {"HOME": str(tmp_path)}

    rep = terminal(["--db", db], width=80, height=24, env=env)
    rep.wait_for("No contacts here yet")
    rep.press("n")
    rep.wait_for("Central (classification")  # the choices are loaded
    rep.press("enter", "down", "enter", delay=0.3)  # classification
    rep.wait_for("Financeiro")
    rep.press("tab", "enter", "down", "enter", delay=0.3)  # sub-classification
    rep.wait_for("Segunda via de boleto")
    rep.press("tab")
    rep.type("Rita Souza")
    rep.press("tab")
    rep.type("11912345678")
    rep.press("tab")
    rep.type("rita@acme.com.br")
    rep.press("tab")
    rep.type("Preciso da segunda via do boleto de marco")
    rep.press("ctrl+s")
    screen = rep.wait_for("Segunda via de", timeout=15)
    lines = screen.rstrip("\n").split("\n")
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    open_store(db)
    with reading():
        protocol = Ticket.get(Ticket.customer == acme.id).protocol
    models.close_database()
    rep.press("enter")
    rep.wait_for("Preciso da segunda via")

    _as(db, "agent")
    agent = terminal(["--db", db], width=200, height=50, env=env)
    agent.wait_for("Work areas")
    agent.press("f2")
    agent.wait_for("Queues")
    agent.press("q")
    agent.wait_for(protocol)  # the new contact is in the agent's queue
    agent.press("/", delay=0.5)
    agent.type(protocol, pause=0.5)
    agent.press("enter")
    agent.wait_for("Preciso da segunda via", timeout=15)
    agent.press("r")
    agent.wait_for("Public reply")
    agent.type("Enviamos a segunda via para o seu e-mail")
    agent.press("ctrl+s")
    agent.wait_for("Enviamos a segunda via", timeout=15)

    rep.press("r")
    screen = rep.wait_for("Enviamos a segunda via", timeout=15)
    assert "(our team)" in screen
    agent.press("ctrl+q")
    rep.press("ctrl+q")
    assert rep.wait_exit() == 0
