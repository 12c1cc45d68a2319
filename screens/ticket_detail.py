"""One ticket to work on: its record, the thread (public replies and internal
notes set apart), its history; keys to reply, note, change status, reassign."""
from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from screens.desk import render_ticket
from services import ticket_thread, tickets
from services.errors import AtendeError, Conflict, ValidationError
from services.i18n import N_, _
from services.protocol import STATUSES
from tui.base import AtendeModal, AtendeScreen
from tui.forms import Field, show_errors
from tui.live import LiveScreen, PeersBar


class MessageDialog(AtendeModal[str | None]):
    """Write a public reply or an internal note; Ctrl+S saves, Esc cancels."""

    DEFAULT_CSS = """
    MessageDialog { align: center middle; }
    MessageDialog > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    MessageDialog.-internal > Vertical { border: thick $warning; }
    MessageDialog TextArea { height: 10; }
    MessageDialog .dialog-title { text-style: bold; padding: 1 0 0 0; }
    """
    BINDINGS = [Binding("ctrl+s", "save", N_("Save")), Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, internal: bool, text: str = "", errors: dict[str, str] | None = None) -> None:
        super().__init__()
        self.internal = internal
        self.text = text
        self.errors = errors or {}
        self.set_class(internal, "-internal")

    def compose(self) -> ComposeResult:
        title = (_("Internal note (staff only, the customer never sees it)") if self.internal
                 else _("Public reply (the customer sees it)"))
        with Vertical():
            yield Label(title, classes="dialog-title", markup=False)
            yield Field(_("Message"), TextArea(id="message-body"), name="body")
            yield Static(_("Ctrl+S saves; Esc cancels."), markup=False)

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        if self.text:
            area.load_text(self.text)
        area.focus()
        if self.errors:
            self.call_after_refresh(show_errors, self, self.errors)

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class StatusDialog(AtendeModal[tuple[str, str] | None]):
    """Pick the next status; reopening asks for a reason."""

    DEFAULT_CSS = """
    StatusDialog { align: center middle; }
    StatusDialog > Vertical { width: 60; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    StatusDialog OptionList { height: auto; max-height: 8; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Change status from {status} to:").format(status=_(STATUSES[self.current])),
                        markup=False)
            yield OptionList(*(Option(_(STATUSES[s]), id=s) for s in ticket_thread.allowed_statuses(self.current)),
                             id="status-options")
            yield Field(_("Reason (needed to reopen)"), Input(id="status-reason"), name="reason")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss((event.option.id, self.query_one("#status-reason", Input).value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(AtendeModal[str | None]):
    """Pick one of a few choices; dismisses with its key, or None."""

    DEFAULT_CSS = """
    ChoiceDialog { align: center middle; }
    ChoiceDialog > Vertical { width: 60; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    ChoiceDialog OptionList { height: auto; max-height: 10; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            yield OptionList(*(Option(label, id=key) for key, label in self.choices))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReassignDialog(AtendeModal[str | None]):
    DEFAULT_CSS = """
    ReassignDialog { align: center middle; }
    ReassignDialog > Vertical { width: 50; max-width: 100%; height: auto; border: thick $primary;
        background: $panel; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Field(_("Login of the new responsible"), Input(id="reassign-login"), name="responsible")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def render_thread(messages: list[ticket_thread.MessageView]) -> Text:
    t = Text()
    if not messages:
        t.append(_("No messages yet.") + "\n", style="dim")
    for m in messages:
        if m.internal:
            t.append(" " + _("INTERNAL NOTE · staff only") + " ", style="bold black on yellow")
            style, bar = "yellow", "┃ "
        else:
            t.append(" " + _("PUBLIC REPLY · the customer sees it") + " ", style="bold white on blue")
            style, bar = "", "│ "
        t.append(f"  {m.author} · {m.created_at:%d/%m/%Y %H:%M}\n", style="dim")
        for line in m.body.split("\n"):
            t.append(bar, style="yellow" if m.internal else "blue")
            t.append(line + "\n", style=style)
        t.append("\n")
    return t


def render_history(entries: list[ticket_thread.HistoryEntry]) -> Text:
    t = Text()
    for e in entries:
        t.append(f"{e.at:%d/%m/%Y %H:%M} {e.login} {e.action}", style="dim")
        if e.changes:
            t.append("  " + ", ".join(f"{k}: {v}" for k, v in e.changes.items()))
        t.append("\n")
    return t


class TicketDetailScreen(LiveScreen, AtendeScreen):
    """A ticket being worked on."""

    HELP = N_("R adds a public reply (the customer sees it), I an internal note (staff only). S changes the "
              "status, A reassigns the ticket. F5 reloads. Esc goes back.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("r", "reply", N_("Reply"), id="ticket-reply"),
        Binding("i", "note", N_("Internal note"), id="ticket-note"),
        Binding("s", "status", N_("Status"), id="ticket-status"),
        Binding("a", "reassign", N_("Reassign"), id="ticket-reassign"),
        Binding("f5", "reload", N_("Refresh"), id="ticket-refresh"),
    ]
    LIVE_TOPICS = frozenset({"data", "presence"})
    PRESENCE_NAME = N_("Ticket")

    def __init__(self, protocol_number: str) -> None:
        super().__init__()
        self.protocol_number = protocol_number
        self.ticket_id: int | None = None
        self.state: ticket_thread.TicketState | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield PeersBar(id="ticket-peers")
        with VerticalScroll(id="ticket-detail"):
            yield Static(_("Loading..."), id="ticket-record", markup=False)
            yield Label(_("Thread"), classes="box-title")
            yield Static("", id="ticket-thread", markup=False)
            yield Label(_("History"), classes="box-title")
            yield Static("", id="ticket-history", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Ticket {protocol}").format(protocol=self.protocol_number)
        self.query_one("#ticket-detail").focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def presence_place(self):
        return ("ticket", self.ticket_id, self.protocol_number) if self.ticket_id is not None else None

    def live_reload(self, topics: frozenset[str]) -> None:
        if "data" in topics:
            self.load()  # a dialog open over this screen defers it (tui.live): its version stays
        if "presence" in topics:
            for bar in self.query(PeersBar):
                bar.look("ticket", self.ticket_id)

    @work(thread=True, exclusive=True, group="ticket-detail", exit_on_error=False)
    def load(self) -> None:
        actor = self.app.actor
        try:
            view = tickets.show(actor, self.protocol_number)
            state = ticket_thread.state(actor, view.id)
            thread = ticket_thread.messages(actor, view.id)
            hist = ticket_thread.history(actor, view.id)
        except AtendeError as exc:
            self.app.call_from_thread(self.query_one("#ticket-record", Static).update, exc.message)
            return
        self.app.call_from_thread(self._show, view, state, thread, hist)

    def _show(self, view, state, thread, hist) -> None:
        if self.ticket_id is None:
            for bar in self.query(PeersBar):
                bar.look("ticket", view.id)
        self.ticket_id = view.id
        self.state = state
        self.query_one("#ticket-record", Static).update(render_ticket(view))
        self.query_one("#ticket-thread", Static).update(render_thread(thread))
        self.query_one("#ticket-history", Static).update(render_history(hist))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("reply", "note", "status", "reassign"):
            return self.state is not None
        return True

    def _failed(self, exc: AtendeError) -> None:
        self.notify(exc.message, severity="error", markup=False, timeout=8)
        if isinstance(exc, Conflict):
            self.load()

    def action_reply(self) -> None:
        self._write(internal=False)

    def action_note(self) -> None:
        self._write(internal=True)

    def _write(self, internal: bool) -> None:
        dialog = MessageDialog(internal)

        def done(body: str | None) -> None:
            if body is None:
                return
            try:
                ticket_thread.add_message(self.app.actor, self.ticket_id, body, internal=internal)
            except ValidationError as exc:
                # Keep what was typed: open the dialog again with the text and the message.
                self.app.push_screen(MessageDialog(internal, body, exc.errors), done)
                return
            except AtendeError as exc:
                self._failed(exc)
                return
            self.notify(_("Saved."), markup=False)
            self.load()

        self.app.push_screen(dialog, done)

    def action_status(self) -> None:
        state = self.state

        def done(choice: tuple[str, str] | None) -> None:
            if choice is None:
                return
            try:
                ticket_thread.change_status(self.app.actor, state.id, choice[0],
                                            expected_version=state.version, reason=choice[1])
            except AtendeError as exc:
                self._failed(exc)
                return
            self.notify(_("Status: {status}").format(status=_(STATUSES[choice[0]])), markup=False)
            self.load()

        if not ticket_thread.allowed_statuses(state.status):
            self.notify(_("This ticket's status cannot change."), markup=False)
            return
        self.app.push_screen(StatusDialog(state.status), done)

    def action_reassign(self) -> None:
        state = self.state

        def done(login: str | None) -> None:
            if not login:
                return
            try:
                ticket_thread.reassign(self.app.actor, state.id, login, expected_version=state.version)
            except AtendeError as exc:
                self._failed(exc)
                return
            self.notify(_("Reassigned."), markup=False)
            self.load()

        self.app.push_screen(ReassignDialog(), done)
