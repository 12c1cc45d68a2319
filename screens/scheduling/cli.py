"""The scheduling command groups: triage, bookings, rota."""
from __future__ import annotations

import json

import click

from screens.cli_base import ID, Context
from services.core.i18n import _


@click.group()
def triage() -> None:
    """Scheduling triage: book with implementation, or handled by support now?"""


@triage.command("check")
@click.option("--customer", "customer_id", required=True, type=ID, help="Customer id.")
@click.option("--topic", required=True, help="Topic key (see: atende triage topics).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def triage_check(obj: Context, customer_id: int, topic: str, as_json: bool) -> None:
    """Print the route for a customer asking for a topic, with reason and next steps."""
    from services.scheduling import triage as triage_mod

    actor = obj.open(create=False)
    decision = triage_mod.triage(actor, customer_id, topic)
    if as_json:
        click.echo(json.dumps(decision.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(_("Route: {title} ({route})").format(title=decision.title, route=decision.route))
    click.echo(_("Reason: {reason}").format(reason=decision.reason))
    click.echo(_("Next steps") + ":")
    for i, step in enumerate(decision.next_steps, 1):
        click.echo(f"  {i}. {step}")
    if decision.guidance:
        click.echo(_("Guidance: {text}").format(text=decision.guidance))
    if decision.webinar_link:
        click.echo(_("Webinar: {link}").format(link=decision.webinar_link))


@triage.command("topics")
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "include_inactive", is_flag=True, help="Include retired topics.")
@click.pass_obj
def triage_topics(obj: Context, as_json: bool, include_inactive: bool) -> None:
    """List the topic catalogue."""
    from dataclasses import asdict

    from services.scheduling import topics as topics_mod

    actor = obj.open(create=False)
    topics = topics_mod.list_topics(actor, include_inactive=include_inactive)
    if as_json:
        click.echo(json.dumps([asdict(t) for t in topics], ensure_ascii=False, indent=2))
        return
    for t in topics:
        route = _("booking") if t.needs_booking else _("support")
        flags = " ".join(x for x, on in ((_("training"), t.is_training), (_("equipment"), t.involves_equipment),
                                          (_("retired"), not t.active)) if on)
        click.echo(f"{t.key:<28} {route:<9} {t.label}" + (f"  [{flags}]" if flags else ""))


@click.group()
def bookings() -> None:
    """Implementation sessions booked by support."""


@bookings.command("list")
@click.option("--analyst", default=None, help="Analyst login.")
@click.option("--month", default=None, metavar="YYYY-MM")
@click.option("--status", default=None, help="booked, held or no_show")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def bookings_list(obj: Context, analyst: str | None, month: str | None, status: str | None, as_json: bool) -> None:
    """List bookings, soonest first."""
    from services.scheduling import bookings as bookings_mod

    actor = obj.open(create=False)
    rows = bookings_mod.list_bookings(actor, analyst=analyst, month=month, status=status)
    if as_json:
        click.echo(json.dumps([b.as_dict() for b in rows], ensure_ascii=False, indent=2))
        return
    for b in rows:
        status = _(bookings_mod.STATUS_LABELS[b.status])
        click.echo(f"{b.id:>5}  {b.start:%Y-%m-%d %H:%M}  {b.analyst_login:<12} "
                   f"{status:<14} {b.protocol:<16} {b.customer_name} · {b.topic_label}")
    if not rows:
        click.echo(_("No bookings."))


@bookings.command("outcome")
@click.argument("booking_id", type=ID)
@click.argument("outcome", type=click.Choice(["held", "no_show"]))
@click.option("--note", default="")
@click.pass_obj
def bookings_outcome(obj: Context, booking_id: int, outcome: str, note: str) -> None:
    """Record that session BOOKING_ID was held or that the customer did not come."""
    from services.scheduling import bookings as bookings_mod

    actor = obj.open(create=False)
    current = bookings_mod.get_booking(actor, booking_id)
    info = bookings_mod.record_outcome(actor, booking_id, outcome, current.version, note=note)
    click.echo(_("Booking {id} recorded as {status}.").format(
        id=info.id, status=_(bookings_mod.STATUS_LABELS[info.status])))


@click.group()
def rota() -> None:
    """The monthly rota of implementation analysts."""


@rota.command("show")
@click.option("--from", "first", default=None, metavar="YYYY-MM", help="First month (default: this month).")
@click.option("--months", default=6, show_default=True, type=click.IntRange(1, 36))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rota_show(obj: Context, first: str | None, months: int, as_json: bool) -> None:
    """Who receives the bookings of each month."""
    from services.scheduling import rota as rota_mod

    actor = obj.open(create=False)
    entries = rota_mod.get_rota(actor, first or rota_mod.month_key(rota_mod.local_now()), months)
    if as_json:
        click.echo(json.dumps([{"month": e.month, "analyst": e.analyst.login if e.analyst else None}
                               for e in entries], indent=2))
        return
    for e in entries:
        click.echo(f"{e.month}  " + (f"{e.analyst.login} ({e.analyst.name})" if e.analyst else _("(nobody)")))


@rota.command("set")
@click.argument("month", metavar="YYYY-MM")
@click.argument("login")
@click.pass_obj
def rota_set(obj: Context, month: str, login: str) -> None:
    """Put analyst LOGIN on the rota for MONTH."""
    from services.scheduling import rota as rota_mod

    actor = obj.open(create=False)
    entry = rota_mod.set_rota(actor, month, login)
    click.echo(_("{month}: {login}").format(month=entry.month, login=entry.analyst.login))


@rota.command("analyst")
@click.argument("login")
@click.option("--hours", default=None, help='Working periods, e.g. "09:00-12:00 13:30-18:00".')
@click.option("--days", default=None, help="Working weekdays, 0=Monday: e.g. 0,1,2,3,4.")
@click.option("--inactive", is_flag=True, help="Take the analyst off (history stays).")
@click.pass_obj
def rota_analyst(obj: Context, login: str, hours: str | None, days: str | None, inactive: bool) -> None:
    """Make LOGIN an implementation analyst, or change their working hours."""
    from services.scheduling import rota as rota_mod

    actor = obj.open(create=False)
    a = rota_mod.save_analyst(actor, login, hours=hours, weekdays=days, active=not inactive)
    click.echo(_("{login}: {hours}, weekdays {days}{inactive}").format(
        login=a.login, hours=a.hours, days=",".join(str(d) for d in a.weekdays),
        inactive=" " + _("(inactive)") if not a.active else ""))
