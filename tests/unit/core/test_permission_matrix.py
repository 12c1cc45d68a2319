"""The permission matrix, role by role and action by action: `can()` equals
MATRIX for every pair, the README's table equals MATRIX, and a representative
service entry point per action refuses exactly the roles MATRIX leaves out."""
from __future__ import annotations

import pytest

from services.core import permissions
from services.core.errors import AtendeError, PermissionDenied
from services.core.permissions import MATRIX, ROLES, Actor
from services.events import queries
from services.mail import outbox
from services.store import audit, settings, users
from services.supervisor import dashboard
from services.tickets import queues, thread
from tests.tools import readme_tool


def actor_for(role: str) -> Actor:
    return Actor(login=f"m_{role}", name=f"M {role}", role=role, id=None, company_id=1 if role == "representative"
                 else None)


@pytest.mark.parametrize("action", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_can_matches_the_matrix(action, role):
    assert permissions.can(actor_for(role), action) == (role in MATRIX[action][0])
    if role in MATRIX[action][0]:
        permissions.require(actor_for(role), action)
    else:
        with pytest.raises(PermissionDenied):
            permissions.require(actor_for(role), action)


def test_readme_matrix_is_in_sync():
    assert readme_tool.current() == readme_tool.block(), "run: python tests/tools/readme_tool.py"


ENTRY_POINTS = {
    "users.manage": lambda a: users.add(a, "someone_new", "agent"),
    "users.list": lambda a: users.list_users(a),
    "audit.read": lambda a: audit.page(a),
    "area.supervisor": lambda a: dashboard.read(a),
    "tickets.read": lambda a: queues.page(a, "all"),
    "tickets.reassign_many": lambda a: thread.bulk(a, [1, 2], "reassign", "nobody"),
    "mail.read": lambda a: outbox.list_mail(a),
    "events.read": lambda a: queries.list_events(a),
    "settings.edit": lambda a: settings.set_value(a, "certificates.window_days", "15"),
    "settings.read": lambda a: settings.describe(a),
}


@pytest.mark.parametrize("action", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("role", ROLES)
def test_service_entry_points_obey_the_matrix(store, action, role):
    actor = actor_for(role)
    if role not in MATRIX[action][0]:
        with pytest.raises(PermissionDenied):
            ENTRY_POINTS[action](actor)
        return
    try:
        ENTRY_POINTS[action](actor)
    except PermissionDenied:  # pragma: no cover - the assertion below explains
        pytest.fail(f"{role} may {action} but the service refused")
    except AtendeError:
        pass  # allowed, and refused for another reason (e.g. no such person): not a permission matter
