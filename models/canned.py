"""Canned replies: texts supervisors keep for agents to insert in a reply, an
internal note or the wizard's first contact, with placeholders filled in
(services.tickets.canned). Global, or for one destination (queue)."""
from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel
from .core import Queue


class CannedReply(BaseModel):
    id = AutoField()
    title = CharField(max_length=120)
    title_norm = CharField(max_length=120, index=True)
    """The title folded (case and accents ignored): two replies in use never share it."""
    body = TextField()
    queue = ForeignKeyField(Queue, null=True, on_delete="SET NULL", lazy_load=False, backref="+")
    """The destination it is for; None: every destination."""
    active = BooleanField(default=True)
    updated_by = CharField(max_length=64, default="")
    updated_at = DateTimeField()

    class Meta:
        table_name = "canned_reply"


CANNED_MODELS = [CannedReply]
