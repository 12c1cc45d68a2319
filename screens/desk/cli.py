"""The desk's command groups: ticket, desk (setup), contactus, export, import."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from screens.cli_base import ID, Context, json_default
from services.core.i18n import _


@click.group()
def ticket() -> None:
    """Tickets: show one, list them."""


@ticket.command("show")
@click.argument("protocol")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ticket_show(obj: Context, protocol: str, as_json: bool) -> None:
    """Show the ticket PROTOCOL with everything attached to it."""
    from dataclasses import asdict

    from services.tickets import records as tickets

    actor = obj.open(create=False)
    view = tickets.show(actor, protocol)
    if as_json:
        click.echo(json.dumps(asdict(view), ensure_ascii=False, indent=2, default=json_default))
        return
    from services.tickets import sla
    from services.tickets.protocol import STATUSES

    rows = [(_("protocol"), view.protocol), (_("status"), _(STATUSES.get(view.status, view.status))),
            (_("customer"), view.customer), (_("access point"), view.access_point), (_("contact"), view.contact),
            (_("plan"), f"{view.plan} ({view.login})" if view.plan else ""), (_("destination"), view.queue),
            (_("type"), view.type), (_("responsible"), view.responsible), (_("parent"), view.parent),
            (_("children"), ", ".join(view.children)), (_("opened"), f"{view.created_at} {view.created_by}"),
            (_("closed"), view.closed_at), *((label.lower(), value) for label, value in view.contact_us),
            *((label.lower(), "".join(text for text, _state in parts))
              for label, parts in (sla.describe(view.deadlines) if view.deadlines else ()))]
    width = max(len(k) for k, _v in rows)
    for key, value in rows:
        if value:
            click.echo(f"{key:<{width}}  {value}")
    for label, body in ((_("problem"), view.problem), (_("checks"), view.checks), (_("solution"), view.solution),
                        (_("script report"), view.script_report)):
        if body:
            click.echo(f"\n{label}:\n{body}")
    for o in view.service_orders:
        click.echo(_("service order") + f": {o.date} {o.start} +{o.duration_minutes} min {o.technician} {o.os_type}")
    for k in view.tasks:
        click.echo(_("task") + f": {k.assignee} {k.due} {k.description}")
    for a in view.attachments:
        click.echo(_("attachment") + f": {a.name} ({a.size} B) {a.path}")
    for e in view.emails:
        click.echo(_("e-mail") + f": {', '.join(e.recipients)} · {e.subject} · {e.status}")


@ticket.command("list")
@click.option("--status", default=None, help="open, resolved, abandoned, draft...")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ticket_list(obj: Context, status: str | None, limit: int, as_json: bool) -> None:
    """List tickets, newest first."""
    from dataclasses import asdict

    from services.tickets import records as tickets

    actor = obj.open(create=False)
    rows = tickets.list_tickets(actor, status=status, limit=limit)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r.protocol:<16} {r.status:<10} {r.created_at[:16]:<17} {r.customer[:30]:<30} {r.type}")


SETUP_KINDS = click.Choice(["queue", "type", "technician", "os_type"])


def _setup_options(command):
    """The fields of every kind (services.tickets.setup.FIELDS); each kind takes its own."""
    for option in reversed((
            click.option("--name", default=None),
            click.option("--queue", default=None, help="type: the destination's name ('' for none)"),
            click.option("--responsible", default=None, help="type: role:agent, role:supervisor... or user:LOGIN"),
            click.option("--allows-link/--no-allows-link", "allows_link", default=None,
                         help="type: may be linked to a parent ticket on the same network"),
            click.option("--survey/--no-survey", default=None,
                         help="type: the contact is asked to rate the service once resolved"),
            click.option("--phone", default=None, help="technician"),
            click.option("--user", default=None, help="technician: their Atende login ('' for none)"),
            click.option("--minutes", default=None, help="os_type: default duration"),
            click.option("--response-minutes", "response_minutes", default=None,
                         help="queue, type: first response within these business minutes ('' for none)"),
            click.option("--resolution-minutes", "resolution_minutes", default=None,
                         help="queue, type: resolution within these business minutes ('' for none)"))):
        command = option(command)
    return command


def _setup_values(kind: str, given: dict) -> dict[str, str]:
    from services.core.errors import ValidationError
    from services.tickets import setup

    values = {k: ("yes" if v is True else "" if v is False else v) for k, v in given.items() if v is not None}
    wrong = sorted(set(values) - set(setup.FIELDS[kind]))
    if wrong:
        raise ValidationError(_("--{option} is not an option of {kind}").format(
            option=wrong[0].replace("_", "-"), kind=kind), wrong[0])
    return values


def _setup_line(item) -> str:
    state = "" if item.active else "  (" + _("inactive") + ")"
    return f"{item.id:>5}  {item.name}" + (f"  · {item.details}" if item.details else "") + state


@click.group("desk")
def desk_group() -> None:
    """Desk setup (leads): destinations (queue), ticket types (type), technicians, service-order types (os_type)."""


@desk_group.command("list")
@click.argument("kind", type=SETUP_KINDS)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def desk_list(obj: Context, kind: str, as_json: bool) -> None:
    """List the KIND rows, the inactive ones last."""
    from dataclasses import asdict

    from services.tickets import setup

    rows = setup.items(obj.open(create=False), kind)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(_setup_line(r))


@desk_group.command("add")
@click.argument("kind", type=SETUP_KINDS)
@_setup_options
@click.pass_obj
def desk_add(obj: Context, kind: str, **given) -> None:
    """Add a KIND row (--name, and the kind's own options)."""
    from services.tickets import setup

    actor = obj.open()
    click.echo(_setup_line(setup.save(actor, kind, None, _setup_values(kind, given))))


@desk_group.command("edit")
@click.argument("kind", type=SETUP_KINDS)
@click.argument("item_id", type=int)
@_setup_options
@click.pass_obj
def desk_edit(obj: Context, kind: str, item_id: int, **given) -> None:
    """Change the KIND row ITEM_ID: only the options given change."""
    from services.tickets import setup

    actor = obj.open(create=False)
    click.echo(_setup_line(setup.save(actor, kind, item_id, _setup_values(kind, given))))


@desk_group.command("disable")
@click.argument("kind", type=SETUP_KINDS)
@click.argument("item_id", type=int)
@click.option("--enable", is_flag=True, help="Put it back in use.")
@click.pass_obj
def desk_disable(obj: Context, kind: str, item_id: int, enable: bool) -> None:
    """Take the KIND row ITEM_ID out of the wizard's choices (tickets keep it)."""
    from services.tickets import setup

    actor = obj.open(create=False)
    click.echo(_setup_line(setup.set_active(actor, kind, item_id, enable)))


@click.group("contactus")
def contactus_group() -> None:
    """Contact us: a company representative's contacts."""


@contactus_group.command("list")
@click.option("--view", type=click.Choice(["all", "open", "finished"]), default="all", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def contactus_list(obj: Context, view: str, as_json: bool) -> None:
    """List your company's contacts (representatives)."""
    from dataclasses import asdict

    from services.contactus import company_contacts

    actor = obj.open(create=False)
    rows = company_contacts.contacts(actor, view)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2, default=json_default))
        return
    for r in rows:
        click.echo(f"{r.protocol:<16} {r.status_label:<24} {r.classification} / {r.detail}")


@contactus_group.command("show")
@click.argument("protocol")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def contactus_show(obj: Context, protocol: str, as_json: bool) -> None:
    """Show one of your company's contacts with its thread (representatives)."""
    from dataclasses import asdict

    from services.contactus import company_contacts

    actor = obj.open(create=False)
    detail = company_contacts.detail(actor, company_contacts.find(actor, protocol))
    if as_json:
        click.echo(json.dumps(asdict(detail), ensure_ascii=False, indent=2, default=json_default))
        return
    click.echo(f"{detail.protocol}  {detail.status_label}  {detail.classification} / "
               f"{detail.subclassification or detail.form}")
    for m in detail.thread:
        click.echo(f"\n{m.created_at:%d/%m/%Y %H:%M} {m.author}:\n{m.body}")


@click.group("export")
def export_group() -> None:
    """Export data to files."""


@export_group.command("tickets")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--view", default="all", show_default=True,
              help="all, open, finished, mine, waiting, queue:ID or type:ID")
@click.option("--filter", "filter_text", default="",
              help='Conditions and words, e.g. status:open type:"Sem conexão" agent:ana modem')
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file instead of the standard output.")
@click.option("--force", is_flag=True, help="Replace the --output file if it exists.")
@click.argument("words", nargs=-1)
@click.pass_obj
def export_tickets(obj: Context, fmt: str, view: str, filter_text: str, output: Path | None, force: bool,
                   words) -> None:
    """Export the tickets of a view (filtered) as CSV or JSON."""
    from services.core import export as export_svc
    from services.tickets import queues

    actor = obj.open(create=False)
    text = " ".join([filter_text, *words]).strip()
    if output is None:
        queues.export(actor, sys.stdout, fmt, view, text)
        return
    # the file appears whole or not at all: written beside it, put in place only once every row is in;
    # who is asking first (desk.export checks again), then the file
    from services.core.permissions import require

    require(actor, "tickets.read")
    path = export_svc.check_path(str(output), overwrite=force,
                                 exists=_("{path} exists: add --force to replace it"))
    n = export_svc.write_with(path, lambda fh: queues.export(actor, fh, fmt, view, text))
    click.echo(_("{n} tickets written to {path}").format(n=n, path=path), err=True)


@click.group("import")
def import_group() -> None:
    """Import data from files."""


@import_group.command("customers")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the file (e.g. cp1252).")
@click.option("--dry-run", is_flag=True, help="Check every row and report, saving nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def import_customers(obj: Context, file: Path, encoding: str, dry_run: bool, as_json: bool) -> None:
    """Add or update customers from FILE.csv (matched on CPF/CNPJ).

    Columns: name, doc, email, phone, city, state, address, contract,
    account_status (active|blocked|suspended|inactive|cancelled), onboarding (yes|no), franchise_group.
    """
    from services.customers import imports

    actor = obj.open(create=False)
    report = imports.import_customers(actor, file, encoding=encoding, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for r in report.rejected:
            click.echo(_("line {line}: {errors}").format(line=r.line, errors=r.text()))
        summary = _("{added} added, {updated} updated, {rejected} rejected.").format(
            added=report.added, updated=report.updated, rejected=len(report.rejected))
        click.echo(summary + (" " + _("(dry run: nothing saved)") if dry_run else ""))
    if report.rejected:
        sys.exit(1)


@click.group("call")
def call_group() -> None:
    """The phone: tell an agent who is calling (for the PBX), list calls."""


@call_group.command("ring")
@click.option("--number", required=True, help="The caller's number, in any format (caller ID).")
@click.option("--to", "to_login", required=True, help="The Atende login of the agent the call rings.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def call_ring(obj: Context, number: str, to_login: str, as_json: bool) -> None:
    """Show the call on the agent's running session (within a second): who is
    calling, found by the number; Enter there opens a ticket for them. Run by
    the PBX as its own account (like the worker) or by a staff member."""
    from services.tickets import calls

    actor = obj.open_background()
    rung = calls.ring(actor, number, to_login)
    if as_json:
        c = rung.call
        click.echo(json.dumps({"call_id": c.id, "to": c.to_login, "number": c.shown_number, "caller": c.headline(),
                               "customer_id": c.customer_id, "contact_id": c.contact_id, "matches": c.matches,
                               "sessions": rung.sessions}, ensure_ascii=False))
        return
    if rung.sessions:
        click.echo(_("Told {login}: {call}").format(login=rung.call.to_login, call=rung.call.headline()))
    else:
        click.echo(_("{login} has no open session: the call waits in their list of calls ({call})").format(
            login=rung.call.to_login, call=rung.call.headline()))


@call_group.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def call_list(obj: Context, limit: int, as_json: bool) -> None:
    """Your calls, newest first: answered (with the ticket), dismissed or missed."""
    from services.tickets import calls

    rows = calls.recent(obj.open(create=False), limit=limit)
    if as_json:
        click.echo(json.dumps([{"id": c.id, "at": c.created_at.isoformat(timespec="seconds"),
                                "number": c.shown_number, "caller": c.headline(), "status": c.status,
                                "ticket": c.ticket_protocol} for c in rows], ensure_ascii=False, indent=2))
        return
    for c in rows:
        click.echo(f"{c.id:>6}  {c.created_at:%Y-%m-%d %H:%M}  {_(calls.STATUSES[c.status]):<10}  "
                   f"{c.ticket_protocol or '-':<16}  {c.headline()}")


@click.group("canned")
def canned_group() -> None:
    """Canned replies agents insert with F7 (leads keep them)."""


def _canned_line(c) -> str:
    where = c.queue_name or _("every destination")
    state = _("in use") if c.active else _("out of use")
    return f"{c.id:>5}  {c.title}  ({where}, {state})"


def _canned_queue(actor, name: str | None) -> int | None:
    """--queue NAME (or id) as the destination's id; "" for every destination."""
    from services.core.errors import ValidationError
    from services.tickets import canned

    if not name:
        return None
    for label, queue_id in canned.destinations(actor):
        if name.strip().casefold() in (label.casefold(), str(queue_id)):
            return queue_id
    raise ValidationError(_("No destination in use called {name}").format(name=name), "queue")


def _canned_body(body: str | None, body_file) -> str | None:
    if body_file is not None:
        return body_file.read(200_000)
    return body


@canned_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def canned_list(obj: Context, as_json: bool) -> None:
    """Every canned reply, those in use first (leads)."""
    from dataclasses import asdict

    from services.tickets import canned

    rows = canned.replies(obj.open(create=False))
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(_canned_line(r))


def _canned_options(fn):
    fn = click.option("--body-file", type=click.File("r", encoding="utf-8"),
                      help="Read the text from this file ('-': standard input).")(fn)
    fn = click.option("--body", help="The text; placeholders {customer}, {protocol}, {agent}, {contact}.")(fn)
    fn = click.option("--queue", help="The destination (name or id) it is for; '' for every destination.")(fn)
    return click.option("--title")(fn)


@canned_group.command("add")
@_canned_options
@click.pass_obj
def canned_add(obj: Context, title: str | None, queue: str | None, body: str | None, body_file) -> None:
    """Add a canned reply (--title and --body or --body-file)."""
    from services.tickets import canned

    actor = obj.open()
    text = _canned_body(body, body_file)
    click.echo(_canned_line(canned.save(actor, None, title=title or "", body=text or "",
                                        queue_id=_canned_queue(actor, queue))))


@canned_group.command("edit")
@click.argument("reply_id", type=ID)
@_canned_options
@click.pass_obj
def canned_edit(obj: Context, reply_id: int, title: str | None, queue: str | None, body: str | None,
                body_file) -> None:
    """Change the canned reply REPLY_ID: only the options given change."""
    from services.tickets import canned

    actor = obj.open(create=False)
    now = canned.get(actor, reply_id)
    text = _canned_body(body, body_file)
    click.echo(_canned_line(canned.save(
        actor, reply_id, title=now.title if title is None else title, body=now.body if text is None else text,
        queue_id=now.queue_id if queue is None else _canned_queue(actor, queue))))


@canned_group.command("disable")
@click.argument("reply_id", type=ID)
@click.option("--enable", is_flag=True, help="Put it back in use.")
@click.pass_obj
def canned_disable(obj: Context, reply_id: int, enable: bool) -> None:
    """Take the canned reply REPLY_ID out of use (agents no longer see it), or back."""
    from services.tickets import canned

    click.echo(_canned_line(canned.set_active(obj.open(create=False), reply_id, enable)))
