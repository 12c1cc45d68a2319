"""Desk setup (leads): destinations, ticket types, technicians and
service-order types, each added, changed and taken out of use here."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, Select, Static

from services.core.i18n import N_, _
from services.tickets import setup
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import FormDialog
from tui.forms import Field, PlainSelect
from tui.table import ItemsTable, Table

LABELS = {"name": N_("Name *"), "queue": N_("Destination"), "responsible": N_("Responsible it proposes"),
          "allows_link": N_("May be linked to a parent ticket on the same network"),
          "survey": N_("Ask the contact to rate the service once resolved"), "phone": N_("Phone"),
          "user": N_("Their Atende login (optional)"), "minutes": N_("Default duration (minutes) *"),
          "response_minutes": N_("First response within (business minutes; empty: none)"),
          "resolution_minutes": N_("Resolution within (business minutes; empty: none)")}
CHOSEN = ("queue", "responsible", "user")
FLAGS = ("allows_link", "survey")
"""Fields picked from a list (services.tickets.setup.choices)."""


class SetupForm(FormDialog[setup.SetupItem | None]):
    """Add or change one row; every field of its kind, errors at the field."""

    def __init__(self, kind: str, item: setup.SetupItem | None, options: dict[str, list]) -> None:
        super().__init__()
        self.kind = kind
        self.item = item
        self.options = options

    def compose(self) -> ComposeResult:
        item = self.item
        what = _(setup.ONE[self.kind])
        with Vertical():
            yield Label(_("Change the {what} {name}").format(what=what, name=item.name) if item
                        else _("Add a {what}").format(what=what), classes="dialog-title", markup=False)
            for field in setup.FIELDS[self.kind]:
                value = item.value(field) if item else {"minutes": "60", "survey": "yes"}.get(field, "")
                if field in FLAGS:
                    yield Checkbox(_(LABELS[field]), value=bool(value), id=f"setup-{field}")
                elif field in CHOSEN:
                    options = self.options.get(field, [])
                    known = any(v == value for _l, v in options)
                    yield Field(_(LABELS[field]), PlainSelect(options, value=value if known else Select.NULL,
                                                              prompt=_("None"), id=f"setup-{field}"), name=field)
                else:
                    yield Field(_(LABELS[field]), Input(value, id=f"setup-{field}", max_length=setup.MAX_NAME),
                                name=field)
            yield self.buttons()

    def on_mount(self) -> None:
        self.query_one("#setup-name", Input).focus()

    def submit(self):
        values: dict[str, str] = {}
        for field in setup.FIELDS[self.kind]:
            widget = self.query_one(f"#setup-{field}")
            if isinstance(widget, Checkbox):
                values[field] = "yes" if widget.value else ""
            elif isinstance(widget, Select):
                values[field] = "" if widget.value is Select.NULL else str(widget.value)
            else:
                values[field] = widget.value
        actor, kind, item_id = self.app.actor, self.kind, self.item.id if self.item else None
        return lambda: setup.save(actor, kind, item_id, values)


class DeskSetupScreen(ItemsTable, AtendeScreen):
    HELP = N_("What the new-ticket wizard offers. 1 to 4 switch between destinations, ticket types, technicians "
              "and service-order types; A adds, E (or Enter) changes, D takes one out of use or back (tickets "
              "keep it). 5 opens the canned replies agents insert with F7. The same from the shell: atende desk "
              "list|add|edit|disable, atende canned.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("1", "kind('queue')", N_("Destinations"), id="desk-setup-queues"),
        Binding("2", "kind('type')", N_("Types"), id="desk-setup-types"),
        Binding("3", "kind('technician')", N_("Technicians"), id="desk-setup-techs"),
        Binding("4", "kind('os_type')", N_("OS types"), id="desk-setup-os"),
        Binding("5", "canned", N_("Canned replies"), id="desk-setup-canned"),
        Binding("a", "add", N_("Add"), id="desk-setup-add"),
        Binding("e", "edit", N_("Edit"), id="desk-setup-edit"),
        Binding("d", "toggle", N_("(De)activate"), id="desk-setup-toggle"),
    ]

    def __init__(self, kind: str = "queue") -> None:
        super().__init__()
        self.kind = kind
        self.items: list[setup.SetupItem] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("", id="desk-setup-heading", markup=False)
            yield Table(cursor_type="row", zebra_stripes=True, id="desk-setup-table")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Desk setup")
        self.query_one(DataTable).focus()
        self.load()

    def action_canned(self) -> None:
        from screens.desk.canned import CannedScreen

        self.app.push_screen(CannedScreen())

    def action_kind(self, kind: str) -> None:
        self.kind = kind
        self.load()

    def load(self) -> None:
        kind = self.kind
        self.call_service("desk-setup", setup.items, self.app.actor, kind,
                          on_answer=lambda items: self._show(kind, items))

    def _show(self, kind: str, items: list[setup.SetupItem]) -> None:
        self.items = items
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_columns(_("Name"), _("Details"), _("Active"))
        for i in items:
            style = "" if i.active else "dim"
            table.add_row(Text(i.name, style=style), Text(i.details, style=style),
                          Text(_("yes") if i.active else _("no"), style=style), key=str(i.id))
        if items:
            table.move_cursor(row=min(max(cursor, 0), len(items) - 1))
        self.query_one("#desk-setup-heading", Static).update(
            _("{kind} ({n}) · 1-4 switch · A adds · E changes · D (de)activates").format(
                kind=_(setup.KINDS[kind]), n=len(items)))


    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def open_form(self, item: setup.SetupItem | None) -> None:
        kind = self.kind
        self.call_service("desk-setup-form", setup.choices, self.app.actor,
                          on_answer=lambda options: self.app.push_screen(SetupForm(kind, item, options), self._saved))

    def _saved(self, item: setup.SetupItem | None) -> None:
        if item is not None:
            self.notify(_("Saved: {name}").format(name=item.name), markup=False)
            self.load()

    def action_toggle(self) -> None:
        item = self.selected_item()
        if item is None:
            return
        self.call_service("desk-setup-write", setup.set_active, self.app.actor, item.kind, item.id, not item.active,
                          on_answer=self._toggled, write=True)

    def _toggled(self, item: setup.SetupItem) -> None:
        self.notify((_("{name} is active again") if item.active else
                     _("{name} is no longer offered")).format(name=item.name), markup=False)
        self.load()

    def palette_commands(self):
        for key, label in setup.KINDS.items():
            yield PaletteCommand(_(label), _("Show and maintain them"), lambda k=key: self.action_kind(k))
        yield PaletteCommand(_("Canned replies"), _("The texts agents insert with F7"), self.action_canned)
