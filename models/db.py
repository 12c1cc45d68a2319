"""The database handle, opened late.

Nothing here touches the disk at import time: `open_database()` is called by
the CLI, the App or a test fixture with a concrete path.
"""
from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import DatabaseProxy, SqliteDatabase

db = DatabaseProxy()
"""Every model binds to this proxy; `open_database` points it at a real database."""

BUSY_TIMEOUT_MS = 10_000
FILE_MODE = 0o666
"""A new database file, less the umask (Atende sets 0o007: the owner's and the
group's, see services.core.paths). SQLite's own default leaves the group read-only."""

def sqlite_pragmas() -> tuple:
    return (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", busy_timeout_ms()),
    # FULL makes every commit durable in WAL mode (NORMAL may lose the last
    # transactions on power loss): a protocol read to a customer must exist.
    ("synchronous", "full"),
    ("cache_size", -32_000),
    ("temp_store", "memory"),
    )


class DatabaseError(Exception):
    """The database cannot be used.

    `kind` names the reason (translated for people by services.store.database);
    `path` and `detail` fill the message.
    """

    def __init__(self, kind: str, path: object = "", detail: str = ""):
        self.kind, self.path, self.detail = kind, str(path), detail
        super().__init__(f"{kind}: {path} {detail}".strip())


def busy_timeout_ms() -> int:
    """How long a writer waits for the lock (ATENDE_BUSY_TIMEOUT_MS overrides)."""
    try:
        return max(0, int(os.environ.get("ATENDE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)))
    except ValueError:
        return BUSY_TIMEOUT_MS


def _current_umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


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
            raise DatabaseError("is_directory", path)
        if not path.exists():
            if not create:
                raise DatabaseError("missing", path)
            parent = path.parent
            if not parent.exists() and not make_folder:
                raise DatabaseError("no_folder", parent)
            if not parent.exists():
                try:
                    parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseError("cannot_create_folder", parent, exc.strerror) from None
        elif not os.access(path, os.R_OK):
            raise DatabaseError("readonly", path)
        new_file = not path.exists()
        database = SqliteDatabase(
            str(path), pragmas=sqlite_pragmas(), timeout=busy_timeout_ms() / 1000,
            check_same_thread=False,
        )
        db.initialize(database)
        try:
            database.connect(reuse_if_open=True)
            database.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
        except Exception as exc:  # peewee wraps sqlite3 errors in its own types
            raise classify_sqlite_error(path, exc) from None
        if new_file:
            # SQLite creates files 0644 (less the umask): the group must write
            # too, and its -wal/-shm files copy this mode.
            # The -wal/-shm files were made with the old mode: they follow too
            # (later ones copy the database file's mode).
            mode = FILE_MODE & ~_current_umask()
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.chmod(f"{path}{suffix}", mode)
                except OSError:
                    pass
        return database
    return open_postgresql(target)


POOL_CONNECTIONS = 20
"""Connections a process keeps open to a PostgreSQL server, handed to its
threads in turn (a new connection costs ~10 ms: a worker thread per search
or save would pay it each time)."""


def server_settings(target: str) -> dict[str, str]:
    """libpq's reading of a PostgreSQL URL or conninfo string: its keywords
    (host, port, dbname, user, password, service...). DatabaseError("url")
    when libpq cannot read it."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {k: str(v) for k, v in conninfo_to_dict(target).items()}
    except Exception as exc:  # psycopg.ProgrammingError: not a conninfo libpq understands
        raise DatabaseError("url", safe_label(target), str(exc).splitlines()[0] if str(exc) else "") from None


def safe_label(target: str) -> str:
    """`target` as it may be shown or logged: never its password. A URL is
    rebuilt from its parts (user@host:port/dbname); anything unreadable is
    shown as "the PostgreSQL server"."""
    if _is_sqlite_url(target):
        return target
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(target)
    except Exception:  # noqa: BLE001 - unreadable: say nothing of it
        return "postgresql://"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = str(parts.get("host", ""))
    port = f":{parts['port']}" if parts.get("port") else ""
    service = f"?service={parts['service']}" if parts.get("service") else ""
    if host.startswith("/"):
        return f"postgresql://{user}{port and 'localhost' + port}/{parts.get('dbname', '')}?host={host}"
    return f"postgresql://{user}{host}{port}/{parts.get('dbname', '')}{service}"


def open_postgresql(target: str):
    """Point `db` at the PostgreSQL database `target` (a libpq URL or
    conninfo) through a small pool of connections, and connect. Who connects
    and with what secret is libpq's business (PGUSER, PGPASSWORD, ~/.pgpass,
    service files, peer authentication): a password written into the URL is
    refused."""
    settings = server_settings(target)
    if settings.get("password"):
        raise DatabaseError("password_in_url", safe_label(target))
    try:
        from playhouse.pool import PooledPostgresqlDatabase
    except ImportError as exc:  # pragma: no cover - peewee always has it
        raise DatabaseError("server", safe_label(target), str(exc)) from None
    try:
        import psycopg  # noqa: F401 - the driver peewee uses
    except ImportError:
        raise DatabaseError("no_driver", safe_label(target)) from None
    url = "postgresql://" + target.split("://", 1)[1] if target.startswith(("postgresql://", "postgres://")) \
        else _as_url(settings)
    database = PooledPostgresqlDatabase(
        url,
        max_connections=POOL_CONNECTIONS, stale_timeout=300, timeout=busy_timeout_ms() / 1000,
        connect_timeout=10, application_name="atende")
    database.atende_label = safe_label(target)
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
        database.execute_sql("SELECT 1").fetchone()
    except Exception as exc:
        database.close()
        raise DatabaseError("server", database.atende_label, one_line(exc)) from None
    return database


def _as_url(settings: dict[str, str]) -> str:
    """A postgresql:// URL with the same keywords (peewee hands a URL to psycopg as is)."""
    from urllib.parse import quote, urlencode

    query = urlencode(settings, quote_via=quote)
    return f"postgresql:///?{query}" if query else "postgresql://"


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (psycopg's are several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def execute(query: str, params=()):
    """Run a raw statement written with `?` placeholders on either store
    (psycopg's are `%s`): for the few statements a backend feature or a
    measured plan needs; everything else goes through the models."""
    if is_postgresql():
        query = query.replace("?", "%s")
    return db.execute_sql(query, params)


@contextmanager
def gin_only():
    """PostgreSQL: the statements of the block read through bitmap scans only
    (a GIN index's matches), never walking an index in order or the table:
    for a search the planner cannot tell is rare. In a transaction of its own
    (a savepoint inside one), the settings put back at its end."""
    with db.atomic():
        db.execute_sql("SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off")
        try:
            yield
        finally:
            db.execute_sql("SET LOCAL enable_indexscan = DEFAULT; SET LOCAL enable_seqscan = DEFAULT")


def greatest(*values):
    """The largest of `values` in a query (SQLite's MAX of several, PostgreSQL's GREATEST)."""
    from peewee import fn

    return fn.MAX(*values) if is_sqlite() else fn.GREATEST(*values)


def is_postgresql() -> bool:
    return db.obj is not None and not isinstance(db.obj, SqliteDatabase)


SECONDARY_FAILURES = ("no transaction is active", "no such savepoint")
"""What a rollback says when SQLite had already rolled the transaction back
itself (a commit or a write that met a full disk): not the cause."""

NEARLY_FULL_BYTES = 1024 * 1024
"""Below this much free space, an I/O error of SQLite's is the disk being full
(growing the -wal/-shm files fails as "disk I/O error", not SQLITE_FULL)."""


def first_failure(exc: BaseException) -> BaseException:
    """The error that failed a transaction. When SQLite rolls a transaction
    back by itself (the disk filled up during a write or at the commit), the
    rollback peewee tries next fails with "cannot rollback - no transaction is
    active", which hides the cause it was raised while handling."""
    seen = 0
    while seen < 10 and any(m in str(exc) for m in SECONDARY_FAILURES) \
            and isinstance(exc.__context__, (sqlite3.Error, PeeweeDatabaseError, OSError)):
        exc, seen = exc.__context__, seen + 1
    return exc


def disk_nearly_full(path: Path) -> bool:
    """Whether the file system holding `path` (a file or a folder) has almost
    no room left for this process."""
    folder = path if path.is_dir() else path.parent
    try:
        st = os.statvfs(folder)
    except (OSError, ValueError):
        return False
    free = (st.f_bfree if os.geteuid() == 0 else st.f_bavail) * st.f_frsize
    return free < NEARLY_FULL_BYTES


def is_disk_full(exc: BaseException, path: Path | None = None) -> bool:
    """SQLITE_FULL ("database or disk is full"), ENOSPC/EDQUOT, or an I/O
    error on a file system with no room left."""
    exc = first_failure(exc)
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    text = str(exc).lower()
    if "disk is full" in text or getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL":
        return True
    return path is not None and "disk i/o error" in text and disk_nearly_full(path)


def classify_sqlite_error(path: Path, exc: BaseException) -> DatabaseError:
    exc = first_failure(exc)
    if is_disk_full(exc, path):
        return DatabaseError("full", path, str(exc))
    text = str(exc)
    if "file is not a database" in text or "file is encrypted" in text:
        return DatabaseError("not_a_database", path)
    if "unable to open" in text:
        return DatabaseError("cannot_open", path)
    if "locked" in text or "busy" in text:
        return DatabaseError("locked", path)
    if "readonly" in text or "read-only" in text:
        return DatabaseError("readonly", path)
    if "full" in text:
        return DatabaseError("full", path, text)
    if "disk" in text and "I/O" in text:
        return DatabaseError("disk", path, text)
    return DatabaseError("other", path, text)


def classify_error(target: str, exc: BaseException) -> DatabaseError:
    """What kind of failure `exc` is, met on the store `target` (its path, or
    its URL: shown without a password)."""
    if _is_sqlite_url(target):
        return classify_sqlite_error(Path(target.removeprefix("sqlite:///")), exc)
    label = safe_label(target)
    text = one_line(first_failure(exc))
    if "permission denied" in text.lower():
        return DatabaseError("server_denied", label, text)
    if "could not connect" in text.lower() or "connection" in text.lower() and "failed" in text.lower():
        return DatabaseError("server", label, text)
    return DatabaseError("other", label, text)


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


@contextmanager
def _connected():
    """This thread's connection for the block. A connection that was already
    open (the main thread's) stays open; one opened here (a worker thread's)
    is closed at the end, so short-lived threads leave nothing behind."""
    if db.is_closed():
        db.connect()
        try:
            yield
        finally:
            if not db.in_transaction():
                db.close()
    else:
        yield


WRITE_ERRORS = ("readonly", "read-only", "disk is full", "database or disk is full", "disk i/o error",
                "database is locked", "unable to open database")
"""Failures of the store itself (not of the data) that a person must be told about clearly."""

write_error_hook = None
"""Set by services.store.database: turns a store failure met in `write_tx` into an
error with a message for a person (models know no messages). Called with the
exception; returns the exception to raise instead, or None."""


def _store_failure(exc: BaseException) -> BaseException | None:
    if write_error_hook is None:
        return None
    if is_disk_full(exc, sqlite_path()):
        return write_error_hook(exc)
    if isinstance(exc, OSError) or not any(marker in str(exc).lower() for marker in WRITE_ERRORS):
        return None  # another file's trouble, or the data's: it stays what it is
    return write_error_hook(exc)


LIVE_TABLE = "live_change"
"""One counter per topic ("data", "presence"), bumped by every top-level
write transaction: sessions watching for changes (services.store.live) read it
after SQLite's `PRAGMA data_version` moved, to tell real work from
presence heartbeats."""


LIVE_CHANNEL = "atende_live"
"""PostgreSQL: the channel a write transaction notifies (the topic as payload), delivered at its commit."""


def _bump_live(topic: str | None) -> None:
    if topic is None or not getattr(db.obj, "atende_live", False):
        return
    db.execute_sql(f"UPDATE {LIVE_TABLE} SET n = n + 1 WHERE topic = ?", (topic,))


def _take_turn_on_server(live: str | None) -> None:
    """PostgreSQL, first thing in a top-level write transaction: wait for the
    writers' turn (WRITE_LOCK_KEY) and bump the live counter of topic `live`
    with its notification, in one round trip (the turn is held until the
    commit, so every statement while holding it counts)."""
    statements = [f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"]
    if live is not None and getattr(db.obj, "atende_live", False):
        if not live.isidentifier():  # a topic is one of ours (models.live.TOPICS), never user text
            raise ValueError(f"bad live topic {live!r}")
        statements += [f"UPDATE {LIVE_TABLE} SET n = n + 1 WHERE topic = '{live}'",
                       f"SELECT pg_notify('{LIVE_CHANNEL}', '{live}')"]
    db.execute_sql("; ".join(statements))


WRITE_LOCK_KEY = 0x61746E64  # "atnd"
"""PostgreSQL: the advisory lock every top-level write transaction takes
first, so writers of one store take turns as they do on SQLite (BEGIN
IMMEDIATE): a decision read inside a write (the last seat, the next protocol,
a free slot, a version) cannot be made by two at once. Readers never wait."""


_turn_file: tuple[tuple[int, str], int | None] | None = None
"""((process id, database path), its lock file's descriptor or None): one
open at a time, so a process that opens database after database (the tests)
holds one descriptor, not one for each."""
_turn_thread_lock = threading.RLock()  # flock excludes processes; threads of one process queue here


def _turn_fd() -> int | None:
    """The lock file beside the SQLite database (`<db>.writelock`), opened
    once per process and database (a forked child opens its own: flock
    belongs to the open file, so parent and child would not exclude each
    other)."""
    global _turn_file
    path = sqlite_path()
    if path is None:
        return None
    key = (os.getpid(), str(path))
    if _turn_file is None or _turn_file[0] != key:
        try:
            fd = os.open(f"{path}.writelock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
        except OSError:
            fd = None  # a read-only folder: the busy timeout alone still keeps it correct
        previous, _turn_file = _turn_file, (key, fd)
        if previous is not None and previous[1] is not None and previous[0][0] == key[0]:
            os.close(previous[1])  # another database's, no longer in use here
    return _turn_file[1]


@contextmanager
def _write_turn():
    """Writers of one SQLite database take turns through a lock file, so busy
    sessions never poll. SQLite lets one writer in at a time; the others wait
    in its busy handler, which sleeps 1, 2, 5, 10... ms between tries: with
    eight agents saving at once most of the time goes to sleeping, and the
    unlucky ones wait for hundreds of ms (bench/protocol.py: p99 of a finish
    336 ms without the turn, 60 ms with it). A `flock` on a file beside the
    database queues them in the kernel instead, which wakes the next one the
    moment the lock is released (and frees it if a process dies). The
    transaction itself is still `BEGIN IMMEDIATE` with the busy timeout, so
    writers that do not take a turn (another program) stay correct.

    A thread of this process waits for another's turn at most the busy
    timeout, then goes on without one (SQLite's busy timeout decides, as for
    any writer): a thread holding its turn while it waits for this one never
    hangs both."""
    if not _turn_thread_lock.acquire(timeout=busy_timeout_ms() / 1000):
        yield
        return
    try:
        fd = _turn_fd()
        if fd is None:
            yield
            return
        # Blocking, in the kernel's queue: polling with LOCK_NB (bounded) was measured unfair,
        # finish p99 85-121 ms against 45-47 ms blocking (bench/protocol.py, 8 processes).
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        _turn_thread_lock.release()


@contextmanager
def write_tx(live: str | None = "data"):
    """A write transaction on this thread's connection, taking the write lock at once.

    SQLite's deferred transactions fail with "database is locked" when two
    readers both try to upgrade; `BEGIN IMMEDIATE` waits on the busy timeout
    instead, entered in turn with the other writers of the database
    (`_write_turn`). Other databases get a plain transaction. Nested calls
    become savepoints. A top-level transaction bumps the change counter of
    topic `live` (None: none) so other sessions' open lists refresh.

    A store that cannot be written (read-only folder or file, disk full, lock
    held too long) rolls the transaction back and raises the error
    `write_error_hook` gives (services.store.database: a StoreUnavailable saying what
    happened and that nothing was saved). A failed rollback after a failed
    commit (SQLite already rolled back) never hides the commit's own error.
    """
    outermost = not db.in_transaction()
    try:
        with _connected():
            if not outermost:
                with db.atomic():
                    yield
            elif is_sqlite():
                with _write_turn(), db.atomic("IMMEDIATE"):
                    _bump_live(live)
                    yield
            else:
                with db.atomic():
                    _take_turn_on_server(live)
                    yield
    except (sqlite3.Error, PeeweeDatabaseError, OSError) as exc:
        cause = first_failure(exc)  # not the "cannot rollback" that followed it
        replacement = _store_failure(cause) if outermost else None
        if replacement is not None:
            raise replacement from cause
        if cause is not exc:
            raise cause.with_traceback(cause.__traceback__) from None
        raise


@contextmanager
def read_tx():
    """One connection and one consistent snapshot for several queries (on
    PostgreSQL a read-only, repeatable-read transaction; nested in a write,
    the write's own)."""
    with _connected():
        if is_sqlite() or db.in_transaction():
            with db.atomic():
                yield
        else:
            with db.atomic("REPEATABLE READ READ ONLY"):
                yield


def reading():
    """A connection for this thread for the duration of the block."""
    return _connected()


def close_database() -> None:
    """Close this thread's connection (and, for PostgreSQL, every pooled one)."""
    if db.obj is None:
        return
    if not db.obj.is_closed():
        db.obj.close()
    close_all = getattr(db.obj, "close_all", None)
    if close_all is not None:
        close_all()


def sqlite_path() -> Path | None:
    if is_sqlite():
        return Path(db.obj.database)
    return None


SQLITE_ERRORS = (sqlite3.Error,)


def column_names(table: str) -> set[str]:
    return {c.name for c in db.get_columns(table)}


def add_column(table: str, name: str, ddl: str) -> None:
    """Add column `name` of `table`, declared by `ddl` (e.g. "VARCHAR(40) NOT
    NULL DEFAULT ''"), unless it is there: a plain ADD COLUMN on both stores.
    (playhouse's SQLite migrator rebuilds the table instead, which the
    foreign keys of rows pointing at it refuse.)"""
    if name not in column_names(table):
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {ddl}')
