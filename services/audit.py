"""The audit trail: one row per change to business data, written inside the
same transaction as the change."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from models import AuditLog, db, reading

from . import clock
from .permissions import Actor, require


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value changed."""
    keys = set(before) | set(after)
    return {
        k: [_jsonable(before.get(k)), _jsonable(after.get(k))]
        for k in sorted(keys)
        if before.get(k) != after.get(k)
    }


def record(login: str, entity: str, entity_id: Any, action: str, changes: dict | None = None) -> None:
    """Write one audit row. Call inside the transaction of the change."""
    assert db.in_transaction(), "audit rows belong inside the change's transaction"
    _check_still_a_user(login)
    AuditLog.insert(
        at=clock.now(), login=login, entity=entity, entity_id=str(entity_id),
        action=action,
        changes=json.dumps({k: _jsonable(v) if not isinstance(v, list) else [_jsonable(x) for x in v]
                            for k, v in (changes or {}).items()}, ensure_ascii=False),
    ).execute()


def _check_still_a_user(login: str) -> None:
    """A person removed while logged in saves nothing more: every change writes
    its audit row in its own transaction, so refusing here rolls it back.
    Logins that are not people (the worker, online forms) pass."""
    from models import User

    active = User.select(User.active).where(User.login == login).scalar()
    if active is not None and not active:
        from .errors import UnknownUser
        from .i18n import _

        raise UnknownUser(_("'{login}' has been removed from this Atende database; ask an administrator").format(
            login=login))


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    login: str
    entity: str
    entity_id: str
    action: str
    changes: dict


def history(actor: Actor, entity: str | None = None, entity_id: Any = None,
            login: str | None = None, since: dt.date | None = None, until: dt.date | None = None,
            limit: int = 200, before_id: int | None = None, check: bool = True) -> list[AuditEntry]:
    """Audit rows, newest first, filtered; keyset paging with `before_id`."""
    if check:
        require(actor, "audit.read")
    q = AuditLog.select().order_by(AuditLog.id.desc()).limit(limit)
    if entity:
        q = q.where(AuditLog.entity == entity)
    if entity_id is not None:
        q = q.where(AuditLog.entity_id == str(entity_id))
    if login:
        q = q.where(AuditLog.login == login)
    if since:
        q = q.where(AuditLog.at >= dt.datetime.combine(since, dt.time.min))
    if until:
        q = q.where(AuditLog.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    if before_id:
        q = q.where(AuditLog.id < before_id)
    with reading():
        return [
            AuditEntry(r.id, r.at, r.login, r.entity, r.entity_id, r.action, json.loads(r.changes or "{}"))
            for r in q
        ]
