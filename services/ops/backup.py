"""Online backup of the store, safe while others keep writing: SQLite's own
backup into a file read back to hold the same tables and rows; a PostgreSQL
store through `pg_dump` (one snapshot, custom format, restored with
`pg_restore`), checked to list every table's data."""
from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from models import db, is_sqlite
from models.db import one_line
from services.core import clock
from services.core.errors import AtendeError, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int


STORE_FILES = ("-wal", "-shm", "-journal", ".writelock")
"""The files SQLite and Atende keep beside the database: never a backup's target."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or os.path.samefile(a, b)
    except (OSError, ValueError, RuntimeError):
        return False


def _census(con: sqlite3.Connection) -> dict[str, int]:
    """Every table of the database and its number of rows."""
    names = [row[0] for row in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: con.execute(f'SELECT count(*) FROM "{name.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
            for name in names}


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass
        except OSError:
            pass  # nothing more can be done; the next backup uses another name


def _target(dest: Path, source: Path | None, force: bool) -> Path:
    """The file the backup goes to, or a ValidationError saying why not
    (`source`: the SQLite file, None for a server's store)."""
    if dest.is_dir():
        dest = dest / f"atende-{clock.now():%Y%m%d-%H%M%S}.{'db' if source else 'dump'}"
    if not dest.parent.is_dir():
        raise ValidationError(_("folder {path} does not exist").format(path=dest.parent), "dest")
    if source is not None and _same_file(dest, source):
        raise ValidationError(_("the backup cannot overwrite the database itself"), "dest")
    if source is not None and any(_same_file(dest, Path(f"{source}{suffix}")) for suffix in STORE_FILES):
        raise ValidationError(_("{path} is one of the database's own files; choose another name for the backup")
                              .format(path=dest), "dest")
    if dest.is_dir():
        raise ValidationError(_("{path} is a directory; choose a file name for the backup").format(path=dest), "dest")
    if dest.exists() or dest.is_symlink():
        if not dest.is_file():  # a device (/dev/null), a pipe, a socket, a broken link: never replaced by a file
            raise ValidationError(_("{path} is not a regular file; choose a file name for the backup").format(
                path=dest), "dest")
        if not force:
            raise ValidationError(_("{path} exists; use --force to overwrite it").format(path=dest), "dest")
    return dest


def backup(actor: Actor, dest: Path, force: bool = False) -> BackupResult:
    require(actor, "backup.run")
    source = Path(db.obj.database).resolve() if is_sqlite() else None
    try:
        dest = _target(Path(dest).expanduser(), source, force)
    except (OSError, RuntimeError) as exc:  # a name too long, a loop of links, ~nobody
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ValidationError(_("cannot write {path}: {reason}").format(path=dest, reason=reason), "dest") from None
    if source is None:
        return _dump(dest)
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
        os.close(fd)
        tmp = Path(name)
        # The source by a URI whose path is quoted: a '?', '#' or '%' in it is
        # part of the name, not a query (which would open another, empty, file).
        src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True, timeout=30, isolation_level=None)
        try:
            src.execute("BEGIN")  # one snapshot: the rows counted are the rows copied
            expected = _census(src)
            out = sqlite3.connect(tmp, isolation_level=None)
            try:
                # Copies in steps, so writers are blocked only for a moment each.
                src.backup(out, pages=2048)
                check = out.execute("PRAGMA integrity_check").fetchone()[0]
                got = _census(out) if check == "ok" else {}
                out.execute("PRAGMA journal_mode=DELETE")
            finally:
                out.close()
            src.execute("COMMIT")
        finally:
            src.close()
        if check != "ok":
            raise AtendeError(_("the copy failed its integrity check: {detail}").format(detail=check))
        if "schema_migration" not in expected:
            raise AtendeError(_("{path} holds no Atende data; nothing was copied").format(path=source))
        if got != expected:
            raise AtendeError(_("the copy does not hold the same tables and rows as the database; "
                                "nothing was written"))
        os.chmod(tmp, 0o640)  # the group's, like the database itself
        os.replace(tmp, dest)
        tmp = None
        size = dest.stat().st_size
    except (sqlite3.Error, OSError) as exc:
        from models.db import is_disk_full

        if is_disk_full(exc, dest.parent):
            raise AtendeError(_("the disk holding {path} is full; nothing was written").format(path=dest)) from None
        if isinstance(exc, sqlite3.Error):
            raise AtendeError(_("backup failed: {reason}").format(reason=exc)) from None
        raise AtendeError(_("cannot write {path}: {reason}").format(
            path=dest, reason=exc.strerror or exc)) from None
    finally:
        if tmp is not None:
            _remove(tmp)
    return BackupResult(dest, size)


def server_tool(name: str) -> str | None:
    """A PostgreSQL client program (pg_dump, pg_restore): on the PATH, else the
    newest installed server's."""
    import shutil

    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return str(versions[-1]) if versions else None


def _tool_error(stderr: str, tool: str) -> str:
    """What a client program said went wrong, on one line: its "error:" lines
    (with their "detail:"), else its last line, without the program's name."""
    lines = [line.strip().removeprefix(f"{tool}:").strip() for line in stderr.splitlines() if line.strip()]
    said = [line.removeprefix("error:").strip() if line.startswith("error:")
            else f"({line.removeprefix('detail:').strip()})"
            for line in lines if line.startswith(("error:", "detail:"))]
    return one_line(Exception(" ".join(said or lines[-1:]))) if lines else ""


def _dump(dest: Path) -> BackupResult:
    """A PostgreSQL store through pg_dump (one consistent snapshot, while
    others write), into a temporary file given its name once pg_restore has
    listed every Atende table's data in it. The connection is libpq's, from
    the store's URL (never with a password; ~/.pgpass, PGPASSWORD, a service)."""
    import subprocess

    from models.db import busy_timeout_ms, safe_label
    from services.store.copy import all_models

    dump, restore = server_tool("pg_dump"), server_tool("pg_restore")
    if dump is None or restore is None:
        raise AtendeError(_("pg_dump is not installed: install the PostgreSQL client programs "
                            "(apt-get install postgresql-client, the server's version or newer)"))
    url = db.obj.database
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
        os.close(fd)
        tmp = Path(name)
        # A table locked by a migration or maintenance (ACCESS EXCLUSIVE) fails the
        # dump after the busy timeout instead of keeping it waiting for hours.
        done = subprocess.run([dump, "--format=custom", "--no-password", f"--lock-wait-timeout={busy_timeout_ms()}",
                               f"--file={tmp}", f"--dbname={url}"],
                              capture_output=True, text=True, timeout=3600, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            if "timeout" in done.stderr and "LOCK TABLE" in done.stderr:
                raise AtendeError(_("pg_dump failed: a table is locked by another session (a migration or "
                                    "maintenance?); nothing was written, try again later"))
            reason = _tool_error(done.stderr, "pg_dump") or f"exit {done.returncode}"
            raise AtendeError(_("pg_dump failed: {reason}").format(reason=reason.replace(url, safe_label(url))))
        listed = subprocess.run([restore, "--list", str(tmp)], capture_output=True, text=True, timeout=600,
                                stdin=subprocess.DEVNULL)
        data = {line.split()[-2] for line in listed.stdout.splitlines()
                if " TABLE DATA " in line and len(line.split()) >= 2}
        wanted = {m._meta.table_name for m in all_models()}
        if listed.returncode != 0 or not wanted <= data:
            raise AtendeError(_("the dump does not hold every table's rows; nothing was written"))
        os.chmod(tmp, 0o640)
        os.replace(tmp, dest)
        tmp = None
        return BackupResult(dest, dest.stat().st_size)
    except subprocess.TimeoutExpired:
        raise AtendeError(_("pg_dump took too long; nothing was written")) from None
    except OSError as exc:
        from models.db import is_disk_full

        if is_disk_full(exc, dest.parent):
            raise AtendeError(_("the disk holding {path} is full; nothing was written").format(path=dest)) from None
        raise AtendeError(_("cannot write {path}: {reason}").format(path=dest, reason=exc.strerror or exc)) from None
    finally:
        if tmp is not None:
            _remove(tmp)
