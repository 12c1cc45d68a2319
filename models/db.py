"""The database handle, opened late.

Nothing here touches the disk at import time: `open_database()` is called by
the CLI, the App or a test fixture with a concrete path.
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

db = DatabaseProxy()
"""Every model binds to this proxy; `open_database` points it at a real database."""

BUSY_TIMEOUT_MS = 10_000

SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", BUSY_TIMEOUT_MS),
    # FULL makes every commit durable in WAL mode (NORMAL may lose the last
    # transactions on power loss): a protocol read to a customer must exist.
    ("synchronous", "full"),
    ("cache_size", -32_000),
    ("temp_store", "memory"),
)


class DatabaseError(Exception):
    """The database cannot be used; the message is meant for a person."""


def _is_sqlite_url(target: str) -> bool:
    return "://" not in target or target.startswith("sqlite")


def open_database(target: str | os.PathLike, *, create: bool = True, make_folder: bool = False):
    """Point `db` at the SQLite file (or database URL) `target` and connect.

    Raises DatabaseError with a one-line, human message on failure.
    """
    target = os.fspath(target)
    if _is_sqlite_url(target):
        path = Path(target.removeprefix("sqlite:///")) if "://" in target else Path(target)
        path = path.expanduser()
        if path.is_dir():
            raise DatabaseError(f"{path} is a directory, not a database file")
        if not path.exists():
            if not create:
                raise DatabaseError(f"no database at {path}")
            parent = path.parent
            if not parent.exists() and not make_folder:
                raise DatabaseError(f"folder {parent} does not exist")
            if not parent.exists():
                try:
                    parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseError(f"cannot create folder {parent}: {exc.strerror}") from None
        elif not os.access(path, os.R_OK):
            raise DatabaseError(f"cannot read {path}: permission denied")
        database = SqliteDatabase(
            str(path), pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
        )
        db.initialize(database)
        try:
            database.connect(reuse_if_open=True)
            database.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
        except Exception as exc:  # peewee wraps sqlite3 errors in its own types
            raise DatabaseError(describe_sqlite_error(path, exc)) from None
        return database
    from playhouse.db_url import connect  # PostgreSQL and friends

    try:
        database = connect(target)
        db.initialize(database)
        database.connect(reuse_if_open=True)
    except Exception as exc:
        raise DatabaseError(f"cannot connect to {target.split('@')[-1]}: {exc}") from None
    return database


def describe_sqlite_error(path: Path, exc: BaseException) -> str:
    text = str(exc)
    if "file is not a database" in text or "file is encrypted" in text:
        return f"{path} is not an Atende database (not an SQLite file)"
    if "unable to open" in text:
        return f"cannot open {path}: check the folder exists and you may write to it"
    if "locked" in text or "busy" in text:
        return f"{path} is locked by another program; try again in a moment"
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only for you; ask the administrator for write access"
    if "disk" in text and ("full" in text or "I/O" in text):
        return f"cannot write {path}: {text}"
    return f"cannot use {path}: {text}"


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


@contextmanager
def _connection():
    """This thread's connection for the block: opened (and closed after) only
    when the thread had none, so a long-lived thread keeps its connection and
    a short-lived worker thread closes what it opened."""
    if db.is_closed():
        with db.connection_context():
            yield
    else:
        yield


@contextmanager
def write_tx():
    """A write transaction on this thread's connection, taking the write lock at once.

    SQLite's deferred transactions fail with "database is locked" when two
    readers both try to upgrade; `BEGIN IMMEDIATE` waits on the busy timeout
    instead. Other databases get a plain transaction. Nested calls become
    savepoints.
    """
    with _connection():
        if db.in_transaction() or not is_sqlite():
            with db.atomic():
                yield
        else:
            with db.atomic("IMMEDIATE"):
                yield


@contextmanager
def read_tx():
    """One connection and one consistent snapshot for several queries."""
    with _connection():
        with db.atomic():
            yield


def reading():
    """A connection for this thread for the duration of the block (Textual
    workers run on short-lived threads; each must close what it opens)."""
    return _connection()


def close_database() -> None:
    if db.obj is not None and not db.obj.is_closed():
        db.obj.close()


def sqlite_path() -> Path | None:
    if is_sqlite():
        return Path(db.obj.database)
    return None


SQLITE_ERRORS = (sqlite3.Error,)
