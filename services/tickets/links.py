"""Linked tickets: a new ticket may become the child of an open ticket for a
plan on the same network, when its type allows linking (an outage reported
by many customers is followed once, on the parent)."""
from __future__ import annotations

from dataclasses import dataclass

from peewee import JOIN

from models import AccessPoint, Customer, Plan, Ticket, TicketType, reading
from services.core.errors import ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.tickets.protocol import OPEN_STATUSES


@dataclass(frozen=True)
class ParentCandidate:
    id: int
    protocol: str
    customer: str
    subject: str
    network: str


def _network_of(plan_id: int | None) -> int | None:
    if not plan_id:
        return None
    return (AccessPoint.select(AccessPoint.network).join(Plan, on=(Plan.access_point == AccessPoint.id))
            .where(Plan.id == plan_id).scalar())


def _candidates(plan_id: int | None, type_id: int | None, exclude_ticket: int | None):
    if not type_id or not plan_id:
        return None
    allows = TicketType.select(TicketType.allows_link).where(TicketType.id == type_id).scalar()
    network = _network_of(plan_id)
    if not allows or network is None:
        return None
    q = (Ticket.select(Ticket.id, Ticket.protocol, Ticket.subject, Customer.name.alias("customer_name"))
         .join(Plan, on=(Ticket.plan == Plan.id))
         .join(AccessPoint, on=(Plan.access_point == AccessPoint.id))
         .switch(Ticket).join(Customer, join_type=JOIN.LEFT_OUTER, on=(Ticket.customer == Customer.id))
         .where((AccessPoint.network == network) & (Ticket.status.in_(OPEN_STATUSES))
                & (Ticket.parent.is_null()))
         .order_by(Ticket.created_at.desc()))
    if exclude_ticket:
        q = q.where(Ticket.id != exclude_ticket)
    return q


def parent_candidates(actor: Actor, plan_id: int | None, type_id: int | None,
                      exclude_ticket: int | None = None, limit: int = 20) -> list[ParentCandidate]:
    """Open tickets this one may be attached to (none when the type does not allow linking)."""
    require(actor, "tickets.read")
    with reading():
        q = _candidates(plan_id, type_id, exclude_ticket)
        if q is None:
            return []
        from models import Network

        network = _network_of(plan_id)
        net_name = Network.select(Network.name).where(Network.id == network).scalar() or ""
        return [ParentCandidate(t["id"], t["protocol"], t["customer_name"] or "", t["subject"], net_name)
                for t in q.limit(limit).dicts()]


def check_link(parent_id: int, plan_id: int | None, type_id: int | None, exclude_ticket: int | None) -> Ticket:
    """The parent ticket if linking to it is allowed, else ValidationError on 'parent' with the reason.

    Call inside the caller's transaction."""
    if not type_id or not TicketType.select(TicketType.allows_link).where(TicketType.id == type_id).scalar():
        raise ValidationError(_("This ticket type does not allow linking to a parent ticket"), "parent")
    if _network_of(plan_id) is None:
        raise ValidationError(_("Linking needs a plan whose access point is on a network"), "parent")
    parent = Ticket.get_or_none(Ticket.id == parent_id)
    if parent is None:
        raise ValidationError(_("The parent ticket no longer exists"), "parent")
    q = _candidates(plan_id, type_id, exclude_ticket)
    if q is None or not q.where(Ticket.id == parent_id).exists():
        raise ValidationError(_("Ticket {protocol} is not an open ticket on this plan's network").format(
            protocol=parent.protocol), "parent")
    return parent
