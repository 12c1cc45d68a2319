"""Tables of the new-ticket wizard: protocol counters, drafts, and what a
ticket carries when it is finished (attachments, service orders, tasks, the
e-mail stored ready to send), plus the guided scripts."""
from __future__ import annotations

import datetime as dt

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .base import BaseModel
from .core import Ticket, User


class ProtocolCounter(BaseModel):
    """The last sequence number handed out for one protocol prefix (one a day
    with the default format)."""

    key = CharField(max_length=80, primary_key=True)
    seq = IntegerField(default=0)


class TicketDraft(BaseModel):
    """A wizard in progress, saved at every step change (JSON of services.tickets.wizard.draft.Draft)."""

    id = AutoField()
    protocol = CharField(max_length=40, unique=True)
    owner = CharField(max_length=64, index=True)
    ticket = ForeignKeyField(Ticket, on_delete="CASCADE", lazy_load=False)
    step = CharField(max_length=20, default="kind")
    data = TextField(default="{}")
    updated_at = DateTimeField()


class Technician(BaseModel):
    """A field technician who receives service orders (not necessarily an Atende user)."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)
    phone = CharField(max_length=32, default="")
    user = ForeignKeyField(User, null=True, lazy_load=False)
    active = BooleanField(default=True)


class OsType(BaseModel):
    """A kind of service order (Tipo de OS): installation, repair, ..."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)
    default_minutes = IntegerField(default=60)
    active = BooleanField(default=True)


class ServiceOrder(BaseModel):
    """A service order (O.S.) for a technician, on one day, from a start for a duration."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="service_orders", on_delete="CASCADE", lazy_load=False)
    technician = ForeignKeyField(Technician, backref="orders", lazy_load=False)
    os_type = ForeignKeyField(OsType, null=True, lazy_load=False)
    status = CharField(max_length=20, default="scheduled")
    date = DateField(index=True)
    start_minute = IntegerField()  # minutes after midnight
    duration_minutes = IntegerField()
    description = TextField(default="")
    created_by = CharField(max_length=64)
    created_at = DateTimeField()

    class Meta:
        indexes = ((("technician", "date"), False),)


class TicketTask(BaseModel):
    """A task someone must do for a ticket."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="tasks", on_delete="CASCADE", lazy_load=False)
    assignee = ForeignKeyField(User, lazy_load=False)
    due = DateField(null=True)
    description = TextField()
    done = BooleanField(default=False)
    created_by = CharField(max_length=64)
    created_at = DateTimeField()


class TicketAttachment(BaseModel):
    """A file attached to a ticket, copied into the store's files folder."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="attachments", on_delete="CASCADE", lazy_load=False)
    name = CharField(max_length=200)
    path = CharField(max_length=500)  # relative to the files folder
    size = IntegerField()
    notes = TextField(default="")
    created_by = CharField(max_length=64)
    created_at = DateTimeField()


class EmailTemplate(BaseModel):
    """A model e-mail (Modelo de E-mail); {protocol}, {customer}, {contact} are filled in."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)
    subject = CharField(max_length=200, default="")
    body = TextField(default="")
    active = BooleanField(default=True)


class TicketEmail(BaseModel):
    """An e-mail written in the wizard, stored ready to send (the mail issue delivers it)."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="emails", on_delete="CASCADE", lazy_load=False)
    recipients = TextField()  # JSON list of addresses
    cc = TextField(default="[]")  # JSON list of addresses
    subject = CharField(max_length=200)
    body = TextField(default="")
    read_receipt = BooleanField(default=False)
    attachments = TextField(default="[]")  # JSON list of paths relative to the files folder
    status = CharField(max_length=12, default="ready", index=True)
    created_by = CharField(max_length=64)
    created_at = DateTimeField()


class Script(BaseModel):
    """A guided script (Script de Atendimento): a decision tree kept as JSON."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)
    description = TextField(default="")
    data = TextField()
    active = BooleanField(default=True)
    version = IntegerField(default=1)
    updated_by = CharField(max_length=64, default="")
    updated_at = DateTimeField(default=dt.datetime.now)


WIZARD_MODELS = [
    ProtocolCounter, TicketDraft, Technician, OsType, ServiceOrder, TicketTask,
    TicketAttachment, EmailTemplate, TicketEmail, Script,
]

