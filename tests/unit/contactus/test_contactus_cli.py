"""Contact us from the command line, as real processes: the person running the
tests is made a representative, and every staff command refuses them."""
from __future__ import annotations

import json

import models
from models import Customer, Queue, write_tx
from services.contactus import catalogue, company_contacts
from services.store import users
from services.store.database import open_store
from services.tickets import thread
from tests.unit.test_cli import atende, one_line_error


def _world(db: str):
    """Admin (the OS login) sets up two companies; returns protocols (mine, theirs)."""
    open_store(db)
    me = users.identify(users.session_login())
    users.add(me, "helena", "admin", name="Helena")
    users.add(me, "ana", "agent", name="Ana")
    with write_tx():
        q = Queue.create(name="Financeiro")
        acme = Customer.create(kind="customer", name="Acme", name_norm="acme", doc="11222333000181",
                               doc_kind="cnpj")
        other = Customer.create(kind="customer", name="Outra", name_norm="outra")
    c = catalogue.add_classification(me, "Financeiro", q.id)
    s = catalogue.add_subclassification(me, c.id, "Boleto")
    users.add(me, "rep2", "representative", company_id=other.id)
    new = dict(classification_id=c.id, subclassification_id=s.id, contact_name="X", phone="11912345678",
               email="x@x.com.br")
    theirs = company_contacts.open_contact(users.identify("rep2"),
                                           company_contacts.NewContact(message="segredo", **new))
    helena = users.identify("helena")
    users.set_role(helena, users.session_login(), "representative", company_id=acme.id)
    mine = company_contacts.open_contact(users.identify(users.session_login()),
                                         company_contacts.NewContact(message="meu", **new))
    thread.add_message(users.identify("ana"), mine.ticket_id, "resposta", internal=False)
    thread.add_message(users.identify("ana"), mine.ticket_id, "nota interna", internal=True)
    models.close_database()
    return mine.protocol, theirs.protocol


def test_users_add_representative_by_cnpj(tmp_path):
    db = str(tmp_path / "a.db")
    assert atende("--db", db, "users", "list").returncode == 0  # the OS login becomes admin
    open_store(db)
    with write_tx():
        Customer.create(kind="customer", name="Acme", name_norm="acme", doc="11222333000181", doc_kind="cnpj")
    models.close_database()
    r = atende("--db", db, "users", "add", "rep", "--role", "representative", "--company", "11.222.333/0001-81")
    assert r.returncode == 0, r.stderr
    listed = json.loads(atende("--db", db, "users", "list", "--json").stdout)
    assert [p["company_name"] for p in listed if p["login"] == "rep"] == ["Acme"]
    one_line_error(atende("--db", db, "users", "add", "rep3", "--role", "representative", "--company", "999"),
                   "No company")
    one_line_error(atende("--db", db, "users", "add", "rep4", "--role", "representative"), "company")


def test_representative_cli_sees_only_their_company(tmp_path):
    db = str(tmp_path / "a.db")
    mine, theirs = _world(db)
    r = atende("--db", db, "contactus", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert [c["protocol"] for c in json.loads(r.stdout)] == [mine]
    shown = atende("--db", db, "contactus", "show", mine)
    assert "resposta" in shown.stdout and "nota interna" not in shown.stdout
    one_line_error(atende("--db", db, "contactus", "show", theirs), "No contact", theirs)
    for args in (["ticket", "show", theirs], ["ticket", "show", mine], ["ticket", "list"],
                 ["export", "tickets", "--format", "json"], ["users", "list"]):
        r = atende("--db", db, *args)
        one_line_error(r, "may not")
        assert "segredo" not in r.stderr
