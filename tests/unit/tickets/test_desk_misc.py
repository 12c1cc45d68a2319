import json
import random

import pytest
from click.testing import CliRunner

from models import Ticket, write_tx
from models.wizard import EmailTemplate, OsType, Script, Technician
from services.core.errors import NotFound, ValidationError
from services.customers import contacts
from services.demo import wizard as wizard_demo
from services.tickets import records
from services.tickets.wizard import draft, finishing, saving
from tests.scenes import make_desk


@pytest.fixture
def desk_data(admin):
    return make_desk()


def test_demo_fill_adds_the_desk_data(admin, desk_data):
    wizard_demo.fill(admin, random.Random(3), tickets=6)
    before = Technician.select().count()
    assert {t.name for t in Technician.select()} >= {n for n, _p in wizard_demo.TECHNICIANS}
    assert {t.name for t in OsType.select()} >= {n for n, _m in wizard_demo.OS_TYPES}
    assert EmailTemplate.select().count() == len(wizard_demo.TEMPLATES)
    assert Script.select().count() >= 3
    assert Ticket.select().where(Ticket.status.in_(("open", "resolved"))).count() == 6
    assert saving.pending_drafts(admin) == []
    wizard_demo.fill(admin, random.Random(3), tickets=0)  # again: no duplicates
    assert Technician.select().count() == before


def test_contacts_extra_fields_by_type(admin, desk_data):
    from models import ExtraField

    with write_tx():
        n = ExtraField.create(name="pontos", label="Pontos", type="number", position=1)
        d = ExtraField.create(name="aniv", label="Aniversário", type="date", position=2)
        c = ExtraField.create(name="decisor", label="Decisor", type="choice", choices='["Sim", "Não"]', position=3)
    cust = desk_data["customers"][0]
    with pytest.raises(ValidationError) as err:
        contacts.save_contact(admin, cust.id, None, name="Zé", phone="11 98765-4321",
                              extras={n.id: "muitos", d.id: "31/02/2020", c.id: "Talvez"})
    assert set(err.value.errors) == {f"extra_{n.id}", f"extra_{d.id}", f"extra_{c.id}"}
    saved = contacts.save_contact(admin, cust.id, None, name="Zé", phone="11 98765-4321",
                                  extras={n.id: "3", d.id: "01/02/1990", c.id: "Sim"})
    assert dict(saved.extras) == {n.id: "3", d.id: "01/02/1990", c.id: "Sim"}
    edited = contacts.save_contact(admin, cust.id, saved.id, name="Zé Silva", email="ze@example.com",
                                   extras={n.id: ""})
    assert edited.name == "Zé Silva" and n.id not in dict(edited.extras)
    details = contacts.details(admin, cust.id)
    assert {k.name for k in details.contacts} == {"João Gonçalves", "Zé Silva"}
    assert details.plans[0].network == "Rede Centro"
    contacts.delete_contact(admin, saved.id)
    assert len(contacts.details(admin, cust.id).contacts) == 1


def test_ticket_show_and_list(admin, desk_data):
    d = saving.start(admin)
    c = desk_data["customers"][2]
    finishing.finish(admin, draft.update(d, customer_id=c.id, contact_id=c.contacts[0].id, plan_id=c.plans[0].id,
                                         problem="[bold]sem sinal", queue_id=desk_data["queue"].id,
                                         type_id=desk_data["plain"].id, responsible_role="agent", step="first_contact"))
    view = records.show(admin, d.protocol)
    assert (view.customer, view.status, view.queue) == ("[bold]Zé (NEAR)", "open", "Suporte Técnico")
    rows = records.list_tickets(admin, status="open")
    assert [r.protocol for r in rows] == [d.protocol] and rows[0].customer == "[bold]Zé (NEAR)"
    with pytest.raises(NotFound):
        records.show(admin, "nope")
    with pytest.raises(ValidationError):
        records.list_tickets(admin, status="weird")


def test_cli_ticket_commands(admin, desk_data, store):
    from app import main

    d = saving.start(admin)
    saving.cancel(admin, d)
    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(store), "ticket", "show", d.protocol, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["status"] == "abandoned"
    out = runner.invoke(main, ["--db", str(store), "ticket", "list", "--status", "abandoned", "--json"])
    assert [r["protocol"] for r in json.loads(out.output)] == [d.protocol]
    out = runner.invoke(main, ["--db", str(store), "ticket", "show", "000"])
    assert out.exit_code == 1 and "No ticket with protocol 000" in out.output
