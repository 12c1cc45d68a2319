"""The wizard's steps about what happened: the plan and the problem as the
customer tells it (with the router's data), and the guided script."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Checkbox, DataTable, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from screens.desk.wizard.step import Step, text_cell
from services.core.i18n import N_, _
from services.customers import contacts as contacts_svc
from services.customers import router
from services.tickets import scripts as scripts_svc
from services.tickets.wizard import draft as wizard_draft
from tui.forms import Field, PlainSelect, show_errors
from tui.guarded_text import GuardedTextArea
from tui.keys import EnterInput, focus_now
from tui.table import Table

# ----------------------------------------------------------------------------- plan and problem


class PlanStep(Step):
    step_id = "plan"
    BINDINGS = [Binding("ctrl+r", "router_data", N_("Router data"), id="wizard-router")]
    FAILURE_STATUS = {"wizard-router": "#router-info"}

    plans: tuple = ()

    def compose(self) -> ComposeResult:
        table = Table(cursor_type="row", zebra_stripes=True, id="plans")
        table.add_columns(_("Plan"), _("Login"), _("Access point"), _("Network"))
        with Field(_("Plan (Enter chooses)"), table, name="plan", id="plan-field"):
            pass
        yield Static("", id="plan-info", markup=False)
        yield Field(_("PPPoE login to look up on the access point's router (Enter or Ctrl+R asks it)"),
                    EnterInput(id="ap-login", max_length=120), name="login", id="ap-login-field")
        yield Static("", id="router-info", markup=False)
        with Field(_("Problem described by the customer"), GuardedTextArea(id="problem",
                                                                          max_length=wizard_draft.MAX_PROBLEM),
                   name="problem"):
            pass
        row = Horizontal(Checkbox(_("Create script"), id="use-script"),
                         PlainSelect([], prompt=_("Choose a script"), id="script-choice", disabled=True),
                         id="script-row")
        with Field("", row, name="script_choice", focus="#script-choice"):
            pass

    def load(self, d: wizard_draft.Draft) -> None:
        area = self.query_one("#problem", GuardedTextArea)
        if area.text != d.problem:
            area.load_text(d.problem)
        self.query_one("#use-script", Checkbox).value = d.use_script
        self.query_one("#script-choice", Select).disabled = not d.use_script
        self.query_one("#plan-field").display = d.kind == "customer"
        self.query_one("#ap-login-field").display = d.kind == "access_point"
        login = self.query_one("#ap-login", Input)
        if d.kind == "access_point" and login.value != d.login:
            login.value = d.login
        self._show_plan(d)

    def entered(self) -> None:
        d = self.wiz.draft
        if d.kind == "customer" and d.customer_id:
            self.fetch(d.customer_id)
            focus_now(self.query_one("#plans", DataTable))
        else:
            focus_now(self.query_one("#problem"))
        self.fetch_scripts()

    def collect(self, d: wizard_draft.Draft) -> wizard_draft.Draft:
        use = self.query_one("#use-script", Checkbox).value
        choice = self.query_one("#script-choice", Select).value
        script_id = choice if isinstance(choice, int) else None
        changes = dict(problem=self.query_one("#problem", GuardedTextArea).text, use_script=use)
        if d.kind == "access_point":
            changes["login"] = self.query_one("#ap-login", Input).value.strip()
        if use and script_id:
            changes["script_id"] = script_id
        return wizard_draft.update(d, **changes)

    def fetch(self, customer_id: int) -> None:
        """The customer's plans."""
        self.call_service("wizard-plans", contacts_svc.details, self.app.actor, customer_id,
                          on_answer=lambda details: self._show_plans(details.plans))

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
            if self.screen.focused is table:  # nothing to choose: what is typed goes to the problem
                focus_now(self.query_one("#problem"))

    def fetch_scripts(self) -> None:
        """The scripts to choose from; a refusal leaves the choice empty."""
        self.call_service("wizard-scripts", scripts_svc.list_scripts, self.app.actor, on_answer=self._show_scripts,
                          quiet=True, on_error=lambda _exc: self._show_scripts([]))

    def _show_scripts(self, found) -> None:
        select = self.query_one("#script-choice", Select)
        select.set_options([(s.name, s.id) for s in found])
        if self.wiz.draft.script_id and any(s.id == self.wiz.draft.script_id for s in found):
            select.value = self.wiz.draft.script_id

    def _show_plan(self, d: wizard_draft.Draft) -> None:
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
            self.wiz.draft = wizard_draft.update(self.wiz.draft, plan_id=plan.id, plan_name=plan.name, login=plan.login,
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

    @on(Input.Submitted, "#ap-login")
    def _login_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_router_data()

    def action_router_data(self) -> None:
        d = self.wiz.draft
        info = self.query_one("#router-info", Static)
        if d.kind == "access_point" and d.access_point_id:
            login = self.query_one("#ap-login", Input).value
            info.update(_("Asking the router..."))
            self.ask_router(router.access_point_session, d.access_point_id, login)
        elif d.plan_id:
            info.update(_("Asking the router..."))
            self.ask_router(router.router_data, d.plan_id)
        else:
            info.update(_("Choose a plan first."))

    def ask_router(self, fn, *args) -> None:
        """What the router says (`fn`: router_data or access_point_session), shown under the plan (a refusal too)."""
        self.call_service("wizard-router", fn, self.app.actor, *args,
                          on_answer=self._show_router, quiet=True,
                          on_error=lambda exc: self._show_router(router.RouterData(False, exc.message)))

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

    def fetch(self, script_id: int) -> None:
        """The script to walk through."""
        self.call_service("wizard-script", scripts_svc.get, self.app.actor, script_id,
                          on_answer=lambda got: self._loaded(script_id, got[1]))

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
            report.update(Text(_("Ctrl+E ends the script here; its report keeps the answers so far."),
                               style="italic"))

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
        self.wiz.draft = wizard_draft.update(self.wiz.draft, script_answers=answers, script_position=self.position,
                                             script_done=False, script_report="")
        self.wiz.schedule_save()
        self._show_node()
        if complete:
            focus_now(self.query_one("#script-options", OptionList))

    def action_previous_question(self) -> None:
        if self.position > 0:
            self.position -= 1
            self.wiz.draft = wizard_draft.update(self.wiz.draft, script_position=self.position)
            self._show_node()

    def action_end_script(self) -> None:
        """End the script, at its end or at any question (seed 002: "encerrar o
        script para prosseguir"): the report holds the answers so far."""
        d = self.wiz.draft
        if self.script is None:
            show_errors(self, {"script": _("The script is still loading")})
            return
        self.wiz.draft = wizard_draft.update(d, script_done=True,
                                             script_report=scripts_svc.report(self.script, d.script_answers))
        self.wiz.action_next()

