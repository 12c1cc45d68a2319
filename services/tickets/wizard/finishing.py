"""Finishing the wizard: `finish` copies the draft's files into Atende, then
writes the ticket and everything attached to it in ONE transaction, with an
audit row; `finish_failure` says in one line why it could not."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from peewee import SQL, Select, fn

from models import AccessPoint, Contact, Customer, Plan, Queue, Ticket, TicketType, User, db, reading, write_tx
from models.wizard import ServiceOrder, Technician, TicketAttachment, TicketDraft, TicketTask
from services.core import clock, files
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.i18n import _
from services.core.logs import internal_error, logger
from services.core.permissions import Actor
from services.core.text import clean
from services.mail import outbox
from services.store import audit, blobs, database
from services.store.database import explain
from services.tickets import links, protocol, sla, surveys
from services.tickets.wizard.actions import MAX_ATTACHMENT
from services.tickets.wizard.draft import AttachmentDraft, Draft, validate_all
from services.tickets.wizard.orders import Slot, agenda_slots, check_overlap, minutes_of
from services.tickets.wizard.saving import check_owner


@dataclass(frozen=True)
class Finished:
    protocol: str
    ticket_id: int
    status: str
    parent_protocol: str = ""
    attachments: int = 0
    service_orders: int = 0
    tasks: int = 0
    emails: int = 0


def _copy_files(d: Draft) -> tuple[list[tuple[AttachmentDraft, str]], dict[str, str], list[Path]]:
    """Copy attachments and e-mail files into the files folder (before the
    transaction), through services.core.files: regular files only, at most
    MAX_ATTACHMENT bytes each (counted while copying), nothing left behind
    when one fails. Errors are for the "attachments" or "emails" field."""
    created: list[Path] = []
    if not d.attachments and not any(e.attachments for e in d.emails):
        return [], {}, created
    folder = Path("tickets") / files.safe_name(d.protocol)
    target_dir = database.files_root() / folder

    def place(source: str, name: str, field: str) -> files.Copied:
        copied = files.copy_into(source, target_dir, field=field, limit=MAX_ATTACHMENT, name=name)
        created.append(copied.path)
        return copied

    attachments = []
    try:
        for a in d.attachments:
            copied = place(a.source, a.name, "attachments")
            attachments.append((replace(a, size=copied.size), str(folder / copied.name)))
        email_files: dict[str, str] = {}
        for e in d.emails:
            for source in e.attachments:
                if source not in email_files:
                    email_files[source] = str(folder / place(source, Path(source).name, "emails").name)
    except BaseException:
        for p in created:
            p.unlink(missing_ok=True)
        raise
    return attachments, email_files, created


def _check_finish(actor: Actor, d: Draft) -> None:
    """Who may finish this draft, and whether it is complete."""
    check_owner(actor, d)
    validate_all(d)


def finish(actor: Actor, d: Draft) -> Finished:
    """Write the ticket and everything attached to it in ONE transaction, with an audit row.

    What can be checked without the write lock is checked first (the draft's
    own rules, that what it points at exists), so the transaction holds the
    lock only for the writes and the rules that other writers could break
    (the ticket still a draft, the link, the technicians' agendas)."""
    _check_finish(actor, d)
    attachments, email_files, created = _copy_files(d)
    try:
        with reading():
            access_point_id = _check_references(d)
        with write_tx():
            result = _write(actor, d, attachments, email_files, access_point_id)
            for path in created:  # a store whose hosts share no folder keeps the bytes (in this transaction)
                blobs.keep(path)
    except BaseException:
        for p in created:
            p.unlink(missing_ok=True)
        raise
    return result


def finish_failure(d: Draft, exc: BaseException) -> str:
    """Why a finish failed on something other than the draft's data (a full
    disk, a lock, a fault of ours), in one line; the details go to the log.
    Nothing was written: the ticket is still being opened, its draft kept,
    and finishing may be tried again."""
    reason = explain(exc)
    if reason is None:
        return internal_error(exc, f"finishing ticket {d.protocol}")
    logger().error("finishing ticket %s failed: %s", d.protocol, reason, exc_info=(type(exc), exc, exc.__traceback__))
    return reason


def _write(actor: Actor, d: Draft, attachments, email_files, access_point_id) -> Finished:
    now = clock.now()
    status = "resolved" if d.resolved else "open"
    customer_id = d.customer_id if d.kind != "access_point" else None
    problem = clean(d.problem, multiline=True)
    changed = (Ticket.update(
        status=status, kind=d.kind, customer=customer_id, access_point=access_point_id,
        contact=d.contact_id if d.kind != "access_point" else None, plan=d.plan_id, queue=d.queue_id,
        type=d.type_id, responsible=d.responsible_id, parent=d.parent_id, subject=problem.split("\n", 1)[0][:200],
        problem=problem, checks=clean(d.checks, multiline=True),
        solution=clean(d.solution, multiline=True) if d.resolved else "",
        script_report=d.script_report if d.use_script else "", updated_at=now, updated_by=actor.login,
        closed_at=now if d.resolved else None, version=Ticket.version + 1)
        .where((Ticket.id == d.ticket_id) & (Ticket.protocol == d.protocol) & (Ticket.status == "draft"))
        .execute())
    if not changed:
        row = (Ticket.select(Ticket.status, Ticket.updated_by)
               .where((Ticket.id == d.ticket_id) & (Ticket.protocol == d.protocol)).tuples().first())
        if row is None:
            raise NotFound(_("No ticket with protocol {protocol}").format(protocol=d.protocol))
        raise Conflict(_("Ticket {protocol} is already {status} (by {login})").format(
            protocol=d.protocol, status=_(protocol.STATUSES.get(row[0], row[0])), login=row[1]))
    sla.start(d.ticket_id, now, responded=True)  # the first contact, by phone, is the first response
    parent_protocol = ""
    if d.parent_id:
        parent = links.check_link(d.parent_id, d.plan_id, d.type_id, d.ticket_id)
        parent_protocol = parent.protocol
    taken_by_tech: dict[tuple[int, str], list[Slot]] = {}
    for i, o in enumerate(d.service_orders):
        key = (o.technician_id, o.date)
        if key not in taken_by_tech:
            taken_by_tech[key] = agenda_slots(o.technician_id, dt.date.fromisoformat(o.date))
        try:
            check_overlap(minutes_of(o.start), o.duration_minutes, taken_by_tech[key])
        except ValidationError as exc:
            raise ValidationError({"service_orders": _("Service order {n}: {reason}").format(
                n=i + 1, reason=exc.message)}) from None
        taken_by_tech[key].append(Slot(minutes_of(o.start), o.duration_minutes, _("an order in this ticket")))
    for a, stored in attachments:
        TicketAttachment.insert(ticket=d.ticket_id, name=a.name, path=stored, size=a.size, notes=a.notes,
                                created_by=actor.login, created_at=now).execute()
    for o in d.service_orders:
        ServiceOrder.insert(ticket=d.ticket_id, technician=o.technician_id, os_type=o.os_type_id, status=o.status,
                            date=o.date, start_minute=minutes_of(o.start), duration_minutes=o.duration_minutes,
                            description=o.description, created_by=actor.login, created_at=now).execute()
    for t in d.tasks:
        TicketTask.insert(ticket=d.ticket_id, assignee=t.assignee_id, due=t.due or None, description=t.description,
                          done=False, created_by=actor.login, created_at=now).execute()
    mail_ids = _queue_emails(actor, d, email_files)
    if d.resolved:  # resolved in this contact: its caller is asked how it went
        surveys.offer(actor, Ticket.get_by_id(d.ticket_id))
    TicketDraft.delete().where(TicketDraft.protocol == d.protocol).execute()
    audit.record(actor.login, "ticket", d.ticket_id, "finish", {
        "protocol": d.protocol, "status": ["draft", status], "kind": d.kind, "customer": customer_id,
        "queue": d.queue_id, "type": d.type_id, "parent": parent_protocol or None,
        "attachments": len(attachments), "service_orders": len(d.service_orders), "tasks": len(d.tasks),
        "emails": len(d.emails), "outbox": mail_ids, "script": bool(d.use_script),
    })
    return Finished(d.protocol, d.ticket_id, status, parent_protocol, len(attachments), len(d.service_orders),
                    len(d.tasks), len(d.emails))


def _queue_emails(actor: Actor, d: Draft, email_files: dict[str, str]) -> list[int]:
    """Queue the draft's e-mails in the outbox, in the finish transaction (the
    worker sends them). A bad address is reported on the e-mail action."""
    if not d.emails:
        return []
    root = database.files_root()
    ids = []
    for i, e in enumerate(d.emails):
        key = f"ticket:{d.ticket_id}:wizard-email" + (f":{i + 1}" if i else "")
        try:
            ids.append(outbox.queue(
                to=list(e.recipients), cc=list(e.cc), subject=e.subject, text=e.body,
                attachments=[(str(root / email_files[p]), Path(p).name) for p in e.attachments],
                read_receipt=e.read_receipt,
                about=("ticket", d.ticket_id), kind="ticket", key=key, created_by=actor.login))
        except ValidationError as exc:
            raise ValidationError({"emails": _("E-mail {n}: {reason}").format(n=i + 1, reason=exc.message)}) from None
    return ids


def _check_references(d: Draft) -> int | None:
    """Everything the draft points at still exists (someone may have deleted it
    meanwhile); returns the access point of the ticket. One statement."""
    errors = {}

    def count(model, where):
        return model.select(fn.COUNT(SQL("*"))).where(where)

    (customer, contact, plan, plan_ap, ap, queue, type_, responsible) = Select(columns=[
        count(Customer, Customer.id == d.customer_id),
        count(Contact, (Contact.id == d.contact_id) & (Contact.customer == d.customer_id)),
        count(Plan, Plan.id == d.plan_id),
        Plan.select(Plan.access_point).where(Plan.id == d.plan_id),
        count(AccessPoint, AccessPoint.id == d.access_point_id),
        count(Queue, (Queue.id == d.queue_id) & Queue.active),
        count(TicketType, (TicketType.id == d.type_id) & TicketType.active),
        count(User, (User.id == d.responsible_id) & User.active),
    ]).bind(db).tuples().get()
    if d.kind != "access_point":
        if d.customer_id and not customer:
            errors["lookup"] = _("The customer no longer exists: look it up again")
        if d.contact_id and not contact:
            errors["contact"] = _("The contact no longer exists: choose another")
    if d.plan_id and not plan:
        errors["plan"] = _("The plan no longer exists: choose another")
    if d.access_point_id and not ap:
        errors["lookup"] = _("The access point no longer exists")
    if d.queue_id and not queue:
        errors["queue"] = _("This destination is no longer active")
    if d.type_id and not type_:
        errors["type"] = _("This ticket type is no longer active")
    if d.responsible_id and not responsible:
        errors["responsible"] = _("This person can no longer be responsible")
    for t in d.tasks:
        if not User.select().where((User.id == t.assignee_id) & (User.active == True)).exists():  # noqa: E712
            errors["tasks"] = _("A task's assignee can no longer use Atende")
    for o in d.service_orders:
        if not Technician.select().where(Technician.id == o.technician_id).exists():
            errors["service_orders"] = _("A service order's technician no longer exists")
    if errors:
        raise ValidationError(errors)
    return d.access_point_id or plan_ap
