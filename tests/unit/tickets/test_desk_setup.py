"""Desk setup: destinations, ticket types, technicians and service-order types."""
import pytest

from models import AuditLog, Queue, TicketType
from models.wizard import OsType, Technician
from services.core.errors import PermissionDenied, ValidationError
from services.store import users
from services.tickets import setup
from services.tickets.wizard import options


def test_a_lead_builds_the_desk_the_wizard_then_offers(admin):
    q = setup.save(admin, "queue", None, {"name": "Suporte Técnico"})
    users.add(admin, "ana", "agent", name="Ana Souza")
    t = setup.save(admin, "type", None, {"name": "Sem conexão", "queue": "suporte técnico",
                                         "responsible": "user:ana", "allows_link": "yes"})
    assert (t.value("queue"), t.value("responsible"), t.value("allows_link")) == ("Suporte Técnico", "user:ana", "yes")
    tech = setup.save(admin, "technician", None, {"name": "Tião", "phone": "(11) 98888-7777", "user": ""})
    assert tech.value("phone") == "+55 11 98888-7777"
    os_type = setup.save(admin, "os_type", None, {"name": "Reparo", "minutes": "90"})
    row = TicketType.get_by_id(t.id)
    assert (row.queue_id, row.responsible_user_id, row.allows_link) == (q.id, users.identify("ana").id, True)
    assert OsType.get_by_id(os_type.id).default_minutes == 90
    offered = options.first_contact_options(admin)
    assert [c.name for c in offered.queues] == ["Suporte Técnico"] and [c.name for c in offered.types] == [
        "Sem conexão"]
    assert [c.name for c in options.technicians(admin)] == ["Tião"]
    # a change keeps what it does not name; a role replaces the person
    t = setup.save(admin, "type", t.id, {"responsible": "role:supervisor"})
    assert (t.name, t.value("queue"), t.value("responsible")) == ("Sem conexão", "Suporte Técnico", "role:supervisor")
    # out of use: gone from the wizard's choices, kept on record
    setup.set_active(admin, "technician", tech.id, False)
    assert options.technicians(admin) == [] and Technician.get_by_id(tech.id).name == "Tião"
    assert AuditLog.select().where(AuditLog.entity.in_(["queue", "type", "technician", "os_type"])).count() == 6


def test_bad_input_is_refused_at_its_field_and_nothing_is_written(admin):
    setup.save(admin, "queue", None, {"name": "Financeiro"})
    with pytest.raises(ValidationError) as err:
        setup.save(admin, "queue", None, {"name": "FINANCEIRO"})
    assert "already a destination named Financeiro" in err.value.errors["name"]
    with pytest.raises(ValidationError) as err:
        setup.save(admin, "type", None, {"name": "", "queue": "Nenhuma", "responsible": "chefe"})
    assert set(err.value.errors) == {"name", "queue", "responsible"}
    with pytest.raises(ValidationError) as err:
        setup.save(admin, "os_type", None, {"name": "Instalação", "minutes": "0"})
    assert set(err.value.errors) == {"minutes"}
    with pytest.raises(ValidationError) as err:
        setup.save(admin, "technician", None, {"name": "X", "phone": "12", "user": "ninguem"})
    assert set(err.value.errors) == {"phone", "user"}
    with pytest.raises(ValidationError):
        setup.save(admin, "queue", None, {"name": "Y", "minutes": "3"})
    with pytest.raises(ValidationError):
        setup.items(admin, "tables")
    assert Queue.select().count() == 1 and not TicketType.select().exists() and not OsType.select().exists()


def test_only_leads_set_the_desk_up(admin):
    users.add(admin, "ana", "agent", name="Ana")
    with pytest.raises(PermissionDenied):
        setup.save(users.identify("ana"), "queue", None, {"name": "Z"})
    with pytest.raises(PermissionDenied):
        setup.items(users.identify("ana"), "queue")
    users.add(admin, "gabi", "supervisor", name="Gabi")
    assert setup.save(users.identify("gabi"), "queue", None, {"name": "Z"}).name == "Z"
