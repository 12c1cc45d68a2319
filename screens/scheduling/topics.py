"""The triage topic catalogue, edited by supervisors: labels, whether a topic
is booked, trainings and their webinar, equipment, guidance, preconditions;
and the guidance of the GR and franchise teams."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from services.core import permissions
from services.core.i18n import N_, _
from services.scheduling import topics as topics_svc
from tui.base import AtendeModal, AtendeScreen, PaletteCommand
from tui.dialogs import FormDialog
from tui.forms import Field, PlainSelect
from tui.table import Table


class TopicForm(FormDialog[topics_svc.TopicInfo | None]):

    def __init__(self, topic: topics_svc.TopicInfo | None = None) -> None:
        super().__init__(classes="scheduling-form")
        self.topic = topic

    def compose(self) -> ComposeResult:
        t = self.topic
        with VerticalScroll():
            yield Label(_("Topic {label}").format(label=t.label) if t else _("New topic"),
                        classes="form-title", markup=False)
            yield Field(_("Key (for scripts: atende triage check --topic KEY)"),
                        Input(t.key if t else "", id="key"), name="key")
            yield Field(_("Label"), Input(t.label if t else "", id="label"), name="label")
            yield Checkbox(_("Needs a booking with implementation (else support handles it now)"),
                           t.needs_booking if t else False, id="needs_booking")
            yield Field("", Checkbox(_("Full training (offer the webinar first)"), t.is_training if t else False,
                                     id="is_training"), name="is_training")
            yield Field(_("Webinar link"), Input(t.webinar_link if t else "", id="webinar_link"), name="webinar_link")
            yield Checkbox(_("Involves equipment (manufacturer, model, homologated)"),
                           t.involves_equipment if t else False, id="involves_equipment")
            yield Field(_("Kind of equipment (booked topics: the homologated ones of this kind)"),
                        PlainSelect([(topics_svc.kind_label(k), k) for k in topics_svc.equipment_kinds()],
                                    value=t.equipment_kind if t and t.equipment_kind else PlainSelect.NULL,
                                    prompt=_("(none)"), id="equipment_kind"), name="equipment_kind")
            yield Field(_("Guidance for the agent"), TextArea(t.guidance if t else "", id="guidance",
                                                              tab_behavior="focus"), name="guidance")
            yield Checkbox(_("Booked on the customer's ticket once a file is attached to it (e.g. the answer)"),
                           t.needs_attachment if t else False, id="needs_attachment")
            yield Field(_("Preconditions, one a line"),
                        TextArea("\n".join(t.preconditions) if t else "", id="preconditions", tab_behavior="focus"),
                        name="preconditions")
            yield Field(_("Search words, separated by commas"),
                        Input(", ".join(t.keywords) if t else "", id="keywords"), name="keywords")
            yield self.buttons()

    def on_mount(self) -> None:
        self.query_one("#label" if self.topic else "#key", Input).focus()

    def draft(self) -> topics_svc.TopicDraft:
        return topics_svc.TopicDraft(
            key=self.query_one("#key", Input).value, label=self.query_one("#label", Input).value,
            needs_booking=self.query_one("#needs_booking", Checkbox).value,
            is_training=self.query_one("#is_training", Checkbox).value,
            webinar_link=self.query_one("#webinar_link", Input).value,
            involves_equipment=self.query_one("#involves_equipment", Checkbox).value,
            equipment_kind=self.query_one("#equipment_kind", PlainSelect).selection or "",
            guidance=self.query_one("#guidance", TextArea).text,
            preconditions=tuple(self.query_one("#preconditions", TextArea).text.splitlines()),
            keywords=tuple(self.query_one("#keywords", Input).value.split(",")),
            needs_attachment=self.query_one("#needs_attachment", Checkbox).value,
        )

    def submit(self):
        actor, topic, draft = self.app.actor, self.topic, self.draft()
        if topic:
            return lambda: topics_svc.update_topic(actor, topic.id, draft, topic.version)
        return lambda: topics_svc.create_topic(actor, draft)


class TeamForm(FormDialog[topics_svc.TeamInfo | None]):

    def __init__(self, team: topics_svc.TeamInfo) -> None:
        super().__init__(classes="scheduling-form")
        self.team = team

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(_("Team guidance"), classes="form-title")
            yield Field(_("Name"), Input(self.team.name, id="name"), name="name")
            yield Field(_("Guidance shown when a request goes to this team"),
                        TextArea(self.team.guidance, id="guidance", tab_behavior="focus"), name="guidance")
            yield self.buttons()

    def on_mount(self) -> None:
        self.query_one("#guidance", TextArea).focus()

    def submit(self):
        actor, team = self.app.actor, self.team
        name, guidance = self.query_one("#name", Input).value, self.query_one("#guidance", TextArea).text
        return lambda: topics_svc.update_team(actor, team.key, name, guidance, team.version)


class TeamPicker(AtendeModal[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, teams: dict[str, topics_svc.TeamInfo]) -> None:
        super().__init__(classes="scheduling-form")
        self.teams = teams

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(_("Which team's guidance?"), classes="form-title")
            yield OptionList(*[Option(Text(t.name), id=k) for k, t in self.teams.items()], id="teams")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TopicEditorScreen(AtendeScreen):
    HELP = N_("The topics of the scheduling triage. Enter edits a topic, N adds one, D retires it (or brings "
              "it back), T edits the guidance of the GR and franchise teams.")
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="topics-back"),
        Binding("n", "new", N_("New"), id="topics-new"),
        Binding("e", "edit", N_("Edit"), id="topics-edit"),
        Binding("d", "toggle_active", N_("Retire/restore"), id="topics-retire"),
        Binding("t", "teams", N_("Teams"), id="topics-teams"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.topics: list[topics_svc.TopicInfo] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Header()
        table = Table(cursor_type="row", zebra_stripes=True, id="topic-table")
        table.add_columns(_("Topic"), _("Route"), _("Notes"), _("Key"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Topics")
        self.load()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("new", "edit", "toggle_active", "teams"):
            return permissions.can(self.app.actor, "scheduling.topics")
        return True

    def load(self) -> None:
        actor = self.app.actor
        self.call_service("topics", lambda: topics_svc.list_topics(actor, include_inactive=True),
                          on_answer=self._show)

    def _show(self, topics: list[topics_svc.TopicInfo]) -> None:
        self.topics = topics
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for t in topics:
            notes = [x for x, on_ in ((_("training"), t.is_training), (_("equipment"), t.involves_equipment),
                                      (_("{n} preconditions").format(n=len(t.preconditions)), bool(t.preconditions)))
                     if on_]
            style = "" if t.active else "dim strike"
            table.add_row(Text(t.label, style=style),
                          Text(_("booking") if t.needs_booking else _("support"), style=style),
                          Text(", ".join(notes) + ("" if t.active else " " + _("(retired)")), style=style),
                          Text(t.key, style="dim"), key=str(t.id))
        if topics:
            table.move_cursor(row=min(cursor, len(topics) - 1))

    def selected(self) -> topics_svc.TopicInfo | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((t for t in self.topics if str(t.id) == key), None)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_new(self) -> None:
        self.app.push_screen(TopicForm(), self._after_edit)

    def action_edit(self) -> None:
        topic = self.selected()
        if topic and permissions.can(self.app.actor, "scheduling.topics"):
            self.app.push_screen(TopicForm(topic), self._after_edit)

    def _after_edit(self, info) -> None:
        if info:
            self.changed = True
            self.notify(_("{label} saved").format(label=getattr(info, "label", None) or info.name), markup=False)
            self.load()

    def action_toggle_active(self) -> None:
        topic = self.selected()
        if topic is not None:
            self.toggle(topic)

    def toggle(self, topic: topics_svc.TopicInfo) -> None:
        self.call_service("topics-toggle", topics_svc.set_topic_active, self.app.actor, topic.id, not topic.active,
                          topic.version, on_answer=lambda _info: self._toggled(), on_error=lambda _exc: self._toggled(),
                          write=True)

    def _toggled(self) -> None:
        self.changed = True
        self.load()

    def action_teams(self) -> None:
        self.load_teams()

    def load_teams(self) -> None:
        self.call_service("topics-teams", topics_svc.list_teams, self.app.actor, on_answer=self._pick_team)

    def _pick_team(self, teams: dict[str, topics_svc.TeamInfo]) -> None:
        if not teams:
            return
        def picked(key: str | None) -> None:
            if key:
                self.app.push_screen(TeamForm(teams[key]), self._after_edit)

        self.app.push_screen(TeamPicker(teams), picked)

    def action_back(self) -> None:
        self.dismiss(self.changed)

    def palette_commands(self):
        if permissions.can(self.app.actor, "scheduling.topics"):
            yield PaletteCommand(_("New topic"), _("Add a topic to the triage catalogue"), self.action_new)
            yield PaletteCommand(_("Team guidance"), _("Edit the GR and franchise teams' guidance"),
                                 self.action_teams)
