"""The reference data the wizard's steps and forms offer: destinations,
ticket types and people (first contact, tasks), technicians and service-order
types, e-mail templates (filled in from the draft)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from models import Queue, TicketType, User, reading
from models.wizard import EmailTemplate, OsType, Technician
from services.core.permissions import Actor, require
from services.tickets.wizard.draft import Draft


@dataclass(frozen=True)
class Choice:
    id: int
    name: str
    extra: str = ""


@dataclass(frozen=True)
class TypeChoice:
    id: int
    name: str
    queue_id: int | None
    responsible_id: int | None
    responsible_role: str
    allows_link: bool


@dataclass(frozen=True)
class FirstContactOptions:
    queues: tuple[Choice, ...]
    types: tuple[TypeChoice, ...]
    people: tuple[Choice, ...]


def first_contact_options(actor: Actor) -> FirstContactOptions:
    require(actor, "tickets.create")
    with reading():
        queues = tuple(Choice(q.id, q.name) for q in Queue.select().where(Queue.active == True).order_by(Queue.name))  # noqa: E712
        types = tuple(TypeChoice(t.id, t.name, t.queue_id, t.responsible_user_id, t.responsible_role, t.allows_link)
                      for t in TicketType.select().where(TicketType.active == True).order_by(TicketType.name))  # noqa: E712
        people = tuple(Choice(u.id, u.name, u.role) for u in User.select().where(
            (User.active == True) & (User.role != "representative")).order_by(User.name))  # noqa: E712
    return FirstContactOptions(queues, types, people)


def technicians(actor: Actor) -> list[Choice]:
    require(actor, "tickets.read")
    with reading():
        return [Choice(t.id, t.name, t.phone) for t in
                Technician.select().where(Technician.active == True).order_by(Technician.name)]  # noqa: E712


def os_types(actor: Actor) -> list[Choice]:
    require(actor, "tickets.read")
    with reading():
        return [Choice(t.id, t.name, str(t.default_minutes)) for t in
                OsType.select().where(OsType.active == True).order_by(OsType.name)]  # noqa: E712


@dataclass(frozen=True)
class Template:
    id: int
    name: str
    subject: str
    body: str


def email_templates(actor: Actor) -> list[Template]:
    require(actor, "tickets.read")
    with reading():
        return [Template(t.id, t.name, t.subject, t.body) for t in
                EmailTemplate.select().where(EmailTemplate.active == True).order_by(EmailTemplate.name)]  # noqa: E712


_PLACEHOLDER = re.compile(r"\{(protocol|customer|contact|problem|solution)\}")


def render_template(t: Template, d: Draft) -> tuple[str, str]:
    """Subject and body of `t` with {protocol}, {customer}, {contact}, {problem}, {solution} filled in;
    any other brace is left as written."""
    values = dict(protocol=d.protocol, customer=d.customer_name or d.access_point_name,
                  contact=d.contact_name, problem=d.problem[:500], solution=d.solution)

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

    return fill(t.subject), fill(t.body)
