"""A company representative's home: their company's contacts (Fale Conosco).

New contact, All contacts, Open, Finished; Enter opens the thread. Only the
services' answer for the representative's own company is ever shown."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static

from services.contactus import company_contacts
from services.core.i18n import N_, _
from tui.base import AtendeModal, AtendeScreen, PaletteCommand
from tui.forms import Field, show_errors
from tui.live import LiveScreen
from tui.table import Table


class ProtocolDialog(AtendeModal[int | None]):
    """Type a protocol to open one of the company's contacts."""

    DEFAULT_CSS = """
    ProtocolDialog { align: center middle; }
    ProtocolDialog > Vertical { width: 60; max-width: 100%; height: auto; border: thick $primary;
        background: $panel; padding: 0 1; }
    ProtocolDialog .dialog-title { text-style: bold; padding: 1 0 0 0; }
    ProtocolDialog Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Open a contact by its protocol"), classes="dialog-title", markup=False)
            yield Field(_("Protocol"), Input(id="cu-protocol"), name="protocol")
            with Horizontal():
                yield Button(_("Open"), id="cu-protocol-open", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._open()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._open()

    def _open(self) -> None:
        """Find the contact off the UI thread; a refusal shows under the field."""
        self.call_service("contact-find", company_contacts.find, self.app.actor, self.query_one(Input).value,
                          on_answer=self.dismiss, quiet=True,
                          on_error=lambda exc: show_errors(self, {"protocol": exc.message}))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ContactUsScreen(LiveScreen, AtendeScreen):
    PRESENCE_NAME = N_("Contact us")
    HELP = N_("Your company's contacts with us. N writes a new contact; A, O and F show all, open or "
              "finished contacts; Enter opens the selected contact to read the answers and add a message; "
              "P opens a contact by its protocol.")
    BINDINGS = [
        Binding("n", "new", N_("New contact"), id="cu-new"),
        Binding("a", "view('all')", N_("All contacts"), id="cu-all"),
        Binding("o", "view('open')", N_("Open"), id="cu-open"),
        Binding("f", "view('finished')", N_("Finished"), id="cu-finished"),
        Binding("p", "protocol", N_("Protocol"), id="cu-protocol"),
        Binding("r", "reload", N_("Reload"), show=False, id="cu-reload"),
        Binding("escape", "back", N_("Back"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "all"
        self.rows: list[company_contacts.ContactRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="cu-home"):
            yield Static("", id="cu-heading", markup=False)
            yield Table(cursor_type="row", zebra_stripes=True, id="cu-table")
            yield Static("", id="cu-empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        actor = self.app.actor
        self.title = _("Contact us")
        self.sub_title = f"{actor.name} · {actor.role_label}"
        self.query_one(DataTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def action_view(self, view: str) -> None:
        self.view = view
        self.load()

    def action_reload(self) -> None:
        self.load()

    def live_reload(self, topics: frozenset[str]) -> None:
        """An agent answered or changed a contact: read it again."""
        self.load()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def load(self) -> None:
        self.call_service("contactus-home", company_contacts.contacts, self.app.actor, self.view, on_answer=self._show)

    def _show(self, rows: list[company_contacts.ContactRow]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        # at 80 columns everything fits; wider terminals give the names more room
        extra = max(0, (self.app.size.width - 80) // 3)
        widths = (12 + min(extra, 12), 16 + extra, 16 + extra)
        table.add_column(_("Protocol"))
        for label, width in zip((_("Status"), _("Classification"), _("Detail")), widths):
            table.add_column(label, width=width)
        table.add_column(_("Last update"))

        def cut(text: str, width: int, style: str = "") -> Text:
            return Text(text if len(text) <= width else text[:width - 1] + "…", style=style)

        for r in rows:
            status = cut(r.status_label, widths[0], "dim" if r.finished else "bold")
            table.add_row(Text(r.protocol), status, cut(r.classification, widths[1]), cut(r.detail, widths[2]),
                          Text(r.updated_at.strftime("%d/%m %H:%M")), key=str(r.ticket_id))
        if rows:
            table.move_cursor(row=min(max(cursor, 0), len(rows) - 1))
        label = _(company_contacts.VIEWS[self.view])
        self.query_one("#cu-heading", Static).update(
            _("{view} ({n}) · Enter opens a contact").format(view=label, n=len(rows)))
        self.query_one("#cu-empty", Static).update(
            "" if rows else _("No contacts here yet. Press N to write a new contact."))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_contact(int(event.row_key.value))

    def open_contact(self, ticket_id: int) -> None:
        from screens.contactus.thread import ContactThreadScreen

        self.app.push_screen(ContactThreadScreen(ticket_id))

    def action_new(self) -> None:
        from screens.contactus.form import NewContactScreen

        self.app.push_screen(NewContactScreen(), self._after_new)

    def _after_new(self, row: company_contacts.ContactRow | None) -> None:
        if row is not None:
            self.notify(_("Contact {protocol} sent. Keep this protocol to follow it.").format(protocol=row.protocol),
                        markup=False)
            self.view = "all"
            self.load()

    def action_protocol(self) -> None:
        def chosen(ticket_id: int | None) -> None:
            if ticket_id is not None:
                self.open_contact(ticket_id)

        self.app.push_screen(ProtocolDialog(), chosen)

    def palette_commands(self):
        yield PaletteCommand(_("New contact"), _("Write a new contact to us"), self.action_new)
        for key, label in company_contacts.VIEWS.items():
            yield PaletteCommand(_(label), _("Show these contacts"), lambda k=key: self.action_view(k))
        yield PaletteCommand(_("Open by protocol"), _("Open a contact by its protocol"), self.action_protocol)
