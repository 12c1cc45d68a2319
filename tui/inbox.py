"""A person's notifications (services.events.notifications) on any screen:
the line counting the unread ones, the dialog that shows them (marking those
shown read) and the key that opens it. The events board and the service desk
(where the service-level breach notices land) share them.

    class DeskScreen(InboxKey, LiveScreen, AtendeScreen):
        BINDINGS = [..., inbox_binding("desk-inbox")]
        def compose(self): yield InboxLine(id="desk-inbox-line"); ...
        def load(self): ... unread -> self.query_one(InboxLine).show(unread)
"""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from services.core.i18n import N_, _, ngettext
from services.events import notifications
from tui.base import AtendeModal


def read_inbox(actor) -> list[notifications.NotificationInfo]:
    """The unread notifications (else the last ten); those shown, and only
    those, are marked read (a notification that came meanwhile stays unread)."""
    items = notifications.notifications(actor, unread_only=True)
    if not items:
        return notifications.notifications(actor, unread_only=False, limit=10)
    notifications.mark_read(actor, [n.id for n in items])
    return items


class NotificationsDialog(AtendeModal[None]):
    """The person's unread notifications; opening them marks them read."""

    BINDINGS = [Binding("escape,enter", "close", N_("Close"))]

    def __init__(self, items: list[notifications.NotificationInfo]) -> None:
        super().__init__()
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical(id="notifications-box"):
            yield Label(_("Notifications"), classes="box-title")
            text = Text()
            for n in self.items:
                text.append(f"{n.created_at:%d/%m %H:%M}  ", style="dim")
                text.append(n.text + "\n")
            if not self.items:
                text.append(_("Nothing new."))
            with VerticalScroll(id="notifications-scroll", can_focus=True):
                yield Static(text, id="notifications-text")
            yield Static(_("Arrows scroll; Esc closes."), classes="muted")

    def on_mount(self) -> None:
        self.query_one("#notifications-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)


class InboxLine(Static):
    """"N unread notifications: press i to read them", shown only while there are some."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, classes="inbox-line", **kwargs)
        self.display = False

    def show(self, unread: int) -> None:
        self.display = unread > 0
        self.update(ngettext("{n} unread notification: press i to read it",
                             "{n} unread notifications: press i to read them", unread).format(n=unread))


def inbox_binding(binding_id: str) -> Binding:
    """The key that opens the notifications (`InboxKey.action_inbox`)."""
    return Binding("i", "inbox", N_("Notifications"), id=binding_id)


class InboxKey:
    """Mixin for a screen with `inbox_binding`: opens the person's
    notifications off the UI thread, then reloads the screen (`load()`), whose
    InboxLine then counts what is still unread."""

    def action_inbox(self) -> None:
        self.call_service("inbox", read_inbox, self.app.actor, write=True,
                          on_answer=lambda items: self.app.push_screen(NotificationsDialog(items),
                                                                       lambda _r: self.load()))
