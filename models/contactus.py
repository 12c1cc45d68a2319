"""The company "Contact us" desk: classifications (each routed to a desk
queue), their sub-classifications, forms of contact, and the record tying a
ticket to the company and the choices a representative made."""
from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .core import Customer, Queue, Ticket, User
from .desk import TicketMessage


class ContactClassification(BaseModel):
    """Classificação de atendimento: what a contact is about, and the queue it goes to."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)
    queue = ForeignKeyField(Queue, lazy_load=False)
    active = BooleanField(default=True)
    version = IntegerField(default=1)
    updated_by = CharField(max_length=64, default="")

    class Meta:
        table_name = "contact_classification"


class ContactSubclassification(BaseModel):
    """Sub-classificação (module "Central"): a finer choice under a classification."""

    id = AutoField()
    classification = ForeignKeyField(ContactClassification, backref="subs", lazy_load=False)
    name = CharField(max_length=120)
    active = BooleanField(default=True)
    version = IntegerField(default=1)
    updated_by = CharField(max_length=64, default="")

    class Meta:
        table_name = "contact_subclassification"
        indexes = ((("classification", "name"), True),)


class ContactForm(BaseModel):
    """Forma de contato (module "CRM"): how the company wants to be answered."""

    id = AutoField()
    name = CharField(max_length=120, unique=True)
    active = BooleanField(default=True)
    version = IntegerField(default=1)
    updated_by = CharField(max_length=64, default="")

    class Meta:
        table_name = "contact_form"


class ContactRequest(BaseModel):
    """A contact a company representative opened: its ticket and what they chose."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, unique=True, on_delete="CASCADE", lazy_load=False)
    company = ForeignKeyField(Customer, index=True, lazy_load=False)
    mode = CharField(max_length=10)  # central | crm
    classification = ForeignKeyField(ContactClassification, lazy_load=False)
    subclassification = ForeignKeyField(ContactSubclassification, null=True, lazy_load=False)
    form = ForeignKeyField(ContactForm, null=True, lazy_load=False)
    contact_name = CharField(max_length=200)
    phone = CharField(max_length=32)
    email = CharField(max_length=254)
    message = TextField(default="")
    created_by = ForeignKeyField(User, lazy_load=False, backref="+")
    created_at = DateTimeField()
    submission = CharField(max_length=64, default="", index=True)
    """The web form's one-time key: the same form sent twice opens one contact."""

    class Meta:
        table_name = "contact_request"


class ContactMessage(BaseModel):
    """Marks the thread messages the company wrote (through Contact us), so the
    thread tells them from the team's replies whatever happens to their authors."""

    message = ForeignKeyField(TicketMessage, primary_key=True, on_delete="CASCADE", lazy_load=False)
    request = ForeignKeyField(ContactRequest, on_delete="CASCADE", lazy_load=False)
    submission = CharField(max_length=64, default="", index=True)
    """As ContactRequest.submission: the same message form sent twice adds one message."""

    class Meta:
        table_name = "contact_message"


class WebCredential(BaseModel):
    """A representative's password for the web pages (Argon2id hash, never the
    password), and the count of wrong tries since the last right one."""

    id = AutoField()
    user = ForeignKeyField(User, unique=True, on_delete="CASCADE", lazy_load=False)
    password_hash = CharField(max_length=255)
    stamp = CharField(max_length=32)
    """New with every password: a session made before a change is over."""
    set_at = DateTimeField()
    failures = IntegerField(default=0)
    locked_until = DateTimeField(null=True)

    class Meta:
        table_name = "web_credential"


class WebInvite(BaseModel):
    """A one-time link to set a password: only its SHA-256 is kept."""

    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE", lazy_load=False)
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField()
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
    created_by = CharField(max_length=64)

    class Meta:
        table_name = "web_invite"


WEB_ACCOUNT_MODELS = [WebCredential, WebInvite]
CONTACTUS_MODELS = [ContactClassification, ContactSubclassification, ContactForm, ContactRequest, ContactMessage]
