"""The events' command groups: event, certificates."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from screens.cli_base import ID, Context, echo_json, fail
from services.core.i18n import _


def _event_dict(e) -> dict:
    from dataclasses import asdict

    from services.events import stages

    d = asdict(e)
    d.update(status=e.status, free_seats=e.free_seats)
    d["stage_label"] = stages.stage_label(e.stage)
    return d


@click.group()
def event() -> None:
    """Events: list, show, register, check in, import, online access."""


@event.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--stage", default=None, help="new, preparation, registration, materials, feedback, held, cancelled")
@click.option("--mine", is_flag=True, help="Only events I am responsible for.")
@click.option("--all", "include_old", is_flag=True, help="Include events held or cancelled long ago.")
@click.pass_obj
def event_list(obj: Context, as_json: bool, stage: str | None, mine: bool, include_old: bool) -> None:
    """List events by start date."""
    from services.events import fields, queries, stages

    actor = obj.open()
    if stage and stage not in stages.STAGES:
        fail(_("unknown stage '{stage}': use one of {stages}").format(stage=stage, stages=", ".join(stages.STAGES)))
    items = queries.list_events(actor, stage=stage, mine=mine, include_old=include_old)
    if as_json:
        echo_json([_event_dict(e) for e in items])
        return
    for e in items:
        click.echo(f"{e.id:>5}  {fields.format_datetime(e.starts_at)}  {stages.stage_label(e.stage):<26} "
                   f"{e.seats_text():<16} {e.description}")


@event.command("show")
@click.argument("event_id", metavar="EVENT", type=ID)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def event_show(obj: Context, event_id: int, as_json: bool) -> None:
    """Show EVENT (its id) with its registrations."""
    from dataclasses import asdict

    from services.events import fields, queries, stages
    from services.events import registrations as er

    actor = obj.open()
    e = queries.get_event(actor, event_id)
    regs = er.list_registrations(actor, event_id)
    if as_json:
        data = _event_dict(e)
        data["registrations"] = [dict(asdict(r), stage_label=r.stage_label) for r in regs]
        for r in data["registrations"]:
            r.pop("access_token", None)
        echo_json(data)
        return
    rows = [
        (_("Event"), f"{e.id}  {e.description}"),
        (_("Stage"), f"{stages.stage_label(e.stage)} ({stages.status_label(e.status)})"),
        (_("Start"), fields.format_datetime(e.starts_at)),
        (_("End"), fields.format_datetime(e.ends_at)),
        (_("Type"), f"{e.type_name} ({stages.format_label(e.format)})"),
        (_("Responsible"), f"{e.responsible_name} ({e.responsible_login})"),
        (_("Seats"), e.seats_text()),
    ]
    if e.main_id:
        rows.append((_("Main event"), f"{e.main_id}  {e.main_description}"))
    if e.secondary_ids:
        rows.append((_("Secondary events"), ", ".join(str(i) for i in e.secondary_ids)))
    for label, value in (("Client / location", e.client), ("Address", e.address),
                         ("Online access link", e.access_link)):
        if value:
            rows.append((_(label), value))
    width = max(len(k) for k, _v in rows)
    for key, value in rows:
        click.echo(f"{key:<{width}}  {value}")
    if regs:
        click.echo("")
    for r in regs:
        click.echo(f"{r.code}  {r.stage_label:<22} {r.name}  <{r.email}>")


@event.command("register")
@click.argument("event_id", metavar="EVENT", type=ID)
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--cpf", default="")
@click.option("--phone", default="")
@click.option("--company", default="")
@click.option("--consent", is_flag=True,
              help="The participant agreed to the processing of their personal data (required).")
@click.pass_obj
def event_register(obj: Context, event_id: int, name: str, email: str, cpf: str, phone: str, company: str,
                   consent: bool) -> None:
    """Register a participant in EVENT."""
    from services.events import registrations as er

    if not consent:
        fail(_("no consent, no registration: confirm the participant agreed to the processing of their "
               "personal data with --consent"))
    actor = obj.open()
    result = er.register(actor, event_id, er.RegistrationInput(
        name=name, email=email, cpf=cpf, phone=phone, company=company, consent=True), source="cli")
    r = result.registration
    if result.waitlisted:
        click.echo(_("{name} is #{n} on the waiting list (code {code}).").format(
            name=r.name, n=r.waitlist_position, code=r.code))
    else:
        click.echo(_("{name} registered, code {code}.").format(name=r.name, code=r.code))
    if result.replicas:
        click.echo(_("Also registered in {n} secondary event(s).").format(n=result.replicas))


def _event_options(command):
    """The options that describe an event (create, edit)."""
    for option in reversed((
        click.option("--description", default=None),
        click.option("--start", "starts_at", default=None, metavar="DD/MM/YYYY HH:MM"),
        click.option("--end", "ends_at", default=None, metavar="DD/MM/YYYY HH:MM"),
        click.option("--type", "type_ref", default=None, help="The event type: its id or name."),
        click.option("--responsible", default=None, metavar="LOGIN"),
        click.option("--client", default=None),
        click.option("--link", "access_link", default=None, help="The online meeting's link."),
        click.option("--address", default=None),
        click.option("--seats", default=None, help="A number, or '' for no limit."),
        click.option("--public/--private", "public", default=None),
        click.option("--hours", "workload_hours", default=None, help="The certificate's workload."),
        click.option("--main", "main_ref", default=None, metavar="EVENT",
                     help="The main event of a secondary one ('' for none)."),
    )):
        command = option(command)
    return command


def _event_input(actor, base, options: dict):
    """`base` (an EventInput) with the options given changed."""
    from dataclasses import replace

    from services.core.validation import record_id
    from services.events import event_types, queries

    changes = {k: v for k, v in options.items() if v is not None and k not in ("type_ref", "responsible", "main_ref")}
    if options.get("type_ref") is not None:
        ref = options["type_ref"].strip()
        types = event_types.list_types(actor)
        found = [t for t in types if str(t.id) == ref or t.name.casefold() == ref.casefold()]
        if not found:
            fail(_("No event type {ref}: use one of {names}").format(ref=ref, names=", ".join(t.name for t in types)))
        changes["type_id"] = found[0].id
    if options.get("responsible") is not None:
        staff = {o.login: o.id for o in queries.staff_options(actor)}
        if options["responsible"] not in staff:
            fail(_("No staff member '{login}'").format(login=options["responsible"]))
        changes["responsible_id"] = staff[options["responsible"]]
    if options.get("main_ref") is not None:
        changes["main_id"] = record_id(options["main_ref"]) if options["main_ref"].strip() else None
    return replace(base, **changes)


@event.command("create")
@_event_options
@click.pass_obj
def event_create(obj: Context, **options) -> None:
    """Create an event (a secondary one with --main EVENT)."""
    from services.events import editing

    actor = obj.open()
    data = _event_input(actor, editing.EventInput(responsible_id=actor.id), options)
    e = editing.create_event(actor, data)
    click.echo(_("Event {id} created: {event}.").format(id=e.id, event=e.description))


@event.command("edit")
@click.argument("event_id", metavar="EVENT", type=ID)
@_event_options
@click.option("--email/--no-email", "email", default=False,
              help="E-mail the participants the new date or place (when either changed).")
@click.pass_obj
def event_edit(obj: Context, event_id: int, email: bool, **options) -> None:
    """Change EVENT: only the options given change."""
    from services.events import editing, pipeline, queries

    actor = obj.open()
    e = queries.get_event(actor, event_id)
    changed = editing.update_event(actor, event_id, _event_input(actor, editing.EventInput.from_event(e), options),
                                   version=e.version)
    click.echo(_("Event {id} saved: {event}.").format(id=changed.id, event=changed.description))
    if pipeline.moved(e, changed) and changed.registered:
        if email:
            click.echo(_("{n} participants will be e-mailed").format(n=pipeline.mail_changes(actor, event_id)))
        else:
            click.echo(_("The date or the place changed; --email tells the participants."))


@event.command("cancel-registration")
@click.argument("code")
@click.pass_obj
def event_cancel_registration(obj: Context, code: str) -> None:
    """Cancel the registration with CODE (its seat goes to the first on the waiting list)."""
    from services.events import registrations as er

    actor = obj.open()
    reg = er.find_by_code(actor, code)
    promoted = er.cancel_registration(actor, reg.id, version=reg.version)
    click.echo(_("Registration {code} ({name}) cancelled.").format(code=reg.code, name=reg.name))
    if promoted:
        click.echo(_("{n} moved up from the waiting list.").format(n=len(promoted)))


@event.command("checkin")
@click.argument("code")
@click.pass_obj
def event_checkin(obj: Context, code: str) -> None:
    """Check in the participant with registration CODE."""
    from services.events import checkin

    actor = obj.open()
    r = checkin.checkin(actor, code)
    click.echo(_("{name} checked in at {time}.").format(name=r.name, time=r.came_at.strftime("%H:%M")))


@event.command("import")
@click.argument("event_id", metavar="EVENT", type=ID)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def event_import(obj: Context, event_id: int, file: Path) -> None:
    """Register the participants listed in a CSV FILE (name,email,phone,cpf,company,consent)."""
    from services.events import imports as imp

    actor = obj.open()
    report = imp.import_csv(actor, event_id, file)
    click.echo(_("{added} registered ({waiting} on the waiting list), {rejected} rejected, of {rows} rows.").format(
        added=report.added, waiting=report.waitlisted, rejected=len(report.rejected), rows=report.rows))
    if report.encoding != "utf-8":
        click.echo(_("The file was read as {encoding}.").format(encoding=report.encoding))
    for row in report.rejected:
        click.echo(_("line {line}: {reason}").format(line=row.line, reason=row.reason))
    if report.rejected and not report.added:  # nothing registered: the import failed
        sys.exit(1)


@event.command("access", context_settings={"ignore_unknown_options": True})
@click.argument("token")  # a token from an older version may start with "-": still a token, not an option
@click.pass_obj
def event_access(obj: Context, token: str) -> None:
    """Print the online link for an access TOKEN, when access is open."""
    from services.events import checkin

    obj.open(identify=False)
    result = checkin.access_online(token)
    click.echo(result.link)


@event.command("move")
@click.argument("event_id", metavar="EVENT", type=ID)
@click.argument("stage")
@click.option("--no-mail", is_flag=True, help="Do not e-mail participants about the change.")
@click.option("--reason", default="", help="Why an event is closed as held before its start (supervisors).")
@click.pass_obj
def event_move(obj: Context, event_id: int, stage: str, no_mail: bool, reason: str) -> None:
    """Move EVENT to STAGE (new, preparation, registration, materials, feedback, held, cancelled)."""
    from services.events import pipeline, stages

    actor = obj.open()
    result = pipeline.move_event(actor, event_id, stage, send_mail=not no_mail, reason=reason)
    click.echo(_("Event {id} is now at {stage}.").format(id=event_id, stage=stages.stage_label(result.event.stage)))
    if result.task_created:
        click.echo(_("Preparation task created for {name}.").format(name=result.event.responsible_name))
    if result.closed:
        click.echo(_("{came} waiting for materials, {absent} did not come.").format(
            came=result.closed.waiting_materials, absent=result.closed.did_not_come))


@event.command("status")
@click.argument("event_id", metavar="EVENT", type=ID)
@click.argument("status", type=click.Choice(["open", "confirmed", "cancelled"]))
@click.option("--email", is_flag=True, help="E-mail the participants (confirmed: the seat holders; cancelled: all).")
@click.pass_obj
def event_status(obj: Context, event_id: int, status: str, email: bool) -> None:
    """Set EVENT's status: open, confirmed or cancelled (its own decision, beside the stages)."""
    from services.events import pipeline, stages

    actor = obj.open()
    result = pipeline.set_status(actor, event_id, status, send_mail=email)
    click.echo(_("Event {id} is now {status}.").format(id=event_id, status=stages.status_label(result.event.status)))
    if result.mailed:
        click.echo(_("{n} participants will be e-mailed").format(n=result.mailed))


@event.command("types")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def event_types(obj: Context, as_json: bool) -> None:
    """List event types with their format and checklist."""
    from dataclasses import asdict

    from services.events import event_types as types_svc
    from services.events import stages

    actor = obj.open()
    types = types_svc.list_types(actor)
    if as_json:
        echo_json([asdict(t) for t in types])
        return
    for t in types:
        click.echo(f"{t.id:>3}  {t.name} ({stages.format_label(t.format)})")
        for item in t.checklist:
            click.echo(f"       - {item}")


@event.command("type-add")
@click.argument("name")
@click.option("--format", "fmt", required=True, type=click.Choice(["offline", "online", "hybrid"]))
@click.option("--preparation", default="", help="What preparing this kind of event involves.")
@click.option("--check", "checklist", multiple=True, help="A checklist item (repeat).")
@click.pass_obj
def event_type_add(obj: Context, name: str, fmt: str, preparation: str, checklist: tuple[str, ...]) -> None:
    """Add an event type; its checklist becomes each event's preparation task."""
    from services.events import event_types as types_svc

    actor = obj.open()
    t = types_svc.save_type(actor, name, fmt, preparation, checklist)
    click.echo(_("Event type {id} added: {name}.").format(id=t.id, name=t.name))


@event.command("remind")
@click.pass_obj
def event_remind(obj: Context) -> None:
    """Queue the reminder e-mails due (three days and one day before); for cron or the worker."""
    from services.events import sweeps

    obj.open_background()
    click.echo(_("{n} reminders queued.").format(n=sweeps.queue_due_reminders()))


@event.command("participant-export")
@click.argument("email")
@click.pass_obj
def event_participant_export(obj: Context, email: str) -> None:
    """Print (JSON) everything kept about the participant with EMAIL."""
    from services.events import privacy

    actor = obj.open()
    echo_json(privacy.export_participant(actor, email))


@event.command("participant-erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do it (without this, nothing is erased).")
@click.pass_obj
def event_participant_erase(obj: Context, email: str, yes: bool) -> None:
    """Erase the personal data of the participant with EMAIL."""
    from services.events import privacy

    if not yes:
        fail(_("erasing cannot be undone: add --yes to erase {email}'s data").format(email=email))
    actor = obj.open()
    report = privacy.erase_participant(actor, email)
    click.echo(_("{n} registration(s) erased; {kept} keep the name and CPF their certificates prove.").format(
        n=report.registrations, kept=report.kept_for_certificates))


@click.group()
def certificates() -> None:
    """Attendance certificates: issue and verify."""


@certificates.command("verify")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def certificates_verify(obj: Context, code: str, as_json: bool) -> None:
    """Check a certificate's verification CODE."""
    from services.core.permissions import require
    from services.events import certificates as cert_mod

    actor = obj.open()
    require(actor, "certificates.verify")
    info = cert_mod.verify(code)
    if as_json:
        click.echo(json.dumps({
            "code": info.code, "participant": info.participant_name, "cpf": info.cpf_masked,
            "event": info.event_title, "workload_hours": info.workload_hours,
            "start": info.start.date().isoformat(), "end": info.end.date().isoformat(),
            "issued_at": info.issued_at.isoformat()}, ensure_ascii=False, indent=2))
        return
    click.echo(_("Valid certificate {code}").format(code=info.code))
    click.echo(_("  participant: {name} ({cpf})").format(name=info.participant_name, cpf=info.cpf_masked))
    click.echo(_("  event: {title}").format(title=info.event_title))
    click.echo(_("  dates: {start} - {end}, {hours} h").format(
        start=f"{info.start:%d/%m/%Y}", end=f"{info.end:%d/%m/%Y}", hours=f"{info.workload_hours:g}"))
    click.echo(_("  issued: {when}").format(when=f"{info.issued_at:%d/%m/%Y %H:%M}"))


@certificates.command("issue")
@click.argument("event")
@click.pass_obj
def certificates_issue(obj: Context, event: str) -> None:
    """Issue the certificates of EVENT now (for those who came and have a CPF)."""
    from services.events import issuing

    actor = obj.open()
    bar = {"bar": None}

    def progress(done: int, total: int) -> None:
        if bar["bar"] is None:
            bar["bar"] = click.progressbar(length=total, label=_("Certificates"), file=sys.stderr)
            bar["bar"].__enter__()
        bar["bar"].update(done - bar["bar"].pos)

    try:
        report = issuing.issue_event(actor, event, progress)
    finally:
        if bar["bar"] is not None:
            bar["bar"].__exit__(None, None, None)
    click.echo(_("{n} certificates issued now.").format(n=report.issued)
               + (" " + _("{n} had been issued before.").format(n=report.before) if report.before else ""))
    for who, reason in report.skipped:
        click.echo(f"  {who}: {reason}")
