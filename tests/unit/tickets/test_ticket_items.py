"""Attachments, service orders, tasks and parent links added to a finished ticket."""
from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from models import AuditLog, Plan, Ticket, User, write_tx
from models.wizard import ServiceOrder, TicketAttachment, TicketTask
from services.core import clock
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.permissions import Actor
from services.store import database
from services.tickets import items as ti
from services.tickets import queues, records
from services.tickets.wizard import actions, draft, orders
from tests.scenes import make_desk

NOW = dt.datetime(2026, 3, 2, 12, 0, 0)


@pytest.fixture
def desk_with_tickets(people):
    clock.set_clock(lambda: NOW)
    w = make_desk()
    agent = User.get(User.login == people["agent"].login)
    with write_tx():
        plans = [Plan.get(Plan.customer == c) for c in w["customers"]]
        made = []
        for i, (cust, plan) in enumerate(zip(w["customers"][:2], plans[:2])):
            made.append(Ticket.create(protocol=f"T{i}", status="open", customer=cust, plan=plan,
                                      type=w["outage"], queue=w["queue"], created_by=agent, created_at=NOW,
                                      updated_at=NOW, responsible=agent, problem="sem sinal"))
        made.append(Ticket.create(protocol="T9", status="open", customer=w["customers"][2], plan=plans[2],
                                  type=w["outage"], created_by=agent, created_at=NOW, updated_at=NOW))
    w["tickets"] = made
    return w


def audit_actions(ticket_id):
    return [(a.action, json.loads(a.changes)) for a in
            AuditLog.select().where((AuditLog.entity == "ticket") & (AuditLog.entity_id == str(ticket_id)))
            .order_by(AuditLog.id)]


def version(ticket_id):
    return Ticket.get_by_id(ticket_id).version


def test_attachment_is_copied_audited_and_versioned(people, desk_with_tickets, tmp_path):
    t = desk_with_tickets["tickets"][0]
    src = tmp_path / "foto [bold] roteador;rm -rf.jpg"
    src.write_bytes(b"x" * 1000)
    state = ti.add_attachment(people["agent"], t.id, str(src), "LED [red] vermelho", expected_version=1)
    assert state.version == 2
    row = TicketAttachment.get(TicketAttachment.ticket == t.id)
    assert "/" not in row.name and ";" not in row.name and row.size == 1000
    assert (database.files_root() / row.path).read_bytes() == b"x" * 1000
    assert row.notes == "LED [red] vermelho"
    assert audit_actions(t.id)[-1][0] == "attachment"
    # the same name again gets a free name, the first copy is kept
    ti.add_attachment(people["agent"], t.id, str(src), expected_version=2)
    names = [a.name for a in records.show(people["agent"], "T0").attachments]
    assert len(set(names)) == 2


@pytest.mark.parametrize("make, message", [
    (lambda p: "", "Type the path"),
    (lambda p: str(p / "missing.txt"), "No file at"),
    (lambda p: str(p), "is a folder"),
    (lambda p: str(p / ("x" * 400)), "File name too long"),
    (lambda p: "/dev/null", "not a regular file"),
    (lambda p: "bad\x00name", "No file at"),
])
def test_bad_attachment_paths_are_refused_clearly(people, desk_with_tickets, tmp_path, make, message):
    t = desk_with_tickets["tickets"][0]
    with pytest.raises(ValidationError) as err:
        ti.add_attachment(people["agent"], t.id, make(tmp_path), expected_version=1)
    assert message in err.value.errors["path"]
    assert version(t.id) == 1 and not TicketAttachment.select().exists()


def test_devices_pipes_and_long_names_are_refused_and_nothing_is_copied(people, desk_with_tickets, tmp_path):
    from tests.unit.core.test_files import bad_paths, in_time

    t = desk_with_tickets["tickets"][0]
    for path, word in bad_paths(tmp_path, actions.MAX_ATTACHMENT).items():
        with pytest.raises(ValidationError) as err:
            in_time(lambda path=path: ti.add_attachment(people["agent"], t.id, path, expected_version=1))
        assert word in err.value.errors["path"], path
    assert version(t.id) == 1 and not TicketAttachment.select().exists()
    folder = database.files_root() / "tickets" / "T0"
    assert not folder.exists() or os.listdir(folder) == []


def test_a_huge_attachment_is_refused(people, desk_with_tickets, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(actions.MAX_ATTACHMENT + 1)
    with pytest.raises(ValidationError) as err:
        ti.add_attachment(people["agent"], desk_with_tickets["tickets"][0].id, str(big), expected_version=1)
    assert "at most" in err.value.errors["path"]


def test_attachment_on_a_stale_version_is_refused_and_leaves_no_file(people, desk_with_tickets, tmp_path):
    t = desk_with_tickets["tickets"][0]
    src = tmp_path / "a.txt"
    src.write_text("a")
    ti.add_attachment(people["coordinator"], t.id, str(src), expected_version=1)
    with pytest.raises(Conflict) as err:
        ti.add_attachment(people["agent"], t.id, str(src), expected_version=1)
    assert people["coordinator"].login in err.value.message
    folder = database.files_root() / "tickets" / "T0"
    assert len(os.listdir(folder)) == 1


def test_service_orders_respect_the_agenda(people, desk_with_tickets):
    t0, t1 = desk_with_tickets["tickets"][:2]
    tech = desk_with_tickets["tech"].id
    order = orders.make_service_order(tech, "03/03/2026", "09:00", "60", desk_with_tickets["os_type"].id)
    ti.add_service_order(people["agent"], t0.id, order, expected_version=1)
    clash = orders.make_service_order(tech, "03/03/2026", "09:30", "30")
    with pytest.raises(ValidationError) as err:
        ti.add_service_order(people["agent"], t1.id, clash, expected_version=1)
    assert "T0" in err.value.message
    assert ServiceOrder.select().count() == 1
    assert audit_actions(t0.id)[-1][0] == "service_order"
    assert records.show(people["agent"], "T0").service_orders[0].start == "09:00"


def test_tasks_added_and_marked_done(people, desk_with_tickets):
    t = desk_with_tickets["tickets"][0]
    carla = User.get(User.login == people["coordinator"].login)
    task = actions.make_task(carla.id, "Ligar para o cliente", "05/03/2026")
    s = ti.add_task(people["agent"], t.id, task, expected_version=1)
    items = ti.tasks(people["agent"], t.id)
    assert [(k.assignee, k.done) for k in items] == [(carla.name, False)]
    s = ti.set_task_done(people["coordinator"], t.id, items[0].id, expected_version=s.version)
    assert TicketTask.get_by_id(items[0].id).done
    with pytest.raises(ValidationError):
        ti.set_task_done(people["agent"], t.id, items[0].id, expected_version=s.version)
    with pytest.raises(Conflict):
        ti.set_task_done(people["agent"], t.id, items[0].id, False, expected_version=1)
    s = ti.set_task_done(people["agent"], t.id, items[0].id, False, expected_version=s.version)
    assert not TicketTask.get_by_id(items[0].id).done
    with pytest.raises(NotFound):
        ti.set_task_done(people["agent"], desk_with_tickets["tickets"][1].id, items[0].id, expected_version=1)
    assert [a for a, _c in audit_actions(t.id)][-3:] == ["task", "task_done", "task_undone"]
    with pytest.raises(ValidationError) as err:
        actions.make_task(None, "", "01/01/2020")
    assert set(err.value.errors) == {"assignee", "description", "due"}


def test_link_parent_and_children(people, desk_with_tickets):
    t0, t1, t9 = desk_with_tickets["tickets"]
    s = ti.link_parent(people["agent"], t1.id, " T0 ", expected_version=1)
    assert Ticket.get_by_id(t1.id).parent_id == t0.id and s.version == 2
    assert records.show(people["agent"], "T0").children == ["T1"]
    assert audit_actions(t1.id)[-1] == ("link", {"parent": [None, "T0"]})
    for protocol, v, tid, message in (
        ("T1", 2, t1.id, "own parent"),
        ("T0", 2, t1.id, "already the parent"),
        ("T1", 1, t0.id, "linked tickets of its own"),
        ("NOPE", 1, t9.id, "No ticket"),
        ("T0", 1, t9.id, "network"),  # another network
        ("", 1, t9.id, "Type the protocol"),
    ):
        with pytest.raises(ValidationError) as err:
            ti.link_parent(people["agent"], tid, protocol, expected_version=v)
        assert message in err.value.errors["parent"] or message in err.value.message, (protocol, message)
    ti.unlink_parent(people["agent"], t1.id, expected_version=2)
    assert Ticket.get_by_id(t1.id).parent_id is None


def test_permissions_in_the_services(people, desk_with_tickets, tmp_path):
    rep = Actor(login="rep", name="Rep", role="representative")
    t = desk_with_tickets["tickets"][0]
    src = tmp_path / "a.txt"
    src.write_text("a")
    with pytest.raises(PermissionDenied):
        ti.add_attachment(rep, t.id, str(src), expected_version=1)
    with pytest.raises(PermissionDenied):
        ti.add_task(rep, t.id, draft.TaskDraft(1, "x"), expected_version=1)
    with pytest.raises(PermissionDenied):
        ti.link_parent(rep, t.id, "T1", expected_version=1)
    with pytest.raises(PermissionDenied):
        ti.tasks(rep, t.id)


def test_search_finds_script_reports_and_messages(people, desk_with_tickets):
    from services.tickets import thread as ticket_thread

    t0, t1 = desk_with_tickets["tickets"][:2]
    with write_tx():
        Ticket.update(script_report="LED LOS piscando").where(Ticket.id == t0.id).execute()
    ticket_thread.add_message(people["agent"], t1.id, "trocar conector óptico", internal=True)
    found = {r.protocol for r in queues.page(people["agent"], "all", "piscando").rows}
    assert found == {"T0"}
    assert {r.protocol for r in queues.page(people["agent"], "all", "optico").rows} == {"T1"}
    assert queues.page(people["agent"], "all", "T1").jump_to == "T1"


def test_text_search_pages_newest_first_through_every_match(people, desk_with_tickets):
    from models.desk import TicketMessage
    from services.tickets import thread as ticket_thread

    agent = User.get(User.login == people["agent"].login)
    with write_tx():
        for i in range(7):
            Ticket.create(protocol=f"S{i}", status="open", created_by=agent, created_at=NOW, updated_at=NOW,
                          problem="antena torta" if i % 2 else "outra coisa")
    ticket_thread.add_message(people["agent"], Ticket.get(Ticket.protocol == "S2").id, "a antena caiu",
                              internal=False)
    seen, after = [], None
    while True:
        page = queues.page(people["agent"], "all", "antena", limit=2, after=after)
        seen += [r.protocol for r in page.rows]
        after = page.next_cursor
        if after is None:
            break
    assert seen == ["S5", "S3", "S2", "S1"] and page.sort == "age"
    # the thread's text follows edits and deletions of messages
    with write_tx():
        TicketMessage.delete().where(TicketMessage.body == "a antena caiu").execute()
    assert [r.protocol for r in queues.page(people["agent"], "all", "antena").rows] == ["S5", "S3", "S1"]
    assert queues.count(people["agent"], "open", "antena") == 3
