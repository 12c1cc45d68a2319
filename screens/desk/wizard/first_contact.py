"""The wizard's last step: destination, type, responsible, the link to a
parent ticket, checks, solution, and the actions added before finishing."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, DataTable, Select

from screens.desk.wizard.step import Step, text_cell
from services.core import permissions
from services.core.i18n import _
from services.tickets import links
from services.tickets.wizard import draft as wizard_draft
from services.tickets.wizard import options as wizard_options
from tui.forms import Field, PlainSelect, show_errors
from tui.guarded_text import GuardedTextArea
from tui.keys import focus_now
from tui.table import Table


class FirstContactStep(Step):
    step_id = "first_contact"

    options: wizard_options.FirstContactOptions | None = None
    candidates: tuple = ()
    links_shown = False  # the parent choice holds the candidates (until then the draft's link is kept)
    notified: tuple = ()  # the candidates the agent was told of (told once, not at every type change)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Field(_("Destination"), PlainSelect([], prompt=_("Choose"), id="queue"), name="queue")
            yield Field(_("Ticket type"), PlainSelect([], prompt=_("Choose"), id="type"), name="type")
        yield Field(_("Responsible (proposed by the type)"), PlainSelect([], prompt=_("Choose"), id="responsible"),
                    name="responsible")
        yield Field(_("Link to a parent ticket on the same network"),
                    PlainSelect([], prompt=_("No link"), id="parent"), name="parent", id="parent-field")
        yield Field(_("Checks performed in this contact"),
                    GuardedTextArea(id="checks", max_length=wizard_draft.MAX_CHECKS), name="checks")
        yield Checkbox(_("Resolved in this contact (F5)"), id="resolved")
        yield Field(_("Solution"), GuardedTextArea(id="solution", max_length=wizard_draft.MAX_CHECKS), name="solution",
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

    def load(self, d: wizard_draft.Draft) -> None:
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
        self.show_actions(d)

    def collect(self, d: wizard_draft.Draft) -> wizard_draft.Draft:
        def value(sel_id: str):
            v = self.query_one(f"#{sel_id}", Select).value
            return None if v is Select.NULL else v

        resp = value("responsible") or ""
        if self.links_shown:
            parent = value("parent")
            parent_protocol = next((c.protocol for c in self.candidates if c.id == parent), "") if parent else ""
        else:  # a resumed draft whose candidates are still coming: its link stays
            parent, parent_protocol = d.parent_id, d.parent_protocol
        return wizard_draft.update(
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

    def fetch(self) -> None:
        """The queues, types and people to choose from."""
        self.call_service("wizard-first", wizard_options.first_contact_options, self.app.actor,
                          on_answer=self._show_options)

    def _show_options(self, options: wizard_options.FirstContactOptions) -> None:
        self.options = options
        self.query_one("#queue", Select).set_options([(q.name, q.id) for q in options.queues])
        self.query_one("#type", Select).set_options([(t.name, t.id) for t in options.types])
        people = [(p.name, f"user:{p.id}") for p in options.people]
        roles = [(_("Role: {role}").format(role=_(permissions.ROLE_LABELS[r])), f"role:{r}")
                 for r in (permissions.AGENT, permissions.COORDINATOR, permissions.SUPERVISOR)]
        self.query_one("#responsible", Select).set_options(roles + people)
        self.load(self.wiz.draft)
        self.fetch_links()

    @on(Select.Changed, "#queue")
    def _queue_changed(self, event: Select.Changed) -> None:
        """The types offered follow the destination: its own and those of no queue."""
        if self.options is None:
            return
        queue = None if event.value is Select.NULL else event.value
        types = [t for t in self.options.types if queue is None or t.queue_id in (None, queue)]
        select = self.query_one("#type", Select)
        if [v for _l, v in select._options if v is not Select.NULL] == [t.id for t in types]:
            return  # the same list: rebuilt, it would drop a type being chosen (keys typed ahead)
        current = select.value
        select.set_options([(t.name, t.id) for t in types])
        if any(t.id == current for t in types):
            select.value = current

    @on(Select.Changed, "#type")
    def _type_changed(self, event: Select.Changed) -> None:
        if self.options is None or event.value is Select.NULL:
            return
        chosen = next((t for t in self.options.types if t.id == event.value), None)
        if chosen is None or chosen.id == self.wiz.draft.type_id:
            return  # the draft's own type shown again (a resumed draft): its responsible and queue stay
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

    def _links(self, plan_id, type_id, ticket_id) -> None:
        """The open tickets this one may be linked to; a refusal offers none."""
        self.call_service("wizard-links", links.parent_candidates, self.app.actor, plan_id, type_id, ticket_id,
                          on_answer=self._show_links, quiet=True, on_error=lambda _exc: self._show_links([]))

    def _show_links(self, found) -> None:
        self.candidates = tuple(found)
        self.links_shown = True
        field = self.query_one("#parent-field", Field)
        select = self.query_one("#parent", Select)
        field.display = bool(found)
        select.set_options([(_("Child of {protocol} ({customer}) on {network}").format(
            protocol=c.protocol, customer=c.customer or "-", network=c.network), c.id) for c in found])
        if found and self.wiz.draft.parent_id in {c.id for c in found}:
            select.value = self.wiz.draft.parent_id
        if found and self.notified != self.candidates:
            self.notified = self.candidates
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

    def show_actions(self, d: wizard_draft.Draft) -> None:
        """List the attachments, service orders, tasks and e-mails the draft carries."""
        table = self.query_one("#actions", DataTable)
        table.clear()
        for i, a in enumerate(d.attachments):
            table.add_row(text_cell(_("Attachment")), text_cell(f"{a.name} ({a.size:,} B) {a.notes}"),
                          key=f"attachments:{i}")
        for i, o in enumerate(d.service_orders):
            kind = f" · {o.os_type_name}" if o.os_type_name else ""
            table.add_row(text_cell(_("Service order")), text_cell(
                f"{o.date} {o.start} +{o.duration_minutes} min · {o.technician_name or o.technician_id}{kind}"),
                key=f"service_orders:{i}")
        for i, t in enumerate(d.tasks):
            who = f" · {t.assignee_name}" if t.assignee_name else ""
            table.add_row(text_cell(_("Task")), text_cell(f"{t.description[:50]} {t.due}{who}"), key=f"tasks:{i}")
        for i, e in enumerate(d.emails):
            table.add_row(text_cell(_("E-mail")), text_cell(f"{', '.join(e.recipients)}: {e.subject}"),
                          key=f"emails:{i}")
        table.display = bool(table.row_count)

    def on_key(self, event) -> None:
        table = self.query_one("#actions", DataTable)
        if event.key == "delete" and table.has_focus and table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            kind, index = key.split(":")
            self.wiz.draft = wizard_draft.remove_item(self.wiz.draft, kind, int(index))
            self.show_actions(self.wiz.draft)
            self.wiz.schedule_save()
