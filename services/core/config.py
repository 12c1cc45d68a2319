"""The TOML configuration: where it is read from and what it may hold.

Precedence, first found wins: ``--config``, ``$ATENDE_CONFIG``, the user's
config file, ``/etc/atende/config.toml``. The database path has its own
chain: ``--db``, ``$ATENDE_DB``, the config's ``database``, the user's data
folder.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.core import paths
from services.core.errors import ConfigError
from services.core.i18n import _


@dataclass(frozen=True)
class MailSettings:
    host: str = ""
    port: int = 0
    security: str = "starttls"  # ssl | starttls | plain
    user: str = ""
    sender: str = ""
    outbox_dir: str = ""  # where .eml files go when no SMTP host is set


@dataclass(frozen=True)
class MailInSettings:
    """The mailbox the worker fetches (IMAP; `services.tickets.mail_in`). No
    host: nothing is fetched (`atende mail-in` still reads a message on stdin)."""
    host: str = ""
    port: int = 0
    security: str = "ssl"  # ssl (IMAPS) | starttls | plain
    user: str = ""
    mailbox: str = "INBOX"
    queue: str = ""  # the queue (destination) new tickets go to: its name or id
    cafile: str = ""  # a CA bundle to trust besides the system's (a private server's certificate)


@dataclass(frozen=True)
class Config:
    source: Path | None = None
    database: str = ""
    locale: str = ""
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    mail: MailSettings = field(default_factory=MailSettings)
    mail_in: MailInSettings = field(default_factory=MailInSettings)
    protocol_format: str = "{date:%Y%m%d}{seq:06d}"
    group: str = ""  # on a shared server: the group that owns Atende's files
    extra: dict[str, Any] = field(default_factory=dict)


KNOWN_KEYS = {"database", "locale", "theme", "keymap", "mail", "mail_in", "protocol_format", "group"}
MAIL_KEYS = {"host", "port", "security", "user", "sender", "outbox_dir"}
MAIL_IN_KEYS = {"host", "port", "security", "user", "mailbox", "queue", "cafile"}


def candidate_files(explicit: str | None, environ: dict | None = None) -> list[tuple[Path, bool]]:
    """The config files to try, each with whether it must exist."""
    env = os.environ if environ is None else environ
    if explicit:
        return [(Path(explicit).expanduser(), True)]
    if env.get("ATENDE_CONFIG"):
        return [(Path(env["ATENDE_CONFIG"]).expanduser(), True)]
    return [(paths.user_config_file(), False), (paths.SYSTEM_CONFIG, False)]


def load(explicit: str | None = None, environ: dict | None = None) -> Config:
    for path, required in candidate_files(explicit, environ):
        if path.is_file():
            return parse(path)
        if required:
            if path.is_dir():
                raise ConfigError(_("config {path} is a directory, not a file").format(path=path))
            raise ConfigError(_("config file {path} does not exist").format(path=path))
    return Config()


def parse(path: Path) -> Config:
    import tomllib  # only when there is a file to read

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(_("cannot read config {path}: {reason}").format(path=path, reason=exc.strerror)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(_("config {path} is not UTF-8 text").format(path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("config {path}: {reason}").format(path=path, reason=exc)) from None
    return from_dict(data, path)


def _expect(path: Path | None, key: str, value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(_("config {path}: '{key}' must be {kind}").format(
            path=path, key=key, kind={str: _("text"), int: _("a number"), dict: _("a table")}[kind]))
    return value


def from_dict(data: dict, path: Path | None = None) -> Config:
    mail_raw = _expect(path, "mail", data.get("mail", {}), dict)
    if "password" in mail_raw:
        raise ConfigError(_("config {path}: never put the SMTP password in the config; "
                            "use 'atende secrets set smtp'").format(path=path))
    unknown_mail = set(mail_raw) - MAIL_KEYS
    if unknown_mail:
        raise ConfigError(_("config {path}: unknown setting mail.{key}").format(path=path, key=sorted(unknown_mail)[0]))
    mail = MailSettings(
        host=_expect(path, "mail.host", mail_raw.get("host", ""), str),
        port=_expect(path, "mail.port", mail_raw.get("port", 0), int),
        security=_expect(path, "mail.security", mail_raw.get("security", "starttls"), str),
        user=_expect(path, "mail.user", mail_raw.get("user", ""), str),
        sender=_expect(path, "mail.sender", mail_raw.get("sender", ""), str),
        outbox_dir=_expect(path, "mail.outbox_dir", mail_raw.get("outbox_dir", ""), str),
    )
    if mail.security not in ("ssl", "starttls", "plain"):
        raise ConfigError(_("config {path}: mail.security must be ssl, starttls or plain").format(path=path))
    mail_in = _mail_in(path, data)
    keymap = _expect(path, "keymap", data.get("keymap", {}), dict)
    for key, value in keymap.items():
        _expect(path, f"keymap.{key}", value, str)
    fmt = _expect(path, "protocol_format", data.get("protocol_format", Config.protocol_format), str)
    return Config(
        source=path,
        database=_expect(path, "database", data.get("database", ""), str),
        locale=_expect(path, "locale", data.get("locale", ""), str),
        theme=_expect(path, "theme", data.get("theme", Config.theme), str),
        keymap=dict(keymap),
        mail=mail,
        mail_in=mail_in,
        protocol_format=fmt,
        group=_expect(path, "group", data.get("group", ""), str),
        extra={k: v for k, v in data.items() if k not in KNOWN_KEYS},
    )


def _mail_in(path: Path | None, data: dict) -> MailInSettings:
    raw = _expect(path, "mail_in", data.get("mail_in", {}), dict)
    if "password" in raw:
        raise ConfigError(_("config {path}: never put the IMAP password in the config; "
                            "use 'atende secrets set imap'").format(path=path))
    unknown = set(raw) - MAIL_IN_KEYS
    if unknown:
        raise ConfigError(_("config {path}: unknown setting mail_in.{key}").format(path=path, key=sorted(unknown)[0]))
    queue = raw.get("queue", "")
    if isinstance(queue, int) and not isinstance(queue, bool):
        queue = str(queue)
    settings = MailInSettings(**{key: _expect(path, f"mail_in.{key}", raw.get(key, default), type(default))
                                 for key, default in vars(MailInSettings()).items() if key != "queue"},
                              queue=_expect(path, "mail_in.queue", queue, str))
    if settings.security not in ("ssl", "starttls", "plain"):
        raise ConfigError(_("config {path}: mail_in.security must be ssl, starttls or plain").format(path=path))
    return settings


def database_path(cli_db: str | None, config: Config, environ: dict | None = None) -> str:
    """Where the store is: --db, $ATENDE_DB, the config, or the default file.
    A database URL holding a password is refused (ConfigError): it would be
    shown and logged; libpq reads it from its own places instead."""
    env = os.environ if environ is None else environ
    for candidate in (cli_db, env.get("ATENDE_DB"), config.database):
        if candidate:
            if "://" not in candidate:
                return str(Path(candidate).expanduser())
            if url_has_password(candidate):
                raise ConfigError(_(
                    "a password may not be written in the database URL or the config; use ~/.pgpass, "
                    "PGPASSWORD or a service file (libpq's own)"))
            return candidate
    return str(paths.default_db_path())


def url_has_password(url: str) -> bool:
    """Whether a database URL carries a password (user:password@ or ?password=)."""
    from urllib.parse import parse_qs, urlsplit

    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        return bool(parts.password) or any(k.lower() == "password" for k in query)
    except ValueError:  # an unreadable URL: the store says so when it is opened
        return "password" in url.lower() or (":" in url.split("://", 1)[-1].split("@")[0] and "@" in url)
