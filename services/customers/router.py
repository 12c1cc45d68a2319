"""Router data for a plan's PPPoE login, read from the access point's MikroTik
router through the RouterOS API (librouteros). Run it off the UI thread: it
talks to the network, with a timeout."""
from __future__ import annotations

from dataclasses import dataclass

from models import AccessPoint, Plan, reading
from services.core.errors import NotFound
from services.core.i18n import _
from services.core.permissions import Actor, require

KEYRING_SERVICE = "atende-router"


@dataclass(frozen=True)
class RouterData:
    ok: bool
    message: str
    lines: tuple[tuple[str, str], ...] = ()


def _password(host: str) -> str:
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, host) or ""
    except Exception:  # no keyring backend on a headless server
        return ""


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


def router_data(actor: Actor, plan_id: int, timeout: float = 5.0, connect=None) -> RouterData:
    """Session and traffic of the plan's login on its access point's router.

    `connect` replaces librouteros.connect in tests."""
    require(actor, "customers.read")
    with reading():
        plan = Plan.get_or_none(Plan.id == plan_id)
        if plan is None:
            raise NotFound(_("No plan with id {id}").format(id=plan_id))
        ap = AccessPoint.get_or_none(AccessPoint.id == plan.access_point_id) if plan.access_point_id else None
    if ap is None:
        return RouterData(False, _("This plan has no access point, so there is no router to ask."))
    if not ap.router_host:
        return RouterData(False, _("No router is configured for {ap}: router data is not available.").format(
            ap=ap.name))
    if plan.login_kind != "pppoe" or not plan.login:
        return RouterData(False, _("Router data is read for PPPoE logins only; this plan's login is {kind}.").format(
            kind=plan.login_kind or "-"))
    if connect is None:
        from librouteros import connect as connect  # noqa: PLW0127
    try:
        api = connect(host=ap.router_host, username=ap.router_user or "admin", password=_password(ap.router_host),
                      port=ap.router_port or 8728, timeout=timeout)
    except Exception as exc:  # network errors, refused login, timeouts
        return RouterData(False, _("Could not reach the router {host}: {reason}").format(
            host=ap.router_host, reason=str(exc) or type(exc).__name__))
    try:
        active = [r for r in api.path("ppp", "active") if r.get("name") == plan.login]
        if not active:
            return RouterData(True, _("{login} has no active PPPoE session on {host}.").format(
                login=plan.login, host=ap.router_host))
        session = active[0]
        lines = [(_("Login"), plan.login), (_("Address"), str(session.get("address", ""))),
                 (_("Caller (MAC)"), str(session.get("caller-id", ""))), (_("Uptime"), str(session.get("uptime", "")))]
        iface = f"<pppoe-{plan.login}>"
        for r in api.path("interface"):
            if r.get("name") == iface:
                lines += [(_("Downloaded"), _human_bytes(r.get("tx-byte"))),
                          (_("Uploaded"), _human_bytes(r.get("rx-byte")))]
                break
        return RouterData(True, _("Session found on {host}.").format(host=ap.router_host), tuple(lines))
    except Exception as exc:
        return RouterData(False, _("The router {host} answered with an error: {reason}").format(
            host=ap.router_host, reason=str(exc) or type(exc).__name__))
    finally:
        try:
            api.close()
        except Exception:
            pass
