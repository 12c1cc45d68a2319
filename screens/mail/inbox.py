"""E-mail taken in: what became of each message (a new ticket, added to a
ticket, or ignored and why); Enter opens its ticket."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Label, Static

from services.core.i18n import N_, _
from services.tickets import mail_log
from tui.base import AtendeScreen, PaletteCommand
from tui.live import LiveScreen, keep_cursor
from tui.table import ItemsTable, Table

FILTERS = (None, "ignored", "ticket", "reply")
STYLE = {"ticket": "green", "reply": "cyan", "ignored": "yellow"}


class MailInScreen(ItemsTable, LiveScreen, AtendeScreen):
    PRESENCE_NAME = N_("E-mail taken in")
    HELP = N_("Every e-mail Atende took in (atende mail-in, the worker's mailbox) and what became of it: a new "
              "ticket, a message added to a ticket, or ignored with the reason (an auto-reply, a bounce, a "
              "mailing list, a loop). F shows only one kind; Enter opens the ticket.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("f", "cycle_filter", N_("Filter"), id="mailin-filter"),
        Binding("ctrl+r", "reload", N_("Refresh"), id="mailin-refresh"),
    ]

    def __init__(self, outcome: str | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.items: list[mail_log.TakenIn] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="mailin-filter-label", classes="box-title", markup=False)
        table = Table(cursor_type="row", zebra_stripes=True, id="mailin-table")
        table.add_columns(_("When"), _("What became of it"), _("Ticket"), _("From"), _("Subject"))
        yield table
        yield Static("", id="mailin-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("E-mail taken in")
        self.query_one(DataTable).focus()
        self.action_reload()

    def live_reload(self, topics: frozenset[str]) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        label = _(mail_log.OUTCOMES[self.outcome]) if self.outcome else _("all")
        self.query_one("#mailin-filter-label", Label).update(_("Showing: {what} (F changes)").format(what=label))
        self.call_service("mailin", mail_log.taken_in, self.app.actor, self.outcome, on_answer=self._show)

    def action_cycle_filter(self) -> None:
        self.outcome = FILTERS[(FILTERS.index(self.outcome) + 1) % len(FILTERS)]
        self.action_reload()

    def _show(self, rows: list[mail_log.TakenIn]) -> None:
        self.items = rows

        def fill(table: DataTable) -> None:
            for r in rows:
                what = _(mail_log.OUTCOMES.get(r.outcome, r.outcome))
                table.add_row(Text(f"{r.received_at:%d/%m %H:%M}"), Text(what, style=STYLE.get(r.outcome, "")),
                              Text(r.protocol or "-"), Text(r.sender), Text(r.subject), key=str(r.id))

        keep_cursor(self.query_one(DataTable), fill)
        self._detail()

    @on(DataTable.RowHighlighted, "#mailin-table")
    def _detail(self, event: DataTable.RowHighlighted | None = None) -> None:
        row = self.selected_item()
        text = ""
        if row is not None:
            text = _("{via}: {message_id}").format(via=row.via or "-", message_id=row.message_id)
            if row.reason:
                text += "\n" + _("Why: {reason}").format(reason=row.reason)
        elif not self.items:
            text = _("No e-mail taken in yet.")
        self.query_one("#mailin-detail", Static).update(Text(text))

    @on(DataTable.RowSelected, "#mailin-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        row = self.selected_item()
        if row is not None and row.protocol:
            from screens.desk.ticket import TicketDetailScreen

            self.app.push_screen(TicketDetailScreen(row.protocol))

    def palette_commands(self):
        yield PaletteCommand(_("Filter"), _("Show only new tickets, additions or ignored mail"),
                             self.action_cycle_filter)
