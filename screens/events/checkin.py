"""The check-in desk: type part of a name, a CPF or the code (or scan the
badge: scanners type the code and Enter), Enter marks Came."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from services.core.i18n import N_, _
from services.events import checkin, fields, queries, stages
from services.events import registrations as er
from tui.base import AtendeScreen
from tui.keys import EnterInput, focus_now
from tui.live import LiveScreen
from tui.table import Table

REFRESH_SECONDS = 5.0
MAX_ROWS = 200


def read_checkin(actor, event_id: int) -> tuple[queries.EventInfo, list[er.RegistrationInfo], checkin.CheckinCounts]:
    """The event, its registrations and its check-in counts."""
    return (queries.get_event(actor, event_id), er.list_registrations(actor, event_id),
            checkin.checkin_counts(actor, event_id))


class ScanInput(EnterInput):
    """The check-in search. Its Enter checks in (and empties the field) as
    the key is handled: the next badge, scanned straight after, goes into an
    empty field; handled later, the two codes ran together."""

    async def action_submit(self) -> None:
        self.screen.scan(self.value)


class CheckinScreen(LiveScreen, AtendeScreen):
    PRESENCE_NAME = N_("Check-in")

    HELP = N_("Search first: type part of a name, a CPF or the registration code and press Enter. "
              "A single match (or an exact code) is checked in at once; with several, choose with the "
              "arrows and Enter. Ctrl+Z undoes the last check-in. Counts refresh every few seconds.")
    BINDINGS = [
        Binding("escape", "back", N_("Back")),
        Binding("ctrl+z", "undo", N_("Undo"), id="checkin-undo", priority=True),
        Binding("down", "to_results", N_("Results"), show=False),
        Binding("ctrl+r", "reload", N_("Refresh"), show=False),
    ]

    def __init__(self, event_id: int) -> None:
        super().__init__()
        self.event_id = event_id
        self.registrations: list[er.RegistrationInfo] = []
        self.last: er.RegistrationInfo | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="checkin-counts")
        yield ScanInput(placeholder=_("Name, CPF or code, then Enter"), id="checkin-search")
        yield Static("", id="checkin-last", markup=False)
        table = Table(cursor_type="row", zebra_stripes=True, id="checkin-results")
        table.add_columns(_("Code"), _("Name"), _("CPF"), _("Status"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Check-in")
        self.query_one("#checkin-search", Input).focus()
        self.load()  # then again whenever another desk checks someone in (tui.live)

    # ----------------------------------------------------------------- data

    def live_reload(self, topics: frozenset[str]) -> None:
        self.load()

    def presence_place(self):
        return ("event", self.event_id, "")

    def load(self) -> None:
        self.call_service("checkin-load", read_checkin, self.app.actor, self.event_id,
                          on_answer=lambda answer: self._show(*answer))

    def _show(self, event: queries.EventInfo, regs: list[er.RegistrationInfo], counts: checkin.CheckinCounts) -> None:
        self.sub_title = _("Check-in: {event}").format(event=event.description)
        self.registrations = regs
        text = Text()
        text.append(event.description, style="bold")
        text.append(f"  {fields.format_datetime(event.starts_at)}\n", style="dim")
        text.append(_("Expected") + f" {counts.expected}   ", style="bold")
        text.append(_("Present") + f" {counts.came}   ", style="bold green")
        text.append(_("Missing") + f" {counts.missing}", style="bold yellow")
        if counts.waiting_list:
            text.append("   " + _("Waiting list") + f" {counts.waiting_list}", style="dim")
        if event.stage not in stages.CHECKIN_STAGES:
            text.append("\n" + _("Check-in is closed: the event is at stage {stage}").format(
                stage=stages.stage_label(event.stage)), style="bold red")
        self.query_one("#checkin-counts", Static).update(text)
        self._filter()

    def _matches(self) -> list[er.RegistrationInfo]:
        query = self.query_one("#checkin-search", Input).value
        return [r for r in self.registrations if checkin.matches(r, query)]

    def _filter(self) -> None:
        table = self.query_one("#checkin-results", DataTable)
        key = None
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        found = self._matches()
        for r in found[:MAX_ROWS]:
            status = Text(r.stage_label, style="green" if r.came else ("dim" if r.waitlisted else ""))
            if r.came and r.came_at:
                status.append(f" {r.came_at:%H:%M}")
            cpf = f"{r.cpf[:3]}.{r.cpf[3:6]}.{r.cpf[6:9]}-{r.cpf[9:]}" if len(r.cpf) == 11 else ""
            table.add_row(Text(r.code), Text(r.name), Text(cpf), status, key=str(r.id))
        if key is not None:
            index = next((i for i, r in enumerate(found[:MAX_ROWS]) if str(r.id) == key), None)
            if index is not None:
                table.move_cursor(row=index)

    @on(Input.Changed, "#checkin-search")
    def _changed(self) -> None:
        self._filter()

    # ----------------------------------------------------------------- checking in

    def scan(self, value: str) -> None:
        """Enter in the search (a scanner ends each badge with it): check in
        the code, or the one person the text matches, or say why not."""
        text = value.strip()
        if not text:
            return
        code = er.normalize_code(text)
        exact = next((r for r in self.registrations if r.code == code), None)
        found = [] if exact is not None else self._matches()
        if exact is not None:
            who = {"code": exact.code}
        elif len(found) == 1:
            who = {"registration_id": found[0].id}
        elif not found and len(code) == er.CODE_LENGTH and code.isalnum():
            who = {"code": code}  # the service says whose code it is, or that none has it
        elif not found:
            self._say(_("No one matches {text}").format(text=text), error=True)
            return
        else:
            self._say(_("{n} people match: choose with the arrows and Enter").format(n=len(found)))
            self.action_to_results()
            return
        # Emptied now, not when the check-in is written: the next badge,
        # scanned meanwhile, goes into an empty field and is not wiped.
        self.query_one("#checkin-search", Input).value = ""
        self._checkin(**who)

    @on(DataTable.RowSelected, "#checkin-results")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.query_one("#checkin-search", Input).value = ""  # the search done: the next person's
        self._checkin(registration_id=int(event.row_key.value))

    def _checkin(self, code: str | None = None, registration_id: int | None = None) -> None:
        actor, event_id = self.app.actor, self.event_id
        check_in, who = (checkin.checkin, code) if code is not None else (checkin.checkin_registration, registration_id)
        # each scan is written, none cancels or waits for another
        self.call_service("checkin", lambda: check_in(actor, who, event_id=event_id), on_answer=self._done, quiet=True,
                          on_error=lambda exc: self._refused(exc.message), write=True, each=True)

    def _done(self, reg: er.RegistrationInfo) -> None:
        self.last = reg
        self._say(_("✓ {time} {name} checked in. Ctrl+Z undoes.").format(
            time=f"{reg.came_at:%H:%M}", name=reg.name))
        self._back_to_search()
        self.load()

    def _refused(self, message: str) -> None:
        self._say("✗ " + message, error=True)
        self.app.bell()
        self._back_to_search()

    def worker_failed(self, group: str, message: str) -> None:
        if group == "checkin":  # a check-in or undo that failed unexpectedly: said like a refused one
            self._refused(message)
        else:
            super().worker_failed(group, message)

    def _back_to_search(self) -> None:
        """After a check-in: the search again, keeping what was typed meanwhile."""
        focus_now(self.query_one("#checkin-search", Input))

    def _reset(self) -> None:
        search = self.query_one("#checkin-search", Input)
        search.value = ""
        search.focus()

    def _say(self, message: str, error: bool = False) -> None:
        last = self.query_one("#checkin-last", Static)
        last.update(message)
        last.set_class(error, "-error")

    # ----------------------------------------------------------------- other keys

    def action_to_results(self) -> None:
        table = self.query_one("#checkin-results", DataTable)
        if table.row_count:
            table.focus()

    def action_back(self) -> None:
        search = self.query_one("#checkin-search", Input)
        if search.value or not search.has_focus:
            self._reset()
            return
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def action_undo(self) -> None:
        target = self.last
        table = self.query_one("#checkin-results", DataTable)
        if table.has_focus and table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            chosen = next((r for r in self.registrations if str(r.id) == key), None)
            if chosen is not None and chosen.came:
                target = chosen
        if target is None:
            self._say(_("Nothing to undo"))
            return
        self._undo(target)

    def _undo(self, target: er.RegistrationInfo) -> None:
        self.call_service("checkin", checkin.undo_checkin, self.app.actor, target.id, on_answer=self._undone,
                          quiet=True, on_error=lambda exc: self._refused(exc.message), write=True, each=True)

    def _undone(self, reg: er.RegistrationInfo) -> None:
        self.last = None
        self._say(_("Undone: {name} is no longer checked in").format(name=reg.name))
        self._back_to_search()
        self.load()
