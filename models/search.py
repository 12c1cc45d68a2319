"""The customer search index: SQLite FTS5 with the trigram tokenizer, as
external-content tables over the folded columns of `customer` and the logins
of `plan`, kept in step by triggers; plus the B-tree indexes that serve
'starts with' and 'equals' in name order.

Bulk loads (the demo, benches) may pause the triggers with
`search_index_paused()` and rebuild once at the end.
"""
from __future__ import annotations

from contextlib import contextmanager

from .db import db, is_sqlite

CUSTOMER_COLUMNS = ("name_norm", "email", "doc", "phone_digits", "city_norm", "contract")

_B_TREE = (
    'CREATE INDEX IF NOT EXISTS "customer_kind_name" ON "customer" ("kind", "name_norm")',
    'CREATE INDEX IF NOT EXISTS "customer_city_kind_name" ON "customer" ("city_norm", "kind", "name_norm")',
    # Candidates found elsewhere are sorted by name here without reading whole rows.
    'CREATE INDEX IF NOT EXISTS "customer_id_kind_name" ON "customer" ("id", "kind", "name_norm")',
    'CREATE INDEX IF NOT EXISTS "plan_login_customer" ON "plan" ("login", "customer_id")',
)


FTS_TABLES = {column: f"customer_fts_{column.split('_')[0]}" for column in CUSTOMER_COLUMNS}
"""One single-column index per searched column: a trigram's doclist then holds
only that column's rows (a phone's digits do not wade through CPFs)."""


def _tables() -> tuple[str, ...]:
    return tuple(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5({column}, "
        f"content='customer', content_rowid='id', tokenize='trigram')"
        for column, table in FTS_TABLES.items()
    ) + (
        "CREATE VIRTUAL TABLE IF NOT EXISTS plan_search USING fts5(login, "
        "content='plan', content_rowid='id', tokenize='trigram')",
    )


def _triggers() -> tuple[str, ...]:
    def add(prefix: str) -> str:
        return " ".join(f"INSERT INTO {t}(rowid, {c}) VALUES ({prefix}.id, {prefix}.{c});"
                        for c, t in FTS_TABLES.items())

    def remove(prefix: str) -> str:
        return " ".join(f"INSERT INTO {t}({t}, rowid, {c}) VALUES ('delete', {prefix}.id, {prefix}.{c});"
                        for c, t in FTS_TABLES.items())

    cols = ", ".join(CUSTOMER_COLUMNS)
    return (
        f"CREATE TRIGGER IF NOT EXISTS customer_search_ai AFTER INSERT ON customer BEGIN {add('new')} END",
        f"CREATE TRIGGER IF NOT EXISTS customer_search_ad AFTER DELETE ON customer BEGIN {remove('old')} END",
        f"CREATE TRIGGER IF NOT EXISTS customer_search_au AFTER UPDATE OF {cols} ON customer BEGIN "
        f"{remove('old')} {add('new')} END",
        "CREATE TRIGGER IF NOT EXISTS plan_search_ai AFTER INSERT ON plan BEGIN "
        "INSERT INTO plan_search(rowid, login) VALUES (new.id, new.login); END",
        "CREATE TRIGGER IF NOT EXISTS plan_search_ad AFTER DELETE ON plan BEGIN "
        "INSERT INTO plan_search(plan_search, rowid, login) VALUES ('delete', old.id, old.login); END",
        "CREATE TRIGGER IF NOT EXISTS plan_search_au AFTER UPDATE OF login ON plan BEGIN "
        "INSERT INTO plan_search(plan_search, rowid, login) VALUES ('delete', old.id, old.login); "
        "INSERT INTO plan_search(rowid, login) VALUES (new.id, new.login); END",
    )


REBUILD_HASH_BYTES = 512 * 1024 * 1024
"""Pending terms a rebuild may hold in memory (FTS5's 'hashsize'); 1M e-mails need about 150 MB."""
DEFAULT_HASH_BYTES = 1024 * 1024


TRIGGER_NAMES = ("customer_search_ai", "customer_search_ad", "customer_search_au",
                 "plan_search_ai", "plan_search_ad", "plan_search_au")


def has_search_index() -> bool:
    if not is_sqlite():
        return False
    return db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'plan_search'").fetchone() is not None


def ensure_btree_indexes() -> None:
    for sql in _B_TREE:
        db.execute_sql(sql)


def create_search_index() -> None:
    """Create the tables, triggers and indexes, and fill the index from the rows there."""
    for sql in _B_TREE:
        db.execute_sql(sql)
    if not is_sqlite():
        return
    for sql in _tables() + _triggers():
        db.execute_sql(sql)
    rebuild()


def rebuild() -> None:
    """Re-read every customer and plan into the full-text index (after a bulk load)."""
    if not has_search_index():
        return
    for sql in _B_TREE:
        db.execute_sql(sql)
    sources = [(table, column, "customer") for column, table in FTS_TABLES.items()]
    sources.append(("plan_search", "login", "plan"))
    for table, column, source in sources:
        # Read in rowid order: FTS5's own 'rebuild' scans the content table
        # through whatever index covers the column (names in name order), and
        # FTS5 writes a segment each time a rowid goes backwards: 5-7x slower.
        # With room for the whole table in memory (FTS5's 'hashsize'), the
        # index is written as one segment, once.
        db.execute_sql(f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', {REBUILD_HASH_BYTES})")
        try:
            db.execute_sql(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
            db.execute_sql(f"INSERT INTO {table}(rowid, {column}) SELECT id, {column} FROM {source} ORDER BY id")
            db.execute_sql(f"INSERT INTO {table}({table}) VALUES ('optimize')")
        finally:
            db.execute_sql(f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', {DEFAULT_HASH_BYTES})")


@contextmanager
def search_index_paused():
    """Drop the triggers for a bulk insert; on the way out recreate them and rebuild.

    Use inside the bulk load's transaction (the index is rebuilt before it commits).
    """
    if not has_search_index():
        yield
        return
    for name in TRIGGER_NAMES:
        db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}"')
    try:
        yield
    finally:
        for sql in _triggers():
            db.execute_sql(sql)
        rebuild()
