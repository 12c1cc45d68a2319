"""`atende doctor`: one line per check, OK or what to fix."""
from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import clock, paths
from .config import Config
from .i18n import _


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    warning: bool = False


def run(cfg: Config, target: str) -> list[Check]:
    checks = [_config(cfg)]
    db_check, opened = _database(target)
    checks.append(db_check)
    if "://" not in target:
        checks.append(_folder(Path(target), cfg))
    if opened:
        checks.append(_person(target))
    checks.append(_mail(cfg, target))
    checks.append(_fonts())
    if opened:
        checks.append(_worker())
    return checks


def _config(cfg: Config) -> Check:
    if cfg.source:
        return Check(_("config"), True, _("read from {path}").format(path=cfg.source))
    return Check(_("config"), True, _("no config file; defaults in use (create {path} to change them)").format(
        path=paths.user_config_file()))


def _database(target: str) -> tuple[Check, bool]:
    from models import migrations

    from .store import open_store

    if "://" not in target and not Path(target).exists():
        return Check(_("database"), False, _("no database at {path}; run 'atende demo' or 'atende' to create it").format(path=target)), False
    try:
        info = open_store(target, create=False, upgrade=False)
    except Exception as exc:  # StoreError carries the message
        return Check(_("database"), False, str(exc)), False
    try:
        from models import db

        pending = migrations.pending()
        if pending:
            return Check(_("database"), False, _("schema {version} needs upgrading ({n} steps); run 'atende' once to upgrade").format(
                version=info.schema_version or "-", n=len(pending))), True
        mode = db.execute_sql("PRAGMA journal_mode").fetchone()[0] if "://" not in target else "server"
    except Exception as exc:
        return Check(_("database"), False, str(exc)), False
    return Check(_("database"), True, _("{path}: schema {version}, journal {mode}").format(
        path=target, version=info.schema_version, mode=mode)), True


def _folder(path: Path, cfg: Config) -> Check:
    folder = path.parent
    if not folder.exists():
        return Check(_("permissions"), False, _("folder {path} does not exist").format(path=folder))
    if not os.access(folder, os.W_OK):
        return Check(_("permissions"), False, _("you cannot write to {path} (SQLite needs it for the -wal file)").format(path=folder))
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & stat.S_IROTH:
            return Check(_("permissions"), False, _("{path} is readable by everyone: run chmod o-rwx {path}").format(path=path))
    return Check(_("permissions"), True, _("{path} is writable and private").format(path=folder))


def _person(target: str) -> Check:
    from models import User, reading

    from .users import os_login

    login = os_login()
    with reading():
        user = User.get_or_none(User.login == login)
        empty = not User.select().exists()
    if user is None and empty:
        return Check(_("person"), True, _("no users yet: '{login}' becomes admin on first use").format(login=login))
    if user is None or not user.active:
        return Check(_("person"), False, _("'{login}' is not a user here; an admin runs: atende users add {login} --role agent").format(login=login))
    return Check(_("person"), True, _("{login} is {role}").format(login=login, role=user.role))


def _mail(cfg: Config, target: str) -> Check:
    if cfg.mail.host:
        if cfg.mail.user:
            from . import secrets

            try:
                found = secrets.source("smtp")
            except Exception as exc:  # e.g. a secret file others may read
                return Check(_("mail"), False, str(getattr(exc, "message", exc)), warning=True)
            if not found.where:
                return Check(_("mail"), False, _("SMTP {host}: no password for {user}; run 'atende secrets set smtp'").format(
                    host=cfg.mail.host, user=cfg.mail.user), warning=True)
        return Check(_("mail"), True, _("SMTP {host}:{port} ({security})").format(
            host=cfg.mail.host, port=cfg.mail.port or "-", security=cfg.mail.security))
    folder = cfg.mail.outbox_dir or (str(paths.files_dir(Path(target)) / "outbox") if "://" not in target else "-")
    return Check(_("mail"), True, _("no SMTP server configured: e-mails are written as .eml files to {path}").format(path=folder), warning=True)


def _fonts() -> Check:
    fonts = resources.files("data") / "fonts"
    found = sorted(p.name for p in fonts.iterdir() if p.name.endswith(".ttf")) if fonts.is_dir() else []
    if not found:
        return Check(_("fonts"), False, _("no certificate font in {path}; reinstall Atende").format(path=fonts))
    return Check(_("fonts"), True, ", ".join(found))


WORKER_HEARTBEAT = "worker.heartbeat"
"""Setting key the worker updates every few seconds with the time it last ran."""


def _worker() -> Check:
    from models import Setting, reading

    with reading():
        row = Setting.get_or_none(Setting.key == WORKER_HEARTBEAT)
    if row is None:
        return Check(_("worker"), False, _("the worker has never run: start 'atende worker' (or its service)"), warning=True)
    try:
        last = dt.datetime.fromisoformat(row.value)
    except ValueError:
        last = dt.datetime.min
    age = (clock.now() - last).total_seconds()
    if age > 60:
        return Check(_("worker"), False, _("the worker is not running (last seen {when}): start 'atende worker'").format(
            when=last.strftime("%Y-%m-%d %H:%M")), warning=True)
    return Check(_("worker"), True, _("running (seen {n} s ago)").format(n=int(age)))
