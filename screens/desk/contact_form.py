"""Add or edit a contact (Novo Contato), with its extra fields edited in place."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select

from services.core.i18n import N_, _
from services.customers import contacts as contacts_svc
from tui.dialogs import FormDialog
from tui.forms import Field, PlainSelect


class WideForm(FormDialog):
    """A dialog of fields in a scroll, two to a row where they fit (the
    contact form, registering a caller)."""

    DEFAULT_CSS = """
    WideForm { align: center middle; }
    WideForm > VerticalScroll { width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    WideForm #form-title { text-style: bold; padding: 1 0 0 0; }
    WideForm Field { margin-bottom: 0; }
    WideForm .form-row { height: auto; }
    WideForm .form-row Field { width: 1fr; margin-right: 1; }
    """


class ContactForm(WideForm):
    DEFAULT_CSS = """
    ContactForm #extras { height: auto; }
    """
    SAVE_LABEL = N_("Save (Ctrl+S)")

    def __init__(self, customer_id: int, contact: contacts_svc.ContactInfo | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.contact = contact

    def compose(self) -> ComposeResult:
        c = self.contact
        with VerticalScroll(can_focus=False):  # no focus stop of its own: Tab goes field to field
            yield Label(_("Edit contact") if c else _("New contact"), id="form-title")
            yield Field(_("Name *"), Input(c.name if c else "", id="name", max_length=200), name="name")
            with Horizontal(classes="form-row"):
                yield Field(_("Phone (or e-mail) *"), Input(c.phone if c else "", id="phone", max_length=32),
                            name="phone")
                yield Field(_("E-mail (or phone) *"), Input(c.email if c else "", id="email", max_length=254),
                            name="email")
            with Horizontal(classes="form-row"):
                yield Field(_("CPF"), Input(c.doc if c else "", id="doc", max_length=18), name="doc")
                yield Field(_("Position"), Input(c.position if c else "", id="position", max_length=120),
                            name="position")
            yield Label(_("Extra fields"), classes="box-title", id="extras-title")
            yield VerticalScroll(id="extras", can_focus=False)
            yield self.buttons()

    def on_mount(self) -> None:
        self.query_one("#name").focus()
        self.load_fields()

    def load_fields(self) -> None:
        """The extra fields to edit; a refusal shows the form without them."""
        self.call_service("contact-fields", contacts_svc.extra_fields, self.app.actor, on_answer=self._fields,
                          quiet=True, on_error=lambda _exc: self._fields([]))

    def _fields(self, fields: list[contacts_svc.ExtraFieldInfo]) -> None:
        self.fields = fields
        values = dict(self.contact.extras) if self.contact else {}
        box = self.query_one("#extras", VerticalScroll)
        if not fields:
            self.query_one("#extras-title", Label).display = False
            box.display = False
            return
        widgets = []
        for f in fields:
            value = values.get(f.id, "")
            label = f.label + (" *" if f.required else "")
            if f.type == "choice":
                widget = PlainSelect([(c, c) for c in f.choices], prompt=_("Choose"), id=f"extra-{f.id}",
                                     value=value if value in f.choices else Select.NULL)
            elif f.type == "number":
                widget = Input(value, id=f"extra-{f.id}", type="number")
            elif f.type == "date":
                widget = Input(value, id=f"extra-{f.id}", placeholder=_("DD/MM/YYYY"))
            else:
                widget = Input(value, id=f"extra-{f.id}", max_length=500)
            widgets.append(Field(label, widget, name=f"extra_{f.id}"))
        box.mount_all(widgets)

    def submit(self):
        extras = {}
        for f in getattr(self, "fields", []):
            value = self.query_one(f"#extra-{f.id}").value
            extras[f.id] = "" if value is Select.NULL else str(value)
        value = {key: self.query_one(f"#{key}", Input).value for key in ("name", "phone", "email", "position", "doc")}
        actor, customer_id, contact_id = self.app.actor, self.customer_id, self.contact.id if self.contact else None
        return lambda: contacts_svc.save_contact(actor, customer_id, contact_id, extras=extras, **value)
