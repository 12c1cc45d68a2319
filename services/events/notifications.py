"""In-app notifications: a line for one person about an event (a seat freed,
a preparation task, an event closed by the worker), shown on the events board
until read."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from models import reading, write_tx
from models.events import Notification
from services.core import clock
from services.core.permissions import Actor


@dataclass(frozen=True)
class NotificationInfo:
    id: int
    text: str
    event_id: int | None
    created_at: dt.datetime
    read: bool


def notify(user_id: int, text: str, event_id: int | None = None) -> None:
    """An in-app notification for one person, inside the caller's transaction."""
    Notification.create(user=user_id, text=text, event=event_id, created_at=clock.now())


def notifications(actor: Actor, unread_only: bool = True, limit: int = 50) -> list[NotificationInfo]:
    if actor.id is None:
        return []
    with reading():
        q = Notification.select().where(Notification.user == actor.id).order_by(Notification.id.desc()).limit(limit)
        if unread_only:
            q = q.where(Notification.read_at.is_null())
        return [NotificationInfo(n.id, n.text, n.event_id, n.created_at, n.read_at is not None) for n in q]


def unread_count(actor: Actor) -> int:
    if actor.id is None:
        return 0
    with reading():
        return Notification.select().where((Notification.user == actor.id) & Notification.read_at.is_null()).count()


def mark_read(actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark `actor`'s notifications read (all of them when `ids` is None)."""
    if actor.id is None:
        return 0
    with write_tx():
        q = Notification.update(read_at=clock.now()).where(
            (Notification.user == actor.id) & Notification.read_at.is_null())
        if ids is not None:
            q = q.where(Notification.id.in_(list(ids)))
        return q.execute()
