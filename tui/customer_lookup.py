"""The customer lookup used by the wizard, triage and the desk.

Search as you type: each keystroke calls the search again (WorkerErrors.
call_service), which cancels the older call and drops its answer, so a
newer search always wins. The query itself runs on one long-lived search
thread that keeps its database connection open (a new connection costs
more than the search).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Select

from services.core.i18n import _
from services.customers import lookup as customers
from tui.base import WorkerErrors
from tui.forms import PlainSelect
from tui.keys import EnterInput, focus_now
from tui.table import Table

_executor: ThreadPoolExecutor | None = None


def search_executor() -> ThreadPoolExecutor:
    """The one thread searches run on (created on first use)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atende-lookup")
    return _executor


class SearchInput(EnterInput):
    """The search text. Its Enter moves to the results as it is handled,
    not through a message handled after the keys already read: so Down and
    Enter typed straight after it (or arriving together over SSH) move and
    choose in the results; before, they went to the search and were lost."""

    async def action_submit(self) -> None:
        self.query_ancestor(CustomerLookup).to_results()

    async def _on_key(self, event) -> None:
        if event.key == "down" and self.app.focused is self:  # Down, like Enter, goes into the results
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        await super()._on_key(event)


class CustomerLookup(WorkerErrors, Vertical):
    """Search text, quantity, field and condition (the seed's controls), and results."""

    DEFAULT_CSS = """
    CustomerLookup { height: 1fr; }
    CustomerLookup #lookup-controls { height: auto; }
    CustomerLookup #lookup-text { width: 1fr; min-width: 20; }
    CustomerLookup #lookup-field { width: 20; }
    CustomerLookup #lookup-condition { width: 18; }
    CustomerLookup #lookup-limit { width: 9; }
    CustomerLookup #lookup-status { color: $text-muted; height: 1; padding: 0 1; }
    CustomerLookup DataTable { height: 1fr; }
    """

    @dataclass
    class Selected(Message):
        """The person chose a result (Enter on a row)."""

        lookup: CustomerLookup
        hit: customers.CustomerHit

    def __init__(self, kind: str = "customer", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = kind
        self._waiting = False  # the newest search has not answered yet
        self._to_results = False
        self._query: customers.LookupQuery | None = None
        self.hits: list[customers.CustomerHit] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="lookup-controls"):
            yield SearchInput(placeholder=_("Search"), id="lookup-text")
            yield PlainSelect([(_(label), key) for key, label in customers.FIELDS.items()],
                              value="auto", allow_blank=False, id="lookup-field")
            yield PlainSelect([(_(label), key) for key, label in customers.CONDITIONS.items()],
                              value="contains", allow_blank=False, id="lookup-condition")
            yield Input("50", id="lookup-limit", type="integer", max_length=3,
                        tooltip=_("Quantity: how many results at most"))
        yield Label("", id="lookup-status", markup=False)
        table = Table(cursor_type="row", zebra_stripes=True, id="lookup-results")
        self._set_columns(table, [])
        yield table

    COLUMN_MAX = 40

    def _set_columns(self, table: DataTable, rows: list[tuple[Text, ...]]) -> None:
        """Columns as wide as their widest cell, given outright. Left to
        DataTable, widths are measured on an idle pass that, under load, a
        fresh set of rows sometimes missed: names were cut to the header's
        width ("Pada…") until the next search."""
        labels = (_("Name"), _("CPF/CNPJ"), _("Phone"), _("City"), _("Contract"))
        table.clear(columns=True)
        for i, label in enumerate(labels):
            width = max([cell_len(label), *(cell_len(row[i].plain) for row in rows)])
            table.add_column(label, width=min(width, self.COLUMN_MAX), key=f"col{i}")

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.search()

    def query_value(self) -> customers.LookupQuery:
        limit_text = self.query_one("#lookup-limit", Input).value.strip()
        try:
            limit = int(limit_text) if limit_text else 50
        except ValueError:
            limit = 50
        return customers.LookupQuery(
            text=self.query_one("#lookup-text", Input).value,
            field=self.query_one("#lookup-field", Select).value,
            condition=self.query_one("#lookup-condition", Select).value,
            limit=limit, kind=self.kind,
        )

    @on(Input.Changed, "#lookup-text")
    @on(Input.Changed, "#lookup-limit")
    @on(Select.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        self.search()

    def to_results(self) -> None:
        """Enter in the search: to the results of what is typed now, at once
        if they are shown, else as soon as they come."""
        if self.query_value() != self._query:  # typed, and its search not started yet
            self.search()
        self._to_results = True
        if not self._waiting:
            self._go_to_results()

    def _go_to_results(self) -> None:
        self._to_results = False
        table = self.query_one(DataTable)
        if table.row_count and self.screen.focused is self.query_one("#lookup-text", Input):
            focus_now(table)

    def search(self) -> None:
        query = self.query_value()
        if query == self._query:
            return  # already searched (Enter started it), or nothing changed
        self._query = query
        self._waiting = True
        self._to_results = False  # typing again: Enter is asked for again
        self.call_service("customer-lookup", customers.lookup_on_kept_connection, self.app.actor, query,
                          on_answer=lambda hits: self._show(hits, None), quiet=True,
                          on_error=lambda exc: self._show([], exc.message), executor=search_executor())

    def _show(self, hits: list[customers.CustomerHit], error: str | None) -> None:
        self._waiting = False
        self.hits = hits
        status = self.query_one("#lookup-status", Label)
        table = self.query_one(DataTable)
        rows = [(Text(hit.name), Text(customers.format_doc(hit.doc)), Text(hit.phone),
                 Text(f"{hit.city}/{hit.state}" if hit.state else hit.city), Text(hit.contract)) for hit in hits]
        self._set_columns(table, rows)
        for hit, row in zip(hits, rows):
            table.add_row(*row, key=str(hit.id))
        if error:
            status.update(error)
        elif not self.query_one("#lookup-text", Input).value.strip():
            status.update(_("Type to search"))
        else:
            found = _("{n} found").format(n=len(hits)) if hits else _("Nothing found")
            query = self._query
            if query is not None and query.field == "auto":  # say which field "Any field" searched
                field = customers.effective(query).field
                found = _("{found} · by {field}").format(found=found, field=_(customers.FIELDS[field]))
            status.update(found)
        if self._to_results:
            self._go_to_results()

    FAILURE_STATUS = {"customer-lookup": "#lookup-status"}

    def worker_failed(self, group: str, message: str) -> None:
        """The search failed: its line says so, no stale result stays to be
        chosen, and Enter or the same text searches again."""
        if group == "customer-lookup":
            self._query = None
            self._show([], "⚠ " + message)
            return
        super().worker_failed(group, message)

    @on(DataTable.RowSelected, "#lookup-results")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        hit = next((h for h in self.hits if str(h.id) == event.row_key.value), None)
        if hit:
            self.post_message(self.Selected(self, hit))

    def selected_hit(self) -> customers.CustomerHit | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((h for h in self.hits if str(h.id) == key), None)
