"""The wizard's actions before finishing: attachment, service order (with the
technician's agenda), task and e-mail. Each form receives the draft and
dismisses with the draft that carries the new item (or None)."""
from __future__ import annotations

import dataclasses
import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, SelectionList

from services.core import clock, validation
from services.core.errors import ValidationError
from services.core.i18n import N_, _
from services.customers import contacts as contacts_svc
from services.tickets.wizard import actions as wizard_actions
from services.tickets.wizard import draft as wizard_draft
from services.tickets.wizard import options as wizard_options
from services.tickets.wizard import orders as wizard_orders
from tui.base import AtendeModal
from tui.dialogs import ThreadedSave
from tui.forms import Field, PlainSelect, show_errors
from tui.guarded_text import GuardedTextArea
from tui.table import Table


class ActionForm(ThreadedSave, AtendeModal[wizard_draft.Draft | None]):
    """Common frame: a title, fields, Cancel and Add. Add (ThreadedSave)
    checks the item off the UI thread (its files, the technician's agenda):
    `submit()` reads the fields and returns the call that builds the new draft."""

    DEFAULT_CSS = """
    ActionForm { align: center middle; }
    ActionForm > VerticalScroll { width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    ActionForm .form-title { text-style: bold; padding: 1 0 0 0; }
    ActionForm .form-buttons { height: auto; align-horizontal: right; }
    ActionForm .form-buttons Button { margin-left: 1; }
    ActionForm Field { margin-bottom: 0; }
    ActionForm .form-row { height: auto; }
    ActionForm .form-row Field { width: 1fr; margin-right: 1; }
    ActionForm #agenda { height: auto; max-height: 8; }
    ActionForm GuardedTextArea { height: 5; }
    ActionForm SelectionList { height: auto; max-height: 6; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("ctrl+s", "add", N_("Add"), priority=True)]
    title_text = ""

    def __init__(self, draft: wizard_draft.Draft) -> None:
        super().__init__()
        self.draft = draft

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(self.title_text, classes="form-title", markup=False)
            yield from self.fields()
            with Horizontal(classes="form-buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Add (Ctrl+S)"), id="add", variant="primary")

    def fields(self) -> ComposeResult:
        return iter(())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            self.action_add()
        elif event.button.id == "cancel":
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_add(self) -> None:
        self.action_save()

    def value(self, selector: str):
        widget = self.query_one(selector)
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        if isinstance(widget, GuardedTextArea):
            return widget.text
        return widget.value

    @on(GuardedTextArea.Refused)
    def _refused(self, event: GuardedTextArea.Refused) -> None:
        show_errors(self, {event.area.id or "": event.reason})


class AttachmentForm(ActionForm):
    title_text = N_("Add an attachment")

    def __init__(self, draft: wizard_draft.Draft) -> None:
        super().__init__(draft)
        self.title_text = _(AttachmentForm.title_text)

    def fields(self) -> ComposeResult:
        yield Field(_("File (path on the server, e.g. ~/fotos/roteador.jpg)"), Input(id="path"), name="path")
        yield Field(_("Notes"), Input(id="notes", max_length=2000), name="notes")
        yield Label(_("At most {size} MB; the file is copied into Atende when the ticket is finished.").format(
            size=wizard_actions.MAX_ATTACHMENT // (1024 * 1024)), classes="muted")

    def on_mount(self) -> None:
        self.query_one("#path").focus()

    def submit(self):
        draft, path, notes = self.draft, self.value("#path"), self.value("#notes")
        return lambda: wizard_actions.add_attachment(draft, path, notes)


class ServiceOrderForm(ActionForm):
    title_text = N_("Service order")

    def __init__(self, draft: wizard_draft.Draft) -> None:
        super().__init__(draft)
        self.title_text = _(ServiceOrderForm.title_text)
        self.os_defaults: dict[int, int] = {}

    def fields(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Field(_("Technician"), PlainSelect([], prompt=_("Choose"), id="technician"), name="technician")
            yield Field(_("Status"), PlainSelect([(_(v), k) for k, v in wizard_orders.OS_STATUSES.items()],
                                                 value="scheduled", allow_blank=False, id="status"), name="status")
        with Horizontal(classes="form-row"):
            yield Field(_("OS type"), PlainSelect([], prompt=_("Choose"), id="os_type"), name="os_type")
            yield Field(_("Date"), Input(clock.today().strftime("%d/%m/%Y"), id="date"), name="date")
        with Horizontal(classes="form-row"):
            yield Field(_("Start (HH:MM)"), Input(id="start", placeholder="09:00"), name="start")
            yield Field(_("Duration (min or H:MM)"), Input("60", id="duration"), name="duration")
        yield Field(_("Description"), Input(id="description", max_length=2000), name="description")
        table = Table(cursor_type="row", id="agenda")
        table.add_columns(_("Start"), _("End"), _("Ticket"), _("OS type"))
        yield Field(_("Technician's agenda for the day"), table, name="agenda")

    def on_mount(self) -> None:
        self.query_one("#technician").focus()
        self.load_choices()

    def load_choices(self) -> None:
        """The technicians and the service-order types."""
        actor = self.app.actor

        def read() -> tuple[list, list]:
            return wizard_options.technicians(actor), wizard_options.os_types(actor)

        self.call_service("os-choices", read, on_answer=lambda got: self._choices(*got))

    def _choices(self, techs, types) -> None:
        self.os_defaults = {t.id: int(t.extra or 60) for t in types}
        self.query_one("#technician", Select).set_options([(t.name, t.id) for t in techs])
        self.query_one("#os_type", Select).set_options([(t.name, t.id) for t in types])

    @on(Select.Changed, "#os_type")
    def _os_type(self, event: Select.Changed) -> None:
        if event.value in self.os_defaults:
            self.query_one("#duration", Input).value = str(self.os_defaults[event.value])

    @on(Select.Changed, "#technician")
    @on(Input.Changed, "#date")
    def _agenda_changed(self, _event) -> None:
        tech = self.value("#technician")
        try:
            day = validation.date(self.value("#date"), "date")
        except ValidationError:
            return
        if tech:
            self.load_agenda(tech, day)

    def load_agenda(self, tech: int, day: dt.date) -> None:
        """The technician's agenda for the day; a refusal shows it free."""
        self.call_service("os-agenda", wizard_orders.agenda, self.app.actor, tech, day,
                          on_answer=lambda entries: self._agenda(tech, day, entries), quiet=True,
                          on_error=lambda _exc: self._agenda(tech, day, []))

    def _agenda(self, tech: int, day: dt.date, entries) -> None:
        table = self.query_one("#agenda", DataTable)
        table.clear()
        for e in entries:
            table.add_row(Text(e.start), Text(e.end), Text(e.protocol), Text(e.os_type))
        for o in self.draft.service_orders:
            if o.technician_id == tech and o.date == day.isoformat():
                end = wizard_orders.fmt_minutes(wizard_orders.minutes_of(o.start) + o.duration_minutes)
                table.add_row(Text(o.start), Text(end), Text(_("this ticket")), Text(o.os_type_name))
        if not table.row_count:
            table.add_row(Text(_("free all day")), Text(""), Text(""), Text(""))

    def order_values(self) -> tuple:
        return tuple(self.value(f"#{name}") for name in (
            "technician", "date", "start", "duration", "os_type", "status", "description"))

    def submit(self):
        actor, draft, values, confirmed = self.app.actor, self.draft, self.order_values(), self.confirmed
        return lambda: wizard_orders.add_service_order(
            actor, draft, wizard_orders.make_service_order(*values, confirmed=confirmed))


class TaskForm(ActionForm):
    title_text = N_("Task")

    def __init__(self, draft: wizard_draft.Draft) -> None:
        super().__init__(draft)
        self.title_text = _(TaskForm.title_text)

    def fields(self) -> ComposeResult:
        yield Field(_("Who does it"), PlainSelect([], prompt=_("Choose"), id="assignee"), name="assignee")
        yield Field(_("Due date (DD/MM/YYYY, optional)"), Input(id="due"), name="due")
        yield Field(_("What to do"), Input(id="description", max_length=2000), name="description")

    def on_mount(self) -> None:
        self.query_one("#assignee").focus()
        self.load_people()

    def load_people(self) -> None:
        """The people a task may be given to."""
        self.call_service("task-people", wizard_options.first_contact_options, self.app.actor, quiet=True,
                          on_answer=lambda options: self.query_one("#assignee", Select).set_options(
                              [(p.name, p.id) for p in options.people]))

    def submit(self):
        draft, values = self.draft, (self.value("#assignee"), self.value("#description"), self.value("#due"))
        return lambda: dataclasses.replace(draft, tasks=draft.tasks + (wizard_actions.make_task(*values),))


class EmailForm(ActionForm):
    title_text = N_("E-mail to the contact")

    def __init__(self, draft: wizard_draft.Draft, details: contacts_svc.CustomerDetails | None) -> None:
        super().__init__(draft)
        self.title_text = _(EmailForm.title_text)
        self.details = details
        self.templates: list[wizard_options.Template] = []

    def fields(self) -> ComposeResult:
        yield Field(_("Template"), PlainSelect([], prompt=_("None"), id="template"), name="template")
        addresses = []
        if self.details:
            for c in self.details.contacts:
                if c.email:
                    addresses.append((f"{c.name} <{c.email}>", c.email, c.id == self.draft.contact_id))
        yield Field(_("Send to (Space ticks)"), SelectionList(*addresses, id="recipients"), name="recipients")
        yield Field(_("Copy to (CC, comma-separated)"), Input(id="cc"), name="cc")
        yield Field(_("Subject"), Input(id="subject", max_length=200), name="subject")
        yield Checkbox(_("Ask for a read receipt"), id="read_receipt")
        yield Field(_("Message"), GuardedTextArea(id="body", max_length=wizard_draft.MAX_PROBLEM), name="body")
        yield Field(_("Attach files (paths, comma-separated)"), Input(id="attachments"), name="attachments")

    def on_mount(self) -> None:
        self.query_one("#template").focus()
        self.load_templates()

    def load_templates(self) -> None:
        """The e-mail templates to choose from."""
        self.call_service("email-templates", wizard_options.email_templates, self.app.actor,
                          on_answer=self._templates, quiet=True)

    def _templates(self, found) -> None:
        self.templates = found
        self.query_one("#template", Select).set_options([(t.name, t.id) for t in found])

    @on(Select.Changed, "#template")
    def _template(self, event: Select.Changed) -> None:
        t = next((t for t in self.templates if t.id == event.value), None)
        if t:
            subject, body = wizard_options.render_template(t, self.draft)
            self.query_one("#subject", Input).value = subject
            self.query_one("#body", GuardedTextArea).load_text(body)

    def submit(self):
        recipients = self.query_one("#recipients", SelectionList).selected
        files = tuple(p.strip() for p in self.value("#attachments").split(",") if p.strip())
        values = (recipients, self.value("#subject"), self.value("#body"), self.value("#cc"),
                  self.query_one("#read_receipt", Checkbox).value, self.value("#template"), files)
        draft = self.draft
        return lambda: dataclasses.replace(draft, emails=draft.emails + (wizard_actions.make_email(*values),))

