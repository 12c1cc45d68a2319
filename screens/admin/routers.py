"""Routers (admins): each access point's MikroTik router, asked for a login's
session during a call; E changes it, T tests the connection. The password is
never typed here: it is kept in the system keyring by the command line."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, Static

from services.core.i18n import N_, _
from services.customers import router
from tui.base import AtendeScreen
from tui.dialogs import FormDialog
from tui.forms import Field
from tui.live import keep_cursor
from tui.table import Table


def password_hint(info: router.RouterInfo) -> str:
    return _("The password is kept in the system keyring; set it on the command line: "
             "atende routers password {ap}").format(ap=info.access_point_id)


class RouterForm(FormDialog[router.RouterInfo | None]):
    """Change an access point's router: host, port, TLS, user."""

    def __init__(self, info: router.RouterInfo) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        r = self.info
        with Vertical():
            yield Label(_("Router of {ap}").format(ap=r.access_point), classes="dialog-title", markup=False)
            yield Field(_("Host name or IP address (empty: no router)"), Input(r.host, id="router-host"), name="host")
            yield Field(_("API port"), Input(str(r.port), id="router-port", type="integer", max_length=5),
                        name="port")
            yield Field("", Checkbox(_("TLS (api-ssl)"), r.tls, id="router-tls"), name="tls")
            yield Field(_("User"), Input(r.user, id="router-user"), name="user")
            yield Static(password_hint(r), markup=False)
            yield self.buttons()

    def submit(self):
        actor, ap = self.app.actor, self.info.access_point_id
        values = dict(host=self.query_one("#router-host", Input).value,
                      port=self.query_one("#router-port", Input).value,
                      tls=self.query_one("#router-tls", Checkbox).value,
                      user=self.query_one("#router-user", Input).value)
        return lambda: router.set_router(actor, ap, **values)


class RoutersScreen(AtendeScreen):
    PRESENCE_NAME = N_("Routers")
    HELP = N_("The MikroTik router of each access point, asked for a login's session during a call. "
              "E changes the host, port, TLS and user; T tests the connection. The password is set on the "
              "command line (atende routers password ACCESS_POINT), never here.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("e", "edit", N_("Change"), id="routers-edit"),
        Binding("t", "test", N_("Test connection"), id="routers-test"),
    ]
    FAILURE_STATUS = {"routers-test": "#routers-status"}

    routers: list[router.RouterInfo] = []

    def compose(self) -> ComposeResult:
        yield Header()
        table = Table(cursor_type="row", zebra_stripes=True, id="routers")
        table.add_columns(_("Access point"), _("Router"), _("TLS"), _("User"), _("Password"))
        yield table
        yield Static("", id="routers-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Routers")
        self.load()

    def load(self) -> None:
        self.call_service("routers", router.list_routers, self.app.actor, on_answer=self._show)

    def _show(self, found: list[router.RouterInfo]) -> None:
        self.routers = found

        def fill(table: DataTable) -> None:
            for r in found:
                table.add_row(Text(r.access_point), Text(f"{r.host}:{r.port}" if r.host else "-"),
                              _("yes") if r.tls else _("no"), Text(r.user or "-"),
                              _("kept") if r.password_set else _("not set"), key=str(r.access_point_id))

        keep_cursor(self.query_one(DataTable), fill)

    def _selected(self) -> router.RouterInfo | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.routers if str(r.access_point_id) == key), None)

    def action_edit(self) -> None:
        info = self._selected()
        if info:
            self.app.push_screen(RouterForm(info), self._saved)

    def _saved(self, info: router.RouterInfo | None) -> None:
        if info:
            self.notify(_("{ap} saved").format(ap=info.access_point), markup=False)
            self.query_one("#routers-status", Static).update("" if info.password_set or not info.host
                                                              else password_hint(info))
            self.load()

    def action_test(self) -> None:
        info = self._selected()
        if not info:
            return
        self.query_one("#routers-status", Static).update(_("Asking the router..."))
        self.call_service("routers-test", router.check_connection, self.app.actor, info.access_point_id,
                          on_answer=self._tested, quiet=True,
                          on_error=lambda exc: self._tested(router.RouterData(False, exc.message)))

    def _tested(self, result: router.RouterData) -> None:
        self.query_one("#routers-status", Static).update(
            Text(result.message, style="bold" if result.ok else "italic"))
