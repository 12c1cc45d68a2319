"""Who is online: every running session, its person, screen and record."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from services.core.errors import AtendeError
from services.core.i18n import N_, _
from services.store import presence
from tui.base import AtendeScreen
from tui.live import LiveScreen, keep_cursor
from tui.table import Table


def record_text(o: presence.OnlineInfo) -> str:
    if not o.entity_kind:
        return ""
    kind = {"ticket": _("ticket"), "event": _("event")}.get(o.entity_kind, o.entity_kind)
    return f"{kind} {o.entity_label or o.entity_id}"


class WhoScreen(LiveScreen, AtendeScreen):
    """Sessions refresh by themselves as people move; stale ones drop off."""

    HELP = N_("Everyone running Atende now: their screen, the ticket or event they are on and whether they "
              "are editing it. The list follows them by itself; a session that stopped answering for 30 "
              "seconds is left out.")
    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back")),
                Binding("f5", "reload", N_("Refresh"), id="who-refresh")]
    LIVE_TOPICS = frozenset({"presence"})
    PRESENCE_NAME = N_("Who is online")
    FAILURE_STATUS = {"who": "#who-summary"}

    _refusal_said: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="who-summary", markup=False)
        table = Table(cursor_type="row", zebra_stripes=True, id="who-table")
        table.add_columns(_("Login"), _("Name"), _("Screen"), _("Record"), _("Editing"), _("Host"), _("Since"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Who is online")
        self.query_one(DataTable).focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def live_reload(self, topics: frozenset[str]) -> None:
        self.load()

    def load(self) -> None:
        self.call_service("who", presence.online, self.app.actor, on_answer=self._show, quiet=True,
                          on_error=self._refused)

    def _refused(self, exc: AtendeError) -> None:
        """Said like any failure of this list (WorkerErrors): in its summary, and
        once until it reads again (a live refresh failing alike is no news)."""
        if exc.message != self._refusal_said:
            self.notify(exc.message, severity="error", markup=False, timeout=10)
        self._refusal_said = exc.message
        self.worker_failed("who", exc.message)

    def _show(self, online: list[presence.OnlineInfo]) -> None:
        self._refusal_said = None
        people = len({o.login for o in online})
        self.query_one("#who-summary", Static).update(
            _("{people} people online, {sessions} sessions").format(people=people, sessions=len(online)))

        def fill(table: DataTable) -> None:
            for o in online:
                table.add_row(Text(o.login), Text(o.name), Text(_(o.screen) if o.screen else ""),
                              Text(record_text(o)), Text(_("editing") if o.editing else "", style="bold yellow"),
                              Text(o.host), Text(f"{o.started_at:%H:%M}"), key=o.session)

        keep_cursor(self.query_one(DataTable), fill)
