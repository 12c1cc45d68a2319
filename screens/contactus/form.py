"""New contact (Novo contato): a representative writes to us. The form asks for
a sub-classification or a form of contact depending on the system's mode."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Select, Static, TextArea

from services.contactus import catalogue, company_contacts
from services.core.errors import AtendeError, ValidationError
from services.core.i18n import N_, _
from tui.base import AtendeScreen
from tui.dialogs import ThreadedSave
from tui.forms import Field, PlainSelect, show_errors


def read_choices(actor) -> tuple[str, list[catalogue.Item], list[catalogue.Item], list[catalogue.Item]]:
    """The mode, and what the form offers in it: classifications, and
    sub-classifications (mode Central) or forms of contact (mode CRM)."""
    mode = catalogue.mode()
    classes = catalogue.classifications(actor)
    subs = catalogue.subclassifications(actor) if mode == catalogue.CENTRAL else []
    forms = catalogue.forms(actor) if mode == catalogue.CRM else []
    return mode, classes, subs, forms


class NewContactScreen(ThreadedSave, AtendeScreen):
    HELP = N_("Write a new contact. Choose the classification and then the sub-classification or the form "
              "of contact, say who we should talk to, and write your message; a file may go with it "
              "(type its path). Ctrl+S sends; Esc goes back without sending.")
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Send"), id="cu-send", priority=True),
        Binding("escape", "cancel", N_("Back")),
    ]

    INVALID_NOTICE = N_("Some fields need attention; see the messages under them.")

    def __init__(self) -> None:
        super().__init__()
        self.mode = catalogue.CENTRAL
        self.subs: list[catalogue.Item] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="cu-form"):
            yield Static("", id="cu-mode", markup=False)
            yield Field(_("Classification"), PlainSelect([], prompt=_("Choose..."), id="cu-classification"),
                        name="classification")
            yield Field(_("Sub-classification"), PlainSelect([], prompt=_("Choose..."), id="cu-sub"),
                        name="subclassification", id="cu-sub-field")
            yield Field(_("Form of contact"), PlainSelect([], prompt=_("Choose..."), id="cu-form-of-contact"),
                        name="form", id="cu-form-field")
            yield Field(_("Contact person"), Input(id="cu-name"), name="contact_name")
            yield Field(_("Phone"), Input(id="cu-phone", placeholder="(11) 91234-5678"), name="phone")
            yield Field(_("E-mail"), Input(id="cu-email"), name="email")
            yield Field(_("Message"), TextArea(id="cu-message"), name="message")
            yield Field(_("Attachment (path of a file, optional)"), Input(id="cu-attachment"), name="attachment")
            with Horizontal(id="cu-form-buttons"):
                yield Button(_("Send (Ctrl+S)"), id="cu-send-button", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Contact us")
        self.sub_title = _("New contact")
        self.query_one("#cu-classification", Select).focus()
        self.load()

    def load(self) -> None:
        self.call_service("contactus-form", read_choices, self.app.actor, on_answer=lambda answer: self._fill(*answer))

    def _fill(self, mode: str, classes, subs, forms) -> None:
        """Show the choices of `mode`; what was chosen and still offered stays chosen."""
        self.mode = mode
        self.subs = subs
        self.query_one("#cu-mode", Static).update(catalogue.mode_label(mode))
        select = self.query_one("#cu-classification", Select)
        chosen = select.value
        select.set_options([(c.name, c.id) for c in classes])
        if any(c.id == chosen for c in classes):
            select.value = chosen
        self.query_one("#cu-sub-field").display = mode == catalogue.CENTRAL
        self.query_one("#cu-form-field").display = mode == catalogue.CRM
        self.query_one("#cu-form-of-contact", Select).set_options([(f.name, f.id) for f in forms])
        self._fill_subs()
        errors, self.pending_errors = self.pending_errors, None
        if errors:  # the refused send, now under the field this mode shows
            show_errors(self, errors)
            self.notify(_("Contact us now asks for {what}: choose it and send again.").format(
                what=_("the sub-classification") if mode == catalogue.CENTRAL else _("the form of contact")),
                severity="warning", markup=False)

    pending_errors: dict | None = None

    def report(self, exc: AtendeError) -> None:
        """A send refused because the mode changed while the form was open
        (an admin switched Central/CRM): the form shows the new mode's field,
        with the message under it, instead of an error under a hidden field."""
        hidden = "form" if self.mode == catalogue.CENTRAL else "subclassification"
        if isinstance(exc, ValidationError) and hidden in exc.errors:
            self.pending_errors = exc.errors
            self.load()
            return
        super().report(exc)

    def _fill_subs(self) -> None:
        chosen = self.query_one("#cu-classification", Select).value
        options = [(s.name, s.id) for s in self.subs if s.parent_id == chosen]
        self.query_one("#cu-sub", Select).set_options(options)

    @on(Select.Changed, "#cu-classification")
    def _classification_changed(self) -> None:
        self._fill_subs()

    def _value(self, selector: str) -> int | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, int) else None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cu-send-button":
            self.action_save()

    def submit(self):
        contact = company_contacts.NewContact(
            classification_id=self._value("#cu-classification"),
            subclassification_id=self._value("#cu-sub"),
            form_id=self._value("#cu-form-of-contact"),
            contact_name=self.query_one("#cu-name", Input).value,
            phone=self.query_one("#cu-phone", Input).value,
            email=self.query_one("#cu-email", Input).value,
            message=self.query_one("#cu-message", TextArea).text,
            attachment=self.query_one("#cu-attachment", Input).value)
        actor, fmt = self.app.actor, self.app.config.protocol_format
        return lambda: company_contacts.open_contact(actor, contact, fmt=fmt)

    def action_cancel(self) -> None:
        self.dismiss(None)
