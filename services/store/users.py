"""People: who may use a database, with which role."""
from __future__ import annotations

import pwd
import re
from dataclasses import dataclass

from peewee import JOIN

from models import Customer, User, reading, write_tx
from services.core import clock
from services.core.errors import ConfigError, NotFound, UnknownUser, ValidationError
from services.core.i18n import _
from services.core.permissions import ADMIN, REPRESENTATIVE, ROLES, Actor, require
from services.core.text import clean, doc_chars
from services.store import audit
from services.store.quickopen import login_for, os_login  # noqa: F401 - os_login is part of this module's API

LOGIN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class UserInfo:
    id: int
    login: str
    name: str
    email: str
    role: str
    company_id: int | None
    company_name: str
    active: bool


def session_login() -> str:
    """The login this process acts as: the OS login. `$ATENDE_USER` may name
    another person, but only on a database file owned by the OS user running
    this process (tests and demos on one's own file): on a shared database,
    owned by the service account, nobody can act as someone else."""
    from models.db import is_postgresql, sqlite_path

    if is_postgresql():
        login = server_login()
    else:
        login = login_for(sqlite_path(), os_login())
        if login is None:
            raise UnknownUser(_("ATENDE_USER works only on a database file you own; unset it to use your own login"))
    if _CONTROL_RE.search(login):
        raise UnknownUser(_("A login cannot contain control characters or escape sequences"))
    return login


def server_login() -> str:
    """On PostgreSQL the person is the database role of the connection
    (`session_user`): libpq's peer authentication maps it to the OS login
    on the server, each person's own credentials elsewhere. `$ATENDE_USER`
    may name another person only for the role that owns the database (or a
    superuser), who could change any row anyway, as the owner of an SQLite
    file may; anyone else is refused."""
    import os

    from models import db, reading

    with reading():
        role, may_act_as = db.execute_sql(
            "SELECT session_user, (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) "
            "OR pg_has_role(session_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), "
            "'MEMBER')").fetchone()
    other = os.environ.get("ATENDE_USER", "").strip()
    if not other or other == role:
        return role
    if not may_act_as:
        raise UnknownUser(_("ATENDE_USER works on a PostgreSQL store only for the database's owner; "
                            "you are connected as '{role}': unset it").format(role=role))
    return other


def _info(u: User, company_name: str = "") -> UserInfo:
    return UserInfo(u.id, u.login, u.name, u.email, u.role, u.company_id, company_name, u.active)


def _actor(u: User) -> Actor:
    return Actor(login=u.login, name=u.name, role=u.role, id=u.id, company_id=u.company_id)


def system_actor(login: str) -> Actor:
    """The actor of a system account (audit.SYSTEM_LOGINS), its row made on first
    use, inside the caller's write transaction (joins it, or its own)."""
    from peewee import ProgrammingError

    try:
        with write_tx():
            user = User.get_or_none(User.login == login)
            if user is None:
                user = User.create(login=login, name=audit.SYSTEM_LOGINS[login], role="agent", active=False,
                                   created_at=clock.now())
                audit.record(login, "user", user.id, "create", {"login": login, "system": True})
    except ProgrammingError:  # PostgreSQL: only the database's owner writes the people (models.roles)
        raise ConfigError(_("The system account {login} does not exist yet and this database role may not "
                            "add it: run 'atende mail-in --setup' once as the database's owner").format(
            login=login)) from None
    return Actor(login=login, name=user.name, role="agent", id=user.id)


def identify(login: str, db_label: str = "") -> Actor:
    """The Actor for `login`, or UnknownUser saying how to be added.

    On a database with no people yet, the first login becomes its admin.
    """
    with reading():
        user = User.get_or_none(User.login == login)
    if user is None:
        user = _bootstrap_admin(login)
    if user is None:
        raise UnknownUser(
            _("'{login}' is not a user of this Atende database{where}. "
              "Ask an administrator to run: atende users add {login} --role agent").format(
                login=login, where=f" ({db_label})" if db_label else "")
        )
    if not user.active:
        raise UnknownUser(_("'{login}' has been removed from this Atende database; ask an administrator").format(
            login=login))
    return _actor(user)


def identify_background(login: str, db_label: str = "") -> Actor | None:
    """Who runs a background command (the worker, the event reminders): an
    active staff member of this database (their Actor), or an account that
    is no person of it, e.g. the worker's system user (None). A company representative or a removed person is refused
    (PermissionDenied), and nobody becomes the first admin this way."""
    with reading():
        user = User.get_or_none(User.login == login)
    if user is None:
        return None
    if not user.active:
        raise UnknownUser(_("'{login}' has been removed from this Atende database; ask an administrator").format(
            login=login))
    actor = _actor(user)
    require(actor, "background.run")
    return actor


def _bootstrap_admin(login: str) -> User | None:
    """On a database with no people yet, `login` becomes its admin."""
    with write_tx():
        user = User.get_or_none(User.login == login)
        if user is None and not User.select().where(User.login.not_in(list(audit.SYSTEM_LOGINS))).exists():
            user = User.create(login=login, name=_display_name(login), role=ADMIN, created_at=clock.now())
            audit.record(login, "user", user.id, "create", {"login": login, "role": ADMIN, "first": True})
    return user


def _display_name(login: str) -> str:
    try:
        gecos = pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except KeyError:
        gecos = ""
    return gecos or login


def refresh(actor: Actor) -> Actor:
    """Re-read `actor` (roles change, people are removed while logged in)."""
    with reading():
        user = User.get_or_none(User.login == actor.login)
    if user is None or not user.active:
        raise UnknownUser(_("'{login}' has been removed from this Atende database; ask an administrator").format(
            login=actor.login))
    return _actor(user)


def _validate(login: str, role: str, company_id: int | None) -> None:
    errors = {}
    if not LOGIN_RE.match(login or ""):
        errors["login"] = _("A login has letters, digits, '.', '_' or '-' and starts with a letter")
    if role not in ROLES:
        errors["role"] = _("Unknown role '{role}': use one of {roles}").format(role=role, roles=", ".join(ROLES))
    elif role == REPRESENTATIVE and not company_id:
        errors["company"] = _("A company representative needs the company they represent (--company)")
    if errors:
        raise ValidationError(errors)


def check_login_text(login: str, field: str = "login") -> str:
    """`login` without surrounding spaces, or ValidationError when it holds
    control characters or escape sequences (refused, never silently removed:
    the login saved would not be the one typed)."""
    text = login or ""
    if _CONTROL_RE.search(text):
        raise ValidationError(_("A login cannot contain control characters or escape sequences"), field)
    return text.strip()


def company_for(actor: Actor, company: str | int | None) -> int | None:
    """The company a representative represents, given as its customer id or
    CPF/CNPJ; looked up only for someone who may manage people (an existence
    check is not offered to anyone else)."""
    require(actor, "users.manage")
    if company is None or (isinstance(company, str) and not company.strip()):
        return None
    return resolve_company(str(company))


def resolve_company(text: str) -> int:
    """A company given as its customer id or its CPF/CNPJ (with or without
    punctuation): its id, or ValidationError."""
    text = clean(text)
    if not text:
        raise ValidationError(_("Give the company's customer id or CPF/CNPJ"), "company")
    number = doc_chars(text)
    with reading():
        if text.isascii() and text.isdigit() and len(text) < 11:  # "²" is a digit int() refuses
            row = Customer.get_or_none(Customer.id == int(text))
            if row is not None:
                return row.id
        if len(number) in (11, 14):
            rows = list(Customer.select(Customer.id).where(Customer.doc == number).limit(2))
            if len(rows) == 1:
                return rows[0].id
            if len(rows) > 1:
                raise ValidationError(_("More than one customer has the CPF/CNPJ {doc}; use the customer id").format(
                    doc=text), "company")
    raise ValidationError(_("No company with id or CPF/CNPJ {ref}").format(ref=text), "company")


def add(actor: Actor, login: str, role: str, name: str = "", email: str = "",
        company_id: int | None = None, *, company: str | None = None) -> UserInfo:
    """Add `login` with `role`. The company of a representative comes as
    `company_id` or as `company` (a customer id or CPF/CNPJ typed by a person,
    looked up after the permission check)."""
    require(actor, "users.manage")
    login = check_login_text(login)
    if company is not None and company_id is None:
        company_id = company_for(actor, company)
    _validate(login, role, company_id)
    with write_tx():
        if company_id and not Customer.select().where(Customer.id == company_id).exists():
            raise ValidationError(_("No company with id {id}").format(id=company_id), "company")
        existing = User.get_or_none(User.login == login)
        if existing and existing.active:
            raise ValidationError(_("'{login}' is already a user").format(login=login), "login")
        fields = dict(name=clean(name) or _display_name(login), email=clean(email), role=role,
                      company=company_id if role == REPRESENTATIVE else None, active=True)
        if existing:
            User.update(**fields).where(User.id == existing.id).execute()
            user = User.get_by_id(existing.id)
        else:
            user = User.create(login=login, created_at=clock.now(), **fields)
        audit.record(actor.login, "user", user.id, "create", {"login": login, "role": role})
    return _info(user)


def set_role(actor: Actor, login: str, role: str, company_id: int | None = None, *,
             company: str | None = None) -> UserInfo:
    require(actor, "users.manage")
    login = check_login_text(login)
    if company is not None and company_id is None:
        company_id = company_for(actor, company)
    _validate(login, role, company_id if role == REPRESENTATIVE else 1)
    with write_tx():
        user = User.get_or_none(User.login == login)
        if user is None:
            raise NotFound(_("No user '{login}'").format(login=login))
        if user.role == ADMIN and role != ADMIN and _admins() == 1:
            raise ValidationError(_("'{login}' is the last admin; make someone else admin first").format(login=login),
                                  "role")
        before = {"role": user.role, "company": user.company_id}
        (User.update(role=role, company=company_id if role == REPRESENTATIVE else None)
         .where(User.id == user.id).execute())
        audit.record(actor.login, "user", user.id, "set_role",
                     audit.diff(before, {"role": role, "company": company_id if role == REPRESENTATIVE else None}))
        user = User.get_by_id(user.id)
    return _info(user)


def set_email(actor: Actor, login: str, email: str) -> UserInfo:
    """Change LOGIN's e-mail address ("" clears it): where their notices and
    a representative's invitation go."""
    from services.core import validation

    require(actor, "users.manage")
    login = check_login_text(login)
    address = validation.email(email, "email") if clean(email) else ""
    with write_tx():
        user = User.get_or_none(User.login == login)
        if user is None:
            raise NotFound(_("No user '{login}'").format(login=login))
        User.update(email=address).where(User.id == user.id).execute()
        audit.record(actor.login, "user", user.id, "set_email", {"email": [user.email, address]})
        user = User.get_by_id(user.id)
    return _info(user)


def remove(actor: Actor, login: str) -> UserInfo:
    """Deactivate (history keeps their name); they can no longer open Atende."""
    require(actor, "users.manage")
    login = check_login_text(login)
    with write_tx():
        user = User.get_or_none(User.login == login)
        if user is None:
            raise NotFound(_("No user '{login}'").format(login=login))
        if user.role == ADMIN and _admins() == 1:
            raise ValidationError(_("'{login}' is the last admin; make someone else admin first").format(login=login),
                                  "login")
        User.update(active=False).where(User.id == user.id).execute()
        audit.record(actor.login, "user", user.id, "remove", {"active": [True, False]})
        user = User.get_by_id(user.id)
    return _info(user)


def _admins() -> int:
    return User.select().where((User.role == ADMIN) & (User.active == True)).count()  # noqa: E712


def list_users(actor: Actor, include_inactive: bool = False) -> list[UserInfo]:
    require(actor, "users.list")
    with reading():
        q = (User.select(User, Customer.name.alias("company_name"))
             .join(Customer, join_type=JOIN.LEFT_OUTER, on=(User.company == Customer.id))
             .order_by(User.role, User.login))
        if not include_inactive:
            q = q.where(User.active == True)  # noqa: E712
        return [_info(u, getattr(u, "company_name", None) or "") for u in q.objects()]


def staff(roles: tuple[str, ...] | None = None) -> list[UserInfo]:
    """Active staff, for pickers (responsible, technician, assignee)."""
    with reading():
        q = User.select().where(User.active == True).order_by(User.name)  # noqa: E712
        if roles:
            q = q.where(User.role.in_(roles))
        return [_info(u) for u in q]
