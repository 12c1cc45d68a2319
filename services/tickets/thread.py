"""A ticket's life after the wizard: its thread of messages (public replies
and internal notes), the status workflow, reassignment.

Changes to the ticket itself are optimistic: the caller passes the `version`
it read; `UPDATE ... WHERE id=? AND version=?` touching no row means someone
saved first, and `Conflict` names them. Every change writes an audit row in
the same transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import Ticket, User, reading, write_tx
from models.desk import MESSAGE_KINDS, TicketMessage
from models.wizard import ServiceOrder
from services.core import clock, validation
from services.core.errors import Conflict, NeedsConfirmation, NotFound, ValidationError
from services.core.i18n import N_, _, ngettext
from services.core.permissions import Actor, require
from services.core.text import clean
from services.store import audit
from services.tickets import sla, surveys
from services.tickets.protocol import STATUSES

MAX_MESSAGE = 100_000
"""Characters in one message; a longer paste is refused with a clear message."""

KIND_LABELS = {"public": N_("Public reply"), "internal": N_("Internal note")}

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "waiting_customer", "resolved", "finished"),
    "in_progress": ("open", "waiting_customer", "resolved", "finished"),
    "waiting_customer": ("open", "in_progress", "resolved", "finished"),
    "resolved": ("finished", "open"),
    "finished": ("open",),
}
"""Where each status may go. Going back to "open" from resolved or finished is
a reopening and needs a reason."""

CLOSED = ("resolved", "finished")


@dataclass(frozen=True)
class MessageView:
    id: int
    kind: str
    kind_label: str
    body: str
    author: str
    author_login: str
    created_at: dt.datetime

    @property
    def internal(self) -> bool:
        return self.kind == "internal"


@dataclass(frozen=True)
class TicketState:
    id: int
    protocol: str
    status: str
    status_label: str
    responsible: str
    responsible_login: str
    version: int
    updated_by: str
    updated_at: dt.datetime
    closed_at: dt.datetime | None


def ticket_row(ticket_id: int) -> Ticket:
    t = Ticket.get_or_none(Ticket.id == ticket_id)
    if t is None or t.status == "draft":
        raise NotFound(_("No such ticket"))
    return t


def ticket_state(t: Ticket) -> TicketState:
    resp = User.get_or_none(User.id == t.responsible_id) if t.responsible_id else None
    return TicketState(
        id=t.id, protocol=t.protocol, status=t.status, status_label=_(STATUSES.get(t.status, t.status)),
        responsible=resp.name if resp else "", responsible_login=resp.login if resp else "",
        version=t.version, updated_by=t.updated_by, updated_at=t.updated_at, closed_at=t.closed_at)


def state(actor: Actor, ticket_id: int) -> TicketState:
    require(actor, "tickets.read")
    with reading():
        return ticket_state(ticket_row(ticket_id))


def _user(actor: Actor) -> User | None:
    if actor.id is not None:
        return User.get_or_none(User.id == actor.id)
    return User.get_or_none(User.login == actor.login)


def messages(actor: Actor, ticket_id: int) -> list[MessageView]:
    """The thread, oldest first."""
    require(actor, "tickets.read")
    with reading():
        ticket_row(ticket_id)
        rows = list(TicketMessage.select().where(TicketMessage.ticket == ticket_id).order_by(TicketMessage.id))
        names = {u.id: u.name for u in User.select(User.id, User.name)
                 .where(User.id.in_({r.author_id for r in rows if r.author_id}))}
    return [MessageView(id=r.id, kind=r.kind, kind_label=_(KIND_LABELS[r.kind]), body=r.body,
                        author=names.get(r.author_id, r.author_login), author_login=r.author_login,
                        created_at=r.created_at) for r in rows]


def _body(text: str) -> str:
    if text is not None and len(text) > MAX_MESSAGE * 4:
        # Refuse huge pastes before cleaning them character by character.
        raise ValidationError(_("Too long: {size} characters, at most {n}").format(
            size=len(text), n=MAX_MESSAGE), "body")
    body = clean(text, multiline=True)
    if not body:
        raise ValidationError(_("Write the message first"), "body")
    return validation.long_text(body, "body", required=True, max_len=MAX_MESSAGE)


def touch(actor: Actor, t: Ticket, expected_version: int | None, **changes) -> None:
    """Update the ticket if nobody saved it since `expected_version`."""
    now = clock.now()
    query = Ticket.update(updated_at=now, updated_by=actor.login, version=Ticket.version + 1, **changes)
    cond = Ticket.id == t.id
    if expected_version is not None:
        cond &= Ticket.version == expected_version
    if query.where(cond).execute() == 0:
        current = Ticket.get_by_id(t.id)
        raise Conflict(_("{who} changed ticket {protocol} in the meantime; nothing was saved. "
                         "Look again and redo your change.").format(
            who=current.updated_by or _("someone"), protocol=t.protocol))


def check_version(t: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and t.version != expected_version:
        raise Conflict(_("{who} changed ticket {protocol} in the meantime; nothing was saved. "
                         "Look again and redo your change.").format(
            who=t.updated_by or _("someone"), protocol=t.protocol))


def _add(actor: Actor, t: Ticket, kind: str, body: str) -> int:
    user = _user(actor)
    return TicketMessage.insert(ticket=t.id, kind=kind, body=body, author=user.id if user else None,
                                author_login=actor.login, created_at=clock.now()).execute()


def add_message(actor: Actor, ticket_id: int, body: str, *, internal: bool, email: bool = True) -> MessageView:
    """Append a public reply or an internal note. It moves the ticket's
    'last update' but not its version: a note never makes someone else's
    status change fail. A public reply is e-mailed to the ticket's contact
    (`services.tickets.mail_out`), queued in the same transaction, unless
    `email` is False (said on the phone: the agent records it only)."""
    from services.tickets import mail_out

    require(actor, "tickets.work")
    kind = "internal" if internal else "public"
    assert kind in MESSAGE_KINDS
    text = _body(body)
    with write_tx():
        t = ticket_row(ticket_id)
        msg_id = _add(actor, t, kind, text)
        if kind == "public":
            sla.responded(t.id, clock.now())
        Ticket.update(updated_at=clock.now(), updated_by=actor.login).where(Ticket.id == t.id).execute()
        changes: dict = {"kind": kind, "message_id": msg_id}
        if not internal and email:
            mail = mail_out.queue_reply(actor, t, msg_id, text)
            if mail:
                changes["outbox"] = mail
        audit.record(actor.login, "ticket", t.id, "message", changes)
    return next(m for m in messages(actor, ticket_id) if m.id == msg_id)


def customer_wrote(t: Ticket, login: str, now: dt.datetime, reopen_note: str) -> dict:
    """Inside the caller's transaction, after a message from the customer
    (Contact us, an e-mail): a ticket waiting on them goes back to "in
    progress"; a resolved or finished one is open again for the agents, with
    `reopen_note` as an internal note saying why; any other only moves its
    'last update'. Returns the changes for the audit row."""
    if t.status == "waiting_customer":  # the service-level clock runs again
        Ticket.update(status="in_progress", updated_at=now, updated_by=login, version=Ticket.version + 1,
                      **sla.on_status(t, "in_progress", now)).where(Ticket.id == t.id).execute()
        return {"status": ["waiting_customer", "in_progress"]}
    if t.status in CLOSED:
        Ticket.update(status="open", closed_at=None, updated_at=now, updated_by=login, version=Ticket.version + 1,
                      **sla.on_status(t, "open", now)).where(Ticket.id == t.id).execute()
        TicketMessage.insert(ticket=t.id, kind="internal", author_login=login, created_at=now,
                             body=reopen_note).execute()
        return {"status": [t.status, "open"]}
    Ticket.update(updated_at=now, updated_by=login).where(Ticket.id == t.id).execute()
    return {}


def allowed_statuses(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def change_status(actor: Actor, ticket_id: int, new_status: str, *, expected_version: int,
                  reason: str = "", confirmed: bool = False) -> TicketState:
    """Move the ticket along the workflow. Reopening (resolved/finished ->
    open) needs a reason, kept as an internal note. Closing a ticket whose
    service orders are still scheduled needs `confirmed` (NeedsConfirmation
    asks the question)."""
    require(actor, "tickets.work")
    with write_tx():
        t = ticket_row(ticket_id)
        check_version(t, expected_version)
        if new_status not in STATUSES or new_status == "draft":
            raise ValidationError(_("Unknown status {status}").format(status=new_status), "status")
        if new_status == t.status:
            raise ValidationError(_("The ticket is already {status}").format(
                status=_(STATUSES[t.status])), "status")
        if new_status not in allowed_statuses(t.status):
            raise ValidationError(_("A ticket that is {old} cannot become {new}").format(
                old=_(STATUSES[t.status]), new=_(STATUSES[new_status])), "status")
        if new_status in CLOSED and t.status not in CLOSED and not confirmed:
            scheduled = ServiceOrder.select().where((ServiceOrder.ticket == t.id)
                                                    & (ServiceOrder.status == "scheduled")).count()
            if scheduled:
                raise NeedsConfirmation(ngettext(
                    "{n} service order is still scheduled for this ticket. Make it {status} anyway?",
                    "{n} service orders are still scheduled for this ticket. Make it {status} anyway?",
                    scheduled).format(n=scheduled, status=_(STATUSES[new_status])))
        reopening = t.status in CLOSED and new_status == "open"
        note = ""
        if reopening:
            note = clean(reason, multiline=True)
            if not note:
                raise ValidationError(_("Say why the ticket is reopened"), "reason")
            note = validation.long_text(note, "reason", required=True, max_len=MAX_MESSAGE)
        closed_at = clock.now() if new_status in CLOSED else None
        if new_status in CLOSED and t.status in CLOSED:
            closed_at = t.closed_at
        touch(actor, t, expected_version, status=new_status, closed_at=closed_at,
              **sla.on_status(t, new_status, clock.now()))
        if new_status in CLOSED and t.status not in CLOSED:
            surveys.offer(actor, t)
        if reopening:
            _add(actor, t, "internal", _("Reopened: {reason}").format(reason=note))
        changes = {"status": [t.status, new_status]}
        if note:
            changes["reason"] = note
        audit.record(actor.login, "ticket", t.id, "reopen" if reopening else "status", changes)
        return ticket_state(Ticket.get_by_id(t.id))


def reassign(actor: Actor, ticket_id: int, login: str, *, expected_version: int) -> TicketState:
    """Give the ticket to another staff member (by login)."""
    require(actor, "tickets.work")
    login = clean(login)
    with write_tx():
        t = ticket_row(ticket_id)
        check_version(t, expected_version)
        user = User.get_or_none((User.login == login) & (User.active == True))  # noqa: E712
        if user is None or user.role == "representative":
            raise ValidationError(_("No active staff member with the login {login}").format(login=login),
                                  "responsible")
        if user.id == t.responsible_id:
            raise ValidationError(_("{name} is already responsible").format(name=user.name), "responsible")
        old = User.get_or_none(User.id == t.responsible_id) if t.responsible_id else None
        touch(actor, t, expected_version, responsible=user.id)
        audit.record(actor.login, "ticket", t.id, "reassign",
                     {"responsible": [old.login if old else "", user.login]})
        return ticket_state(Ticket.get_by_id(t.id))


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    login: str
    action: str
    changes: dict


def history(actor: Actor, ticket_id: int, limit: int = 200) -> list[HistoryEntry]:
    """The ticket's audit rows, newest first: whoever may read the ticket may read its history."""
    require(actor, "tickets.read")
    with reading():
        ticket_row(ticket_id)
    rows = audit.history(actor, entity="ticket", entity_id=ticket_id, limit=limit, check=False)
    return [HistoryEntry(at=r.at, login=r.login, action=r.action, changes=r.changes) for r in rows]


@dataclass(frozen=True)
class BulkResult:
    done: tuple
    failed: tuple  # (protocol, message)


BULK_ACTIONS = ("status", "reassign", "note")


def bulk(actor: Actor, ticket_ids, action: str, value: str, *, reason: str = "") -> BulkResult:
    """Apply one action to many tickets, each in its own transaction against
    its current version; a ticket that refuses (wrong workflow step, gone)
    is reported and the others still change."""
    require(actor, "tickets.work")
    if action not in BULK_ACTIONS:
        raise ValidationError(_("Unknown action {action}").format(action=action), "action")
    if action == "reassign" and len(dict.fromkeys(ticket_ids)) > 1:
        require(actor, "tickets.reassign_many")  # moving a batch of work is a lead's call
    if action == "note":
        _body(value)  # refuse an empty or oversized note once, before touching anything
    done, failed = [], []
    for ticket_id in dict.fromkeys(ticket_ids):
        with reading():
            t = Ticket.get_or_none(Ticket.id == ticket_id)
        protocol = t.protocol if t else str(ticket_id)
        try:
            if t is None:
                raise NotFound(_("No such ticket"))
            if action == "status":
                change_status(actor, t.id, value, expected_version=t.version, reason=reason)
            elif action == "reassign":
                reassign(actor, t.id, value, expected_version=t.version)
            else:
                add_message(actor, t.id, value, internal=True)
        except (ValidationError, NotFound, Conflict, NeedsConfirmation) as exc:
            failed.append((protocol, exc.message))
            continue
        done.append(protocol)
    return BulkResult(tuple(done), tuple(failed))
