"""Contact us setup (leads): classifications and the desk queue each goes to,
sub-classifications (mode "Central"), forms of contact (mode "CRM"), and the
mode itself (admins)."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static

from services.contactus import catalogue
from services.core import permissions
from services.core.i18n import N_, _
from services.store import settings
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import FormDialog
from tui.forms import Field, PlainSelect
from tui.table import ItemsTable, Table

TABS = {"classification": N_("Classifications"), "subclassification": N_("Sub-classifications"),
        "form": N_("Forms of contact")}


class ItemForm(FormDialog[catalogue.Item | None]):
    """Add or rename a classification, sub-classification or form of contact;
    for a classification, its desk queue."""

    def __init__(self, kind: str, item: catalogue.Item | None, queues, parents) -> None:
        super().__init__()
        self.kind = kind
        self.item = item
        self.queues = queues
        self.parents = parents

    def compose(self) -> ComposeResult:
        item = self.item
        what = _(catalogue.KIND_LABELS[self.kind])
        title = (_("Change the {what} {name}").format(what=what, name=item.name) if item
                 else _("Add a {what}").format(what=what))
        with Vertical():
            yield Label(title, classes="dialog-title", markup=False)
            yield Field(_("Name"), Input(item.name if item else "", id="cu-item-name"), name="name")
            if self.kind == "classification":
                options = [(q.name, q.id) for q in self.queues]
                yield Field(_("Desk queue that receives its contacts"),
                            PlainSelect(options, value=item.queue_id if item and item.queue_id else Select.NULL,
                                        prompt=_("Choose..."), id="cu-item-queue"), name="queue")
            if self.kind == "subclassification" and not item:
                options = [(p.name, p.id) for p in self.parents]
                yield Field(_("Classification"), PlainSelect(options, prompt=_("Choose..."), id="cu-item-parent"),
                            name="classification")
            yield self.buttons()

    def on_mount(self) -> None:
        self.query_one("#cu-item-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def submit(self):
        actor, kind, item = self.app.actor, self.kind, self.item
        name = self.query_one("#cu-item-name", Input).value
        queue = self._select("#cu-item-queue") if kind == "classification" else None
        parent = self._select("#cu-item-parent") if kind == "subclassification" and item is None else None

        def save() -> catalogue.Item:
            if item is None:
                if kind == "classification":
                    return catalogue.add_classification(actor, name, queue)
                if kind == "subclassification":
                    return catalogue.add_subclassification(actor, parent, name)
                return catalogue.add_form(actor, name)
            result = item
            if name.strip() != item.name:
                result = catalogue.rename(actor, kind, item.id, name, expected_version=item.version)
            if kind == "classification" and queue != result.queue_id:
                result = catalogue.route(actor, item.id, queue, expected_version=result.version)
            return result
        return save

    def _select(self, selector: str):
        value = self.query_one(selector, Select).value
        return value if isinstance(value, int) else None


def read_tab(actor, tab: str) -> tuple[list[catalogue.Item], str]:
    """The items of `tab` (the inactive too), and the mode."""
    if tab == "classification":
        items = catalogue.classifications(actor, include_inactive=True)
    elif tab == "subclassification":
        items = catalogue.subclassifications(actor, include_inactive=True)
    else:
        items = catalogue.forms(actor, include_inactive=True)
    return items, catalogue.mode()


def read_form_choices(actor, tab: str) -> tuple[list[catalogue.QueueChoice], list[catalogue.Item]]:
    """What the form of an item of `tab` offers: the desk queues (a
    classification) or the classifications (a sub-classification)."""
    queues = catalogue.queues(actor) if tab == "classification" else []
    parents = catalogue.classifications(actor) if tab == "subclassification" else []
    return queues, parents


def switch_mode(actor) -> str:
    """Turn the Contact us mode to the other one; the new mode."""
    new = catalogue.CRM if catalogue.mode() == catalogue.CENTRAL else catalogue.CENTRAL
    settings.set_value(actor, catalogue.MODE_KEY, new)
    return new


class ContactUsAdminScreen(ItemsTable, AtendeScreen):
    HELP = N_("What company representatives choose from when they write to us. 1, 2 and 3 switch between "
              "classifications, sub-classifications and forms of contact; A adds, E changes the name (and a "
              "classification's desk queue), D deactivates or reactivates. M switches the mode between Central "
              "and CRM (admins).")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("1", "tab('classification')", N_("Classifications"), id="cu-admin-classes"),
        Binding("2", "tab('subclassification')", N_("Sub-classifications"), id="cu-admin-subs"),
        Binding("3", "tab('form')", N_("Forms"), id="cu-admin-forms"),
        Binding("a", "add", N_("Add"), id="cu-admin-add"),
        Binding("e", "edit", N_("Edit"), id="cu-admin-edit"),
        Binding("d", "toggle", N_("(De)activate"), id="cu-admin-toggle"),
        Binding("m", "mode", N_("Mode"), id="cu-admin-mode"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.tab = "classification"
        self.items: list[catalogue.Item] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="cu-admin"):
            yield Static("", id="cu-admin-heading", markup=False)
            yield Table(cursor_type="row", zebra_stripes=True, id="cu-admin-table")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Contact us setup")
        self.query_one(DataTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "mode":
            return permissions.can(self.app.actor, "settings.edit")
        return True

    def action_tab(self, tab: str) -> None:
        self.tab = tab
        self.load()

    def load(self) -> None:
        self.call_service("contactus-admin", read_tab, self.app.actor, self.tab,
                          on_answer=lambda answer: self._show(*answer))

    def _show(self, items: list[catalogue.Item], mode: str) -> None:
        self.items = items
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        if self.tab == "classification":
            table.add_columns(_("Name"), _("Desk queue"), _("Active"))
        elif self.tab == "subclassification":
            table.add_columns(_("Classification"), _("Name"), _("Active"))
        else:
            table.add_columns(_("Name"), _("Active"))
        for i in items:
            active = Text(_("yes") if i.active else _("no"), style="" if i.active else "dim")
            if self.tab == "classification":
                cells = (Text(i.name), Text(i.queue), active)
            elif self.tab == "subclassification":
                cells = (Text(i.parent), Text(i.name), active)
            else:
                cells = (Text(i.name), active)
            table.add_row(*cells, key=str(i.id))
        if items:
            table.move_cursor(row=min(max(cursor, 0), len(items) - 1))
        self.query_one("#cu-admin-heading", Static).update(
            _("{tab} ({n}) · mode: {mode}").format(
                tab=_(TABS[self.tab]), n=len(items), mode="Central" if mode == catalogue.CENTRAL else "CRM"))


    def open_form(self, item: catalogue.Item | None) -> None:
        tab = self.tab
        self.call_service("contactus-admin-form", read_form_choices, self.app.actor, tab,
                          on_answer=lambda answer: self._open_form(tab, item, *answer))

    def _open_form(self, tab: str, item: catalogue.Item | None, queues: list[catalogue.QueueChoice],
                   parents: list[catalogue.Item]) -> None:
        if tab == "classification" and not queues:
            self.notify(_("Add a desk destination first: Service desk, C (setup), or 'atende desk add queue'."),
                        severity="warning", markup=False)
            return
        if tab == "subclassification" and not parents and item is None:
            self.notify(_("Add a classification first."), severity="warning", markup=False)
            return
        self.app.push_screen(ItemForm(tab, item, queues, parents), self._saved)

    def _saved(self, item: catalogue.Item | None) -> None:
        if item is not None:
            self.notify(_("Saved: {name}").format(name=item.name), markup=False)
            self.load()

    def action_toggle(self) -> None:
        item = self.selected_item()
        if item is not None:
            self._toggle(item)

    def _toggle(self, item: catalogue.Item) -> None:
        actor = self.app.actor
        self.call_service("contactus-admin-write",
                          lambda: catalogue.set_active(actor, item.kind, item.id, not item.active,
                                                       expected_version=item.version),
                          on_answer=self._toggled, on_error=lambda _exc: self.load(), write=True)

    def _toggled(self, result: catalogue.Item) -> None:
        self.notify((_("{name} is active again") if result.active else
                     _("{name} is no longer offered")).format(name=result.name), markup=False)
        self.load()

    def action_mode(self) -> None:
        self.call_service("contactus-admin-write", switch_mode, self.app.actor, on_answer=self._mode_set, write=True)

    def _mode_set(self, new: str) -> None:
        self.notify(_("Contact us mode: {mode}").format(mode=catalogue.mode_label(new)), markup=False)
        self.load()

    def palette_commands(self):
        for key, label in TABS.items():
            yield PaletteCommand(_(label), _("Show and maintain them"), lambda k=key: self.action_tab(k))
