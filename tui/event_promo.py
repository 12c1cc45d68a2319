"""Upcoming public events with free seats, for the service desk to offer
while a customer is on the line; one key registers the current contact.

The wizard mounts an `EventPromo`, calls `set_contact(...)` when the contact
changes, and either lets the widget register (it asks the agent to confirm
the contact's consent, then calls the service) or passes `on_register` to
do it itself. Either way an `EventPromo.Registered` message is posted.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from services.core.i18n import N_, _
from services.events import queries, stages
from services.events import registrations as er

from .base import WorkerErrors


def upcoming_or_none(actor, limit: int, email: str = "") -> list[queries.EventInfo]:
    """The upcoming public events with seats that `email` is not registered
    in yet; none when they cannot be read (the promotion is optional: the
    failure is logged, the desk goes on)."""
    try:
        return queries.upcoming_public_events_with_seats(actor, limit, for_email=email)
    except Exception as exc:  # noqa: BLE001 (logged when unexpected)
        stages.error_text(exc)
        return []


@dataclass(frozen=True)
class PromoContact:
    name: str
    email: str
    phone: str = ""
    cpf: str = ""
    company: str = ""


class EventPromo(WorkerErrors, Vertical):
    """A short list of events the current contact could join."""

    DEFAULT_CSS = """
    EventPromo { height: auto; max-height: 12; border: round $accent; padding: 0 1; }
    EventPromo > .promo-title { color: $accent; text-style: bold; }
    EventPromo > OptionList { height: auto; max-height: 8; border: none; background: $surface; }
    EventPromo > .promo-empty { color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+g", "register", N_("Register contact in event"), id="promo-register"),
    ]

    class Registered(Message):
        """The contact was registered (or put on the waiting list)."""

        def __init__(self, promo: EventPromo, event: queries.EventInfo, result: er.RegisterResult) -> None:
            super().__init__()
            self.promo = promo
            self.event = event
            self.result = result

    def __init__(self, *, limit: int = 3, on_register: Callable[[queries.EventInfo, PromoContact], None] | None = None,
                 ask_consent: bool = True, hide_when_empty: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.limit = limit
        self.hide_when_empty = hide_when_empty
        """Take no space at all while there is no contact or no event to offer."""
        self.on_register = on_register
        self.ask_consent = ask_consent
        self.contact: PromoContact | None = None
        self.events: list[queries.EventInfo] = []

    def compose(self) -> ComposeResult:
        yield Label(_("Upcoming events with seats"), classes="promo-title")
        yield OptionList(id="promo-events")
        yield Label(_("No public event with free seats right now."), classes="promo-empty")

    def on_mount(self) -> None:
        self._fit()
        self.refresh_events()

    def set_contact(self, name: str, email: str, phone: str = "", cpf: str = "", company: str = "") -> None:
        """The contact the agent is talking to (None-like values clear it)."""
        before = self.contact.email if self.contact else ""
        self.contact = PromoContact(name or "", email or "", phone or "", cpf or "", company or "") \
            if (name or email) else None
        self._fit()
        if (email or "") != before and self.is_mounted:
            self.refresh_events()  # never offer an event they are already in

    @property
    def offering(self) -> bool:
        """There is a contact and at least one event to offer."""
        return self.contact is not None and bool(self.events)

    def _fit(self) -> None:
        if self.hide_when_empty:
            shown = self.offering
            if self.display != shown:
                self.display = shown
                if self.is_attached:
                    self.screen.refresh_bindings()

    def refresh_events(self) -> None:
        email = self.contact.email if self.contact else ""
        self.call_service("event-promo", upcoming_or_none, self.app.actor, self.limit, email, on_answer=self._show)

    def _show(self, events: list[queries.EventInfo]) -> None:
        self.events = events
        options = self.query_one(OptionList)
        options.set_options([Option(self._line(e), id=str(e.id)) for e in events])
        if events:
            options.highlighted = 0
        options.display = bool(events)
        self.query_one(".promo-empty").display = not events
        self._fit()

    @staticmethod
    def _line(e: queries.EventInfo) -> Text:
        text = Text()
        text.append(f"{e.starts_at:%d/%m %H:%M} ", style="bold")
        text.append(e.description)
        free = _("{n} seats left").format(n=e.free_seats) if e.free_seats is not None else _("open seats")
        text.append(f"  · {stages.format_label(e.format)} · {free}", style="dim")
        return text

    def selected(self) -> queries.EventInfo | None:
        option = self.query_one(OptionList).highlighted_option
        if option is None:
            return self.events[0] if self.events else None
        return next((e for e in self.events if str(e.id) == option.id), None)

    def action_register(self) -> None:
        """Register the current contact in the highlighted event."""
        event = self.selected()
        if event is None:
            self.notify(_("No event to register in"), severity="warning", markup=False)
            return
        contact = self.contact
        if contact is None or not contact.email:
            self.notify(_("The contact needs a name and an e-mail to register"), severity="warning", markup=False)
            return
        if self.on_register is not None:
            self.on_register(event, contact)
            return
        if not self.ask_consent:
            self._register(event, contact)
            return
        from .dialogs import ConfirmDialog

        self.app.push_screen(ConfirmDialog(
            _("Register {name} in {event}? Ask first: do they agree to the processing of their personal "
              "data for this event?").format(name=contact.name, event=event.description),
            yes=_("They agree"), no=_("Cancel")),
            lambda yes: self._register(event, contact) if yes else None)

    def _register(self, event: queries.EventInfo, contact: PromoContact) -> None:
        actor = self.app.actor
        self.call_service("event-promo-register", lambda: er.register(actor, event.id, er.RegistrationInput(
            name=contact.name, email=contact.email, phone=contact.phone, cpf=contact.cpf,
            company=contact.company, consent=True), source="desk"),
            on_answer=lambda result: self._registered(event, result), write=True)

    def _registered(self, event: queries.EventInfo, result: er.RegisterResult) -> None:
        r = result.registration
        if result.waitlisted:
            self.notify(_("The event is full: {name} is #{n} on the waiting list").format(
                name=r.name, n=r.waitlist_position), severity="warning", markup=False)
        else:
            self.notify(_("{name} registered in {event}, code {code}").format(
                name=r.name, event=event.description, code=r.code), markup=False)
        self.post_message(self.Registered(self, event, result))
        self.refresh_events()
