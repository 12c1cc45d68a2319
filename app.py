"""Atende: the Textual App and the `atende` command line."""
from __future__ import annotations

import gc

# Importing Textual and the app makes only long-lived objects (modules,
# classes): the garbage collector's passes over them are wasted start-up time
# (about 10 ms). Off for these imports only; see also `run_tui`.
_gc_was_on = gc.isenabled()
gc.disable()
try:
    import sys
    import threading
    from collections.abc import Callable, Iterable
    from pathlib import Path

    import click
    from rich.text import Text
    from textual.app import App, SystemCommand
    from textual.binding import Binding
    from textual.screen import Screen

    from screens.admin.cli import audit, routers, settings, users, who
    from screens.cli_base import AtendeGroup, Context, fail
    from screens.desk import cli as desk_cli
    from screens.events.cli import certificates, event
    from screens.mail.cli import mail_in, outbox
    from screens.scheduling.cli import bookings, rota, triage
    from screens.web.cli import web
    from services.core import config as config_mod
    from services.core.errors import AtendeError
    from services.core.i18n import N_, _, resolve_language, set_language
    from services.core.permissions import Actor
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
        # the terminal (services.store.quickopen read who is starting). Threads that
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
        from services.core.permissions import can

        if can(self.actor, "contactus.use"):  # a company representative: their company's Contact us
            from screens.contactus.home import ContactUsScreen

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
            from screens.desk.calls import ring_readers
            from tui.live import LiveSession

            self.live = LiveSession(self, readers=ring_readers(self))
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

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette  # the same, with its placeholder in the person's language

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=_("Search for commands…")))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        own = getattr(screen, "palette_commands", None)
        if own is not None:
            for command in own():
                yield SystemCommand(command.title, command.help, command.callback)
        yield SystemCommand(_("Help"), _("Keys and help for this screen"), self.action_help)
        yield SystemCommand(_("Theme"), _("Change the colour theme"), self.action_change_theme)
        yield SystemCommand(_("Quit"), _("Leave Atende"), self.action_quit)

    async def action_quit(self) -> None:
        """Ctrl+Q: a screen with work open (the wizard, `confirm_quit`) asks first."""
        ask = next((s.confirm_quit for s in reversed(self.screen_stack) if hasattr(s, "confirm_quit")), None)
        ask() if ask else self.exit()

    def _fatal_error(self) -> None:
        # Textual stops a widget's message loop after an unhandled error, so
        # the app cannot carry on safely. Instead of a traceback the person
        # gets one line; the traceback goes to the log, and wizard drafts
        # (saved at every step) are offered again at the next start.
        from services.core.logs import internal_error
        from services.store.database import explain

        error = sys.exc_info()[1] or self._exception or RuntimeError("unknown")
        if isinstance(error, AtendeError):  # e.g. removed while logged in: its message is for the person
            message = error.message
        else:
            message = explain(error) or internal_error(error, "tui")
        self._exit_renderables.append(Text(f"atende: {message}"))  # a path may hold [brackets]
        self._close_messages_no_wait()


# --------------------------------------------------------------------------- CLI


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
    from services.core import paths

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
    from services.store.quickopen import peek_actor

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
    from services.demo import build as demo_mod

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
    (services.demo.build.require_reset). Anyone else: one line, nothing deleted."""
    import models
    from services.demo import build as demo_mod
    from services.store import database, users

    target = obj.target
    if "://" in target:
        fail(_("--reset works only on a database file"))
    path = Path(target)
    if path.is_dir():
        fail(_("{path} is a directory, not a database file").format(path=path))
    if path.exists():
        # what is there must be an Atende database (not upgraded: nothing written before the answer)
        database.open_store(target, create=False, upgrade=False)
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
    from services.core import paths
    from services.core.logs import log_file

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
    from services.ops import doctor as doctor_mod

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
    from services.ops import backup as backup_mod

    actor = obj.open(create=False)
    result = backup_mod.backup(actor, dest, force=force)
    from models import is_sqlite

    if is_sqlite():
        click.echo(_("Backup written to {path} ({size:,} bytes, integrity ok).").format(
            path=result.path, size=result.size))
    else:
        click.echo(_("Backup written to {path} ({size:,} bytes, pg_dump's custom format: restore it with "
                     "pg_restore into an empty database).").format(path=result.path, size=result.size))


@main.group()
def store() -> None:
    """Move a whole store between SQLite and PostgreSQL."""


@store.command("copy")
@click.argument("source", metavar="SOURCE")
@click.argument("target", metavar="TARGET")
@click.pass_obj
def store_copy(obj: Context, source: str, target: str) -> None:
    """Copy the store SOURCE (a file or a postgresql:// URL) into the empty store TARGET, files included."""
    from services.core import config as config_mod
    from services.store.copy import copy_store

    source = config_mod.database_path(source, obj.config)
    target = config_mod.database_path(target, obj.config)
    obj.target = source
    actor = obj.open(create=False)
    with click.progressbar(length=1, label=_("Copying"), file=sys.stderr, show_pos=True) as bar:
        def progress(table: str, done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.label = table
            bar.update(done - bar.pos)

        report = copy_store(actor, source, target, progress)
    width = max(len(t.table) for t in report.tables)
    click.echo("\n".join(f"{t.table:<{width}}  {t.source:>9,}  {'=' if t.source == t.target else '≠'}  {t.target:>9,}"
                         for t in report.tables))
    click.echo(_("{n} files ({size:,} bytes) copied.").format(n=report.files, size=report.file_bytes))
    if not report.matches:
        click.echo(_("The row counts differ: check the target before using it."), err=True)
        sys.exit(1)
    click.echo(_("Every table's rows were copied."))


@main.command()
@click.option("--once", is_flag=True, help="Do one round (sweeps, then send what is due) and exit.")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 8), help="Job threads.")
@click.pass_obj
def worker(obj: Context, once: bool, threads: int) -> None:
    """Run the background worker: send e-mail, reminders, certificates."""
    import logging

    from services.mail import transport
    from services.ops import worker as worker_mod

    obj.open_background()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # one line per glyph table otherwise
    worker_mod.log_to_stderr()  # what goes to the log file is said on stderr too (the journal)
    worker_mod.enable_mail_in(obj.config)  # [mail_in] host: the mailbox is fetched every minute
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
        path=transport.outbox_folder(obj.config.mail))
    click.echo(_("Atende worker started (mail: {where}); Ctrl+C stops it.").format(where=where), err=True)
    worker_mod.Worker(obj.config.mail, threads=threads).run()


@main.group()
def secrets() -> None:
    """Passwords Atende needs (kept out of the config and the database)."""


@secrets.command("set")
@click.argument("name", type=click.Choice(["smtp", "imap"]))
@click.option("--file", "use_file", is_flag=True, help="Store in an owner-only file even if a keyring works.")
@click.pass_obj
def secrets_set(obj: Context, name: str, use_file: bool) -> None:
    """Store the NAME password (read from standard input, or asked without echo)."""
    import getpass

    from services.core import secrets as secrets_mod

    if sys.stdin.isatty():
        value = getpass.getpass(_("SMTP password: ") if name == "smtp" else _("IMAP password: "))
        again = getpass.getpass(_("Again: "))
        if value != again:
            fail(_("the two passwords differ; nothing was stored"))
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    where = secrets_mod.set_secret(name, value, backend="file" if use_file else "auto")
    click.echo(_("Stored in the {where} ({detail}).").format(
        where={"keyring": _("system keyring"), "file": _("file")}.get(where.where, where.where), detail=where.detail))


@secrets.command("where")
@click.argument("name", type=click.Choice(["smtp", "imap"]))
def secrets_where(name: str) -> None:
    """Say where the NAME password would be read from (never the password)."""
    from services.core import secrets as secrets_mod

    found = secrets_mod.source(name)
    if not found.where:
        click.echo(_("not set: run 'atende secrets set {name}'").format(name=name))
        sys.exit(1)
    click.echo(f"{found.where}: {found.detail}")


# Each area's command group lives beside that area's screens.
for _command in (users, triage, desk_cli.import_group, bookings, rota, who, outbox, mail_in, certificates, event,
                 desk_cli.ticket, settings, desk_cli.contactus_group, desk_cli.desk_group, desk_cli.export_group,
                 audit, web, routers, desk_cli.call_group, desk_cli.canned_group):
    main.add_command(_command)


if __name__ == "__main__":
    main()
