"""Registering a caller on the spot: a customer or prospect nobody found in
the lookup, with the contact who is calling, in one transaction."""
from __future__ import annotations

from dataclasses import dataclass

from models import Contact, Customer, write_tx
from services.core import clock, validation
from services.core.errors import ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import clean, digits, fold
from services.customers.lookup import CustomerHit, customer_hit
from services.store import audit

KINDS = ("customer", "prospect")
MAX_CITY = 120


@dataclass(frozen=True)
class Registered:
    customer: CustomerHit
    contact_id: int


def register(actor: Actor, *, kind: str, name: str, doc: str = "", phone: str = "", email: str = "",
             city: str = "") -> Registered:
    """Add a customer (CPF/CNPJ required) or a prospect (optional), validated
    as everywhere, with its first contact (the caller: the same name, phone
    and e-mail). A CPF/CNPJ already on record is refused, naming whose it is."""
    require(actor, "customers.edit")
    if kind not in KINDS:
        raise ValidationError(_("Unknown kind '{kind}'").format(kind=kind), "kind")
    errors: dict[str, str] = {}
    values: dict = {}
    for key, check in (("name", lambda: validation.name(name, "name")),
                       ("doc", lambda: validation.cpf_or_cnpj(doc, "doc", required=kind == "customer")),
                       ("phone", lambda: validation.phone(phone, "phone", required=False)),
                       ("email", lambda: validation.email(email, "email", required=False)),
                       ("city", lambda: validation.name(city, "city", required=False, max_len=MAX_CITY))):
        try:
            values[key] = check()
        except ValidationError as exc:
            errors.update(exc.errors)
    if "phone" in values and "email" in values and not values["phone"] and not values["email"]:
        errors["phone"] = _("Give a phone or an e-mail to reach this caller")
    if errors:
        raise ValidationError(errors)
    number, doc_kind = values.pop("doc")
    with write_tx():
        if number:
            owner = Customer.get_or_none(Customer.doc == number)
            if owner is not None:
                raise ValidationError(_("This CPF/CNPJ is already registered to {name}: find them instead").format(
                    name=owner.name), "doc")
        customer = Customer.create(
            kind=kind, name=values["name"], name_norm=fold(values["name"]), doc=number, doc_kind=doc_kind or "cpf",
            email=values["email"], phone=values["phone"], phone_digits=digits(values["phone"]),
            city=values["city"], city_norm=fold(clean(values["city"])), created_at=clock.now())
        contact = Contact.create(customer=customer, name=values["name"], phone=values["phone"],
                                 email=values["email"], is_primary=True)
        audit.record(actor.login, "customer", customer.id, "create",
                     {"kind": kind, "name": values["name"], "doc": number, "by": "wizard"})
        return Registered(customer_hit(customer), contact.id)
