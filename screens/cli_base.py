"""What every `atende` command shares: the context, one-line errors, the id type, JSON output.

The root group (app.py) and each area's command group (screens/<area>/cli.py) import it.
"""
from __future__ import annotations

import json
import sys

import click

from services.core import config as config_mod
from services.core.errors import AtendeError
from services.core.i18n import _
from services.core.permissions import Actor


class Context:
    """What every command shares: the config and how to reach the store."""

    def __init__(self, config: config_mod.Config, db: str | None):
        self.config = config
        self.cli_db = db
        self.target = config_mod.database_path(db, config)
        self.actor: Actor | None = None

    def open(self, *, create: bool = True, identify: bool = True) -> Actor | None:
        from services.store import database, users

        default = self.target == config_mod.database_path(None, config_mod.Config(), {})
        database.open_store(self.target, create=create, make_folder=default)
        if identify:
            self.actor = users.identify(users.session_login(), self.target)
        return self.actor

    def open_background(self) -> Actor | None:
        """Open the store for a background command (worker, reminders)
        and say who runs it: a staff member, or an account that is no person
        of this database (the worker's system user; None). A representative or
        a removed person is refused before anything runs."""
        from services.store import users

        self.open(identify=False)
        self.actor = users.identify_background(users.session_login(), self.target)
        return self.actor


def fail(message: str, code: int = 1) -> None:
    from services.core.text import shown

    click.echo(f"atende: {shown(message, multiline=False)}", err=True)  # a stored name never drives the terminal
    sys.exit(code)


class OneLineUsageError(click.UsageError):
    """A usage error (a missing argument, an unknown option, a bad value) as one
    line on stderr, naming the help to read; exit status 2."""

    def show(self, file=None) -> None:
        from services.core.text import clean

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
        from services.core.validation import MAX_ID, record_id

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
        from services.core.text import ShownStream

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
            from services.core.logs import internal_error
            from services.store.database import explain

            fail(explain(exc) or internal_error(exc, "cli"), 70)


def json_default(value):
    import datetime as _dt

    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=json_default))
