"""Add or edit a contact (Novo Contato), with its extra fields edited in place."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select

from services import contacts as contacts_svc
from services.errors import AtendeError, ValidationError
from services.i18n import N_, _
from tui.base import AtendeModal
from tui.forms import Field, clear_errors, show_errors


class ContactForm(AtendeModal[contacts_svc.ContactInfo | None]):
    DEFAULT_CSS = """
    ContactForm { align: center middle; }
    ContactForm > VerticalScroll { width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    ContactForm #form-title { text-style: bold; padding: 1 0 0 0; }
    ContactForm Field { margin-bottom: 0; }
    ContactForm .form-row { height: auto; }
    ContactForm .form-row Field { width: 1fr; margin-right: 1; }
    ContactForm .form-buttons { height: auto; align-horizontal: right; }
    ContactForm #extras { height: auto; }
    ContactForm .form-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("ctrl+s", "save", N_("Save"), priority=True)]

    def __init__(self, customer_id: int, contact: contacts_svc.ContactInfo | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.contact = contact

    def compose(self) -> ComposeResult:
        c = self.contact
        with VerticalScroll():
            yield Label(_("Edit contact") if c else _("New contact"), id="form-title")
            yield Field(_("Name"), Input(c.name if c else "", id="name", max_length=200), name="name")
            with Horizontal(classes="form-row"):
                yield Field(_("Phone"), Input(c.phone if c else "", id="phone", max_length=32), name="phone")
                yield Field(_("E-mail"), Input(c.email if c else "", id="email", max_length=254), name="email")
            with Horizontal(classes="form-row"):
                yield Field(_("CPF"), Input(c.doc if c else "", id="doc", max_length=18), name="doc")
                yield Field(_("Position"), Input(c.position if c else "", id="position", max_length=120),
                            name="position")
            yield Label(_("Extra fields"), classes="box-title", id="extras-title")
            yield VerticalScroll(id="extras")
            with Horizontal(classes="form-buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Save (Ctrl+S)"), id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#name").focus()
        self.load_fields()

    @work(thread=True, exclusive=True, group="contact-fields", exit_on_error=False)
    def load_fields(self) -> None:
        try:
            fields = contacts_svc.extra_fields(self.app.actor)
        except AtendeError:
            fields = []
        self.app.call_from_thread(self._fields, fields)

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
                widget = Select([(c, c) for c in f.choices], prompt=_("Choose"), id=f"extra-{f.id}",
                                value=value if value in f.choices else Select.NULL)
            elif f.type == "number":
                widget = Input(value, id=f"extra-{f.id}", type="number")
            elif f.type == "date":
                widget = Input(value, id=f"extra-{f.id}", placeholder="DD/MM/AAAA")
            else:
                widget = Input(value, id=f"extra-{f.id}", max_length=500)
            widgets.append(Field(label, widget, name=f"extra_{f.id}"))
        box.mount_all(widgets)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        clear_errors(self)
        extras = {}
        for f in getattr(self, "fields", []):
            widget = self.query_one(f"#extra-{f.id}")
            value = widget.value
            extras[f.id] = "" if value is Select.NULL else str(value)
        value = lambda sel: self.query_one(sel, Input).value  # noqa: E731
        try:
            saved = contacts_svc.save_contact(
                self.app.actor, self.customer_id, self.contact.id if self.contact else None,
                name=value("#name"), phone=value("#phone"), email=value("#email"), position=value("#position"),
                doc=value("#doc"), extras=extras)
        except ValidationError as exc:
            if not show_errors(self, exc.errors):
                self.notify(exc.message, severity="error", markup=False)
            return
        except AtendeError as exc:
            self.notify(exc.message, severity="error", markup=False)
            return
        self.dismiss(saved)
