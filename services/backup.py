"""Online backup of the SQLite database: safe while others keep writing."""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from models import db, is_sqlite

from . import clock
from .errors import AtendeError, ValidationError
from .i18n import _
from .permissions import Actor, require


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int


def backup(actor: Actor, dest: Path, force: bool = False) -> BackupResult:
    require(actor, "backup.run")
    if not is_sqlite():
        raise AtendeError(_("backup works on SQLite databases; use your database server's tools"))
    source = Path(db.obj.database)
    dest = Path(dest).expanduser()
    if dest.is_dir():
        dest = dest / f"atende-{clock.now():%Y%m%d-%H%M%S}.db"
    if not dest.parent.is_dir():
        raise ValidationError(_("folder {path} does not exist").format(path=dest.parent), "dest")
    if dest.resolve() == source.resolve():
        raise ValidationError(_("the backup cannot overwrite the database itself"), "dest")
    if dest.exists() and not force:
        raise ValidationError(_("{path} exists; use --force to overwrite it").format(path=dest), "dest")
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        try:
            out = sqlite3.connect(tmp)
            try:
                # Copies in steps, so writers are blocked only for a moment each.
                src.backup(out, pages=2048)
                check = out.execute("PRAGMA integrity_check").fetchone()[0]
                out.execute("PRAGMA journal_mode=DELETE")
            finally:
                out.close()
        finally:
            src.close()
        if check != "ok":
            raise AtendeError(_("the copy failed its integrity check: {detail}").format(detail=check))
        os.chmod(tmp, 0o640)  # the group's, like the database itself
        os.replace(tmp, dest)
    except sqlite3.Error as exc:
        raise AtendeError(_("backup failed: {reason}").format(reason=exc)) from None
    except OSError as exc:
        raise AtendeError(_("cannot write {path}: {reason}").format(path=dest, reason=exc.strerror)) from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return BackupResult(dest, dest.stat().st_size)
