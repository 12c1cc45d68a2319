"""Opening the shared store: the database, its schema, and who is using it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models import DatabaseError, db, is_sqlite, migrations, open_database

from . import config as config_mod
from .errors import AtendeError
from .i18n import _


class StoreError(AtendeError):
    pass


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
        ran = migrations.upgrade() if upgrade else []
        version = migrations.schema_version()
    except DatabaseError as exc:
        raise StoreError(str(exc)) from None
    except Exception as exc:  # sqlite3/peewee errors during the schema check
        from models.db import describe_sqlite_error

        raise StoreError(describe_sqlite_error(Path(target), exc)) from None
    return StoreInfo(target=target, schema_version=version, upgraded=tuple(ran))


def resolve_target(cli_db: str | None, cfg: config_mod.Config) -> str:
    return config_mod.database_path(cli_db, cfg)


def db_label() -> str:
    return str(db.obj.database) if db.obj is not None and is_sqlite() else _("the shared database")
