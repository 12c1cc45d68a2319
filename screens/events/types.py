"""Event types: the reference table behind every event's format and
preparation checklist. A new type works without code: its checklist becomes
the preparation task of each event of that type."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, Select, TextArea

from services.core import permissions
from services.core.i18n import N_, _
from services.events import event_types, stages
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import ThreadedSave
from tui.forms import Field, PlainSelect
from tui.table import Table


class EventTypesScreen(AtendeScreen):
    HELP = N_("Kinds of event: their format (which fields registration needs) and the checklist "
              "of the preparation task. N adds a type, Enter changes one, D turns it off or on.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("n", "new", N_("New type"), id="event-types-new"),
        Binding("enter", "edit", N_("Change"), id="event-types-edit"),
        Binding("d", "toggle_active", N_("Off/on"), id="event-types-active"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        table = Table(cursor_type="row", zebra_stripes=True, id="event-types-table")
        table.add_columns(_("Type"), _("Format"), _("Checklist"), _("In use"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Event types")
        self.items: list[event_types.EventTypeInfo] = []
        self.load()
        self.query_one(DataTable).focus()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("new", "edit", "toggle_active"):
            return permissions.can(self.app.actor, "events.types")
        return True

    def load(self, keep: int | None = None) -> None:
        actor = self.app.actor
        self.call_service("event-types", lambda: event_types.list_types(actor, include_inactive=True),
                          on_answer=lambda items: self._show(items, keep))

    def _show(self, items: list[event_types.EventTypeInfo], keep: int | None) -> None:
        table = self.query_one(DataTable)
        current = self.selected()
        keep = keep if keep is not None else (current.id if current else None)
        table.clear()
        self.items = items
        for t in items:
            style = "" if t.active else "dim"
            table.add_row(Text(t.name, style=style), Text(stages.format_label(t.format), style=style),
                          Text(str(len(t.checklist)), style=style),
                          Text(_("yes") if t.active else _("no"), style=style), key=str(t.id))
        for i, t in enumerate(items):
            if t.id == keep:
                table.move_cursor(row=i)

    def selected(self) -> event_types.EventTypeInfo | None:
        table = self.query_one(DataTable)
        if not self.items or not table.row_count:
            return None
        return self.items[min(table.cursor_row, len(self.items) - 1)]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    def _saved(self, info: event_types.EventTypeInfo | None) -> None:
        if info is not None:
            self.notify(_("Event type {name} saved.").format(name=info.name), markup=False)
            self.load(info.id)

    def action_new(self) -> None:
        self.app.push_screen(EventTypeForm(None), self._saved)

    def action_edit(self) -> None:
        t = self.selected()
        if t is not None and permissions.can(self.app.actor, "events.types"):
            self.app.push_screen(EventTypeForm(t), self._saved)

    def action_toggle_active(self) -> None:
        t = self.selected()
        if t is None:
            return
        actor = self.app.actor
        self.call_service("event-type-active", lambda: event_types.save_type(
            actor, t.name, t.format, t.preparation, t.checklist, type_id=t.id, active=not t.active),
            on_answer=self._toggled, write=True)

    def _toggled(self, info) -> None:
        self.notify((_("{name} can be chosen for new events again.") if info.active else
                     _("{name} is no longer offered for new events; existing events keep it.")).format(
            name=info.name), markup=False)
        self.load(info.id)

    def palette_commands(self):
        if permissions.can(self.app.actor, "events.types"):
            yield PaletteCommand(_("New event type"), _("Add a kind of event with its checklist"), self.action_new)


class EventTypeForm(ThreadedSave, AtendeScreen):
    """Dismisses with the saved EventTypeInfo, or None."""

    HELP = N_("Name the type, choose its format and write the preparation checklist, one item per "
              "line. Ctrl+S saves, Esc goes back without saving.")
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="event-type-save"),
        Binding("escape", "cancel", N_("Back")),
    ]

    def __init__(self, info: event_types.EventTypeInfo | None) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        formats = [(stages.format_label(f), f) for f in event_types.EVENT_FORMATS]
        yield Header()
        with VerticalScroll(id="event-type-form"):
            yield Label(_("Change event type") if info else _("New event type"), classes="box-title")
            yield Field(_("Name"), Input(info.name if info else "", id="type-name"), name="name")
            yield Field(_("Format (online: link; offline: address, seats; hybrid: all)"),
                        PlainSelect(formats, value=info.format if info else "offline", allow_blank=False,
                                    id="type-format"), name="format")
            yield Field(_("What preparing this kind of event involves"),
                        TextArea(info.preparation if info else "", id="type-preparation", soft_wrap=True),
                        name="preparation")
            yield Field(_("Preparation checklist, one item per line"),
                        TextArea("\n".join(info.checklist) if info else "", id="type-checklist", soft_wrap=True),
                        name="checklist")
            yield Checkbox(_("Offered for new events"), info.active if info else True, id="type-active")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Event types")
        self.query_one("#type-name", Input).focus()

    def submit(self):
        fmt = self.query_one("#type-format", Select).value
        actor, type_id = self.app.actor, self.info.id if self.info else None
        name = self.query_one("#type-name", Input).value
        preparation = self.query_one("#type-preparation", TextArea).text
        checklist = self.query_one("#type-checklist", TextArea).text.splitlines()
        active = self.query_one("#type-active", Checkbox).value
        return lambda: event_types.save_type(actor, name, fmt if isinstance(fmt, str) else "", preparation, checklist,
                                             type_id=type_id, active=active)

    def action_cancel(self) -> None:
        self.dismiss(None)
