import json

import pytest

from models import AuditLog, User
from services import audit, permissions, users
from services.errors import NotFound, PermissionDenied, UnknownUser, ValidationError
from services.permissions import Actor


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
    from tests import readme_tool

    assert readme_tool.current() == readme_tool.block(), "run: python tests/readme_tool.py"
