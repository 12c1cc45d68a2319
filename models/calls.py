"""Phone calls announced by the PBX (`atende call ring`): one row per ring,
for one agent, with who the number belongs to as found then, and what the
agent did with it (a ticket opened, dismissed, or nothing: missed)."""
from __future__ import annotations

from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField

from .base import BaseModel
from .core import Contact, Customer, Ticket


class Call(BaseModel):
    id = AutoField()
    to_login = CharField(max_length=64)
    """The agent rung (their Atende login)."""
    number = CharField(max_length=40, default="")
    """The caller's number as the PBX gave it (cleaned, cut to 40 characters)."""
    e164 = CharField(max_length=20, default="")
    """The number in E.164 (+5511999998888), or "" when it is none (withheld, too short)."""
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL", lazy_load=False, backref="+")
    contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL", lazy_load=False, backref="+")
    matches = IntegerField(default=0)
    """How many customers the number was found on when it rang."""
    by_login = CharField(max_length=64, default="")
    """Who rang (the PBX's account)."""
    created_at = DateTimeField()
    answered_at = DateTimeField(null=True)
    ticket = ForeignKeyField(Ticket, null=True, on_delete="SET NULL", lazy_load=False, backref="+")
    dismissed_at = DateTimeField(null=True)

    class Meta:
        table_name = "call"
        indexes = ((("to_login", "created_at"), False),)


CALL_MODELS = [Call]
