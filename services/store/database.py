"""Opening the shared store: the database, its schema, and who is using it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models import DatabaseError, db, is_sqlite, migrations, open_database
from models.db import is_postgresql, sqlite_path
from services.core import config as config_mod
from services.core import paths
from services.core.errors import AtendeError
from services.core.i18n import _


class StoreError(AtendeError):
    pass


class StoreUnavailable(StoreError):
    """The shared database cannot take a save right now (read-only, disk
    full, locked): nothing was saved; other sessions are not affected."""


@dataclass(frozen=True)
class StoreInfo:
    target: str
    schema_version: str
    upgraded: tuple[str, ...]


def open_store(target: str, *, create: bool = True, upgrade: bool = True, make_folder: bool = False) -> StoreInfo:
    """Open the database at `target`, apply pending migrations, or raise
    StoreError with one line for a person."""
    try:
        open_database(target, create=create, make_folder=make_folder)
        migrations.refuse_foreign()  # another program's database: nothing of ours is added to it
        ran = migrations.upgrade() if upgrade else []
        version = migrations.schema_version()
        from models.live import enable_live_counter

        enable_live_counter()
    except DatabaseError as exc:
        raise StoreError(describe(exc)) from None
    except Exception as exc:  # sqlite3/peewee/psycopg errors during the schema check
        from models.db import classify_error

        raise StoreError(describe(classify_error(target, exc))) from None
    return StoreInfo(target=target, schema_version=version, upgraded=tuple(ran))


def describe(exc: DatabaseError) -> str:
    """A one-line, translated message for a database that cannot be used."""
    messages = {
        "is_directory": _("{path} is a directory, not a database file"),
        "missing": _("no database at {path}"),
        "no_folder": _("folder {path} does not exist"),
        "cannot_create_folder": _("cannot create folder {path}: {detail}"),
        "readonly": _("{path} is read-only for you; ask the administrator for write access"),
        "not_a_database": _("{path} is not an Atende database (not an SQLite file)"),
        "cannot_open": _("cannot open {path}: check the folder exists and you may write to it"),
        "locked": _("{path} is locked by another program; try again in a moment"),
        "disk": _("cannot write {path}: {detail}"),
        "full": _("the disk holding {path} is full; ask the administrator to free space"),
        "server": _("cannot connect to {path}: {detail}"),
        "server_denied": _("{path} refused: {detail}; ask the database's administrator for access "
                           "(see the README, PostgreSQL)"),
        "password_in_url": _("{path}: a password may not be written in the database URL or the config; "
                             "use ~/.pgpass, PGPASSWORD or a service file (libpq's own)"),
        "url": _("{path} is not a database URL PostgreSQL understands: {detail}"),
        "no_driver": _("{path} needs the PostgreSQL driver: pip install 'atende[postgresql]'"),
        "foreign": _("{path} is another program's database, not Atende's; nothing was changed in it"),
        "newer": _("this database was upgraded by a newer Atende (schema {detail}); "
                   "install that version or newer to open it"),
        "other": _("cannot use {path}: {detail}"),
    }
    return messages.get(exc.kind, messages["other"]).format(path=exc.path, detail=exc.detail)


def explain(exc: BaseException) -> str | None:
    """A message for a database failure met while working (locked, read-only,
    disk full), or for a disk that filled up (ENOSPC); None when `exc` is
    neither. A rollback that failed after a failed commit ("cannot rollback -
    no transaction is active") is explained by the commit's own error."""
    import sqlite3

    import peewee

    from models.db import classify_sqlite_error, first_failure, is_disk_full

    exc = first_failure(exc)
    if isinstance(exc, OSError):
        if not is_disk_full(exc):
            return None
        return describe(DatabaseError("full", exc.filename or db_label()))
    if not isinstance(exc, (peewee.DatabaseError, sqlite3.Error)):
        return None
    if is_postgresql():
        return explain_server(exc)
    kind = classify_sqlite_error(Path(db_label()), exc)
    if kind.kind == "full":  # SQLite rolled the whole transaction back
        return _("Nothing was saved: {reason}").format(reason=describe(kind))
    return describe(kind)


def explain_server(exc: BaseException) -> str | None:
    """A PostgreSQL failure met while working, for a person: the server gone
    or refusing (one line, with the server's words), or None for a fault of
    ours (a query the server rejects), which is logged as an internal error."""
    import peewee

    text = " ".join(str(exc).split())
    lowered = text.lower()
    if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)) or any(
            marker in lowered for marker in ("connection", "server closed", "terminating", "timeout")):
        return _("the database server cannot be reached: {detail}").format(detail=text[:200])
    if "permission denied" in lowered:
        return _("the database server refused: {detail}").format(detail=text[:200])
    if "read-only" in lowered or "no space" in lowered or "disk full" in lowered:
        return _("Nothing was saved: {reason}").format(reason=text[:200])
    return None


def resolve_target(cli_db: str | None, cfg: config_mod.Config) -> str:
    return config_mod.database_path(cli_db, cfg)


def db_label() -> str:
    return str(db.obj.database) if db.obj is not None and is_sqlite() else _("the shared database")


def _write_failure(exc: BaseException) -> StoreUnavailable:
    """What a person is told when a save meets a store that cannot be written."""
    from models.db import classify_sqlite_error

    reason = describe(classify_sqlite_error(Path(db_label()), exc))
    return StoreUnavailable(_("Nothing was saved: {reason}").format(reason=reason))


def _install_write_hook() -> None:
    import importlib

    importlib.import_module("models.db").write_error_hook = _write_failure  # `models.db` is also the proxy


_install_write_hook()


def newest_ticket_id() -> int:
    """The highest ticket id now (0 when none): a cheap mark of "what existed at start-up"."""
    from models import reading

    with reading():
        return db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM ticket").fetchone()[0]


def files_root() -> Path:
    """The store's files folder, where attachments, certificates, materials and
    outgoing mail are copied: beside the SQLite file; for a PostgreSQL store a
    folder of this host's (one per store), whose files the store itself keeps
    (services.store.blobs)."""
    path = sqlite_path()
    if path is not None:
        return paths.files_dir(path)
    import hashlib

    from models.db import safe_label

    label = safe_label(str(getattr(db.obj, "database", "")))
    return paths.user_data_dir() / "stores" / hashlib.sha256(label.encode("utf-8")).hexdigest()[:16] / "files"
