"""Secrets (the SMTP and IMAP passwords): never in the config, the database or a log.

Looked up in order: the ``ATENDE_SMTP_PASSWORD`` (``ATENDE_IMAP_PASSWORD``) environment variable; the
system keyring, when a working backend exists (on a headless server keyring
usually has none and is skipped); a file readable only by its owner
(``~/.config/atende/secrets/smtp``, or ``$ATENDE_SECRETS_DIR/smtp``; ``imap``), refused
when its mode lets anyone else read it. `atende secrets set smtp` (`imap`) stores it.
Nothing here ever prompts: the CLI reads the password and passes it in.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from services.core import paths
from services.core.errors import AtendeError, ValidationError
from services.core.i18n import _

ENV = {"smtp": "ATENDE_SMTP_PASSWORD", "imap": "ATENDE_IMAP_PASSWORD", "web": "ATENDE_WEB_SECRET"}
KEYRING_SERVICE = "atende"
NAMES = ("smtp", "imap", "web")


class SecretError(AtendeError):
    pass


@dataclass(frozen=True)
class SecretSource:
    name: str
    where: str  # "environment", "keyring", "file", or "" when none is set
    detail: str = ""


def secrets_dir(environ: dict | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("ATENDE_SECRETS_DIR"):
        return Path(env["ATENDE_SECRETS_DIR"]).expanduser()
    return Path(platformdirs.user_config_dir(paths.APP)) / "secrets"


def secret_file(name: str, environ: dict | None = None) -> Path:
    return secrets_dir(environ) / name


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise ValidationError(_("Unknown secret '{name}': use one of {names}").format(
            name=name, names=", ".join(NAMES)), "name")


def working_keyring():
    """The keyring backend, or None when it has no working backend (headless
    servers: the 'fail' backend, or a chainer with nothing in it)."""
    if os.environ.get("ATENDE_NO_KEYRING"):
        return None
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    try:
        if backend.priority <= 0:
            return None
    except Exception:
        return None
    return backend


def _from_keyring(name: str) -> str | None:
    backend = working_keyring()
    if backend is None:
        return None
    try:
        return backend.get_password(KEYRING_SERVICE, name)
    except Exception:  # a locked or broken keyring: fall back to the file
        return None


def read_secret_file(path: Path) -> str | None:
    """The secret in `path`, or None if there is no file. Refuses a file others may read."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretError(_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror)) from None
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise SecretError(_("{path} may be read by others (mode {mode:o}); run: chmod 600 {path}").format(
            path=path, mode=mode))
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise SecretError(_("{path} belongs to another user; the secret file must be yours").format(path=path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(_("cannot read {path}: {reason}").format(path=path, reason=exc)) from None
    return text.rstrip("\r\n") or None


def get_secret(name: str, environ: dict | None = None) -> str | None:
    _check_name(name)
    env = os.environ if environ is None else environ
    value = env.get(ENV[name])
    if value:
        return value
    value = _from_keyring(name)
    if value:
        return value
    return read_secret_file(secret_file(name, environ))


def smtp_password(environ: dict | None = None) -> str | None:
    return get_secret("smtp", environ)


def imap_password(environ: dict | None = None) -> str | None:
    """The password of the mailbox the worker fetches (`mail_in`)."""
    return get_secret("imap", environ)


def source(name: str, environ: dict | None = None) -> SecretSource:
    """Where the secret would come from (never the secret itself)."""
    _check_name(name)
    env = os.environ if environ is None else environ
    if env.get(ENV[name]):
        return SecretSource(name, "environment", ENV[name])
    if _from_keyring(name):
        return SecretSource(name, "keyring", type(working_keyring()).__name__)
    path = secret_file(name, environ)
    if read_secret_file(path):
        return SecretSource(name, "file", str(path))
    return SecretSource(name, "")


def set_secret(name: str, value: str, *, backend: str = "auto", environ: dict | None = None) -> SecretSource:
    """Store a secret in the keyring (when one works) or in an owner-only file.

    `backend` is "auto", "keyring" or "file".
    """
    _check_name(name)
    if not value or "\n" in value.strip("\r\n"):
        raise ValidationError(_("The password is empty or spans several lines"), "password")
    value = value.strip("\r\n")
    if backend in ("auto", "keyring"):
        ring = working_keyring()
        if ring is not None:
            try:
                ring.set_password(KEYRING_SERVICE, name, value)
                return SecretSource(name, "keyring", type(ring).__name__)
            except Exception as exc:
                if backend == "keyring":
                    raise SecretError(_("the keyring refused the password: {reason}").format(reason=exc)) from None
        elif backend == "keyring":
            raise SecretError(_("no working system keyring here; use --file"))
    path = secret_file(name, environ)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.tmp")
        if tmp.exists():
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(value + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise SecretError(_("cannot write {path}: {reason}").format(path=path, reason=exc.strerror)) from None
    return SecretSource(name, "file", str(path))


def web_session_key(environ: dict | None = None) -> str:
    """The key the web pages sign their cookies (and form tokens) with: the
    same for every `atende web` process that reads it, so a restart or a
    second process keeps the visitors' forms valid. `$ATENDE_WEB_SECRET`
    (the same on every host behind one address), else the keyring or an
    owner-only file, made with 256 random bits the first time."""
    key = get_secret("web", environ)
    if key:
        return key
    import secrets as random

    set_secret("web", random.token_urlsafe(32), backend="file", environ=environ)
    return get_secret("web", environ) or ""
