"""The `[mail_in]` mailbox, read over IMAP (IMAPS by default).

The standard library's `imaplib` is enough for what the worker does (log in,
select the mailbox, list the unread messages, fetch one without marking it,
mark it read once stored) and adds no dependency; TLS uses the system's
certificates (plus `mail_in.cafile`, a private server's CA) and checks the
host name. The password comes from the secrets (`atende secrets set imap`),
never the config. Every failure to reach, log in or select is an
`ImapFailure` with a one-line reason: the round waits for the next minute and
no message is touched.
"""
from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Callable

from services.core.config import MailInSettings
from services.core.errors import AtendeError
from services.core.i18n import _

PORTS = {"ssl": 993, "starttls": 143, "plain": 143}
_FETCHED = re.compile(rb"BODY\[\]")


class ImapFailure(AtendeError):
    """The mailbox cannot be read now (server down, login refused, no such mailbox)."""


def _password_from_secrets() -> str | None:
    from services.core import secrets

    return secrets.imap_password()


def _reason(exc: BaseException) -> str:
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(getattr(exc, "strerror", None) or text or type(exc).__name__)


class Mailbox:
    """One IMAP session on the configured mailbox, as a context manager."""

    def __init__(self, settings: MailInSettings, password: Callable[[], str | None] = _password_from_secrets,
                 timeout: float = 30.0):
        self.settings = settings
        self.password = password
        self.timeout = timeout
        self.client: imaplib.IMAP4 | None = None

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.cafile:
            context.load_verify_locations(self.settings.cafile)
        return context

    def __enter__(self) -> Mailbox:
        s = self.settings
        if not s.host:
            raise ImapFailure(_("no mail_in.host in the config: no mailbox to read"))
        port = s.port or PORTS[s.security]
        try:
            password = self.password() if s.user else None
        except AtendeError as exc:
            raise ImapFailure(_("cannot read the IMAP password: {reason}").format(reason=exc.message)) from None
        if not s.user or not password:
            raise ImapFailure(_("no IMAP login: set mail_in.user and run 'atende secrets set imap'"))
        try:
            if s.security == "ssl":
                client = imaplib.IMAP4_SSL(s.host, port, ssl_context=self._context(), timeout=self.timeout)
            else:
                client = imaplib.IMAP4(s.host, port, timeout=self.timeout)
                if s.security == "starttls":
                    client.starttls(ssl_context=self._context())
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            raise ImapFailure(_("cannot reach the IMAP server {host}:{port}: {reason}").format(
                host=s.host, port=port, reason=_reason(exc))) from None
        self.client = client
        try:
            client.login(s.user, password)
            status, answer = client.select(self._quoted(s.mailbox or "INBOX"))
            if status != "OK":
                raise imaplib.IMAP4.error(answer[0] if answer else status)
        except (OSError, imaplib.IMAP4.error) as exc:
            self.__exit__(None, None, None)
            raise ImapFailure(_("the IMAP server refused {user} or the mailbox {mailbox}: {reason}").format(
                user=s.user, mailbox=s.mailbox, reason=_reason(exc))) from None
        return self

    @staticmethod
    def _quoted(name: str) -> str:
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def _call(self, *args) -> list:
        try:
            status, data = self.client.uid(*args)
        except (TimeoutError, OSError, imaplib.IMAP4.error) as exc:
            raise ImapFailure(_("connection to the IMAP server lost: {reason}").format(reason=_reason(exc))) from None
        if status != "OK":
            raise ImapFailure(_("the IMAP server answered {answer}").format(answer=_reason(imaplib.IMAP4.error(
                data[0] if data else status))))
        return data

    def unseen(self, limit: int = 200) -> list[bytes]:
        """The UIDs of the unread messages, oldest first (at most `limit`)."""
        data = self._call("SEARCH", None, "UNSEEN")
        return b" ".join(d for d in data if d).split()[:limit]

    def fetch(self, uid: bytes) -> bytes | None:
        """The whole message, without marking it read; None when it is gone."""
        for item in self._call("FETCH", uid, "(BODY.PEEK[])"):
            if isinstance(item, tuple) and _FETCHED.search(item[0]):
                return item[1]
        return None

    def mark_seen(self, uid: bytes) -> None:
        self._call("STORE", uid, "+FLAGS.SILENT", "(\\Seen)")

    def __exit__(self, *exc) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.logout()
            except Exception:  # closing a broken session must not hide the real outcome
                pass
