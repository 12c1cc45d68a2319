"""Representatives' web accounts: a password set by an administrator or
through a one-time invitation link, signing in, and the session that follows.

Representatives have no shell account and no database role: they sign in on
the web pages (screens.web.company). Passwords are kept as Argon2id hashes
(argon2-cffi); an invitation keeps only the SHA-256 of its token (256 random
bits), works once and for INVITE_HOURS. Ten wrong passwords in a row lock
the sign-in for LOCK_MINUTES. A session names its person and the stamp of
their password: a new password, a removal or a change of role ends it.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass

from models import User, reading, write_tx
from models.contactus import WebCredential, WebInvite
from services.core import clock
from services.core.errors import NotFound, ValidationError
from services.core.i18n import _
from services.core.permissions import REPRESENTATIVE, Actor, require
from services.core.text import clean
from services.store import audit

PASSWORD_MIN = 10
PASSWORD_MAX = 1024
MAX_FAILURES = 10
LOCK_MINUTES = 15
INVITE_HOURS = 72
WEB = "web"


@dataclass(frozen=True)
class WebSession:
    """What the web keeps in its signed cookie once someone has signed in."""

    login: str
    stamp: str


@dataclass(frozen=True)
class Invitation:
    login: str
    email: str
    link: str
    expires_at: dt.datetime
    mail_id: int


@dataclass(frozen=True)
class InviteView:
    login: str
    name: str


class SignInRefused(ValidationError):
    """A wrong login or password, or a locked sign-in (said the same way for
    a login that does not exist)."""


def _hasher():
    from argon2 import PasswordHasher  # lazily: the app's start never needs it

    return PasswordHasher()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def check_password(password: str, login: str, confirm: str | None = None) -> str:
    """`password` if it may be one (PASSWORD_MIN..PASSWORD_MAX characters, no
    control characters, not the login), else ValidationError for "password"."""
    text = password if isinstance(password, str) else ""
    if len(text) < PASSWORD_MIN:
        raise ValidationError(_("A password has at least {n} characters").format(n=PASSWORD_MIN), "password")
    if len(text) > PASSWORD_MAX:
        raise ValidationError(_("A password has at most {n} characters").format(n=PASSWORD_MAX), "password")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValidationError(_("A password cannot hold control characters"), "password")
    if text.strip().lower() == login.lower():
        raise ValidationError(_("The password cannot be the login"), "password")
    if confirm is not None and confirm != text:
        raise ValidationError(_("The two passwords differ"), "confirm")
    return text


def _representative(login: str) -> User:
    user = User.get_or_none((User.login == clean(login)[:64]) & (User.active == True))  # noqa: E712
    if user is None:
        raise NotFound(_("No user '{login}'").format(login=clean(login)[:64]))
    if user.role != REPRESENTATIVE or not user.company_id:
        raise ValidationError(_("'{login}' is not a company representative; only they sign in on the web")
                              .format(login=user.login), "login")
    return user


def _store_password(user: User, password: str, now: dt.datetime) -> None:
    """Inside the caller's transaction: the new hash and a new stamp."""
    hashed = _hasher().hash(password)
    stamp = secrets.token_hex(16)
    updated = (WebCredential.update(password_hash=hashed, stamp=stamp, set_at=now, failures=0, locked_until=None)
               .where(WebCredential.user == user.id).execute())
    if not updated:
        WebCredential.insert(user=user.id, password_hash=hashed, stamp=stamp, set_at=now).execute()


def set_password(actor: Actor, login: str, password: str) -> None:
    """An administrator sets a representative's web password (their open
    sessions end)."""
    require(actor, "users.manage")
    with reading():
        user = _representative(login)
    password = check_password(password, user.login)
    with write_tx():
        _store_password(user, password, clock.now())
        audit.record(actor.login, "user", user.id, "set_password", {"web": True})


def invite(actor: Actor, login: str) -> Invitation:
    """E-mail a representative a one-time link to set their password (the mail
    is queued with the invitation, in one transaction)."""
    from services.mail import outbox
    from services.store import settings

    require(actor, "users.manage")
    base = settings.get_url("web.base_url")
    if not base:
        raise ValidationError(_("Set the web pages' address first: atende settings set web.base_url "
                                "https://..."), "web.base_url")
    with reading():
        user = _representative(login)
    if not user.email:
        raise ValidationError(_("'{login}' has no e-mail address").format(login=user.login), "email")
    token = secrets.token_urlsafe(32)
    link = f"{base}/empresa/convite/{token}"
    now = clock.now()
    expires = now + dt.timedelta(hours=INVITE_HOURS)
    text = _("Hello, {name}.\n\nYou can now follow your company's contacts with us on the web. Choose your "
             "password at this address (it works once, until {until}):\n\n{link}\n\nYour login: {login}\n\n"
             "If you did not expect this message, ignore it.").format(
        name=user.name, until=expires.strftime("%d/%m/%Y %H:%M"), link=link, login=user.login)
    with write_tx():
        WebInvite.insert(user=user.id, token_hash=_token_hash(token), created_at=now, expires_at=expires,
                         created_by=actor.login).execute()
        mail_id = outbox.queue(to=user.email, subject=_("Your access to Contact us"), text=text, kind="web_invite",
                               about=("user", user.id), created_by=actor.login)
        audit.record(actor.login, "user", user.id, "web_invite", {"email": user.email, "expires_at": expires})
    return Invitation(user.login, user.email, link, expires, mail_id)


def _open_invite(token: str) -> tuple[WebInvite, User]:
    token = clean(token)
    row = (WebInvite.get_or_none(WebInvite.token_hash == _token_hash(token))
           if token and len(token) <= 128 else None)
    user = User.get_or_none(User.id == row.user_id) if row else None
    if (row is None or row.used_at is not None or row.expires_at <= clock.now() or user is None or not user.active
            or user.role != REPRESENTATIVE):
        raise NotFound(_("This link is unknown, already used or expired; ask for a new invitation"))
    return row, user


def invite_view(token: str) -> InviteView:
    """Whose invitation `token` is (NotFound when unknown, used or expired)."""
    with reading():
        _row, user = _open_invite(token)
    return InviteView(user.login, user.name)


def accept_invite(token: str, password: str, confirm: str) -> WebSession:
    """Set the password of the invitation's person and sign them in; the
    link is used up (and any other link they were sent)."""
    view = invite_view(token)
    password = check_password(password, view.login, confirm)
    with write_tx():
        row, user = _open_invite(token)  # again, inside: a second tab loses
        now = clock.now()
        WebInvite.update(used_at=now).where((WebInvite.user == user.id) & WebInvite.used_at.is_null()).execute()
        _store_password(user, password, now)
        audit.record(user.login, "user", user.id, "set_password", {"web": True, "invite": row.id})
        stamp = WebCredential.get(WebCredential.user == user.id).stamp
    return WebSession(user.login, stamp)


def sign_in(login: str, password: str) -> WebSession:
    """The session of a representative whose password is right, or
    SignInRefused (the same words for an unknown login)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    wrong = SignInRefused(_("Wrong login or password"), "password")
    login = clean(login)[:64]
    password = password if isinstance(password, str) else ""
    now = clock.now()
    with reading():
        user = User.get_or_none((User.login == login) & (User.active == True)) if login else None  # noqa: E712
        cred = WebCredential.get_or_none(WebCredential.user == user.id) if user else None
    hasher = _hasher()
    if cred is None or user.role != REPRESENTATIVE or len(password) > PASSWORD_MAX:
        try:  # as long as a real check: the answer's time tells nothing
            hasher.verify(_dummy_hash(), password[:PASSWORD_MAX])
        except VerificationError:
            pass
        raise wrong
    if cred.locked_until is not None and cred.locked_until > now:
        raise SignInRefused(_("Too many wrong passwords: signing in is blocked until {until}; an administrator "
                              "can set a new password").format(until=cred.locked_until.strftime("%H:%M")), "password")
    try:
        hasher.verify(cred.password_hash, password)
    except (VerificationError, InvalidHashError):
        with write_tx():
            failures = WebCredential.get_by_id(cred.id).failures + 1  # writers take turns: counted once each
            locked = now + dt.timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
            (WebCredential.update(failures=0 if locked else failures, locked_until=locked)
             .where(WebCredential.id == cred.id).execute())
            if locked:
                audit.record(user.login, "user", user.id, "web_locked", {"failures": failures})
        if locked:
            raise SignInRefused(_("Too many wrong passwords: signing in is blocked for {n} minutes").format(
                n=LOCK_MINUTES), "password") from None
        raise wrong from None
    if cred.failures or cred.locked_until is not None:
        with write_tx():
            WebCredential.update(failures=0, locked_until=None).where(WebCredential.id == cred.id).execute()
    return WebSession(user.login, cred.stamp)


@functools.cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, checked for an unknown login."""
    return _hasher().hash(secrets.token_hex(16))


def session_actor(session: WebSession) -> Actor | None:
    """The representative a web session stands for, while it is still valid
    (same password, still active, still representing their company)."""
    with reading():
        user = User.get_or_none((User.login == session.login) & (User.active == True))  # noqa: E712
        cred = WebCredential.get_or_none(WebCredential.user == user.id) if user else None
    if (cred is None or not secrets.compare_digest(cred.stamp, session.stamp) or user.role != REPRESENTATIVE
            or not user.company_id):
        return None
    return Actor(login=user.login, name=user.name, role=user.role, id=user.id, company_id=user.company_id)

