"""People: who may use this database, with which role."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, Select

from services.core import permissions
from services.core.i18n import N_, _
from services.store import users as users_svc
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import ConfirmDialog, FormDialog
from tui.forms import Field, PlainSelect
from tui.live import LiveScreen, keep_cursor
from tui.table import Table


def role_options(include_representative: bool = True) -> list[tuple[str, str]]:
    return [
        (_(permissions.ROLE_LABELS[r]), r) for r in permissions.ROLES
        if include_representative or r != permissions.REPRESENTATIVE
    ]


class PersonForm(FormDialog[users_svc.UserInfo | None]):
    """Add a person, or change a person's role."""

    def __init__(self, person: users_svc.UserInfo | None = None) -> None:
        super().__init__()
        self.person = person

    def compose(self) -> ComposeResult:
        p = self.person
        with Vertical():
            yield Label(_("Change role") if p else _("Add a person"), classes="dialog-title")
            yield Field(_("Login (as on the server)"), Input(p.login if p else "", id="login", disabled=bool(p)),
                        name="login")
            if not p:
                yield Field(_("Full name"), Input(id="name"), name="name")
                yield Field(_("E-mail"), Input(id="email"), name="email")
            yield Field(_("Role"), PlainSelect(role_options(), value=p.role if p else permissions.AGENT,
                                               allow_blank=False, id="role"), name="role")
            yield Field(_("Company: customer id or CPF/CNPJ (representatives only)"),
                        Input(str(p.company_id or "") if p else "", id="company"), name="company")
            yield self.buttons()

    def submit(self):
        actor, person = self.app.actor, self.person
        company_text = self.query_one("#company", Input).value.strip()
        role = self.query_one("#role", Select).value
        login = self.query_one("#login", Input).value
        name = "" if person else self.query_one("#name", Input).value
        email = "" if person else self.query_one("#email", Input).value

        def save() -> users_svc.UserInfo:
            # the company is looked up by the service, after its permission check
            company = company_text if company_text and role == permissions.REPRESENTATIVE else None
            if person:
                return users_svc.set_role(actor, person.login, role, company=company)
            return users_svc.add(actor, login, role, name=name, email=email, company=company)
        return save


class PeopleScreen(LiveScreen, AtendeScreen):
    PRESENCE_NAME = N_("People")

    HELP = N_("Everyone who may open this database. Admins add people and change roles.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("a", "add", N_("Add"), id="people-add"),
        Binding("r", "change_role", N_("Role"), id="people-role"),
        Binding("delete", "remove", N_("Remove"), id="people-remove"),
        Binding("x", "export", N_("Export CSV"), id="people-export"),
        Binding("o", "routers", N_("Routers"), id="people-routers"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        table = Table(cursor_type="row", zebra_stripes=True, id="people")
        table.add_columns(_("Login"), _("Name"), _("Role"), _("Company"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("People")
        self.load()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("add", "change_role", "remove"):
            return permissions.can(self.app.actor, "users.manage")
        if action == "routers":
            return permissions.can(self.app.actor, "routers.manage")
        return True

    def load(self) -> None:
        self.call_service("people", users_svc.list_users, self.app.actor, on_answer=self._show)

    def _show(self, people: list[users_svc.UserInfo]) -> None:
        self.people = people

        def fill(table: DataTable) -> None:
            for p in people:
                table.add_row(Text(p.login), Text(p.name), Text(_(permissions.ROLE_LABELS.get(p.role, p.role))),
                              Text(p.company_name), key=p.login)

        keep_cursor(self.query_one(DataTable), fill)

    def live_reload(self, topics: frozenset[str]) -> None:
        self.load()

    def _selected(self) -> users_svc.UserInfo | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        login = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((p for p in self.people if p.login == login), None)

    def action_add(self) -> None:
        self.app.push_screen(PersonForm(), self._after_edit)

    def action_change_role(self) -> None:
        person = self._selected()
        if person:
            self.app.push_screen(PersonForm(person), self._after_edit)

    def _after_edit(self, info: users_svc.UserInfo | None) -> None:
        if info:
            self.notify(_("{login} saved").format(login=info.login), markup=False)
            self.load()

    def action_remove(self) -> None:
        person = self._selected()
        if not person:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.call_service("people-remove", users_svc.remove, self.app.actor, person.login,
                                  on_answer=lambda _none: self.load(), write=True)

        self.app.push_screen(ConfirmDialog(
            _("Remove {login}? They will no longer open Atende; their history stays.").format(login=person.login)),
            confirmed)

    def palette_commands(self):
        if permissions.can(self.app.actor, "users.manage"):
            yield PaletteCommand(_("Add a person"), _("Give someone access with a role"), self.action_add)
        if permissions.can(self.app.actor, "routers.manage"):
            yield PaletteCommand(_("Routers"), _("The access points' MikroTik routers: change, test"),
                                 self.action_routers)

    def action_routers(self) -> None:
        from screens.admin.routers import RoutersScreen

        self.app.push_screen(RoutersScreen())

    def action_export(self) -> None:
        from tui.export import export_csv

        rows = [[p.login, p.name, p.email, p.role, p.company_name, "yes" if p.active else "no"]
                for p in getattr(self, "people", [])]
        export_csv(self, ["login", "name", "email", "role", "company", "active"], rows,
                   default_name="people.csv")
