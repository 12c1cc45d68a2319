"""Who is starting the app, read before the store is opened for real.

Opening the store costs about 25 ms before the first paint, almost all of it
importing peewee and the models. When the database is a plain SQLite file
already at this version's schema and the person is an active user of it,
this module reads their Actor with the standard library alone; the app
paints its home screen and opens the store properly right after
(`AtendeApp.ensure_store`). In every other case (a new or older database, an
unknown or removed person, a server URL, anything odd) it answers None and
the normal path runs, with its messages and its first-admin bootstrap.

Imports only the standard library and services.core.permissions.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from services.core.permissions import Actor

SCHEMA_VERSION = "1080_canned_replies"
"""The newest migration (tests/unit/store/test_quickopen.py keeps it equal to models.migrations.code_version())."""


def os_login() -> str:
    """The login of the person running this process, from the OS (not $USER,
    which anyone can set)."""
    import getpass
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return getpass.getuser()


def login_for(path: Path | None, me: str) -> str | None:
    """The login this process acts as on the database file `path`: the OS
    login `me`, or `$ATENDE_USER` on a file the OS user owns; None when
    `$ATENDE_USER` may not be used there (services.store.users says why)."""
    other = os.environ.get("ATENDE_USER", "").strip()
    if not other or other == me:
        return me
    try:
        owned = path is not None and path.stat().st_uid == os.getuid()
    except OSError:
        owned = False
    return other if owned else None


def peek_actor(target: str) -> Actor | None:
    """The Actor starting the app on `target`, or None to take the normal path."""
    if "://" in target:
        return None
    path = Path(target)
    try:
        if not path.is_file() or not os.access(path, os.R_OK | os.W_OK):
            return None
        if not os.access(path.parent, os.W_OK):  # SQLite needs the -wal and -shm files
            return None
        login = login_for(path, os_login())
        if login is None:
            return None
        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=rw", uri=True, timeout=0.2)
        try:
            version = con.execute("SELECT max(id) FROM schema_migration").fetchone()[0]
            if version != SCHEMA_VERSION:
                return None
            row = con.execute("SELECT id, login, name, role, company_id, active FROM user WHERE login = ?",
                              (login,)).fetchone()
        finally:
            con.close()
    except (OSError, sqlite3.Error, ValueError, KeyError):  # KeyError: a uid with no login
        return None
    if row is None or not row[5]:
        return None
    return Actor(login=row[1], name=row[2], role=row[3], id=row[0], company_id=row[4])
