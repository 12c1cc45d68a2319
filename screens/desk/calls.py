"""The phone on the agent's screen: a call the PBX rang for them (`atende
call ring`) pops up over whatever they are doing, within a second (the live
thread reads it: `ring_readers`). Enter opens a new ticket with the caller
chosen; Esc lets it go (it stays in the list of calls, L on the desk, where
Enter calls back with a ticket)."""
from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Label, Static

from services.core.i18n import N_, _
from services.core.permissions import can
from services.tickets import calls
from services.tickets.wizard import saving as wizard_saving
from tui.base import AtendeModal, AtendeScreen, PaletteCommand
from tui.live import LiveScreen, Reader, keep_cursor
from tui.table import Table

ARMED_AFTER = 0.6
"""Seconds during which Enter does not answer a call that just popped up: a
key meant for the field being typed in must not open a ticket."""


def ring_readers(app) -> list[Reader]:
    """The live thread's reader of the calls ringing for the app's person (none for who opens no tickets)."""
    if not can(app.actor, "tickets.create"):
        return []
    login, shown = app.actor.login, set()
    return [Reader("ring", lambda: calls.ringing(login), lambda found: show_ringing(app, found, shown))]


def show_ringing(app, ringing: list[calls.CallInfo], shown: set[int]) -> None:
    """On the UI thread: pop up the newest call not in `shown` yet; close a
    shown one no longer ringing (answered or dismissed in another session)."""
    still = {c.id for c in ringing}
    for screen in list(app.screen_stack):
        if isinstance(screen, IncomingCallDialog) and screen.call.id not in still and not screen.busy:
            screen.close()  # answered or let go in another session (this one closes itself when it is done)
    new = [c for c in ringing if c.id not in shown]
    if not new:
        return
    shown.update(c.id for c in new)
    for screen in list(app.screen_stack):
        if isinstance(screen, IncomingCallDialog):
            screen.close()  # a newer call takes its place (the older one waits in the list)
    app.bell()
    app.push_screen(IncomingCallDialog(new[-1]))


def open_wizard(app, draft, after=None) -> None:
    """Push the wizard on `draft`; when it closes, `after()` and the finished ticket's message."""
    from screens.desk.wizard.screen import WizardScreen, finished_message

    def closed(done) -> None:
        if after is not None:
            after()
        if done is not None:
            app.notify(finished_message(done), title=_("Ticket opened"), timeout=15, markup=False)

    app.push_screen(WizardScreen(draft), closed)


def answer(screen, call: calls.CallInfo, done=None) -> None:
    """Open a ticket for `call` from `screen` (off the UI thread), then the wizard."""
    app = screen.app

    def opened(draft) -> None:
        if done is not None:
            done()
        open_wizard(app, draft)

    screen.call_service("call-answer", calls.answer, app.actor, call.id, app.config.protocol_format,
                        on_answer=opened, on_error=lambda _exc: done() if done is not None else None, write=True)


class IncomingCallDialog(AtendeModal[None]):
    """One call ringing: who it is, Enter opens the ticket, Esc lets it go."""

    DEFAULT_CSS = """
    IncomingCallDialog { align: center top; }
    IncomingCallDialog > Vertical { width: 72; max-width: 100%; height: auto; margin-top: 2;
        border: thick $success; background: $panel; padding: 0 1; }
    IncomingCallDialog #call-title { text-style: bold; color: $success; padding-top: 1; }
    IncomingCallDialog #call-who { text-style: bold; padding: 1 0 0 0; }
    IncomingCallDialog #call-detail { color: $text-muted; }
    IncomingCallDialog Horizontal { height: auto; align-horizontal: right; padding: 1 0; }
    IncomingCallDialog Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("enter", "open", N_("Open ticket")),
        Binding("escape", "let_go", N_("Not now")),
    ]

    def __init__(self, call: calls.CallInfo) -> None:
        super().__init__()
        self.call = call
        self.armed_at = time.monotonic() + ARMED_AFTER

    def compose(self) -> ComposeResult:
        c = self.call
        with Vertical():
            yield Label(_("Incoming call"), id="call-title")
            yield Static(Text(c.headline()), id="call-who")
            detail = [c.shown_number or _("withheld number"), c.created_at.strftime("%H:%M:%S")]
            yield Static(Text(" · ".join(detail)), id="call-detail")
            with Horizontal():
                yield Button(_("Not now (Esc)"), id="call-let-go")
                yield Button(_("Open ticket (Enter)"), id="call-open", variant="success")

    def on_mount(self) -> None:
        self.armed_at = time.monotonic() + ARMED_AFTER  # from when it is on the screen
        for button in self.query("#call-open"):  # none when a newer call (or another session) closed it at once
            button.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "call-open":
            self.action_open()
        else:
            self.action_let_go()

    busy = False
    """Answering or letting go from here: it closes itself once the write answered."""

    def close(self) -> None:
        """Take the dialog away, once (only from the top: `dismiss` pops whatever screen is on top)."""
        if self.is_attached and self.app.screen is self:
            self.dismiss(None)

    def action_open(self) -> None:
        if time.monotonic() < self.armed_at:
            return  # typed ahead for the screen below, not an answer
        self.busy = True
        answer(self, self.call, done=self.close)

    def action_let_go(self) -> None:
        """Recorded as dismissed, then closed: a worker of a screen already gone would not run."""
        self.busy = True
        self.call_service("call-dismiss", calls.dismiss, self.app.actor, self.call.id, write=True,
                          on_answer=lambda _none: self.close(), on_error=lambda _exc: self.close())


class CallsScreen(LiveScreen, AtendeScreen):
    """The person's calls, newest first: Enter opens the answered call's
    ticket, or a new ticket for a missed or dismissed one (calling back)."""

    LIVE_TOPICS = frozenset({"ring", "data"})
    PRESENCE_NAME = N_("Calls")
    HELP = N_("The calls the phone system rang for you. Enter on an answered call opens its ticket (or its "
              "draft, if you kept it); on a missed or dismissed one it opens a new ticket for the caller, to "
              "call them back.")
    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back")), Binding("f5", "reload", N_("Refresh"))]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[calls.CallInfo] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(_("Your calls"), classes="box-title")
        table = Table(cursor_type="row", zebra_stripes=True, id="calls")
        table.add_columns(_("When"), _("Status"), _("Ticket"), _("Caller"))
        yield table
        yield Static(_("No calls yet."), id="calls-empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Calls")
        self.query_one("#calls", DataTable).focus()
        self.action_reload()

    def live_reload(self, topics: frozenset[str]) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.call_service("calls-load", calls.recent, self.app.actor, on_answer=self._show)

    def _show(self, rows: list[calls.CallInfo]) -> None:
        self.rows = rows
        styles = {"missed": "bold red", "ringing": "bold green", "answered": "", "dismissed": "dim"}

        def fill(table: DataTable) -> None:
            for c in rows:
                table.add_row(Text(c.created_at.strftime("%d/%m %H:%M")),
                              Text(_(calls.STATUSES[c.status]), style=styles[c.status]),
                              Text(c.ticket_protocol or "-"), Text(c.headline()), key=str(c.id))

        keep_cursor(self.query_one("#calls", DataTable), fill)
        self.query_one("#calls-empty", Static).display = not rows

    @on(DataTable.RowSelected, "#calls")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        call = next((c for c in self.rows if str(c.id) == event.row_key.value), None)
        if call is None:
            return
        if call.ticket_status == "draft":  # answered, its wizard left with the draft kept: resume it
            def resume(drafts) -> None:
                found = next((d for d in drafts if d.protocol == call.ticket_protocol), None)
                if found is None:
                    self.notify(_("Ticket {protocol} is another person's draft").format(
                        protocol=call.ticket_protocol), severity="warning", markup=False)
                    return
                open_wizard(self.app, found)

            self.call_service("calls-resume", wizard_saving.pending_drafts, self.app.actor, on_answer=resume)
        elif call.ticket_protocol:
            from screens.desk.ticket import TicketDetailScreen

            self.app.push_screen(TicketDetailScreen(call.ticket_protocol))
        else:
            answer(self, call)

    def palette_commands(self):
        yield PaletteCommand(_("Refresh"), _("Read the calls again"), self.action_reload)
