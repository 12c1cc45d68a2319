"""The new-ticket wizard: protocol first, then who, what, and the first contact.

One screen holds the draft (services.tickets.wizard.Draft) and shows one step at a
time; each step panel loads its part of the draft and collects it back. The
draft is saved off the UI thread at every step change and a moment after
each edit, so an SSH drop or a `kill -9` loses nothing.
"""
from __future__ import annotations

import dataclasses
import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    DataTable,
    Digits,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from services.core import permissions, validation
from services.core.errors import AtendeError, ValidationError
from services.core.i18n import N_, _
from services.customers import contacts as contacts_svc
from services.customers import router
from services.tickets import links, wizard
from services.tickets import scripts as scripts_svc
from tui.base import AtendeScreen, PaletteCommand, WorkerErrors, translate_bindings
from tui.customer_lookup import CustomerLookup
from tui.dialogs import ChoiceDialog
from tui.event_promo import EventPromo
from tui.forms import Field, PlainSelect, show_errors
from tui.guarded_text import GuardedTextArea
from tui.keys import focus_now
from tui.table import Table

FIELD_STEP = {
    "kind": "kind", "lookup": "lookup", "contact": "customer", "plan": "plan", "problem": "plan",
    "script": "script", "script_choice": "plan", "queue": "first_contact", "type": "first_contact",
    "responsible": "first_contact",
    "checks": "first_contact", "solution": "first_contact", "parent": "first_contact",
    "actions_list": "first_contact",
}


def text_cell(value: object) -> Text:
    return Text(str(value or ""))


class Step(WorkerErrors, VerticalScroll):
    """One step of the wizard: loads its part of the draft and collects it back."""

    step_id = ""

    def __init__(self, **kwargs) -> None:
        super().__init__(id=f"step-{self.step_id}", classes="wizard-step", **kwargs)
        translate_bindings(self)

    @property
    def wiz(self) -> WizardScreen:
        return self.screen  # type: ignore[return-value]

    def load(self, d: wizard.Draft) -> None:
        """Show what the draft holds."""

    def collect(self, d: wizard.Draft) -> wizard.Draft:
        """The draft with what is typed on this step (no validation)."""
        return d

    def entered(self) -> None:
        """The step became visible: focus its first field, fetch what it needs."""


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

    def load(self, d: wizard.Draft) -> None:
        self.query_one("#protocol-digits", Digits).update(d.protocol)
        self.query_one(f"#kind-{d.kind}", RadioButton).value = True

    def collect(self, d: wizard.Draft) -> wizard.Draft:
        pressed = self.query_one("#kind-set", RadioSet).pressed_button
        if pressed is not None and pressed.id:
            return wizard.update(d, kind=pressed.id.removeprefix("kind-"))
        return d

    def entered(self) -> None:
        focus_now(self.query_one("#kind-set", RadioSet))


# ----------------------------------------------------------------------------- lookup


class LookupStep(Step):
    step_id = "lookup"

    def compose(self) -> ComposeResult:
        yield Label("", id="lookup-chosen", markup=False)
        with Field(_("Find the customer: type, then Enter on a result"), CustomerLookup(id="wizard-lookup"),
                   name="lookup"):
            pass

    def load(self, d: wizard.Draft) -> None:
        lookup = self.query_one(CustomerLookup)
        if lookup.kind != d.kind:
            lookup.kind = d.kind
        chosen = d.access_point_name if d.kind == "access_point" else d.customer_name
        self.query_one("#lookup-chosen", Label).update(
            _("Chosen: {name}").format(name=chosen) if chosen else _("Nobody chosen yet"))

    def entered(self) -> None:
        lookup = self.query_one(CustomerLookup)
        focus_now(lookup.query_one("#lookup-text", Input))
        if lookup.kind != self.wiz.draft.kind:
            lookup.set_kind(self.wiz.draft.kind)

    @on(CustomerLookup.Selected)
    def _chosen(self, event: CustomerLookup.Selected) -> None:
        hit = event.hit
        d = self.wiz.draft
        if d.kind == "access_point":
            d = wizard.update(d, access_point_id=hit.id, access_point_name=hit.name)
        else:
            d = wizard.update(d, customer_id=hit.id, customer_name=hit.name)
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

    def load(self, d: wizard.Draft) -> None:
        if d.customer_id and (self.details is None or self.details.id != d.customer_id):
            self.fetch(d.customer_id)
        self._show_chosen(d)

    def entered(self) -> None:
        focus_now(self.query_one("#contacts", DataTable))
        if self.wiz.draft.customer_id:
            self.fetch(self.wiz.draft.customer_id)

    @work(thread=True, exclusive=True, group="wizard-customer", exit_on_error=False)
    def fetch(self, customer_id: int) -> None:
        try:
            details = contacts_svc.details(self.app.actor, customer_id)
            fields = contacts_svc.extra_fields(self.app.actor)
        except AtendeError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error", markup=False)
            return
        self.app.call_from_thread(self._show, details, fields)

    def _show(self, details: contacts_svc.CustomerDetails, fields: list) -> None:
        self.details = details
        self.fields = fields
        self.wiz.customer_details = details
        self.wiz.update_promo()
        status = _("blocked") if details.account_status == "blocked" else _("active")
        from services.customers.lookup import format_doc

        info = Text()
        info.append(details.name + "\n", style="bold")
        info.append(f"{format_doc(details.doc)}  ·  {details.phone}  ·  {details.email}\n")
        info.append(f"{details.address}  {details.city}/{details.state}\n")
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

    def _show_chosen(self, d: wizard.Draft) -> None:
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
            self.wiz.draft = wizard.update(self.wiz.draft, contact_id=contact.id, contact_name=contact.name)
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
        from screens.desk.contact_form import ContactForm

        if not self.wiz.draft.customer_id:
            return

        def done(saved: contacts_svc.ContactInfo | None) -> None:
            if saved:
                self.wiz.draft = wizard.update(self.wiz.draft, contact_id=saved.id, contact_name=saved.name)
                self.wiz.update_promo()
                self.wiz.schedule_save()
                self.fetch(self.wiz.draft.customer_id)

        self.app.push_screen(ContactForm(self.wiz.draft.customer_id, contact), done)

    def action_delete_contact(self) -> None:
        contact = self._selected()
        if not contact:
            return
        from tui.dialogs import ConfirmDialog

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.call_service("wizard-delete-contact", contacts_svc.delete_contact, self.app.actor, contact.id,
                                  on_answer=lambda _none: self._contact_deleted(contact.id), write=True)

        self.app.push_screen(ConfirmDialog(_("Delete the contact {name}?").format(name=contact.name)), confirmed)

    def _contact_deleted(self, contact_id: int) -> None:
        if self.wiz.draft.contact_id == contact_id:
            self.wiz.draft = wizard.update(self.wiz.draft, contact_id=None, contact_name="")
            self.wiz.update_promo()
        self.fetch(self.wiz.draft.customer_id)


# ----------------------------------------------------------------------------- plan and problem


class PlanStep(Step):
    step_id = "plan"
    BINDINGS = [Binding("ctrl+r", "router_data", N_("Router data"), id="wizard-router")]

    plans: tuple = ()

    def compose(self) -> ComposeResult:
        table = Table(cursor_type="row", zebra_stripes=True, id="plans")
        table.add_columns(_("Plan"), _("Login"), _("Access point"), _("Network"))
        with Field(_("Plan (Enter chooses)"), table, name="plan", id="plan-field"):
            pass
        yield Static("", id="plan-info", markup=False)
        yield Static("", id="router-info", markup=False)
        with Field(_("Problem described by the customer"), GuardedTextArea(id="problem",
                                                                          max_length=wizard.MAX_PROBLEM),
                   name="problem"):
            pass
        row = Horizontal(Checkbox(_("Create script"), id="use-script"),
                         PlainSelect([], prompt=_("Choose a script"), id="script-choice", disabled=True),
                         id="script-row")
        with Field("", row, name="script_choice", focus="#script-choice"):
            pass

    def load(self, d: wizard.Draft) -> None:
        area = self.query_one("#problem", GuardedTextArea)
        if area.text != d.problem:
            area.load_text(d.problem)
        self.query_one("#use-script", Checkbox).value = d.use_script
        self.query_one("#script-choice", Select).disabled = not d.use_script
        self.query_one("#plan-field").display = d.kind == "customer"
        self._show_plan(d)

    def entered(self) -> None:
        d = self.wiz.draft
        if d.kind == "customer" and d.customer_id:
            self.fetch(d.customer_id)
            focus_now(self.query_one("#plans", DataTable))
        else:
            focus_now(self.query_one("#problem"))
        self.fetch_scripts()

    def collect(self, d: wizard.Draft) -> wizard.Draft:
        use = self.query_one("#use-script", Checkbox).value
        choice = self.query_one("#script-choice", Select).value
        script_id = choice if isinstance(choice, int) else None
        changes = dict(problem=self.query_one("#problem", GuardedTextArea).text, use_script=use)
        if use and script_id:
            changes["script_id"] = script_id
        return wizard.update(d, **changes)

    @work(thread=True, exclusive=True, group="wizard-plans", exit_on_error=False)
    def fetch(self, customer_id: int) -> None:
        try:
            details = contacts_svc.details(self.app.actor, customer_id)
        except AtendeError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error", markup=False)
            return
        self.app.call_from_thread(self._show_plans, details.plans)

    def _show_plans(self, plans) -> None:
        self.plans = plans
        table = self.query_one("#plans", DataTable)
        table.clear()
        for p in plans:
            table.add_row(text_cell(p.name), text_cell(p.login), text_cell(p.access_point), text_cell(p.network),
                          key=str(p.id))
        for i, p in enumerate(plans):
            if p.id == self.wiz.draft.plan_id:
                table.move_cursor(row=i)
        if not plans:
            self.query_one("#plan-info", Static).update(_("This customer has no plans."))

    @work(thread=True, exclusive=True, group="wizard-scripts", exit_on_error=False)
    def fetch_scripts(self) -> None:
        try:
            found = scripts_svc.list_scripts(self.app.actor)
        except AtendeError:
            found = []
        self.app.call_from_thread(self._show_scripts, found)

    def _show_scripts(self, found) -> None:
        select = self.query_one("#script-choice", Select)
        select.set_options([(s.name, s.id) for s in found])
        if self.wiz.draft.script_id and any(s.id == self.wiz.draft.script_id for s in found):
            select.value = self.wiz.draft.script_id

    def _show_plan(self, d: wizard.Draft) -> None:
        if d.plan_id:
            plan = next((p for p in self.plans if p.id == d.plan_id), None)
            ap = plan.access_point if plan else d.access_point_name  # plans not loaded yet (a resumed draft)
            self.query_one("#plan-info", Static).update(
                _("Plan {plan} · routing point {ap} · login {login}").format(
                    plan=d.plan_name, ap=ap or "-", login=d.login or "-"))

    @on(DataTable.RowSelected, "#plans")
    def _choose(self, event: DataTable.RowSelected) -> None:
        event.stop()
        plan = next((p for p in self.plans if str(p.id) == event.row_key.value), None)
        if plan:
            self.wiz.draft = wizard.update(self.wiz.draft, plan_id=plan.id, plan_name=plan.name, login=plan.login,
                                           access_point_id=plan.access_point_id,
                                           access_point_name=plan.access_point)
            self._show_plan(self.wiz.draft)
            self.wiz.schedule_save()
            focus_now(self.query_one("#problem"))

    @on(Checkbox.Changed, "#use-script")
    def _use_script(self, event: Checkbox.Changed) -> None:
        self.query_one("#script-choice", Select).disabled = not event.value

    @on(GuardedTextArea.Refused)
    def _refused(self, event: GuardedTextArea.Refused) -> None:
        show_errors(self, {"problem": event.reason})

    def action_router_data(self) -> None:
        d = self.wiz.draft
        if not d.plan_id:
            self.query_one("#router-info", Static).update(_("Choose a plan first."))
            return
        self.query_one("#router-info", Static).update(_("Asking the router..."))
        self.ask_router(d.plan_id)

    @work(thread=True, exclusive=True, group="wizard-router", exit_on_error=False)
    def ask_router(self, plan_id: int) -> None:
        try:
            data = router.router_data(self.app.actor, plan_id, timeout=5.0)
        except AtendeError as exc:
            data = router.RouterData(False, exc.message)
        self.app.call_from_thread(self._show_router, data)

    def _show_router(self, data: router.RouterData) -> None:
        text = Text(data.message + "\n", style="" if data.ok else "italic")
        for key, value in data.lines:
            text.append(f"{key}: ", style="bold")
            text.append(f"{value}\n")
        self.query_one("#router-info", Static).update(text)


# ----------------------------------------------------------------------------- guided script


class ScriptStep(Step):
    step_id = "script"
    BINDINGS = [
        Binding("left", "previous_question", N_("Previous question"), id="wizard-script-prev"),
        Binding("ctrl+e", "end_script", N_("End script"), id="wizard-script-end"),
    ]

    script: scripts_svc.ScriptDef | None = None
    position = 0

    def compose(self) -> ComposeResult:
        yield Label("", id="script-title", classes="box-title", markup=False)
        yield Static("", id="script-question", markup=False)
        yield Static("", id="script-customer", markup=False)
        yield Static("", id="script-operator", markup=False)
        with Field(_("Answer (Enter chooses; Left goes back a question)"), OptionList(id="script-options"),
                   name="script"):
            pass
        yield Static("", id="script-report", markup=False)

    def entered(self) -> None:
        d = self.wiz.draft
        if d.script_id and (self.script is None or getattr(self, "_script_id", None) != d.script_id):
            self.fetch(d.script_id)
        else:
            self._show_node()
        focus_now(self.query_one("#script-options", OptionList))

    @work(thread=True, exclusive=True, group="wizard-script", exit_on_error=False)
    def fetch(self, script_id: int) -> None:
        try:
            _info, script = scripts_svc.get(self.app.actor, script_id)
        except AtendeError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error", markup=False)
            return
        self.app.call_from_thread(self._loaded, script_id, script)

    def _loaded(self, script_id: int, script: scripts_svc.ScriptDef) -> None:
        self._script_id = script_id
        self.script = script
        self.position = max(0, min(self.wiz.draft.script_position,
                                   len(scripts_svc.path(script, self.wiz.draft.script_answers)) - 1))
        self._show_node()

    def _show_node(self) -> None:
        if self.script is None:
            return
        d = self.wiz.draft
        steps = scripts_svc.path(self.script, d.script_answers)
        self.position = max(0, min(self.position, len(steps) - 1))
        node, chosen = steps[self.position]
        self.query_one("#script-title", Label).update(
            _("{name} · question {n}").format(name=self.script.name, n=self.position + 1))
        self.query_one("#script-question", Static).update(Text(node.question, style="bold"))
        self.query_one("#script-customer", Static).update(
            Text(_("For the customer: ") + node.for_customer) if node.for_customer else "")
        self.query_one("#script-operator", Static).update(
            Text(_("For the operator: ") + node.for_operator, style="italic") if node.for_operator else "")
        options = self.query_one("#script-options", OptionList)
        options.clear_options()
        options.add_options([Option(Text(("● " if i == chosen else "  ") + o.label), id=str(i))
                             for i, o in enumerate(node.options)])
        options.highlighted = chosen if chosen is not None else 0
        complete = scripts_svc.is_complete(self.script, d.script_answers)
        report = self.query_one("#script-report", Static)
        if complete:
            report.update(Text(_("Script complete: Ctrl+E ends it and keeps this report.") + "\n\n"
                               + scripts_svc.report(self.script, d.script_answers)))
        else:
            report.update("")

    @on(OptionList.OptionSelected, "#script-options")
    def _answer(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.script is None:
            return
        steps = scripts_svc.path(self.script, self.wiz.draft.script_answers)
        node, _chosen = steps[self.position]
        option = int(event.option.id)
        answers = scripts_svc.answer(self.script, self.wiz.draft.script_answers, node.id, option)
        complete = scripts_svc.is_complete(self.script, answers)
        if node.options[option].next is not None:
            self.position += 1
        self.wiz.draft = wizard.update(self.wiz.draft, script_answers=answers, script_position=self.position,
                                       script_done=False, script_report="")
        self.wiz.schedule_save()
        self._show_node()
        if complete:
            focus_now(self.query_one("#script-options", OptionList))

    def action_previous_question(self) -> None:
        if self.position > 0:
            self.position -= 1
            self.wiz.draft = wizard.update(self.wiz.draft, script_position=self.position)
            self._show_node()

    def action_end_script(self) -> None:
        d = self.wiz.draft
        if self.script is None or not scripts_svc.is_complete(self.script, d.script_answers):
            show_errors(self, {"script": _("Answer the script to its end and choose 'End script'")})
            return
        self.wiz.draft = wizard.update(d, script_done=True,
                                       script_report=scripts_svc.report(self.script, d.script_answers))
        self.wiz.action_next()


# ----------------------------------------------------------------------------- first contact and actions


class FirstContactStep(Step):
    step_id = "first_contact"

    options: wizard.FirstContactOptions | None = None
    candidates: tuple = ()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Field(_("Destination"), PlainSelect([], prompt=_("Choose"), id="queue"), name="queue")
            yield Field(_("Ticket type"), PlainSelect([], prompt=_("Choose"), id="type"), name="type")
        yield Field(_("Responsible (proposed by the type)"), PlainSelect([], prompt=_("Choose"), id="responsible"),
                    name="responsible")
        yield Field(_("Link to a parent ticket on the same network"),
                    PlainSelect([], prompt=_("No link"), id="parent"), name="parent", id="parent-field")
        yield Field(_("Checks performed in this contact"),
                    GuardedTextArea(id="checks", max_length=wizard.MAX_CHECKS), name="checks")
        yield Checkbox(_("Resolved in this contact (F5)"), id="resolved")
        yield Field(_("Solution"), GuardedTextArea(id="solution", max_length=wizard.MAX_CHECKS), name="solution",
                    id="solution-field")
        with Horizontal(id="action-buttons"):
            yield Button(_("F2 Attachment"), id="act-attachment")
            yield Button(_("F3 Service order"), id="act-order")
            yield Button(_("F4 Task"), id="act-task")
            yield Button(_("F6 E-mail"), id="act-email")
        table = Table(cursor_type="row", id="actions")
        table.add_columns(_("Action"), _("Details"))
        yield Field(_("Actions (Del removes)"), table, name="actions_list")
        yield Button(_("Finish (Ctrl+S)"), id="finish", variant="success")

    def load(self, d: wizard.Draft) -> None:
        for sel_id, value in (("queue", d.queue_id), ("type", d.type_id), ("parent", d.parent_id)):
            select = self.query_one(f"#{sel_id}", Select)
            if value is not None and any(v == value for _l, v in select._options):
                select.value = value
        resp = f"user:{d.responsible_id}" if d.responsible_id else (f"role:{d.responsible_role}"
                                                                    if d.responsible_role else None)
        select = self.query_one("#responsible", Select)
        if resp and any(v == resp for _l, v in select._options):
            select.value = resp
        checks = self.query_one("#checks", GuardedTextArea)
        if checks.text != d.checks:
            checks.load_text(d.checks)
        solution = self.query_one("#solution", GuardedTextArea)
        if solution.text != d.solution:
            solution.load_text(d.solution)
        self.query_one("#resolved", Checkbox).value = d.resolved
        self.query_one("#solution-field").display = d.resolved
        self._show_actions(d)

    def collect(self, d: wizard.Draft) -> wizard.Draft:
        def value(sel_id: str):
            v = self.query_one(f"#{sel_id}", Select).value
            return None if v is Select.NULL else v

        resp = value("responsible") or ""
        parent = value("parent")
        parent_protocol = next((c.protocol for c in self.candidates if c.id == parent), "") if parent else ""
        return wizard.update(
            d, queue_id=value("queue"), type_id=value("type"),
            responsible_id=int(resp.split(":")[1]) if resp.startswith("user:") else None,
            responsible_role=resp.split(":", 1)[1] if resp.startswith("role:") else "",
            parent_id=parent, parent_protocol=parent_protocol,
            checks=self.query_one("#checks", GuardedTextArea).text,
            resolved=self.query_one("#resolved", Checkbox).value,
            solution=self.query_one("#solution", GuardedTextArea).text)

    def entered(self) -> None:
        if self.options is None:
            self.fetch()
        else:
            self.fetch_links()
        focus_now(self.query_one("#queue", Select))

    @work(thread=True, exclusive=True, group="wizard-first", exit_on_error=False)
    def fetch(self) -> None:
        try:
            options = wizard.first_contact_options(self.app.actor)
        except AtendeError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error", markup=False)
            return
        self.app.call_from_thread(self._show_options, options)

    def _show_options(self, options: wizard.FirstContactOptions) -> None:
        self.options = options
        self.query_one("#queue", Select).set_options([(q.name, q.id) for q in options.queues])
        self.query_one("#type", Select).set_options([(t.name, t.id) for t in options.types])
        people = [(p.name, f"user:{p.id}") for p in options.people]
        roles = [(_("Role: {role}").format(role=_(permissions.ROLE_LABELS[r])), f"role:{r}")
                 for r in (permissions.AGENT, permissions.COORDINATOR, permissions.SUPERVISOR)]
        self.query_one("#responsible", Select).set_options(roles + people)
        self.load(self.wiz.draft)
        self.fetch_links()

    @on(Select.Changed, "#type")
    def _type_changed(self, event: Select.Changed) -> None:
        if self.options is None or event.value is Select.NULL:
            return
        chosen = next((t for t in self.options.types if t.id == event.value), None)
        if chosen is None:
            return
        # The type proposes its responsible (user first, else role) and its queue.
        resp = self.query_one("#responsible", Select)
        if chosen.responsible_id:
            resp.value = f"user:{chosen.responsible_id}"
        elif chosen.responsible_role:
            resp.value = f"role:{chosen.responsible_role}"
        queue = self.query_one("#queue", Select)
        if chosen.queue_id and queue.value is Select.NULL:
            queue.value = chosen.queue_id
        self.wiz.draft = self.collect(self.wiz.draft)
        self.fetch_links()

    def fetch_links(self) -> None:
        d = self.wiz.draft
        self._links(d.plan_id, d.type_id, d.ticket_id)

    @work(thread=True, exclusive=True, group="wizard-links", exit_on_error=False)
    def _links(self, plan_id, type_id, ticket_id) -> None:
        try:
            found = links.parent_candidates(self.app.actor, plan_id, type_id, ticket_id)
        except AtendeError:
            found = []
        self.app.call_from_thread(self._show_links, found)

    def _show_links(self, found) -> None:
        self.candidates = tuple(found)
        field = self.query_one("#parent-field", Field)
        select = self.query_one("#parent", Select)
        field.display = bool(found)
        select.set_options([(_("Child of {protocol} ({customer}) on {network}").format(
            protocol=c.protocol, customer=c.customer or "-", network=c.network), c.id) for c in found])
        if found and self.wiz.draft.parent_id in {c.id for c in found}:
            select.value = self.wiz.draft.parent_id
        if found:
            self.notify(_("There is an open ticket on this network: {protocol}. You may link this one to it.").format(
                protocol=found[0].protocol), markup=False)

    @on(Checkbox.Changed, "#resolved")
    def _resolved(self, event: Checkbox.Changed) -> None:
        self.query_one("#solution-field").display = event.value
        if event.value:
            focus_now(self.query_one("#solution"))

    @on(GuardedTextArea.Refused)
    def _refused(self, event: GuardedTextArea.Refused) -> None:
        show_errors(self, {event.area.id or "checks": event.reason})

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"act-attachment": self.wiz.action_attachment, "act-order": self.wiz.action_service_order,
                   "act-task": self.wiz.action_task, "act-email": self.wiz.action_email,
                   "finish": self.wiz.action_finish}
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def _show_actions(self, d: wizard.Draft) -> None:
        table = self.query_one("#actions", DataTable)
        table.clear()
        for i, a in enumerate(d.attachments):
            table.add_row(text_cell(_("Attachment")), text_cell(f"{a.name} ({a.size:,} B) {a.notes}"),
                          key=f"attachments:{i}")
        for i, o in enumerate(d.service_orders):
            table.add_row(text_cell(_("Service order")), text_cell(
                f"{o.date} {o.start} +{o.duration_minutes} min · {self._tech_name(o.technician_id)}"),
                key=f"service_orders:{i}")
        for i, t in enumerate(d.tasks):
            table.add_row(text_cell(_("Task")), text_cell(f"{t.description[:50]} {t.due}"), key=f"tasks:{i}")
        for i, e in enumerate(d.emails):
            table.add_row(text_cell(_("E-mail")), text_cell(f"{', '.join(e.recipients)}: {e.subject}"),
                          key=f"emails:{i}")
        table.display = bool(table.row_count)

    def _tech_name(self, tech_id: int) -> str:
        return self.wiz.tech_names.get(tech_id, str(tech_id))

    def on_key(self, event) -> None:
        table = self.query_one("#actions", DataTable)
        if event.key == "delete" and table.has_focus and table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            kind, index = key.split(":")
            self.wiz.draft = wizard.remove_item(self.wiz.draft, kind, int(index))
            self._show_actions(self.wiz.draft)
            self.wiz.schedule_save()
            event.stop()


STEP_CLASSES = (KindStep, LookupStep, CustomerStep, PlanStep, ScriptStep, FirstContactStep)


# ----------------------------------------------------------------------------- the screen


class WizardScreen(AtendeScreen):
    """New ticket (Novo Atendimento). Dismisses with the finished ticket, or None."""

    HELP = N_("Open a ticket while the customer is on the line. The protocol is reserved at once: read it "
              "to the customer. Ctrl+N and Ctrl+B move between steps; everything is saved as you go, and "
              "Esc lets you keep the draft for later or abandon it (the protocol stays on record).")
    BINDINGS = [
        Binding("ctrl+n", "next", N_("Next"), id="wizard-next", priority=True),
        Binding("ctrl+b", "back", N_("Back"), id="wizard-back", priority=True),
        Binding("ctrl+s", "finish", N_("Finish"), id="wizard-finish", priority=True),
        Binding("escape", "leave", N_("Leave"), id="wizard-leave"),
        Binding("f2", "attachment", N_("Attachment"), id="wizard-attachment", priority=True),
        Binding("f3", "service_order", N_("Service order"), id="wizard-order", priority=True),
        Binding("f4", "task", N_("Task"), id="wizard-task", priority=True),
        Binding("f5", "resolved", N_("Resolved"), id="wizard-resolved", priority=True),
        Binding("f6", "email", N_("E-mail"), id="wizard-email", priority=True),
        Binding("ctrl+g", "promo_register", N_("Register in event"), id="wizard-promo-register", priority=True),
    ]

    def __init__(self, draft: wizard.Draft) -> None:
        super().__init__()
        self.draft = draft
        self.customer_details: contacts_svc.CustomerDetails | None = None
        self.tech_names: dict[int, str] = {}
        self._save_lock = threading.Lock()
        self._save_timer = None
        self._leaving = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="wizard-top", markup=False)
        with ContentSwitcher(initial="step-kind", id="wizard-steps"):
            for cls in STEP_CLASSES:
                yield cls()
        yield EventPromo(limit=3, hide_when_empty=True, id="wizard-promo")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("New ticket · protocol {protocol}").format(protocol=self.draft.protocol)
        for step in self.query(Step):
            step.load(self.draft)
        self.show_step(self.draft.step if self.draft.step in wizard.steps(self.draft) else "kind")

    # -- steps

    def current_panel(self) -> Step:
        return self.query_one(f"#step-{self.draft.step}", Step)

    def show_step(self, step: str) -> None:
        self.draft = dataclasses.replace(self.draft, step=step)
        order = wizard.steps(self.draft)
        top = Text()
        top.append(_("Protocol") + " ", style="dim")
        top.append(f" {self.draft.protocol} ", style="bold reverse")
        top.append("  ")
        index = order.index(step) if step in order else 0
        top.append("".join("●" if i <= index else "○" for i in range(len(order))) + " ", style="bold")
        top.append(f"{index + 1}/{len(order)} {_(wizard.STEP_LABELS[step])}", style="bold")
        who = self.draft.access_point_name if self.draft.kind == "access_point" else self.draft.customer_name
        if who:
            top.append("  · " + who, style="italic")
        top.truncate(200)
        self.query_one("#wizard-top", Static).update(top)
        self.query_one(ContentSwitcher).current = f"step-{step}"
        panel = self.current_panel()
        panel.load(self.draft)
        panel.entered()
        self.update_promo()
        self.refresh_bindings()

    # -- the events promotion

    def update_promo(self) -> None:
        """Tell the events strip who is calling (nobody before a contact is chosen)."""
        d = self.draft
        details = self.customer_details
        contact = None
        if d.kind != "access_point" and d.contact_id and details is not None and details.id == d.customer_id:
            contact = next((c for c in details.contacts if c.id == d.contact_id), None)
        promo = self.query_one("#wizard-promo", EventPromo)
        if contact is None:
            promo.set_contact("", "")
            return
        try:
            cpf = validation.cpf(contact.doc, "cpf", required=False) or ""
        except ValidationError:
            cpf = ""
        company = details.name if len("".join(ch for ch in details.doc if ch.isdigit())) == 14 else ""
        promo.set_contact(contact.name, contact.email, contact.phone, cpf, company)

    def action_promo_register(self) -> None:
        self.query_one("#wizard-promo", EventPromo).action_register()

    def collect(self) -> wizard.Draft:
        self.draft = self.current_panel().collect(self.draft)
        return self.draft

    def action_next(self) -> None:
        d = self.collect()
        try:
            d = wizard.advance(d)
        except ValidationError as exc:
            self.show_field_errors(exc.errors)
            return
        if d.step == self.draft.step:
            self.action_finish()
            return
        self.draft = d
        self.save_now()
        self.show_step(d.step)

    def action_back(self) -> None:
        d = self.collect()
        self.draft = wizard.back(d)
        self.save_now()
        self.show_step(self.draft.step)

    def show_field_errors(self, errors: dict[str, str]) -> None:
        errors = {("actions_list" if k in ("service_orders", "tasks", "attachments", "emails") else k): v
                  for k, v in errors.items()}
        steps = [FIELD_STEP.get(f) for f in errors]
        target = next((s for s in wizard.steps(self.draft) if s in steps), None)
        if target and target != self.draft.step:
            self.show_step(target)
        panel = self.current_panel()
        if not show_errors(panel, errors):
            self.notify("; ".join(errors.values()), severity="error", markup=False)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "promo_register":
            promo = self.query("#wizard-promo")
            return bool(promo) and promo.first(EventPromo).offering
        if action in ("attachment", "service_order", "task", "resolved", "email"):
            return self.draft.step == "first_contact"
        if action == "finish":
            return self.draft.step == "first_contact"
        if action == "back":
            return self.draft.step != "kind"
        return True

    # -- saving

    def schedule_save(self) -> None:
        """Save a moment after the last edit (typing does not wait for the disk)."""
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(1.0, self.save_now)

    def save_now(self) -> None:
        if self._leaving:
            return
        try:
            self.draft = self.current_panel().collect(self.draft)
        except Exception:  # a panel not mounted yet: save what we have
            pass
        self._save(self.draft)

    @work(thread=True, group="wizard-save", exit_on_error=False)
    def _save(self, draft: wizard.Draft) -> None:
        with self._save_lock:
            latest = self.draft if self.draft.protocol == draft.protocol else draft
            try:
                wizard.save(self.app.actor, latest)
            except AtendeError as exc:
                self.app.call_from_thread(self.notify, _("Draft not saved: {reason}").format(reason=exc.message),
                                          severity="error", markup=False)

    @on(Input.Changed)
    @on(GuardedTextArea.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    @on(RadioSet.Changed)
    def _edited(self, event) -> None:
        if getattr(event, "control", None) is not None and getattr(event.control, "id", "") in (
                "lookup-text", "lookup-limit", "lookup-field", "lookup-condition"):
            return
        self.schedule_save()

    # -- actions

    def action_attachment(self) -> None:
        from screens.desk.wizard_actions import AttachmentForm

        self._action(AttachmentForm(self.draft))

    def action_service_order(self) -> None:
        from screens.desk.wizard_actions import ServiceOrderForm

        self._action(ServiceOrderForm(self.draft))

    def action_task(self) -> None:
        from screens.desk.wizard_actions import TaskForm

        self._action(TaskForm(self.draft))

    def action_email(self) -> None:
        from screens.desk.wizard_actions import EmailForm

        self._action(EmailForm(self.collect(), self.customer_details))

    def action_resolved(self) -> None:
        box = self.query_one("#resolved", Checkbox)
        box.value = not box.value

    def _action(self, form) -> None:
        self.collect()

        def done(d: wizard.Draft | None) -> None:
            if d is not None:
                self.draft = dataclasses.replace(d, step=self.draft.step)
                tech = getattr(form, "tech_names", None)
                if tech:
                    self.tech_names.update(tech)
                self.query_one(FirstContactStep)._show_actions(self.draft)
                self.save_now()

        self.app.push_screen(form, done)

    # -- finishing and leaving

    def action_finish(self) -> None:
        if self.query_one("#finish", Button).disabled:
            return  # a finish is running: a second Ctrl+S must not write the ticket twice
        d = self.collect()
        try:
            wizard.validate_all(d)
        except ValidationError as exc:
            self.show_field_errors(exc.errors)
            return
        self.query_one("#finish", Button).disabled = True
        self._finish(d)

    @work(thread=True, exclusive=True, group="wizard-finish", exit_on_error=False)
    def _finish(self, d: wizard.Draft) -> None:
        try:
            done = wizard.finish(self.app.actor, d)
        except ValidationError as exc:
            self.app.call_from_thread(self._finish_failed, exc.errors)
            return
        except AtendeError as exc:
            self.app.call_from_thread(self._finish_failed, {"": exc.message})
            return
        except Exception as exc:  # disk, lock, a fault of ours: said in one line, logged, the draft kept
            message = _("Ticket {protocol} was not saved; the draft is kept (Ctrl+S tries again): {reason}").format(
                protocol=d.protocol, reason=wizard.finish_failure(d, exc))
            self.app.call_from_thread(self._finish_failed, {"": message}, True)
            return
        self.app.call_from_thread(self._finished, done)

    def _finish_failed(self, errors: dict[str, str], keep: bool = False) -> None:
        self.query_one("#finish", Button).disabled = False  # Ctrl+S works again
        self.show_field_errors(errors)
        if keep:
            self.save_now()

    def _finished(self, done: wizard.Finished) -> None:
        self._leaving = True
        if self._save_timer is not None:
            self._save_timer.stop()
        self.dismiss(done)

    def action_leave(self) -> None:
        if self._leaving:
            return  # being abandoned: asked once

        def chosen(answer: str | None) -> None:
            if answer == "keep":
                self.save_now()
                self._leaving = True
                self.dismiss(None)
            elif answer == "abandon":
                self._abandon()

        self.app.push_screen(ChoiceDialog(
            _("Leave ticket {protocol}? Keep the draft to resume it later, or abandon it "
              "(the protocol stays on record as abandoned).").format(protocol=self.draft.protocol),
            [("stay", _("Stay")), ("abandon", _("Abandon")), ("keep", _("Keep draft"))], default="keep"), chosen)

    def _abandon(self) -> None:
        """Abandon the ticket off the UI thread (it waits for the write lock,
        and for a save of the draft already under way)."""
        self._leaving = True  # no more saves of the draft
        if self._save_timer is not None:
            self._save_timer.stop()
        actor, draft = self.app.actor, self.draft

        def abandon() -> None:
            with self._save_lock:
                wizard.cancel(actor, draft)

        self.call_service("wizard-abandon", abandon, on_answer=lambda _none: self._abandoned(),
                          on_error=lambda _exc: self.dismiss(None), write=True)

    def _abandoned(self) -> None:
        self.notify(_("Ticket {protocol} abandoned.").format(protocol=self.draft.protocol), markup=False)
        self.dismiss(None)

    def worker_failed(self, group: str, message: str) -> None:
        if group == "wizard-abandon":  # not abandoned (said in one line): the draft stays, Esc asks again
            self._leaving = False
        super().worker_failed(group, message)

    def palette_commands(self):
        yield PaletteCommand(_("Next step"), _("Validate this step and go on"), self.action_next)
        yield PaletteCommand(_("Leave the wizard"), _("Keep the draft or abandon it"), self.action_leave)
        if self.draft.step == "first_contact":
            yield PaletteCommand(_("Finish the ticket"), _("Save the ticket and everything attached"),
                                 self.action_finish)


def finished_message(done: wizard.Finished) -> str:
    """What the agent is told once a ticket is saved."""
    parts = [_("Ticket {protocol} saved ({status}).").format(
        protocol=done.protocol, status=_(wizard.protocol.STATUSES.get(done.status, done.status)))]
    if done.parent_protocol:
        parts.append(_("Linked as a child of {protocol}.").format(protocol=done.parent_protocol))
    if done.service_orders or done.tasks or done.attachments or done.emails:
        parts.append(_("{o} service orders, {t} tasks, {a} attachments, {e} e-mails.").format(
            o=done.service_orders, t=done.tasks, a=done.attachments, e=done.emails))
    return "\n".join(parts)
