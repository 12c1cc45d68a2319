"""The dialogs of an event's screen: registering a participant, asking for a
file path (a CSV to import, a material to attach, a CPF to correct), and
choosing a registration's stage."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from services.core.errors import ValidationError
from services.core.i18n import N_, _
from services.events import queries
from services.events import registrations as er
from tui.base import AtendeModal
from tui.dialogs import FormDialog
from tui.forms import Field


class RegistrationForm(FormDialog["er.RegisterResult | None"]):
    """Register one participant (a phone registration, say). Consent is asked
    explicitly: without it nothing is saved."""

    SAVE_LABEL = N_("Register")

    def __init__(self, event: queries.EventInfo) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(_("Register in: {event}").format(event=self.event.description), classes="box-title",
                        markup=False)
            with Horizontal(classes="form-row"):
                yield Field(_("Name"), Input(id="name"), name="name")
                yield Field(_("E-mail"), Input(id="email"), name="email")
            with Horizontal(classes="form-row"):
                yield Field(_("Phone"), Input(id="phone"), name="phone")
                yield Field(_("CPF (for the certificate)"), Input(id="cpf"), name="cpf")
            yield Field(_("Company"), Input(id="company"), name="company")
            yield Field(_("Consent"), Checkbox(_("The participant agrees to the processing of their personal data"),
                                               id="consent"), name="consent")
            yield self.buttons()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def submit(self):
        data = er.RegistrationInput(**{k: self.query_one(f"#{k}", Input).value
                                       for k in ("name", "email", "phone", "cpf", "company")},
                                    consent=self.query_one("#consent", Checkbox).value)
        return lambda: er.register(self.app.actor, self.event.id, data)


class PathDialog(AtendeModal["str | None"]):
    """Ask for a file path (CSV to import, material to attach)."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, title: str, label: str, about: str = "", empty: str = "", check=None) -> None:
        super().__init__()
        self.empty = empty
        self.check = check
        """Optional `check(value)` raising ValidationError: shown under the field, the value kept."""
        self.title_text = title
        self.label = label
        self.about = about

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="box-title", markup=False)
            if self.about:
                yield Static(self.about, classes="muted", markup=False)
            yield Field(self.label, Input(id="path"), name="path")
            with Horizontal(classes="form-buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("OK"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._done() if event.button.id == "ok" else self.action_cancel()

    def _done(self) -> None:
        value = self.query_one(Input).value.strip()
        if not value:
            self.query_one(Field).set_error(self.empty or _("Give the path of the file"))
            return
        if self.check is not None:
            try:
                self.check(value)
            except ValidationError as exc:
                self.query_one(Field).set_error(exc.message)
                return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class StageDialog(AtendeModal["str | None"]):
    """Choose a registration's stage (a correction by hand)."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, registration: er.RegistrationInfo) -> None:
        super().__init__()
        self.registration = registration

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(_("Stage of {name}").format(name=self.registration.name), classes="box-title", markup=False)
            yield OptionList(*[Option(er.registration_stage_label(s), id=s) for s in er.STAGE_LABELS], id="stages")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = list(er.STAGE_LABELS).index(self.registration.stage)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
