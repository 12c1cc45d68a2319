"""A ticket's thread, status workflow, reassignment and concurrent saves."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from models import AuditLog, Ticket, User, write_tx
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.permissions import Actor
from services.tickets import queues
from services.tickets import thread as tt


@pytest.fixture
def ticket(people):
    creator = User.get(User.login == people["agent"].login)
    now = dt.datetime.now()
    with write_tx():
        t = Ticket.create(protocol="P1", status="open", created_by=creator, created_at=now, updated_at=now,
                          responsible=creator, problem="Sem internet")
    return t.id


def audit_actions(ticket_id):
    return [(a.action, json.loads(a.changes)) for a in
            AuditLog.select().where((AuditLog.entity == "ticket") & (AuditLog.entity_id == str(ticket_id)))
            .order_by(AuditLog.id)]


def test_public_replies_and_internal_notes(people, ticket):
    agent = people["agent"]
    reply = tt.add_message(agent, ticket, "Olá, reinicie o modem por favor.", internal=False)
    note = tt.add_message(agent, ticket, "Cliente já ligou 3 vezes", internal=True)
    thread = tt.messages(agent, ticket)
    assert [(m.kind, m.internal) for m in thread] == [("public", False), ("internal", True)]
    assert thread[0].kind_label == "Public reply" and thread[1].kind_label == "Internal note"
    assert thread[0].author == "Test Agent" and reply.id == thread[0].id and note.internal
    assert [a for a, _c in audit_actions(ticket)] == ["message", "message"]
    # messages are found by the desk's search and move 'last update', not the version
    assert [r.protocol for r in queues.search(agent, "reinicie").rows] == ["P1"]
    assert tt.state(agent, ticket).version == 1
    assert tt.state(agent, ticket).updated_by == agent.login


@pytest.mark.parametrize("body", ["", "   \n\t ", "\x1b[31m\x00"])
def test_empty_messages_are_refused(people, ticket, body):
    with pytest.raises(ValidationError) as err:
        tt.add_message(people["agent"], ticket, body, internal=False)
    assert "body" in err.value.errors
    assert tt.messages(people["agent"], ticket) == []


def test_a_1_mb_message_is_refused_clearly(people, ticket):
    with pytest.raises(ValidationError) as err:
        tt.add_message(people["agent"], ticket, "x" * 1_000_000, internal=True)
    assert "Too long" in err.value.errors["body"]
    with pytest.raises(ValidationError):
        tt.add_message(people["agent"], ticket, "y" * (tt.MAX_MESSAGE + 1), internal=True)
    assert tt.messages(people["agent"], ticket) == []


def test_markup_is_kept_as_text_and_escapes_are_removed(people, ticket):
    m = tt.add_message(people["agent"], ticket, "[bold]x[/] \x1b[2J\x1b]0;title\x07ok\nline 2", internal=False)
    assert m.body == "[bold]x[/] ok\nline 2"


def test_status_workflow(people, ticket):
    agent = people["agent"]
    s = tt.change_status(agent, ticket, "in_progress", expected_version=1)
    assert (s.status, s.version) == ("in_progress", 2)
    s = tt.change_status(agent, ticket, "waiting_customer", expected_version=2)
    s = tt.change_status(agent, ticket, "resolved", expected_version=s.version)
    assert s.closed_at is not None
    s = tt.change_status(agent, ticket, "finished", expected_version=s.version)
    with pytest.raises(ValidationError) as err:
        tt.change_status(agent, ticket, "in_progress", expected_version=s.version)
    assert "cannot become" in err.value.errors["status"]
    with pytest.raises(ValidationError) as err:
        tt.change_status(agent, ticket, "open", expected_version=s.version, reason="  ")
    assert "reason" in err.value.errors
    with pytest.raises(ValidationError):
        tt.change_status(agent, ticket, "finished", expected_version=s.version)
    with pytest.raises(ValidationError):
        tt.change_status(agent, ticket, "draft", expected_version=s.version)
    s = tt.change_status(agent, ticket, "open", expected_version=s.version, reason="Cliente voltou sem sinal")
    assert s.status == "open" and s.closed_at is None
    assert tt.messages(agent, ticket)[-1].body == "Reopened: Cliente voltou sem sinal"
    assert tt.messages(agent, ticket)[-1].internal
    actions = audit_actions(ticket)
    assert [a for a, _c in actions] == ["status", "status", "status", "status", "reopen"]
    assert actions[-1][1] == {"status": ["finished", "open"], "reason": "Cliente voltou sem sinal"}


def test_the_second_save_is_refused_naming_who_saved_first(people, ticket):
    agent, sup = people["agent"], people["supervisor"]
    seen_by_agent = tt.state(agent, ticket).version
    seen_by_sup = tt.state(sup, ticket).version
    tt.change_status(sup, ticket, "in_progress", expected_version=seen_by_sup)
    with pytest.raises(Conflict) as err:
        tt.change_status(agent, ticket, "resolved", expected_version=seen_by_agent)
    assert sup.login in str(err.value) and "P1" in str(err.value)
    with pytest.raises(Conflict):
        tt.reassign(agent, ticket, sup.login, expected_version=seen_by_agent)
    state = tt.state(agent, ticket)
    assert (state.status, state.responsible_login) == ("in_progress", agent.login)


def test_reassign(people, ticket):
    agent, sup = people["agent"], people["supervisor"]
    s = tt.reassign(agent, ticket, sup.login, expected_version=1)
    assert (s.responsible_login, s.version) == (sup.login, 2)
    with pytest.raises(ValidationError):
        tt.reassign(agent, ticket, sup.login, expected_version=2)
    with pytest.raises(ValidationError) as err:
        tt.reassign(agent, ticket, "nobody", expected_version=2)
    assert "nobody" in err.value.errors["responsible"]
    assert audit_actions(ticket)[-1] == ("reassign", {"responsible": [agent.login, sup.login]})


def test_permissions_and_missing_tickets(people, ticket):
    rep = Actor(login="rep", name="Rep", role="representative", id=None)
    with pytest.raises(PermissionDenied):
        tt.add_message(rep, ticket, "hi", internal=False)
    with pytest.raises(PermissionDenied):
        tt.messages(rep, ticket)
    with pytest.raises(NotFound):
        tt.add_message(people["agent"], 99999, "hi", internal=False)
    with write_tx():
        Ticket.update(status="draft").where(Ticket.id == ticket).execute()
    with pytest.raises(NotFound):
        tt.state(people["agent"], ticket)


def test_bulk_actions_report_each_ticket(people, ticket):
    agent, sup = people["agent"], people["supervisor"]
    creator = User.get(User.login == agent.login)
    now = dt.datetime.now()
    with write_tx():
        other = Ticket.create(protocol="P2", status="finished", created_by=creator, created_at=now,
                              updated_at=now)
    r = tt.bulk(agent, [ticket, other.id, ticket], "status", "in_progress")
    assert r.done == ("P1",) and r.failed[0][0] == "P2" and "cannot become" in r.failed[0][1]
    with pytest.raises(PermissionDenied):  # reassigning many at once is for supervisors and admins
        tt.bulk(agent, [ticket, other.id], "reassign", sup.login)
    r = tt.bulk(sup, [ticket, other.id], "reassign", sup.login)
    assert r.done == ("P1", "P2")
    r = tt.bulk(agent, [ticket, other.id, 424242], "note", "Verificado em massa")
    assert r.done == ("P1", "P2") and r.failed == (("424242", "No such ticket"),)
    assert tt.messages(agent, other.id)[-1].internal
    with pytest.raises(ValidationError):
        tt.bulk(agent, [ticket], "note", "  ")
    with pytest.raises(ValidationError):
        tt.bulk(agent, [ticket], "delete", "")
