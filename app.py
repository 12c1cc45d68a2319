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


if __name__ == "__main__":
    main()
