"""Live sessions: the change counters other sessions watch, and presence
(who is online, on which screen and record)."""
from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, IntegerField

from .base import BaseModel
from .db import LIVE_TABLE, db


class LiveChange(BaseModel):
    """One row per topic; `n` grows with every write transaction of that topic."""

    topic = CharField(max_length=40, primary_key=True)
    n = IntegerField(default=0)

    class Meta:
        table_name = LIVE_TABLE


class Presence(BaseModel):
    """One running session of `atende`: refreshed by its heartbeat, removed on exit.
    Rows without a heartbeat for a while are stale and ignored."""

    session = CharField(max_length=64, unique=True)
    login = CharField(max_length=64, index=True)
    name = CharField(max_length=200, default="")
    pid = IntegerField(default=0)
    host = CharField(max_length=200, default="")
    screen = CharField(max_length=120, default="")
    entity_kind = CharField(max_length=40, default="")
    entity_id = IntegerField(null=True)
    entity_label = CharField(max_length=200, default="")
    editing = BooleanField(default=False)
    started_at = DateTimeField()
    heartbeat_at = DateTimeField(index=True)

    class Meta:
        table_name = "presence"
        indexes = ((("entity_kind", "entity_id"), False),)


LIVE_MODELS = [LiveChange, Presence]
TOPICS = ("data", "presence", "beat", "ring")  # beat: heartbeats only, nobody reloads on it; ring: a call for someone


def create_live_tables() -> None:
    db.create_tables(LIVE_MODELS, safe=True)
    for topic in TOPICS:
        if not LiveChange.select().where(LiveChange.topic == topic).exists():
            LiveChange.create(topic=topic, n=0)


def enable_live_counter() -> bool:
    """Make write transactions bump the counters, once the table exists."""
    obj = db.obj
    if obj is None:
        return False
    try:
        present = LIVE_TABLE in obj.get_tables()
    except Exception:  # noqa: BLE001 - an unreadable database simply has no live counter
        present = False
    obj.atende_live = present
    return present
