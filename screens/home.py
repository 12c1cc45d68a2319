"""The home screen: the work areas this person may enter."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from services.core import permissions
from services.core.i18n import LANGUAGES, N_, _, current_language
from tui.base import AtendeScreen, PaletteCommand, startup_quiet, wait_for_store
from tui.worker_status import WorkerStatus


# Each area's screen is imported when the area is first opened (a plain import
# inside a small function): the home screen paints without loading them all.
def desk_screen() -> type[Screen]:
    from screens.desk.home import DeskScreen

    return DeskScreen


def events_screen() -> type[Screen]:
    from screens.events.board import EventBoardScreen

    return EventBoardScreen


def scheduling_screen() -> type[Screen]:
    from screens.scheduling.triage import TriageScreen

    return TriageScreen


def supervisor_screen() -> type[Screen]:
    from screens.supervisor.dashboard import SupervisorScreen

    return SupervisorScreen


def people_screen() -> type[Screen]:
    from screens.admin.people import PeopleScreen

    return PeopleScreen


def outbox_screen() -> type[Screen]:
    from screens.mail.outbox import OutboxScreen

    return OutboxScreen


def who_screen() -> type[Screen]:
    from screens.supervisor.who import WhoScreen

    return WhoScreen


def contactus_setup_screen() -> type[Screen]:
    from screens.contactus.setup import ContactUsAdminScreen

    return ContactUsAdminScreen


@dataclass(frozen=True)
class Area:
    id: str
    title: str
    about: str
    permission: str
    screen: Callable[[], type[Screen]]  # imports and returns the area's screen class
    key: str


AREAS = (
    Area("desk", N_("Service desk"), N_("New ticket, queues and the ticket thread"),
         "area.desk", desk_screen, "f2"),
    Area("events", N_("Events"), N_("Pipeline, registrations, check-in"),
         "area.events", events_screen, "f3"),
    Area("scheduling", N_("Scheduling"), N_("Triage and implementation bookings"),
         "area.scheduling", scheduling_screen, "f4"),
    Area("supervisor", N_("Supervisor"), N_("Dashboard, audit log, the team's work"),
         "area.supervisor", supervisor_screen, "f5"),
    Area("people", N_("People"), N_("Who may use Atende, and their roles"),
         "users.list", people_screen, "f6"),
    Area("outbox", N_("Outbox"), N_("E-mail waiting, sent and failed"),
         "mail.read", outbox_screen, "f7"),
    Area("who", N_("Who is online"), N_("Sessions now: screen, ticket or event"),
         "presence.read", who_screen, "f8"),
    Area("contactus", N_("Contact us setup"), N_("What company representatives choose from"),
         "contactus.admin", contactus_setup_screen, "f9"),
)


def available_areas(actor: permissions.Actor) -> list[Area]:
    """Areas that `actor` may use."""
    return [area for area in AREAS if permissions.can(actor, area.permission)]


def open_area(app, area: Area, **kwargs) -> None:
    app.push_screen(area.screen()(**kwargs))


class HomeScreen(AtendeScreen):
    HELP = N_("Choose a work area with the arrows and Enter, or with its function key.")
    PRESENCE_NAME = N_("Home")
    CSS_PATH = None  # the areas' styles load with the first area opened (tui.base.AREAS_CSS)
    BINDINGS = [
        Binding("enter", "open_selected", N_("Open"), show=False),
    ] + [
        Binding(area.key, f"area('{area.id}')", area.title, id=f"area-{area.id}", show=False)
        for area in AREAS
    ]

    areas: list[Area] = []

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "area":
            return any(a.id == parameters[0] for a in self.areas)
        return True

    def compose(self) -> ComposeResult:
        self.areas = available_areas(self.app.actor)
        yield Header()
        with Horizontal(id="home"):
            with Vertical(id="areas-box"):
                yield Label(_("Work areas"), classes="box-title")
                options = []
                for area in self.areas:
                    # one line each for the name and what it is for, cut
                    # with an ellipsis rather than wrapped, at any width
                    prompt = Text(no_wrap=True, overflow="ellipsis")
                    prompt.append(f"{area.key.upper():>3}  ", style="bold")
                    prompt.append(_(area.title), style="bold")
                    prompt.append("\n      " + _(area.about), style="dim")
                    options.append(Option(prompt, id=area.id))
                yield OptionList(*options, id="areas")
                if not self.areas:
                    yield Static(_("No work area is open to your role yet."), markup=False)
            with Vertical(id="me-box"):
                yield Label(_("You"), classes="box-title")
                yield Static(self._me(), id="me")
        yield WorkerStatus()
        yield Footer()

    def _me(self) -> Text:
        actor = self.app.actor
        text = Text()
        text.append(actor.name + "\n", style="bold")
        text.append(f"{actor.login} · {actor.role_label}\n\n")
        text.append(_("Database") + "\n", style="dim")
        text.append(self.app.db_label + "\n\n")
        text.append(_("Language") + "\n", style="dim")
        text.append(LANGUAGES[current_language()])
        return text

    def on_mount(self) -> None:
        self.title = "Atende"
        self.sub_title = f"{self.app.actor.name} · {self.app.actor.role_label}"
        self.refresh_bindings()
        if self.areas:
            option_list = self.query_one(OptionList)
            option_list.highlighted = 0
            option_list.focus()
        if permissions.can(self.app.actor, "tickets.create"):
            self.check_drafts()

    def check_drafts(self) -> None:
        """A terminal that died mid-call left a draft: offer it back at start-up."""
        self.call_service("home-drafts", self._drafts_left, self.app.actor, on_answer=self._offer_drafts)

    def _drafts_left(self, actor) -> list:
        """(Off the UI thread.) The drafts left by an earlier session; none
        when the store is not there or fails: never block the start-up over this."""
        import time

        if not wait_for_store(self.app):
            return []
        from services.store import database

        try:
            existing = database.newest_ticket_id()  # drafts opened after start-up are this session's own
            time.sleep(startup_quiet())  # the wizard's import waits until the home screen is painted
            from services.tickets.wizard import saving as wizard_saving

            return [d for d in wizard_saving.pending_drafts(actor) if d.ticket_id <= existing]
        except Exception:  # never block the start-up over this
            return []

    def _offer_drafts(self, drafts) -> None:
        if not drafts:
            return
        from screens.desk.home import DeskScreen, ResumeDialog

        def chosen(draft) -> None:
            if draft is not None:
                self.app.push_screen(DeskScreen(resume=draft))

        self.app.push_screen(ResumeDialog(drafts), chosen)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_area(event.option.id)

    def action_open_selected(self) -> None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is not None:
            self.action_area(option_list.get_option_at_index(option_list.highlighted).id)

    def action_area(self, area_id: str) -> None:
        for area in self.areas:
            if area.id == area_id:
                open_area(self.app, area)
                return

    def palette_commands(self):
        for area in self.areas:
            yield PaletteCommand(_(area.title), _(area.about), lambda a=area: open_area(self.app, a))
