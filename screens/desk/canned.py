"""Canned replies on the screen: the picker an agent opens with F7 in a reply,
an internal note or the wizard's first contact (type to filter, Enter puts
the filled-in text at the cursor), and the leads' list and form (desk setup,
5)."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from services.core.i18n import N_, _
from services.tickets import canned
from tui.base import AtendeModal, AtendeScreen, PaletteCommand
from tui.dialogs import FormDialog
from tui.forms import Field, PlainSelect
from tui.guarded_text import GuardedTextArea
from tui.keys import EnterInput
from tui.table import ItemsTable, Table

CANNED_KEY = "f7"
CANNED_BINDING = Binding(CANNED_KEY, "canned", N_("Canned reply"), priority=True)
"""The key that opens the picker, wherever a message is written."""


def placeholders_hint() -> str:
    return _("Placeholders: {list}").format(
        list=", ".join(f"{{{name}}} ({_(what)})" for name, what in canned.PLACEHOLDERS.items()))


def insert_canned(screen, area: TextArea, *, ticket_id: int | None = None, queue_id: int | None = None,
                  values: dict[str, str] | None = None) -> None:
    """Open the picker from `screen`; the chosen reply, filled in, goes into
    `area` at its cursor (what was typed stays), and the focus back to it."""
    def chosen(text: str | None) -> None:
        area.focus()
        if not text:
            return
        room = getattr(area, "max_length", None)
        if room is not None and len(area.text) + len(text) > room:
            screen.notify(_("Not inserted: the text would pass the field's {n:,} characters").format(n=room),
                          severity="warning", markup=False)
            return
        row, column = area.cursor_location
        before = area.document.get_line(row)[:column]
        if before and not before[-1].isspace():
            text = " " + text  # after a word: not glued to it
        area.insert(text)

    screen.app.push_screen(CannedPicker(ticket_id=ticket_id, queue_id=queue_id, values=values), chosen)


class FilterInput(EnterInput):
    """The picker's filter: Down and Enter go to the list."""

    async def _on_key(self, event) -> None:
        if event.key in ("down", "enter") and self.app.focused is self:
            event.stop()
            event.prevent_default()
            self.screen.to_list(choose=event.key == "enter")
            return
        await super()._on_key(event)


class CannedPicker(AtendeModal[str | None]):
    """Choose a canned reply: type words of its title or text, Enter inserts it."""

    DEFAULT_CSS = """
    CannedPicker { align: center middle; }
    CannedPicker > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    CannedPicker .dialog-title { text-style: bold; padding: 1 0 0 0; }
    CannedPicker OptionList { height: auto; max-height: 10; }
    CannedPicker #canned-preview { height: auto; max-height: 6; color: $text-muted; padding: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, *, ticket_id: int | None = None, queue_id: int | None = None,
                 values: dict[str, str] | None = None) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.queue_id = queue_id
        self.values = values
        self.found: list[canned.Canned] = []
        self._choose_when_found = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Canned reply"), classes="dialog-title", markup=False)
            yield FilterInput(placeholder=_("Type to filter; Enter inserts"), id="canned-filter", max_length=200)
            yield OptionList(id="canned-list")
            yield Static("", id="canned-preview", markup=False)

    def on_mount(self) -> None:
        self.query_one("#canned-filter", Input).focus()
        self.search()

    @on(Input.Changed, "#canned-filter")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.search()

    def search(self) -> None:
        actor, text = self.app.actor, self.query_one("#canned-filter", Input).value
        ticket_id, queue_id = self.ticket_id, self.queue_id
        self.call_service("canned-search", lambda: canned.choices(actor, text, ticket_id=ticket_id, queue_id=queue_id),
                          on_answer=self._show)

    def _show(self, found: list[canned.Canned]) -> None:
        self.found = found
        options = self.query_one("#canned-list", OptionList)
        options.clear_options()
        for c in found:
            prompt = Text(c.title, style="bold")
            first = c.body.strip().splitlines()[0] if c.body.strip() else ""
            room = max(0, 64 - len(c.title))  # one line each at 80 columns
            prompt.append(f"  {first[:room - 1]}…" if len(first) > room else f"  {first}", style="dim")
            options.add_option(Option(prompt, id=str(c.id)))
        if found:
            options.highlighted = 0
        self.query_one("#canned-preview", Static).update(
            "" if found else _("No canned reply matches. Leads keep them in desk setup (5)."))
        if self._choose_when_found:
            self._choose_when_found = False
            if found:
                self._choose(found[0].id)

    def to_list(self, choose: bool) -> None:
        """Down: into the list; Enter: insert the first reply found (once the newest search answered)."""
        if choose:
            if self.service_running("canned-search"):
                self._choose_when_found = True
            elif self.found:
                self._choose(self.found[0].id)
            return
        options = self.query_one("#canned-list", OptionList)
        if options.option_count:
            options.focus()

    @on(OptionList.OptionHighlighted, "#canned-list")
    def _preview(self, event: OptionList.OptionHighlighted) -> None:
        reply = next((c for c in self.found if str(c.id) == event.option.id), None)
        if reply is not None:
            self.query_one("#canned-preview", Static).update(reply.body[:400])

    @on(OptionList.OptionSelected, "#canned-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(int(event.option.id))

    def _choose(self, reply_id: int) -> None:
        actor, ticket_id, values = self.app.actor, self.ticket_id, self.values
        self.call_service("canned-fill", lambda: canned.fill(actor, reply_id, ticket_id=ticket_id, values=values),
                          on_answer=self.dismiss)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CannedForm(FormDialog[canned.Canned | None]):
    """Add or change a canned reply: title, destination, text."""

    DEFAULT_CSS = """
    CannedForm > Vertical { width: 80; }
    CannedForm GuardedTextArea { height: 8; }
    """

    def __init__(self, reply: canned.Canned | None, destinations: list[tuple[str, int]]) -> None:
        super().__init__()
        self.reply = reply
        self.destinations = destinations

    def compose(self) -> ComposeResult:
        r = self.reply
        with Vertical():
            yield Label(_("Change the canned reply {title}").format(title=r.title) if r else _("Add a canned reply"),
                        classes="dialog-title", markup=False)
            yield Field(_("Title *"), Input(r.title if r else "", id="canned-title", max_length=canned.MAX_TITLE),
                        name="title")
            known = r is not None and any(v == r.queue_id for _l, v in self.destinations)
            yield Field(_("Destination (empty: every destination)"),
                        PlainSelect(self.destinations, value=r.queue_id if known else Select.NULL,
                                    prompt=_("Every destination"), id="canned-queue"), name="queue")
            yield Field(_("Text *"), GuardedTextArea(r.body if r else "", id="canned-body",
                                                     max_length=canned.MAX_BODY), name="body")
            yield Static(placeholders_hint(), classes="muted", markup=False)
            yield self.buttons()

    def on_mount(self) -> None:
        self.query_one("#canned-title", Input).focus()

    def submit(self):
        queue = self.query_one("#canned-queue", Select).value
        actor, reply_id = self.app.actor, self.reply.id if self.reply else None
        title = self.query_one("#canned-title", Input).value
        body = self.query_one("#canned-body", GuardedTextArea).text
        queue_id = None if queue is Select.NULL else int(queue)
        return lambda: canned.save(actor, reply_id, title=title, body=body, queue_id=queue_id)


class CannedScreen(ItemsTable, AtendeScreen):
    """The leads' list of canned replies."""

    HELP = N_("The texts agents insert with F7 in a reply, an internal note or the wizard's first contact. "
              "A adds, E (or Enter) changes, D takes one out of use or back. A reply is for every destination "
              "or for one. The same from the shell: atende canned list|add|edit|disable.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("a", "add", N_("Add"), id="canned-add"),
        Binding("e", "edit", N_("Edit"), id="canned-edit"),
        Binding("d", "toggle", N_("(De)activate"), id="canned-toggle"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[canned.Canned] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(placeholders_hint(), id="canned-hint", markup=False)
        table = Table(cursor_type="row", zebra_stripes=True, id="canned-table")
        table.add_columns(_("Title"), _("Destination"), _("Active"), _("Text"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Canned replies")
        self.query_one(DataTable).focus()
        self.load()

    def load(self) -> None:
        self.call_service("canned-list", canned.replies, self.app.actor, on_answer=self._show)

    def _show(self, items: list[canned.Canned]) -> None:
        self.items = items
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for c in items:
            style = "" if c.active else "dim"
            first = c.body.strip().splitlines()[0] if c.body.strip() else ""
            table.add_row(Text(c.title, style=style), Text(c.queue_name or _("Every destination"), style=style),
                          Text(_("yes") if c.active else _("no"), style=style), Text(first[:50], style=style),
                          key=str(c.id))
        if items:
            table.move_cursor(row=min(max(cursor, 0), len(items) - 1))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def open_form(self, item: canned.Canned | None) -> None:
        self.call_service("canned-form", canned.destinations, self.app.actor,
                          on_answer=lambda options: self.app.push_screen(CannedForm(item, options), self._saved))

    def _saved(self, item: canned.Canned | None) -> None:
        if item is not None:
            self.notify(_("Saved: {name}").format(name=item.title), markup=False)
            self.load()

    def action_toggle(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.call_service("canned-write", canned.set_active, self.app.actor, item.id, not item.active,
                              on_answer=lambda _item: self.load(), write=True)

    def palette_commands(self):
        yield PaletteCommand(_("Add a canned reply"), _("A text agents insert with F7"), self.action_add)
