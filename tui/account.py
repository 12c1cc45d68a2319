"""A person removed while logged in: the session says so and stops acting.

Every save by a removed person is already refused by the services (the audit
row of each change checks the person is still active). This watch tells the
person within a few seconds, even when they are only reading: a one-line
message in a dialog that covers the screen; Enter leaves Atende.
"""
from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from services.core.i18n import N_, _
from tui.base import AtendeModal

CHECK_SECONDS = 5.0


class RemovedScreen(AtendeModal[None]):
    """Covers the session of a person who is no longer a user; only leaving is left."""

    DEFAULT_CSS = """
    RemovedScreen { align: center middle; }
    RemovedScreen > Vertical {
        width: 64; max-width: 100%; height: auto; padding: 1 2;
        border: thick $error; background: $panel;
    }
    RemovedScreen #removed-hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("enter", "leave", N_("Leave"), id="removed-leave"),
        Binding("escape", "leave", N_("Leave"), show=False, id="removed-leave-esc"),
    ]
    HELP = N_("You are no longer a user of this Atende database: nothing more can be saved.")

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.message, id="removed-message", markup=False)
            yield Static(_("Press Enter to leave Atende."), id="removed-hint", markup=False)

    def action_leave(self) -> None:
        self.app.exit(return_code=1, message=f"atende: {self.message}")


def removed_message(login: str) -> str | None:
    """The message for `login` when an administrator removed them, else None.
    (A login with no row at all is left alone: it never was a user here.)"""
    from models import User, reading

    with reading():
        active = User.select(User.active).where(User.login == login).scalar()
    if active is None or active:
        return None
    return _("'{login}' has been removed from this Atende database; ask an administrator").format(login=login)


def check_account(app: App) -> None:
    """Look (in a thread) whether the app's person was removed; if so, say so."""
    if any(isinstance(screen, RemovedScreen) for screen in app.screen_stack):
        return

    def look() -> None:
        try:
            message = removed_message(app.actor.login)
        except Exception:  # the store may be busy or gone for a moment: look again later
            return
        if message:
            app.call_from_thread(_show, app, message)

    app.run_worker(look, thread=True, exclusive=True, group="account-watch", exit_on_error=False)


def _show(app: App, message: str) -> None:
    if not any(isinstance(screen, RemovedScreen) for screen in app.screen_stack):
        app.push_screen(RemovedScreen(message))


def watch(app: App, seconds: float = CHECK_SECONDS) -> None:
    app.set_interval(seconds, lambda: check_account(app), name="account-watch")
