"""The app's table: Textual's DataTable whose columns always show at the
widths their cells need."""
from __future__ import annotations

from textual.widgets import DataTable


class Table(DataTable):
    """A DataTable that repaints its cells when its column widths change.

    DataTable measures the cells of new rows when it is next idle, and caches
    the cells it draws under a counter that changes only with the rows, the
    columns or the table's size. When the screen is painted between adding
    rows and that idle moment (a busy machine, a table of fixed height), the
    cells stay drawn at the header's widths, cut short ("20260000" for a
    14-digit protocol), until something else changes. Here a change of widths
    counts as a change. Use it for every table."""

    def _update_dimensions(self, new_rows) -> None:
        before = [column.get_render_width(self) for column in self.columns.values()]
        super()._update_dimensions(new_rows)
        if [column.get_render_width(self) for column in self.columns.values()] != before:
            self._update_count += 1  # what the cached cells are keyed under: draw them again
            self.refresh()


class ItemsTable:
    """A screen that lists `items` (each with an `id`, the row key) in its one
    DataTable: the item under the cursor; A adds and E edits through
    `open_form(item or None)`, which the screen defines."""

    items: list

    def selected_item(self):
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((i for i in self.items if str(i.id) == key), None)

    def action_add(self) -> None:
        self.open_form(None)

    def action_edit(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.open_form(item)

    def open_form(self, item) -> None:
        raise NotImplementedError
