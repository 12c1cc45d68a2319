"""The new-ticket wizard's screen: it holds the draft and shows one step at a
time (the panels: who, problem, first_contact); each panel loads its part of
the draft and collects it back. The draft is saved off the UI thread at every
step change and a moment after each edit, so an SSH drop or a `kill -9` loses
nothing. Finishing writes the ticket; leaving keeps or abandons the draft.
"""
from __future__ import annotations

import dataclasses
import threading

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Checkbox, ContentSwitcher, Footer, Header, Input, RadioSet, Select, Static, TextArea

from screens.desk.wizard.actions import AttachmentForm, EmailForm, ServiceOrderForm, TaskForm
from screens.desk.wizard.first_contact import FirstContactStep
from screens.desk.wizard.problem import PlanStep, ScriptStep
from screens.desk.wizard.step import Step
from screens.desk.wizard.who import CustomerStep, KindStep, LookupStep
from services.core import validation
from services.core.errors import AtendeError, ValidationError
from services.core.i18n import N_, _, ngettext
from services.customers import contacts as contacts_svc
from services.tickets import protocol
from services.tickets.wizard import draft as wizard_draft
from services.tickets.wizard import finishing as wizard_finishing
from services.tickets.wizard import saving as wizard_saving
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import ChoiceDialog, ConfirmDialog
from tui.event_promo import EventPromo
from tui.forms import show_errors
from tui.guarded_text import GuardedTextArea

FIELD_STEP = {
    "kind": "kind", "lookup": "lookup", "contact": "customer", "plan": "plan", "problem": "plan",
    "script": "script", "script_choice": "plan", "queue": "first_contact", "type": "first_contact",
    "responsible": "first_contact",
    "checks": "first_contact", "solution": "first_contact", "parent": "first_contact",
    "actions_list": "first_contact",
}
STEP_CLASSES = (KindStep, LookupStep, CustomerStep, PlanStep, ScriptStep, FirstContactStep)


class NotSaved(AtendeError):
    """Finishing failed on something other than the draft's data (a full
    disk, a lock, a fault of ours): nothing was written, the draft is kept."""


class WizardScreen(AtendeScreen):
    """New ticket (Novo Atendimento). Dismisses with the finished ticket, or None."""

    HELP = N_("Open a ticket while the customer is on the line. The protocol is reserved at once: read it "
              "to the customer. Ctrl+N and Ctrl+B move between steps; everything is saved as you go, and "
              "Esc lets you keep the draft for later or abandon it (the protocol stays on record).")
    # In footer order: at 80 columns the first contact's F2-F6 and Finish come
    # first (they show only there); Next, Back and Leave are on every step.
    BINDINGS = [
        Binding("f2", "attachment", N_("Attach"), id="wizard-attachment", priority=True),
        Binding("f3", "service_order", N_("Service order"), id="wizard-order", priority=True),
        Binding("f4", "task", N_("Task"), id="wizard-task", priority=True),
        Binding("f5", "resolved", N_("Resolved"), id="wizard-resolved", priority=True),
        Binding("f6", "email", N_("E-mail"), id="wizard-email", priority=True),
        Binding("ctrl+s", "finish", N_("Finish"), id="wizard-finish", priority=True),
        Binding("f7", "canned", N_("Canned reply"), id="wizard-canned", priority=True),
        Binding("ctrl+n", "next", N_("Next"), id="wizard-next", priority=True),
        Binding("ctrl+b", "back", N_("Back"), id="wizard-back", priority=True),
        Binding("escape", "leave", N_("Leave ticket"), id="wizard-leave"),
        Binding("ctrl+g", "promo_register", N_("Register in event"), id="wizard-promo-register", priority=True),
    ]

    def __init__(self, draft: wizard_draft.Draft) -> None:
        super().__init__()
        self.draft = draft
        self.customer_details: contacts_svc.CustomerDetails | None = None
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
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = _("New ticket · protocol {protocol}").format(protocol=self.draft.protocol)
        for step in self.query(Step):
            step.load(self.draft)
        self.show_step(self.draft.step if self.draft.step in wizard_draft.steps(self.draft) else "kind")
        if self.draft.focus:  # resumed: back in the field being typed in, once the step's own focus is done
            self.set_timer(0.2, lambda: self.restore_focus(self.draft.focus))

    def restore_focus(self, widget_id: str) -> None:
        """Focus the field `widget_id` of the current step, the cursor at the end of what it holds."""
        found = self.current_panel().query(f"#{widget_id}")
        if not found:
            return
        widget = found.first()
        widget.focus()
        if isinstance(widget, Input):
            widget.cursor_position = len(widget.value)
        elif isinstance(widget, TextArea):
            widget.move_cursor(widget.document.end)

    # -- steps

    def current_panel(self) -> Step:
        return self.query_one(f"#step-{self.draft.step}", Step)

    def show_step(self, step: str) -> None:
        self.draft = dataclasses.replace(self.draft, step=step)
        order = wizard_draft.steps(self.draft)
        top = Text()
        top.append(_("Protocol") + " ", style="dim")
        top.append(f" {self.draft.protocol} ", style="bold reverse")
        top.append("  ")
        index = order.index(step) if step in order else 0
        top.append("".join("●" if i <= index else "○" for i in range(len(order))) + " ", style="bold")
        top.append(f"{index + 1}/{len(order)} {_(wizard_draft.STEP_LABELS[step])}", style="bold")
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
        company = details.name if details.is_company else ""
        promo.set_contact(contact.name, contact.email, contact.phone, cpf, company)

    def action_promo_register(self) -> None:
        self.query_one("#wizard-promo", EventPromo).action_register()

    def collect(self) -> wizard_draft.Draft:
        self.draft = self.current_panel().collect(self.draft)
        return self.draft

    def action_next(self) -> None:
        d = self.collect()
        try:
            d = wizard_draft.advance(d)
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
        self.draft = wizard_draft.back(d)
        self.save_now()
        self.show_step(self.draft.step)

    def show_field_errors(self, errors: dict[str, str]) -> None:
        errors = {("actions_list" if k in ("service_orders", "tasks", "attachments", "emails") else k): v
                  for k, v in errors.items()}
        steps = [FIELD_STEP.get(f) for f in errors]
        target = next((s for s in wizard_draft.steps(self.draft) if s in steps), None)
        if target and target != self.draft.step:
            self.show_step(target)
        panel = self.current_panel()
        if not show_errors(panel, errors):
            self.notify("; ".join(errors.values()), severity="error", markup=False)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "promo_register":
            promo = self.query("#wizard-promo")
            return bool(promo) and promo.first(EventPromo).offering
        if action in ("attachment", "service_order", "task", "resolved", "email", "canned"):
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
            panel = self.current_panel()
            self.draft = panel.collect(self.draft)
            focused = self.focused
            focus = focused.id if focused is not None and focused.id and panel in focused.ancestors else ""
            self.draft = dataclasses.replace(self.draft, focus=focus or "")
        except Exception:  # a panel not mounted yet: save what we have
            pass
        self._save(self.draft)

    def _save(self, draft: wizard_draft.Draft) -> None:
        """Write the draft off the UI thread. Every save runs (none is
        cancelled by the next), one at a time, each writing the newest draft."""
        actor = self.app.actor

        def save() -> None:
            with self._save_lock:
                wizard_saving.save(actor, self.draft if self.draft.protocol == draft.protocol else draft)

        self.call_service("wizard-save", save, write=True, each=True, quiet=True, on_error=lambda exc: self.notify(
            _("Draft not saved: {reason}").format(reason=exc.message), severity="error", markup=False))

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
        self._action(AttachmentForm(self.draft))

    def action_service_order(self) -> None:
        self._action(ServiceOrderForm(self.draft))

    def action_task(self) -> None:
        self._action(TaskForm(self.draft))

    def action_email(self) -> None:
        self._action(EmailForm(self.collect(), self.customer_details))

    def action_canned(self) -> None:
        """F7: a canned reply into the checks or the solution (the one being typed in), at the cursor."""
        from screens.desk.canned import insert_canned

        panel = self.current_panel()
        area = self.focused if isinstance(self.focused, TextArea) and self.focused in panel.query(TextArea) else None
        area = area or panel.query_one("#checks", TextArea)
        d = self.collect()
        insert_canned(self, area, queue_id=d.queue_id, values={
            "customer": d.customer_name or d.access_point_name, "contact": d.contact_name, "protocol": d.protocol})

    def action_resolved(self) -> None:
        box = self.query_one("#resolved", Checkbox)
        box.value = not box.value

    def _action(self, form) -> None:
        self.collect()

        def done(d: wizard_draft.Draft | None) -> None:
            if d is not None:
                self.draft = dataclasses.replace(d, step=self.draft.step)
                self.query_one(FirstContactStep).show_actions(self.draft)
                self.save_now()

        self.app.push_screen(form, done)

    # -- finishing and leaving

    def action_finish(self, confirmed: bool = False) -> None:
        if self.query_one("#finish", Button).disabled:
            return  # a finish is running: a second Ctrl+S must not write the ticket twice
        d = self.collect()
        try:
            wizard_draft.validate_all(d)
        except ValidationError as exc:
            self.show_field_errors(exc.errors)
            return
        scheduled = sum(o.status == "scheduled" for o in d.service_orders)
        if d.resolved and scheduled and not confirmed:  # resolved, with a visit still to come: asked first
            self.app.push_screen(ConfirmDialog(ngettext(
                "{n} service order is still scheduled for this ticket. Save it as resolved anyway?",
                "{n} service orders are still scheduled for this ticket. Save it as resolved anyway?",
                scheduled).format(n=scheduled)), lambda yes: yes and self.action_finish(confirmed=True))
            return
        self.query_one("#finish", Button).disabled = True
        self._finish(d)

    def _finish(self, d: wizard_draft.Draft) -> None:
        """Write the ticket off the UI thread; a failure of any kind says why
        in one line and keeps the draft, and Ctrl+S tries again."""
        actor = self.app.actor

        def finish() -> wizard_finishing.Finished:
            try:
                return wizard_finishing.finish(actor, d)
            except AtendeError:
                raise
            except Exception as exc:  # disk, lock, a fault of ours: said in one line, logged, the draft kept
                raise NotSaved(_("Ticket {protocol} was not saved; the draft is kept (Ctrl+S tries again): "
                                 "{reason}").format(protocol=d.protocol,
                                                    reason=wizard_finishing.finish_failure(d, exc))) from exc

        def failed(exc: AtendeError) -> None:
            if isinstance(exc, ValidationError):
                self._finish_failed(exc.errors)
            else:
                self._finish_failed({"": exc.message}, isinstance(exc, NotSaved))

        self.call_service("wizard-finish", finish, write=True, quiet=True, on_answer=self._finished, on_error=failed)

    def _finish_failed(self, errors: dict[str, str], keep: bool = False) -> None:
        self.query_one("#finish", Button).disabled = False  # Ctrl+S works again
        self.show_field_errors(errors)
        if keep:
            self.save_now()

    def _finished(self, done: wizard_finishing.Finished) -> None:
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

    def confirm_quit(self) -> None:
        """Ctrl+Q during a call: asked first; yes saves the draft (offered again
        at the next start) and quits once it is written."""
        def answered(yes: bool | None) -> None:
            if not yes:
                return
            actor, draft = self.app.actor, self.collect()
            self._leaving = True  # no other save starts; this one writes the newest draft

            def save() -> None:
                with self._save_lock:
                    wizard_saving.save(actor, draft)

            def failed(exc: AtendeError) -> None:  # said, and the wizard stays: nothing typed is lost
                self._leaving = False
                self.notify(_("Draft not saved: {reason}").format(reason=exc.message), severity="error",
                            markup=False)

            self.call_service("wizard-quit", save, write=True, quiet=True, on_answer=lambda _none: self.app.exit(),
                              on_error=failed)

        self.app.push_screen(ConfirmDialog(
            _("Ticket {protocol} is open. Quit Atende? Its draft is kept and offered again when you start "
              "Atende.").format(protocol=self.draft.protocol), yes=_("Quit"), no=_("Stay")), answered)

    def _abandon(self) -> None:
        """Abandon the ticket off the UI thread (it waits for the write lock,
        and for a save of the draft already under way)."""
        self._leaving = True  # no more saves of the draft
        if self._save_timer is not None:
            self._save_timer.stop()
        actor, draft = self.app.actor, self.draft

        def abandon() -> None:
            with self._save_lock:
                wizard_saving.cancel(actor, draft)

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


def finished_message(done: wizard_finishing.Finished) -> str:
    """What the agent is told once a ticket is saved."""
    parts = [_("Ticket {protocol} saved ({status}).").format(
        protocol=done.protocol, status=_(protocol.STATUSES.get(done.status, done.status)))]
    if done.parent_protocol:
        parts.append(_("Linked as a child of {protocol}.").format(protocol=done.parent_protocol))
    if done.service_orders or done.tasks or done.attachments or done.emails:
        parts.append(_("{o} service orders, {t} tasks, {a} attachments, {e} e-mails.").format(
            o=done.service_orders, t=done.tasks, a=done.attachments, e=done.emails))
    return "\n".join(parts)
