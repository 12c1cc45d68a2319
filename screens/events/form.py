"""Create or change an event. A secondary event shows the fields it inherits
from its main event read-only."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Header, Input, Label, Select, Static

from services.core.errors import AtendeError
from services.core.i18n import N_, _
from services.events import editing, event_types, fields, pipeline, preparation, queries, stages
from tui.base import AtendeScreen
from tui.dialogs import ConfirmDialog, ThreadedSave
from tui.forms import Field, PlainSelect, show_errors
from tui.live import LiveScreen, PeersBar

TEXT_FIELDS = ("description", "starts_at", "ends_at", "client", "access_link", "address", "seats", "workload_hours")


def read_form(actor, event_id: int | None) -> tuple:
    """What the form offers (off the UI thread): the event (None for a new
    one), the types, the staff and the main events to choose from (with the
    event's own main event, when it is no longer offered)."""
    event = queries.get_event(actor, event_id) if event_id else None
    types = event_types.list_types(actor, include_inactive=bool(event))
    staff = queries.staff_options(actor)
    mains = queries.main_event_options(actor, exclude=event_id)
    if event and event.main_id and event.main_id not in {m.id for m in mains}:
        try:
            mains = [*mains, queries.get_event(actor, event.main_id)]
        except AtendeError:
            pass
    return event, types, staff, mains


class EventFormScreen(ThreadedSave, LiveScreen, AtendeScreen):
    """Dismisses with the saved EventInfo, or None."""

    HELP = N_("Fill in the event. Tab moves between fields, Ctrl+S saves, Esc goes back. Dates are "
              "DD/MM/YYYY HH:MM. Which fields registration needs depends on the type's format.")
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="event-form-save"),
        Binding("escape", "cancel", N_("Back")),
    ]
    # others see "... is editing"; only presence refreshes here: what is typed stays
    LIVE_TOPICS = frozenset({"presence"})
    PRESENCE_NAME = N_("Event form")
    PRESENCE_EDITING = True
    INVALID_NOTICE = N_("Check the fields marked in red")

    def __init__(self, event_id: int | None = None, main_id: int | None = None,
                 errors: dict[str, str] | None = None) -> None:
        """`errors` are shown at once (what the readiness check found missing)."""
        super().__init__()
        self.initial_errors = dict(errors or {})
        self.event_id = event_id
        self.initial_main = main_id
        self.event: queries.EventInfo | None = None
        self.types: dict[int, event_types.EventTypeInfo] = {}
        self.mains: dict[int, queries.EventInfo] = {}
        self.loaded = False
        self.original: dict | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield PeersBar(id="event-form-peers")
        with VerticalScroll(id="event-form"):
            yield Label(_("Change event") if self.event_id else _("New event"), id="form-title", classes="box-title")
            yield Field(_("Main event (leave empty unless this is a secondary session)"),
                        PlainSelect([], prompt=_("(none: a main or standalone event)"), id="main"), name="main")
            yield Field(_("Description (the name participants will see)"), Input(id="description"), name="description")
            with Horizontal(classes="form-row"):
                yield Field(_("Start"), Input(id="starts_at", placeholder=_("DD/MM/YYYY HH:MM")), name="starts_at")
                yield Field(_("End"), Input(id="ends_at", placeholder=_("DD/MM/YYYY HH:MM")), name="ends_at")
            with Horizontal(classes="form-row"):
                yield Field(_("Type"), PlainSelect([], prompt=_("Choose the type"), id="type"), name="type")
                yield Field(_("Responsible"), PlainSelect([], prompt=_("Choose"), id="responsible"), name="responsible")
            yield Static("", id="format-hint", classes="muted", markup=False)
            yield Field(_("Client / location"), Input(id="client"), name="client")
            yield Field(_("Online access link"), Input(id="access_link", placeholder="https://"), name="access_link")
            yield Field(_("Address"), Input(id="address"), name="address")
            with Horizontal(classes="form-row"):
                yield Field(_("Seats"), Input(id="seats"), name="seats")
                yield Field(_("Workload (hours)"), Input(id="workload_hours"), name="workload_hours")
            yield Field(_("Public registration"), Checkbox(_("Anyone may register (public event)"), id="public"),
                        name="public")
            yield Static("", id="inherited-hint", classes="muted", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Save"), id="save", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Change event") if self.event_id else _("New event")
        self.query_one("#description", Input).focus()
        self.load()
        for bar in self.query(PeersBar):
            bar.look("event", self.event_id)

    def presence_place(self):
        return ("event", self.event_id, "") if self.event_id else None

    def live_reload(self, topics: frozenset[str]) -> None:
        for bar in self.query(PeersBar):
            bar.look("event", self.event_id)

    def load(self) -> None:
        self.call_service("event-form", read_form, self.app.actor, self.event_id,
                          on_answer=lambda answer: self._fill(*answer))

    def _fill(self, event, types, staff, mains) -> None:
        self.event = event
        self.types = {t.id: t for t in types}
        self.mains = {m.id: m for m in mains}
        self.query_one("#type", Select).set_options(
            [(f"{t.name} ({stages.format_label(t.format)})", t.id) for t in types])
        self.query_one("#responsible", Select).set_options([(f"{p.name} ({p.login})", p.id) for p in staff])
        self.query_one("#main", Select).set_options(
            [(f"{m.id} · {m.description} · {m.starts_at:%d/%m/%Y}", m.id) for m in self.mains.values()])
        if event:
            self._set(editing.EventInput.from_event(event))
        else:
            self.query_one("#responsible", Select).value = self.app.actor.id \
                if any(p.id == self.app.actor.id for p in staff) else Select.NULL
            if self.initial_main in self.mains:
                self.query_one("#main", Select).value = self.initial_main
        self.loaded = True
        self._apply_main()
        self._hint()
        self.original = self._values()
        if self.initial_errors:
            show_errors(self, self.initial_errors)

    def _set(self, data: editing.EventInput) -> None:
        for name in TEXT_FIELDS:
            value = getattr(data, name)
            if name in ("starts_at", "ends_at"):
                value = fields.format_datetime(value) if value else ""
            elif name == "workload_hours" and value is not None and value != "":
                value = f"{value:g}".replace(".", ",")
            self.query_one(f"#{name}", Input).value = "" if value is None else str(value)
        self.query_one("#public", Checkbox).value = bool(data.public)
        for name, value in (("type", data.type_id), ("responsible", data.responsible_id), ("main", data.main_id)):
            select = self.query_one(f"#{name}", Select)
            select.value = value if value is not None else Select.NULL

    def _select(self, name: str) -> int | None:
        value = self.query_one(f"#{name}", Select).value
        return None if value in (Select.NULL, None) else int(value)

    def _values(self) -> dict:
        values = {name: self.query_one(f"#{name}", Input).value for name in TEXT_FIELDS}
        values.update(public=self.query_one("#public", Checkbox).value, type_id=self._select("type"),
                      responsible_id=self._select("responsible"), main_id=self._select("main"))
        return values

    # ----------------------------------------------------------------- secondaries

    @on(Select.Changed, "#main")
    def _main_changed(self) -> None:
        if self.loaded:
            self._apply_main()

    @on(Select.Changed, "#type")
    def _type_changed(self) -> None:
        self._hint()

    def _apply_main(self) -> None:
        main = self.mains.get(self._select("main") or -1)
        inherited = {"type": "#type", "responsible": "#responsible", "client": "#client", "public": "#public",
                     "seats": "#seats"}
        for selector in inherited.values():
            self.query_one(selector).disabled = main is not None
        hint = self.query_one("#inherited-hint", Static)
        if main is None:
            hint.update("")
            return
        self.query_one("#type", Select).value = main.type_id
        self.query_one("#responsible", Select).value = main.responsible_id
        self.query_one("#client", Input).value = main.client
        self.query_one("#public", Checkbox).value = main.public
        self.query_one("#seats", Input).value = "" if main.seats is None else str(main.seats)
        description = self.query_one("#description", Input)
        if not description.value.strip():
            description.value = main.description
        hint.update(_("Type, responsible, client, public registration and seats follow the main event: {event}").format(
            event=main.description))

    def _hint(self) -> None:
        t = self.types.get(self._select("type") or -1)
        hint = self.query_one("#format-hint", Static)
        if t is None:
            hint.update("")
            return
        needs = ", ".join(fields.field_label(f) for f in preparation.REQUIRED_BY_FORMAT.get(t.format, ()))
        text = _("{type} is {format}: registration opens once it has {fields}.").format(
            type=t.name, format=stages.format_label(t.format), fields=needs)
        if t.preparation:
            text += "\n" + t.preparation
        hint.update(text)

    # ----------------------------------------------------------------- saving

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        if self.loaded and self.original is not None and self._values() != self.original:
            self.app.push_screen(ConfirmDialog(_("Discard the changes to this event?")),
                                 lambda yes: self.dismiss(None) if yes else None)
            return
        self.dismiss(None)

    def submit(self):
        if not self.loaded:
            return None
        values = self._values()
        data = editing.EventInput(
            description=values["description"], responsible_id=values["responsible_id"],
            starts_at=values["starts_at"], ends_at=values["ends_at"], type_id=values["type_id"],
            client=values["client"], access_link=values["access_link"], address=values["address"],
            seats=values["seats"], public=values["public"], workload_hours=values["workload_hours"],
            main_id=values["main_id"])
        actor, event = self.app.actor, self.event
        if event:
            return lambda: editing.update_event(actor, event.id, data, version=event.version)
        return lambda: editing.create_event(actor, data)

    def saved(self, saved: queries.EventInfo) -> None:
        self.notify(_("Event saved: {event}").format(event=saved.description), markup=False)
        before = self.event
        if before is None or not saved.registered or not pipeline.moved(before, saved):
            self.dismiss(saved)
            return
        actor = self.app.actor

        def answer(yes: bool | None) -> None:
            if yes:
                self.call_service("event-mail-changes", lambda: pipeline.mail_changes(actor, saved.id), write=True,
                                  on_answer=lambda n: self.notify(_("{n} participants will be e-mailed").format(n=n),
                                                                  markup=False))
            self.dismiss(saved)

        self.app.push_screen(ConfirmDialog(_("The date or the place changed. E-mail the {n} participants the new "
                                             "details?").format(n=saved.registered)), answer)
