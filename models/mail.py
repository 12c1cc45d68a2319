"""Mail and certificates: the outbox, editable templates, issued certificates.

Every e-mail is an `Outbox` row first, written in the same transaction as the
change that causes it; the worker sends it later. Certificates keep a
verification row so anyone holding the code can check one.
"""
from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, DateTimeField, FloatField, IntegerField, TextField

from .base import BaseModel

MAIL_STATES = ("queued", "sending", "sent", "failed")


class Outbox(BaseModel):
    """One e-mail, from queued to sent (or failed, with the reason)."""

    id = AutoField()
    kind = CharField(max_length=40, index=True, default="generic")
    recipients = TextField()  # JSON list of "Name <addr>" / "addr"
    cc = TextField(default="[]")  # JSON list
    subject = TextField(default="")
    body_text = TextField(default="")
    body_html = TextField(default="")
    attachments = TextField(default="[]")  # JSON list of {"path": ..., "name": ...} inside the store
    read_receipt = BooleanField(default=False)
    headers = TextField(default="{}")
    """JSON: the threading headers of a reply (In-Reply-To, References)."""
    about_entity = CharField(max_length=40, default="")
    about_id = CharField(max_length=64, default="")
    idempotency_key = CharField(max_length=200, unique=True)
    state = CharField(max_length=10, default="queued")
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    next_attempt_at = DateTimeField()
    claim = CharField(max_length=120, default="")
    """The worker holding this row while it is 'sending' (host:pid:token)."""
    claimed_at = DateTimeField(null=True)
    handed_at = DateTimeField(null=True)
    """Set (and committed) just before the message is handed to the server."""
    sent_at = DateTimeField(null=True)
    created_at = DateTimeField(index=True)
    created_by = CharField(max_length=64, default="")

    class Meta:
        indexes = (
            (("state", "next_attempt_at"), False),
            (("about_entity", "about_id"), False),
        )


class MailTemplate(BaseModel):
    """An edited template; without a row the shipped default in data/templates is used."""

    id = AutoField()
    kind = CharField(max_length=40)
    language = CharField(max_length=8)
    event_type = CharField(max_length=60, default="")  # "" = every event type
    subject = TextField(default="")
    body_text = TextField(default="")
    body_html = TextField(default="")
    version = IntegerField(default=1)
    updated_at = DateTimeField()
    updated_by = CharField(max_length=64, default="")

    class Meta:
        indexes = ((("kind", "language", "event_type"), True),)


class Certificate(BaseModel):
    """An issued certificate and what its verification code proves."""

    id = AutoField()
    code = CharField(max_length=20, unique=True)
    key = CharField(max_length=200, unique=True)
    """Who and what it is for (e.g. "registration:42"): issuing twice reuses the code."""
    participant_name = CharField(max_length=300)
    cpf_masked = CharField(max_length=14, default="")
    event_title = CharField(max_length=300)
    workload_hours = FloatField(default=0)
    start_date = DateTimeField()
    end_date = DateTimeField()
    issued_at = DateTimeField()
    issued_by = CharField(max_length=64, default="")
    path = TextField(default="")
    about_entity = CharField(max_length=40, default="")
    about_id = CharField(max_length=64, default="")


MAIL_MODELS = [Outbox, MailTemplate, Certificate]
