"""A public reply e-mailed to the ticket's contact.

`thread.add_message` calls `queue_reply` inside its transaction: the reply
and its e-mail are written together (the outbox sends it later). The subject
carries the protocol, "[#PROTOCOL] subject", so the customer's answer comes
back to the same ticket (`services.tickets.mail_in`), and the mail has the
threading headers of the customer's own messages (In-Reply-To: the latest
one, References: all of them), so their mail program shows one conversation.
An answer whose subject lost the protocol still comes back by those headers:
our Message-ID names the outbox row, which is about the ticket.
"""
from __future__ import annotations

from models import Contact, Ticket
from models.desk import MailIn
from services.core.errors import ValidationError
from services.core.i18n import _
from services.core.permissions import Actor
from services.mail import outbox
from services.mail.inbound import PROTOCOL_IN_SUBJECT

KIND = "ticket_reply"


def reply_subject(t: Ticket) -> str:
    """ "[#PROTOCOL] subject", without a protocol mark the subject already had."""
    subject = " ".join(PROTOCOL_IN_SUBJECT.sub(" ", t.subject or "").split())
    return f"[#{t.protocol}] {subject or _('Ticket {protocol}').format(protocol=t.protocol)}"


def thread_headers(ticket_id: int) -> dict[str, str]:
    """In-Reply-To and References from the Message-IDs of the mail the ticket received."""
    ids = [m for (m,) in MailIn.select(MailIn.message_id)
           .where((MailIn.ticket == ticket_id) & (MailIn.outcome != "ignored")).order_by(MailIn.id).tuples()]
    return outbox.thread_headers(ids[-1] if ids else "", ids)


def queue_reply(actor: Actor, t: Ticket, message_id: int, text: str) -> int | None:
    """Queue the e-mail of public reply `message_id` to the ticket's contact
    (inside the caller's transaction); None when the contact has no e-mail
    address. An address the outbox refuses is kept as a failed mail saying why,
    and the reply itself is saved."""
    contact = Contact.get_or_none(Contact.id == t.contact_id) if t.contact_id else None
    if contact is None or not (contact.email or "").strip():
        return None
    to = outbox.recipient(contact.name, contact.email)
    subject = reply_subject(t)
    key = f"{KIND}:{message_id}"
    body = text + "\n\n-- \n" + _("Ticket {protocol}: reply to this e-mail to add to it.").format(
        protocol=t.protocol)
    try:
        return outbox.queue(to=to, subject=subject, text=body, about=("ticket", t.id), kind=KIND, key=key,
                            created_by=actor.login, headers=thread_headers(t.id))
    except ValidationError as exc:
        return outbox.record_failed(to=contact.email, subject=subject, kind=KIND, key=key, about=("ticket", t.id),
                                    error=exc.message, created_by=actor.login)
