"""What e-mail in did with each message (services.tickets.mail_in records it):
a new ticket, a message on one, or ignored, and why. Staff read it to find
a customer's mail that opened nothing (an auto-reply rule too eager, a loop)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import JOIN

from models import Ticket, reading
from models.desk import MailIn
from services.core.i18n import N_
from services.core.permissions import Actor, require

OUTCOMES = {"ticket": N_("new ticket"), "reply": N_("added to a ticket"), "ignored": N_("ignored")}
MAX_ROWS = 500


@dataclass(frozen=True)
class TakenIn:
    id: int
    received_at: dt.datetime
    via: str
    sender: str
    subject: str
    outcome: str
    reason: str
    protocol: str
    message_id: str


def taken_in(actor: Actor, outcome: str | None = None, limit: int = MAX_ROWS) -> list[TakenIn]:
    """The newest messages taken in (only those of `outcome`, when given)."""
    require(actor, "mail.read")
    query = (MailIn.select(MailIn.id, MailIn.received_at, MailIn.via, MailIn.sender, MailIn.subject, MailIn.outcome,
                           MailIn.reason, Ticket.protocol, MailIn.message_id)
             .join(Ticket, JOIN.LEFT_OUTER, on=(MailIn.ticket == Ticket.id)))
    if outcome is not None:
        query = query.where(MailIn.outcome == outcome)
    with reading():
        rows = list(query.order_by(MailIn.id.desc()).limit(max(1, min(limit, MAX_ROWS))).tuples())
    return [TakenIn(i, at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at)), via or "",
                    sender or "", subject or "", out, reason or "", protocol or "", message_id)
            for i, at, via, sender, subject, out, reason, protocol, message_id in rows]
