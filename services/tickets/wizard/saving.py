"""A draft kept in the database: `start` reserves the protocol, `save` writes
the draft (JSON, keyed by protocol and owner) at every step change so an SSH
drop or a `kill -9` loses nothing, `pending_drafts` offers it back, `cancel`
abandons the ticket."""
from __future__ import annotations

from peewee import JOIN, Value, fn

from models import Ticket, User, reading, write_tx
from models.wizard import TicketDraft
from services.core import clock
from services.core.errors import Conflict, NotFound
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.tickets import protocol
from services.tickets.wizard.draft import Draft, from_json, to_json


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
    check_owner(actor, d)
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


def check_owner(actor: Actor, d: Draft) -> None:
    """Only the draft's owner, allowed to open tickets, may save or finish it."""
    require(actor, "tickets.create")
    if d.owner != actor.login:
        raise Conflict(_("This draft belongs to {login}").format(login=d.owner))
