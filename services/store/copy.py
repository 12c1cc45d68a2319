"""`atende store copy SOURCE TARGET`: a whole store moved from SQLite to
PostgreSQL (or back), files included.

The target must be empty (nobody has used it: no person, ticket, customer or
event; a new file or a new database is). Its schema is made by the same
migrations as any store; then, in ONE write transaction, the rows the
migrations seeded are cleared and every table's rows are copied in foreign-key
order, in batches, with their ids; PostgreSQL's id sequences are moved past
them. The files go along: from an SQLite store's folder into a PostgreSQL
store's table (services.store.blobs), or from that table into the folder
beside the SQLite target. At the end the row count of every table is compared.
Any failure rolls the transaction back (the target holds no rows, its new
files folder is removed) and says why in one line.

The source is only read, and must be at this version's schema (start Atende
on it once to upgrade it first).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from peewee import AutoField, Model, sort_models

from services.core.errors import AtendeError, Conflict
from services.core.i18n import _
from services.core.permissions import Actor, require


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int


@dataclass(frozen=True)
class CopyReport:
    tables: tuple[TableCount, ...]
    files: int
    file_bytes: int

    @property
    def matches(self) -> bool:
        return all(t.source == t.target for t in self.tables)


Progress = Callable[[str, int, int], None]
"""progress(table, rows copied so far in all, rows in all)."""


def all_models() -> list[type[Model]]:
    """Every table of the store, parents before children."""
    from models.calls import CALL_MODELS
    from models.canned import CANNED_MODELS
    from models.contactus import CONTACTUS_MODELS, WEB_ACCOUNT_MODELS
    from models.core import CORE_MODELS
    from models.desk import DESK_MODELS, MAIL_IN_MODELS, SURVEY_MODELS
    from models.events import EVENT_MODELS
    from models.files import FILE_MODELS
    from models.live import LIVE_MODELS
    from models.mail import MAIL_MODELS
    from models.scheduling import SCHEDULING_MODELS
    from models.wizard import WIZARD_MODELS

    return sort_models([*CORE_MODELS, *WIZARD_MODELS, *DESK_MODELS, *MAIL_IN_MODELS, *CONTACTUS_MODELS,
                        *WEB_ACCOUNT_MODELS, *EVENT_MODELS, *MAIL_MODELS, *SCHEDULING_MODELS, *LIVE_MODELS,
                        *FILE_MODELS, *SURVEY_MODELS, *CALL_MODELS, *CANNED_MODELS])


USED_IF_ANY = ("user", "ticket", "customer", "event")
"""A store with a row in any of these has been used: never a copy's target."""


def copy_store(actor: Actor, source: str, target: str, progress: Progress | None = None) -> CopyReport:
    """Copy the store `source` (path or URL, already opened by the caller as
    `actor`'s) into the empty store `target`. Leaves `target` open."""
    import models
    from models import db, migrations
    from services.store.database import StoreError, files_root, open_store

    require(actor, "store.copy")
    if _same(source, target):
        raise Conflict(_("The source and the target are the same store"))
    if migrations.pending():
        raise StoreError(_("the source store needs upgrading first: start Atende on it once"))
    tables = all_models()
    src = db.obj
    source_files = files_root()
    source_counts = {m._meta.table_name: m.select().count() for m in tables}
    source_blobs = _source_files(source_files) if models.is_sqlite() else None
    open_store(target, make_folder=True)  # the proxy now points at the target: the writes go there
    dst = db.obj
    if models.is_sqlite():  # an SQLite store keeps its files in its folder, not in rows
        from models.files import FILE_MODELS

        tables = [t for t in tables if t not in FILE_MODELS]
    try:
        used = [t for t in tables if t._meta.table_name in USED_IF_ANY and t.select().exists()]
        if used:
            raise Conflict(_("{target} is not empty (it has {table} rows): a store is copied only into an empty "
                             "one").format(target=_label(target), table=used[0]._meta.table_name))
        target_files = files_root()
        made_folder = not target_files.exists()
        try:
            written = _copy(tables, src, dst, source_counts, source_blobs, target_files, progress, source_files)
        except BaseException:
            if made_folder:
                shutil.rmtree(target_files, ignore_errors=True)
            raise
    except AtendeError:
        raise
    except Exception as exc:  # the target's own trouble (types, constraints, the server): said in one line
        from services.core.logs import logger

        logger().error("store copy to %s failed", _label(target), exc_info=(type(exc), exc, exc.__traceback__))
        raise StoreError(_("Nothing was copied: {reason}").format(reason=" ".join(str(exc).split())[:300])) from None
    files, size, contents = written
    if source_blobs is not None and not models.is_sqlite():  # the folder's files became these rows
        source_counts.update(stored_file=files, stored_blob=contents)
    counts = tuple(TableCount(t._meta.table_name, source_counts[t._meta.table_name], t.select().count())
                   for t in tables)
    return CopyReport(counts, files, size)


def _copy(tables, src, dst, counts: dict[str, int], source_blobs, target_files: Path,
          progress: Progress | None, source_root: Path) -> tuple[int, int, int]:
    """Copy the rows and files; (files, their bytes, distinct contents)."""
    from models import write_tx
    from models.db import is_postgresql
    from models.files import StoredBlob, StoredFile

    total = sum(counts.values())
    done = 0
    with write_tx(live=None):
        for model in reversed(tables):  # what the migrations seeded (types, topics, counters) goes first
            model.delete().execute()
        for model in tables:
            fields = model._meta.sorted_fields
            batch = max(1, 30_000 // len(fields))  # under both stores' limits on parameters per statement
            key = model._meta.primary_key
            last = None
            while True:
                with src.bind_ctx([model]):
                    query = model.select(*fields).order_by(key).limit(batch)
                    if last is not None:
                        query = query.where(key > last)
                    rows = list(query.tuples())
                if not rows:
                    break
                model.insert_many(rows, fields).execute()
                last = rows[-1][fields.index(key)]
                done += len(rows)
                if progress is not None:
                    progress(model._meta.table_name, done, total)
        _record_places(source_root)  # rows name their files by their place under the files folder, on any host
        if is_postgresql():
            for model in tables:
                if isinstance(model._meta.primary_key, AutoField):
                    _move_sequence(model)
        files = size = 0
        digests = set()
        if source_blobs is not None and is_postgresql():  # SQLite's folder into the server's table
            for name, path in source_blobs:
                data = path.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
                digests.add(digest)
                StoredBlob.insert(sha256=digest, size=len(data), data=data).on_conflict_ignore().execute()
                StoredFile.insert(path=name, sha256=digest, created_at=_now()).on_conflict_ignore().execute()
                files, size = files + 1, size + len(data)
        elif source_blobs is None and not is_postgresql():  # the server's table into the SQLite folder
            with src.bind_ctx([StoredFile, StoredBlob]):
                names = [n for (n,) in StoredFile.select(StoredFile.path).order_by(StoredFile.path).tuples()]
            for name in names:
                with src.bind_ctx([StoredFile, StoredBlob]):
                    data = bytes(StoredBlob.select(StoredBlob.data)
                                 .join(StoredFile, on=(StoredFile.sha256 == StoredBlob.sha256))
                                 .where(StoredFile.path == name).scalar())
                _write_file(target_files, name, data)
                files, size = files + 1, size + len(data)
    return files, size, len(digests)


def _record_places(source_root: Path) -> None:
    """Rows that recorded a file by its path under the source's files folder
    (an SQLite store's outgoing mail, materials, certificates) record its place
    there instead, which every host of the target resolves in its own folder."""
    import json

    from models.events import EventMaterial
    from models.mail import Certificate, Outbox

    def place(recorded: str) -> str:
        path = Path(recorded)
        if path.is_absolute() and path.is_relative_to(source_root):
            return path.relative_to(source_root).as_posix()
        return recorded

    for row in Outbox.select(Outbox.id, Outbox.attachments).where(Outbox.attachments.contains("/")).iterator():
        files = json.loads(row.attachments or "[]")
        moved = [{**f, "path": place(f.get("path", ""))} for f in files]
        if moved != files:
            Outbox.update(attachments=json.dumps(moved, ensure_ascii=False)).where(Outbox.id == row.id).execute()
    for model, column in ((EventMaterial, EventMaterial.stored_path), (Certificate, Certificate.path)):
        for key, recorded in model.select(model._meta.primary_key, column).tuples().iterator():
            if recorded and place(recorded) != recorded:
                model.update({column: place(recorded)}).where(model._meta.primary_key == key).execute()


def _move_sequence(model) -> None:
    from models import db

    table, column = model._meta.table_name, model._meta.primary_key.column_name
    db.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                   f"COALESCE(MAX(\"{column}\"), 1), MAX(\"{column}\") IS NOT NULL) FROM \"{table}\"")


def _source_files(root: Path) -> list[tuple[str, Path]]:
    """Every regular file under an SQLite store's files folder, by its name there."""
    found = []
    if root.is_dir():
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                if path.is_file() and not path.is_symlink() and not name.endswith(".part"):
                    found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def _write_file(root: Path, name: str, data: bytes) -> None:
    from services.core import paths

    target = (root / name).resolve()
    if root.resolve() not in target.parents:  # a name from the store never leaves the folder
        raise AtendeError(_("A stored file has a name outside the files folder: {name}").format(name=name))
    paths.private_dir(target.parent)
    target.write_bytes(data)
    paths.private_file(target)


def _now():
    from services.core import clock

    return clock.now()


def _same(source: str, target: str) -> bool:
    if "://" in source or "://" in target:
        return source == target
    try:
        return Path(source).resolve() == Path(target).resolve()
    except OSError:
        return False


def _label(target: str) -> str:
    from models.db import safe_label

    return safe_label(target)
