"""The supervisor's area: the dashboard of the whole desk; Enter on a number
opens the list behind it, A opens the audit log, X exports a panel as CSV."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Label, Sparkline, Static

from services.core.i18n import N_, _, ngettext
from services.events.stages import stage_label
from services.supervisor import dashboard as dash
from services.supervisor import service_levels
from tui.base import AtendeScreen, PaletteCommand
from tui.live import LiveScreen
from tui.table import Table

PANELS = (
    # id, title, columns
    ("by-queue", N_("Open tickets by queue"), (N_("Queue"), N_("Open tickets"))),
    ("by-type", N_("Open tickets by type"), (N_("Type"), N_("Open tickets"))),
    ("by-age", N_("Open tickets by age"), (N_("Age"), N_("Open tickets"))),
    ("today", N_("Today's tickets per agent"), (N_("Agent"), N_("Tickets"))),
    ("calls", N_("Calls in progress"), (N_("Protocol"), N_("Agent"), N_("For"), N_("Step"), N_("Customer"))),
    ("oldest", N_("Oldest open tickets"),
     (N_("Protocol"), N_("Age"), N_("Queue"), N_("Status"), N_("Responsible"), N_("Customer"))),
    ("sla", N_("Service levels: breached and about to breach"),
     (N_("Protocol"), N_("Time left"), N_("Target"), N_("Responsible"), N_("Customer"))),
    ("events", N_("Events in the next 14 days"), (N_("Starts"), N_("Event"), N_("Seats"), N_("Waiting"), N_("Stage"))),
    ("mail", N_("Outbox and certificates"), (N_("What"), N_("How many"))),
    ("survey", N_("Satisfaction, last 30 days (1 to 5)"), (N_("Who"), N_("Average"), N_("Answers"))),
)
RATING_GROUPS = {"agent": N_("Agent"), "queue": N_("Queue"), "type": N_("Type")}


class SupervisorScreen(LiveScreen, AtendeScreen):
    HELP = N_("The desk at a glance. Tab moves between panels, arrows choose a line, Enter opens the "
              "list behind a number (a queue view, the outbox, the events board, a ticket). Service levels "
              "lists the open tickets past a deadline (red) and those close to one (yellow), in business time. From a "
              "queue list, Space selects tickets and B reassigns them in bulk. A opens the audit log, "
              "X exports the panel as CSV, Ctrl+R reads everything again.")
    PRESENCE_NAME = N_("Supervisor")
    FAILURE_STATUS = {"supervisor-load": "#supervisor-summary"}
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("enter", "open", N_("Open"), id="supervisor-open", show=False),
        Binding("a", "audit", N_("Audit log"), id="supervisor-audit"),
        Binding("q", "queues", N_("Queues"), id="supervisor-queues"),
        Binding("x", "export", N_("Export CSV"), id="supervisor-export"),
        Binding("ctrl+r", "reload", N_("Refresh"), id="supervisor-refresh"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.board: dash.Dashboard | None = None
        self.rows: dict[str, list] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="supervisor-summary", markup=False)
        with VerticalScroll(id="supervisor-panels"):
            with Vertical(classes="supervisor-panel", id="panel-chart"):
                yield Label(_("Tickets per day, last 30 days"), classes="box-title")
                yield Sparkline([], id="supervisor-sparkline")
                yield Static("", id="supervisor-chart-caption", markup=False)
            for panel_id, title, columns in PANELS:
                with Vertical(classes="supervisor-panel", id=f"panel-{panel_id}"):
                    yield Label(_(title), classes="box-title")
                    table = Table(cursor_type="row", zebra_stripes=True, id=f"dash-{panel_id}",
                                  classes="supervisor-table")
                    table.add_columns(*(_(c) for c in columns))
                    yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Supervisor")
        self.query_one("#dash-by-queue", DataTable).focus()
        self.reload()

    def on_resize(self, event) -> None:
        # three columns of panels on a wide terminal, one (scrolling) on a small one
        self.query_one("#supervisor-panels").set_class(self.size.width >= 150, "-wide")

    def palette_commands(self):
        yield PaletteCommand(_("Audit log"), _("Who did what and when"), self.action_audit)
        yield PaletteCommand(_("Refresh the dashboard"), _("Read every figure again"), self.reload)

    # -- loading ---------------------------------------------------------

    def live_reload(self, topics: frozenset[str]) -> None:
        """Another session committed: read the figures again, cursors kept."""
        self.reload()

    def reload(self) -> None:
        """Read every figure again, keeping the focused panel and its cursor.
        Safe to call at any time (the live-refresh mechanism calls it)."""
        self.call_service("supervisor-load", dash.read, self.app.actor, on_answer=self._show)

    def action_reload(self) -> None:
        self.reload()

    def _show(self, board: dash.Dashboard) -> None:
        self.board = board
        focused = self.focused if isinstance(self.focused, DataTable) else None
        cursors = {t.id: t.cursor_row for t in self.query(DataTable)}
        self._fill_figures("by-queue", board.by_queue)
        self._fill_figures("by-type", board.by_type)
        self._fill_figures("by-age", board.by_age)
        self._fill_figures("today", board.today_by_agent)
        self._fill("calls", [(c, (c.protocol, c.agent, c.duration, c.step, c.customer)) for c in board.calls])
        self._fill("oldest", [(t, (t.protocol, t.age, t.queue, t.status_label, t.responsible, t.customer))
                              for t in board.oldest])
        self._fill("sla", [(r, (r.protocol, Text(r.left_text, style="bold red" if r.breached else "yellow"),
                                r.target_label, r.responsible, r.customer)) for r in board.service_levels])
        self._fill("events", [(e, (f"{e.starts_at:%d/%m %H:%M}", e.description,
                                   f"{e.filled}/{e.seats}" if e.seats else str(e.filled), str(e.waiting),
                                   stage_label(e.stage))) for e in board.events])
        self._fill_figures("mail", board.mail)
        self._fill("survey", [(r, (f"{_(RATING_GROUPS[r.group])}: {r.name}", f"{r.average:.1f}", r.answers))
                              for r in board.satisfaction])
        for table in self.query(DataTable):
            row = cursors.get(table.id, 0)
            if table.row_count:
                table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        if focused is not None:
            focused.focus(scroll_visible=False)
        days = list(board.per_day)
        self.query_one("#supervisor-sparkline", Sparkline).data = days
        peak = max(days) if days else 0
        self.query_one("#supervisor-chart-caption", Static).update(
            _("{first:%d/%m} to today: {total} tickets, at most {peak} a day, {today} today").format(
                first=board.first_day, total=sum(days), peak=peak, today=days[-1] if days else 0))
        self.query_one("#supervisor-summary", Static).update(
            " · ".join((
                ngettext("{n} open ticket", "{n} open tickets", board.open_total).format(n=board.open_total),
                ngettext("{n} call in progress", "{n} calls in progress", len(board.calls)).format(
                    n=len(board.calls)),
                _("read at {at:%H:%M:%S}").format(at=board.at))))

    def _fill_figures(self, panel: str, figures) -> None:
        self._fill(panel, [(f, (f.label, f.n)) for f in figures])

    def _fill(self, panel: str, items: list) -> None:
        table = self.query_one(f"#dash-{panel}", DataTable)
        table.clear()
        self.rows[panel] = [item for item, _cells in items]
        for _item, cells in items:
            table.add_row(*(c if isinstance(c, Text) else Text(str(c), justify="right") if isinstance(c, int)
                            else Text(str(c)) for c in cells))
        if not items:
            table.add_row(*([Text(_("nothing"), style="dim")] + [Text("")] * (len(table.columns) - 1)))

    # -- actions ---------------------------------------------------------

    def _current(self) -> tuple[str, object] | None:
        table = self.focused
        if not isinstance(table, DataTable) or not (table.id or "").startswith("dash-"):
            return None
        panel = table.id.removeprefix("dash-")
        items = self.rows.get(panel, [])
        if not items or table.cursor_row >= len(items):
            return None
        return panel, items[table.cursor_row]

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        current = self._current()
        if current is None:
            return
        panel, item = current
        if isinstance(item, dash.Figure):
            self.open_figure(item)
        elif isinstance(item, (dash.OldTicket, service_levels.AtRisk)):
            from screens.desk.ticket import TicketDetailScreen

            self.app.push_screen(TicketDetailScreen(item.protocol))
        elif isinstance(item, dash.UpcomingEvent):
            from screens.events.detail import EventDetailScreen

            self.app.push_screen(EventDetailScreen(item.id))
        elif isinstance(item, dash.Call):
            self.notify(_("{agent} is opening ticket {protocol} (step: {step}).").format(
                agent=item.agent, protocol=item.protocol, step=item.step), markup=False)

    def open_figure(self, figure: dash.Figure) -> None:
        if figure.target == "queues":
            from screens.desk.queues import QueuesScreen

            self.app.push_screen(QueuesScreen(figure.view, filter_text=figure.filter))
        elif figure.target == "outbox":
            from screens.mail.outbox import OutboxScreen

            self.app.push_screen(OutboxScreen(state=figure.filter or None))
        elif figure.target == "events":
            from screens.events.board import EventBoardScreen

            self.app.push_screen(EventBoardScreen())
        else:
            self.notify(_("No list behind this number."), markup=False)

    def action_queues(self) -> None:
        from screens.desk.queues import QueuesScreen

        self.app.push_screen(QueuesScreen("open"))

    def action_audit(self) -> None:
        from screens.supervisor.audit import AuditScreen

        self.app.push_screen(AuditScreen())

    def action_export(self) -> None:
        from tui.export import export_csv

        table = self.focused
        if not isinstance(table, DataTable) or not (table.id or "").startswith("dash-"):
            table = self.query_one("#dash-by-queue", DataTable)
        panel = table.id.removeprefix("dash-")
        title, columns = next((_(t), [_(c) for c in cols]) for pid, t, cols in PANELS if pid == panel)
        rows = [[cell.plain if isinstance(cell, Text) else str(cell) for cell in table.get_row_at(i)]
                for i in range(len(self.rows.get(panel, [])))]
        export_csv(self, columns, rows, default_name=f"{panel}.csv", title=title)
