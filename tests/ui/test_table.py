"""tui.table.Table: cells drawn before the table measured its new rows are
drawn again at the measured widths."""
from textual.app import App
from textual.widgets import DataTable

from tui.table import Table


class _Late:
    """The table's idle moment comes after the screen's paint, as on a busy machine."""

    hold = False

    async def _on_idle(self, event) -> None:
        if self.hold:
            event.prevent_default()
            return
        await super()._on_idle(event)


class LateTable(_Late, Table):
    pass


class LateDataTable(_Late, DataTable):
    pass


def row_text(table: DataTable, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


async def painted_after_idle(cls) -> str:
    class One(App):
        def compose(self):
            table = cls(id="t")
            table.styles.height = 8  # a fixed height: new rows do not resize it
            table.add_columns("Protocol", "Customer")
            yield table

    app = One()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one("#t", DataTable)
        await pilot.pause()
        table.hold = True
        table.add_row("20260000000001", "Maria Lima")
        table.refresh()
        await pilot.pause(0.1)
        assert "20260000 " in row_text(table, 1)  # painted before the widths were measured
        table.hold = False
        table.check_idle()
        await pilot.pause(0.1)
        return row_text(table, 1)


async def test_cells_painted_before_the_widths_were_measured_are_drawn_again():
    assert "20260000000001  Maria Lima" in await painted_after_idle(LateTable)


async def test_textual_datatable_still_keeps_them_cut_short():
    """Why Table exists: when this starts failing, Textual fixed it and Table can go."""
    assert "20260000000001" not in await painted_after_idle(LateDataTable)
