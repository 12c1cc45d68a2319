import json

import pytest

from models import AuditLog, User
from services.core import permissions
from services.core.errors import NotFound, PermissionDenied, UnknownUser, ValidationError
from services.core.permissions import Actor
from services.store import audit, users


def test_creator_becomes_admin_and_is_audited(store):
    actor = users.identify("maria")
    assert actor.role == "admin"
    row = AuditLog.get(AuditLog.entity == "user")
    assert row.login == "maria" and json.loads(row.changes)["role"] == "admin"


def test_unknown_login_is_refused_with_how_to_be_added(admin):
    with pytest.raises(UnknownUser) as err:
        users.identify("intruso", "/srv/atende.db")
    assert "atende users add intruso --role agent" in err.value.message
    assert "/srv/atende.db" in err.value.message
    assert not User.select().where(User.login == "intruso").exists()


def test_add_list_set_role_remove(admin):
    users.add(admin, "ana", "agent", name="Ana Luíza [bold]")
    assert [(u.login, u.role) for u in users.list_users(admin) if u.login == "ana"] == [("ana", "agent")]
    users.set_role(admin, "ana", "supervisor")
    assert users.identify("ana").role == "supervisor"
    users.remove(admin, "ana")
    with pytest.raises(UnknownUser, match="removed"):
        users.identify("ana")
    # re-adding reactivates
    users.add(admin, "ana", "agent")
    assert users.identify("ana").role == "agent"
    actions = [e.action for e in audit.history(admin, entity="user")]
    assert actions.count("create") >= 3 and "set_role" in actions and "remove" in actions


def test_removed_person_while_logged_in(admin):
    users.add(admin, "bruno", "agent")
    bruno = users.identify("bruno")
    users.remove(admin, "bruno")
    with pytest.raises(UnknownUser):
        users.refresh(bruno)


@pytest.mark.parametrize("login,role,field", [
    ("", "agent", "login"), ("1abc", "agent", "login"), ("a b", "agent", "login"),
    ("x" * 80, "agent", "login"), ("ok", "boss", "role"), ("rep", "representative", "company"),
])
def test_bad_input(admin, login, role, field):
    with pytest.raises(ValidationError) as err:
        users.add(admin, login, role)
    assert field in err.value.errors


def test_last_admin_cannot_be_demoted_or_removed(admin):
    with pytest.raises(ValidationError, match="last admin"):
        users.set_role(admin, admin.login, "agent")
    with pytest.raises(ValidationError, match="last admin"):
        users.remove(admin, admin.login)


def test_only_admins_manage_people(people):
    for role in ("agent", "coordinator", "supervisor"):
        with pytest.raises(PermissionDenied):
            users.add(people[role], "zed", "agent")
    assert [u.login for u in users.list_users(people["supervisor"])]
    with pytest.raises(PermissionDenied):
        users.list_users(people["agent"])


def test_set_role_unknown_user(admin):
    with pytest.raises(NotFound):
        users.set_role(admin, "ghost", "agent")


def test_permission_matrix_is_complete_and_documented():
    rep = Actor("r", "R", "representative", company_id=1)
    assert not permissions.can(rep, "customers.read")
    md = permissions.matrix_markdown()
    for action in permissions.MATRIX:
        assert f"`{action}`" in md
    with pytest.raises(ValueError):
        permissions.can(rep, "no.such.action")


def test_readme_permission_matrix_matches_the_code():
    from tests.tools import readme_tool

    assert readme_tool.current() == readme_tool.block(), "run: python tests/tools/readme_tool.py"


@pytest.mark.parametrize("login", ["\x1b[31mbob", "bob\x1b]0;owned\x07", "bo\x00b", "bob\n", "bo\x7fb"])
def test_a_login_with_control_characters_is_refused_not_trimmed(admin, login):
    with pytest.raises(ValidationError, match="control characters") as err:
        users.add(admin, login, "agent")
    assert "login" in err.value.errors
    assert not User.select().where(User.login.contains("bob")).exists()
    users.add(admin, "bob", "agent")
    for change in (lambda: users.set_role(admin, login, "supervisor"), lambda: users.remove(admin, login)):
        with pytest.raises(ValidationError, match="control characters"):
            change()
    assert users.identify("bob").role == "agent"


def test_the_company_is_looked_up_only_for_who_may_add_people(people):
    """No existence check of companies for people who may not add people:
    refused the same whether the company exists or not."""
    from models import Customer, write_tx

    with write_tx():
        acme = Customer.create(kind="customer", name="Acme", name_norm="acme", doc="11222333000181", doc_kind="cnpj")
    for role in ("agent", "coordinator", "supervisor"):
        for ref in (str(acme.id), "11.222.333/0001-81", "999", "99999999999999999999"):
            with pytest.raises(PermissionDenied):
                users.add(people[role], "rep", "representative", company=ref)
            with pytest.raises(PermissionDenied):
                users.company_for(people[role], ref)
    with pytest.raises(ValidationError, match="No company"):
        users.add(people["admin"], "rep", "representative", company="999")
    info = users.add(people["admin"], "rep", "representative", company="11.222.333/0001-81")
    assert info.company_id == acme.id
    with write_tx():
        alfa = Customer.create(kind="customer", name="Alfa", name_norm="alfa", doc="12ABC34501DE35", doc_kind="cnpj")
    assert users.company_for(people["admin"], "12.abc.345/01de-35") == alfa.id


def test_background_commands_are_for_staff_or_a_service_account(people):
    """The worker and the reminders: staff, or an account that is no person
    of the database (the worker's system user); never a representative or a
    removed person, and nobody becomes admin by it."""
    from models import Customer, write_tx

    assert users.identify_background("t_agent").role == "agent"
    assert users.identify_background("atende") is None  # the service's system user
    assert not User.select().where(User.login == "atende").exists()
    with write_tx():
        acme = Customer.create(kind="customer", name="Acme", name_norm="acme")
    users.add(people["admin"], "rep", "representative", company_id=acme.id)
    with pytest.raises(PermissionDenied):
        users.identify_background("rep")
    users.remove(people["admin"], "t_agent")
    with pytest.raises(UnknownUser, match="removed"):
        users.identify_background("t_agent")
