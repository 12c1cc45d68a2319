"""The files folder on a store whose hosts share no folder (PostgreSQL).

On SQLite the files folder beside the database is the one place every
session reads and writes. On PostgreSQL each host has its own folder (a local
cache, `files_root()`), and the store keeps the bytes: `keep(path)` puts a
file just written under the folder into the store (in the caller's write
transaction, content-addressed: one row per distinct content), and
`local(path)` gives the file on this host, writing it from the store first
when another host made it. Both do nothing on SQLite.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from models import reading, write_tx
from models.db import is_postgresql
from models.files import StoredBlob, StoredFile
from services.core import clock, paths
from services.core.errors import NotFound
from services.core.i18n import _


def shared() -> bool:
    """Whether files are kept in the store (PostgreSQL) rather than in one shared folder."""
    return is_postgresql()


def relative(path: Path) -> str:
    """`path` (under the files folder, or already relative to it) as the store names it."""
    from services.store.database import files_root

    path = Path(path)
    if path.is_absolute():
        path = path.relative_to(files_root())
    return path.as_posix()


def keep(path: Path) -> None:
    """Put the file at `path` (under the files folder) into the store."""
    if not shared():
        return
    from services.store.database import files_root

    name = relative(path)
    data = (files_root() / name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with write_tx():
        (StoredBlob.insert(sha256=digest, size=len(data), data=data)
         .on_conflict_ignore().execute())
        (StoredFile.insert(path=name, sha256=digest, created_at=clock.now())
         .on_conflict(conflict_target=[StoredFile.path], preserve=[StoredFile.sha256, StoredFile.created_at])
         .execute())


def local(path: Path) -> Path:
    """The file at `path` (under the files folder) on this host: on
    PostgreSQL written from the store when it is not here yet. NotFound when
    the store does not have it either."""
    from services.store.database import files_root

    path = Path(path)
    if path.is_absolute() and not path.is_relative_to(files_root()):  # a file of this host's own, elsewhere
        if path.exists():
            return path
        raise NotFound(_("The file {name} is not in the store").format(name=path.name))
    name = relative(path)
    target = files_root() / name
    if not shared() or target.exists():
        return target
    with reading():
        row = (StoredBlob.select(StoredBlob.data).join(StoredFile, on=(StoredFile.sha256 == StoredBlob.sha256))
               .where(StoredFile.path == name).tuples().first())
    if row is None:
        raise NotFound(_("The file {name} is not in the store").format(name=name))
    paths.private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    tmp.write_bytes(bytes(row[0]))
    paths.private_file(tmp)
    os.replace(tmp, target)
    return target


def place(path: Path) -> str:
    """What a row records of a file under the files folder: its place there
    on a store whose hosts share no folder (each host has its own), else its
    path (one folder for all)."""
    return relative(path) if shared() else str(path)


def file(recorded: str) -> Path:
    """The file a row recorded (`place`), on this host: a place is written
    here from the store when another host made it."""
    from services.store.database import files_root

    found = Path(recorded)
    if not found.is_absolute():
        found = files_root() / found
    return local(found)
