"""Atende: the Textual App and the `atende` command line."""
from __future__ import annotations

import gc

# Importing Textual and the app makes only long-lived objects (modules,
# classes): the garbage collector's passes over them are wasted start-up time
# (about 10 ms). Off for these imports only; see also `run_tui`.
_gc_was_on = gc.isenabled()
gc.disable()
try:
    import json
    import sys
    import threading
    from collections.abc import Callable, Iterable
    from pathlib import Path

    import click
    from rich.text import Text
    from textual.app import App, SystemCommand
    from textual.binding import Binding
    from textual.screen import Screen

    from services import config as config_mod
    from services.errors import AtendeError
    from services.i18n import N_, _, resolve_language, set_language
    from services.permissions import Actor
    from tui.base import startup_quiet, translate_bindings
    from tui.keys import OrderedKeys
finally:
    if _gc_was_on:
        gc.enable()

__version__ = "0.1.0"




class AtendeApp(OrderedKeys, App):
    """The terminal application. Everything it needs is passed in."""

    CSS_PATH = str(Path(__file__).parent / "tui" / "app.tcss")
    TITLE = "Atende"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", N_("Help"), id="help", tooltip=N_("Keys and help for this screen")),
        Binding("question_mark", "help", N_("Help"), show=False, id="help-alt"),
        Binding("ctrl+q", "quit", N_("Quit"), id="quit", priority=True),
        # Tab moves the focus the moment it is read, before the keys typed after it are handed
        # to a field: as Textual's own (screen) binding, it moved only once the field had worked
        # through its queue, and on a busy machine what was typed next landed in the field left.
        Binding("tab", "app.focus_next", N_("Focus Next"), show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", N_("Focus Previous"), show=False, priority=True),
        # Textual's own palette key, with a description people can read in their language
        Binding("ctrl+p", "command_palette", N_("commands"), show=False, priority=True,
                tooltip=N_("Open the command palette")),
    ]

    def __init__(self, *, actor: Actor, config: config_mod.Config | None = None,
                 db_label: str = "", start: str | None = None, live: bool = True,
                 open_store: Callable[[], object] | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.actor = actor
        # other sessions' commits refresh open lists; presence heartbeat
        # (started with the other background work, once the home screen is painted)
        self.live = None
        self._live_wanted = live
        self.config = config or config_mod.Config()
        self.db_label = db_label
        self.start = start
        # `open_store`: the store is opened for real once the first frame is on
        # the terminal (services.quickopen read who is starting). Threads that
        # need the store wait for `store_ready`.
        self._open_store = open_store
        self.store_ready = threading.Event()
        self._background_waiting = False
        self._gc_after_paint = False
        self.store_failed = False
        if open_store is None:
            self.store_ready.set()

    def ensure_store(self) -> bool:
        """Open the store now if the app started before opening it; False if it
        cannot be opened (the app is then leaving with one line saying why)."""
        opener, self._open_store = self._open_store, None
        if opener is not None:
            try:
                opener()
            except AtendeError as exc:
                self.store_failed = True
                self.store_ready.set()  # wakes the threads waiting for it (tui.base.wait_for_store)
                self.exit(return_code=1, message=Text(f"atende: {exc.message}"))  # never read as markup
                return False
            self.store_ready.set()
        return self.store_ready.is_set() and not self.store_failed

    def on_ready(self) -> None:
        if self._gc_after_paint:  # see run_tui
            self._gc_after_paint = False
            gc.enable()
        if self.ensure_store() and self._background_waiting:
            self._background_waiting = False
            self._start_background()

    def push_screen(self, *args, **kwargs):
        self.ensure_store()  # a key pressed before the first frame was drawn
        return super().push_screen(*args, **kwargs)

    def get_default_screen(self) -> Screen:
        # The home screen is the first thing painted, not pushed after a blank one.
        from screens.home import HomeScreen
        from services.permissions import can

        if can(self.actor, "contactus.use"):  # a company representative: their company's Contact us
            from screens.contactus import ContactUsScreen

            self.ensure_store()  # it reads the company's contacts as it mounts

            return ContactUsScreen()
        return HomeScreen()

    def on_mount(self) -> None:
        from tui import account

        account.watch(self)  # a person removed while logged in is told, and stops acting
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        # Background threads start once the home screen is on the terminal: they
        # would otherwise share the interpreter with the first paint.
        quiet = startup_quiet()
        if quiet:
            self.set_timer(quiet, self._start_background)
        else:
            self._start_background()

    def _start_background(self) -> None:
        if not self.store_ready.is_set() or self.store_failed:  # started again once the store is open (on_ready)
            self._background_waiting = True
            return
        if self.live is None and self._live_wanted:
            from tui.live import LiveSession

            self.live = LiveSession(self)
        if self.live is not None and self.live.worker is None:
            self.live.start()

    def on_unmount(self) -> None:
        if self.live is not None:
            self.live.stop()

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

    def _fatal_error(self) -> None:
        # Textual stops a widget's message loop after an unhandled error, so
        # the app cannot carry on safely. Instead of a traceback the person
        # gets one line; the traceback goes to the log, and wizard drafts
        # (saved at every step) are offered again at the next start.
        from services.logs import internal_error
        from services.store import explain

        error = sys.exc_info()[1] or self._exception or RuntimeError("unknown")
        if isinstance(error, AtendeError):  # e.g. removed while logged in: its message is for the person
            message = error.message
        else:
            message = explain(error) or internal_error(error, "tui")
        self._exit_renderables.append(Text(f"atende: {message}"))  # a path may hold [brackets]
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
            self.actor = users.identify(users.session_login(), self.target)
        return self.actor

    def open_background(self) -> Actor | None:
        """Open the store for a background command (worker, reminders)
        and say who runs it: a staff member, or an account that is no person
        of this database (the worker's system user; None). A representative or
        a removed person is refused before anything runs."""
        from services import users

        self.open(identify=False)
        self.actor = users.identify_background(users.session_login(), self.target)
        return self.actor


def fail(message: str, code: int = 1) -> None:
    from services.text import shown

    click.echo(f"atende: {shown(message, multiline=False)}", err=True)  # a stored name never drives the terminal
    sys.exit(code)


class OneLineUsageError(click.UsageError):
    """A usage error (a missing argument, an unknown option, a bad value) as one
    line on stderr, naming the help to read; exit status 2."""

    def show(self, file=None) -> None:
        from services.text import clean

        message = clean(self.format_message()).rstrip(".")  # one line; what was typed never drives the terminal
        if self.ctx is not None:
            message = _("{message} (see '{command} --help')").format(message=message, command=self.ctx.command_path)
        click.echo(f"atende: {message}", err=True)


def _one_line(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, (OneLineUsageError, click.exceptions.NoArgsIsHelpError)):
        return exc  # a group typed alone shows its help, as asked
    return OneLineUsageError(exc.format_message(), exc.ctx)


class IdType(click.ParamType):
    """A record id: a whole number from 1 to the largest the store holds
    (anything else is a usage error, never a query that overflows)."""

    name = "id"

    def convert(self, value, param, ctx):
        from services.validation import MAX_ID, record_id

        number = record_id(value)
        if number is None:
            self.fail(_("'{value}' is not an id (a whole number from 1 to {max})").format(value=value, max=MAX_ID),
                      param, ctx)
        return number


ID = IdType()


class AtendeGroup(click.Group):
    """Turns every failure into one line on stderr and a non-zero exit."""

    def main(self, args=None, prog_name=None, *rest, **extra):
        # Every command's output goes through one filter: escape sequences and
        # other controls stored in data (a name written by another program)
        # are shown as visible characters, never handed to the terminal.
        from services.text import ShownStream

        stdout = sys.stdout
        if stdout is not None:
            sys.stdout = ShownStream(stdout)
        try:
            return super().main(args, prog_name or "atende", *rest, **extra)
        finally:
            sys.stdout = stdout

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AtendeError as exc:
            fail(exc.message)
        except click.UsageError as exc:
            raise _one_line(exc) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            fail(_("interrupted"), 130)
        except BrokenPipeError:  # `atende ... | head`: the reader left; not an error
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:  # never a traceback for a person
            from services.logs import internal_error
            from services.store import explain

            fail(explain(exc) or internal_error(exc, "cli"), 70)


@click.group(cls=AtendeGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db", metavar="PATH",
              help="Database file (or URL). Default: $ATENDE_DB, the config, the data folder.")
@click.option("--config", "config_path", metavar="PATH",
              help="Config file. Default: $ATENDE_CONFIG, the user's, /etc/atende/config.toml.")
@click.option("--lang", metavar="LANG", help="Language: en or pt_BR (default: config, then $LANG).")
@click.version_option(__version__, "--version", prog_name="atende")
@click.pass_context
def main(ctx: click.Context, db: str | None, config_path: str | None, lang: str | None) -> None:
    """Atende: service desk, events and scheduling in the terminal.

    Without a command, opens the application.
    """
    from services import paths

    paths.set_umask()  # files Atende creates: the owner's and the group's, nobody else's
    config_error = None
    try:
        cfg = config_mod.load(config_path)
    except AtendeError as exc:
        set_language(resolve_language(lang))
        if ctx.invoked_subcommand != "doctor":  # the doctor says what is wrong with it
            fail(exc.message)
        cfg, config_error = config_mod.Config(), exc.message
    set_language(resolve_language(lang or cfg.locale))
    ctx.obj = Context(cfg, db)
    ctx.obj.config_error = config_error
    if ctx.invoked_subcommand is None:
        run_tui(ctx.obj)


def run_tui(context: Context) -> None:
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        fail(_("the application needs a terminal; see 'atende --help' for commands"))
    from services.quickopen import peek_actor

    actor = peek_actor(context.target)
    if actor is None:  # a new or older database, or someone to add or refuse: the full path, with its messages
        actor = context.open()
        app = AtendeApp(actor=actor, config=context.config, db_label=context.target)
    else:
        app = AtendeApp(actor=actor, config=context.config, db_label=context.target,
                        open_store=lambda: context.open(identify=False))
    # As for the imports: no garbage collection until the first frame is drawn.
    app._gc_after_paint = gc.isenabled()
    gc.disable()
    try:
        app.run()
    finally:
        gc.enable()
        if app.live is not None:
            app.live.stop(wait=True)
    if app.return_code:
        sys.exit(app.return_code)


@main.command()
@click.option("--customers", default=10_000, show_default=True, type=click.IntRange(1, 5_000_000))
@click.option("--seed", default=7, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--reset", is_flag=True, help="Delete the database first and start anew (its admins, "
              "or the owner of a file nobody else uses).")
@click.pass_obj
def demo(obj: Context, customers: int, seed: int, reset: bool) -> None:
    """Fill a database with realistic demo data."""
    from services import demo as demo_mod

    if reset:
        _reset_database(obj)
    actor = obj.open()
    state = demo_mod.status(actor)
    if state == "filled":
        click.echo(_("Demo data is already in {path}; use --reset to start anew.").format(path=obj.target))
        return
    if state == "unfinished":
        click.echo(_("An earlier demo fill of {path} was interrupted; finishing it.").format(path=obj.target), err=True)

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


def _reset_database(obj: Context) -> None:
    """Delete the database file, once it is known that the person asking may:
    an admin of it, or the file's owner when nobody else uses it
    (services.demo.require_reset). Anyone else: one line, nothing deleted."""
    import models
    from services import demo as demo_mod
    from services import store, users

    target = obj.target
    if "://" in target:
        fail(_("--reset works only on a database file"))
    path = Path(target)
    if path.is_dir():
        fail(_("{path} is a directory, not a database file").format(path=path))
    if path.exists():
        # what is there must be an Atende database (not upgraded: nothing written before the answer)
        store.open_store(target, create=False, upgrade=False)
        try:
            demo_mod.require_reset(users.session_login(), path)
        finally:
            models.close_database()
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

    checks = doctor_mod.run(obj.config, obj.target, config_error=getattr(obj, "config_error", None))
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
@click.option("--company", "company", default=None,
              help="The company a representative represents: its customer id or CPF/CNPJ.")
@click.pass_obj
def users_add(obj: Context, login: str, role: str, name: str, email: str, company: str | None) -> None:
    """Add LOGIN (an OS login) with ROLE."""
    from services import users as users_mod

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
@click.option("--company", "company", default=None, help="For a representative: customer id or CPF/CNPJ.")
@click.pass_obj
def users_set_role(obj: Context, login: str, role: str, company: str | None) -> None:
    """Change LOGIN's role to ROLE."""
    from services import users as users_mod

    actor = obj.open()
    info = users_mod.set_role(actor, login, role, company=company)
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



# --- scheduling: triage, bookings, rota (issue 7)


@main.group()
def triage() -> None:
    """Scheduling triage: book with implementation, or handled by support now?"""


@triage.command("check")
@click.option("--customer", "customer_id", required=True, type=ID, help="Customer id.")
@click.option("--topic", required=True, help="Topic key (see: atende triage topics).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def triage_check(obj: Context, customer_id: int, topic: str, as_json: bool) -> None:
    """Print the route for a customer asking for a topic, with reason and next steps."""
    from services import triage as triage_mod

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

    from services import topics as topics_mod

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


@main.group("import")
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
    account_status (active|blocked), onboarding (yes|no), franchise_group.
    """
    from services import customer_import

    actor = obj.open(create=False)
    report = customer_import.import_customers(actor, file, encoding=encoding, dry_run=dry_run)
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


@main.group()
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
    from services import bookings as bookings_mod

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
    from services import bookings as bookings_mod

    actor = obj.open(create=False)
    current = bookings_mod.get_booking(actor, booking_id)
    info = bookings_mod.record_outcome(actor, booking_id, outcome, current.version, note=note)
    click.echo(_("Booking {id} recorded as {status}.").format(
        id=info.id, status=_(bookings_mod.STATUS_LABELS[info.status])))


@main.group()
def rota() -> None:
    """The monthly rota of implementation analysts."""


@rota.command("show")
@click.option("--from", "first", default=None, metavar="YYYY-MM", help="First month (default: this month).")
@click.option("--months", default=6, show_default=True, type=click.IntRange(1, 36))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rota_show(obj: Context, first: str | None, months: int, as_json: bool) -> None:
    """Who receives the bookings of each month."""
    from services import clock
    from services import rota as rota_mod

    actor = obj.open(create=False)
    entries = rota_mod.get_rota(actor, first or rota_mod.month_key(clock.now()), months)
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
    from services import rota as rota_mod

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
    from services import rota as rota_mod

    actor = obj.open(create=False)
    a = rota_mod.save_analyst(actor, login, hours=hours, weekdays=days, active=not inactive)
    click.echo(_("{login}: {hours}, weekdays {days}{inactive}").format(
        login=a.login, hours=a.hours, days=",".join(str(d) for d in a.weekdays),
        inactive=" " + _("(inactive)") if not a.active else ""))
# --- mail, the worker, secrets and certificates


@main.command()
@click.option("--once", is_flag=True, help="Do one round (sweeps, then send what is due) and exit.")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 8), help="Job threads.")
@click.pass_obj
def worker(obj: Context, once: bool, threads: int) -> None:
    """Run the background worker: send e-mail, reminders, certificates."""
    import logging

    from services import mail_transport
    from services import worker as worker_mod

    obj.open_background()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # one line per glyph table otherwise
    worker_mod.log_to_stderr()  # what goes to the log file is said on stderr too (the journal)
    if once:
        report = worker_mod.run_once(obj.config.mail)
        mail = report.mail
        click.echo(_("sent {sent}, to retry {retried}, failed {failed}").format(
            sent=mail.sent, retried=mail.retried, failed=mail.failed))
        if mail.connection_error:
            click.echo(_("mail server: {error}").format(error=mail.connection_error), err=True)
        if report.requeued or report.uncertain:
            click.echo(_("{n} e-mails of a stopped worker queued again; {m} in doubt (marked failed)").format(
                n=report.requeued, m=len(report.uncertain)))
        for result in report.sweeps:
            click.echo(f"{result.name}: {result.error or result.done}")
        return
    where = obj.config.mail.host or _("files in {path}").format(
        path=mail_transport.outbox_folder(obj.config.mail))
    click.echo(_("Atende worker started (mail: {where}); Ctrl+C stops it.").format(where=where), err=True)
    worker_mod.Worker(obj.config.mail, threads=threads).run()


# --------------------------------------------------------------------------- live: who is online


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per session, in a list.")
@click.pass_obj
def who(obj: Context, as_json: bool) -> None:
    """Who is running Atende now: screen, ticket or event, editing."""
    from services import presence

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


@main.group()
def outbox() -> None:
    """E-mail waiting, sent and failed."""


@outbox.command("list")
@click.option("--state", type=click.Choice(["queued", "sending", "sent", "failed"]), default=None)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def outbox_list(obj: Context, state: str | None, limit: int, as_json: bool) -> None:
    """List e-mails, newest first."""
    from services import outbox as outbox_mod

    actor = obj.open()
    items = outbox_mod.list_mail(actor, state=state, limit=limit)
    if as_json:
        click.echo(json.dumps([{
            "id": m.id, "state": m.state, "kind": m.kind, "to": list(m.recipients), "cc": list(m.cc),
            "subject": m.subject, "attempts": m.attempts, "last_error": m.last_error,
            "about": [m.about_entity, m.about_id], "created_at": m.created_at.isoformat(),
            "next_attempt_at": m.next_attempt_at.isoformat(),
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        } for m in items], ensure_ascii=False, indent=2))
        return
    for m in items:
        line = (f"{m.id:>7}  {m.state_label:<8}  {m.created_at:%Y-%m-%d %H:%M}  "
                f"{', '.join(m.recipients)[:40]:<40}  {m.subject}")
        click.echo(line)
        if m.last_error and m.state != "sent":
            click.echo(f"{'':>9}{m.last_error}")


@outbox.command("retry")
@click.argument("mail_id", type=ID)
@click.pass_obj
def outbox_retry(obj: Context, mail_id: int) -> None:
    """Queue failed e-mail MAIL_ID again."""
    from services import outbox as outbox_mod

    actor = obj.open()
    outbox_mod.retry(actor, mail_id)
    click.echo(_("E-mail {id} is queued again.").format(id=mail_id))


@outbox.command("resend")
@click.argument("entity")
@click.argument("entity_id")
@click.pass_obj
def outbox_resend(obj: Context, entity: str, entity_id: str) -> None:
    """Send again the last e-mails about ENTITY ENTITY_ID (e.g. event 12)."""
    from services import outbox as outbox_mod

    actor = obj.open()
    ids = outbox_mod.resend(actor, entity, entity_id)
    click.echo(_("{n} e-mails queued again.").format(n=len(ids)))


@main.group()
def secrets() -> None:
    """Passwords Atende needs (kept out of the config and the database)."""


@secrets.command("set")
@click.argument("name", type=click.Choice(["smtp"]))
@click.option("--file", "use_file", is_flag=True, help="Store in an owner-only file even if a keyring works.")
@click.pass_obj
def secrets_set(obj: Context, name: str, use_file: bool) -> None:
    """Store the NAME password (read from standard input, or asked without echo)."""
    import getpass

    from services import secrets as secrets_mod

    if sys.stdin.isatty():
        value = getpass.getpass(_("SMTP password: "))
        again = getpass.getpass(_("Again: "))
        if value != again:
            fail(_("the two passwords differ; nothing was stored"))
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    where = secrets_mod.set_secret(name, value, backend="file" if use_file else "auto")
    click.echo(_("Stored in the {where} ({detail}).").format(
        where={"keyring": _("system keyring"), "file": _("file")}.get(where.where, where.where), detail=where.detail))


@secrets.command("where")
@click.argument("name", type=click.Choice(["smtp"]))
def secrets_where(name: str) -> None:
    """Say where the NAME password would be read from (never the password)."""
    from services import secrets as secrets_mod

    found = secrets_mod.source(name)
    if not found.where:
        click.echo(_("not set: run 'atende secrets set {name}'").format(name=name))
        sys.exit(1)
    click.echo(f"{found.where}: {found.detail}")


@main.group()
def certificates() -> None:
    """Attendance certificates: issue and verify."""


@certificates.command("verify")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def certificates_verify(obj: Context, code: str, as_json: bool) -> None:
    """Check a certificate's verification CODE."""
    from services import certificates as cert_mod
    from services.permissions import require

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
    from services import certificates as cert_mod

    actor = obj.open()
    bar = {"bar": None}

    def progress(done: int, total: int) -> None:
        if bar["bar"] is None:
            bar["bar"] = click.progressbar(length=total, label=_("Certificates"), file=sys.stderr)
            bar["bar"].__enter__()
        bar["bar"].update(done - bar["bar"].pos)

    try:
        report = cert_mod.issue_for_event(actor, event, progress)
    finally:
        if bar["bar"] is not None:
            bar["bar"].__exit__(None, None, None)
    click.echo(_("{n} certificates issued.").format(n=report.issued))
    for who, reason in report.skipped:
        click.echo(f"  {who}: {reason}")
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
@click.argument("event_id", metavar="EVENT", type=ID)
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
@click.argument("event_id", metavar="EVENT", type=ID)
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
    if report.rejected and not report.added:  # nothing registered: the import failed
        sys.exit(1)


@event.command("access", context_settings={"ignore_unknown_options": True})
@click.argument("token")  # a token from an older version may start with "-": still a token, not an option
@click.pass_obj
def event_access(obj: Context, token: str) -> None:
    """Print the online link for an access TOKEN, when access is open."""
    from services import event_registrations as er

    obj.open(identify=False)
    result = er.access_online(token)
    click.echo(result.link)


@event.command("move")
@click.argument("event_id", metavar="EVENT", type=ID)
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

    obj.open_background()
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
# --- tickets


@main.group()
def ticket() -> None:
    """Tickets: show one, list them."""


@ticket.command("show")
@click.argument("protocol")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ticket_show(obj: Context, protocol: str, as_json: bool) -> None:
    """Show the ticket PROTOCOL with everything attached to it."""
    from dataclasses import asdict

    from services import tickets

    actor = obj.open(create=False)
    view = tickets.show(actor, protocol)
    if as_json:
        click.echo(json.dumps(asdict(view), ensure_ascii=False, indent=2))
        return
    from services.protocol import STATUSES

    rows = [(_("protocol"), view.protocol), (_("status"), _(STATUSES.get(view.status, view.status))),
            (_("customer"), view.customer), (_("access point"), view.access_point), (_("contact"), view.contact),
            (_("plan"), f"{view.plan} ({view.login})" if view.plan else ""), (_("destination"), view.queue),
            (_("type"), view.type), (_("responsible"), view.responsible), (_("parent"), view.parent),
            (_("children"), ", ".join(view.children)), (_("opened"), f"{view.created_at} {view.created_by}"),
            (_("closed"), view.closed_at)]
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

    from services import tickets

    actor = obj.open(create=False)
    rows = tickets.list_tickets(actor, status=status, limit=limit)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r.protocol:<16} {r.status:<10} {r.created_at[:16]:<17} {r.customer[:30]:<30} {r.type}")


# --- system parameters


@main.group()
def settings() -> None:
    """System parameters shared by everyone on this database."""


@settings.command("list")
@click.pass_obj
def settings_list(obj: Context) -> None:
    """Show every parameter with its value."""
    from services import settings as settings_svc

    actor = obj.open()
    for key, value, about in settings_svc.describe(actor):
        click.echo(f"{key:<28} {value:>6}  {about}")


@settings.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("key")
@click.argument("value")  # "-1" is a value (refused for its range), not an unknown option
@click.pass_obj
def settings_set(obj: Context, key: str, value: str) -> None:
    """Set parameter KEY to VALUE (admins)."""
    from services import settings as settings_svc

    actor = obj.open()
    number = settings_svc.set_value(actor, key, value)
    click.echo(f"{key} = {number}")
# -- Contact us (issue 4: the company "Contact us" desk) ---------------------

@main.group("contactus")
def contactus_group() -> None:
    """Contact us: a company representative's contacts."""


@contactus_group.command("list")
@click.option("--view", type=click.Choice(["all", "open", "finished"]), default="all", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def contactus_list(obj: Context, view: str, as_json: bool) -> None:
    """List your company's contacts (representatives)."""
    from dataclasses import asdict

    from services import contactus

    actor = obj.open(create=False)
    rows = contactus.contacts(actor, view)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2, default=_json_default))
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

    from services import contactus

    actor = obj.open(create=False)
    detail = contactus.detail(actor, contactus.find(actor, protocol))
    if as_json:
        click.echo(json.dumps(asdict(detail), ensure_ascii=False, indent=2, default=_json_default))
        return
    click.echo(f"{detail.protocol}  {detail.status_label}  {detail.classification} / "
               f"{detail.subclassification or detail.form}")
    for m in detail.thread:
        click.echo(f"\n{m.created_at:%d/%m/%Y %H:%M} {m.author}:\n{m.body}")


# -- export (issue 4: the desk's queues) -----------------------------------

@main.group("export")
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
    from services import desk
    from services import export as export_svc

    actor = obj.open(create=False)
    text = " ".join([filter_text, *words]).strip()
    if output is None:
        desk.export(actor, sys.stdout, fmt, view, text)
        return
    # the file appears whole or not at all: written beside it, put in place only once every row is in;
    # who is asking first (desk.export checks again), then the file
    from services.permissions import require

    require(actor, "tickets.read")
    path = export_svc.check_path(str(output), overwrite=force,
                                 exists=_("{path} exists: add --force to replace it"))
    n = export_svc.write_with(path, lambda fh: desk.export(actor, fh, fmt, view, text))
    click.echo(_("{n} tickets written to {path}").format(n=n, path=path), err=True)


# -- the supervisor's area (issue 8): the audit log --------------------------

@main.group()
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

    from services import audit as audit_svc

    actor = obj.open(create=False)
    filters = {"login": login, "entity": entity, "since": since, "until": until}
    if fmt == "csv":
        audit_svc.page(actor, limit=1, **filters)  # bad dates fail before any output
        import csv

        from services.export import safe_cell

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


if __name__ == "__main__":
    main()
