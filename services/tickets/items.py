"""What a ticket carries, added after the wizard finished it: attachments,
service orders, tasks (and marking them done), the link to a parent ticket.

The fields are checked by the wizard's own rules (services.tickets.wizard: the file
checks, the service order's fields and the technician's agenda, the task's
fields). Every change is optimistic like the rest of the ticket: the caller
passes the ticket `version` it read, a stale one is refused naming who saved
first, and the change bumps the version and writes an audit row in the same
transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from models import Ticket, User, reading, write_tx
from models.wizard import ServiceOrder, Technician, TicketAttachment, TicketTask
from services.core import clock, files, validation
from services.core.errors import NotFound, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.store import audit, blobs, database
from services.tickets import links
from services.tickets.thread import TicketState, check_version, ticket_row, ticket_state, touch
from services.tickets.wizard import actions, draft, orders

MAX_NOTES = 2000


@dataclass(frozen=True)
class TaskItem:
    id: int
    assignee: str
    due: str
    description: str
    done: bool


def add_attachment(actor: Actor, ticket_id: int, path_text: str, notes: str = "", *,
                   expected_version: int) -> TicketState:
    """Copy a file into Atende and attach it to the ticket."""
    require(actor, "tickets.work")
    errors = {}
    try:
        files.check(path_text, "path", actions.MAX_ATTACHMENT)  # before the version is read: a message at once
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        notes = validation.long_text(notes, "notes", max_len=MAX_NOTES)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    with reading():
        t = ticket_row(ticket_id)
        check_version(t, expected_version)
    folder = Path("tickets") / files.safe_name(t.protocol)
    copied = files.copy_into(path_text, database.files_root() / folder, field="path", limit=actions.MAX_ATTACHMENT)
    dest, stored, size = copied.path, str(folder / copied.name), copied.size
    try:
        with write_tx():
            t = ticket_row(ticket_id)
            check_version(t, expected_version)
            now = clock.now()
            att_id = TicketAttachment.insert(ticket=t.id, name=dest.name, path=stored, size=size, notes=notes,
                                             created_by=actor.login, created_at=now).execute()
            touch(actor, t, expected_version)
            audit.record(actor.login, "ticket", t.id, "attachment",
                         {"attachment_id": att_id, "name": dest.name, "size": size})
            blobs.keep(dest)  # for the hosts that share no folder with this one
            return ticket_state(Ticket.get_by_id(t.id))
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


def add_service_order(actor: Actor, ticket_id: int, order: draft.ServiceOrderDraft, *,
                      expected_version: int) -> TicketState:
    """Schedule a service order (checked by orders.make_service_order) if the
    technician's agenda is free at that time."""
    require(actor, "tickets.work")
    with write_tx():
        t = ticket_row(ticket_id)
        check_version(t, expected_version)
        if not Technician.select().where((Technician.id == order.technician_id)
                                         & (Technician.active == True)).exists():  # noqa: E712
            raise ValidationError(_("Choose the technician"), "technician")
        day = dt.date.fromisoformat(order.date)
        orders.check_overlap(orders.minutes_of(order.start), order.duration_minutes,
                             orders.agenda_slots(order.technician_id, day))
        so_id = ServiceOrder.insert(
            ticket=t.id, technician=order.technician_id, os_type=order.os_type_id, status=order.status, date=day,
            start_minute=orders.minutes_of(order.start), duration_minutes=order.duration_minutes,
            description=order.description, created_by=actor.login, created_at=clock.now()).execute()
        touch(actor, t, expected_version)
        audit.record(actor.login, "ticket", t.id, "service_order", {
            "service_order_id": so_id, "technician": order.technician_id, "date": order.date,
            "start": order.start, "duration": order.duration_minutes})
        return ticket_state(Ticket.get_by_id(t.id))


def add_task(actor: Actor, ticket_id: int, task: draft.TaskDraft, *, expected_version: int) -> TicketState:
    """Add a task (checked by actions.make_task) for an active staff member."""
    require(actor, "tickets.work")
    with write_tx():
        t = ticket_row(ticket_id)
        check_version(t, expected_version)
        user = User.get_or_none((User.id == task.assignee_id) & (User.active == True))  # noqa: E712
        if user is None or user.role == "representative":
            raise ValidationError(_("Choose who does it"), "assignee")
        task_id = TicketTask.insert(ticket=t.id, assignee=user.id, due=task.due or None,
                                    description=task.description, done=False, created_by=actor.login,
                                    created_at=clock.now()).execute()
        touch(actor, t, expected_version)
        audit.record(actor.login, "ticket", t.id, "task", {"task_id": task_id, "assignee": user.login,
                                                           "due": task.due or None})
        return ticket_state(Ticket.get_by_id(t.id))


def tasks(actor: Actor, ticket_id: int) -> list[TaskItem]:
    """The ticket's tasks, in the order they were added."""
    require(actor, "tickets.read")
    with reading():
        ticket_row(ticket_id)
        rows = list(TicketTask.select().where(TicketTask.ticket == ticket_id).order_by(TicketTask.id))
        names = {u.id: u.name for u in User.select(User.id, User.name)
                 .where(User.id.in_({r.assignee_id for r in rows}))}
    return [TaskItem(r.id, names.get(r.assignee_id, ""), r.due.isoformat() if r.due else "", r.description,
                     bool(r.done)) for r in rows]


def set_task_done(actor: Actor, ticket_id: int, task_id: int, done: bool = True, *,
                  expected_version: int) -> TicketState:
    """Mark one of the ticket's tasks done (or not done again)."""
    require(actor, "tickets.work")
    with write_tx():
        t = ticket_row(ticket_id)
        check_version(t, expected_version)
        task = TicketTask.get_or_none((TicketTask.id == task_id) & (TicketTask.ticket == t.id))
        if task is None:
            raise NotFound(_("No such task on ticket {protocol}").format(protocol=t.protocol))
        if bool(task.done) == done:
            raise ValidationError(_("This task is already done") if done else _("This task is not done"), "task")
        TicketTask.update(done=done).where(TicketTask.id == task.id).execute()
        touch(actor, t, expected_version)
        audit.record(actor.login, "ticket", t.id, "task_done" if done else "task_undone",
                     {"task_id": task.id, "done": [not done, done]})
        return ticket_state(Ticket.get_by_id(t.id))


def link_parent(actor: Actor, ticket_id: int, parent_protocol: str, *, expected_version: int) -> TicketState:
    """Make the ticket a child of another open ticket on the same network
    (the wizard's rule, services.tickets.links); a ticket that has children of its own
    cannot become a child."""
    require(actor, "tickets.work")
    wanted = clean(parent_protocol)
    if not wanted:
        raise ValidationError(_("Type the protocol of the parent ticket"), "parent")
    with write_tx():
        t = ticket_row(ticket_id)
        check_version(t, expected_version)
        parent = Ticket.get_or_none((Ticket.protocol == wanted) & (Ticket.status != "draft"))
        if parent is None:
            raise ValidationError(_("No ticket with protocol {protocol}").format(protocol=wanted[:40]), "parent")
        if parent.id == t.id:
            raise ValidationError(_("A ticket cannot be its own parent"), "parent")
        if parent.id == t.parent_id:
            raise ValidationError(_("{protocol} is already the parent").format(protocol=parent.protocol), "parent")
        if Ticket.select().where(Ticket.parent == t.id).exists():
            raise ValidationError(_("This ticket has linked tickets of its own: it cannot become a child"),
                                  "parent")
        links.check_link(parent.id, t.plan_id, t.type_id, t.id)
        old = Ticket.get_or_none(Ticket.id == t.parent_id) if t.parent_id else None
        touch(actor, t, expected_version, parent=parent.id)
        audit.record(actor.login, "ticket", t.id, "link",
                     {"parent": [old.protocol if old else None, parent.protocol]})
        return ticket_state(Ticket.get_by_id(t.id))


def unlink_parent(actor: Actor, ticket_id: int, *, expected_version: int) -> TicketState:
    require(actor, "tickets.work")
    with write_tx():
        t = ticket_row(ticket_id)
        check_version(t, expected_version)
        if not t.parent_id:
            raise ValidationError(_("This ticket has no parent"), "parent")
        old = Ticket.get_or_none(Ticket.id == t.parent_id)
        touch(actor, t, expected_version, parent=None)
        audit.record(actor.login, "ticket", t.id, "unlink", {"parent": [old.protocol if old else None, None]})
        return ticket_state(Ticket.get_by_id(t.id))


def attachment_path(actor: Actor, ticket_id: int, name: str) -> Path:
    """Where an attachment of the ticket is kept (to show the path to copy it out)."""
    require(actor, "tickets.read")
    with reading():
        row = TicketAttachment.get_or_none((TicketAttachment.ticket == ticket_id) & (TicketAttachment.name == name))
    if row is None:
        raise NotFound(_("No such attachment"))
    return blobs.local(database.files_root() / row.path)  # written here from the store if another host added it

