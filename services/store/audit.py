"""The audit trail: one row per change to business data, written inside the
same transaction as the change."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from models import AuditLog, db, reading
from services.core import clock
from services.core.permissions import Actor, require


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


SYSTEM_LOGINS = {"mail-in": "E-mail"}
"""Accounts no person logs in as (inactive rows, so nobody is identified as
them), recording what Atende itself does, e.g. the tickets opened by e-mail
(services.store.users.system_actor)."""


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
    Logins that are not people (the worker, online forms, SYSTEM_LOGINS) pass."""
    from models import User

    if login in SYSTEM_LOGINS:
        return

    active = User.select(User.active).where(User.login == login).scalar()
    if active is not None and not active:
        from services.core.errors import UnknownUser
        from services.core.i18n import _

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


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditEntry, ...]
    next_before: int | None
    """Pass as `before_id` for the next (older) page; None on the last page."""


def parse_day(text: str | dt.date | None, field: str) -> dt.date | None:
    """A date typed as YYYY-MM-DD or DD/MM/YYYY (blank: none)."""
    from services.core.errors import ValidationError
    from services.core.i18n import _

    if text is None or isinstance(text, dt.date):
        return text
    raw = text.strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValidationError({field: _("Write a date as YYYY-MM-DD or DD/MM/YYYY")})


def page(actor: Actor, *, login: str = "", entity: str = "", since=None, until=None,
         before_id: int | None = None, limit: int = 100) -> AuditPage:
    """One page of the audit log, newest first. `entity` is a kind ("ticket")
    or one thing ("ticket:42"); `since`/`until` are days (inclusive)."""
    from services.core.errors import ValidationError
    from services.core.i18n import _

    require(actor, "audit.read")
    since_day, until_day = parse_day(since, "since"), parse_day(until, "until")
    if since_day and until_day and since_day > until_day:
        raise ValidationError({"until": _("The end is before the start")})
    kind, _sep, entity_id = (entity or "").strip().partition(":")
    limit = max(1, min(int(limit), 1000))
    rows = history(actor, entity=kind.strip() or None, entity_id=entity_id.strip() or None,
                   login=(login or "").strip() or None, since=since_day, until=until_day,
                   limit=limit + 1, before_id=before_id, check=False)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(tuple(rows), rows[-1].id if more and rows else None)


def iter_entries(actor: Actor, **filters):
    """Every matching entry, newest first, read a page at a time (for exports)."""
    before = None
    while True:
        p = page(actor, before_id=before, limit=1000, **filters)
        yield from p.rows
        before = p.next_before
        if before is None:
            return


EXPORT_COLUMNS = ("id", "at", "login", "entity", "entity_id", "action", "changes")


def export_csv(actor: Actor, out, **filters) -> int:
    """Write the matching entries to `out` as CSV (formula-safe cells); return how many."""
    import csv

    from services.core.export import safe_cell

    require(actor, "audit.read")
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for e in iter_entries(actor, **filters):
        writer.writerow([e.id, e.at.isoformat(sep=" ") if isinstance(e.at, dt.datetime) else str(e.at),
                         safe_cell(e.login), safe_cell(e.entity), safe_cell(e.entity_id), safe_cell(e.action),
                         safe_cell(json.dumps(e.changes, ensure_ascii=False))])
        n += 1
    return n


def entities(actor: Actor) -> list[str]:
    """The kinds of things the log mentions (for the viewer's hint)."""
    require(actor, "audit.read")
    with reading():
        return [r[0] for r in db.execute_sql("SELECT DISTINCT entity FROM audit_log ORDER BY entity").fetchall()]


def changes_text(entry: AuditEntry) -> str:
    """The changes of one entry as plain lines: `field: old → new`."""
    lines = []
    for key, value in sorted(entry.changes.items()):
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{key}: {_show(value[0])} → {_show(value[1])}")
        else:
            lines.append(f"{key}: {_show(value)}")
    return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
