"""Register a caller nobody found (a new customer or prospect) from the
wizard's lookup: a short form, validated as everywhere, and the wizard goes
on with them chosen."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from screens.desk.contact_form import WideForm
from services.core.i18n import N_, _
from services.customers import lookup as customers
from services.customers import registration
from tui.forms import Field

PREFILLED = ("name", "doc", "phone", "email")
"""The lookup's text goes to the field it was read as (a CPF typed goes to CPF/CNPJ)."""


class CallerForm(WideForm):
    DEFAULT_CSS = """
    CallerForm RadioSet { layout: horizontal; }
    """
    SAVE_LABEL = N_("Register (Ctrl+S)")

    def __init__(self, kind: str, typed: str = "") -> None:
        super().__init__()
        self.kind = kind if kind in registration.KINDS else "customer"
        self.typed = typed

    def compose(self) -> ComposeResult:
        guessed = customers.guess_field(self.typed) if self.typed.strip() else ""
        start = {key: (self.typed.strip() if key == guessed else "") for key in PREFILLED}
        with VerticalScroll(can_focus=False):
            yield Label(_("Register the caller"), id="form-title")
            yield Field(_("Register as"), RadioSet(
                RadioButton(_("Customer"), id="caller-customer", value=self.kind == "customer"),
                RadioButton(_("Prospect"), id="caller-prospect", value=self.kind == "prospect"),
                id="caller-kind"), name="kind")
            yield Field(_("Name *"), Input(start["name"], id="name", max_length=200), name="name")
            with Horizontal(classes="form-row"):
                yield Field(_("CPF/CNPJ (* for a customer)"), Input(start["doc"], id="doc", max_length=18),
                            name="doc")
                yield Field(_("City"), Input("", id="city", max_length=registration.MAX_CITY), name="city")
            with Horizontal(classes="form-row"):
                yield Field(_("Phone (or e-mail) *"), Input(start["phone"], id="phone", max_length=32),
                            name="phone")
                yield Field(_("E-mail (or phone) *"), Input(start["email"], id="email", max_length=254),
                            name="email")
            yield Static(_("The caller becomes this customer's first contact."), classes="muted", markup=False)
            yield self.buttons()

    def on_mount(self) -> None:
        empty = next((i for i in self.query(Input) if not i.value), None)
        (empty or self.query_one("#name", Input)).focus()

    def submit(self):
        pressed = self.query_one("#caller-kind", RadioSet).pressed_button
        kind = pressed.id.removeprefix("caller-") if pressed is not None and pressed.id else self.kind
        values = {key: self.query_one(f"#{key}", Input).value for key in ("name", "doc", "phone", "email", "city")}
        actor = self.app.actor
        return lambda: registration.register(actor, kind=kind, **values)
