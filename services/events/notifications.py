"""In-app notifications: a line for one person about an event (a seat freed,
a preparation task, an event closed by the worker) or a ticket (a missed
service-level deadline), counted on the events board and the service desk
until read (tui.inbox)."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from models import reading, write_tx
from models.events import Notification
from services.core import clock
from services.core.i18n import _
from services.core.permissions import Actor


@dataclass(frozen=True)
class NotificationInfo:
    id: int
    text: str
    event_id: int | None
    created_at: dt.datetime
    read: bool


def notify(user_id: int, message: str, params: dict | None = None, event_id: int | None = None) -> None:
    """An in-app notification for one person, inside the caller's transaction:
    `message` untranslated (marked with N_), shown in the reader's language
    with `params` filled in."""
    params = {k: v if isinstance(v, (int, float)) else str(v) for k, v in (params or {}).items()}
    Notification.create(user=user_id, text=_(message).format(**params), message=message,
                        params=json.dumps(params, ensure_ascii=False), event=event_id, created_at=clock.now())


def refresh_text(notification_id: int, params: dict) -> None:
    """New values for a notification (inside the caller's transaction)."""
    n = Notification.get_by_id(notification_id)
    text = _(n.message).format(**params) if n.message else n.text
    Notification.update(params=json.dumps(params, ensure_ascii=False), text=text).where(
        Notification.id == notification_id).execute()


def shown(n: Notification) -> str:
    """A notification in the reader's language (as written, for an old one)."""
    if not n.message:
        return n.text
    try:
        return _(n.message).format(**json.loads(n.params or "{}"))
    except (KeyError, IndexError, ValueError, TypeError):
        return n.text


def notifications(actor: Actor, unread_only: bool = True, limit: int = 50) -> list[NotificationInfo]:
    if actor.id is None:
        return []
    with reading():
        q = Notification.select().where(Notification.user == actor.id).order_by(Notification.id.desc()).limit(limit)
        if unread_only:
            q = q.where(Notification.read_at.is_null())
        return [NotificationInfo(n.id, shown(n), n.event_id, n.created_at, n.read_at is not None) for n in q]


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
