"""Customer lookup: the search the wizard, triage and the desk share.

Conditions work on the folded (lower-case, accent-free) columns, so "joao"
finds "João". Search text is data, never SQL or FTS syntax.
"""
from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from models import AccessPoint, Customer, Plan, reading

from .errors import ValidationError
from .i18n import N_, _
from .permissions import Actor, require
from .text import clean, digits, fold

FIELDS = {
    "name": N_("Name"), "doc": N_("CPF/CNPJ"), "phone": N_("Phone"), "email": N_("E-mail"),
    "city": N_("City"), "login": N_("Login"), "contract": N_("Contract"),
}
CONDITIONS = {"contains": N_("contains"), "starts": N_("starts with"), "equals": N_("equals")}
KINDS = {"customer": N_("Customer"), "prospect": N_("Prospect"), "access_point": N_("Access point")}
MAX_LIMIT = 500


@dataclass(frozen=True)
class LookupQuery:
    text: str
    field: str = "name"
    condition: str = "contains"
    limit: int = 50
    kind: str = "customer"


@dataclass(frozen=True)
class CustomerHit:
    id: int
    kind: str
    name: str
    doc: str
    phone: str
    email: str
    city: str
    state: str
    contract: str
    account_status: str


def _check(q: LookupQuery) -> LookupQuery:
    errors = {}
    if q.field not in FIELDS:
        errors["field"] = _("Unknown field '{field}'").format(field=q.field)
    if q.condition not in CONDITIONS:
        errors["condition"] = _("Unknown condition '{condition}'").format(condition=q.condition)
    if q.kind not in KINDS:
        errors["kind"] = _("Unknown kind '{kind}'").format(kind=q.kind)
    if not isinstance(q.limit, int) or not 1 <= q.limit <= MAX_LIMIT:
        errors["limit"] = _("Quantity must be between 1 and {n}").format(n=MAX_LIMIT)
    if errors:
        raise ValidationError(errors)
    return q


def _needle(q: LookupQuery) -> str:
    text = clean(q.text)[:200]
    if q.field in ("doc", "phone"):
        return digits(text)
    if q.field == "contract":
        return text.upper()
    return fold(text)


def _match(column, needle: str, condition: str):
    if condition == "equals":
        return column == needle
    if condition == "starts":
        # A range, so the B-tree index is used whatever LIKE's case rules are.
        return (column >= needle) & (column < needle + "\U0010ffff")
    return fn.instr(column, needle) > 0


def lookup(actor: Actor, q: LookupQuery) -> list[CustomerHit]:
    """Up to `q.limit` matches, best first; an empty search returns nothing."""
    require(actor, "customers.read")
    q = _check(q)
    needle = _needle(q)
    if not needle:
        return []
    with reading():
        if q.kind == "access_point":
            return _lookup_access_points(q, needle)
        column = {
            "name": Customer.name_norm, "doc": Customer.doc, "phone": Customer.phone_digits,
            "email": Customer.email, "city": Customer.city_norm, "contract": Customer.contract,
        }.get(q.field)
        query = Customer.select().where(Customer.kind == q.kind)
        if q.field == "login":
            sub = Plan.select(Plan.customer).where(_match(Plan.login, needle, q.condition))
            query = query.where(Customer.id.in_(sub))
        else:
            query = query.where(_match(column, needle, q.condition))
        query = query.order_by(Customer.name_norm).limit(q.limit)
        return [_hit(c) for c in query]


def _lookup_access_points(q: LookupQuery, needle: str) -> list[CustomerHit]:
    column = AccessPoint.city if q.field == "city" else AccessPoint.name_norm
    query = (AccessPoint.select().where(_match(fn.lower(column) if q.field == "city" else column, needle, q.condition))
             .order_by(AccessPoint.name_norm).limit(q.limit))
    return [CustomerHit(a.id, "access_point", a.name, "", "", "", a.city, a.state, "", "active" if a.active else "inactive")
            for a in query]


def _hit(c: Customer) -> CustomerHit:
    return CustomerHit(c.id, c.kind, c.name, c.doc, c.phone, c.email, c.city, c.state, c.contract, c.account_status)


def format_doc(doc: str) -> str:
    """123.456.789-09 or 12.345.678/0001-90."""
    if len(doc) == 11:
        return f"{doc[:3]}.{doc[3:6]}.{doc[6:9]}-{doc[9:]}"
    if len(doc) == 14:
        return f"{doc[:2]}.{doc[2:5]}.{doc[5:8]}/{doc[8:12]}-{doc[12:]}"
    return doc
