"""Schema migrations, applied at start-up.

Each migration has a sortable id (``"0001_core"``) and runs once, inside a
transaction, recorded in ``schema_migration``. The schema version of a
database is the newest id applied. The migrations are registered in
models.schema with `@migration`; a migration creating tables uses
`create_tables(..., safe=True)` on the current models, and a later change to
an existing table uses `models.db.add_column` (a plain ADD COLUMN) so both new and old databases
end in the same shape.

A database holding an id this code does not know was written by a newer
Atende: it is refused rather than guessed at.
"""
from __future__ import annotations

import datetime as dt

from .db import DatabaseError, db, is_sqlite
from .schema import MIGRATIONS, Migration


def known_migrations() -> list[Migration]:
    return [MIGRATIONS[k] for k in sorted(MIGRATIONS)]


def refuse_foreign(label: object = "") -> None:
    """Raise DatabaseError("foreign") when the database holds tables but no
    record of Atende's migrations: another program's database, which Atende
    must not add its tables to. An empty database (a new file) is Atende's to
    take."""
    tables = [t for t in db.get_tables() if not t.startswith("sqlite_")]
    if tables and "schema_migration" not in tables:
        raise DatabaseError("foreign", label or (db.obj.database if is_sqlite() else ""))


def _ensure_table() -> None:
    if db.table_exists("schema_migration"):  # a staff role on PostgreSQL may not create tables at all
        return
    db.execute_sql(
        "CREATE TABLE IF NOT EXISTS schema_migration ("
        " id VARCHAR(80) PRIMARY KEY, applied_at VARCHAR(32) NOT NULL)"
    )


def applied_ids() -> list[str]:
    if not db.table_exists("schema_migration"):  # an empty store: reading it changes nothing
        return []
    return [row[0] for row in db.execute_sql("SELECT id FROM schema_migration ORDER BY id")]


def schema_version() -> str:
    ids = applied_ids()
    return ids[-1] if ids else ""


def code_version() -> str:
    return known_migrations()[-1].id


def pending() -> list[Migration]:
    done = set(applied_ids())
    return [m for m in known_migrations() if m.id not in done]


def upgrade(target: str | None = None) -> list[str]:
    """Apply every pending migration (up to `target`, for tests); return their ids."""
    known = {m.id for m in known_migrations()}
    unknown = [i for i in applied_ids() if i not in known]
    if unknown:
        raise DatabaseError("newer", "", max(unknown))
    ran = []
    _ensure_table()
    for m in pending():
        if target is not None and m.id > target:
            break
        with _migration_tx():
            m.apply()
            db.execute_sql(
                "INSERT INTO schema_migration (id, applied_at) VALUES (?, ?)"
                if is_sqlite() else
                "INSERT INTO schema_migration (id, applied_at) VALUES (%s, %s)",
                (m.id, dt.datetime.now().isoformat(timespec="seconds")),
            )
        ran.append(m.id)
    return ran


def _migration_tx():
    from .db import write_tx

    return write_tx()
