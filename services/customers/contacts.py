"""A customer's details, contacts (with their extra fields) and plans, as the
wizard's customer and plan steps show and edit them."""
from __future__ import annotations

import json
from dataclasses import dataclass

from peewee import JOIN

from models import (
    AccessPoint,
    Contact,
    ContactExtraValue,
    Customer,
    ExtraField,
    Network,
    Plan,
    Ticket,
    reading,
    write_tx,
)
from services.core import validation
from services.core.errors import NotFound, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.store import audit


@dataclass(frozen=True)
class ExtraFieldInfo:
    id: int
    name: str
    label: str
    type: str
    choices: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class ContactInfo:
    id: int
    name: str
    phone: str
    email: str
    position: str
    doc: str
    is_primary: bool
    extras: tuple[tuple[int, str], ...]  # (field id, value)


@dataclass(frozen=True)
class PlanInfo:
    id: int
    name: str
    login: str
    login_kind: str
    status: str
    access_point_id: int | None
    access_point: str
    network: str
    has_router: bool


@dataclass(frozen=True)
class CustomerDetails:
    id: int
    kind: str
    name: str
    doc: str
    email: str
    phone: str
    city: str
    state: str
    address: str
    contract: str
    account_status: str
    contacts: tuple[ContactInfo, ...]
    plans: tuple[PlanInfo, ...]

    @property
    def is_company(self) -> bool:
        """Whether the document is a CNPJ (stored bare; an alphanumeric one keeps its letters)."""
        return len(self.doc) == 14


def extra_fields(actor: Actor) -> list[ExtraFieldInfo]:
    require(actor, "customers.read")
    with reading():
        return [_field(f) for f in ExtraField.select().order_by(ExtraField.position, ExtraField.id)]


def _field(f: ExtraField) -> ExtraFieldInfo:
    try:
        choices = tuple(str(c) for c in json.loads(f.choices or "[]"))
    except ValueError:
        choices = ()
    return ExtraFieldInfo(f.id, f.name, f.label, f.type, choices, f.required)


def _contact(c: Contact, extras: dict[int, list[tuple[int, str]]]) -> ContactInfo:
    return ContactInfo(c.id, c.name, c.phone, c.email, c.position, c.doc, c.is_primary,
                       tuple(extras.get(c.id, ())))


def details(actor: Actor, customer_id: int) -> CustomerDetails:
    require(actor, "customers.read")
    with reading():
        c = Customer.get_or_none(Customer.id == customer_id)
        if c is None:
            raise NotFound(_("No customer with id {id}").format(id=customer_id))
        contacts = list(Contact.select().where(Contact.customer == c.id)
                        .order_by(Contact.is_primary.desc(), Contact.name))
        extras: dict[int, list[tuple[int, str]]] = {}
        if contacts:
            for v in ContactExtraValue.select().where(ContactExtraValue.contact.in_([k.id for k in contacts])):
                extras.setdefault(v.contact_id, []).append((v.field_id, v.value))
        plans = (Plan.select(Plan, AccessPoint, Network)
                 .join(AccessPoint, join_type=JOIN.LEFT_OUTER, on=(Plan.access_point == AccessPoint.id))
                 .join(Network, join_type=JOIN.LEFT_OUTER, on=(AccessPoint.network == Network.id))
                 .where(Plan.customer == c.id).order_by(Plan.id))
        plan_infos = []
        for p in plans:
            ap = p.access_point if p.access_point_id else None
            net = ap.network if ap is not None and ap.network_id else None
            plan_infos.append(PlanInfo(p.id, p.name, p.login, p.login_kind, p.status, p.access_point_id,
                                       ap.name if ap else "", net.name if net else "",
                                       bool(ap and ap.router_host)))
        return CustomerDetails(c.id, c.kind, c.name, c.doc, c.email, c.phone, c.city, c.state, c.address,
                               c.contract, c.account_status, tuple(_contact(k, extras) for k in contacts),
                               tuple(plan_infos))


def _check_extra(field: ExtraFieldInfo, value: str) -> str:
    value = clean(value)
    key = f"extra_{field.id}"
    if not value:
        if field.required:
            raise ValidationError(_("{label} is required").format(label=field.label), key)
        return ""
    if field.type == "number":
        try:
            float(value.replace(",", "."))
        except ValueError:
            raise ValidationError(_("{label}: type a number").format(label=field.label), key) from None
    elif field.type == "date":
        try:
            validation.date(value, key)
        except ValidationError:
            raise ValidationError(_("{label}: use DD/MM/YYYY").format(label=field.label), key) from None
    elif field.type == "choice" and field.choices and value not in field.choices:
        raise ValidationError(_("{label}: choose one of {choices}").format(
            label=field.label, choices=", ".join(field.choices)), key)
    if len(value) > 500:
        raise ValidationError(_("Too long: at most {n} characters").format(n=500), key)
    return value


def save_contact(actor: Actor, customer_id: int, contact_id: int | None, *, name: str, phone: str = "",
                 email: str = "", position: str = "", doc: str = "",
                 extras: dict[int, str] | None = None) -> ContactInfo:
    """Add (contact_id None) or change a contact, validating CPF, e-mail, phone and extra fields."""
    require(actor, "customers.edit")
    errors: dict[str, str] = {}
    values = {}
    for key, fn in (("name", lambda: validation.name(name, "name")),
                    ("phone", lambda: validation.phone(phone, "phone", required=False)),
                    ("email", lambda: validation.email(email, "email", required=False)),
                    ("doc", lambda: validation.cpf(doc, "doc", required=False)),
                    ("position", lambda: validation.name(position, "position", required=False, max_len=120))):
        try:
            values[key] = fn()
        except ValidationError as exc:
            errors.update(exc.errors)
    if not errors.get("phone") and not errors.get("email") and not values.get("phone") and not values.get("email"):
        errors["phone"] = _("Give a phone or an e-mail to reach this contact")
    fields = {f.id: f for f in extra_fields(actor)}
    checked: dict[int, str] = {}
    for field_id, value in (extras or {}).items():
        f = fields.get(int(field_id))
        if f is None:
            continue
        try:
            checked[f.id] = _check_extra(f, value)
        except ValidationError as exc:
            errors.update(exc.errors)
    for f in fields.values():
        if f.required and f.id not in checked and contact_id is None:
            errors[f"extra_{f.id}"] = _("{label} is required").format(label=f.label)
    if errors:
        raise ValidationError(errors)
    with write_tx():
        if not Customer.select().where(Customer.id == customer_id).exists():
            raise NotFound(_("No customer with id {id}").format(id=customer_id))
        if contact_id is None:
            contact_id = Contact.insert(customer=customer_id, **values).execute()
            action, changes = "create", values
        else:
            old = Contact.get_or_none((Contact.id == contact_id) & (Contact.customer == customer_id))
            if old is None:
                raise NotFound(_("This contact was deleted meanwhile"))
            before = {k: getattr(old, k) for k in values}
            Contact.update(**values).where(Contact.id == contact_id).execute()
            action, changes = "update", audit.diff(before, values)
        for field_id, value in checked.items():
            if value:
                (ContactExtraValue.insert(contact=contact_id, field=field_id, value=value)
                 .on_conflict(conflict_target=[ContactExtraValue.contact, ContactExtraValue.field],
                              update={ContactExtraValue.value: value}).execute())
            else:
                ContactExtraValue.delete().where((ContactExtraValue.contact == contact_id)
                                                 & (ContactExtraValue.field == field_id)).execute()
        if checked:
            changes = {**changes, "extras": {str(k): v for k, v in checked.items()}}
        audit.record(actor.login, "contact", contact_id, action, changes)
        c = Contact.get_by_id(contact_id)
        extras_rows = {contact_id: [(v.field_id, v.value) for v in
                                    ContactExtraValue.select().where(ContactExtraValue.contact == contact_id)]}
        return _contact(c, extras_rows)


def delete_contact(actor: Actor, contact_id: int) -> None:
    require(actor, "customers.edit")
    with write_tx():
        c = Contact.get_or_none(Contact.id == contact_id)
        if c is None:
            return
        if Ticket.select().where((Ticket.contact == contact_id) & (Ticket.status != "abandoned")
                                 & (Ticket.status != "draft")).exists():
            raise ValidationError(_("{name} is the contact of tickets on record: edit it instead").format(
                name=c.name), "contact")
        Contact.delete().where(Contact.id == contact_id).execute()
        audit.record(actor.login, "contact", contact_id, "delete", {"name": c.name, "customer": c.customer_id})


def access_point_name(actor: Actor, access_point_id: int) -> str:
    require(actor, "customers.read")
    with reading():
        return AccessPoint.select(AccessPoint.name).where(AccessPoint.id == access_point_id).scalar() or ""
