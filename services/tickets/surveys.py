"""Satisfaction surveys: when a ticket is resolved, its contact (the caller,
not the agent) gets one e-mail with a link to rate the service from 1 to 5
on the web (/avaliacao/<token>), once per ticket. The link's token is the
only key: its SHA-256 is stored, a GET never records, and a second answer
is refused. Results per agent, queue and type feed the supervisor's
dashboard (services.supervisor.dashboard.satisfaction)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from models import Contact, Ticket, TicketType, reading, write_tx
from models.desk import Survey
from services.core import clock, validation
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor
from services.core.text import clean

MAX_COMMENT = 2000
RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class SurveyView:
    protocol: str
    answered: bool
    rating: int | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def offer(actor: Actor, t: Ticket) -> int | None:
    """Inside the transaction that resolves `t`: queue its survey e-mail, once.
    None when there is nobody to ask (an access point's ticket, no contact
    e-mail), the type asks for none, or the web pages have no address yet."""
    from services.mail import outbox
    from services.store import settings

    if t.kind == "access_point" or not t.contact_id:
        return None
    if t.type_id and not TicketType.select(TicketType.survey).where(TicketType.id == t.type_id).scalar():
        return None
    contact = Contact.get_or_none(Contact.id == t.contact_id)
    base = settings.get_url("web.base_url")
    if contact is None or not contact.email or not base:
        return None
    if Survey.select().where(Survey.ticket == t.id).exists():
        return None  # resolved again after a reopening: asked once per ticket
    token = secrets.token_urlsafe(32)
    Survey.insert(ticket=t.id, token_hash=_hash(token), agent=actor.id or t.responsible_id, queue=t.queue_id,
                  type=t.type_id, sent_at=clock.now()).execute()
    text = _("Hello, {name}.\n\nYour ticket {protocol} was resolved. How did we do? Rate our service from 1 to 5 "
             "(it takes a few seconds, once):\n\n{link}\n\nThank you.").format(
        name=contact.name, protocol=t.protocol, link=f"{base}/avaliacao/{token}")
    return outbox.queue(to=contact.email, subject=_("How did we do? Ticket {protocol}").format(protocol=t.protocol),
                        text=text, about=("ticket", t.id), kind="survey", key=f"survey:{t.id}",
                        created_by=actor.login)


def _row(token: str) -> Survey:
    token = clean(token)
    row = Survey.get_or_none(Survey.token_hash == _hash(token)) if token and len(token) <= 128 else None
    if row is None:
        raise NotFound(_("This survey link is not valid"))
    return row


def _view(row: Survey) -> SurveyView:
    protocol = Ticket.select(Ticket.protocol).where(Ticket.id == row.ticket_id).scalar() or ""
    return SurveyView(protocol, row.answered_at is not None, row.rating)


def find(token: str) -> SurveyView:
    """The survey behind a link (reading it records nothing)."""
    with reading():
        return _view(_row(token))


def answer(token: str, rating, comment: str = "") -> SurveyView:
    """Record the rating (1-5) and an optional comment, once: a second answer
    (a double click, the link opened twice) is refused and changes nothing."""
    errors = {}
    try:
        value = int(str(rating).strip())
    except (TypeError, ValueError):
        value = 0
    if value not in RATINGS:
        errors["rating"] = _("Choose a rating from 1 to 5")
    try:
        comment = validation.long_text(comment, "comment", max_len=MAX_COMMENT)
    except ValidationError as exc:
        errors.update(exc.errors)
    with write_tx():
        row = _row(token)
        if errors:
            raise ValidationError(errors)
        done = (Survey.update(rating=value, comment=comment, answered_at=clock.now())
                .where((Survey.id == row.id) & Survey.answered_at.is_null()).execute())
        if not done:
            raise Conflict(_("This survey was already answered. Thank you!"))
        return _view(Survey.get_by_id(row.id))
