"""Canned replies: texts supervisors keep (global, or for one destination),
which agents insert in a reply, an internal note or the wizard's first
contact, their placeholders filled in: {customer}, {protocol}, {agent},
{contact}.

Filling is a plain substitution of those four names: the text is never a
format string (a `{0.__class__}` stays as typed), and a placeholder whose
value is unknown (no contact yet) is left as typed, for the agent to see.
Rows are taken out of use, never deleted (`set_active`)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from peewee import JOIN

from models import Contact, Customer, Queue, Ticket, reading, write_tx
from models.canned import CannedReply
from services.core import clock, validation
from services.core.errors import NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import fold
from services.store import audit

PLACEHOLDERS = {"customer": N_("the customer's name"), "protocol": N_("the ticket's protocol"),
                "agent": N_("your name"), "contact": N_("the calling contact's name")}
MAX_TITLE = 120
MAX_BODY = 20_000
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")


@dataclass(frozen=True)
class Canned:
    id: int
    title: str
    body: str
    queue_id: int | None
    queue_name: str
    """"" for a reply of every destination."""
    active: bool


def _rows(query) -> list[Canned]:
    return [Canned(i, title, body, queue_id, queue_name or "", bool(active))
            for i, title, body, queue_id, queue_name, active in query.tuples()]


def _query():
    return (CannedReply.select(CannedReply.id, CannedReply.title, CannedReply.body, CannedReply.queue,
                               Queue.name, CannedReply.active)
            .join(Queue, JOIN.LEFT_OUTER, on=(CannedReply.queue == Queue.id)))


def _matches(reply: Canned, words: list[str]) -> bool:
    where = fold(f"{reply.title} {reply.body}")
    return all(w in where for w in words)


def choices(actor: Actor, text: str = "", *, ticket_id: int | None = None, queue_id: int | None = None,
            limit: int = 200) -> list[Canned]:
    """The replies in use an agent may insert, by title: those of every
    destination plus those of the ticket's (or `queue_id`'s; with neither,
    all of them), whose title or text hold every word of `text`."""
    require(actor, "tickets.work")
    words = fold(text).split()
    with reading():
        if ticket_id is not None:
            queue_id = Ticket.select(Ticket.queue).where(Ticket.id == ticket_id).scalar()
            scope = CannedReply.queue.is_null() | (CannedReply.queue == queue_id)
        elif queue_id is not None:
            scope = CannedReply.queue.is_null() | (CannedReply.queue == queue_id)
        else:
            scope = True
        rows = _rows(_query().where(CannedReply.active & scope).order_by(CannedReply.title_norm, CannedReply.id))
    return [r for r in rows if _matches(r, words)][:limit]


def replies(actor: Actor) -> list[Canned]:
    """Every canned reply, those in use first (supervisors' list)."""
    require(actor, "canned.manage")
    with reading():
        return _rows(_query().order_by(CannedReply.active.desc(), CannedReply.title_norm, CannedReply.id))


def destinations(actor: Actor) -> list[tuple[str, int]]:
    """The destinations in use a reply may be kept for, as (name, id)."""
    require(actor, "canned.manage")
    with reading():
        return list(Queue.select(Queue.name, Queue.id).where(Queue.active).order_by(Queue.name).tuples())


def get(actor: Actor, reply_id: int) -> Canned:
    require(actor, "tickets.work")
    with reading():
        found = _rows(_query().where(CannedReply.id == reply_id))
    if not found:
        raise NotFound(_("No canned reply {id}").format(id=reply_id))
    return found[0]


def check_placeholders(body: str) -> None:
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(body)} - set(PLACEHOLDERS))
    if unknown:
        raise ValidationError(_("Unknown placeholder {{{name}}}: use {known}").format(
            name=unknown[0], known=", ".join("{" + p + "}" for p in PLACEHOLDERS)), "body")


def save(actor: Actor, reply_id: int | None, *, title: str, body: str, queue_id: int | None = None) -> Canned:
    """Add (`reply_id` None) or change a canned reply; errors at their fields."""
    require(actor, "canned.manage")
    errors: dict[str, str] = {}
    values: dict = {}
    for key, check in (("title", lambda: validation.name(title, "title", max_len=MAX_TITLE)),
                       ("body", lambda: validation.long_text(body, "body", required=True, max_len=MAX_BODY))):
        try:
            values[key] = check()
        except ValidationError as exc:
            errors.update(exc.errors)
    if "body" in values:
        try:
            check_placeholders(values["body"])
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    norm = fold(values["title"])[:MAX_TITLE]
    with write_tx():
        if queue_id is not None and not Queue.select().where(Queue.id == queue_id).exists():
            raise ValidationError(_("No such destination"), "queue")
        clash = CannedReply.select(CannedReply.title).where(
            (CannedReply.title_norm == norm) & CannedReply.active
            & (CannedReply.id != (reply_id or 0))).scalar()
        if clash is not None:
            raise ValidationError(_("A canned reply in use is already called {title}").format(title=clash), "title")
        row = dict(title=values["title"], title_norm=norm, body=values["body"], queue=queue_id,
                   updated_by=actor.login, updated_at=clock.now())
        if reply_id is None:
            reply_id = CannedReply.insert(**row).execute()
            audit.record(actor.login, "canned_reply", reply_id, "create",
                         {"title": values["title"], "queue": queue_id})
        else:
            before = CannedReply.get_or_none(CannedReply.id == reply_id)
            if before is None:
                raise NotFound(_("No canned reply {id}").format(id=reply_id))
            CannedReply.update(**row).where(CannedReply.id == reply_id).execute()
            audit.record(actor.login, "canned_reply", reply_id, "update", audit.diff(
                {"title": before.title, "body": before.body, "queue": before.queue_id},
                {"title": values["title"], "body": values["body"], "queue": queue_id}))
        found = _rows(_query().where(CannedReply.id == reply_id))[0]
    return found


def set_active(actor: Actor, reply_id: int, active: bool) -> Canned:
    """Take a reply out of use (agents no longer see it) or put it back."""
    require(actor, "canned.manage")
    with write_tx():
        row = CannedReply.get_or_none(CannedReply.id == reply_id)
        if row is None:
            raise NotFound(_("No canned reply {id}").format(id=reply_id))
        if active and not row.active and CannedReply.select().where(
                (CannedReply.title_norm == row.title_norm) & CannedReply.active).exists():
            raise ValidationError(_("A canned reply in use is already called {title}").format(title=row.title),
                                  "title")
        CannedReply.update(active=active).where(CannedReply.id == reply_id).execute()
        audit.record(actor.login, "canned_reply", reply_id, "enable" if active else "disable", {})
        return _rows(_query().where(CannedReply.id == reply_id))[0]


def render(body: str, values: dict[str, str]) -> str:
    """`body` with each known placeholder replaced by its value (an empty or
    unknown value leaves the placeholder as typed)."""
    def one(m: re.Match) -> str:
        name = m.group(1)
        return values.get(name) or m.group(0) if name in PLACEHOLDERS else m.group(0)

    return _PLACEHOLDER.sub(one, body)


def ticket_values(ticket_id: int) -> dict[str, str]:
    """The placeholders' values of a ticket (inside the caller's read)."""
    row = (Ticket.select(Ticket.protocol, Customer.name, Contact.name)
           .join(Customer, JOIN.LEFT_OUTER, on=(Ticket.customer == Customer.id))
           .switch(Ticket).join(Contact, JOIN.LEFT_OUTER, on=(Ticket.contact == Contact.id))
           .where(Ticket.id == ticket_id).tuples().first())
    if row is None:
        raise NotFound(_("No such ticket"))
    protocol, customer, contact = row
    return {"protocol": protocol or "", "customer": customer or "", "contact": contact or ""}


def fill(actor: Actor, reply_id: int, *, ticket_id: int | None = None,
         values: dict[str, str] | None = None) -> str:
    """The reply's text for the ticket `ticket_id` (or the given `values`,
    e.g. the wizard's draft), the agent being `actor`."""
    reply = get(actor, reply_id)
    known = dict(values or {})
    if ticket_id is not None:
        with reading():
            known.update(ticket_values(ticket_id))
    known["agent"] = actor.name
    return render(reply.body, known)
