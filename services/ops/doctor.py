"""`atende doctor`: one line per check, OK or what to fix."""
from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from services.core import clock, paths
from services.core.config import Config
from services.core.i18n import _


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    warning: bool = False

    @property
    def status(self) -> str:
        """"ok", "warn" or "fail"."""
        return "ok" if self.ok else ("warn" if self.warning else "fail")


def _ok(name: str, message: str) -> Check:
    return Check(name, True, message)


def _fail(name: str, message: str) -> Check:
    return Check(name, False, message)


def _warn(name: str, message: str) -> Check:
    return Check(name, False, message, warning=True)


MIN_FREE_BYTES = 200 * 1024 * 1024
"""Below this, the disk check fails (SQLite needs room for the WAL and checkpoints)."""
LOW_FREE_BYTES = 2 * 1024 * 1024 * 1024
"""Below this, the disk check warns."""


def run(cfg: Config, target: str, *, config_error: str | None = None,
        system_config: Path | None = None) -> list[Check]:
    checks = [config_check(cfg, config_error, system_config or paths.SYSTEM_CONFIG)]
    db_check, opened = _database(target)
    checks.append(db_check)
    if "://" not in target:
        path = Path(target)
        checks.extend(folder_checks(path, cfg.group))
        checks.append(files_check(path, cfg.group))
        checks.append(disk_check(path.parent))
    if opened and "://" in target:
        checks.extend(server_checks())
    if opened:
        checks.append(_person(target))
    checks.append(_mail(cfg, target))
    checks.append(_fonts())
    if opened:
        checks.append(_worker())
    return checks


def config_check(cfg: Config, error: str | None = None, system_config: Path = paths.SYSTEM_CONFIG) -> Check:
    """The config was found and could be read."""
    if error:
        return _fail(_("config"), error)
    from services.core.errors import ConfigError
    from services.tickets.protocol import check_format

    try:  # a format that repeats numbers would stop every new ticket: said here, before the first one
        check_format(cfg.protocol_format)
    except ConfigError as exc:
        return _fail(_("config"), exc.message)
    if cfg.source:
        if not os.access(cfg.source, os.R_OK):
            return _fail(_("config"), _(
                "cannot read {path}: sudo chgrp atende {path} && sudo chmod 0640 {path}").format(path=cfg.source))
        return _ok(_("config"), _("read from {path}").format(path=cfg.source))
    if system_config.exists() and not os.access(system_config, os.R_OK):
        return _fail(_("config"), _("cannot read {path}: sudo chgrp atende {path} && sudo chmod 0640 {path}").format(
            path=system_config))
    return _ok(_("config"), _("no config file; defaults in use (create {path} to change them)").format(
        path=paths.user_config_file()))


def _database(target: str) -> tuple[Check, bool]:
    from models import migrations
    from services.store.database import open_store

    if "://" not in target and not Path(target).exists():
        return Check(_("database"), False, _(
            "no database at {path}; run 'atende demo' or 'atende' to create it").format(path=target)), False
    try:
        info = open_store(target, create=False, upgrade=False)
    except Exception as exc:  # StoreError carries the message
        return Check(_("database"), False, str(exc)), False
    try:
        from models import db
        from models.db import is_sqlite, safe_label

        if not info.schema_version:  # nothing of Atende's yet: the other checks would only fail on missing tables
            return Check(_("database"), False, _(
                "{path} is empty (no Atende schema yet); run 'atende' once to create it").format(
                path=safe_label(target))), False
        pending = migrations.pending()
        if pending:
            return Check(_("database"), False, _(
                "schema {version} needs upgrading ({n} steps); run 'atende' once to upgrade").format(
                version=info.schema_version or "-", n=len(pending))), False
        if is_sqlite():
            mode = _("journal {mode}").format(mode=db.execute_sql("PRAGMA journal_mode").fetchone()[0])
        else:
            mode = _("PostgreSQL {version}").format(version=db.execute_sql("SHOW server_version").fetchone()[0])
    except Exception as exc:
        return Check(_("database"), False, " ".join(str(exc).split())), False
    return Check(_("database"), True, _("{path}: schema {version}, {mode}").format(
        path=safe_label(target), version=info.schema_version, mode=mode)), True



MIN_SERVER_VERSION = 130000
SERVER_EXTENSIONS = ("unaccent", "pg_trgm")
"""What the PostgreSQL store needs of its server (text search folds accents, finds parts of names)."""


def server_checks() -> list[Check]:
    """A PostgreSQL store: the server's version, the extensions the search
    needs, and who may write what (the staff's group role, the people)."""
    from models import db
    from models.roles import STAFF_ROLE, may_write_people

    checks = []
    version = int(db.execute_sql("SHOW server_version_num").fetchone()[0])
    name = _("server")
    if version < MIN_SERVER_VERSION:
        checks.append(_fail(name, _("PostgreSQL {version} is too old: Atende needs 13 or newer").format(
            version=version // 10000)))
    else:
        checks.append(_ok(name, _("PostgreSQL {version}").format(version=version // 10000)))
    installed = {row[0] for row in db.execute_sql("SELECT extname FROM pg_extension")}
    missing = [e for e in SERVER_EXTENSIONS if e not in installed]
    name = _("extensions")
    if missing:
        checks.append(_fail(name, _(
            "missing {names}: as the database's owner or a superuser run {sql} (package postgresql-contrib)").format(
            names=", ".join(missing), sql=" ".join(f"CREATE EXTENSION {e};" for e in missing))))
    else:
        checks.append(_ok(name, ", ".join(SERVER_EXTENSIONS)))
    name = _("writers")
    staff = db.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (STAFF_ROLE,)).fetchone()
    if not staff:
        checks.append(_fail(name, _("there is no role {role}: a superuser runs CREATE ROLE {role} NOLOGIN; then "
                                    "start Atende once as the database's owner").format(role=STAFF_ROLE)))
    elif may_write_people():
        checks.append(_ok(name, _("you may change the people (the database's owner); the staff ({role}) may "
                                  "not").format(role=STAFF_ROLE)))
    else:
        checks.append(_ok(name, _("you write the work; the people are the database owner's to change")))
    return checks


def _group_gid(group: str) -> int | None:
    import grp

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        return None


def _in_group(gid: int) -> bool:
    return gid == os.getgid() or gid in os.getgroups()


def folder_checks(path: Path, group: str = "") -> list[Check]:
    """The database folder: it exists, belongs to `group` with the setgid bit,
    the group may write to it (SQLite creates -wal/-shm there), others may not
    look inside, and this person may write to it.

    With no `group` (a single-person installation) only the last three apply.
    """
    from services.store.users import os_login

    folder = path.parent
    name = _("folder")
    if not folder.is_dir():
        return [_fail(name, _(
            "folder {path} does not exist: "
            "sudo mkdir -p {path} && sudo chgrp {group} {path} && sudo chmod 2770 {path}").format(
            path=folder, group=group or "atende"))]
    st = folder.stat()
    mode = stat.S_IMODE(st.st_mode)
    checks = []
    if group:
        gname = _("group")
        gid = _group_gid(group)
        if gid is None:
            checks.append(_fail(gname, _("there is no group '{group}': sudo groupadd {group}").format(group=group)))
        elif st.st_gid != gid:
            checks.append(_fail(gname, _(
                "{path} does not belong to group {group}: sudo chgrp -R {group} {path}").format(
                path=folder, group=group)))
        elif not mode & stat.S_ISGID:
            checks.append(_fail(gname, _(
                "{path} lacks the setgid bit (new files would get the wrong group): sudo chmod g+s {path}").format(
                path=folder)))
        elif not _in_group(gid):
            checks.append(_fail(gname, _(
                "you are not in group {group}: sudo usermod -aG {group} {login}, then log in again").format(
                group=group, login=os_login())))
        else:
            checks.append(_ok(gname, _("{path} belongs to {group}, setgid").format(path=folder, group=group)))
        if mode & 0o070 != 0o070:
            checks.append(_fail(name, _(
                "group {group} cannot write to {path} (SQLite needs it for the -wal and -shm files): "
                "sudo chmod 2770 {path}").format(
                group=group, path=folder)))
    if mode & 0o007:
        others = _fail if group else _warn  # a shared server must be private; a personal folder should be
        checks.append(others(name, _("others may look into {path}: sudo chmod o-rwx {path}").format(path=folder)))
    elif not os.access(folder, os.W_OK | os.X_OK):
        checks.append(_fail(name, _(
            "you cannot write to {path} (SQLite needs it for the -wal file): ask for group {group}").format(
            path=folder, group=group or "atende")))
    elif not any(c.name == name for c in checks):
        checks.append(_ok(name, _("{path} is writable and private").format(path=folder)))
    return checks


def _store_entries(path: Path, limit: int = 5000) -> list[Path]:
    """The database, its -wal/-shm/lock files, the worker's queue and every file beside it."""
    folder = path.parent
    found: list[Path] = []
    for entry in sorted(folder.glob(f"{path.name}*")) + sorted(folder.glob(f"{path.stem}-huey.db*")):
        if entry not in found:
            found.append(entry)
    files = paths.files_dir(path)
    if files.is_dir():
        found.append(files)
        for root, dirs, names in os.walk(files):
            for n in dirs + names:
                found.append(Path(root) / n)
                if len(found) >= limit:
                    return found
    return found


def files_check(path: Path, group: str = "") -> Check:
    """The database files (db, -wal, -shm), attachments and certificates:
    nothing readable by others; with a `group`, all of it the group's and
    readable and writable by it."""
    name = _("files")
    entries = _store_entries(path)
    if not entries:
        return _ok(name, _("no files yet in {path}").format(path=path.parent))
    gid = _group_gid(group) if group else None
    world, not_group_rw, wrong_group = [], [], []
    for entry in entries:
        try:
            st = entry.lstat()
        except OSError:
            continue  # removed meanwhile (a -wal after a checkpoint)
        if stat.S_ISLNK(st.st_mode):
            continue
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o007:
            world.append(entry)
        if group:
            need = 0o070 if stat.S_ISDIR(st.st_mode) else 0o060
            if mode & need != need:
                not_group_rw.append(entry)
            if gid is not None and st.st_gid != gid:
                wrong_group.append(entry)
    folder = path.parent
    if world:
        return _fail(name, _("{n} files others may read (e.g. {path}): sudo chmod -R o-rwx {folder}").format(
            n=len(world), path=world[0], folder=folder))
    if wrong_group:
        return _fail(name, _("{n} files not in group {group} (e.g. {path}): sudo chgrp -R {group} {folder}").format(
            n=len(wrong_group), group=group, path=wrong_group[0], folder=folder))
    if not_group_rw:
        return _fail(name, _("{n} files the group cannot write (e.g. {path}): sudo chmod -R g+rwX {folder}").format(
            n=len(not_group_rw), path=not_group_rw[0], folder=folder))
    return _ok(name, _("{n} files, none readable by others").format(n=len(entries)))


def disk_check(folder: Path, *, usage=None) -> Check:
    """Free space where the database lives. `usage` replaces shutil.disk_usage in tests."""
    import shutil

    name = _("disk")
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = (usage or shutil.disk_usage)(probe).free
    except OSError as exc:
        return _warn(name, _("cannot measure free space on {path}: {reason}").format(path=probe, reason=exc.strerror))
    mb = free // (1024 * 1024)
    if free < MIN_FREE_BYTES:
        return _fail(name, _(
            "only {mb} MB free on {path}: free some space (old backups, logs) before people lose work").format(
            mb=mb, path=probe))
    if free < LOW_FREE_BYTES:
        return _warn(name, _("{mb} MB free on {path}: free some space soon").format(mb=mb, path=probe))
    return _ok(name, _("{mb} MB free on {path}").format(mb=mb, path=probe))


def _person(target: str) -> Check:
    from models import User, reading
    from services.store.users import session_login

    try:
        login = session_login()
    except Exception as exc:  # UnknownUser: ATENDE_USER where it does not apply
        return Check(_("person"), False, str(getattr(exc, "message", exc)))
    with reading():
        user = User.get_or_none(User.login == login)
        empty = not User.select().exists()
    if user is None and empty:
        return Check(_("person"), True, _("no users yet: '{login}' becomes admin on first use").format(login=login))
    if user is None or not user.active:
        return Check(_("person"), False, _(
            "'{login}' is not a user here; an admin runs: atende users add {login} --role agent").format(login=login))
    return Check(_("person"), True, _("{login} is {role}").format(login=login, role=user.role))


def _mail(cfg: Config, target: str) -> Check:
    if cfg.mail.host:
        if cfg.mail.user:
            from services.core import secrets

            try:
                found = secrets.source("smtp")
            except Exception as exc:  # e.g. a secret file others may read
                return Check(_("mail"), False, str(getattr(exc, "message", exc)), warning=True)
            if not found.where:
                return Check(_("mail"), False, _(
                    "SMTP {host}: no password for {user}; run 'atende secrets set smtp'").format(
                    host=cfg.mail.host, user=cfg.mail.user), warning=True)
        return Check(_("mail"), True, _("SMTP {host}:{port} ({security})").format(
            host=cfg.mail.host, port=cfg.mail.port or "-", security=cfg.mail.security))
    if cfg.mail.outbox_dir or "://" not in target:
        folder = cfg.mail.outbox_dir or str(paths.files_dir(Path(target)) / "outbox")
    else:  # a server's store: each host's worker writes into its own files folder
        from services.mail.transport import outbox_folder

        folder = str(outbox_folder(cfg.mail))
    return Check(_("mail"), True, _(
        "no SMTP server configured: e-mails are written as .eml files to {path}").format(path=folder), warning=True)


def _fonts() -> Check:
    fonts = resources.files("data") / "fonts"
    found = sorted(p.name for p in fonts.iterdir() if p.name.endswith(".ttf")) if fonts.is_dir() else []
    if not found:
        return Check(_("fonts"), False, _("no certificate font in {path}; reinstall Atende").format(path=fonts))
    return Check(_("fonts"), True, ", ".join(found))


WORKER_HEARTBEAT = "worker.heartbeat"
"""Setting key the worker updates every few seconds with the time it last ran."""


def _worker(now: dt.datetime | None = None) -> Check:
    from models import Setting, reading

    with reading():
        row = Setting.get_or_none(Setting.key == WORKER_HEARTBEAT)
    if row is None:
        return Check(_("worker"), False, _("the worker has never run: start 'atende worker' (or its service)"),
                     warning=True)
    try:
        last = dt.datetime.fromisoformat(row.value)
    except ValueError:
        last = dt.datetime.min
    age = ((now or clock.now()) - last).total_seconds()
    if age > 60:
        return Check(_("worker"), False, _(
            "the worker is not running (last seen {when}): start 'atende worker'").format(
            when=last.strftime("%Y-%m-%d %H:%M")), warning=True)
    return Check(_("worker"), True, _("running (seen {n} s ago)").format(n=int(age)))
