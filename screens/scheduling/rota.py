"""The monthly rota: which implementation analyst receives each month's
bookings, and the analysts' working hours. Supervisors edit it."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from services.core import permissions
from services.core.i18n import N_, _
from services.scheduling import rota as rota_svc
from tui.base import AtendeModal, AtendeScreen, PaletteCommand
from tui.dialogs import FormDialog
from tui.forms import Field
from tui.table import Table

MONTHS_SHOWN = 13


def read_rota(actor) -> tuple[list[rota_svc.RotaEntry], list[rota_svc.AnalystInfo]]:
    """The months shown (from last month on) and every analyst."""
    first = rota_svc.add_months(rota_svc.month_key(rota_svc.local_now()), -1)
    return rota_svc.get_rota(actor, first, MONTHS_SHOWN), rota_svc.list_analysts(actor, include_inactive=True)


class AnalystPicker(AtendeModal[str | None]):
    """Pick the analyst for a month ("" clears the month)."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, month: str, analysts: list[rota_svc.AnalystInfo], current: str | None) -> None:
        super().__init__(classes="scheduling-form")
        self.month = month
        self.analysts = analysts
        self.current = current

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(_("Analyst for {month}").format(month=self.month), classes="form-title", markup=False)
            options = [Option(Text(f"{a.name} ({a.login}) · {a.hours}"), id=a.login) for a in self.analysts]
            options.append(Option(Text(_("(nobody: clear this month)"), style="dim"), id="-"))
            yield OptionList(*options, id="picker")

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        index = next((i for i, a in enumerate(self.analysts) if a.login == self.current), 0)
        picker.highlighted = index
        picker.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss("" if event.option.id == "-" else event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AnalystForm(FormDialog[rota_svc.AnalystInfo | None]):
    """Add an implementation analyst, or change their working hours."""

    def __init__(self, analyst: rota_svc.AnalystInfo | None = None) -> None:
        super().__init__(classes="scheduling-form")
        self.analyst = analyst

    def compose(self) -> ComposeResult:
        a = self.analyst
        with VerticalScroll():
            yield Label(_("Analyst {name}").format(name=a.name) if a else _("Add an implementation analyst"),
                        classes="form-title", markup=False)
            yield Field(_("Login (a person already using Atende)"),
                        Input(a.login if a else "", id="login", disabled=bool(a)), name="login")
            yield Field(_("Working hours (periods)"), Input(a.hours if a else rota_svc.DEFAULT_HOURS, id="hours"),
                        name="hours")
            yield Field(_("Working days (0 = Monday … 6 = Sunday)"),
                        Input(",".join(str(d) for d in (a.weekdays if a else rota_svc.DEFAULT_WEEKDAYS)),
                              id="weekdays"), name="weekdays")
            yield Checkbox(_("Active (may be put on the rota)"), a.active if a else True, id="active")
            yield self.buttons()

    def on_mount(self) -> None:
        self.query_one("#hours" if self.analyst else "#login", Input).focus()

    def submit(self):
        actor, a = self.app.actor, self.analyst
        login, hours = self.query_one("#login", Input).value, self.query_one("#hours", Input).value
        weekdays, active = self.query_one("#weekdays", Input).value, self.query_one("#active", Checkbox).value
        return lambda: rota_svc.save_analyst(actor, login, hours=hours, weekdays=weekdays, active=active,
                                             expected_version=a.version if a else None)

class RotaScreen(AtendeScreen):
    HELP = N_("Left: each month and the analyst who receives the bookings made in it. Right: the "
              "implementation analysts and their working hours. Enter edits the row; Tab switches "
              "between the two lists; A adds an analyst.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back"), id="rota-back"),
        Binding("e", "edit", N_("Edit"), id="rota-edit"),
        Binding("a", "add_analyst", N_("Add analyst"), id="rota-add"),
        Binding("delete", "clear_month", N_("Clear month"), id="rota-clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[rota_svc.RotaEntry] = []
        self.analysts: list[rota_svc.AnalystInfo] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("A month with nobody on the rota cannot receive bookings: fill it before it starts."),
                     id="rota-hint", markup=False)
        with Horizontal(id="rota-body"):
            with Vertical(id="rota-months"):
                yield Label(_("Rota"), classes="box-title")
                months = Table(cursor_type="row", zebra_stripes=True, id="months")
                months.add_columns(_("Month"), _("Analyst"))
                yield months
            with Vertical(id="rota-analysts"):
                yield Label(_("Analysts"), classes="box-title")
                analysts = Table(cursor_type="row", zebra_stripes=True, id="analysts")
                analysts.add_columns(_("Analyst"), _("Hours"), _("Days"))
                yield analysts
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Rota")
        self.query_one("#months", DataTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("edit", "add_analyst", "clear_month"):
            return permissions.can(self.app.actor, "scheduling.rota")
        return True

    def load(self) -> None:
        self.call_service("rota", read_rota, self.app.actor, on_answer=lambda answer: self._show(*answer))

    def _show(self, entries: list[rota_svc.RotaEntry], analysts: list[rota_svc.AnalystInfo]) -> None:
        self.entries, self.analysts = entries, analysts
        this_month = rota_svc.add_months(entries[0].month, 1) if entries else ""  # read_rota's first is last month
        months = self.query_one("#months", DataTable)
        cursor = months.cursor_row
        months.clear()
        for e in entries:
            label = Text(e.month, style="bold" if e.month == this_month else "")
            who = Text(e.analyst.name) if e.analyst else Text(_("(nobody)"), style="bold red")
            months.add_row(label, who, key=e.month)
        if entries:
            months.move_cursor(row=cursor if cursor else 1)
        table = self.query_one("#analysts", DataTable)
        cursor = table.cursor_row
        table.clear()
        for a in analysts:
            name = Text(a.name) if a.active else Text(a.name + " " + _("(inactive)"), style="dim")
            table.add_row(name, Text(a.hours), Text(",".join(str(d) for d in a.weekdays)), key=a.login)
        if analysts:
            table.move_cursor(row=min(cursor, len(analysts) - 1))

    def _focused_table(self) -> DataTable:
        return self.query_one("#analysts", DataTable) if self.focused is self.query_one("#analysts") \
            else self.query_one("#months", DataTable)

    def _row_key(self, table: DataTable) -> str | None:
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_edit(self) -> None:
        if not permissions.can(self.app.actor, "scheduling.rota"):
            return
        table = self._focused_table()
        key = self._row_key(table)
        if key is None:
            return
        if table.id == "analysts":
            analyst = next((a for a in self.analysts if a.login == key), None)
            self.app.push_screen(AnalystForm(analyst), self._after_analyst)
            return
        entry = next((e for e in self.entries if e.month == key), None)
        active = [a for a in self.analysts if a.active]
        if not active:
            self.notify(_("There is no implementation analyst yet: add one first (A)."), severity="warning",
                        markup=False)
            return

        def picked(login: str | None) -> None:
            if login is not None:
                self.set_month(key, login or None, entry.version if entry and entry.analyst else None)

        self.app.push_screen(AnalystPicker(key, active, entry.analyst.login if entry and entry.analyst else None),
                             picked)

    def action_clear_month(self) -> None:
        table = self.query_one("#months", DataTable)
        key = self._row_key(table)
        entry = next((e for e in self.entries if e.month == key), None)
        if entry and entry.analyst:
            self.set_month(key, None, entry.version)

    def set_month(self, month: str, login: str | None, version: int | None) -> None:
        actor = self.app.actor
        self.call_service("rota-set", lambda: rota_svc.set_rota(actor, month, login, expected_version=version),
                          on_answer=lambda _entry: self.load(), on_error=lambda _exc: self.load(), write=True)

    def action_add_analyst(self) -> None:
        self.app.push_screen(AnalystForm(), self._after_analyst)

    def _after_analyst(self, info: rota_svc.AnalystInfo | None) -> None:
        if info:
            self.notify(_("{name} saved").format(name=info.name), markup=False)
            self.load()

    def palette_commands(self):
        if permissions.can(self.app.actor, "scheduling.rota"):
            yield PaletteCommand(_("Add analyst"), _("Make a person an implementation analyst"),
                                 self.action_add_analyst)

