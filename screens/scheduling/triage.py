"""Scheduling triage: pick the customer, search the topic, and the decision
(route, reason, next steps, guidance) appears at once; from there, book."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from services.core import permissions
from services.core.i18n import N_, _
from services.customers.lookup import ACCOUNT_STATUSES
from services.scheduling import topics as topics_svc
from services.scheduling import triage as triage_svc
from tui.base import AtendeScreen, PaletteCommand
from tui.customer_lookup import CustomerLookup
from tui.live import LiveScreen

ROUTE_STYLES = {
    triage_svc.SUPPORT: "bold green",
    triage_svc.GR_BLOCKED: "bold red",
    triage_svc.GR_NO_PLAN: "bold red",
    triage_svc.GR_ONBOARDING: "bold yellow",
    triage_svc.FRANCHISE: "bold magenta",
    triage_svc.IMPLEMENTATION: "bold cyan",
    triage_svc.WEBINAR_FIRST: "bold cyan",
}


def customer_line(c: triage_svc.CustomerFacts) -> Text:
    """The chosen customer with the facts the triage looks at."""
    text = Text()
    text.append(_("Customer") + ": ", style="dim")
    text.append(c.name, style="bold")
    text.append(f"  #{c.id}", style="dim")
    flags = []
    if c.account_status == "blocked":
        flags.append((_("blocked account"), "bold red"))
    elif c.account_status != "active":
        flags.append((_("no active plan ({status})").format(
            status=_(ACCOUNT_STATUSES.get(c.account_status, c.account_status))), "bold red"))
    if c.onboarding:
        flags.append((_("in onboarding"), "bold yellow"))
    if c.franchise_group:
        flags.append((_("franchise: {group}").format(group=c.franchise_group), "bold magenta"))
    if not flags:
        flags.append((_("active, not onboarding, not franchise"), "green"))
    for label, style in flags:
        text.append("  ")
        text.append(f"[{label}]", style=style)
    return text


def decision_text(d: triage_svc.Decision) -> Text:
    text = Text()
    text.append(d.title + "\n", style=ROUTE_STYLES.get(d.route, "bold"))
    text.append(d.reason + "\n\n")
    text.append(_("Next steps") + "\n", style="bold")
    for i, step in enumerate(d.next_steps, 1):
        text.append(f"{i}. ", style="bold")
        text.append(step + "\n")
    if d.webinar_link:
        text.append("\n" + _("Webinar") + ": ", style="bold")
        text.append(d.webinar_link + "\n")
    if d.guidance:
        text.append("\n" + _("Guidance") + "\n", style="bold")
        text.append(d.guidance + "\n")
    if d.can_book:
        text.append("\n" + _("F2 books a session with the analyst of the month.") + "\n", style="dim")
    return text


class TriageScreen(LiveScreen, AtendeScreen):
    """The Scheduling area (F4 on the home screen)."""

    HELP = N_("Pick the customer (type to search, Enter on a row), then search the topic: the decision "
              "appears as you move through the topics. F2 books a session when the route allows it.")
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="triage-back"),
        Binding("f2", "book", N_("Book"), id="triage-book"),
        Binding("f3", "bookings", N_("Bookings"), id="triage-bookings"),
        Binding("f4", "change_customer", N_("Customer"), id="triage-customer"),
        Binding("f5", "rota", N_("Rota"), id="triage-rota"),
        Binding("f6", "topics", N_("Topics"), id="triage-topics"),
    ]

    def __init__(self, customer_id: int | None = None) -> None:
        super().__init__()
        self.initial_customer_id = customer_id
        self.customer: triage_svc.CustomerFacts | None = None
        self.decision: triage_svc.Decision | None = None
        self.topic_list: list[topics_svc.TopicInfo] = []
        self._deciding: str | None = None  # the highlighted topic whose decision is being worked out
        self._book_asked = False  # F2 pressed while it was: book once it comes
        self._searching = False  # a topic typed: the list (and its highlight) is not the filter's yet

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Pick the customer: type to search, Enter on a row."), id="triage-customer-bar",
                     markup=False)
        with ContentSwitcher(initial="step-customer", id="triage-steps"):
            with Vertical(id="step-customer"):
                yield CustomerLookup(id="triage-lookup")
            with Horizontal(id="step-topic"):
                with Vertical(id="topic-pane"):
                    yield Input(placeholder=_("Search the topic"), id="topic-search")
                    yield OptionList(id="topics")
                with VerticalScroll(id="decision-pane", can_focus=True):
                    yield Static(_("Move through the topics: the decision appears here."), id="decision",
                                 markup=False)
        yield Footer()

    PRESENCE_NAME = N_("Scheduling")
    FAILURE_STATUS = {"triage-customer": "#triage-customer-bar", "triage-topics": "#decision",
                      "triage-decide": "#decision"}

    def live_reload(self, topics: frozenset[str]) -> None:
        """Topics, rota or the customer's status changed elsewhere: look again,
        keeping the highlighted topic (its decision is worked out again)."""
        if self.customer is not None:
            self.search_topics(self.query_one("#topic-search", Input).value)

    def on_mount(self) -> None:
        self.sub_title = _("Scheduling")
        if self.initial_customer_id:
            self.load_customer(self.initial_customer_id)
        else:
            self.query_one("#lookup-text", Input).focus()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        actor = self.app.actor
        if action == "book":
            if self.decision is None and (self._deciding or self._searching):
                return True  # pressed now, it books as soon as the decision is there
            return bool(self.decision and self.decision.can_book) or None
        if action == "rota":
            return permissions.can(actor, "scheduling.rota")
        if action == "topics":
            return permissions.can(actor, "scheduling.topics")
        if action == "change_customer":
            return self.customer is not None
        return True

    # ------------------------------------------------------------ customer

    @on(CustomerLookup.Selected)
    def _customer_chosen(self, event: CustomerLookup.Selected) -> None:
        event.stop()
        self.load_customer(event.hit.id)

    def load_customer(self, customer_id: int) -> None:
        self.call_service("triage-customer", triage_svc.customer_facts, self.app.actor, customer_id,
                          on_answer=self._show_customer)

    def _show_customer(self, facts: triage_svc.CustomerFacts) -> None:
        self.customer = facts
        self._forget_decision()
        bar = self.query_one("#triage-customer-bar", Static)
        bar.update(customer_line(facts))
        self.query_one(ContentSwitcher).current = "step-topic"
        self.query_one("#decision", Static).update(_("Move through the topics: the decision appears here."))
        self.query_one("#topic-search", Input).focus()
        self.search_topics(self.query_one("#topic-search", Input).value)
        self.refresh_bindings()

    def action_change_customer(self) -> None:
        self.customer = None
        self._forget_decision()
        self.query_one("#triage-customer-bar", Static).update(
            _("Pick the customer: type to search, Enter on a row."))
        self.query_one(ContentSwitcher).current = "step-customer"
        self.query_one("#lookup-text", Input).focus()
        self.refresh_bindings()

    def action_back(self) -> None:
        if self.query_one(ContentSwitcher).current == "step-topic":
            self.action_change_customer()
        else:
            self.app.pop_screen()

    # ------------------------------------------------------------ topics

    @on(Input.Changed, "#topic-search")
    def _topic_typed(self, event: Input.Changed) -> None:
        event.stop()
        # Until the filter's list comes, the highlight and its decision are the previous
        # filter's: F2 meanwhile books the filter's topic once it is there, never that one.
        self._forget_decision()
        self._searching = True
        self.refresh_bindings()
        self.search_topics(event.value)

    @on(Input.Submitted, "#topic-search")
    def _topic_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        topics = self.query_one("#topics", OptionList)
        if topics.option_count:
            topics.focus()

    def on_key(self, event) -> None:
        # Down from the topic search goes into the list, as in a combo box.
        if event.key == "down" and self.focused is self.query_one("#topic-search", Input):
            topics = self.query_one("#topics", OptionList)
            if topics.option_count:
                event.stop()
                topics.focus()

    def search_topics(self, text: str) -> None:
        self.call_service("triage-topics", topics_svc.search_topics, self.app.actor, text,
                          on_answer=self._show_topics)

    def _show_topics(self, found: list[topics_svc.TopicInfo]) -> None:
        self.topic_list = found
        searched, self._searching = self._searching, False
        options = self.query_one("#topics", OptionList)
        before = options.highlighted_option.id if options.highlighted_option is not None else None
        options.clear_options()
        for t in found:
            options.add_option(Option(Text(t.label), id=t.key))
        if found:
            keys = [t.key for t in found]
            index = keys.index(before) if before in keys else 0
            if searched:
                self._deciding = keys[index]  # F2 pressed while searching books it once decided
            options.highlighted = index
        else:
            self._forget_decision()
            self.query_one("#decision", Static).update(_("No topic matches; try another word."))
            self.refresh_bindings()

    @on(OptionList.OptionHighlighted, "#topics")
    def _topic_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self.customer and event.option.id:
            if self.decision is None or self.decision.topic_key != event.option.id:
                # Another topic: the shown decision is not its own. F2 must not book the
                # previous topic meanwhile; pressed now, it books this one once decided.
                if self._deciding != event.option.id:
                    self._book_asked = False
                self.decision = None
                self.query_one("#decision", Static).update(_("Working out the decision…"))
                self.refresh_bindings()
            self._deciding = event.option.id
            self.decide(self.customer.id, event.option.id)

    @on(OptionList.OptionSelected, "#topics")
    def _topic_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#decision-pane").focus()

    def decide(self, customer_id: int, topic_key: str) -> None:
        self.call_service("triage-decide", triage_svc.triage, self.app.actor, customer_id, topic_key,
                          on_answer=self._show_decision, on_error=lambda _exc: self._decide_failed(topic_key))

    def _show_decision(self, decision: triage_svc.Decision) -> None:
        if not self.customer or decision.customer_id != self.customer.id:
            return
        highlighted = self.query_one("#topics", OptionList).highlighted_option
        if highlighted is not None and highlighted.id != decision.topic_key:
            return  # the agent has moved on to another topic
        self.decision = decision
        self._deciding = None
        self.query_one("#decision", Static).update(decision_text(decision))
        self.refresh_bindings()
        if self._book_asked and self.is_current:  # (gone elsewhere meanwhile: no booking opens over it)
            if decision.can_book:
                self.action_book()
            else:
                self.notify(_("This topic is not booked: {title}").format(title=decision.title),
                            severity="warning", markup=False)
        self._book_asked = False

    def _decide_failed(self, topic_key: str) -> None:
        if self._deciding == topic_key:
            self._deciding = None
            self._book_asked = False
            self.refresh_bindings()

    def worker_failed(self, group: str, message: str) -> None:
        if group in ("triage-decide", "triage-topics"):  # F2 waits for no answer that will never come
            self._forget_decision()
            self.refresh_bindings()
        super().worker_failed(group, message)

    def _forget_decision(self) -> None:
        self.decision = None
        self._deciding = None
        self._book_asked = False
        self._searching = False

    # ------------------------------------------------------------ actions

    def action_book(self) -> None:
        if self.customer and self.decision is None and (self._deciding or self._searching):
            self._book_asked = True  # booked as soon as this topic's decision is there
            return
        if not (self.customer and self.decision and self.decision.can_book):
            return
        topic = next((t for t in self.topic_list if t.key == self.decision.topic_key), None)
        if topic is None:
            return
        from screens.scheduling.booking import BookingScreen

        self.app.push_screen(BookingScreen(self.customer, topic, self.decision), self._after_booking)

    def _after_booking(self, result) -> None:
        if result is not None:
            self.notify(_("Booked: protocol {protocol}").format(protocol=result.booking.protocol), markup=False)

    def action_bookings(self) -> None:
        from screens.scheduling.bookings import BookingsScreen

        self.app.push_screen(BookingsScreen())

    def action_rota(self) -> None:
        from screens.scheduling.rota import RotaScreen

        self.app.push_screen(RotaScreen())

    def action_topics(self) -> None:
        from screens.scheduling.topics import TopicEditorScreen

        self.app.push_screen(TopicEditorScreen(), lambda _changed: self._refresh_topics())

    def _refresh_topics(self) -> None:
        if self.customer:
            self.search_topics(self.query_one("#topic-search", Input).value)

    def palette_commands(self):
        yield PaletteCommand(_("Bookings"), _("Sessions booked with implementation; held or no-show"),
                             self.action_bookings)
        if self.customer:
            yield PaletteCommand(_("Change customer"), _("Pick another customer"), self.action_change_customer)
        if self.decision and self.decision.can_book:
            yield PaletteCommand(_("Book a session"), _("Book with the implementation analyst of the month"),
                                 self.action_book)
        if permissions.can(self.app.actor, "scheduling.rota"):
            yield PaletteCommand(_("Rota"), _("Which analyst receives each month's bookings"), self.action_rota)
        if permissions.can(self.app.actor, "scheduling.topics"):
            yield PaletteCommand(_("Topics"), _("Edit the triage topics and team guidance"), self.action_topics)
