"""The events board: one column per pipeline stage, a card per event."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalScroll, Vertical
from textual.widgets import Footer, Header, Label, OptionList
from textual.widgets.option_list import Option

from screens.events.checkin import CheckinScreen
from screens.events.detail import EventDetailScreen
from screens.events.form import EventFormScreen
from screens.events.moves import MovesEvents, change_refusal
from screens.events.types import EventTypesScreen
from services.core import permissions
from services.core.i18n import N_, _
from services.events import notifications, queries, stages
from tui.base import AtendeScreen, PaletteCommand
from tui.inbox import InboxKey, InboxLine, inbox_binding
from tui.live import LiveScreen


def when_text(e: queries.EventInfo) -> str:
    """'12/05 14:00–18:00', or with both dates when it spans days."""
    if e.starts_at.date() == e.ends_at.date():
        return f"{e.starts_at:%d/%m %H:%M}–{e.ends_at:%H:%M}"
    return f"{e.starts_at:%d/%m %H:%M} → {e.ends_at:%d/%m %H:%M}"


def card(e: queries.EventInfo, width: int = 22) -> Text:
    """A card: description (wrapped), then one line each for the dates, the
    type, and responsible with seats filled (cut to `width`)."""
    def line(*parts: tuple[str, str]) -> Text:
        t = Text.assemble(*parts)
        t.truncate(width, overflow="ellipsis")
        return t

    text = Text(overflow="fold")
    if e.damaged:
        text.append("⚠ " + _("damaged: {fields}").format(fields=", ".join(e.damaged)) + "\n", style="bold red")
    if e.is_secondary:
        text.append("↳ ", style="dim")
    text.append(e.description, style="bold")
    filled = f"{e.registered}/{e.seats if e.seats is not None else '∞'}" + (f" +{e.waiting}" if e.waiting else "")
    seats = (filled, "bold red" if e.waiting else ("bold" if e.free_seats == 0 else ""))
    extra = ("", "")
    if e.status == "confirmed":
        extra = (" ✓", "green")
    if e.task_total and e.stage == "preparation":
        extra = (f" ☑{e.task_done}/{e.task_total}", "dim")
    # the seats filled matter more than the whole name: the name gives way
    tail = len(seats[0]) + len(extra[0]) + 1
    name = Text(e.responsible_name, style="italic")
    name.truncate(max(4, width - tail), overflow="ellipsis")
    for part in (line((when_text(e), "")), line((f"{stages.format_label(e.format)} · {e.type_name}", "dim")),
                 line(name, (" ", ""), seats, extra)):
        text.append("\n")
        text.append_text(part)
    return text


def read_board(actor, mine: bool) -> tuple[list[queries.EventInfo], int]:
    """The events on the board (only `actor`'s when `mine`) and the count of unread notifications."""
    return queries.list_events(actor, mine=mine), notifications.unread_count(actor)


REFRESH_SECONDS = 30.0


class Board(HorizontalScroll, inherit_bindings=False):
    """The columns side by side; scrolls to the focused column (its arrow
    keys are the board's, not the scroll container's)."""

    MIN_COLUMN = 26
    column_width = MIN_COLUMN

    def on_resize(self) -> None:
        columns = list(self.query(StageColumn))
        if columns:
            visible = max(1, min(len(columns), self.size.width // self.MIN_COLUMN))
            width = max(self.MIN_COLUMN, self.size.width // visible)
            if width != self.column_width or columns[0].styles.width is None:
                self.column_width = width
                for column in columns:
                    column.styles.width = width
                self.screen.rerender()


class StageColumn(Vertical):
    """A stage's title and its cards."""

    def __init__(self, stage: str) -> None:
        super().__init__(id=f"col-{stage}", classes="stage-column")
        self.stage = stage

    def compose(self) -> ComposeResult:
        yield Label(self.title(0), classes="stage-title")
        yield OptionList(id=f"cards-{self.stage}", classes="stage-cards")

    def title(self, count: int) -> Text:
        return Text.assemble((f"{_(stages.STAGE_SHORT[self.stage])} ({count})", "bold"))


class EventBoardScreen(InboxKey, MovesEvents, LiveScreen, AtendeScreen):
    HELP = N_("The events pipeline: a column per stage. Arrows choose an event, ] and [ move it to the "
              "next or previous stage, Enter opens its registrations. Cards show seats filled of seats, "
              "and +N on the waiting list.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("n", "new", N_("New"), id="events-new"),
        Binding("enter", "open", N_("Open"), id="events-open", show=False),
        Binding("e", "edit", N_("Edit"), id="events-edit"),
        Binding("right_square_bracket,shift+right", "move(1)", N_("Next stage"), id="events-forward"),
        Binding("left_square_bracket,shift+left", "move(-1)", N_("Back a stage"), id="events-back"),
        Binding("c", "checkin", N_("Check-in"), id="events-checkin"),
        Binding("x", "cancel_event", N_("Cancel event"), id="events-cancel", show=False),
        Binding("o", "status", N_("Status"), id="events-status"),
        Binding("m", "toggle_mine", N_("Mine/all"), id="events-mine"),
        inbox_binding("events-inbox"),
        Binding("t", "types", N_("Types"), id="events-types", show=False),
        Binding("right", "column(1)", N_("Next column"), show=False),
        Binding("left", "column(-1)", N_("Previous column"), show=False),
        Binding("ctrl+r", "reload", N_("Refresh"), id="events-refresh", show=False),
        Binding("X", "export", N_("Export CSV"), id="events-export", show=False),
    ]
    PRESENCE_NAME = N_("Events")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.events: dict[int, queries.EventInfo] = {}
        self.mine = False
        self.column_index = 0
        self.keep: int | None = None
        self.last: tuple[list[queries.EventInfo], int] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield InboxLine(id="board-inbox")
        with Board(id="board"):
            for stage in stages.STAGES:
                yield StageColumn(stage)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Events")
        self._focus_column(0)
        self.load()  # and again when anyone commits (tui.live); moves check versions anyway

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        actor = self.app.actor
        if action == "new":
            return permissions.can(actor, "events.create")
        if action in ("edit", "move", "cancel_event"):
            return permissions.can(actor, "events.edit")
        return True

    def on_screen_resume(self) -> None:
        self.load()

    # ----------------------------------------------------------------- data

    def live_reload(self, topics: frozenset[str]) -> None:
        self.load()

    def load(self) -> None:
        # Only the newest load answers: an older one would put a moved card back where it was.
        self.call_service("board", read_board, self.app.actor, self.mine, on_answer=lambda answer: self._show(*answer))

    def rerender(self) -> None:
        if self.last is not None:
            self._show(*self.last)

    def _show(self, items: list[queries.EventInfo], unread: int) -> None:
        self.last = (items, unread)
        selected = self.keep if self.keep is not None else (self.selected().id if self.selected() else None)
        self.keep = None
        self.events = {e.id: e for e in items}
        for stage in stages.STAGES:
            column = self.query_one(f"#col-{stage}", StageColumn)
            cards = column.query_one(OptionList)
            in_stage = [e for e in items if e.stage == stage]
            highlighted = cards.highlighted
            options: list[Option | None] = []
            width = self.query_one(Board).column_width - 5
            for e in in_stage:
                options.append(Option(card(e, width), id=str(e.id)))
                options.append(None)
            cards.set_options(options[:-1] if options else [])
            column.query_one(".stage-title", Label).update(column.title(len(in_stage)))
            if in_stage:
                ids = [e.id for e in in_stage]
                if selected in ids:
                    cards.highlighted = cards.get_option_index(str(selected))
                    if not cards.has_focus:
                        self._focus_column(stages.STAGES.index(stage))
                elif highlighted is not None:
                    cards.highlighted = min(highlighted, len(in_stage) - 1)
                else:
                    cards.highlighted = 0
        self.query_one("#board-inbox", InboxLine).show(unread)
        mine = _("only mine") if self.mine else _("everyone's")
        self.sub_title = _("Events ({which})").format(which=mine)

    def selected(self) -> queries.EventInfo | None:
        cards = self.query_one(f"#cards-{stages.STAGES[self.column_index]}", OptionList)
        option = cards.highlighted_option
        if option is None or option.id is None:
            return None
        return self.events.get(int(option.id))

    def _focus_column(self, index: int) -> None:
        self.column_index = max(0, min(len(stages.STAGES) - 1, index))
        column = self.query_one(f"#col-{stages.STAGES[self.column_index]}", StageColumn)
        column.query_one(OptionList).focus()
        self.query_one("#board", Board).scroll_to_widget(column, animate=False)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open()

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if isinstance(widget, OptionList) and widget.id and widget.id.startswith("cards-"):
            self.column_index = stages.STAGES.index(widget.id.removeprefix("cards-"))

    # ----------------------------------------------------------------- actions

    def action_column(self, step: int) -> None:
        self._focus_column(self.column_index + step)

    def action_reload(self) -> None:
        self.load()

    def action_toggle_mine(self) -> None:
        self.mine = not self.mine
        self.load()

    def action_types(self) -> None:
        self.app.push_screen(EventTypesScreen())

    def action_new(self) -> None:
        self.app.push_screen(EventFormScreen(), self._after_form)

    def action_edit(self) -> None:
        e = self.selected()
        if e is None:
            return
        self._edit(e)

    def _edit(self, e: queries.EventInfo, errors: dict[str, str] | None = None) -> None:
        refusal = change_refusal(self.app.actor, e)
        if refusal:  # before the form opens
            self.notify(refusal, severity="warning", markup=False)
            return
        self.app.push_screen(EventFormScreen(e.id, errors=errors), self._after_form)

    def _after_form(self, saved: queries.EventInfo | None) -> None:
        if saved is not None:
            self.keep = saved.id
            self.load()

    def action_export(self) -> None:
        """The events on the board (shift+X; x cancels an event) as CSV."""
        from tui.export import export_csv

        rows = [[e.id, e.description, e.starts_at.isoformat(sep=" "), e.ends_at.isoformat(sep=" "), e.stage,
                 e.type_name, e.responsible_login, e.seats if e.seats is not None else "", e.registered, e.waiting,
                 e.came] for e in sorted(self.events.values(), key=lambda e: (e.starts_at, e.id))]
        export_csv(self, ["id", "description", "starts_at", "ends_at", "stage", "type", "responsible", "seats",
                          "registered", "waiting", "came"], rows, default_name="events.csv")

    def action_open(self) -> None:
        e = self.selected()
        if e is None:
            return
        self.app.push_screen(EventDetailScreen(e.id))

    def action_checkin(self) -> None:
        e = self.selected()
        if e is None:
            return
        self.app.push_screen(CheckinScreen(e.id))

    def action_move(self, step: int) -> None:
        e = self.selected()
        if e is None:
            return
        if e.is_final:
            self.notify(_("This event is {stage}; it can no longer move").format(
                stage=stages.stage_label(e.stage).lower()), severity="warning", markup=False)
            return
        to = stages.next_stage(e.stage) if step > 0 else stages.previous_stage(e.stage)
        if to is None:
            return
        self._move(e, to)

    def action_status(self) -> None:
        e = self.selected()
        if e is None:
            return

        def done(moved: queries.EventInfo | None) -> None:
            self.keep = moved.id if moved else e.id
            self.load()

        self.run_status(e, done)

    def action_cancel_event(self) -> None:
        e = self.selected()
        if e is not None and not e.is_final:
            self._move(e, "cancelled")

    def _move(self, e: queries.EventInfo, to: str) -> None:
        def done(moved: queries.EventInfo | None) -> None:
            self.keep = moved.id if moved else e.id
            if moved is not None:
                self.events[moved.id] = moved  # the next key acts on the new stage, before the reload
            self.load()

        self.run_move(e, to, done, edit=self._edit)

    def palette_commands(self):
        yield PaletteCommand(_("New event"), _("Create an event"), self.action_new)
        yield PaletteCommand(_("Notifications"), _("Read your notifications"), self.action_inbox)
        yield PaletteCommand(_("Event types"), _("Formats and preparation checklists"), self.action_types)
        yield PaletteCommand(_("Only my events / everyone's"), _("Filter the board"), self.action_toggle_mine)

