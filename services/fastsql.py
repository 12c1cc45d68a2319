"""Raw statements for the hot paths of opening and finishing tickets.

Building a query with peewee costs about as much as SQLite running it; the
few statements every ticket runs (reserve, save draft, finish) are written
out once here, with `?` placeholders adapted to the database in use.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache

from peewee import SqliteDatabase
from peewee import __exception_wrapper__ as _peewee_errors

from models import db

from .audit import _jsonable


@lru_cache(maxsize=256)
def _adapt(sql: str, param: str) -> str:
    return sql if param == "?" else sql.replace("?", param)


def run(sql: str, params: tuple | list = ()):
    """Execute `sql` (written with ? placeholders) on this thread's connection.

    On SQLite the statement goes straight to the thread's sqlite3 connection
    (peewee's wrapper costs several times what SQLite takes to insert a row);
    its errors become peewee's, as through peewee."""
    database = db.obj
    state = database._state
    # exactly SqliteDatabase (a subclass may wrap execution), connected, with no query hooks to call
    if type(database) is SqliteDatabase and not state.closed and not database.query_hooks:
        with _peewee_errors:
            return state.conn.execute(sql, params)
    return database.execute_sql(_adapt(sql, database.param), params)


def stamp(value: dt.datetime) -> str:
    """A datetime as peewee stores it (so both read back alike)."""
    return str(value)


AUDIT_SQL = "INSERT INTO audit_log (at, login, entity, entity_id, action, changes) VALUES (?, ?, ?, ?, ?, ?)"


def audit(login: str, entity: str, entity_id, action: str, changes: dict, at: dt.datetime) -> None:
    """An audit row, as services.audit.record writes it. Call inside the transaction."""
    assert db.in_transaction(), "audit rows belong inside the change's transaction"
    run(AUDIT_SQL, (stamp(at), login, entity, str(entity_id), action,
                    json.dumps({k: [_jsonable(x) for x in v] if isinstance(v, list) else _jsonable(v)
                                for k, v in changes.items()}, ensure_ascii=False)))
