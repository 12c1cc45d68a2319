"""Reading tickets: one by protocol with everything attached, and lists."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from peewee import JOIN

from models import AccessPoint, Contact, Customer, Plan, Queue, Ticket, TicketType, User, reading
from models.contactus import ContactClassification, ContactForm, ContactRequest, ContactSubclassification
from models.mail import Outbox
from models.wizard import OsType, ServiceOrder, Technician, TicketAttachment, TicketEmail, TicketTask
from services.core import clock
from services.core.errors import NotFound, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.tickets import sla
from services.tickets.protocol import STATUSES
from services.tickets.wizard.orders import fmt_minutes


@dataclass(frozen=True)
class TicketRow:
    id: int
    protocol: str
    status: str
    kind: str
    customer: str
    subject: str
    queue: str
    type: str
    created_by: str
    created_at: str


@dataclass(frozen=True)
class AttachmentView:
    name: str
    path: str
    size: int
    notes: str


@dataclass(frozen=True)
class ServiceOrderView:
    technician: str
    os_type: str
    status: str
    date: str
    start: str
    duration_minutes: int
    description: str


@dataclass(frozen=True)
class TaskView:
    assignee: str
    due: str
    description: str
    done: bool
    id: int = 0


@dataclass(frozen=True)
class EmailView:
    recipients: list
    cc: list
    subject: str
    body: str
    read_receipt: bool
    attachments: list
    status: str


@dataclass(frozen=True)
class TicketView:
    id: int
    protocol: str
    status: str
    kind: str
    customer: str
    customer_id: int | None
    access_point: str
    contact: str
    plan: str
    login: str
    queue: str
    type: str
    responsible: str
    parent: str
    children: list
    problem: str
    checks: str
    solution: str
    script_report: str
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str
    closed_at: str
    attachments: list
    service_orders: list
    tasks: list
    emails: list
    contact_us: tuple = ()
    """A Contact us ticket: (label, value) of its classification and sub-classification or form of contact."""
    deadlines: sla.Deadlines | None = None
    """Its service level (first response, resolution, time left); None when it has no target."""
    contact_email: str = ""
    """Where a public reply is e-mailed ("": nowhere)."""


def _iso(value) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value or "")


def show(actor: Actor, protocol: str) -> TicketView:
    require(actor, "tickets.read")
    protocol = clean(protocol)
    with reading():
        t = Ticket.get_or_none(Ticket.protocol == protocol)
        if t is None:
            raise NotFound(_("No ticket with protocol {protocol}").format(protocol=protocol))

        def name_of(model, id_, attr="name"):
            if not id_:
                return ""
            return model.select(getattr(model, attr)).where(model.id == id_).scalar() or ""

        plan = Plan.get_or_none(Plan.id == t.plan_id) if t.plan_id else None
        responsible = name_of(User, t.responsible_id)
        if not responsible and t.type_id:
            responsible = (TicketType.select(TicketType.responsible_role)
                           .where(TicketType.id == t.type_id).scalar() or "")
        orders = [ServiceOrderView(name_of(Technician, o.technician_id), name_of(OsType, o.os_type_id), o.status,
                                   _iso(o.date), fmt_minutes(o.start_minute), o.duration_minutes, o.description)
                  for o in ServiceOrder.select().where(ServiceOrder.ticket == t.id).order_by(ServiceOrder.id)]
        tasks = [TaskView(name_of(User, k.assignee_id), _iso(k.due), k.description, k.done, k.id)
                 for k in TicketTask.select().where(TicketTask.ticket == t.id).order_by(TicketTask.id)]
        files = [AttachmentView(a.name, a.path, a.size, a.notes)
                 for a in (TicketAttachment.select().where(TicketAttachment.ticket == t.id)
                           .order_by(TicketAttachment.id))]
        emails = [EmailView(json.loads(e.recipients), json.loads(e.cc), e.subject, e.body, e.read_receipt,
                            json.loads(e.attachments), e.status)
                  for e in TicketEmail.select().where(TicketEmail.ticket == t.id).order_by(TicketEmail.id)]
        # since the outbox: the wizard's e-mails are queued there, about the ticket
        emails += [EmailView(json.loads(m.recipients), json.loads(m.cc), m.subject, m.body_text, m.read_receipt,
                             [a.get("name", "") for a in json.loads(m.attachments)], m.state)
                   for m in Outbox.select().where((Outbox.about_entity == "ticket") & (Outbox.about_id == str(t.id)))
                   .order_by(Outbox.id)]
        children = [c.protocol for c in Ticket.select(Ticket.protocol).where(Ticket.parent == t.id).order_by(Ticket.id)]
        contact_us = _contact_us(t.id)
        return TicketView(
            t.id, t.protocol, t.status, t.kind, name_of(Customer, t.customer_id), t.customer_id,
            name_of(AccessPoint, t.access_point_id), name_of(Contact, t.contact_id),
            plan.name if plan else "", plan.login if plan else "", name_of(Queue, t.queue_id),
            name_of(TicketType, t.type_id), responsible, name_of(Ticket, t.parent_id, "protocol"), children,
            t.problem, t.checks, t.solution, t.script_report, name_of(User, t.created_by_id, "login"),
            _iso(t.created_at), t.updated_by, _iso(t.updated_at), _iso(t.closed_at), files, orders, tasks, emails,
            contact_us, sla.deadlines(t, clock.now()), name_of(Contact, t.contact_id, "email").strip())


def _contact_us(ticket_id: int) -> tuple[tuple[str, str], ...]:
    """What the company chose when it wrote (Contact us), for the agents."""
    req = ContactRequest.get_or_none(ContactRequest.ticket == ticket_id)
    if req is None:
        return ()
    out = [(_("Classification"), ContactClassification.get_by_id(req.classification_id).name)]
    if req.subclassification_id:
        out.append((_("Sub-classification"), ContactSubclassification.get_by_id(req.subclassification_id).name))
    if req.form_id:
        out.append((_("Form of contact"), ContactForm.get_by_id(req.form_id).name))
    return tuple(out)


def list_tickets(actor: Actor, status: str | None = None, limit: int = 50,
                 mine: bool = False) -> list[TicketRow]:
    """Tickets newest first, optionally of one status."""
    require(actor, "tickets.read")
    if status and status not in STATUSES:
        raise ValidationError(_("Unknown status '{status}': use one of {all}").format(
            status=status, all=", ".join(STATUSES)), "status")
    with reading():
        q = (Ticket.select(Ticket.id, Ticket.protocol, Ticket.status, Ticket.kind, Ticket.subject,
                           Ticket.created_at, Customer.name.alias("customer_name"), Queue.name.alias("queue_name"),
                           TicketType.name.alias("type_name"), User.login.alias("login"),
                           AccessPoint.name.alias("ap_name"))
             .join(Customer, join_type=JOIN.LEFT_OUTER, on=(Ticket.customer == Customer.id))
             .switch(Ticket).join(Queue, join_type=JOIN.LEFT_OUTER, on=(Ticket.queue == Queue.id))
             .switch(Ticket).join(TicketType, join_type=JOIN.LEFT_OUTER, on=(Ticket.type == TicketType.id))
             .switch(Ticket).join(User, on=(Ticket.created_by == User.id))
             .switch(Ticket).join(AccessPoint, join_type=JOIN.LEFT_OUTER, on=(Ticket.access_point == AccessPoint.id))
             .order_by(Ticket.id.desc()).limit(max(1, min(limit, 10_000))))
        if status:
            q = q.where(Ticket.status == status)
        if mine:
            q = q.where(User.login == actor.login)
        out = []
        for t in q.dicts():
            who = t["customer_name"] or (t["ap_name"] if t["kind"] == "access_point" else "") or ""
            out.append(TicketRow(t["id"], t["protocol"], t["status"], t["kind"], who, t["subject"],
                                 t["queue_name"] or "", t["type_name"] or "", t["login"], _iso(t["created_at"])))
        return out
