"""The audit log viewer: who did what and when, filtered by person, entity
and dates; Enter shows one entry's changes."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static

from services.core.i18n import N_, _
from services.store import audit
from tui.base import AtendeModal, AtendeScreen
from tui.forms import Field
from tui.table import Table


class AuditEntryDialog(AtendeModal[None]):
    """One audit entry: who, when, what, and each field's old and new value."""

    DEFAULT_CSS = """
    AuditEntryDialog { align: center middle; }
    AuditEntryDialog Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape,enter", "close", N_("Close"))]

    def __init__(self, entry: audit.AuditEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        e = self.entry
        with Vertical(classes="dialog-box", id="audit-entry"):
            yield Label(_("Audit entry {id}").format(id=e.id), classes="box-title", markup=False)
            yield Static(f"{e.at:%Y-%m-%d %H:%M:%S} · {e.login} · {e.action} · {e.entity} {e.entity_id}",
                         markup=False, id="audit-entry-head")
            with VerticalScroll(id="audit-entry-changes"):
                yield Static(audit.changes_text(e) or _("(no changes recorded)"), markup=False,
                             id="audit-entry-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close"), id="audit-entry-close", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class AuditScreen(AtendeScreen):
    FAILURE_STATUS = {"audit-page": "#audit-status"}
    HELP = N_("Every change, newest first. / goes to the filters (person, entity such as ticket or "
              "ticket:42, from and to dates as YYYY-MM-DD); Enter in a filter applies them. Enter on a "
              "line shows its changes, N loads older entries, X exports every matching entry as CSV.")
    BINDINGS = [
        Binding("escape", "back", N_("Back")),
        Binding("slash", "filter", N_("Filter"), id="audit-filter"),
        Binding("n", "more", N_("Older"), id="audit-more"),
        Binding("x", "export", N_("Export CSV"), id="audit-export"),
        Binding("ctrl+r", "reload", N_("Refresh"), id="audit-refresh"),
    ]

    def __init__(self, login: str = "", entity: str = "") -> None:
        super().__init__()
        self.filters = {"login": login, "entity": entity, "since": "", "until": ""}
        self.entries: list[audit.AuditEntry] = []
        self.next_before: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="audit-bar"):
            yield Field(_("Person"), Input(self.filters["login"], placeholder=_("login"), id="audit-login"),
                        name="login")
            yield Field(_("Entity"), Input(self.filters["entity"], placeholder="ticket:42", id="audit-entity"),
                        name="entity")
            yield Field(_("From"), Input(placeholder="2026-03-01", id="audit-since"), name="since")
            yield Field(_("To"), Input(placeholder="2026-03-31", id="audit-until"), name="until")
        yield Static("", id="audit-status", markup=False)
        table = Table(cursor_type="row", zebra_stripes=True, id="audit-table")
        table.add_columns(_("When"), _("Person"), _("Action"), _("Entity"), _("Changes"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Audit log")
        self.query_one("#audit-table", DataTable).focus()
        self.reload()

    def _read_filters(self) -> None:
        for key in self.filters:
            self.filters[key] = self.query_one(f"#audit-{key}", Input).value

    def reload(self) -> None:
        self.entries = []
        self.next_before = None
        self.query_one("#audit-table", DataTable).clear()
        self.query_one("#audit-status", Static).update(_("Loading..."))
        self.load(None)

    def load(self, before: int | None) -> None:
        actor, filters = self.app.actor, dict(self.filters)
        self.call_service("audit-page", lambda: audit.page(actor, before_id=before, **filters), on_answer=self._show,
                          fields=self, on_error=lambda _exc: self.query_one("#audit-status", Static).update(""))

    def _show(self, result: audit.AuditPage) -> None:
        table = self.query_one("#audit-table", DataTable)
        for e in result.rows:
            changes = ", ".join(sorted(e.changes))
            table.add_row(Text(f"{e.at:%Y-%m-%d %H:%M}"), Text(e.login), Text(e.action),
                          Text(f"{e.entity} {e.entity_id}"), Text(changes, overflow="ellipsis", no_wrap=True),
                          key=str(e.id))
        self.entries.extend(result.rows)
        self.next_before = result.next_before
        more = _(" · N: older") if self.next_before else ""
        self.query_one("#audit-status", Static).update(
            _("{n} entries shown{more}").format(n=len(self.entries), more=more))

    @on(Input.Submitted)
    def _apply(self, event: Input.Submitted) -> None:
        event.stop()
        self._read_filters()
        self.query_one("#audit-table", DataTable).focus()
        self.reload()

    @on(DataTable.RowSelected, "#audit-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        entry = next((e for e in self.entries if str(e.id) == event.row_key.value), None)
        if entry is not None:
            self.app.push_screen(AuditEntryDialog(entry))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("filter", "more", "export") and isinstance(self.focused, Input):
            return False
        return True

    def action_filter(self) -> None:
        self.query_one("#audit-login", Input).focus()

    def action_more(self) -> None:
        if self.next_before is not None:
            self.load(self.next_before)

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#audit-table", DataTable).focus()
            return
        self.app.pop_screen()

    def action_export(self) -> None:
        from tui.export import export_csv

        actor, filters = self.app.actor, dict(self.filters)
        export_csv(self, writer=lambda fh: audit.export_csv(actor, fh, **filters),
                   default_name="audit.csv", title=_("Export the audit log"))
