"""Atende: the Textual App and the `atende` command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterable

import click
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from services import config as config_mod
from services.errors import AtendeError
from services.i18n import N_, _, set_language, resolve_language
from services.permissions import Actor
from tui.base import translate_bindings

__version__ = "0.1.0"


class AtendeApp(App):
    """The terminal application. Everything it needs is passed in."""

    CSS_PATH = "tui/app.tcss"
    TITLE = "Atende"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", N_("Help"), id="help", tooltip=N_("Keys and help for this screen")),
        Binding("question_mark", "help", N_("Help"), show=False, id="help-alt"),
        Binding("ctrl+q", "quit", N_("Quit"), id="quit", priority=True),
    ]

    def __init__(self, *, actor: Actor, config: config_mod.Config | None = None,
                 db_label: str = "", start: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.actor = actor
        self.config = config or config_mod.Config()
        self.db_label = db_label
        self.start = start

    def on_mount(self) -> None:
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        from screens.home import HomeScreen

        self.push_screen(HomeScreen())

    def action_help(self) -> None:
        from tui.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        own = getattr(screen, "palette_commands", None)
        if own is not None:
            for command in own():
                yield SystemCommand(command.title, command.help, command.callback)
        yield SystemCommand(_("Help"), _("Keys and help for this screen"), self.action_help)
        yield SystemCommand(_("Theme"), _("Change the colour theme"), self.action_change_theme)
        yield SystemCommand(_("Quit"), _("Leave Atende"), self.action_quit)

    def _handle_exception(self, error: Exception) -> None:
        # Under a test pilot, fail loudly. For a person, log it and keep the
        # session (and whatever they typed) alive.
        if self.is_headless or self._exception is not None or not self.is_running:
            super()._handle_exception(error)
            return
        from services.logs import internal_error

        self.notify(internal_error(error, "tui"), severity="error", timeout=10, markup=False)

    def _fatal_error(self) -> None:
        from services.logs import internal_error

        error = sys.exc_info()[1] or self._exception or RuntimeError("unknown")
        self._exit_renderables.append(f"atende: {internal_error(error, 'fatal')}")
        self._close_messages_no_wait()


# --------------------------------------------------------------------------- CLI


class Context:
    """What every command shares: the config and how to reach the store."""

    def __init__(self, config: config_mod.Config, db: str | None):
        self.config = config
        self.cli_db = db
        self.target = config_mod.database_path(db, config)
        self.actor: Actor | None = None

    def open(self, *, create: bool = True, identify: bool = True) -> Actor | None:
        from services import store, users

        default = self.target == config_mod.database_path(None, config_mod.Config(), {})
        store.open_store(self.target, create=create, make_folder=default)
        if identify:
            self.actor = users.identify(users.os_login(), self.target)
        return self.actor


def fail(message: str, code: int = 1) -> None:
    click.echo(f"atende: {message}", err=True)
    sys.exit(code)


class AtendeGroup(click.Group):
    """Turns every failure into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AtendeError as exc:
            fail(exc.message)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            fail(_("interrupted"), 130)
        except Exception as exc:  # never a traceback for a person
            from services.logs import internal_error

            fail(internal_error(exc, "cli"), 70)


@click.group(cls=AtendeGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db", metavar="PATH", help="Database file (or URL). Default: $ATENDE_DB, the config, the data folder.")
@click.option("--config", "config_path", metavar="PATH", help="Config file. Default: $ATENDE_CONFIG, the user's, /etc/atende/config.toml.")
@click.option("--lang", metavar="LANG", help="Language: en or pt_BR (default: config, then $LANG).")
@click.version_option(__version__, "--version", prog_name="atende")
@click.pass_context
def main(ctx: click.Context, db: str | None, config_path: str | None, lang: str | None) -> None:
    """Atende: service desk, events and scheduling in the terminal.

    Without a command, opens the application.
    """
    try:
        cfg = config_mod.load(config_path)
    except AtendeError as exc:
        set_language(resolve_language(lang))
        fail(exc.message)
    set_language(resolve_language(lang or cfg.locale))
    ctx.obj = Context(cfg, db)
    if ctx.invoked_subcommand is None:
        run_tui(ctx.obj)


def run_tui(context: Context) -> None:
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        fail(_("the application needs a terminal; see 'atende --help' for commands"))
    actor = context.open()
    app = AtendeApp(actor=actor, config=context.config, db_label=context.target)
    app.run()
    if app.return_code:
        sys.exit(app.return_code)


@main.command()
@click.option("--customers", default=10_000, show_default=True, type=click.IntRange(1, 5_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--reset", is_flag=True, help="Delete the database first and start anew.")
@click.pass_obj
def demo(obj: Context, customers: int, seed: int, reset: bool) -> None:
    """Fill a database with realistic demo data."""
    from services import demo as demo_mod

    if reset:
        _reset_database(obj.target)
    actor = obj.open()
    if demo_mod.has_data():
        click.echo(_("Demo data is already in {path}; use --reset to start anew.").format(path=obj.target))
        return

    last = {"stage": None}

    def progress(stage: str, done: int, total: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r{stage}: {done:,}/{total:,}   ", err=True, nl=False)
        elif stage != last["stage"]:
            click.echo(f"{stage}...", err=True)
        last["stage"] = stage

    report = demo_mod.fill(actor, customers=customers, seed=seed, progress=progress)
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(_("Demo data ready in {path} ({customers:,} customers, {seconds:.1f} s).").format(
        path=obj.target, customers=report.customers + report.prospects, seconds=report.seconds))


def _reset_database(target: str) -> None:
    if "://" in target:
        fail(_("--reset works only on a database file"))
    path = Path(target)
    if path.is_dir():
        fail(_("{path} is a directory, not a database file").format(path=path))
    for suffix in ("", "-wal", "-shm"):
        extra = Path(str(path) + suffix)
        if extra.exists():
            extra.unlink()


@main.command()
@click.pass_obj
def locate(obj: Context) -> None:
    """Show where the config, the database and the logs are."""
    from services import paths
    from services.logs import log_file

    rows = [
        (_("config"), str(obj.config.source) if obj.config.source else
         _("(none; would read {path})").format(path=paths.user_config_file())),
        (_("database"), obj.target),
        (_("files"), str(paths.files_dir(Path(obj.target))) if "://" not in obj.target else "-"),
        (_("logs"), str(log_file())),
    ]
    width = max(len(k) for k, _v in rows)
    for key, value in rows:
        click.echo(f"{key:<{width}}  {value}")


@main.command()
@click.pass_obj
def doctor(obj: Context) -> None:
    """Check the database, permissions, config, mail, fonts and worker."""
    from services import doctor as doctor_mod

    checks = doctor_mod.run(obj.config, obj.target)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "OK  " if check.ok else ("WARN" if check.warning else "FAIL")
        click.echo(f"{mark}  {check.name:<{width}}  {check.message}")
    if any(not c.ok and not c.warning for c in checks):
        sys.exit(1)


@main.command()
@click.argument("dest", type=click.Path(dir_okay=True, file_okay=True, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite DEST if it exists.")
@click.pass_obj
def backup(obj: Context, dest: Path, force: bool) -> None:
    """Copy the database to DEST safely, while others keep working."""
    from services import backup as backup_mod

    actor = obj.open(create=False)
    result = backup_mod.backup(actor, dest, force=force)
    click.echo(_("Backup written to {path} ({size:,} bytes, integrity ok).").format(
        path=result.path, size=result.size))


# --- people


@main.group()
def users() -> None:
    """Who may use this database, and their roles."""


@users.command("add")
@click.argument("login")
@click.option("--role", required=True, help="agent, coordinator, supervisor, admin or representative")
@click.option("--name", default="", help="Full name (default: from the system).")
@click.option("--email", default="")
@click.option("--company", "company_id", type=int, default=None, help="Customer id, for a company representative.")
@click.pass_obj
def users_add(obj: Context, login: str, role: str, name: str, email: str, company_id: int | None) -> None:
    """Add LOGIN (an OS login) with ROLE."""
    from services import users as users_mod

    actor = obj.open()
    info = users_mod.add(actor, login, role, name=name, email=email, company_id=company_id)
    click.echo(_("Added {login} as {role}.").format(login=info.login, role=info.role))


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "include_inactive", is_flag=True, help="Include removed people.")
@click.pass_obj
def users_list(obj: Context, as_json: bool, include_inactive: bool) -> None:
    """List people and their roles."""
    from dataclasses import asdict

    from services import users as users_mod

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
@click.option("--company", "company_id", type=int, default=None)
@click.pass_obj
def users_set_role(obj: Context, login: str, role: str, company_id: int | None) -> None:
    """Change LOGIN's role to ROLE."""
    from services import users as users_mod

    actor = obj.open()
    info = users_mod.set_role(actor, login, role, company_id=company_id)
    click.echo(_("{login} is now {role}.").format(login=info.login, role=info.role))


@users.command("remove")
@click.argument("login")
@click.pass_obj
def users_remove(obj: Context, login: str) -> None:
    """Remove LOGIN's access (their history stays)."""
    from services import users as users_mod

    actor = obj.open()
    users_mod.remove(actor, login)
    click.echo(_("{login} can no longer use this database.").format(login=login))


# --- events (issue 5)


def _json_default(value):
    import datetime as _dt

    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _event_dict(e) -> dict:
    from dataclasses import asdict

    from services import events as ev

    d = asdict(e)
    d.update(status=e.status, free_seats=e.free_seats)
    d["stage_label"] = ev.stage_label(e.stage)
    return d


@main.group()
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
    from services import events as ev

    actor = obj.open()
    if stage and stage not in ev.STAGES:
        fail(_("unknown stage '{stage}': use one of {stages}").format(stage=stage, stages=", ".join(ev.STAGES)))
    items = ev.list_events(actor, stage=stage, mine=mine, include_old=include_old)
    if as_json:
        _echo_json([_event_dict(e) for e in items])
        return
    for e in items:
        click.echo(f"{e.id:>5}  {ev.format_datetime(e.starts_at)}  {ev.stage_label(e.stage):<26} "
                   f"{e.seats_text():<16} {e.description}")


@event.command("show")
@click.argument("event_id", metavar="EVENT", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def event_show(obj: Context, event_id: int, as_json: bool) -> None:
    """Show EVENT (its id) with its registrations."""
    from dataclasses import asdict

    from services import event_registrations as er
    from services import events as ev

    actor = obj.open()
    e = ev.get_event(actor, event_id)
    regs = er.list_registrations(actor, event_id)
    if as_json:
        data = _event_dict(e)
        data["registrations"] = [dict(asdict(r), stage_label=r.stage_label) for r in regs]
        for r in data["registrations"]:
            r.pop("access_token", None)
        _echo_json(data)
        return
    rows = [
        (_("Event"), f"{e.id}  {e.description}"),
        (_("Stage"), f"{ev.stage_label(e.stage)} ({ev.status_label(e.stage)})"),
        (_("Start"), ev.format_datetime(e.starts_at)),
        (_("End"), ev.format_datetime(e.ends_at)),
        (_("Type"), f"{e.type_name} ({ev.format_label(e.format)})"),
        (_("Responsible"), f"{e.responsible_name} ({e.responsible_login})"),
        (_("Seats"), e.seats_text()),
    ]
    if e.main_id:
        rows.append((_("Main event"), f"{e.main_id}  {e.main_description}"))
    if e.secondary_ids:
        rows.append((_("Secondary events"), ", ".join(str(i) for i in e.secondary_ids)))
    for label, value in (("Client / location", e.client), ("Address", e.address), ("Online access link", e.access_link)):
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
@click.argument("event_id", metavar="EVENT", type=int)
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--cpf", default="")
@click.option("--phone", default="")
@click.option("--company", default="")
@click.option("--consent", is_flag=True, help="The participant agreed to the processing of their personal data (required).")
@click.pass_obj
def event_register(obj: Context, event_id: int, name: str, email: str, cpf: str, phone: str, company: str,
                   consent: bool) -> None:
    """Register a participant in EVENT."""
    from services import event_registrations as er

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


@event.command("checkin")
@click.argument("code")
@click.pass_obj
def event_checkin(obj: Context, code: str) -> None:
    """Check in the participant with registration CODE."""
    from services import event_registrations as er

    actor = obj.open()
    r = er.checkin(actor, code)
    click.echo(_("{name} checked in at {time}.").format(name=r.name, time=r.came_at.strftime("%H:%M")))


@event.command("import")
@click.argument("event_id", metavar="EVENT", type=int)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def event_import(obj: Context, event_id: int, file: Path) -> None:
    """Register the participants listed in a CSV FILE (name,email,phone,cpf,company,consent)."""
    from services import event_import as imp

    actor = obj.open()
    report = imp.import_csv(actor, event_id, file)
    click.echo(_("{added} registered ({waiting} on the waiting list), {rejected} rejected, of {rows} rows.").format(
        added=report.added, waiting=report.waitlisted, rejected=len(report.rejected), rows=report.rows))
    if report.encoding != "utf-8":
        click.echo(_("The file was read as {encoding}.").format(encoding=report.encoding))
    for row in report.rejected:
        click.echo(_("line {line}: {reason}").format(line=row.line, reason=row.reason))


@event.command("access")
@click.argument("token")
@click.pass_obj
def event_access(obj: Context, token: str) -> None:
    """Print the online link for an access TOKEN, when access is open."""
    from services import event_registrations as er

    obj.open(identify=False)
    result = er.access_online(token)
    click.echo(result.link)


@event.command("move")
@click.argument("event_id", metavar="EVENT", type=int)
@click.argument("stage")
@click.option("--no-mail", is_flag=True, help="Do not e-mail participants about the change.")
@click.pass_obj
def event_move(obj: Context, event_id: int, stage: str, no_mail: bool) -> None:
    """Move EVENT to STAGE (new, preparation, registration, materials, feedback, held, cancelled)."""
    from services import events as ev

    actor = obj.open()
    result = ev.move_event(actor, event_id, stage, send_mail=not no_mail)
    click.echo(_("Event {id} is now at {stage}.").format(id=event_id, stage=ev.stage_label(result.event.stage)))
    if result.task_created:
        click.echo(_("Preparation task created for {name}.").format(name=result.event.responsible_name))
    if result.closed:
        click.echo(_("{came} waiting for materials, {absent} did not come.").format(
            came=result.closed.waiting_materials, absent=result.closed.did_not_come))


@event.command("types")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def event_types(obj: Context, as_json: bool) -> None:
    """List event types with their format and checklist."""
    from dataclasses import asdict

    from services import events as ev

    actor = obj.open()
    types = ev.list_types(actor)
    if as_json:
        _echo_json([asdict(t) for t in types])
        return
    for t in types:
        click.echo(f"{t.id:>3}  {t.name} ({ev.format_label(t.format)})")
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
    from services import events as ev

    actor = obj.open()
    t = ev.save_type(actor, name, fmt, preparation, checklist)
    click.echo(_("Event type {id} added: {name}.").format(id=t.id, name=t.name))


@event.command("remind")
@click.pass_obj
def event_remind(obj: Context) -> None:
    """Queue the reminder e-mails due (three days and one day before); for cron or the worker."""
    from services import event_registrations as er

    obj.open(identify=False)
    click.echo(_("{n} reminders queued.").format(n=er.queue_due_reminders()))


@event.command("participant-export")
@click.argument("email")
@click.pass_obj
def event_participant_export(obj: Context, email: str) -> None:
    """Print (JSON) everything kept about the participant with EMAIL."""
    from services import event_registrations as er

    actor = obj.open()
    _echo_json(er.export_participant(actor, email))


@event.command("participant-erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do it (without this, nothing is erased).")
@click.pass_obj
def event_participant_erase(obj: Context, email: str, yes: bool) -> None:
    """Erase the personal data of the participant with EMAIL."""
    from services import event_registrations as er

    if not yes:
        fail(_("erasing cannot be undone: add --yes to erase {email}'s data").format(email=email))
    actor = obj.open()
    report = er.erase_participant(actor, email)
    click.echo(_("{n} registration(s) erased; {kept} keep the name and CPF their certificates prove.").format(
        n=report.registrations, kept=report.kept_for_certificates))


if __name__ == "__main__":
    main()
