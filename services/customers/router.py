"""The MikroTik routers of the access points: their settings (host, port, TLS,
user; the password only in the system keyring), a test of the connection, and
the session of a PPPoE login read through the RouterOS API (the MIT-licensed
RouterOS-api package). Run the network calls off the UI thread: they wait up
to a timeout."""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from models import AccessPoint, Plan, reading, write_tx
from services.core import validation
from services.core.errors import NotFound, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import clean, fold
from services.store import audit

KEYRING_SERVICE = "atende-router"
PORTS = {False: 8728, True: 8729}
"""The RouterOS API's ports, plain and TLS (api-ssl)."""
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


@dataclass(frozen=True)
class RouterData:
    ok: bool
    message: str
    lines: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RouterInfo:
    """An access point's router settings; whether a password is kept, never the password."""

    access_point_id: int
    access_point: str
    host: str
    port: int
    tls: bool
    user: str
    password_set: bool


def _keyring():
    from services.core.secrets import working_keyring

    return working_keyring()


def _password(host: str) -> str:
    backend = _keyring()
    try:
        return (backend.get_password(KEYRING_SERVICE, host) if backend and host else "") or ""
    except Exception:  # a locked or broken keyring
        return ""


def _info(ap: AccessPoint) -> RouterInfo:
    return RouterInfo(ap.id, ap.name, ap.router_host, ap.router_port, ap.router_ssl, ap.router_user,
                      bool(_password(ap.router_host)))


def _access_point(ref: str | int) -> AccessPoint:
    """An access point by its id or its exact name (case and accents ignored)."""
    number = validation.record_id(ref)
    with reading():
        ap = AccessPoint.get_or_none(AccessPoint.id == number) if number else None
        named = [] if ap else list(AccessPoint.select().where(AccessPoint.name_norm == fold(clean(str(ref)))).limit(2))
    if len(named) > 1:
        raise ValidationError(_("More than one access point is called {ref}; use its id").format(ref=ref),
                              "access_point")
    if ap is None and not named:
        raise NotFound(_("No access point {ref}").format(ref=ref))
    return ap or named[0]


def list_routers(actor: Actor) -> list[RouterInfo]:
    """Every active access point with its router settings, by name."""
    require(actor, "routers.manage")
    with reading():
        aps = list(AccessPoint.select().where(AccessPoint.active == True).order_by(AccessPoint.name_norm))  # noqa: E712
    return [_info(ap) for ap in aps]


def get_router(actor: Actor, ref: str | int) -> RouterInfo:
    require(actor, "routers.manage")
    return _info(_access_point(ref))


def _host(value: str) -> str:
    host = clean(value)
    if not host:
        return ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValidationError(_("Type the router's address: a host name or an IP address"), "host")
    return host.lower()


def set_router(actor: Actor, ref: str | int, *, host: str | None = None, port: str | int | None = None,
               tls: bool | None = None, user: str | None = None) -> RouterInfo:
    """Change what is given of the access point's router; an empty host means no router.
    Turning TLS on or off moves a default port to the other default (8728, 8729)."""
    require(actor, "routers.manage")
    ap = _access_point(ref)
    changes: dict = {}
    errors: dict[str, str] = {}
    for key, value, check in (("router_host", host, _host),
                              ("router_port", port, lambda v: validation.positive_int(v, "port", maximum=65535)),
                              ("router_user", user, lambda v: validation.name(v, "user", required=False, max_len=120))):
        if value is not None:
            try:
                changes[key] = check(value)
            except ValidationError as exc:
                errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    if tls is not None:
        changes["router_ssl"] = tls
        if port is None and ap.router_port == PORTS[ap.router_ssl]:
            changes["router_port"] = PORTS[tls]
    changes = {k: v for k, v in changes.items() if getattr(ap, k) != v}
    if changes:
        with write_tx():
            AccessPoint.update(**changes).where(AccessPoint.id == ap.id).execute()
            audit.record(actor.login, "access_point", ap.id, "router", changes)
    return get_router(actor, ap.id)


def set_password(actor: Actor, ref: str | int, password: str) -> RouterInfo:
    """Keep the router's password in the system keyring (under its host)."""
    require(actor, "routers.manage")
    ap = _access_point(ref)
    if not ap.router_host:
        raise ValidationError(_("Set the router's host first: the password is kept under it"), "host")
    if not password or password != clean(password) or "\n" in password:
        raise ValidationError(_("A router password is one line without control characters or spaces at its ends"),
                              "password")
    backend = _keyring()
    if backend is None:
        raise ValidationError(_("No system keyring works here, so the router's password cannot be kept"), "password")
    try:
        backend.set_password(KEYRING_SERVICE, ap.router_host, password)
    except Exception as exc:  # a locked keyring
        raise ValidationError(_("The keyring refused the password: {reason}").format(
            reason=clean(str(exc)) or type(exc).__name__), "password") from None
    with write_tx():
        audit.record(actor.login, "access_point", ap.id, "router_password", {"host": ap.router_host})
    return _info(ap)


def _human_bytes(value) -> str:
    try:
        n = float(value)
    except (TypeError, ValueError):
        return str(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return str(value)


def _reason(exc: Exception) -> str:
    """One line saying why: the router's own answer when there is one. The library's
    messages go on to quote the command sent, which for the login holds the password:
    that part is never shown."""
    said = getattr(exc, "original_message", None)
    if isinstance(said, bytes):
        said = said.decode("utf-8", "replace")
    return clean(str(said or exc)).split(" executing command", 1)[0] or type(exc).__name__


def _ask(ap: AccessPoint, timeout: float, read: Callable) -> RouterData:
    """Log in to the access point's router and return `read(api)`; a failure says why, in one line."""
    import routeros_api
    from routeros_api.exceptions import RouterOsApiCommunicationError

    host = ap.router_host
    pool = routeros_api.RouterOsApiPool(host, username=ap.router_user or "admin", password=_password(host),
                                        port=ap.router_port or PORTS[ap.router_ssl], plaintext_login=True,
                                        use_ssl=ap.router_ssl, ssl_verify=True)
    pool.set_timeout(timeout)
    try:
        try:
            api = pool.get_api()
        except RouterOsApiCommunicationError as exc:
            return RouterData(False, _("The router {host} refused the login: {reason}").format(
                host=host, reason=_reason(exc)))
        except Exception as exc:  # network errors, TLS, timeouts
            return RouterData(False, _("Could not reach the router {host}: {reason}").format(
                host=host, reason=_reason(exc)))
        try:
            return read(api)
        except Exception as exc:
            return RouterData(False, _("The router {host} answered with an error: {reason}").format(
                host=host, reason=_reason(exc)))
    finally:
        pool.disconnect()


def check_connection(actor: Actor, ref: str | int, timeout: float = 5.0) -> RouterData:
    """Connect and log in to the access point's router; say how it went."""
    require(actor, "routers.manage")
    ap = _access_point(ref)
    if not ap.router_host:
        return _no_router(ap)

    def identity(api) -> RouterData:
        rows = api.get_resource("/system/identity").get()
        name = rows[0].get("name", "") if rows else ""
        return RouterData(True, _("Connected to {host} and logged in as {user}; the router is {name}.").format(
            host=ap.router_host, user=ap.router_user or "admin", name=name or "-"))

    return _ask(ap, timeout, identity)


def _no_router(ap: AccessPoint) -> RouterData:
    return RouterData(False, _("No router is configured for {ap}: router data is not available.").format(ap=ap.name))


def _session(ap: AccessPoint, login: str, timeout: float) -> RouterData:
    def read(api) -> RouterData:
        active = api.get_resource("/ppp/active").get(name=login)
        if not active:
            return RouterData(True, _("{login} has no active PPPoE session on {host}.").format(
                login=login, host=ap.router_host))
        session = active[0]
        lines = [(_("Login"), login), (_("Address"), str(session.get("address", ""))),
                 (_("Caller (MAC)"), str(session.get("caller-id", ""))), (_("Uptime"), str(session.get("uptime", "")))]
        for r in api.get_resource("/interface").get(name=f"<pppoe-{login}>")[:1]:
            lines += [(_("Downloaded"), _human_bytes(r.get("tx-byte"))),
                      (_("Uploaded"), _human_bytes(r.get("rx-byte")))]
        return RouterData(True, _("Session found on {host}.").format(host=ap.router_host), tuple(lines))

    if not ap.router_host:
        return _no_router(ap)
    return _ask(ap, timeout, read)


def router_data(actor: Actor, plan_id: int, timeout: float = 5.0) -> RouterData:
    """Session and traffic of the plan's PPPoE login on its access point's router."""
    require(actor, "customers.read")
    with reading():
        plan = Plan.get_or_none(Plan.id == plan_id)
        if plan is None:
            raise NotFound(_("No plan with id {id}").format(id=plan_id))
        ap = AccessPoint.get_or_none(AccessPoint.id == plan.access_point_id) if plan.access_point_id else None
    if ap is None:
        return RouterData(False, _("This plan has no access point, so there is no router to ask."))
    if ap.router_host and (plan.login_kind != "pppoe" or not plan.login):
        return RouterData(False, _("Router data is read for PPPoE logins only; this plan's login is {kind}.").format(
            kind=plan.login_kind or "-"))
    return _session(ap, plan.login, timeout)


def access_point_session(actor: Actor, access_point_id: int, login: str, timeout: float = 5.0) -> RouterData:
    """The session of `login` (typed by the agent) on the access point's router: for a ticket
    about an access point rather than a customer's plan."""
    require(actor, "customers.read")
    login = clean(login)
    if not login or len(login) > 120:
        raise ValidationError(_("Type the PPPoE login to look up (at most 120 characters)"), "login")
    return _session(_access_point(access_point_id), login, timeout)
