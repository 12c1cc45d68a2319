"""Desk setup (leads): destinations (queues), ticket types, technicians and
service-order types, created and changed here rather than only by the demo.
Nothing is deleted: tickets point at these rows, so a row no longer in use
is deactivated (it leaves the wizard's choices, the tickets keep it)."""
from __future__ import annotations

from dataclasses import dataclass

from peewee import JOIN, IntegrityError, fn

from models import Queue, TicketType, User, reading, write_tx
from models.wizard import OsType, Technician
from services.core import permissions, validation
from services.core.errors import NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean, fold
from services.store import audit
from services.tickets import sla

KINDS = {"queue": N_("Destinations"), "type": N_("Ticket types"), "technician": N_("Technicians"),
         "os_type": N_("Service-order types")}
ONE = {"queue": N_("destination"), "type": N_("ticket type"), "technician": N_("technician"),
       "os_type": N_("service-order type")}
MODELS = {"queue": Queue, "type": TicketType, "technician": Technician, "os_type": OsType}
FIELDS = {
    "queue": ("name", "response_minutes", "resolution_minutes"),
    "type": ("name", "queue", "responsible", "allows_link", "survey", "response_minutes", "resolution_minutes"),
    "technician": ("name", "phone", "user"),
    "os_type": ("name", "minutes"),
}
"""What each kind has, in the order a form shows it (and the CLI's options)."""
TARGETS = ("response_minutes", "resolution_minutes")
"""Service-level targets in business minutes (services.tickets.sla): a type's own, else its ticket's queue's."""
RESPONSIBLE_ROLES = (permissions.AGENT, permissions.COORDINATOR, permissions.SUPERVISOR)
MAX_NAME = 120


@dataclass(frozen=True)
class SetupItem:
    kind: str
    id: int
    name: str
    active: bool
    values: tuple[tuple[str, str], ...]
    """Field -> value as a form and the CLI take it back: queue and user by
    name or login, responsible as "role:agent" or "user:LOGIN", booleans "yes"/""."""
    details: str
    """One line for a table: the queue, who is responsible, the phone, minutes."""

    def value(self, field: str) -> str:
        return dict(self.values).get(field, "")


def _kind(kind: str) -> None:
    if kind not in MODELS:
        raise ValidationError(_("Unknown kind '{kind}': use one of {kinds}").format(
            kind=kind, kinds=", ".join(MODELS)), "kind")


def _item(kind: str, row) -> SetupItem:
    if kind == "type":
        queue = row.queue.name if row.queue_id else ""
        user = row.responsible_user.login if row.responsible_user_id else ""
        responsible = f"user:{user}" if user else (f"role:{row.responsible_role}" if row.responsible_role else "")
        shown = user or (_(permissions.ROLE_LABELS[row.responsible_role]) if row.responsible_role else "")
        values = (("name", row.name), ("queue", queue), ("responsible", responsible),
                  ("allows_link", "yes" if row.allows_link else ""), ("survey", "yes" if row.survey else ""),
                  *_target_values(row))
        details = " · ".join(x for x in (queue, shown, _("links to a parent") if row.allows_link else "",
                                         _("survey") if row.survey else "", _targets_text(row)) if x)
    elif kind == "technician":
        user = row.user.login if row.user_id else ""
        values = (("name", row.name), ("phone", row.phone), ("user", user))
        details = " · ".join(x for x in (row.phone, user) if x)
    elif kind == "os_type":
        values = (("name", row.name), ("minutes", str(row.default_minutes)))
        details = _("{n} min").format(n=row.default_minutes)
    else:
        values, details = (("name", row.name), *_target_values(row)), _targets_text(row)
    return SetupItem(kind, row.id, row.name, bool(row.active), values, details)


def _target_values(row) -> tuple[tuple[str, str], ...]:
    return tuple((f, "" if getattr(row, f) is None else str(getattr(row, f))) for f in TARGETS)


def _targets_text(row) -> str:
    """The service-level targets in one line: "response 2 h 00 · resolution 1 d 0 h"."""
    parts = []
    if row.response_minutes is not None:
        parts.append(_("response {time}").format(time=sla.minutes_text(row.response_minutes)))
    if row.resolution_minutes is not None:
        parts.append(_("resolution {time}").format(time=sla.minutes_text(row.resolution_minutes)))
    return " · ".join(parts)


def _select(kind: str):
    model = MODELS[kind]
    if kind == "type":
        return (TicketType.select(TicketType, Queue, User).join(Queue, join_type=JOIN.LEFT_OUTER, on=(
            TicketType.queue == Queue.id)).switch(TicketType).join(User, join_type=JOIN.LEFT_OUTER, on=(
                TicketType.responsible_user == User.id)))
    if kind == "technician":
        return Technician.select(Technician, User).join(User, join_type=JOIN.LEFT_OUTER,
                                                        on=(Technician.user == User.id))
    return model.select()


def items(actor: Actor, kind: str) -> list[SetupItem]:
    """Every row of `kind`, active first, by name."""
    require(actor, "desk.setup")
    _kind(kind)
    model = MODELS[kind]
    with reading():
        rows = _select(kind).order_by(model.active.desc(), model.name)
        return [_item(kind, r) for r in rows]


def choices(actor: Actor) -> dict[str, list[tuple[str, str]]]:
    """What a form offers: the active destinations, and who may be responsible
    (the roles, then active staff by name), as (label, value) pairs."""
    require(actor, "desk.setup")
    with reading():
        queues = [(q.name, q.name) for q in Queue.select().where(Queue.active).order_by(Queue.name)]
        staff = [(f"{u.name} ({u.login})", u.login) for u in User.select().where(
            User.active & User.role.in_(sorted(permissions.STAFF))).order_by(User.name)]
    roles = [(_("Role: {role}").format(role=_(permissions.ROLE_LABELS[r])), f"role:{r}") for r in RESPONSIBLE_ROLES]
    return {"queue": queues, "responsible": roles + [(label, f"user:{login}") for label, login in staff],
            "user": staff}


def _user(login: str, field: str) -> int | None:
    login = clean(login)
    if not login:
        return None
    user = User.get_or_none((User.login == login) & User.active)
    if user is None:
        raise ValidationError(_("No active person with the login {login}").format(login=login), field)
    return user.id


def _named(model, name: str):
    """The row whose name is `name`, whatever its case."""
    return fn.lower(model.name) == clean(name).lower()


def _columns(kind: str, values: dict[str, str]) -> dict:
    """The row's columns from what was typed, each checked (errors at their fields)."""
    errors: dict[str, str] = {}
    out: dict = {}

    def take(field: str, check) -> None:
        if field not in values:
            return
        try:
            out.update(check(values[field]))
        except ValidationError as exc:
            errors.update(exc.errors)

    take("name", lambda v: {"name": validation.name(v, "name", max_len=MAX_NAME)})
    if kind in ("queue", "type"):
        for target in TARGETS:
            take(target, lambda v, target=target: {target: sla.check_target(v, target)})
    if kind == "type":
        def queue(v):
            if not clean(v):
                return {"queue": None}
            q = Queue.get_or_none(_named(Queue, v))
            if q is None:
                raise ValidationError(_("No destination named {name}").format(name=clean(v)), "queue")
            return {"queue": q.id}

        def responsible(v):
            v = clean(v)
            if v.startswith("role:") and v[5:] in RESPONSIBLE_ROLES:
                return {"responsible_role": v[5:], "responsible_user": None}
            if v.startswith("user:"):
                return {"responsible_role": "", "responsible_user": _user(v[5:], "responsible")}
            if not v:
                return {"responsible_role": "", "responsible_user": None}
            raise ValidationError(_("Responsible is role:agent, role:coordinator, role:supervisor or user:LOGIN"),
                                  "responsible")

        take("queue", queue)
        take("responsible", responsible)
        for flag in ("allows_link", "survey"):
            take(flag, lambda v, flag=flag: {flag: clean(str(v)).lower() in ("yes", "y", "true", "1", "sim")})
    elif kind == "technician":
        take("phone", lambda v: {"phone": validation.phone(v, "phone", required=False)})
        take("user", lambda v: {"user": _user(v, "user")})
    elif kind == "os_type":
        take("minutes", lambda v: {"default_minutes": validation.positive_int(v, "minutes", maximum=24 * 60)})
    if errors:
        raise ValidationError(errors)
    return out


def save(actor: Actor, kind: str, item_id: int | None, values: dict[str, str]) -> SetupItem:
    """Add (item_id None) or change a row of `kind` from `values` (field -> text,
    see FIELDS; a field left out is not changed). A name already in use, in
    any case or accents, is refused at the name."""
    require(actor, "desk.setup")
    _kind(kind)
    unknown = set(values) - set(FIELDS[kind])
    if unknown:
        raise ValidationError(_("A {what} has no {field}").format(what=_(ONE[kind]), field=", ".join(sorted(unknown))),
                              sorted(unknown)[0])
    if item_id is None and "name" not in values:
        values = {**values, "name": ""}
    model = MODELS[kind]
    with write_tx():
        columns = _columns(kind, values)
        if "name" in columns:
            folded = fold(columns["name"])
            for other in model.select(model.id, model.name).where(model.id != (item_id or 0)):
                if fold(other.name) == folded:
                    raise ValidationError(_("There is already a {what} named {name}").format(
                        what=_(ONE[kind]), name=other.name), "name")
        try:
            if item_id is None:
                item_id = model.insert(**columns).execute()
                action = "create"
            else:
                if not model.update(**columns).where(model.id == item_id).execute() and not (
                        model.select().where(model.id == item_id).exists()):
                    raise NotFound(_("No {what} with id {id}").format(what=_(ONE[kind]), id=item_id))
                action = "update"
        except IntegrityError:
            raise ValidationError(_("There is already a {what} named {name}").format(
                what=_(ONE[kind]), name=columns.get("name", "")), "name") from None
        audit.record(actor.login, kind, item_id, action, {k: str(v) for k, v in columns.items()})
        return _item(kind, _select(kind).where(model.id == item_id).get())


def set_active(actor: Actor, kind: str, item_id: int, active: bool) -> SetupItem:
    """Put a row back in use, or take it out of the wizard's choices."""
    require(actor, "desk.setup")
    _kind(kind)
    model = MODELS[kind]
    with write_tx():
        if not model.update(active=active).where(model.id == item_id).execute():
            raise NotFound(_("No {what} with id {id}").format(what=_(ONE[kind]), id=item_id))
        audit.record(actor.login, kind, item_id, "activate" if active else "deactivate")
        return _item(kind, _select(kind).where(model.id == item_id).get())
