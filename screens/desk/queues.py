"""The queues: views, a typed filter, sortable results read a page at a time."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from screens.desk.levels import level_cell
from screens.desk.ticket import ReassignDialog, ReplyDialog, TicketDetailScreen
from services.core import permissions
from services.core.i18n import N_, _
from services.tickets import queues, thread
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import PickDialog
from tui.forms import Field, FilterInput, PlainSelect
from tui.keys import focus_now
from tui.live import LiveScreen, keep_cursor
from tui.table import Table

COLUMNS = ("protocol", "customer", "type", "status", "due", "responsible", "age", "updated")


class QueuesScreen(LiveScreen, AtendeScreen):
    """Work a queue with the keyboard: pick a view, type a filter, open a ticket."""

    HELP = N_("V picks the view (All, Open, Finished, Mine, Waiting on customer, a queue, a type). "
              "/ types a filter such as status:open type:\"Sem conexão\" agent:ana, plus words to search "
              "the tickets' text, messages and script reports; a protocol number opens that ticket. "
              "O changes the sort column, D its direction, N loads the next page, Enter opens a ticket. "
              "Time left counts business hours to the nearest service-level deadline: yellow when close, "
              "red and negative once past it. "
              "Space selects tickets; B acts on the selected ones (status, reassign, internal note).")
    BINDINGS = [
        Binding("escape", "back", N_("Back")),
        Binding("v", "views", N_("View"), id="queues-view"),
        Binding("slash", "filter", N_("Filter"), id="queues-filter"),
        Binding("o", "sort", N_("Sort"), id="queues-sort"),
        Binding("d", "direction", N_("Direction"), id="queues-direction"),
        Binding("n", "more", N_("Next page"), id="queues-more"),
        Binding("space", "select", N_("Select"), id="queues-select"),
        Binding("b", "bulk", N_("Bulk action"), id="queues-bulk"),
        Binding("f5", "refresh", N_("Refresh"), id="queues-refresh"),
        Binding("x", "export", N_("Export CSV"), id="queues-export"),
    ]
    PRESENCE_NAME = N_("Queues")
    FAILURE_STATUS = {"queues-page": "#queues-status", "queues-live": "#queues-status",
                      "queues-count": "#queues-status"}

    def __init__(self, view: str = "open", filter_text: str = "") -> None:
        super().__init__()
        self.view = view
        self.filter_text = filter_text
        self.sort = "updated"
        self.descending = True
        self.cursor: tuple | None = None
        self.rows: list[queues.QueueRow] = []
        self._damaged: set[int] = set()
        self._loaded = False
        self.selected: dict[int, str] = {}
        self._columns: list = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="queues-bar"):
            yield PlainSelect([(v.label, v.key) for v in queues.views(self.app.actor)], value=self.view,
                              allow_blank=False, id="queues-views")
            yield Field(_("Filter"),
                        FilterInput(self.filter_text, placeholder=_('status:open type:"Sem conexão" agent:ana'),
                                    id="queues-filter-input", then="#queues-table"),
                        name="filter", id="queues-filter-field")
        yield Static("", id="queues-status", markup=False)
        table = Table(cursor_type="row", zebra_stripes=True, id="queues-table")
        self._columns = table.add_columns(*(_(queues.SORT_LABELS[c]).capitalize() for c in COLUMNS))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Queues")
        self.query_one("#queues-table", DataTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        # Back from a ticket: show what changed there (status, responsible, last update),
        # keeping the cursor on the same ticket and the selection.
        self.live_reload(frozenset({"data"}))

    def live_reload(self, topics: frozenset[str]) -> None:
        """Another session (or this one) committed: read the rows shown again,
        as many pages as are loaded, and put them back in place."""
        if not self._loaded:
            return  # the first page is being read: it will be current
        # a bad filter is reported by the normal load: what is shown stays
        self.call_service("queues-live", self._read_rows, self.view, self.filter_text, self.sort, self.descending,
                          max(len(self.rows), queues.PAGE_SIZE), on_answer=self._replace_rows, quiet=True)

    def _read_rows(self, view: str, filter_text: str, sort: str, descending: bool, want: int) -> tuple:
        rows: list = []
        after = None
        while True:
            page = queues.page(self.app.actor, view, filter_text, sort=sort, descending=descending, after=after,
                             limit=min(want, queues.MAX_PAGE))
            rows.extend(page.rows)
            after = page.next_cursor
            if after is None or len(rows) >= want:
                return rows, after

    def _replace_rows(self, answer: tuple) -> None:
        rows, cursor = answer
        table = self.query_one("#queues-table", DataTable)
        keep_cursor(table, lambda t: [self._add_row(t, r) for r in rows])
        self.rows = list(rows)
        self.cursor = cursor
        self._set_status(self._summary(None))
        self.load_count()

    def palette_commands(self):
        for v in queues.VIEWS:
            yield PaletteCommand(_("Queues: {view}").format(view=_(queues.VIEWS[v])),
                                 lambda v=v: self._switch(v), _("Show this view"))

    # -- loading ---------------------------------------------------------

    def reload(self) -> None:
        for group in ("queues-live", "queues-count"):  # their answers are about what was shown
            self.workers.cancel_group(self, group)
        self._loaded = False
        self.selected.clear()
        self.cursor = None
        self.rows = []
        self.query_one("#queues-table", DataTable).clear()
        self._set_status(_("Loading..."))
        self.load_page(None, True)

    def load_page(self, after: tuple | None, first: bool) -> None:
        actor, view, text, sort, descending = self.app.actor, self.view, self.filter_text, self.sort, self.descending
        self.call_service("queues-page", lambda: queues.page(actor, view, text, sort=sort, descending=descending,
                                                           after=after),
                          on_answer=lambda page: self._show_page(page, first), fields=self,
                          on_error=lambda _exc: self._set_status(""))

    def load_count(self) -> None:
        self.call_service("queues-count", queues.count, self.app.actor, self.view, self.filter_text,
                          on_answer=lambda n: self._set_status(self._summary(n)), quiet=True)

    def _show_page(self, page: queues.Page, first: bool) -> None:
        if first:
            self._loaded = True
        if first and page.jump_to:
            self._open(page.jump_to)
        table = self.query_one("#queues-table", DataTable)
        for r in page.rows:
            self._add_row(table, r)
        self.rows.extend(page.rows)
        self.cursor = page.next_cursor
        self.shown_sort = page.sort  # a text search lists the newest tickets first
        self._counted = None
        self._set_status(self._summary(None))
        if first:
            self.load_count()

    def _add_row(self, table: DataTable, r) -> None:
        if r.damaged:
            self._damaged.add(r.id)
        table.add_row(self._protocol_cell(r.id, r.protocol), Text(r.customer), Text(r.type), Text(r.status_label),
                      level_cell(r.level), Text(r.responsible),
                      Text(r.age), Text(r.updated), key=f"{r.id}:{r.protocol}")

    def _summary(self, total: int | None) -> str:
        arrow = "↓" if self.descending else "↑"
        shown = _("{shown} shown").format(shown=len(self.rows))
        if self.selected:
            shown = _("{n} selected · ").format(n=len(self.selected)) + shown
        if total is not None:
            shown = _("{shown} of {total}").format(shown=len(self.rows), total=total)
        more = _(" · N: next page") if self.cursor else ""
        return _("{shown} · sorted by {column} {arrow}{more}").format(
            shown=shown, column=_(queues.SORT_LABELS[getattr(self, 'shown_sort', self.sort)]), arrow=arrow, more=more)

    def _protocol_cell(self, ticket_id: int, protocol_number: str) -> Text:
        if ticket_id in self.selected:
            cell = Text("● " + protocol_number, style="bold")
        else:
            cell = Text(protocol_number)
        if ticket_id in self._damaged:  # a value another program broke: the row is marked, the list works
            cell = Text.assemble(("⚠ ", "bold red"), cell)
        return cell

    def _set_status(self, text: str) -> None:
        self.query_one("#queues-status", Static).update(text)

    # -- actions -----------------------------------------------------------

    def _switch(self, view: str) -> None:
        self.query_one("#queues-views", Select).value = view

    @on(Select.Changed, "#queues-views")
    def _view_changed(self, event: Select.Changed) -> None:
        if event.value != self.view and event.value is not Select.BLANK:
            self.view = str(event.value)
            self.reload()
            # Back to the tickets, after the list's own move of the focus to itself
            # (already queued by then): Down and Enter work on the new view at once.
            self.app.call_later(self._to_table)

    def _to_table(self) -> None:
        if isinstance(self.focused, Select):
            focus_now(self.query_one("#queues-table", DataTable))

    @on(Input.Submitted, "#queues-filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.filter_text = event.value  # (the field moved the focus to the tickets)
        self.reload()

    def action_views(self) -> None:
        select = self.query_one("#queues-views", Select)
        focus_now(select)
        select.action_show_overlay()

    def action_filter(self) -> None:
        focus_now(self.query_one("#queues-filter-input", Input))

    def action_sort(self) -> None:
        keys = list(COLUMNS)
        self.sort = keys[(keys.index(self.sort) + 1) % len(keys)]
        if self.sort == "due":
            self.descending = False  # the nearest deadline first
        self.reload()

    def action_direction(self) -> None:
        self.descending = not self.descending
        self.reload()

    def action_more(self) -> None:
        if self.cursor is not None:
            self.load_page(self.cursor, False)

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        if self.focused is not None and self.focused.id in ("queues-filter-input", "queues-views"):
            self.query_one("#queues-table", DataTable).focus()
            return
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("views", "filter", "sort", "direction", "more", "select", "bulk", "export") and isinstance(
                self.focused, Input):
            return False
        return True

    def action_select(self) -> None:
        table = self.query_one("#queues-table", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        ticket_id, protocol_number = str(key.value).split(":", 1)
        ticket_id = int(ticket_id)
        if ticket_id in self.selected:
            del self.selected[ticket_id]
        else:
            self.selected[ticket_id] = protocol_number
        table.update_cell(key, self._columns[0], self._protocol_cell(ticket_id, protocol_number), update_width=True)
        self._set_status(self._summary(None))
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_export(self) -> None:
        """Every ticket of the view and filter (not only the pages shown), as CSV."""
        from tui.export import export_csv

        actor, view, text = self.app.actor, self.view, self.filter_text
        export_csv(self, writer=lambda fh: queues.export(actor, fh, "csv", view, text),
                   default_name="tickets.csv", title=_("Export tickets"))

    def action_bulk(self) -> None:
        if not self.selected:
            self.notify(_("Select tickets first (Space)."), markup=False)
            return
        ids = list(self.selected)

        def chosen(action: str | None) -> None:
            if action == "status":
                self.app.push_screen(PickDialog(_("New status for {n} tickets").format(n=len(ids)), [
                    (s, _(queues.STATUSES[s])) for s in queues.LISTED_STATUSES if s != "abandoned"]),
                    lambda status: status and self.run_bulk(ids, "status", status))
            elif action == "reassign":
                self.app.push_screen(ReassignDialog(), lambda login: login and self.run_bulk(ids, "reassign", login))
            elif action == "note":
                self.app.push_screen(ReplyDialog(True), lambda reply: reply is not None and
                                     self.run_bulk(ids, "note", reply.body))

        choices = [("status", _("Change status")), ("reassign", _("Reassign")), ("note", _("Add an internal note"))]
        if len(ids) > 1 and not permissions.can(self.app.actor, "tickets.reassign_many"):
            choices = [c for c in choices if c[0] != "reassign"]  # bulk reassignment is for leads
        self.app.push_screen(PickDialog(_("Do what with {n} tickets?").format(n=len(ids)), choices), chosen)

    def run_bulk(self, ids: list[int], action: str, value: str) -> None:
        self.call_service("queues-bulk", thread.bulk, self.app.actor, ids, action, value,
                          on_answer=self._bulk_done, write=True)

    def _bulk_done(self, result) -> None:
        message = _("{n} tickets changed.").format(n=len(result.done))
        for protocol_number, why in result.failed:
            message += "\n" + f"{protocol_number}: {why}"
        self.notify(message, severity="warning" if result.failed else "information", markup=False, timeout=10)
        self.selected.clear()
        self.reload()

    @on(DataTable.RowSelected, "#queues-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(str(event.row_key.value).split(":", 1)[1])

    def _open(self, protocol_number: str) -> None:
        self.app.push_screen(TicketDetailScreen(protocol_number))
