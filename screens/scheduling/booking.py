"""Booking a session with the implementation analyst of the month: the
requirements of the topic, the analyst's calendar and the free slot."""
from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Footer, Header, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from services.core.errors import AtendeError, ValidationError
from services.core.i18n import N_, _
from services.scheduling import bookings as bookings_svc
from services.scheduling import rota as rota_svc
from services.scheduling import topics as topics_svc
from services.scheduling import triage as triage_svc
from tui.base import AtendeModal, AtendeScreen, PaletteCommand
from tui.forms import Field, clear_errors, show_errors


class BookedDialog(AtendeModal[None]):
    """The confirmation to read to the customer, scrollable at 80x24."""

    BINDINGS = [Binding("escape,enter", "close", N_("Close"))]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(id="booked-box"):
            yield Label(self.title_text, id="booked-title", markup=False)
            with VerticalScroll(id="booked-scroll"):
                yield Static(self.body, markup=False)
            yield Label(_("Enter or Esc closes"), classes="muted")

    def on_mount(self) -> None:
        self.query_one("#booked-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)


def read_slots(actor) -> tuple[rota_svc.AnalystInfo, list[bookings_svc.Slot]]:
    """The analyst of the month and their slots still ahead (off the UI thread)."""
    analyst = rota_svc.analyst_for_month(actor)
    now = rota_svc.local_now()
    slots = bookings_svc.calendar(actor, analyst, now.date(), bookings_svc.HORIZON_DAYS)
    return analyst, [s for s in slots if s.start > now]


class BookingScreen(AtendeScreen):
    """Fill what the booking needs, pick a free slot, save (Ctrl+S)."""

    FAILURE_STATUS = {"booking-slots": "#analyst"}

    HELP = N_("Describe the needs in detail, the contact who will attend, the equipment when the topic "
              "involves one, tick the preconditions, and pick a free slot in the analyst's calendar "
              "(right). Tab moves between fields; Ctrl+S books; Esc goes back without booking.")
    BINDINGS = [
        Binding("escape", "cancel", N_("Back"), id="booking-cancel"),
        Binding("ctrl+s", "save", N_("Book"), id="booking-save"),
        Binding("f5", "reload_slots", N_("Refresh slots"), id="booking-refresh"),
    ]

    def __init__(self, customer: triage_svc.CustomerFacts, topic: topics_svc.TopicInfo,
                 decision: triage_svc.Decision) -> None:
        super().__init__()
        self.customer = customer
        self.topic = topic
        self.decision = decision
        self.analyst: rota_svc.AnalystInfo | None = None
        self.slots: list[bookings_svc.Slot] = []

    def compose(self) -> ComposeResult:
        t = self.topic
        yield Header()
        summary = Text()
        summary.append(_("Book") + ": ", style="dim")
        summary.append(t.label, style="bold")
        summary.append(" · " + self.customer.name)
        yield Static(summary, id="booking-summary")
        with Horizontal(id="booking-body"):
            with VerticalScroll(id="booking-form"):
                yield Field(_("What the session must cover (in detail)"),
                            TextArea(id="needs", tab_behavior="focus", soft_wrap=True), name="needs")
                yield Field(_("Contact who will attend: name"), Input(id="contact_name"), name="contact_name")
                yield Field(_("Contact phone"), Input(self.customer.phone, id="contact_phone"),
                            name="contact_phone")
                yield Field(_("E-mail for the confirmation"), Input(self.customer.email, id="contact_email"),
                            name="contact_email")
                if t.involves_equipment:
                    equipment = [e for e in topics_svc.homologated_equipment() if e.category == t.equipment_kind]
                    makers = sorted({e.manufacturer for e in equipment})
                    models = sorted({e.model for e in equipment})
                    yield Field(_("Equipment manufacturer"),
                                Input(id="equipment_manufacturer",
                                      suggester=SuggestFromList(makers, case_sensitive=False)),
                                name="equipment_manufacturer")
                    yield Field(_("Equipment model"),
                                Input(id="equipment_model", suggester=SuggestFromList(models, case_sensitive=False)),
                                name="equipment_model")
                    yield Static(_("Homologated: type the manufacturer and the model"), id="homologated",
                                 markup=False)
                if t.preconditions:
                    yield Field(_("Preconditions (do them first, then tick)"), Vertical(id="preconditions-box"),
                                name="preconditions")
                if t.is_training:
                    yield Field(_("Webinar"), Checkbox(
                        _("Webinar offered; the customer still needs the session"), id="webinar_offered"),
                        name="webinar_offered")
                yield Field(_("Protocol of the ticket with the answer attached") if t.needs_attachment
                            else _("Existing ticket protocol (empty: open a new ticket)"), Input(id="ticket_protocol"),
                            name="ticket_protocol")
            with Vertical(id="slot-pane"):
                yield Label(_("Analyst of the month"), classes="box-title")
                yield Static(_("Loading…"), id="analyst", markup=False)
                yield Field(_("Free slots (1h30)"), OptionList(id="slots"), name="slot")
                yield Static("", id="slot-chosen", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Book a session")
        if self.topic.preconditions:
            box = self.query_one("#preconditions-box", Vertical)
            box.mount_all([Checkbox(p, id=f"pre-{i}", classes="precondition")
                           for i, p in enumerate(self.topic.preconditions)])
        self.query_one("#needs", TextArea).focus()
        self.load_slots()

    # ------------------------------------------------------------ slots

    def action_reload_slots(self) -> None:
        self.load_slots()

    def load_slots(self, prefer: dt.datetime | None = None) -> None:
        self.call_service("booking-slots", read_slots, self.app.actor,
                          on_answer=lambda answer: self._show_slots(*answer, prefer), quiet=True,
                          on_error=self._no_analyst)

    def _no_analyst(self, exc: AtendeError) -> None:
        self.analyst = None
        self.query_one("#analyst", Static).update(exc.message)
        self.query_one("#slots", OptionList).clear_options()
        self.notify(exc.message, severity="error", timeout=10, markup=False)

    def _show_slots(self, analyst: rota_svc.AnalystInfo, slots: list[bookings_svc.Slot],
                    prefer: dt.datetime | None) -> None:
        self.analyst = analyst
        self.slots = slots
        self.query_one("#analyst", Static).update(f"{analyst.name}\n{analyst.hours}")
        options = self.query_one("#slots", OptionList)
        options.clear_options()
        first_free = None
        for i, s in enumerate(slots):
            if s.free:
                options.add_option(Option(s.label(), id=f"slot-{i}"))
                if first_free is None and (prefer is None or s.start >= prefer):
                    first_free = i
            else:
                prompt = Text(f"{bookings_svc.weekday_short(s.start)} {s.start:%d/%m %H:%M} ", style="dim")
                prompt.append(_("booked"), style="dim italic")
                options.add_option(Option(prompt, id=f"slot-{i}", disabled=True))
        if first_free is not None:
            options.highlighted = first_free
        self._show_chosen()

    @on(OptionList.OptionHighlighted, "#slots")
    def _slot_moved(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_chosen()

    @on(OptionList.OptionSelected, "#slots")
    def _slot_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._show_chosen()

    def chosen_slot(self) -> bookings_svc.Slot | None:
        option = self.query_one("#slots", OptionList).highlighted_option
        if option is None or option.disabled or not option.id:
            return None
        return self.slots[int(option.id.removeprefix("slot-"))]

    def _show_chosen(self) -> None:
        slot = self.chosen_slot()
        self.query_one("#slot-chosen", Static).update(
            "→ " + slot.label() if slot else _("No slot chosen"))

    # ------------------------------------------------------------ equipment

    @on(Input.Changed, "#equipment_manufacturer")
    @on(Input.Changed, "#equipment_model")
    def _equipment_typed(self, event: Input.Changed) -> None:
        maker = self.query_one("#equipment_manufacturer", Input).value
        model = self.query_one("#equipment_model", Input).value
        status = self.query_one("#homologated", Static)
        if not maker.strip() or not model.strip():
            status.update(_("Homologated: type the manufacturer and the model"))
            status.set_class(False, "-bad")
            return
        entry = topics_svc.find_homologated(maker, model)
        wrong = entry is not None and entry.category != self.topic.equipment_kind
        if wrong:
            status.update(topics_svc.wrong_kind(entry, self.topic))
        elif entry:
            status.update(_("Homologated: yes ({manufacturer} {model})").format(
                manufacturer=entry.manufacturer, model=entry.model))
        else:
            status.update(_("Homologated: no. Support handles non-homologated equipment; no booking."))
        status.set_class(entry is None or wrong, "-bad")
        status.scroll_visible(animate=False)

    # ------------------------------------------------------------ saving

    def request(self) -> bookings_svc.BookingRequest:
        def value(widget_id: str) -> str:
            found = self.query(f"#{widget_id}")
            return found.first(Input).value if found else ""

        slot = self.chosen_slot()
        done = tuple(self.topic.preconditions[int(cb.id.removeprefix("pre-"))]
                     for cb in self.query(".precondition").results(Checkbox) if cb.value)
        webinar = self.query("#webinar_offered")
        return bookings_svc.BookingRequest(
            customer_id=self.customer.id, topic_key=self.topic.key, start=slot.start if slot else None,
            needs=self.query_one("#needs", TextArea).text, contact_name=value("contact_name"),
            contact_phone=value("contact_phone"), contact_email=value("contact_email"),
            equipment_manufacturer=value("equipment_manufacturer"), equipment_model=value("equipment_model"),
            preconditions_done=done, webinar_offered=bool(webinar and webinar.first(Checkbox).value),
            ticket_protocol=value("ticket_protocol"),
        )

    def action_save(self) -> None:
        if self.service_running("booking-save"):
            return  # Ctrl+S again while the booking is written books once
        clear_errors(self)
        self.call_service("booking-save", bookings_svc.book, self.app.actor, self.request(), on_answer=self._booked,
                          quiet=True, on_error=self._refused, write=True)

    def _refused(self, exc: AtendeError) -> None:
        if isinstance(exc, bookings_svc.SlotTaken):
            self._slot_taken(exc)
        elif isinstance(exc, ValidationError):
            # under the fields shown; one line too when some of them are not on the form
            if not show_errors(self, exc.errors) or set(exc.errors) - {f.field_name for f in self.query(Field)}:
                self.notify(exc.message, severity="error", timeout=10, markup=False)
        else:
            self.notify(exc.message, severity="error", timeout=10, markup=False)

    def _slot_taken(self, exc: bookings_svc.SlotTaken) -> None:
        show_errors(self, {"slot": exc.message})
        self.notify(exc.message, severity="warning", timeout=10, markup=False)
        prefer = exc.alternatives[0].start if exc.alternatives else None
        self.load_slots(prefer)
        self.query_one("#slots", OptionList).focus()

    def _booked(self, result: bookings_svc.BookingResult) -> None:
        b = result.booking
        body = result.confirmation + "\n" + _("Ticket {protocol}{new}. Confirmation e-mail with the invitation "
                                              "queued to {email}.").format(
            protocol=b.protocol, new=" " + _("(new)") if result.new_ticket else "", email=b.contact_email)
        self.app.push_screen(BookedDialog(_("Session booked"), body), lambda _r: self.dismiss(result))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def palette_commands(self):
        yield PaletteCommand(_("Book"), _("Save the booking"), self.action_save)
        yield PaletteCommand(_("Refresh slots"), _("Read the analyst's calendar again"), self.action_reload_slots)
