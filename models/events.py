"""Events (trainings, webinars, meetings), their registrations, the
preparation task each event gets, materials and in-app notifications."""
from __future__ import annotations

import datetime as dt

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .base import BaseModel
from .core import User

EVENT_FORMATS = ("offline", "online", "hybrid")
EVENT_STAGES = ("new", "preparation", "registration", "materials", "feedback", "held", "cancelled")
REGISTRATION_STAGES = ("new", "waiting", "came", "materials", "processed", "no_show")


class EventType(BaseModel):
    """A kind of event (reference table). Its checklist (a JSON list of
    texts) becomes the preparation task of every event of this type."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)
    format = CharField(max_length=10, default="offline")  # offline | online | hybrid
    preparation = TextField(default="")
    checklist = TextField(default="[]")
    active = BooleanField(default=True)


class Event(BaseModel):
    """One event. A secondary event names its `main` event and copies the
    main's inherited fields (type, responsible, client, public, seats)."""

    id = AutoField()
    description = CharField(max_length=200)
    responsible = ForeignKeyField(User, backref="+", lazy_load=False)
    starts_at = DateTimeField(index=True)
    ends_at = DateTimeField()
    type = ForeignKeyField(EventType, backref="events", lazy_load=False)
    client = CharField(max_length=200, default="")
    access_link = CharField(max_length=500, default="")
    address = CharField(max_length=300, default="")
    seats = IntegerField(null=True)
    public = BooleanField(default=False)
    workload_hours = FloatField(null=True)
    stage = CharField(max_length=16, default="new", index=True)
    status = CharField(max_length=12, default="open")
    """Open or confirmed, the coordinator's own decision beside the stage (a
    cancelled event's status is its stage)."""
    main = ForeignKeyField("self", null=True, backref="secondaries", lazy_load=False)
    created_at = DateTimeField()
    created_by = CharField(max_length=64)
    updated_at = DateTimeField()
    updated_by = CharField(max_length=64, default="")
    version = IntegerField(default=1)


class Registration(BaseModel):
    """A participant's registration to one event.

    `waitlisted` registrations have no seat yet (they stay in stage "new");
    `origin` points at the main event's registration this one replicates.
    """

    id = AutoField()
    event = ForeignKeyField(Event, backref="registrations", lazy_load=False)
    code = CharField(max_length=16, unique=True)
    access_token = CharField(max_length=64, unique=True)
    name = CharField(max_length=200)
    name_norm = CharField(max_length=200, index=True, default="")
    email = CharField(max_length=254, index=True, default="")
    phone = CharField(max_length=40, default="")
    cpf = CharField(max_length=11, default="", index=True)
    company = CharField(max_length=200, default="")
    stage = CharField(max_length=12, default="new", index=True)
    waitlisted = BooleanField(default=False)
    waitlisted_at = DateTimeField(null=True)
    consent_at = DateTimeField()
    consent_by = CharField(max_length=64)
    consent_version = CharField(max_length=40, default="")
    """The version of the consent text the participant agreed to (the web's)."""
    consent_address = CharField(max_length=64, default="")
    """The network address the consent came from (the web's)."""
    source = CharField(max_length=12, default="staff")  # staff | desk | import | cli | replica | online
    origin = ForeignKeyField("self", null=True, backref="replicas", lazy_load=False)
    came_at = DateTimeField(null=True)
    came_by = CharField(max_length=64, default="")
    cancelled_at = DateTimeField(null=True)
    erased_at = DateTimeField(null=True)
    reminders_sent = CharField(max_length=40, default="")
    """Reminders already queued, e.g. "3d,1d" (see services.events.sweeps.queue_due_reminders)."""
    certificate_issued_at = DateTimeField(null=True)
    """Set by the certificate issuer; erasure then keeps what the certificate proves."""
    created_at = DateTimeField()
    created_by = CharField(max_length=64)
    updated_at = DateTimeField()
    updated_by = CharField(max_length=64, default="")
    version = IntegerField(default=1)


class EventTask(BaseModel):
    """The preparation task of one event (at most one: the unique index keeps
    moving back and forth from creating it twice)."""

    id = AutoField()
    event = ForeignKeyField(Event, unique=True, backref="+", lazy_load=False)
    assignee = ForeignKeyField(User, backref="+", lazy_load=False)
    title = CharField(max_length=300)
    preparation = TextField(default="")
    created_at = DateTimeField()


class EventTaskItem(BaseModel):
    id = AutoField()
    task = ForeignKeyField(EventTask, backref="items", on_delete="CASCADE", lazy_load=False)
    position = IntegerField()
    text = CharField(max_length=300)
    done_at = DateTimeField(null=True)
    done_by = CharField(max_length=64, default="")


class EventMaterial(BaseModel):
    """A file attached to an event, sent to participants after it is held."""

    id = AutoField()
    event = ForeignKeyField(Event, backref="materials", lazy_load=False)
    filename = CharField(max_length=255)
    stored_path = CharField(max_length=1000)
    size = IntegerField()
    added_at = DateTimeField()
    added_by = CharField(max_length=64)


class Notification(BaseModel):
    """An in-app message for one person (unread until they open it)."""

    id = AutoField()
    user = ForeignKeyField(User, backref="+", lazy_load=False)
    text = TextField()
    """As written, in the writer's language (what older rows have only)."""
    message = TextField(default="")
    """The untranslated message, shown in the reader's language with `params`."""
    params = TextField(default="{}")
    event = ForeignKeyField(Event, null=True, backref="+", lazy_load=False)
    created_at = DateTimeField(default=dt.datetime.now, index=True)
    read_at = DateTimeField(null=True)


EVENT_MODELS = [EventType, Event, Registration, EventTask, EventTaskItem, EventMaterial, Notification]
