"""The wizard's first steps, who the ticket is about: its kind (with the
protocol to read to the customer), the customer or access point looked up,
and the contact who is calling."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Digits, Input, Label, RadioButton, RadioSet, Static

from screens.desk.caller_form import CallerForm
from screens.desk.contact_form import ContactForm
from screens.desk.wizard.step import Step, text_cell
from services.core.i18n import N_, _
from services.customers import contacts as contacts_svc
from services.customers import registration
from services.customers.lookup import ACCOUNT_STATUSES, format_doc
from services.tickets.wizard import draft as wizard_draft
from tui.customer_lookup import CustomerLookup
from tui.dialogs import ConfirmDialog
from tui.forms import Field
from tui.keys import focus_now
from tui.table import Table

# ----------------------------------------------------------------------------- kind


class KindStep(Step):
    step_id = "kind"

    def compose(self) -> ComposeResult:
        yield Label(_("Protocol: read it to the customer now"), classes="muted")
        yield Digits("", id="protocol-digits")
        with Field(_("This ticket is for"), RadioSet(
                RadioButton(_("Customer"), id="kind-customer"), RadioButton(_("Prospect"), id="kind-prospect"),
                RadioButton(_("Access point"), id="kind-access_point"), id="kind-set"), name="kind"):
            pass
        yield Static(_("Ctrl+N goes to the next step; Esc leaves (keep the draft or abandon)."), classes="muted",
                     markup=False)

    def load(self, d: wizard_draft.Draft) -> None:
        self.query_one("#protocol-digits", Digits).update(d.protocol)
        self.query_one(f"#kind-{d.kind}", RadioButton).value = True

    def collect(self, d: wizard_draft.Draft) -> wizard_draft.Draft:
        pressed = self.query_one("#kind-set", RadioSet).pressed_button
        if pressed is not None and pressed.id:
            return wizard_draft.update(d, kind=pressed.id.removeprefix("kind-"))
        return d

    def entered(self) -> None:
        focus_now(self.query_one("#kind-set", RadioSet))


# ----------------------------------------------------------------------------- lookup


FIND_LABELS = {"customer": N_("Find the customer: type, then Enter on a result"),
               "prospect": N_("Find the prospect: type, then Enter on a result"),
               "access_point": N_("Find the access point: type, then Enter on a result")}


class LookupStep(Step):
    step_id = "lookup"
    BINDINGS = [Binding("f2", "register", N_("New caller"), id="wizard-register")]

    def compose(self) -> ComposeResult:
        yield Label("", id="lookup-chosen", markup=False)
        with Field(_(FIND_LABELS["customer"]), CustomerLookup(id="wizard-lookup"),
                   name="lookup"):
            pass

    def load(self, d: wizard_draft.Draft) -> None:
        lookup = self.query_one(CustomerLookup)
        if lookup.kind != d.kind:
            lookup.kind = d.kind
        chosen = d.access_point_name if d.kind == "access_point" else d.customer_name
        self.query_one("Field > .field-label", Label).update(_(FIND_LABELS.get(d.kind, FIND_LABELS["customer"])))
        self.query_one("#lookup-chosen", Label).update(
            _("Chosen: {name}").format(name=chosen) if chosen else _("Nobody chosen yet"))
        typed = self.query_one("#lookup-text", Input)
        if d.lookup_text and not chosen and not typed.value:  # a call's number: its search runs at once
            typed.value = d.lookup_text

    def entered(self) -> None:
        lookup = self.query_one(CustomerLookup)
        focus_now(lookup.query_one("#lookup-text", Input))
        if lookup.kind != self.wiz.draft.kind:
            lookup.set_kind(self.wiz.draft.kind)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "register":
            return self.wiz.draft.kind != "access_point"
        return True

    def action_register(self) -> None:
        """Nobody (or not the right one) found: register the caller, and go on with them."""
        def done(got: registration.Registered | None) -> None:
            if got is None:
                return
            self.wiz.draft = wizard_draft.update(self.wiz.draft, kind=got.customer.kind, customer_id=got.customer.id,
                                                 customer_name=got.customer.name, contact_id=got.contact_id,
                                                 contact_name=got.customer.name)
            self.notify(_("{name} registered.").format(name=got.customer.name), markup=False)
            self.load(self.wiz.draft)
            self.wiz.action_next()

        typed = self.query_one("#lookup-text", Input).value
        self.app.push_screen(CallerForm(self.wiz.draft.kind, typed), done)

    @on(CustomerLookup.Selected)
    def _chosen(self, event: CustomerLookup.Selected) -> None:
        hit = event.hit
        d = self.wiz.draft
        if d.kind == "access_point":
            d = wizard_draft.update(d, access_point_id=hit.id, access_point_name=hit.name)
        else:
            d = wizard_draft.update(d, customer_id=hit.id, customer_name=hit.name)
        self.wiz.draft = d
        self.load(d)
        self.wiz.action_next()


# ----------------------------------------------------------------------------- customer and contact


class CustomerStep(Step):
    step_id = "customer"
    BINDINGS = [
        Binding("a", "add_contact", N_("Add contact"), id="wizard-contact-add"),
        Binding("e", "edit_contact", N_("Edit contact"), id="wizard-contact-edit"),
        Binding("delete", "delete_contact", N_("Delete contact"), id="wizard-contact-delete"),
    ]

    details: contacts_svc.CustomerDetails | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="customer-info", markup=False)
        table = Table(cursor_type="row", zebra_stripes=True, id="contacts")
        table.add_columns(_("Contact"), _("Phone"), _("E-mail"), _("Position"))
        with Field(_("Who is calling? Enter chooses; a adds, e edits, Del deletes"), table, name="contact"):
            pass
        yield Static("", id="contact-info", markup=False)

    def load(self, d: wizard_draft.Draft) -> None:
        if d.customer_id and (self.details is None or self.details.id != d.customer_id):
            self.fetch(d.customer_id)
        self._show_chosen(d)

    def entered(self) -> None:
        focus_now(self.query_one("#contacts", DataTable))
        if self.wiz.draft.customer_id:
            self.fetch(self.wiz.draft.customer_id)

    def fetch(self, customer_id: int) -> None:
        """The customer, its contacts and the contacts' extra fields."""
        actor = self.app.actor

        def read() -> tuple[contacts_svc.CustomerDetails, list]:
            return contacts_svc.details(actor, customer_id), contacts_svc.extra_fields(actor)

        self.call_service("wizard-customer", read, on_answer=lambda got: self._show(*got))

    def _show(self, details: contacts_svc.CustomerDetails, fields: list) -> None:
        self.details = details
        self.fields = fields
        self.wiz.customer_details = details
        self.wiz.update_promo()
        status = _(ACCOUNT_STATUSES.get(details.account_status, details.account_status))
        info = Text()
        info.append(details.name + "\n", style="bold")
        info.append(f"{format_doc(details.doc)}  ·  {details.phone}  ·  {details.email}\n")
        place = "/".join(x for x in (details.city, details.state) if x)
        if details.address or place:
            info.append(f"{details.address}  {place}".strip() + "\n")
        info.append(_("Contract {contract} · {status}").format(contract=details.contract or "-", status=status))
        self.query_one("#customer-info", Static).update(info)
        table = self.query_one("#contacts", DataTable)
        table.clear()
        for c in details.contacts:
            table.add_row(text_cell(c.name), text_cell(c.phone), text_cell(c.email), text_cell(c.position),
                          key=str(c.id))
        chosen = self.wiz.draft.contact_id
        for i, c in enumerate(details.contacts):
            if c.id == chosen:
                table.move_cursor(row=i)
        self._show_chosen(self.wiz.draft)

    def _show_chosen(self, d: wizard_draft.Draft) -> None:
        text = Text()
        if d.contact_id and self.details:
            contact = next((c for c in self.details.contacts if c.id == d.contact_id), None)
            if contact:
                text.append(_("Calling: {name}").format(name=contact.name) + "\n", style="bold")
                names = {f.id: f.label for f in getattr(self, "fields", [])}
                for field_id, value in contact.extras:
                    text.append(f"{names.get(field_id, field_id)}: {value}\n")
        elif d.contact_name:
            text.append(_("Calling: {name}").format(name=d.contact_name), style="bold")
        self.query_one("#contact-info", Static).update(text)

    def _selected(self) -> contacts_svc.ContactInfo | None:
        table = self.query_one("#contacts", DataTable)
        if not table.row_count or self.details is None:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((c for c in self.details.contacts if str(c.id) == key), None)

    @on(DataTable.RowSelected, "#contacts")
    def _choose(self, event: DataTable.RowSelected) -> None:
        event.stop()
        contact = self._selected()
        if contact:
            self.wiz.draft = wizard_draft.update(self.wiz.draft, contact_id=contact.id, contact_name=contact.name)
            self.wiz.update_promo()
            self._show_chosen(self.wiz.draft)
            self.wiz.action_next()

    def action_add_contact(self) -> None:
        self._form(None)

    def action_edit_contact(self) -> None:
        contact = self._selected()
        if contact:
            self._form(contact)

    def _form(self, contact: contacts_svc.ContactInfo | None) -> None:
        if not self.wiz.draft.customer_id:
            return

        def done(saved: contacts_svc.ContactInfo | None) -> None:
            if saved:
                self.wiz.draft = wizard_draft.update(self.wiz.draft, contact_id=saved.id, contact_name=saved.name)
                self.wiz.update_promo()
                self.wiz.schedule_save()
                self.fetch(self.wiz.draft.customer_id)

        self.app.push_screen(ContactForm(self.wiz.draft.customer_id, contact), done)

    def action_delete_contact(self) -> None:
        contact = self._selected()
        if not contact:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.call_service("wizard-delete-contact", contacts_svc.delete_contact, self.app.actor, contact.id,
                                  on_answer=lambda _none: self._contact_deleted(contact.id), write=True)

        self.app.push_screen(ConfirmDialog(_("Delete the contact {name}?").format(name=contact.name)), confirmed)

    def _contact_deleted(self, contact_id: int) -> None:
        if self.wiz.draft.contact_id == contact_id:
            self.wiz.draft = wizard_draft.update(self.wiz.draft, contact_id=None, contact_name="")
            self.wiz.update_promo()
        self.fetch(self.wiz.draft.customer_id)

