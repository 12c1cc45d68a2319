"""Core tables: people, audit, settings, customers and their plans, tickets.

Feature issues add their own modules beside this one (and a migration each).
"""
from __future__ import annotations

import datetime as dt

from peewee import AutoField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel

ROLES = ("agent", "coordinator", "supervisor", "admin", "representative")


class AuditLog(BaseModel):
    """Who changed what, and when. Written in the same transaction as the change."""

    id = AutoField()
    at = DateTimeField(index=True)
    login = CharField(max_length=64, index=True)
    entity = CharField(max_length=40)
    entity_id = CharField(max_length=64)
    action = CharField(max_length=40)
    changes = TextField(default="{}")

    class Meta:
        indexes = ((("entity", "entity_id"), False),)


class Setting(BaseModel):
    """System parameters shared by everyone on one database."""

    key = CharField(max_length=80, primary_key=True)
    value = TextField()

    @classmethod
    def put(cls, key: str, value: str) -> None:
        """Set `key` to `value`, whether it is there or not (one statement, either store)."""
        cls.insert(key=key, value=value).on_conflict(conflict_target=[cls.key], preserve=[cls.value]).execute()


class Network(BaseModel):
    """A physical network; plans on one network may share an outage ticket."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)


class AccessPoint(BaseModel):
    """A routing point (P. Acesso / POP) that plans connect through."""

    id = AutoField()
    name = CharField(max_length=120)
    name_norm = CharField(max_length=120, index=True)
    city = CharField(max_length=120, default="")
    state = CharField(max_length=2, default="")
    network = ForeignKeyField(Network, null=True, backref="access_points", lazy_load=False)
    router_host = CharField(max_length=255, default="")
    router_port = IntegerField(default=8728)
    router_user = CharField(max_length=120, default="")
    router_ssl = BooleanField(default=False)
    active = BooleanField(default=True)


class Customer(BaseModel):
    """A customer or prospect (Clientes / Prospecto).

    `*_norm` columns hold the lower-case, accent-free form used by lookups;
    `doc` and `phone_digits` hold digits only.
    """

    id = AutoField()
    kind = CharField(max_length=12, index=True)  # customer | prospect
    name = CharField(max_length=200)
    name_norm = CharField(max_length=200, index=True)
    doc = CharField(max_length=14, index=True, default="")  # CPF (11) or CNPJ (14) digits
    doc_kind = CharField(max_length=4, default="cpf")
    email = CharField(max_length=254, default="", index=True)
    phone = CharField(max_length=32, default="")
    phone_digits = CharField(max_length=20, default="", index=True)
    city = CharField(max_length=120, default="")
    city_norm = CharField(max_length=120, default="", index=True)
    state = CharField(max_length=2, default="")
    address = CharField(max_length=255, default="")
    contract = CharField(max_length=32, default="", index=True)
    account_status = CharField(max_length=12, default="active")  # active | blocked | suspended | inactive | cancelled
    onboarding = BooleanField(default=False)
    franchise_group = CharField(max_length=120, default="")
    created_at = DateTimeField(default=dt.datetime.now)


class User(BaseModel):
    """A person, identified by their OS login."""

    id = AutoField()
    login = CharField(max_length=64, unique=True)
    name = CharField(max_length=200)
    email = CharField(max_length=254, default="")
    role = CharField(max_length=20, index=True)
    company = ForeignKeyField(Customer, null=True, backref="representatives", lazy_load=False)
    """For a company representative: the one company whose contacts they see."""
    active = BooleanField(default=True)
    created_at = DateTimeField(default=dt.datetime.now)


class Contact(BaseModel):
    """A person at a customer who calls or is called."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="contacts", on_delete="CASCADE", lazy_load=False)
    name = CharField(max_length=200)
    phone = CharField(max_length=32, default="")
    email = CharField(max_length=254, default="")
    position = CharField(max_length=120, default="")
    doc = CharField(max_length=14, default="")
    is_primary = BooleanField(default=False)


class ExtraField(BaseModel):
    """An admin-defined custom field on contacts (Campos Extras)."""

    TYPES = ("text", "number", "date", "choice")

    id = AutoField()
    name = CharField(max_length=60, unique=True)
    label = CharField(max_length=120)
    type = CharField(max_length=10)
    choices = TextField(default="[]")  # JSON list, for type=choice
    required = BooleanField(default=False)
    position = IntegerField(default=0)


class ContactExtraValue(BaseModel):
    id = AutoField()
    contact = ForeignKeyField(Contact, backref="extra_values", on_delete="CASCADE", lazy_load=False)
    field = ForeignKeyField(ExtraField, on_delete="CASCADE", lazy_load=False)
    value = TextField(default="")

    class Meta:
        indexes = ((("contact", "field"), True),)


class Plan(BaseModel):
    """A service plan a customer has, with its access point and login."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="plans", on_delete="CASCADE", lazy_load=False)
    name = CharField(max_length=120)
    access_point = ForeignKeyField(AccessPoint, null=True, backref="plans", lazy_load=False)
    login = CharField(max_length=120, default="", index=True)
    login_kind = CharField(max_length=12, default="pppoe")  # pppoe | ipoe | hotspot
    status = CharField(max_length=12, default="active")


class Queue(BaseModel):
    """A destination (Destino): the department whose queue receives a ticket."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)
    active = BooleanField(default=True)
    response_minutes = IntegerField(null=True)
    """Service level: business minutes to the first response (a type's own target comes first)."""
    resolution_minutes = IntegerField(null=True)
    """Service level: business minutes to the resolution."""


class TicketType(BaseModel):
    """A ticket type (Tipo Atendimento): proposes its responsible user or role."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)
    queue = ForeignKeyField(Queue, null=True, lazy_load=False)
    responsible_user = ForeignKeyField(User, null=True, lazy_load=False)
    responsible_role = CharField(max_length=20, default="")
    allows_link = BooleanField(default=False)
    active = BooleanField(default=True)
    survey = BooleanField(default=True)
    """Its tickets' contacts are asked to rate the service once resolved."""
    response_minutes = IntegerField(null=True)
    """Service level: business minutes to the first response (none: its ticket's queue's)."""
    resolution_minutes = IntegerField(null=True)
    """Service level: business minutes to the resolution (none: its ticket's queue's)."""


TICKET_STATUSES = ("open", "in_progress", "waiting_customer", "resolved", "finished", "abandoned")


class Ticket(BaseModel):
    """A ticket (Atendimento). Its protocol is reserved before anything else."""

    id = AutoField()
    protocol = CharField(max_length=40, unique=True)
    status = CharField(max_length=20, default="open")
    kind = CharField(max_length=12, default="customer")  # customer | prospect | access_point
    customer = ForeignKeyField(Customer, null=True, backref="tickets", index=False, lazy_load=False)
    access_point = ForeignKeyField(AccessPoint, null=True, index=False, lazy_load=False)
    contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL", index=False, lazy_load=False)
    plan = ForeignKeyField(Plan, null=True, on_delete="SET NULL", index=False, lazy_load=False)
    queue = ForeignKeyField(Queue, null=True, index=False, lazy_load=False)
    type = ForeignKeyField(TicketType, null=True, index=False, lazy_load=False)
    responsible = ForeignKeyField(User, null=True, index=False, lazy_load=False)
    parent = ForeignKeyField("self", null=True, backref="children", index=False, lazy_load=False)
    subject = CharField(max_length=200, default="")
    problem = TextField(default="")
    checks = TextField(default="")
    solution = TextField(default="")
    script_report = TextField(default="")
    created_by = ForeignKeyField(User, lazy_load=False, backref="+")
    created_at = DateTimeField()
    updated_at = DateTimeField()
    updated_by = CharField(max_length=64, default="")
    closed_at = DateTimeField(null=True)
    version = IntegerField(default=1)
    # service levels (services.tickets.sla): a deadline runs while its "left" is empty; paused
    # (waiting on the customer) or closed, "left" keeps the business minutes that remained
    first_response_at = DateTimeField(null=True)
    response_due_at = DateTimeField(null=True)
    resolution_due_at = DateTimeField(null=True)
    response_left = IntegerField(null=True)
    resolution_left = IntegerField(null=True)
    sla_due_at = DateTimeField(null=True)
    """The nearest running deadline (the queue sorts by it; none when paused or closed)."""
    response_breached = BooleanField(default=False)
    resolution_breached = BooleanField(default=False)
    """A deadline passed: set once, when the responsible and the supervisors were told."""


CORE_MODELS = [
    User, AuditLog, Setting, Network, AccessPoint, Customer, Contact,
    ExtraField, ContactExtraValue, Plan, Queue, TicketType, Ticket,
]
