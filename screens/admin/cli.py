"""The administration commands: users, settings, audit, who."""
from __future__ import annotations

import json
import sys

import click

from screens.cli_base import Context
from services.core.i18n import _


@click.group()
def users() -> None:
    """Who may use this database, and their roles."""


@users.command("add")
@click.argument("login")
@click.option("--role", required=True, help="agent, coordinator, supervisor, admin or representative")
@click.option("--name", default="", help="Full name (default: from the system).")
@click.option("--email", default="")
@click.option("--company", "company", default=None,
              help="The company a representative represents: its customer id or CPF/CNPJ.")
@click.pass_obj
def users_add(obj: Context, login: str, role: str, name: str, email: str, company: str | None) -> None:
    """Add LOGIN (an OS login) with ROLE."""
    from services.store import users as users_mod

    actor = obj.open()
    info = users_mod.add(actor, login, role, name=name, email=email, company=company)
    click.echo(_("Added {login} as {role}.").format(login=info.login, role=info.role))


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "include_inactive", is_flag=True, help="Include removed people.")
@click.pass_obj
def users_list(obj: Context, as_json: bool, include_inactive: bool) -> None:
    """List people and their roles."""
    from dataclasses import asdict

    from services.store import users as users_mod

    actor = obj.open()
    people = users_mod.list_users(actor, include_inactive=include_inactive)
    if as_json:
        click.echo(json.dumps([asdict(p) for p in people], ensure_ascii=False, indent=2))
        return
    for p in people:
        extra = f"  [{p.company_name}]" if p.company_name else ""
        gone = "  " + _("(removed)") if not p.active else ""
        click.echo(f"{p.login:<16} {p.role:<15} {p.name}{extra}{gone}")


@users.command("set-role")
@click.argument("login")
@click.argument("role")
@click.option("--company", "company", default=None, help="For a representative: customer id or CPF/CNPJ.")
@click.pass_obj
def users_set_role(obj: Context, login: str, role: str, company: str | None) -> None:
    """Change LOGIN's role to ROLE."""
    from services.store import users as users_mod

    actor = obj.open()
    info = users_mod.set_role(actor, login, role, company=company)
    click.echo(_("{login} is now {role}.").format(login=info.login, role=info.role))


@users.command("set-email")
@click.argument("login")
@click.argument("email")
@click.pass_obj
def users_set_email(obj: Context, login: str, email: str) -> None:
    """Change LOGIN's e-mail address ('' clears it)."""
    from services.store import users as users_mod

    actor = obj.open()
    info = users_mod.set_email(actor, login, email)
    click.echo(_("{login}'s e-mail is now {email}.").format(login=info.login, email=info.email or "-"))


@users.command("remove")
@click.argument("login")
@click.pass_obj
def users_remove(obj: Context, login: str) -> None:
    """Remove LOGIN's access (their history stays)."""
    from services.store import users as users_mod

    actor = obj.open()
    users_mod.remove(actor, login)
    click.echo(_("{login} can no longer use this database.").format(login=login))


@users.command("set-password")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.pass_obj
def users_set_password(obj: Context, login: str, password_stdin: bool) -> None:
    """Set the web password of LOGIN, a company representative (asked twice, never shown)."""
    import getpass

    from screens.cli_base import fail
    from services.contactus import accounts
    from services.core.permissions import require

    actor = obj.open()
    require(actor, "users.manage")  # before anything is asked
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass(_("New web password for {login}: ").format(login=login))
            again = getpass.getpass(_("The same password again: "))
        except (EOFError, KeyboardInterrupt):
            fail(_("No password given; nothing changed"))
        if again != password:
            fail(_("The two passwords differ; nothing changed"))
    accounts.set_password(actor, login, password)
    click.echo(_("{login} can sign in on the web pages (/empresa/) with this password.").format(login=login))


@users.command("invite")
@click.argument("login")
@click.pass_obj
def users_invite(obj: Context, login: str) -> None:
    """E-mail LOGIN, a company representative, a one-time link to choose their web password."""
    from services.contactus import accounts

    actor = obj.open()
    sent = accounts.invite(actor, login)
    click.echo(_("Invitation queued for {email} (mail {id}); the link works once, until {until}.").format(
        email=sent.email, id=sent.mail_id, until=sent.expires_at.strftime("%d/%m/%Y %H:%M")))


@click.group()
def settings() -> None:
    """System parameters shared by everyone on this database."""


@settings.command("list")
@click.pass_obj
def settings_list(obj: Context) -> None:
    """Show every parameter with its value."""
    from services.store import settings as settings_svc

    actor = obj.open()
    for key, value, about in settings_svc.describe(actor):
        click.echo(f"{key:<28} {value:>6}  {about}")


@settings.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("key")
@click.argument("value")  # "-1" is a value (refused for its range), not an unknown option
@click.pass_obj
def settings_set(obj: Context, key: str, value: str) -> None:
    """Set parameter KEY to VALUE (admins)."""
    from services.store import settings as settings_svc

    actor = obj.open()
    number = settings_svc.set_value(actor, key, value)
    click.echo(f"{key} = {number}")


@click.group()
def audit() -> None:
    """The audit log: who did what and when."""


@audit.command("list")
@click.option("--login", default="", help="Only this person's changes.")
@click.option("--entity", default="", help="A kind (ticket) or one thing (ticket:42).")
@click.option("--since", default="", metavar="DATE", help="From this day (YYYY-MM-DD).")
@click.option("--until", default="", metavar="DATE", help="Up to this day, inclusive (YYYY-MM-DD).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.pass_obj
def audit_list(obj: Context, login: str, entity: str, since: str, until: str, limit: int, fmt: str) -> None:
    """List audit entries, newest first."""
    import itertools

    from services.store import audit as audit_svc

    actor = obj.open(create=False)
    filters = {"login": login, "entity": entity, "since": since, "until": until}
    if fmt == "csv":
        audit_svc.page(actor, limit=1, **filters)  # bad dates fail before any output
        import csv

        from services.core.export import safe_cell

        writer = csv.writer(sys.stdout)
        writer.writerow(audit_svc.EXPORT_COLUMNS)
        for e in itertools.islice(audit_svc.iter_entries(actor, **filters), limit):
            writer.writerow([e.id, str(e.at), safe_cell(e.login), safe_cell(e.entity), safe_cell(e.entity_id),
                             safe_cell(e.action), safe_cell(json.dumps(e.changes, ensure_ascii=False))])
        return
    entries = list(itertools.islice(audit_svc.iter_entries(actor, **filters), limit))
    if fmt == "json":
        click.echo(json.dumps([{"id": e.id, "at": str(e.at), "login": e.login, "entity": e.entity,
                                "entity_id": e.entity_id, "action": e.action, "changes": e.changes}
                               for e in entries], ensure_ascii=False, indent=2))
        return
    for e in entries:
        click.echo(f"{e.id:>7}  {e.at:%Y-%m-%d %H:%M:%S}  {e.login:<12}  {e.action:<12}  {e.entity} {e.entity_id}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per session, in a list.")
@click.pass_obj
def who(obj: Context, as_json: bool) -> None:
    """Who is running Atende now: screen, ticket or event, editing."""
    from services.store import presence

    actor = obj.open(create=False)
    online = presence.online(actor)
    if as_json:
        click.echo(json.dumps([{
            "login": o.login, "name": o.name, "host": o.host, "pid": o.pid, "session": o.session,
            "screen": o.screen, "entity": {"kind": o.entity_kind, "id": o.entity_id, "label": o.entity_label}
            if o.entity_kind else None, "editing": o.editing, "started_at": o.started_at.isoformat(),
            "heartbeat_at": o.heartbeat_at.isoformat(),
        } for o in online], ensure_ascii=False, indent=2))
        return
    if not online:
        click.echo(_("Nobody is online."))
        return
    for o in online:
        where = f"{o.entity_kind} {o.entity_label or o.entity_id}" if o.entity_kind else ""
        editing = _("editing") if o.editing else ""
        click.echo(f"{o.login:<16} {_(o.screen) if o.screen else '':<20} {where:<24} {editing:<8} "
                   f"{o.host} {o.started_at:%H:%M}".rstrip())


@click.group()
def routers() -> None:
    """The access points' MikroTik routers, asked for a login's session (admins)."""


@routers.command("list")
@click.pass_obj
def routers_list(obj: Context) -> None:
    """Each access point with its router: host:port, TLS, user, whether a password is kept."""
    from services.customers import router

    actor = obj.open()
    for r in router.list_routers(actor):
        where = f"{r.host}:{r.port}" if r.host else "-"
        tls = _("TLS") if r.tls else _("plain")
        password = _("password kept") if r.password_set else _("no password")
        click.echo(f"{r.access_point_id:>5}  {r.access_point:<24} {where:<28} {tls:<6} {r.user or '-':<12} {password}")


@routers.command("set")
@click.argument("access_point")
@click.option("--host", default=None, help="Host name or IP address ('' removes the router).")
@click.option("--port", default=None, help="The API port (8728; 8729 with TLS).")
@click.option("--tls/--no-tls", default=None, help="Talk to the router over TLS (api-ssl).")
@click.option("--user", default=None, help="The router user Atende logs in as.")
@click.pass_obj
def routers_set(obj: Context, access_point: str, host: str | None, port: str | None, tls: bool | None,
                user: str | None) -> None:
    """Change the router of ACCESS_POINT (its id or name); the password: 'atende routers password'."""
    from services.customers import router

    actor = obj.open()
    r = router.set_router(actor, access_point, host=host, port=port, tls=tls, user=user)
    click.echo(_("{ap}: router {host}:{port}, TLS {tls}, user {user}.").format(
        ap=r.access_point, host=r.host or "-", port=r.port, tls=_("on") if r.tls else _("off"), user=r.user or "-"))


@routers.command("password")
@click.argument("access_point")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.pass_obj
def routers_password(obj: Context, access_point: str, password_stdin: bool) -> None:
    """Keep the password of ACCESS_POINT's router in the system keyring (asked twice, never shown)."""
    import getpass

    from screens.cli_base import fail
    from services.customers import router

    actor = obj.open()
    info = router.get_router(actor, access_point)  # the permission and the access point, before anything is asked
    if not info.host:
        fail(_("Set the router's host first: the password is kept under it"))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass(_("Password of the router {host}: ").format(host=info.host or "-"))
            again = getpass.getpass(_("The same password again: "))
        except (EOFError, KeyboardInterrupt):
            fail(_("No password given; nothing changed"))
        if again != password:
            fail(_("The two passwords differ; nothing changed"))
    router.set_password(actor, access_point, password)
    click.echo(_("The password of the router {host} is kept in the system keyring.").format(host=info.host))


@routers.command("test")
@click.argument("access_point")
@click.option("--timeout", default=5.0, show_default=True, type=click.FloatRange(0.1, 60), help="Seconds.")
@click.pass_obj
def routers_test(obj: Context, access_point: str, timeout: float) -> None:
    """Connect and log in to ACCESS_POINT's router; exit status 1 when that fails."""
    from screens.cli_base import fail
    from services.customers import router

    actor = obj.open()
    result = router.check_connection(actor, access_point, timeout)
    if not result.ok:
        fail(result.message)
    click.echo(result.message)
