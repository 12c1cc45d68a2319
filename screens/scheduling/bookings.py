"""Bookings of a month: the analyst records held or no-show after each session."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from services.core import permissions
from services.core.i18n import N_, _
from services.scheduling import bookings as bookings_svc
from services.scheduling import rota as rota_svc
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import ConfirmDialog
from tui.live import LiveScreen, keep_cursor
from tui.table import Table

STATUS_STYLES = {"booked": "cyan", "held": "green", "no_show": "red"}


def read_bookings(actor, month: str | None, mine: bool) -> tuple[str, list[bookings_svc.BookingInfo]]:
    """The month (None: this month in the scheduling time zone) and its bookings;
    with `mine`, only those where `actor` is the analyst."""
    month = month or rota_svc.month_key(rota_svc.local_now())
    rows = bookings_svc.list_bookings(actor, month=month)
    return month, [r for r in rows if r.analyst_login == actor.login] if mine else rows


class BookingsScreen(LiveScreen, AtendeScreen):
    PRESENCE_NAME = N_("Bookings")

    HELP = N_("The implementation sessions of a month. After a session its analyst (or a supervisor) "
              "records H held or N no-show (no-show only after the 15 minutes of tolerance). "
              "[ and ] change the month, M shows only your sessions, Enter shows the details.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back"), id="bookings-back"),
        Binding("h", "outcome('held')", N_("Session held"), id="bookings-held"),
        Binding("n", "outcome('no_show')", N_("No-show"), id="bookings-noshow"),
        Binding("left_square_bracket", "month(-1)", N_("Previous month"), id="bookings-prev"),
        Binding("right_square_bracket", "month(1)", N_("Next month"), id="bookings-next"),
        Binding("m", "mine", N_("Mine"), id="bookings-mine"),
        Binding("enter", "details", N_("Details"), id="bookings-details", show=False),
    ]

    def __init__(self, month: str | None = None, mine: bool = False) -> None:
        super().__init__()
        self.month = month  # None until the first answer says which month is this one
        self.mine = mine
        self.rows: list[bookings_svc.BookingInfo] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="bookings-filter", markup=False)
        table = Table(cursor_type="row", zebra_stripes=True, id="bookings")
        table.add_columns(_("When"), _("Analyst"), _("Status"), _("Customer"), _("Topic"), _("Protocol"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Bookings")
        self.load()

    def load(self) -> None:
        self.call_service("bookings", read_bookings, self.app.actor, self.month, self.mine,
                          on_answer=lambda answer: self._show(*answer))

    def _show(self, month: str, rows: list[bookings_svc.BookingInfo]) -> None:
        self.month, self.rows = month, rows
        self.query_one("#bookings-filter", Static).update(
            _("{month} · {n} sessions{mine}").format(
                month=self.month, n=len(rows), mine=" · " + _("only mine") if self.mine else ""))
        def fill(table: DataTable) -> None:
            for b in rows:
                status = _(bookings_svc.STATUS_LABELS[b.status])
                table.add_row(Text(f"{bookings_svc.weekday_short(b.start)} {b.start:%d/%m %H:%M}"),
                              Text(b.analyst_login), Text(status, style=STATUS_STYLES.get(b.status, "")),
                              Text(b.customer_name), Text(b.topic_label), Text(b.protocol), key=str(b.id))

        keep_cursor(self.query_one(DataTable), fill)

    def live_reload(self, topics: frozenset[str]) -> None:
        self.load()

    def selected(self) -> bookings_svc.BookingInfo | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((b for b in self.rows if str(b.id) == key), None)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "outcome":
            return permissions.can(self.app.actor, "scheduling.outcome")
        return True

    def action_month(self, step: int) -> None:
        if self.month is None:
            return  # not read yet
        self.month = rota_svc.add_months(self.month, step)
        self.load()

    def action_mine(self) -> None:
        self.mine = not self.mine
        self.load()

    def action_details(self) -> None:
        b = self.selected()
        if b is None:
            return
        from screens.scheduling.booking import BookedDialog

        lines = [bookings_svc.confirmation_text(b),
                 _("Contact: {name} · {phone} · {email}").format(
                     name=b.contact_name, phone=b.contact_phone, email=b.contact_email)]
        if b.equipment_manufacturer:
            lines.append(_("Equipment: {manufacturer} {model}").format(
                manufacturer=b.equipment_manufacturer, model=b.equipment_model))
        lines.append(_("Status: {status}").format(status=_(bookings_svc.STATUS_LABELS[b.status]))
                     + (f" · {b.outcome_by}: {b.outcome_note}" if b.outcome_by else ""))
        lines.append(_("Booked by {login} on {when}").format(login=b.created_by, when=f"{b.created_at:%d/%m/%Y %H:%M}"))
        body = "\n".join(lines)
        self.app.push_screen(BookedDialog(_("Booking {id}").format(id=b.id), body))

    def action_outcome(self, outcome: str) -> None:
        b = self.selected()
        if b is None:
            return
        question = (_("Record that {customer} did not come to the session of {when}?") if outcome == "no_show"
                    else _("Record that the session of {when} with {customer} was held?")).format(
            customer=b.customer_name, when=f"{b.start:%d/%m %H:%M}")

        def answered(yes: bool | None) -> None:
            if yes:
                self.record(b.id, outcome, b.version)

        self.app.push_screen(ConfirmDialog(question), answered)

    def record(self, booking_id: int, outcome: str, version: int) -> None:
        self.call_service("bookings-outcome", bookings_svc.record_outcome, self.app.actor, booking_id, outcome, version,
                          on_answer=self._recorded, on_error=lambda _exc: self.load(), write=True)

    def _recorded(self, info: bookings_svc.BookingInfo) -> None:
        self.notify(_("Recorded: {status}").format(status=_(bookings_svc.STATUS_LABELS[info.status])), markup=False)
        self.load()

    def palette_commands(self):
        yield PaletteCommand(_("Only my sessions"), _("Show only the sessions where you are the analyst"),
                             self.action_mine)
