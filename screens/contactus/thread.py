"""One of the company's contacts, as the representative sees it: what they
chose, their message and the answers (public messages only), and a key to add
a message."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Header, Static

from services.contactus import company_contacts
from services.core.errors import AtendeError, ValidationError
from services.core.i18n import N_, _
from tui.base import AtendeScreen
from tui.dialogs import WriteDialog
from tui.live import LiveScreen


class ContactMessageDialog(WriteDialog):
    """Write a message to add to the contact; Ctrl+S sends, Esc cancels."""

    BINDINGS = [Binding("ctrl+s", "save", N_("Send"))]
    HINT = N_("Ctrl+S sends; Esc cancels.")

    def __init__(self, text: str = "", errors: dict[str, str] | None = None) -> None:
        super().__init__(_("Add a message to this contact"), text, errors)


class ContactThreadScreen(LiveScreen, AtendeScreen):
    PRESENCE_NAME = N_("Contact us")
    FAILURE_STATUS = {"contactus-thread": "#cu-thread-head"}
    HELP = N_("One of your company's contacts: what you chose, your message and our answers, oldest first. "
              "M adds a message; R reloads to see new answers; Esc goes back.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("m", "message", N_("Add message"), id="cu-message"),
        Binding("r", "reload", N_("Reload"), id="cu-thread-reload"),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.contact: company_contacts.ContactDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="cu-thread"):
            yield Static("", id="cu-thread-head", markup=False)
            yield Vertical(id="cu-thread-messages")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Contact us")
        self.query_one("#cu-thread").focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def live_reload(self, topics: frozenset[str]) -> None:
        """An agent answered or changed a contact: read it again."""
        self.load()

    def load(self) -> None:
        # _show awaits its widgets: it runs as the screen's next message, after any earlier one
        self.call_service("contactus-thread", company_contacts.detail, self.app.actor, self.ticket_id,
                          on_answer=lambda contact: self.call_later(self._show, contact), quiet=True,
                          on_error=lambda exc: self._failed(exc.message))

    def _failed(self, message: str) -> None:
        self.notify(message, severity="error", markup=False)
        self.query_one("#cu-thread-head", Static).update(message)

    async def _show(self, c: company_contacts.ContactDetail) -> None:
        self.contact = c
        self.sub_title = _("Contact {protocol}").format(protocol=c.protocol)
        head = Text()
        head.append(_("Protocol {protocol}").format(protocol=c.protocol), style="bold")
        head.append("  ·  " + c.status_label + "\n", style="dim" if c.finished else "bold")
        head.append(_("Classification") + ": " + c.classification)
        if c.subclassification:
            head.append("  ·  " + _("Sub-classification") + ": " + c.subclassification)
        if c.form:
            head.append("  ·  " + _("Form of contact") + ": " + c.form)
        head.append("\n" + _("Contact person") + f": {c.contact_name} · {c.phone} · {c.email}")
        if c.attachments:
            head.append("\n" + _("Attachments") + ": " + ", ".join(c.attachments))
        self.query_one("#cu-thread-head", Static).update(head)
        box = self.query_one("#cu-thread-messages", Vertical)
        # the old messages are gone before the new ones come: never both on screen at once
        await box.remove_children()
        widgets = []
        for m in c.thread:
            who = _("{name} (your company)").format(name=m.author) if m.from_company else \
                _("{name} (our team)").format(name=m.author)
            title = Text(f"{m.created_at.strftime('%d/%m/%Y %H:%M')}  {who}", style="bold")
            widgets.append(Static(title, classes="cu-msg-title"))
            widgets.append(Static(Text(m.body), classes="cu-msg-body " +
                                  ("cu-from-company" if m.from_company else "cu-from-team")))
        await box.mount_all(widgets)
        self.query_one("#cu-thread", VerticalScroll).scroll_end(animate=False)

    def action_message(self, text: str = "", errors: dict | None = None) -> None:
        def written(body: str | None) -> None:
            if body is not None:
                self.send(body)

        self.app.push_screen(ContactMessageDialog(text, errors), written)

    def send(self, body: str) -> None:
        def refused(exc: AtendeError) -> None:
            if isinstance(exc, ValidationError):  # the dialog again, with what was typed
                self.action_message(body, exc.errors)
            else:
                self.show_refusal(exc)

        self.call_service("contactus-reply", company_contacts.add_message, self.app.actor, self.ticket_id, body,
                          on_answer=lambda _message: self._sent(), quiet=True, on_error=refused, write=True)

    def _sent(self) -> None:
        self.notify(_("Message added."), markup=False)
        self.load()
