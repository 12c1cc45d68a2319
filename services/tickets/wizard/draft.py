"""The wizard's draft: `Draft` is a frozen dataclass holding every step's data
(with the attachments, service orders, tasks and e-mails it carries); pure
functions turn it into JSON and back, change it, validate each step and move
between steps. Nothing here reads or writes the database."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, replace

from services.core import validation
from services.core.errors import ValidationError
from services.core.i18n import N_, _
from services.core.text import clean

KINDS = {"customer": N_("Customer"), "prospect": N_("Prospect"), "access_point": N_("Access point")}
STEP_LABELS = {
    "kind": N_("Kind"), "lookup": N_("Lookup"), "customer": N_("Customer and contact"),
    "plan": N_("Plan and problem"), "script": N_("Script"), "first_contact": N_("First contact"),
}
MAX_PROBLEM = 20_000
MAX_CHECKS = 20_000


@dataclass(frozen=True)
class AttachmentDraft:
    source: str  # absolute path of the file picked
    name: str  # sanitised file name
    size: int
    notes: str = ""


@dataclass(frozen=True)
class ServiceOrderDraft:
    technician_id: int
    date: str  # ISO date
    start: str  # HH:MM
    duration_minutes: int
    os_type_id: int | None = None
    status: str = "scheduled"
    description: str = ""
    technician_name: str = ""  # as read when added: a resumed draft shows names, not ids
    os_type_name: str = ""


@dataclass(frozen=True)
class TaskDraft:
    assignee_id: int
    description: str
    due: str = ""  # ISO date or ""
    assignee_name: str = ""  # as read when added, shown in the list of actions


@dataclass(frozen=True)
class EmailDraft:
    recipients: tuple[str, ...]
    subject: str
    body: str = ""
    cc: tuple[str, ...] = ()
    read_receipt: bool = False
    template_id: int | None = None
    attachments: tuple[str, ...] = ()  # absolute paths of files picked


@dataclass(frozen=True)
class Draft:
    protocol: str
    ticket_id: int
    owner: str
    created_at: str
    step: str = "kind"
    kind: str = "customer"
    customer_id: int | None = None
    customer_name: str = ""
    access_point_id: int | None = None
    access_point_name: str = ""
    contact_id: int | None = None
    contact_name: str = ""
    plan_id: int | None = None
    plan_name: str = ""
    login: str = ""
    problem: str = ""
    use_script: bool = False
    script_id: int | None = None
    script_answers: tuple[tuple[str, int], ...] = ()
    script_position: int = 0
    script_done: bool = False
    script_report: str = ""
    queue_id: int | None = None
    type_id: int | None = None
    responsible_id: int | None = None
    responsible_role: str = ""
    checks: str = ""
    parent_id: int | None = None
    parent_protocol: str = ""
    attachments: tuple[AttachmentDraft, ...] = ()
    service_orders: tuple[ServiceOrderDraft, ...] = ()
    tasks: tuple[TaskDraft, ...] = ()
    resolved: bool = False
    solution: str = ""
    emails: tuple[EmailDraft, ...] = ()
    focus: str = ""  # the field being typed in when last saved: a resumed draft puts the cursor back there
    lookup_text: str = ""  # typed into the lookup for the agent (a call's number found on several customers)


_NESTED = {"attachments": AttachmentDraft, "service_orders": ServiceOrderDraft, "tasks": TaskDraft,
           "emails": EmailDraft}


_DRAFT_FIELDS = tuple(f.name for f in dataclasses.fields(Draft))
_NESTED_FIELDS = {key: tuple(f.name for f in dataclasses.fields(cls)) for key, cls in _NESTED.items()}


def to_json(d: Draft) -> str:
    """The draft as JSON (what `dataclasses.asdict` gives, without its deep copies:
    this runs at every step change and for every finished ticket)."""
    data = {name: getattr(d, name) for name in _DRAFT_FIELDS}
    for key, names in _NESTED_FIELDS.items():
        data[key] = [{n: getattr(item, n) for n in names} for item in data[key]]
    return json.dumps(data, ensure_ascii=False)


def from_json(text: str) -> Draft:
    raw = json.loads(text)
    known = {f.name for f in dataclasses.fields(Draft)}
    data = {k: v for k, v in raw.items() if k in known}
    for key, cls in _NESTED.items():
        items = []
        for item in data.get(key, ()):
            names = {f.name for f in dataclasses.fields(cls)}
            values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in item.items() if k in names}
            items.append(cls(**values))
        data[key] = tuple(items)
    data["script_answers"] = tuple((str(n), int(o)) for n, o in data.get("script_answers", ()))
    return Draft(**data)


def update(d: Draft, **changes) -> Draft:
    """A copy of `d` with `changes`; changing who the ticket is about clears what followed."""
    if "kind" in changes and changes["kind"] != d.kind:
        changes = {"customer_id": None, "customer_name": "", "access_point_id": None, "access_point_name": "",
                   "contact_id": None, "contact_name": "", "plan_id": None, "plan_name": "", "login": "",
                   "parent_id": None, "parent_protocol": "", **changes}
    if "customer_id" in changes and changes["customer_id"] != d.customer_id:
        changes = {"contact_id": None, "contact_name": "", "plan_id": None, "plan_name": "", "login": "",
                   "parent_id": None, "parent_protocol": "", **changes}
    if "plan_id" in changes and changes["plan_id"] != d.plan_id:
        changes = {"parent_id": None, "parent_protocol": "", **changes}
    if "script_id" in changes and changes["script_id"] != d.script_id:
        changes = {"script_answers": (), "script_position": 0, "script_done": False, "script_report": "",
                   **changes}
    return replace(d, **changes)


def steps(d: Draft) -> tuple[str, ...]:
    """The steps this draft goes through, in order."""
    out = ["kind", "lookup"]
    if d.kind != "access_point":
        out.append("customer")
    out.append("plan")
    if d.use_script:
        out.append("script")
    out.append("first_contact")
    return tuple(out)


def validate(d: Draft, step: str | None = None) -> None:
    """Raise ValidationError({field: message}) for what `step` (default: the current one) lacks."""
    step = step or d.step
    errors: dict[str, str] = {}
    if step == "kind":
        if d.kind not in KINDS:
            errors["kind"] = _("Choose customer, prospect or access point")
    elif step == "lookup":
        if d.kind == "access_point" and not d.access_point_id:
            errors["lookup"] = _("Choose an access point from the results (Enter on a row)")
        elif d.kind != "access_point" and not d.customer_id:
            errors["lookup"] = _("Choose a customer from the results (Enter on a row)")
    elif step == "customer":
        if not d.contact_id:
            errors["contact"] = _("Choose who is calling, or add a contact")
    elif step == "plan":
        try:
            problem = validation.long_text(d.problem, "problem", max_len=MAX_PROBLEM)
        except ValidationError as exc:
            errors.update(exc.errors)
        else:
            if not problem:
                errors["problem"] = _("Describe the problem as the customer tells it")
        if d.use_script and not d.script_id:
            errors["script_choice"] = _("Choose the script to follow, or turn 'create script' off")
    elif step == "script":
        if not d.script_id:
            errors["script"] = _("Choose a script, or go back and turn 'create script' off")
        elif not d.script_done:
            errors["script"] = _("End the script with Ctrl+E: at its end, or at any question to go on")
    elif step == "first_contact":
        if not d.queue_id:
            errors["queue"] = _("Choose the destination")
        if not d.type_id:
            errors["type"] = _("Choose the ticket type")
        if not d.responsible_id and not d.responsible_role:
            errors["responsible"] = _("Choose who is responsible (a person or a role)")
        try:
            validation.long_text(d.checks, "checks", max_len=MAX_CHECKS)
        except ValidationError as exc:
            errors.update(exc.errors)
        if d.resolved and not clean(d.solution, multiline=True):
            errors["solution"] = _("Describe the solution, or untick 'resolved'")
        try:
            validation.long_text(d.solution, "solution", max_len=MAX_CHECKS)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)


def advance(d: Draft) -> Draft:
    """Validate the current step and move to the next one (the last step stays)."""
    validate(d)
    order = steps(d)
    i = order.index(d.step) if d.step in order else 0
    return replace(d, step=order[min(i + 1, len(order) - 1)])


def back(d: Draft) -> Draft:
    order = steps(d)
    i = order.index(d.step) if d.step in order else 0
    return replace(d, step=order[max(i - 1, 0)])


def go_to(d: Draft, step: str) -> Draft:
    """Jump to an earlier step (later ones must be reached by advancing)."""
    order = steps(d)
    if step not in order:
        raise ValidationError(_("This ticket has no step '{step}'").format(step=step), "step")
    if order.index(step) > order.index(d.step if d.step in order else "kind"):
        validate_up_to(d, step)
    return replace(d, step=step)


def validate_up_to(d: Draft, step: str) -> None:
    for s in steps(d):
        if s == step:
            return
        validate(d, s)


def validate_all(d: Draft) -> None:
    for s in steps(d):
        validate(d, s)


def remove_item(d: Draft, kind: str, index: int) -> Draft:
    items = getattr(d, kind)
    return replace(d, **{kind: items[:index] + items[index + 1:]})
