"""Canned replies: kept by leads, per destination or global, found by any
word, filled with the ticket's names, never read as a format string."""
import pytest

from models import AuditLog, Contact, Customer, Queue, Ticket, write_tx
from services.core.errors import PermissionDenied, ValidationError
from services.tickets import canned


@pytest.fixture
def desk(people):
    import datetime as dt

    from models import User

    now = dt.datetime(2026, 12, 5, 10, 0)
    with write_tx():
        suporte = Queue.create(name="Suporte")
        financeiro = Queue.create(name="Financeiro")
        maria = Customer.create(kind="customer", name="Maria Souza", name_norm="maria souza")
        joao = Contact.create(customer=maria, name="João Lima")
        t = Ticket.create(protocol="20261205000001", status="open", queue=suporte, customer=maria, contact=joao,
                          problem="x", created_by=User.get(User.login == "t_agent"), created_at=now, updated_at=now)
    return {"suporte": suporte.id, "financeiro": financeiro.id, "ticket": t.id}


def test_a_lead_keeps_replies_and_an_agent_finds_those_of_the_tickets_destination(people, desk):
    lead, agent = people["supervisor"], people["agent"]
    hello = canned.save(lead, None, title="Saudação", body="Olá {contact}, aqui é {agent}.")
    canned.save(lead, None, title="Boleto em atraso", body="Segunda via para {customer}.",
                queue_id=desk["financeiro"])
    reboot = canned.save(lead, None, title="Reiniciar o modem", body="Protocolo {protocol}: reinicie o modem.",
                         queue_id=desk["suporte"])
    assert [c.title for c in canned.choices(agent, ticket_id=desk["ticket"])] == ["Reiniciar o modem", "Saudação"]
    assert [c.title for c in canned.choices(agent, "MODEM reinicie")] == ["Reiniciar o modem"]
    assert [c.title for c in canned.choices(agent, "saudacao")] == ["Saudação"]  # accents and case folded
    assert len(canned.choices(agent)) == 3  # the wizard before a destination is chosen: all
    assert canned.fill(agent, reboot.id, ticket_id=desk["ticket"]) == "Protocolo 20261205000001: reinicie o modem."
    assert canned.fill(agent, hello.id, ticket_id=desk["ticket"]) == "Olá João Lima, aqui é Test Agent."
    assert canned.fill(agent, hello.id, values={"contact": ""}) == "Olá {contact}, aqui é Test Agent."
    assert AuditLog.select().where(AuditLog.entity == "canned_reply").count() == 3


def test_text_is_never_a_format_string_nor_markup(people, desk):
    lead = people["supervisor"]
    odd = canned.save(lead, None, title="[bold]x[/", body="{0.__class__} {customer!r} {{customer}} [red]{customer}")
    assert canned.fill(people["agent"], odd.id, values={"customer": "Ana {agent}"}) == (
        "{0.__class__} {customer!r} {Ana {agent}} [red]Ana {agent}")


def test_errors_are_at_their_fields_and_agents_may_not_keep_replies(people, desk):
    lead = people["supervisor"]
    with pytest.raises(ValidationError) as err:
        canned.save(lead, None, title="", body="Olá {custmer}")
    assert set(err.value.errors) == {"title", "body"}
    assert "{custmer}" in err.value.errors["body"]
    with pytest.raises(ValidationError) as err:
        canned.save(lead, None, title="x" * 121, body="a" * 20_001)
    assert set(err.value.errors) == {"title", "body"}
    canned.save(lead, None, title="Saudação", body="Olá")
    with pytest.raises(ValidationError, match="already called Saudação") as err:
        canned.save(lead, None, title="  SAUDACAO ", body="Oi")
    with pytest.raises(ValidationError) as err:
        canned.save(lead, None, title="Outra", body="Oi", queue_id=9999)
    assert set(err.value.errors) == {"queue"}
    with pytest.raises(PermissionDenied):
        canned.save(people["agent"], None, title="Minha", body="Oi")
    with pytest.raises(PermissionDenied):
        canned.replies(people["agent"])


def test_a_reply_taken_out_of_use_is_no_longer_offered_and_its_title_is_free(people, desk):
    lead, agent = people["supervisor"], people["agent"]
    old = canned.save(lead, None, title="Saudação", body="Olá")
    canned.set_active(lead, old.id, False)
    assert canned.choices(agent) == []
    new = canned.save(lead, None, title="Saudação", body="Oi")
    with pytest.raises(ValidationError, match="already called"):
        canned.set_active(lead, old.id, True)
    assert [(c.id, c.active) for c in canned.replies(lead)] == [(new.id, True), (old.id, False)]
