"""Turning an outbox row into a message and handing it over: SMTP, or .eml files.

The MIME message is built with the standard library (exact control over the
deterministic Message-ID, the text/HTML alternative, attachments and the
read-receipt header). The SMTP connection is yagmail's client (host, port,
SSL, STARTTLS or plain, login), opened once per batch and reused for every
message of the batch; yagmail is imported only here, when mail is sent.

Errors are sorted so the worker knows what to do with the row:
`TemporaryError` (4xx: try again later), `PermanentError` (5xx: failed, with
the server's answer), `ConnectionFailure` (the server cannot be reached or
refuses the login: the whole batch waits), `InDoubt` (the connection broke
while the message body was being handed over: it may have been delivered).
"""
from __future__ import annotations

import mimetypes
import os
import smtplib
import socket
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from services.core import clock, paths
from services.core.config import MailSettings
from services.core.errors import AtendeError, NotFound
from services.core.i18n import _
from services.mail.outbox import OutboxItem
from services.store import database


class TransportError(Exception):
    """Base of the errors a transport raises; the text is meant for a person."""


class TemporaryError(TransportError):
    pass


class PermanentError(TransportError):
    pass


class ConnectionFailure(TransportError):
    pass


class InDoubt(TransportError):
    pass


def sender_address(settings: MailSettings) -> str:
    return settings.sender or settings.user or f"Atende <atende@{_hostname()}>"


def _hostname() -> str:
    name = socket.gethostname() or "localhost"
    return name if "." in name else f"{name}.local"


def message_domain(sender: str) -> str:
    addr = parseaddr(sender)[1]
    return addr.rpartition("@")[2] or "atende.local"


def build_message(item: OutboxItem, sender: str) -> EmailMessage:
    """The MIME message for `item`. Raises PermanentError when an attachment vanished."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(item.recipients)
    if item.cc:
        msg["Cc"] = ", ".join(item.cc)
    msg["Subject"] = item.subject
    msg["Date"] = format_datetime(clock.now().astimezone())
    msg["Message-ID"] = f"<{item.message_id_seed}@{message_domain(sender)}>"
    msg["X-Atende-Outbox"] = str(item.id)
    for name, value in item.headers:  # only the threading headers (outbox.THREAD_HEADERS)
        msg[name] = value
    if item.read_receipt:
        msg["Disposition-Notification-To"] = parseaddr(sender)[1] or sender
    msg.set_content(item.body_text or " ")
    if item.body_html:
        msg.add_alternative(item.body_html, subtype="html")
    for attachment in item.attachments:
        try:
            data = attachment_file(attachment.path).read_bytes()
        except (OSError, NotFound):
            raise PermanentError(_("attachment {name} is missing from {path}").format(
                name=attachment.name, path=attachment.path)) from None
        ctype, _enc = mimetypes.guess_type(attachment.name)
        if attachment.name.lower().endswith(".ics"):
            ctype = "text/calendar"
        maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment.name)
    return msg


def attachment_file(path: str) -> Path:
    """An attachment's file on this host (services.store.blobs.file: written
    here from the store when a host that shares no folder with this one queued it)."""
    from services.store import blobs

    return blobs.file(path)


def envelope(item: OutboxItem) -> list[str]:
    return [parseaddr(a)[1] for a in item.recipients + item.cc]


class EmlTransport:
    """Writes each message as `<id>.eml` into a folder (no SMTP server configured)."""

    name = "eml"

    def __init__(self, folder: Path, sender: str):
        self.folder = Path(folder)
        self.sender = sender

    def open(self) -> None:
        try:
            paths.private_dir(self.folder)
        except OSError as exc:
            raise ConnectionFailure(_("cannot create the mail folder {path}: {reason}").format(
                path=self.folder, reason=exc.strerror)) from None

    def send(self, item: OutboxItem) -> str:
        msg = build_message(item, self.sender)
        final = self.folder / f"{item.id:08d}.eml"
        tmp = self.folder / f".{item.id:08d}.eml.tmp"
        try:
            tmp.write_bytes(msg.as_bytes(policy=policy.SMTPUTF8))
            paths.private_file(tmp)
            os.replace(tmp, final)  # same name for every attempt: never two files
        except OSError as exc:
            raise ConnectionFailure(_("cannot write {path}: {reason}").format(
                path=final, reason=exc.strerror)) from None
        return ""

    def close(self) -> None:
        pass


def _code_text(code: int, message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}".strip()


def classify(code: int, text: str) -> TransportError:
    return PermanentError(text) if code >= 500 else TemporaryError(text)


class SmtpTransport:
    """One yagmail SMTP connection for a batch of messages."""

    name = "smtp"

    def __init__(self, settings: MailSettings, password: str | None | Callable[[], str | None],
                 timeout: float = 30.0):
        """`password`: the SMTP password, or a function reading it when the
        connection opens (a secret that cannot be read is then a
        ConnectionFailure: the batch waits, and the reason is logged)."""
        self.settings = settings
        self.password = password
        self.timeout = timeout
        self.sender = sender_address(settings)
        self.client = None
        self._in_data = False

    def open(self) -> None:
        import yagmail  # ~300 ms to import: only in the worker, only when sending

        s = self.settings
        user = s.user or parseaddr(self.sender)[1] or "atende@localhost"
        if callable(self.password):
            if not s.user:  # no login: no password to read
                self.password = None
            else:
                try:
                    self.password = self.password()
                except AtendeError as exc:
                    raise ConnectionFailure(_("cannot read the SMTP password: {reason}").format(
                        reason=exc.message)) from None
        if s.user and not self.password:
            raise ConnectionFailure(_("no SMTP password for {user}: run 'atende secrets set smtp'").format(user=s.user))
        port = s.port or {"ssl": 465, "starttls": 587, "plain": 25}[s.security]
        try:
            # A dict user keeps yagmail from appending "@gmail.com" to a plain login;
            # a password (or smtp_skip_login) keeps it from ever prompting.
            self.client = yagmail.SMTP(
                user={user: user}, password=self.password or "", host=s.host, port=port,
                smtp_ssl=s.security == "ssl", smtp_starttls=s.security == "starttls",
                smtp_skip_login=not s.user, soft_email_validation=False, timeout=self.timeout,
            )
            self.client.login()
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectionFailure(_("the SMTP server refused the login: {answer}").format(
                answer=_code_text(exc.smtp_code, exc.smtp_error))) from None
        except smtplib.SMTPResponseException as exc:
            raise ConnectionFailure(_("the SMTP server refused the connection: {answer}").format(
                answer=_code_text(exc.smtp_code, exc.smtp_error))) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionFailure(_("cannot reach the SMTP server {host}:{port}: {reason}").format(
                host=s.host, port=port, reason=getattr(exc, "strerror", None) or exc)) from None
        smtp = self.client.smtp
        original = smtp.data

        def data(msg):  # past this point a broken connection leaves the message in doubt
            self._in_data = True
            return original(msg)

        smtp.data = data

    def send(self, item: OutboxItem) -> str:
        msg = build_message(item, self.sender)
        self._in_data = False
        try:
            refused = self.client.smtp.send_message(msg, from_addr=parseaddr(self.sender)[1],
                                                    to_addrs=envelope(item))
        except smtplib.SMTPRecipientsRefused as exc:
            answers = [(code, _code_text(code, text)) for code, text in exc.recipients.values()]
            text = "; ".join(f"{addr}: {t}" for addr, (c, t) in zip(exc.recipients, answers))
            raise (PermanentError(text) if all(c >= 500 for c, _t in answers) else TemporaryError(text)) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(str(exc)) from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise classify(exc.smtp_code, _code_text(exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPException) as exc:
            if self._in_data:
                raise InDoubt(str(exc) or type(exc).__name__) from None
            raise ConnectionFailure(_("connection to the SMTP server lost: {reason}").format(
                reason=str(exc) or type(exc).__name__)) from None
        if refused:
            return _("refused by the server: {who}").format(
                who="; ".join(f"{a}: {_code_text(c, t)}" for a, (c, t) in refused.items()))
        return ""

    def _reset(self) -> None:
        try:
            self.client.smtp.rset()
        except (OSError, smtplib.SMTPException):
            pass

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            except Exception:  # closing a broken connection must not hide the real outcome
                pass
            self.client = None


def outbox_folder(settings: MailSettings) -> Path:

    return Path(settings.outbox_dir).expanduser() if settings.outbox_dir else database.files_root() / "outbox"


def transport_for(settings: MailSettings):
    """The transport the configuration asks for: SMTP when a host is set, else .eml files."""
    if not settings.host:
        return EmlTransport(outbox_folder(settings), sender_address(settings))
    from services.core import secrets

    return SmtpTransport(settings, secrets.smtp_password)
