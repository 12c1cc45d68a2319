"""Contact us: the mode, the catalogue, routing, permissions and, above all,
that a representative only ever reaches their own company's contacts."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from models import Customer, Queue, Ticket, write_tx
from models.desk import TicketMessage
from models.wizard import TicketAttachment
from services.contactus import catalogue, company_contacts
from services.core import clock
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.store import database, settings, users
from services.tickets import queues, records
from services.tickets import thread as ticket_thread

NOW = dt.datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def cu(people):
    """Two companies with a representative each, a catalogue, an agent."""
    clock.set_clock(lambda: NOW)
    admin = people["admin"]
    with write_tx():
        fin = Queue.create(name="Financeiro")
        sup = Queue.create(name="Suporte")
        acme = Customer.create(kind="customer", name="Acme [bold]Ltda[/", name_norm="acme ltda",
                               doc="11222333000181", doc_kind="cnpj")
        other = Customer.create(kind="customer", name="Outra SA", name_norm="outra sa", doc="11444777000161",
                                doc_kind="cnpj")
    billing = catalogue.add_classification(admin, "Financeiro", fin.id)
    tech = catalogue.add_classification(admin, "Suporte técnico", sup.id)
    boleto = catalogue.add_subclassification(admin, billing.id, "Segunda via de boleto")
    lento = catalogue.add_subclassification(admin, tech.id, "Internet lenta")
    phone = catalogue.add_form(admin, "Telefone")
    users.add(admin, "rep", "representative", name="Rita Rep", company_id=acme.id)
    users.add(admin, "rep2", "representative", name="Otto Rep", company_id=other.id)
    return {
        **people, "rep": users.identify("rep"), "rep2": users.identify("rep2"), "acme": acme.id,
        "other": other.id, "billing": billing, "tech": tech, "boleto": boleto, "lento": lento, "phone": phone,
        "fin": fin.id, "sup": sup.id,
    }


def new(cu, **kw) -> company_contacts.NewContact:
    base = dict(classification_id=cu["billing"].id, subclassification_id=cu["boleto"].id,
                contact_name="Rita", phone="(11) 91234-5678", email="rita@acme.com.br",
                message="Preciso da segunda via do boleto.")
    base.update(kw)
    return company_contacts.NewContact(**base)


# -- the mode --------------------------------------------------------------

def test_mode_defaults_to_central_and_admins_switch_it(cu):
    assert catalogue.mode() == "central"
    assert settings.set_value(cu["admin"], "contactus.mode", " CRM ") == "crm"
    assert catalogue.mode() == "crm"
    assert ("contactus.mode", "crm") in [(k, v) for k, v, _a in settings.describe(cu["admin"])]
    with pytest.raises(ValidationError) as err:
        settings.set_value(cu["admin"], "contactus.mode", "other")
    assert "value" in err.value.errors
    with pytest.raises(PermissionDenied):
        settings.set_value(cu["supervisor"], "contactus.mode", "central")


def test_crm_mode_asks_for_a_form_of_contact(cu):
    settings.set_value(cu["admin"], "contactus.mode", "crm")
    with pytest.raises(ValidationError) as err:
        company_contacts.open_contact(cu["rep"], new(cu, subclassification_id=None))
    assert set(err.value.errors) == {"form"}
    row = company_contacts.open_contact(cu["rep"], new(cu, subclassification_id=None, form_id=cu["phone"].id))
    assert row.detail == "Telefone"
    detail = company_contacts.detail(cu["rep"], row.ticket_id)
    assert detail.form == "Telefone" and detail.subclassification == ""


# -- catalogue -------------------------------------------------------------

def test_catalogue_add_rename_route_deactivate_and_conflict(cu):
    admin, sup = cu["admin"], cu["supervisor"]
    item = catalogue.rename(sup, "classification", cu["billing"].id, "Cobrança", expected_version=1)
    assert item.name == "Cobrança" and item.version == 2
    with pytest.raises(Conflict) as err:
        catalogue.rename(admin, "classification", cu["billing"].id, "Outra", expected_version=1)
    assert "t_supervisor" in err.value.message
    item = catalogue.route(admin, item.id, cu["sup"], expected_version=2)
    assert item.queue == "Suporte"
    off = catalogue.set_active(admin, "subclassification", cu["lento"].id, False, expected_version=1)
    assert not off.active
    assert [s.name for s in catalogue.subclassifications(cu["rep"])] == ["Segunda via de boleto"]
    assert len(catalogue.subclassifications(admin, include_inactive=True)) == 2
    with pytest.raises(ValidationError) as err:
        catalogue.add_form(admin, "telefone")
    assert "name" in err.value.errors
    with pytest.raises(ValidationError) as err:
        catalogue.add_classification(admin, "", None)
    assert set(err.value.errors) == {"name"}
    with pytest.raises(ValidationError) as err:
        catalogue.add_classification(admin, "Nova", None)
    assert set(err.value.errors) == {"queue"}


@pytest.mark.parametrize("role", ["agent", "coordinator", "rep"])
def test_only_leads_maintain_the_catalogue(cu, role):
    with pytest.raises(PermissionDenied):
        catalogue.add_form(cu[role], "WhatsApp")
    with pytest.raises(PermissionDenied):
        catalogue.set_active(cu[role], "form", cu["phone"].id, False, expected_version=1)
    with pytest.raises(PermissionDenied):
        catalogue.rename(cu[role], "form", cu["phone"].id, "x", expected_version=1)


# -- opening a contact -----------------------------------------------------

def test_new_contact_becomes_a_ticket_in_the_classification_queue(cu, tmp_path):
    f = tmp_path / "boleto.pdf"
    f.write_bytes(b"%PDF-1.4 test")
    row = company_contacts.open_contact(cu["rep"], new(cu, attachment=str(f)))
    assert row.status == "open" and row.classification == "Financeiro" and row.detail == "Segunda via de boleto"
    t = Ticket.get_by_id(row.ticket_id)
    assert t.protocol == row.protocol and t.customer_id == cu["acme"] and t.queue_id == cu["fin"]
    assert "Preciso da segunda via" in t.problem and "+55 11 91234-5678" in t.problem
    att = TicketAttachment.get(TicketAttachment.ticket == t.id)
    assert att.name == "boleto.pdf" and att.size == f.stat().st_size
    # the agents see it in the classification's queue
    page = queues.page(cu["agent"], f"queue:{cu['fin']}")
    assert [r.protocol for r in page.rows] == [row.protocol]
    assert company_contacts.detail(cu["rep"], row.ticket_id).attachments == ("boleto.pdf",)


def test_new_contact_takes_regular_files_only_and_a_failed_copy_saves_nothing(cu, tmp_path, monkeypatch):
    import os

    from services.core import files
    from tests.unit.core.test_files import bad_paths, in_time

    for path, word in bad_paths(tmp_path, company_contacts.MAX_ATTACHMENT).items():
        with pytest.raises(ValidationError) as err:
            in_time(lambda path=path: company_contacts.open_contact(cu["rep"], new(cu, attachment=path)))
        assert set(err.value.errors) == {"attachment"} and word in err.value.errors["attachment"], path
    f = tmp_path / "boleto.pdf"
    f.write_bytes(b"%PDF-1.4 test")
    real = files._create_temp

    def full_disk(folder):
        tmp, fd = real(folder)
        os.close(fd)
        return tmp, os.open("/dev/full", os.O_WRONLY)

    monkeypatch.setattr(files, "_create_temp", full_disk)
    before = Ticket.select().where(Ticket.status != "draft").count()
    with pytest.raises(ValidationError) as err:
        company_contacts.open_contact(cu["rep"], new(cu, attachment=str(f)))
    assert err.value.errors == {"attachment": f"The disk is full: {f} was not copied"}
    assert Ticket.select().where(Ticket.status != "draft").count() == before
    assert not TicketAttachment.select().exists()
    tickets_folder = database.files_root() / "tickets"
    assert not tickets_folder.exists() or not [p for p in tickets_folder.rglob("*") if p.is_file()]


def test_new_contact_bad_input_names_each_field(cu, tmp_path):
    with pytest.raises(ValidationError) as err:
        company_contacts.open_contact(cu["rep"], company_contacts.NewContact(
            phone="12", email="nope", message="  \x1b[31m ", attachment=str(tmp_path / "none.pdf")))
    assert set(err.value.errors) == {"classification", "subclassification", "contact_name", "phone", "email",
                                     "message", "attachment"}
    # a sub-classification of another classification is refused
    with pytest.raises(ValidationError) as err:
        company_contacts.open_contact(cu["rep"], new(cu, subclassification_id=cu["lento"].id))
    assert set(err.value.errors) == {"subclassification"}
    with pytest.raises(ValidationError) as err:
        company_contacts.open_contact(cu["rep"], new(cu, message="x" * 1_000_000))
    assert "Too long" in err.value.errors["message"]
    assert not Ticket.select().where(Ticket.status != "draft").exists()


def test_markup_and_escape_sequences_are_kept_as_text(cu):
    row = company_contacts.open_contact(cu["rep"], new(cu, message="[bold]oi[/] \x1b[2Jlimpo"))
    thread = company_contacts.detail(cu["rep"], row.ticket_id).thread
    assert thread[0].body == "[bold]oi[/] limpo"


def test_staff_cannot_open_contacts(cu):
    for role in ("agent", "admin"):
        with pytest.raises(PermissionDenied):
            company_contacts.open_contact(cu[role], new(cu))
        with pytest.raises(PermissionDenied):
            company_contacts.contacts(cu[role])


# -- the thread ------------------------------------------------------------

def test_agent_reply_appears_internal_note_never_does(cu):
    row = company_contacts.open_contact(cu["rep"], new(cu))
    agent = cu["agent"]
    ticket_thread.add_message(agent, row.ticket_id, "Segue a segunda via.", internal=False)
    ticket_thread.add_message(agent, row.ticket_id, "SEGREDO: cliente devedor", internal=True)
    company_contacts.add_message(cu["rep"], row.ticket_id, "Obrigada!")
    thread = company_contacts.detail(cu["rep"], row.ticket_id).thread
    assert [(m.body, m.from_company) for m in thread] == [
        ("Preciso da segunda via do boleto.", True), ("Segue a segunda via.", False), ("Obrigada!", True)]
    assert all("SEGREDO" not in m.body for m in thread)
    # the agents see the representative's message as a public one
    msgs = ticket_thread.messages(agent, row.ticket_id)
    assert [m.kind for m in msgs] == ["public", "internal", "public"] and msgs[-1].author == "Rita Rep"


def test_views_all_open_finished(cu):
    a = company_contacts.open_contact(cu["rep"], new(cu))
    b = company_contacts.open_contact(cu["rep"], new(cu, message="outro"))
    state = ticket_thread.state(cu["agent"], b.ticket_id)
    ticket_thread.change_status(cu["agent"], b.ticket_id, "finished", expected_version=state.version)
    assert {r.protocol for r in company_contacts.contacts(cu["rep"], "all")} == {a.protocol, b.protocol}
    assert [r.protocol for r in company_contacts.contacts(cu["rep"], "open")] == [a.protocol]
    assert [r.protocol for r in company_contacts.contacts(cu["rep"], "finished")] == [b.protocol]
    with pytest.raises(ValidationError):
        company_contacts.contacts(cu["rep"], "mine")


def test_reply_to_a_contact_waiting_on_the_customer_puts_it_back_in_progress(cu):
    row = company_contacts.open_contact(cu["rep"], new(cu))
    state = ticket_thread.state(cu["agent"], row.ticket_id)
    ticket_thread.change_status(cu["agent"], row.ticket_id, "waiting_customer", expected_version=state.version)
    company_contacts.add_message(cu["rep"], row.ticket_id, "Aqui está o dado pedido")
    assert Ticket.get_by_id(row.ticket_id).status == "in_progress"


def test_a_contact_runs_its_queues_service_levels_and_the_companys_answer_resumes_them(cu):
    from services.tickets import setup

    setup.save(cu["admin"], "queue", cu["fin"], {"response_minutes": "60", "resolution_minutes": "600"})
    row = company_contacts.open_contact(cu["rep"], new(cu))  # Monday 09:00
    t = Ticket.get_by_id(row.ticket_id)
    assert t.first_response_at is None and t.response_due_at == NOW.replace(hour=10) == t.sla_due_at
    assert t.resolution_due_at == dt.datetime(2026, 3, 3, 9, 0)
    clock.set_clock(lambda: NOW.replace(hour=9, minute=30))
    ticket_thread.add_message(cu["agent"], row.ticket_id, "Qual o vencimento?", internal=False)
    state = ticket_thread.state(cu["agent"], row.ticket_id)
    ticket_thread.change_status(cu["agent"], row.ticket_id, "waiting_customer", expected_version=state.version)
    t = Ticket.get_by_id(row.ticket_id)
    assert t.first_response_at == NOW.replace(hour=9, minute=30) and not t.response_breached
    assert (t.sla_due_at, t.resolution_left) == (None, 570)
    clock.set_clock(lambda: NOW.replace(hour=14))
    company_contacts.add_message(cu["rep"], row.ticket_id, "Dia 10")
    assert Ticket.get_by_id(row.ticket_id).sla_due_at == dt.datetime(2026, 3, 3, 13, 30)


@pytest.mark.parametrize("closed", ["resolved", "finished"])
def test_a_message_on_a_finished_contact_reopens_it_for_the_agents(cu, closed):
    row = company_contacts.open_contact(cu["rep"], new(cu))
    state = ticket_thread.state(cu["agent"], row.ticket_id)
    ticket_thread.change_status(cu["agent"], row.ticket_id, closed, expected_version=state.version)
    assert [r.protocol for r in company_contacts.contacts(cu["rep"], "finished")] == [row.protocol]
    company_contacts.add_message(cu["rep"], row.ticket_id, "Ainda não recebi o boleto")
    t = Ticket.get_by_id(row.ticket_id)
    assert (t.status, t.closed_at) == ("open", None)
    assert [r.protocol for r in company_contacts.contacts(cu["rep"], "open")] == [row.protocol]
    thread = ticket_thread.messages(cu["agent"], row.ticket_id)
    assert [m.kind for m in thread][-2:] == ["public", "internal"] and "wrote again" in thread[-1].body


def test_agents_see_what_the_company_chose_on_the_record_and_in_the_queue(cu):
    from services.tickets import queues, records

    row = company_contacts.open_contact(cu["rep"], new(cu))
    view = records.show(cu["agent"], row.protocol)
    assert view.contact_us == (("Classification", "Financeiro"), ("Sub-classification", "Segunda via de boleto"))
    listed = next(r for r in queues.page(cu["agent"], "all").rows if r.protocol == row.protocol)
    assert listed.type == "Financeiro / Segunda via de boleto"
    settings.set_value(cu["admin"], "contactus.mode", "crm")
    crm = company_contacts.open_contact(cu["rep"], new(cu, subclassification_id=None, form_id=cu["phone"].id))
    assert records.show(cu["agent"], crm.protocol).contact_us[-1] == ("Form of contact", "Telefone")


def test_reply_bad_input(cu):
    row = company_contacts.open_contact(cu["rep"], new(cu))
    for body in ("", "   ", "\x1b[0m", "x" * 1_000_000):
        with pytest.raises(ValidationError) as err:
            company_contacts.add_message(cu["rep"], row.ticket_id, body)
        assert "body" in err.value.errors
    assert TicketMessage.select().count() == 0


# -- isolation: one operation at a time -------------------------------------

@pytest.fixture
def foreign(cu):
    """A contact of the other company, and a ticket an agent opened for Acme by phone."""
    row = company_contacts.open_contact(cu["rep2"], new(cu, message="assunto sigiloso da Outra"))
    ticket_thread.add_message(cu["agent"], row.ticket_id, "resposta para a Outra", internal=False)
    with write_tx():
        phone_ticket = Ticket.create(protocol="PHONE1", status="open", customer=cu["acme"], created_by=1,
                                     created_at=NOW, updated_at=NOW, problem="aberto por telefone")
    return row, phone_ticket


def test_representative_lists_only_their_company(cu, foreign):
    mine = company_contacts.open_contact(cu["rep"], new(cu))
    assert [r.protocol for r in company_contacts.contacts(cu["rep"])] == [mine.protocol]
    assert [r.protocol for r in company_contacts.contacts(cu["rep2"])] == [foreign[0].protocol]


def test_representative_cannot_open_another_companys_protocol(cu, foreign):
    row, phone_ticket = foreign
    for ref in (row.protocol, phone_ticket.protocol, "NOPE"):
        with pytest.raises(NotFound) as err:
            company_contacts.find(cu["rep"], ref)
        # the same answer whether the protocol exists elsewhere or not: nothing leaks
        assert err.value.message == f"No contact {ref} among your company's contacts"
        assert "Outra" not in err.value.message


def test_representative_cannot_read_another_companys_contact(cu, foreign):
    row, phone_ticket = foreign
    for ticket_id in (row.ticket_id, phone_ticket.id):
        with pytest.raises(NotFound) as err:
            company_contacts.detail(cu["rep"], ticket_id)
        assert "sigiloso" not in err.value.message


def test_representative_cannot_write_to_another_companys_contact(cu, foreign):
    row, _phone = foreign
    before = TicketMessage.select().count()
    with pytest.raises(NotFound):
        company_contacts.add_message(cu["rep"], row.ticket_id, "intrusão")
    assert TicketMessage.select().count() == before


def test_staff_ticket_services_refuse_representatives(cu, foreign):
    row, _phone = foreign
    rep = cu["rep"]
    calls = [
        lambda: ticket_thread.state(rep, row.ticket_id),
        lambda: ticket_thread.messages(rep, row.ticket_id),
        lambda: ticket_thread.add_message(rep, row.ticket_id, "x", internal=False),
        lambda: ticket_thread.change_status(rep, row.ticket_id, "finished", expected_version=1),
        lambda: ticket_thread.reassign(rep, row.ticket_id, "t_agent", expected_version=1),
        lambda: ticket_thread.history(rep, row.ticket_id),
        lambda: ticket_thread.bulk(rep, [row.ticket_id], "note", "x"),
        lambda: queues.page(rep, "all"),
        lambda: queues.search(rep, "sigiloso"),
        lambda: queues.count(rep, "all"),
        lambda: queues.views(rep),
        lambda: queues.export(rep, io.StringIO(), "csv"),
        lambda: records.show(rep, row.protocol),
        lambda: records.list_tickets(rep),
        lambda: users.list_users(rep),
        lambda: catalogue.queues(rep),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()


def test_a_person_without_a_company_is_no_representative(cu):
    from services.core.permissions import Actor

    loose = Actor("x", "X", "representative", id=None, company_id=None)
    with pytest.raises(PermissionDenied):
        company_contacts.contacts(loose)


# -- representatives' company ----------------------------------------------

def test_resolve_company_by_id_or_document(cu):
    assert users.resolve_company(str(cu["acme"])) == cu["acme"]
    assert users.resolve_company("11.222.333/0001-81") == cu["acme"]
    with pytest.raises(ValidationError) as err:
        users.resolve_company("99.999.999/0001-99")
    assert "company" in err.value.errors
    with pytest.raises(ValidationError):
        users.resolve_company("")


# -- demo --------------------------------------------------------------------

def test_demo_fills_catalogue_representative_and_contacts(admin):
    import random

    from services.demo import contactus as contactus_demo

    clock.set_clock(lambda: NOW)
    with write_tx():
        for name in ("Financeiro", "Suporte Técnico", "Comercial", "Ouvidoria", "Fale Conosco"):
            Queue.create(name=name)
        Customer.create(kind="customer", name="Empresa Demo", name_norm="empresa demo", doc="11222333000181",
                        doc_kind="cnpj")
    users.add(admin, "ana", "agent", name="Ana")
    contactus_demo.fill(admin, random.Random(3))
    contactus_demo.fill(admin, random.Random(3))  # again: nothing doubles
    rep = users.identify("rep")
    rows = company_contacts.contacts(rep)
    assert len(rows) == len(contactus_demo.CONTACTS)
    assert len(company_contacts.contacts(rep, "finished")) == 1
    assert any(len(company_contacts.detail(rep, r.ticket_id).thread) > 1 for r in rows)
    assert {c.name for c in catalogue.classifications(admin)} == set(contactus_demo.CATALOGUE)
    assert {f.name for f in catalogue.forms(admin)} == set(contactus_demo.FORMS)


def test_representatives_hold_no_staff_permission():
    from services.core.permissions import MATRIX, REPRESENTATIVE

    assert [a for a, (roles, _d) in MATRIX.items() if REPRESENTATIVE in roles] == ["contactus.use"]


def test_who_wrote_what_survives_role_changes(cu):
    row = company_contacts.open_contact(cu["rep"], new(cu))
    company_contacts.add_message(cu["rep"], row.ticket_id, "da empresa")
    ticket_thread.add_message(cu["agent"], row.ticket_id, "da equipe", internal=False)
    users.set_role(cu["admin"], "t_agent", "representative", company_id=cu["acme"])
    users.set_role(cu["admin"], "rep", "agent")
    thread = company_contacts.detail(users.identify("t_agent"), row.ticket_id).thread
    assert [(m.body, m.from_company) for m in thread][1:] == [("da empresa", True), ("da equipe", False)]
