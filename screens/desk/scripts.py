"""Guided scripts for supervisors: list, edit a tree node by node, import and export."""
from __future__ import annotations

import copy

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Static

from services.core.i18n import N_, _
from services.tickets import scripts
from tui.base import AtendeModal, AtendeScreen, PaletteCommand
from tui.dialogs import ConfirmDialog
from tui.forms import Field, clear_errors, show_errors
from tui.guarded_text import GuardedTextArea
from tui.table import Table

END_WORDS = ("", "end", "fim", "-")


def options_text(node: scripts.Node) -> str:
    return "\n".join(f"{o.label} -> {o.next or 'end'}" for o in node.options)


def parse_options(text: str) -> list[dict]:
    """'Yes -> n2' lines into options ('end' or nothing after the arrow ends the script)."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        label, _arrow, target = line.partition("->")
        target = target.strip()
        out.append({"label": label.strip(), "next": None if target.lower() in END_WORDS else target})
    return out


class PathDialog(AtendeModal[str | None]):
    """Ask for a file path."""

    DEFAULT_CSS = """
    PathDialog { align: center middle; }
    PathDialog > VerticalScroll { width: 70; max-width: 100%; height: auto; border: thick $primary;
        background: $panel; padding: 0 1; }
    PathDialog Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Field(self.title_text, Input(self.value, id="path"), name="path")
            with Horizontal():
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("OK"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path").focus()

    @on(Input.Submitted)
    def _submit(self) -> None:
        self.dismiss(self.query_one("#path", Input).value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.query_one("#path", Input).value if event.button.id == "ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_error(self, message: str) -> None:
        show_errors(self, {"path": message})


class NodeForm(AtendeModal[dict | None]):
    """One node: question, explanations and options ('label -> next node id' per line)."""

    DEFAULT_CSS = """
    NodeForm { align: center middle; }
    NodeForm > VerticalScroll { width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    NodeForm Field { margin-bottom: 0; }
    NodeForm GuardedTextArea { height: 4; }
    NodeForm Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("ctrl+s", "save", N_("OK"), priority=True)]

    def __init__(self, node: scripts.Node | None, taken: set[str]) -> None:
        super().__init__()
        self.node = node
        self.taken = taken

    def compose(self) -> ComposeResult:
        n = self.node
        with VerticalScroll():
            yield Field(_("Node id (short, unique)"), Input(n.id if n else "", id="node-id", max_length=40),
                        name="id")
            yield Field(_("Question"), GuardedTextArea(n.question if n else "", id="question", max_length=2000),
                        name="question")
            yield Field(_("Explanation for the customer"),
                        GuardedTextArea(n.for_customer if n else "", id="for_customer", max_length=4000),
                        name="for_customer")
            yield Field(_("Explanation for the operator"),
                        GuardedTextArea(n.for_operator if n else "", id="for_operator", max_length=4000),
                        name="for_operator")
            yield Field(_("Options, one a line: answer -> next node id (or 'end')"),
                        GuardedTextArea(options_text(n) if n else "", id="options", max_length=4000), name="options")
            with Horizontal():
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("OK (Ctrl+S)"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#node-id").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "ok" else self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        clear_errors(self)
        node_id = self.query_one("#node-id", Input).value.strip()
        errors = {}
        if not node_id:
            errors["id"] = _("Give the node an id")
        elif node_id in self.taken:
            errors["id"] = _("Another node has the id '{id}'").format(id=node_id)
        question = self.query_one("#question", GuardedTextArea).text.strip()
        if not question:
            errors["question"] = _("Write the question")
        options = parse_options(self.query_one("#options", GuardedTextArea).text)
        if not options:
            errors["options"] = _("Give at least one option")
        elif any(not o["label"] for o in options):
            errors["options"] = _("Every option needs its text before the arrow")
        if errors:
            show_errors(self, errors)
            return
        self.dismiss({"id": node_id, "question": question,
                      "for_customer": self.query_one("#for_customer", GuardedTextArea).text.strip(),
                      "for_operator": self.query_one("#for_operator", GuardedTextArea).text.strip(),
                      "options": options})


class ScriptEditorScreen(AtendeScreen):
    """Edit one script's tree; saving checks it (no loops, no option leading nowhere)."""

    HELP = N_("Each node is a question with answer options; an option leads to another node or ends the "
              "script. Enter edits a node, N adds one, Del removes it, Ctrl+S saves after checking the tree.")
    BINDINGS = [
        Binding("escape", "back", N_("Back")),
        Binding("ctrl+s", "save", N_("Save"), id="script-save", priority=True),
        Binding("n", "add_node", N_("New node"), id="script-node-add"),
        Binding("delete", "delete_node", N_("Delete node"), id="script-node-delete"),
    ]

    def __init__(self, script_id: int | None = None) -> None:
        super().__init__()
        self.script_id = script_id
        self.version: int | None = None
        self.nodes: list[dict] = []
        self.dirty = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            with Horizontal(classes="form-row"):
                yield Field(_("Name"), Input(id="script-name", max_length=120), name="name")
                yield Field(_("Start node"), Input(id="script-start", max_length=40), name="start")
            yield Field(_("Description"), Input(id="script-description", max_length=500), name="description")
            table = Table(cursor_type="row", zebra_stripes=True, id="nodes")
            table.add_columns(_("Id"), _("Question"), _("Options"))
            yield Field(_("Nodes (Enter edits, N adds, Del removes)"), table, name="script")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Script editor")
        if self.script_id:
            self.load()
        else:
            self.nodes = []
            self._show()
            self.query_one("#script-name").focus()

    def load(self) -> None:
        self.call_service("script-load", scripts.get, self.app.actor, self.script_id,
                          on_answer=lambda answer: self._loaded(*answer))

    def _loaded(self, info: scripts.ScriptInfo, script: scripts.ScriptDef) -> None:
        self.version = info.version
        data = scripts.to_data(script)
        self.nodes = data["nodes"]
        self.query_one("#script-name", Input).value = script.name
        self.query_one("#script-start", Input).value = script.start
        self.query_one("#script-description", Input).value = script.description
        self._show()
        self.query_one("#nodes").focus()

    def _show(self) -> None:
        table = self.query_one("#nodes", DataTable)
        row = table.cursor_row
        table.clear()
        for n in self.nodes:
            opts = ", ".join(f"{o['label']}->{o['next'] or 'end'}" for o in n["options"])
            table.add_row(Text(n["id"]), Text(n["question"][:40]), Text(opts[:60]), key=n["id"])
        if self.nodes:
            table.move_cursor(row=min(row, len(self.nodes) - 1))

    def _selected_index(self) -> int | None:
        table = self.query_one("#nodes", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((i for i, n in enumerate(self.nodes) if n["id"] == key), None)

    @on(DataTable.RowSelected, "#nodes")
    def _edit(self, event: DataTable.RowSelected) -> None:
        i = self._selected_index()
        if i is None:
            return
        raw = self.nodes[i]
        node = scripts.Node(raw["id"], raw["question"], raw.get("for_customer", ""), raw.get("for_operator", ""),
                            tuple(scripts.Option(o["label"], o["next"]) for o in raw["options"]))
        taken = {n["id"] for n in self.nodes} - {raw["id"]}

        def done(result: dict | None) -> None:
            if result is None:
                return
            old_id = self.nodes[i]["id"]
            self.nodes[i] = result
            if result["id"] != old_id:  # follow the rename everywhere
                for n in self.nodes:
                    for o in n["options"]:
                        if o["next"] == old_id:
                            o["next"] = result["id"]
                if self.query_one("#script-start", Input).value == old_id:
                    self.query_one("#script-start", Input).value = result["id"]
            self.dirty = True
            self._show()

        self.app.push_screen(NodeForm(node, taken), done)

    def action_add_node(self) -> None:
        def done(result: dict | None) -> None:
            if result is None:
                return
            self.nodes.append(result)
            if not self.query_one("#script-start", Input).value.strip():
                self.query_one("#script-start", Input).value = result["id"]
            self.dirty = True
            self._show()

        self.app.push_screen(NodeForm(None, {n["id"] for n in self.nodes}), done)

    def action_delete_node(self) -> None:
        i = self._selected_index()
        if i is not None:
            del self.nodes[i]
            self.dirty = True
            self._show()

    def action_save(self) -> None:
        data = {"name": self.query_one("#script-name", Input).value,
                "start": self.query_one("#script-start", Input).value,
                "description": self.query_one("#script-description", Input).value, "nodes": copy.deepcopy(self.nodes)}
        actor, script_id, version = self.app.actor, self.script_id, self.version
        self.call_service("script-save", lambda: scripts.save(actor, scripts.parse(data), script_id, version),
                          on_answer=self._saved, fields=self, write=True)

    def _saved(self, info) -> None:
        self.script_id, self.version, self.dirty = info.id, info.version, False
        self.notify(_("Script '{name}' saved.").format(name=info.name), markup=False)

    def action_back(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog(_("Leave without saving your changes to this script?")), answer)


class ScriptListScreen(AtendeScreen):
    FAILURE_STATUS = {"scripts-list": "#scripts-status"}
    HELP = N_("The guided scripts agents follow. Enter edits, N creates, I imports a JSON file, X exports, "
              "Del retires a script.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("n", "new", N_("New script"), id="scripts-new"),
        Binding("i", "import_file", N_("Import"), id="scripts-import"),
        Binding("x", "export_file", N_("Export"), id="scripts-export"),
        Binding("delete", "retire", N_("Retire"), id="scripts-retire"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        table = Table(cursor_type="row", zebra_stripes=True, id="scripts")
        table.add_columns(_("Script"), _("Nodes"), _("Version"), _("Changed by"))
        yield table
        yield Static("", id="scripts-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Scripts")
        self.items: list[scripts.ScriptInfo] = []
        self.load()

    def load(self) -> None:
        self.call_service("scripts-list", scripts.list_scripts, self.app.actor, on_answer=self._show)

    def _show(self, items) -> None:
        self.items = items
        table = self.query_one("#scripts", DataTable)
        table.clear()
        for s in items:
            table.add_row(Text(s.name), Text(str(s.nodes)), Text(str(s.version)), Text(s.updated_by), key=str(s.id))
        table.focus()

    def _selected(self) -> scripts.ScriptInfo | None:
        table = self.query_one("#scripts", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.items if str(s.id) == key), None)

    @on(DataTable.RowSelected, "#scripts")
    def _edit(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(ScriptEditorScreen(int(event.row_key.value)), lambda _r: self.load())

    def action_new(self) -> None:
        self.app.push_screen(ScriptEditorScreen(None), lambda _r: self.load())

    def action_import_file(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.call_service("script-import", scripts.import_file, self.app.actor, path,
                                  on_answer=self._imported, write=True,
                                  on_error=lambda exc: self.query_one("#scripts-status", Static).update(exc.message))

        self.app.push_screen(PathDialog(_("JSON file to import")), chosen)

    def _imported(self, info) -> None:
        self.notify(_("Script '{name}' imported.").format(name=info.name), markup=False)
        self.load()

    def action_export_file(self) -> None:
        item = self._selected()
        if item is None:
            return

        def chosen(path: str | None) -> None:
            if path:
                self.call_service("script-export", scripts.export_file, self.app.actor, item.id, path, write=True,
                                  on_answer=lambda written: self.notify(_("Exported to {path}").format(path=written),
                                                                        markup=False))

        self.app.push_screen(PathDialog(_("File to write"), f"{item.name}.json"), chosen)

    def action_retire(self) -> None:
        item = self._selected()
        if item is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.call_service("script-retire", scripts.deactivate, self.app.actor, item.id, write=True,
                                  on_answer=lambda _none: self.load(), on_error=lambda _exc: self.load())

        self.app.push_screen(ConfirmDialog(_("Retire the script '{name}'? Agents will no longer see it.").format(
            name=item.name)), answer)

    def palette_commands(self):
        yield PaletteCommand(_("New script"), _("Write a new guided script"), self.action_new)
        yield PaletteCommand(_("Import a script"), _("From a JSON file"), self.action_import_file)

