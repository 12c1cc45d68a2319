"""The new-ticket wizard as data.

`Draft` is a frozen dataclass holding every step's data; pure functions
validate and advance it; `save` writes it (JSON, keyed by protocol and owner)
at every step change so an SSH drop or a `kill -9` loses nothing, and
`pending_drafts` offers it back. `finish` writes the ticket and everything
attached to it in one transaction, with an audit row.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from peewee import JOIN, SQL, Select, Value, fn

from models import AccessPoint, Contact, Customer, Plan, Queue, Ticket, TicketType, User, db, reading, write_tx
from models.wizard import EmailTemplate, OsType, ServiceOrder, Technician, TicketAttachment, TicketDraft, TicketTask
from services.core import clock, files, paths, validation
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.store import audit
from services.tickets import protocol

KINDS = {"customer": N_("Customer"), "prospect": N_("Prospect"), "access_point": N_("Access point")}
STEP_LABELS = {
    "kind": N_("Kind"), "lookup": N_("Lookup"), "customer": N_("Customer and contact"),
    "plan": N_("Plan and problem"), "script": N_("Script"), "first_contact": N_("First contact"),
}
OS_STATUSES = {"scheduled": N_("scheduled"), "confirmed": N_("confirmed"), "waiting": N_("waiting parts")}
MAX_ATTACHMENT = 10 * 1024 * 1024
MAX_PROBLEM = 20_000
MAX_CHECKS = 20_000
DAY_MINUTES = 24 * 60


# ----------------------------------------------------------------------------- the draft


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


@dataclass(frozen=True)
class TaskDraft:
    assignee_id: int
    description: str
    due: str = ""  # ISO date or ""


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
            errors["script"] = _("Answer the script to its end and choose 'End script'")
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


# ----------------------------------------------------------------------------- actions (pure parts)


def add_attachment(d: Draft, path_text: str, notes: str = "") -> Draft:
    picked = files.check(path_text, "path", MAX_ATTACHMENT)
    notes = validation.long_text(notes, "notes", max_len=2000)
    item = AttachmentDraft(str(picked.path), picked.name, picked.size, notes)
    return replace(d, attachments=d.attachments + (item,))


def remove_item(d: Draft, kind: str, index: int) -> Draft:
    items = getattr(d, kind)
    return replace(d, **{kind: items[:index] + items[index + 1:]})


def parse_minutes(text: str, field: str = "duration") -> int:
    """'90', '1:30', '1h30' -> minutes."""
    value = clean(text).lower().replace("h", ":").rstrip(":")
    if not value:
        raise ValidationError(_("Type the duration (minutes, or H:MM)"), field)
    try:
        if ":" in value:
            hours, minutes = value.split(":", 1)
            total = int(hours or 0) * 60 + int(minutes or 0)
        else:
            total = int(value)
    except ValueError:
        raise ValidationError(_("Invalid duration: use minutes (90) or H:MM (1:30)"), field) from None
    if total <= 0:
        raise ValidationError(_("The duration must be more than zero"), field)
    return total


def minutes_of(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def fmt_minutes(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class Slot:
    start_minute: int
    duration_minutes: int
    label: str

    @property
    def end_minute(self) -> int:
        return self.start_minute + self.duration_minutes


def check_overlap(start: int, duration: int, taken: list[Slot], field: str = "start") -> None:
    """Refuse a slot ending after midnight, with no duration, or overlapping one in `taken`."""
    if duration <= 0:
        raise ValidationError(_("The duration must be more than zero"), "duration")
    if start + duration > DAY_MINUTES:
        raise ValidationError(_("This order would end at {end} the next day: end it by 24:00 and "
                                "schedule the rest on the next day").format(
            end=fmt_minutes(start + duration - DAY_MINUTES)), "duration")
    for slot in taken:
        if start < slot.end_minute and slot.start_minute < start + duration:
            raise ValidationError(_("Overlaps {label} ({start}-{end}) in the technician's agenda").format(
                label=slot.label, start=fmt_minutes(slot.start_minute), end=fmt_minutes(slot.end_minute)), field)


def make_service_order(technician_id, date_text: str, start_text: str, duration_text: str,
                       os_type_id=None, status: str = "scheduled", description: str = "") -> ServiceOrderDraft:
    """Validate the fields of a service order (not yet the agenda)."""
    errors = {}
    date = start = duration = None
    if not technician_id:
        errors["technician"] = _("Choose the technician")
    try:
        date = validation.date(date_text or clock.today().strftime("%d/%m/%Y"), "date")
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        start = validation.time(start_text, "start")
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        duration = parse_minutes(duration_text)
    except ValidationError as exc:
        errors.update(exc.errors)
    if status not in OS_STATUSES:
        errors["status"] = _("Choose a status")
    try:
        description = validation.long_text(description, "description", max_len=MAX_CHECKS)
    except ValidationError as exc:
        errors.update(exc.errors)
    if start is not None and duration is not None and start.hour * 60 + start.minute + duration > DAY_MINUTES:
        errors["duration"] = _("This order would end at {end} the next day: end it by 24:00 and "
                               "schedule the rest on the next day").format(
            end=fmt_minutes(start.hour * 60 + start.minute + duration - DAY_MINUTES))
    if errors:
        raise ValidationError(errors)
    return ServiceOrderDraft(int(technician_id), date.isoformat(), start.strftime("%H:%M"), duration,
                             int(os_type_id) if os_type_id else None, status, description)


def draft_slots(d: Draft, technician_id: int, date: str, skip: int | None = None) -> list[Slot]:
    return [Slot(minutes_of(o.start), o.duration_minutes, _("an order in this ticket"))
            for i, o in enumerate(d.service_orders)
            if o.technician_id == technician_id and o.date == date and i != skip]


def make_task(assignee_id, description: str, due_text: str = "") -> TaskDraft:
    errors = {}
    if not assignee_id:
        errors["assignee"] = _("Choose who does it")
    due = None
    try:
        due = validation.date(due_text, "due", required=False)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        description = validation.long_text(description, "description", required=True, max_len=MAX_CHECKS)
    except ValidationError as exc:
        errors.update(exc.errors)
    if due and due < clock.today():
        errors["due"] = _("The due date is in the past")
    if errors:
        raise ValidationError(errors)
    return TaskDraft(int(assignee_id), description, due.isoformat() if due else "")


def split_addresses(text: str | tuple | list, field: str) -> tuple[str, ...]:
    """Addresses the outbox accepts as they are (checked the outbox's way too)."""
    from services.mail import outbox

    items = text if isinstance(text, (tuple, list)) else re.split(r"[,;\s]+", text or "")
    out = []
    for item in items:
        item = clean(item)
        if item:
            try:
                out.append(outbox.normalize_address(validation.email(item, field), field))
            except ValidationError:
                raise ValidationError(_("Invalid e-mail address: {address}").format(address=item), field) from None
    return tuple(dict.fromkeys(out))


def make_email(recipients, subject: str, body: str, cc="", read_receipt: bool = False,
               template_id=None, attachments: tuple[str, ...] = ()) -> EmailDraft:
    errors = {}
    to = cc_list = ()
    try:
        to = split_addresses(recipients, "recipients")
        if not to:
            errors["recipients"] = _("Pick at least one recipient")
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        cc_list = split_addresses(cc, "cc")
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        subject = validation.name(subject, "subject", max_len=200)
    except ValidationError:
        errors["subject"] = (_("Type the subject") if not clean(subject)
                             else _("Too long: at most {n} characters").format(n=200))
    try:
        body = validation.long_text(body, "body", max_len=MAX_PROBLEM)
    except ValidationError as exc:
        errors.update(exc.errors)
    picked = []
    for path_text in attachments:
        try:
            picked.append(str(files.check(path_text, "attachments", MAX_ATTACHMENT).path))
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return EmailDraft(to, subject, body, cc_list, bool(read_receipt), int(template_id) if template_id else None,
                      tuple(picked))


# ----------------------------------------------------------------------------- persistence


def start(actor: Actor, fmt: str | None = None) -> Draft:
    """Reserve a protocol and open a draft for it: one durable commit.

    The ticket row in status "draft" is the draft until the first step change
    saves one (`pending_drafts` offers both)."""
    reservation = protocol.reserve(actor, fmt)
    return Draft(protocol=reservation.protocol, ticket_id=reservation.ticket_id, owner=actor.login,
                 created_at=reservation.at.isoformat())


def save(actor: Actor, d: Draft) -> None:
    """Store the draft (one short transaction); only its owner may, and only
    while its ticket is still being opened: a wizard left open on a ticket
    finished (or abandoned) meanwhile is told, and brings no draft back."""
    _check_owner(actor, d)
    data = to_json(d)
    # one statement: the draft is written only while its ticket is still being opened
    still_a_draft = (Ticket.select(Value(d.protocol), Value(d.owner), Value(d.ticket_id), Value(d.step), Value(data),
                                   Value(clock.now()))
                     .where((Ticket.protocol == d.protocol) & (Ticket.status == "draft")))
    with write_tx():
        saved = (TicketDraft.insert_from(still_a_draft, [TicketDraft.protocol, TicketDraft.owner, TicketDraft.ticket,
                                                         TicketDraft.step, TicketDraft.data, TicketDraft.updated_at])
                 .on_conflict(conflict_target=[TicketDraft.protocol],
                              preserve=[TicketDraft.step, TicketDraft.data, TicketDraft.updated_at])
                 .as_rowcount().execute())
        if not saved:
            row = (Ticket.select(Ticket.status, Ticket.updated_by).where(Ticket.protocol == d.protocol)
                   .tuples().first())
            if row is None:
                raise NotFound(_("No ticket with protocol {protocol}").format(protocol=d.protocol))
            raise Conflict(_("Ticket {protocol} is already {status} (by {login})").format(
                protocol=d.protocol, status=_(protocol.STATUSES.get(row[0], row[0])), login=row[1]))


def pending_drafts(actor: Actor) -> list[Draft]:
    """The actor's drafts whose ticket is still being opened, newest first."""
    require(actor, "tickets.create")
    with reading():
        rows = list(Ticket.select(Ticket.id, Ticket.protocol, Ticket.created_at, TicketDraft.data)
                    .join(User, on=(User.id == Ticket.created_by))
                    .switch(Ticket).join(TicketDraft, JOIN.LEFT_OUTER, on=(TicketDraft.ticket == Ticket.id))
                    .where((Ticket.status == "draft") & (User.login == actor.login))
                    .order_by(fn.COALESCE(TicketDraft.updated_at, Ticket.created_at).desc(), Ticket.id.desc())
                    .tuples())
        out = []
        for ticket_id, number, created_at, data in rows:
            if data is None:  # reserved, then the terminal died before the first step change
                out.append(Draft(protocol=number, ticket_id=ticket_id, owner=actor.login,
                                 created_at=str(created_at).replace(" ", "T")))
                continue
            try:
                out.append(from_json(data))
            except (ValueError, TypeError, KeyError):
                continue  # a draft written by another version: the ticket stays a draft
        return out


def cancel(actor: Actor, d: Draft) -> None:
    protocol.abandon(actor, d.protocol)


@dataclass(frozen=True)
class Finished:
    protocol: str
    ticket_id: int
    status: str
    parent_protocol: str = ""
    attachments: int = 0
    service_orders: int = 0
    tasks: int = 0
    emails: int = 0


def files_root() -> Path:
    from models.db import sqlite_path

    path = sqlite_path()
    if path is None:
        return paths.user_data_dir() / "files"
    return paths.files_dir(path)


def _copy_files(d: Draft) -> tuple[list[tuple[AttachmentDraft, str]], dict[str, str], list[Path]]:
    """Copy attachments and e-mail files into the files folder (before the
    transaction), through services.core.files: regular files only, at most
    MAX_ATTACHMENT bytes each (counted while copying), nothing left behind
    when one fails. Errors are for the "attachments" or "emails" field."""
    created: list[Path] = []
    if not d.attachments and not any(e.attachments for e in d.emails):
        return [], {}, created
    folder = Path("tickets") / files.safe_name(d.protocol)
    target_dir = files_root() / folder

    def place(source: str, name: str, field: str) -> files.Copied:
        copied = files.copy_into(source, target_dir, field=field, limit=MAX_ATTACHMENT, name=name)
        created.append(copied.path)
        return copied

    attachments = []
    try:
        for a in d.attachments:
            copied = place(a.source, a.name, "attachments")
            attachments.append((replace(a, size=copied.size), str(folder / copied.name)))
        email_files: dict[str, str] = {}
        for e in d.emails:
            for source in e.attachments:
                if source not in email_files:
                    email_files[source] = str(folder / place(source, Path(source).name, "emails").name)
    except BaseException:
        for p in created:
            p.unlink(missing_ok=True)
        raise
    return attachments, email_files, created


def _check_owner(actor: Actor, d: Draft) -> None:
    require(actor, "tickets.create")
    if d.owner != actor.login:
        raise Conflict(_("This draft belongs to {login}").format(login=d.owner))


def _check_finish(actor: Actor, d: Draft) -> None:
    """Who may finish this draft, and whether it is complete."""
    _check_owner(actor, d)
    validate_all(d)


def finish(actor: Actor, d: Draft) -> Finished:
    """Write the ticket and everything attached to it in ONE transaction, with an audit row.

    What can be checked without the write lock is checked first (the draft's
    own rules, that what it points at exists), so the transaction holds the
    lock only for the writes and the rules that other writers could break
    (the ticket still a draft, the link, the technicians' agendas)."""
    _check_finish(actor, d)
    attachments, email_files, created = _copy_files(d)
    try:
        with reading():
            access_point_id = _check_references(d)
        with write_tx():
            result = _write(actor, d, attachments, email_files, access_point_id)
    except BaseException:
        for p in created:
            p.unlink(missing_ok=True)
        raise
    return result


def finish_failure(d: Draft, exc: BaseException) -> str:
    """Why a finish failed on something other than the draft's data (a full
    disk, a lock, a fault of ours), in one line; the details go to the log.
    Nothing was written: the ticket is still being opened, its draft kept,
    and finishing may be tried again."""
    from services.core.logs import internal_error, logger
    from services.store.database import explain

    reason = explain(exc)
    if reason is None:
        return internal_error(exc, f"finishing ticket {d.protocol}")
    logger().error("finishing ticket %s failed: %s", d.protocol, reason, exc_info=(type(exc), exc, exc.__traceback__))
    return reason


def _write(actor: Actor, d: Draft, attachments, email_files, access_point_id) -> Finished:
    from services.tickets import links

    now = clock.now()
    status = "resolved" if d.resolved else "open"
    customer_id = d.customer_id if d.kind != "access_point" else None
    problem = clean(d.problem, multiline=True)
    changed = (Ticket.update(
        status=status, kind=d.kind, customer=customer_id, access_point=access_point_id,
        contact=d.contact_id if d.kind != "access_point" else None, plan=d.plan_id, queue=d.queue_id,
        type=d.type_id, responsible=d.responsible_id, parent=d.parent_id, subject=problem.split("\n", 1)[0][:200],
        problem=problem, checks=clean(d.checks, multiline=True),
        solution=clean(d.solution, multiline=True) if d.resolved else "",
        script_report=d.script_report if d.use_script else "", updated_at=now, updated_by=actor.login,
        closed_at=now if d.resolved else None, version=Ticket.version + 1)
        .where((Ticket.id == d.ticket_id) & (Ticket.protocol == d.protocol) & (Ticket.status == "draft"))
        .execute())
    if not changed:
        row = (Ticket.select(Ticket.status, Ticket.updated_by)
               .where((Ticket.id == d.ticket_id) & (Ticket.protocol == d.protocol)).tuples().first())
        if row is None:
            raise NotFound(_("No ticket with protocol {protocol}").format(protocol=d.protocol))
        raise Conflict(_("Ticket {protocol} is already {status} (by {login})").format(
            protocol=d.protocol, status=_(protocol.STATUSES.get(row[0], row[0])), login=row[1]))
    parent_protocol = ""
    if d.parent_id:
        parent = links.check_link(d.parent_id, d.plan_id, d.type_id, d.ticket_id)
        parent_protocol = parent.protocol
    taken_by_tech: dict[tuple[int, str], list[Slot]] = {}
    for i, o in enumerate(d.service_orders):
        key = (o.technician_id, o.date)
        if key not in taken_by_tech:
            taken_by_tech[key] = _agenda_slots(o.technician_id, dt.date.fromisoformat(o.date))
        try:
            check_overlap(minutes_of(o.start), o.duration_minutes, taken_by_tech[key])
        except ValidationError as exc:
            raise ValidationError({"service_orders": _("Service order {n}: {reason}").format(
                n=i + 1, reason=exc.message)}) from None
        taken_by_tech[key].append(Slot(minutes_of(o.start), o.duration_minutes, _("an order in this ticket")))
    for a, stored in attachments:
        TicketAttachment.insert(ticket=d.ticket_id, name=a.name, path=stored, size=a.size, notes=a.notes,
                                created_by=actor.login, created_at=now).execute()
    for o in d.service_orders:
        ServiceOrder.insert(ticket=d.ticket_id, technician=o.technician_id, os_type=o.os_type_id, status=o.status,
                            date=o.date, start_minute=minutes_of(o.start), duration_minutes=o.duration_minutes,
                            description=o.description, created_by=actor.login, created_at=now).execute()
    for t in d.tasks:
        TicketTask.insert(ticket=d.ticket_id, assignee=t.assignee_id, due=t.due or None, description=t.description,
                          done=False, created_by=actor.login, created_at=now).execute()
    mail_ids = _queue_emails(actor, d, email_files)
    TicketDraft.delete().where(TicketDraft.protocol == d.protocol).execute()
    audit.record(actor.login, "ticket", d.ticket_id, "finish", {
        "protocol": d.protocol, "status": ["draft", status], "kind": d.kind, "customer": customer_id,
        "queue": d.queue_id, "type": d.type_id, "parent": parent_protocol or None,
        "attachments": len(attachments), "service_orders": len(d.service_orders), "tasks": len(d.tasks),
        "emails": len(d.emails), "outbox": mail_ids, "script": bool(d.use_script),
    })
    return Finished(d.protocol, d.ticket_id, status, parent_protocol, len(attachments), len(d.service_orders),
                    len(d.tasks), len(d.emails))


def _queue_emails(actor: Actor, d: Draft, email_files: dict[str, str]) -> list[int]:
    """Queue the draft's e-mails in the outbox, in the finish transaction (the
    worker sends them). A bad address is reported on the e-mail action."""
    from services.mail import outbox

    if not d.emails:
        return []
    root = files_root()
    ids = []
    for i, e in enumerate(d.emails):
        key = f"ticket:{d.ticket_id}:wizard-email" + (f":{i + 1}" if i else "")
        try:
            ids.append(outbox.queue(
                to=list(e.recipients), cc=list(e.cc), subject=e.subject, text=e.body,
                attachments=[str(root / email_files[p]) for p in e.attachments], read_receipt=e.read_receipt,
                about=("ticket", d.ticket_id), kind="ticket", key=key, created_by=actor.login))
        except ValidationError as exc:
            raise ValidationError({"emails": _("E-mail {n}: {reason}").format(n=i + 1, reason=exc.message)}) from None
    return ids


def _check_references(d: Draft) -> int | None:
    """Everything the draft points at still exists (someone may have deleted it
    meanwhile); returns the access point of the ticket. One statement."""
    errors = {}

    def count(model, where):
        return model.select(fn.COUNT(SQL("*"))).where(where)

    (customer, contact, plan, plan_ap, ap, queue, type_, responsible) = Select(columns=[
        count(Customer, Customer.id == d.customer_id),
        count(Contact, (Contact.id == d.contact_id) & (Contact.customer == d.customer_id)),
        count(Plan, Plan.id == d.plan_id),
        Plan.select(Plan.access_point).where(Plan.id == d.plan_id),
        count(AccessPoint, AccessPoint.id == d.access_point_id),
        count(Queue, (Queue.id == d.queue_id) & Queue.active),
        count(TicketType, (TicketType.id == d.type_id) & TicketType.active),
        count(User, (User.id == d.responsible_id) & User.active),
    ]).bind(db).tuples().get()
    if d.kind != "access_point":
        if d.customer_id and not customer:
            errors["lookup"] = _("The customer no longer exists: look it up again")
        if d.contact_id and not contact:
            errors["contact"] = _("The contact no longer exists: choose another")
    if d.plan_id and not plan:
        errors["plan"] = _("The plan no longer exists: choose another")
    if d.access_point_id and not ap:
        errors["lookup"] = _("The access point no longer exists")
    if d.queue_id and not queue:
        errors["queue"] = _("This destination is no longer active")
    if d.type_id and not type_:
        errors["type"] = _("This ticket type is no longer active")
    if d.responsible_id and not responsible:
        errors["responsible"] = _("This person can no longer be responsible")
    for t in d.tasks:
        if not User.select().where((User.id == t.assignee_id) & (User.active == True)).exists():  # noqa: E712
            errors["tasks"] = _("A task's assignee can no longer use Atende")
    for o in d.service_orders:
        if not Technician.select().where(Technician.id == o.technician_id).exists():
            errors["service_orders"] = _("A service order's technician no longer exists")
    if errors:
        raise ValidationError(errors)
    return d.access_point_id or plan_ap


# ----------------------------------------------------------------------------- agenda


@dataclass(frozen=True)
class AgendaEntry:
    id: int
    start: str
    end: str
    start_minute: int
    duration_minutes: int
    protocol: str
    os_type: str
    status: str
    description: str


def _agenda_slots(technician_id: int, date: dt.date) -> list[Slot]:
    rows = (ServiceOrder.select(ServiceOrder.start_minute, ServiceOrder.duration_minutes, Ticket.protocol)
            .join(Ticket, on=(ServiceOrder.ticket == Ticket.id))
            .where((ServiceOrder.technician == technician_id) & (ServiceOrder.date == date)))
    return [Slot(r.start_minute, r.duration_minutes, _("the order of ticket {protocol}").format(
        protocol=r.ticket.protocol)) for r in rows]


def agenda(actor: Actor, technician_id: int, date: dt.date) -> list[AgendaEntry]:
    """The technician's service orders on `date`, by start time."""
    require(actor, "tickets.read")
    with reading():
        rows = (ServiceOrder.select(ServiceOrder, Ticket.protocol)
                .join(Ticket, on=(ServiceOrder.ticket == Ticket.id))
                .where((ServiceOrder.technician == technician_id) & (ServiceOrder.date == date))
                .order_by(ServiceOrder.start_minute))
        names = {t.id: t.name for t in OsType.select(OsType.id, OsType.name)}
        out = []
        for r in rows:
            out.append(AgendaEntry(r.id, fmt_minutes(r.start_minute),
                                   fmt_minutes(r.start_minute + r.duration_minutes), r.start_minute,
                                   r.duration_minutes, r.ticket.protocol, names.get(r.os_type_id, ""), r.status,
                                   r.description))
        return out


def add_service_order(actor: Actor, d: Draft, order: ServiceOrderDraft, replace_index: int | None = None) -> Draft:
    """Add (or replace) a service order, refusing a slot taken in the technician's agenda."""
    with reading():
        taken = _agenda_slots(order.technician_id, dt.date.fromisoformat(order.date))
        if not Technician.select().where(Technician.id == order.technician_id).exists():
            raise ValidationError(_("Choose the technician"), "technician")
    taken += draft_slots(d, order.technician_id, order.date, skip=replace_index)
    check_overlap(minutes_of(order.start), order.duration_minutes, taken)
    items = list(d.service_orders)
    if replace_index is None:
        items.append(order)
    else:
        items[replace_index] = order
    return replace(d, service_orders=tuple(items))


# ----------------------------------------------------------------------------- reference data for the screens


@dataclass(frozen=True)
class Choice:
    id: int
    name: str
    extra: str = ""


@dataclass(frozen=True)
class TypeChoice:
    id: int
    name: str
    queue_id: int | None
    responsible_id: int | None
    responsible_role: str
    allows_link: bool


@dataclass(frozen=True)
class FirstContactOptions:
    queues: tuple[Choice, ...]
    types: tuple[TypeChoice, ...]
    people: tuple[Choice, ...]


def first_contact_options(actor: Actor) -> FirstContactOptions:
    require(actor, "tickets.create")
    with reading():
        queues = tuple(Choice(q.id, q.name) for q in Queue.select().where(Queue.active == True).order_by(Queue.name))  # noqa: E712
        types = tuple(TypeChoice(t.id, t.name, t.queue_id, t.responsible_user_id, t.responsible_role, t.allows_link)
                      for t in TicketType.select().where(TicketType.active == True).order_by(TicketType.name))  # noqa: E712
        people = tuple(Choice(u.id, u.name, u.role) for u in User.select().where(
            (User.active == True) & (User.role != "representative")).order_by(User.name))  # noqa: E712
    return FirstContactOptions(queues, types, people)


def technicians(actor: Actor) -> list[Choice]:
    require(actor, "tickets.read")
    with reading():
        return [Choice(t.id, t.name, t.phone) for t in
                Technician.select().where(Technician.active == True).order_by(Technician.name)]  # noqa: E712


def os_types(actor: Actor) -> list[Choice]:
    require(actor, "tickets.read")
    with reading():
        return [Choice(t.id, t.name, str(t.default_minutes)) for t in
                OsType.select().where(OsType.active == True).order_by(OsType.name)]  # noqa: E712


@dataclass(frozen=True)
class Template:
    id: int
    name: str
    subject: str
    body: str


def email_templates(actor: Actor) -> list[Template]:
    require(actor, "tickets.read")
    with reading():
        return [Template(t.id, t.name, t.subject, t.body) for t in
                EmailTemplate.select().where(EmailTemplate.active == True).order_by(EmailTemplate.name)]  # noqa: E712


_PLACEHOLDER = re.compile(r"\{(protocol|customer|contact|problem|solution)\}")


def render_template(t: Template, d: Draft) -> tuple[str, str]:
    """Subject and body of `t` with {protocol}, {customer}, {contact}, {problem}, {solution} filled in;
    any other brace is left as written."""
    values = dict(protocol=d.protocol, customer=d.customer_name or d.access_point_name,
                  contact=d.contact_name, problem=d.problem[:500], solution=d.solution)

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

    return fill(t.subject), fill(t.body)
