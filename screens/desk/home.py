"""The service desk: open a new ticket, resume a draft, see recent tickets,
and the person's unread notifications (the service-level breach notices)."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.desk.queues import QueuesScreen
from screens.desk.scripts import ScriptListScreen
from screens.desk.ticket import TicketDetailScreen
from services.core import permissions
from services.core.i18n import N_, _
from services.events import notifications
from services.tickets import protocol, records
from services.tickets.wizard import draft as wizard_draft
from services.tickets.wizard import saving as wizard_saving
from tui.base import AtendeModal, AtendeScreen, PaletteCommand
from tui.inbox import InboxKey, InboxLine, inbox_binding
from tui.live import LiveScreen, keep_cursor
from tui.table import Table


class ResumeDialog(AtendeModal[wizard_draft.Draft | None]):
    """Offer the person's unfinished drafts; dismisses with the one chosen, or None (later)."""

    DEFAULT_CSS = """
    ResumeDialog { align: center middle; }
    ResumeDialog > Vertical { width: 74; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $panel; padding: 0 1; }
    ResumeDialog #resume-title { text-style: bold; padding: 1 0; }
    ResumeDialog OptionList { height: auto; max-height: 12; }
    ResumeDialog .muted { padding: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "later", N_("Later"))]

    def __init__(self, drafts: list[wizard_draft.Draft]) -> None:
        super().__init__()
        self.drafts = drafts

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("You have tickets you did not finish. Resume one?"), id="resume-title")
            options = []
            for d in self.drafts:
                who = d.customer_name or d.access_point_name or _("(nobody chosen yet)")
                prompt = Text()
                prompt.append(d.protocol, style="bold")
                prompt.append(f"  {who}  ")
                prompt.append(_(wizard_draft.STEP_LABELS.get(d.step, d.step)), style="dim")
                options.append(Option(prompt, id=d.protocol))
            yield OptionList(*options, id="drafts")
            yield Static(_("Enter resumes the ticket with the same protocol; Esc leaves them for later."),
                         classes="muted", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(next((d for d in self.drafts if d.protocol == event.option.id), None))

    def action_later(self) -> None:
        self.dismiss(None)


def read_desk(actor) -> tuple[list[records.TicketRow], int]:
    """The recent tickets and the count of `actor`'s unread notifications."""
    return records.list_tickets(actor, limit=200), notifications.unread_count(actor)


class DeskScreen(InboxKey, LiveScreen, AtendeScreen):
    """The service desk's entry."""

    PRESENCE_NAME = N_("Service desk")
    HELP = N_("Ctrl+N opens a new ticket and reserves its protocol at once. Unfinished tickets are offered "
              "back (R). Q opens the queues. Enter opens a ticket. L lists the calls the phone rang for you. "
              "C (leads) sets up destinations, ticket types, technicians and service-order types. A line at the "
              "top counts your unread notifications (such as a ticket past its service-level deadline); I reads "
              "them.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("ctrl+n", "new_ticket", N_("New ticket"), id="desk-new"),
        Binding("r", "resume", N_("Resume draft"), id="desk-resume"),
        Binding("f5", "refresh", N_("Refresh"), id="desk-refresh"),
        Binding("s", "scripts", N_("Scripts"), id="desk-scripts"),
        Binding("q", "queues", N_("Queues"), id="desk-queues"),
        Binding("c", "setup", N_("Setup"), id="desk-setup"),
        Binding("l", "calls", N_("Calls"), id="desk-calls"),
        inbox_binding("desk-inbox"),
    ]

    def __init__(self, resume: wizard_draft.Draft | None = None, offer_drafts: bool = True) -> None:
        super().__init__()
        self.rows: list[records.TicketRow] = []
        self.resume = resume
        self.offer_drafts = offer_drafts and resume is None

    def compose(self) -> ComposeResult:
        yield Header()
        yield InboxLine(id="desk-inbox-line")
        yield Label(_("Recent tickets"), classes="box-title")
        table = Table(cursor_type="row", zebra_stripes=True, id="recent")
        table.add_columns(_("Protocol"), _("Status"), _("Customer"), _("Type"), _("Opened"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Service desk")
        self.load()
        if self.resume is not None:
            self.open_wizard(self.resume)
        elif self.offer_drafts:
            self.check_drafts(offer=True)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "scripts":
            return permissions.can(self.app.actor, "scripts.edit")
        if action == "setup":
            return permissions.can(self.app.actor, "desk.setup")
        return True

    def load(self) -> None:
        actor = self.app.actor
        self.call_service("desk-load", read_desk, actor, on_answer=lambda answer: self._show(*answer))

    def _show(self, rows: list[records.TicketRow], unread: int = 0) -> None:
        self.query_one("#desk-inbox-line", InboxLine).show(unread)
        first = not hasattr(self, "_shown_once")
        self._shown_once = True
        self.rows = rows
        table = self.query_one("#recent", DataTable)

        def fill(table: DataTable) -> None:
            for r in rows:
                table.add_row(Text(r.protocol), Text(_(protocol.STATUSES.get(r.status, r.status))), Text(r.customer),
                              Text(r.type), Text(r.created_at[:16]), key=r.protocol)

        keep_cursor(table, fill)
        if first:
            table.focus()

    def live_reload(self, topics: frozenset[str]) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @on(DataTable.RowSelected, "#recent")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(TicketDetailScreen(event.row_key.value))

    def action_new_ticket(self) -> None:
        # A write: while the protocol is being reserved, a second Ctrl+N (meant for
        # the wizard) opens no second ticket; once it failed, Ctrl+N works again.
        self.call_service("desk-new", wizard_saving.start, self.app.actor, self.app.config.protocol_format,
                          on_answer=self.open_wizard, write=True)

    def open_wizard(self, draft: wizard_draft.Draft) -> None:
        from screens.desk.calls import open_wizard

        open_wizard(self.app, draft, after=self.load)

    def action_resume(self) -> None:
        self.check_drafts(offer=True, say_none=True)

    def check_drafts(self, offer: bool = True, say_none: bool = False) -> None:
        def found(drafts: list[wizard_draft.Draft]) -> None:
            if drafts and offer:
                self._offer(drafts)
            elif say_none:
                self.notify(_("No unfinished tickets."), markup=False)

        self.call_service("desk-drafts", wizard_saving.pending_drafts, self.app.actor, on_answer=found, quiet=True)

    def _offer(self, drafts: list[wizard_draft.Draft]) -> None:
        def chosen(d: wizard_draft.Draft | None) -> None:
            if d is not None:
                self.open_wizard(d)

        self.app.push_screen(ResumeDialog(drafts), chosen)

    def action_queues(self) -> None:
        self.app.push_screen(QueuesScreen())

    def action_scripts(self) -> None:
        self.app.push_screen(ScriptListScreen())

    def action_calls(self) -> None:
        from screens.desk.calls import CallsScreen

        self.app.push_screen(CallsScreen())

    def action_setup(self) -> None:
        from screens.desk.setup import DeskSetupScreen

        self.app.push_screen(DeskSetupScreen())

    def palette_commands(self):
        yield PaletteCommand(_("New ticket"), _("Reserve a protocol and open the wizard"), self.action_new_ticket)
        yield PaletteCommand(_("Resume a draft"), _("Tickets you did not finish"), self.action_resume)
        yield PaletteCommand(_("Calls"), _("The calls the phone rang for you; call back with a ticket"),
                             self.action_calls)
        yield PaletteCommand(_("Notifications"), _("Read your notifications"), self.action_inbox)
        if permissions.can(self.app.actor, "scripts.edit"):
            yield PaletteCommand(_("Scripts"), _("Edit the guided scripts"), self.action_scripts)
        if permissions.can(self.app.actor, "desk.setup"):
            yield PaletteCommand(_("Desk setup"), _("Destinations, ticket types, technicians, service-order types"),
                                 self.action_setup)
