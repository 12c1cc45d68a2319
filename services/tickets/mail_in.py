"""E-mail in: a customer's mail becomes a ticket, or a message on one.

One service for both ways mail arrives: `atende mail-in` (an MTA pipes one
message to it) and the worker fetching the `[mail_in]` IMAP mailbox
(`fetch`). Each message (`receive`):

- whose subject names a ticket's protocol ("[#20261204000123]", what our
  replies carry) is added to that ticket's thread as a public message from
  the customer; a ticket waiting on them goes back to "in progress", a
  resolved or finished one is open again (`thread.customer_wrote`);
- whose subject lost the protocol (or names no ticket) but that answers a
  message of a ticket's thread is added to that ticket the same way: its
  In-Reply-To, then its References from the latest back (at most
  MAX_THREAD_IDS of them), are looked up among the mail we sent about a
  ticket (our Message-ID names its outbox row: `outbox.message_id_seed`) and
  the mail already taken in on one (`MailIn.message_id`), by their indexes;
- otherwise opens a ticket in the configured queue (`mail_in.queue`), for
  the customer and contact the sender's address finds (an unknown sender
  becomes a prospect with that contact), its protocol reserved in the same
  transaction (`protocol.reserve_here`), recorded as the "mail-in" system
  account;
- keeps its attachments in the ticket's folder (`services.core.files`, at
  most MAX_ATTACHMENT bytes each; a larger one is named in the message as
  not kept);
- is never taken twice: its Message-ID is stored (unique) in the same
  transaction, so a message read again, or by two runs at once, adds
  nothing (the writers take turns, and the unique index is the last word);
- no person wrote (auto-replies, bounces, list mail, our own mail coming
  back: `services.mail.inbound`) is recorded as ignored, with the reason,
  logged, and opens nothing.

Nothing is lost: an error (the database, the files folder) rolls the whole
message back and raises, so the MTA tries again (`atende mail-in` exits 75)
or the message stays unread in the mailbox for the next fetch.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from peewee import IntegrityError, fn

from models import Contact, Customer, Queue, Ticket, reading, write_tx
from models.desk import MailIn, TicketMessage
from models.mail import Outbox
from models.wizard import TicketAttachment
from services.core import clock
from services.core import files as intake
from services.core.config import Config, MailInSettings
from services.core.errors import AtendeError, ConfigError, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor
from services.core.text import clean, fold
from services.mail import inbound
from services.mail.outbox import message_id_seed
from services.mail.transport import sender_address
from services.store import audit, blobs, database, users
from services.tickets import protocol, sla, thread
from services.tickets.protocol import STATUSES
from services.tickets.wizard.actions import MAX_ATTACHMENT

LOGIN = "mail-in"
"""The system account mail-in tickets and messages are recorded as (services.store.users.SYSTEM_LOGINS)."""
VIA = ("stdin", "imap")
MAX_RAW = 50 * 1024 * 1024
"""A message larger than this is refused whole (the MTA bounces it; IMAP: left unread)."""
MAX_FILES = 50
MAX_THREAD_IDS = 20
"""How many of a message's References (the latest) are looked up, besides its In-Reply-To."""
OUR_MESSAGE_ID = re.compile(r"<(atende\.(\d{1,12})\.[0-9a-f]{16})@[^<>\s]+>")
"""The Message-ID of a mail we sent (`services.mail.transport`): its outbox row's id and key's digest;
the domain follows the configured sender, so it is not compared."""
CLOSED_TO_MAIL = ("draft", "abandoned")

log = logging.getLogger("atende.mail_in")


class MessageTooLarge(ValidationError):
    pass


@dataclass(frozen=True)
class Received:
    outcome: str  # ticket | reply | ignored | duplicate
    message_id: str
    protocol: str = ""
    ticket_id: int | None = None
    reason: str = ""
    files: int = 0


@dataclass
class FetchReport:
    fetched: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, received: Received) -> None:
        self.fetched += 1
        self.counts[received.outcome] = self.counts.get(received.outcome, 0) + 1


# ---------------------------------------------------------------- the customer


def queue_id(settings: MailInSettings) -> int | None:
    """The queue new tickets go to: `mail_in.queue` (a name or an id); none when unset."""
    wanted = clean(settings.queue)
    if not wanted:
        return None
    found = Queue.get_or_none(Queue.name == wanted)
    if found is None and wanted.isdigit():
        found = Queue.get_or_none(Queue.id == int(wanted))
    if found is None:
        raise ConfigError(_("mail_in.queue: there is no queue {queue}").format(queue=wanted))
    return found.id


def _sender_contact(mail: inbound.Inbound, now: dt.datetime) -> tuple[Customer, Contact]:
    """The customer and contact of the sender's address (inside the caller's
    transaction): a contact with it (a customer's before a prospect's, the
    oldest first), else a customer with it (its contact with that address,
    made if missing), else a new prospect with that contact."""
    address = mail.sender.lower()
    name = clean(mail.sender_name)[:200] or mail.sender[:200]
    contact = (Contact.select(Contact, Customer).join(Customer)
               .where(fn.LOWER(Contact.email) == address)
               .order_by((Customer.kind != "customer"), Customer.id, Contact.id).first())
    if contact is not None:
        return contact.customer, contact
    customer = (Customer.select().where(fn.LOWER(Customer.email) == address)
                .order_by((Customer.kind != "customer"), Customer.id).first())
    if customer is None:
        customer = Customer.create(kind="prospect", name=name, name_norm=fold(name), email=mail.sender,
                                   created_at=now)
        audit.record(LOGIN, "customer", customer.id, "create",
                     {"kind": "prospect", "name": name, "email": mail.sender, "by": "e-mail"})
    contact = Contact.create(customer=customer, name=name, email=mail.sender,
                             is_primary=not Contact.select().where(Contact.customer == customer.id).exists())
    return customer, contact


# ---------------------------------------------------------------- files


def _keep_files(ticket_id: int, protocol_text: str, files: tuple[inbound.InboundFile, ...], now: dt.datetime,
                kept: list[Path]) -> list[str]:
    """Store each attachment in the ticket's folder and list it on the ticket;
    returns the lines naming those not kept (too large, too many)."""
    folder = Path("tickets") / intake.safe_name(protocol_text)
    skipped = []
    for n, f in enumerate(files):
        if n >= MAX_FILES:
            skipped.append(_("Not kept: {name} (more than {n} files)").format(name=f.name, n=MAX_FILES))
            continue
        if len(f.data) > MAX_ATTACHMENT:
            skipped.append(_("Not kept: {name} has {size:,} bytes; at most {limit:,}").format(
                name=f.name, size=len(f.data), limit=MAX_ATTACHMENT))
            continue
        copied = intake.store_bytes(f.data, database.files_root() / folder, name=f.name, field="attachment",
                                    limit=MAX_ATTACHMENT)
        kept.append(copied.path)
        TicketAttachment.insert(ticket=ticket_id, name=copied.name, path=str(folder / copied.name),
                                size=copied.size, notes=_("Sent by e-mail"), created_by=LOGIN,
                                created_at=now).execute()
        blobs.keep(copied.path)  # for the hosts that share no folder with this one
    return skipped


def _text(mail: inbound.Inbound, skipped: list[str]) -> str:
    text = mail.text
    if not text and mail.files:
        text = _("Sent the files: {names}").format(names=", ".join(f.name for f in mail.files))
    text = "\n\n".join(part for part in (text or _("(an empty e-mail)"), "\n".join(skipped)) if part)
    return text[:thread.MAX_MESSAGE]


# ---------------------------------------------------------------- one message


def own_addresses(config: Config) -> tuple[str, ...]:
    """Our sender addresses: mail from them is our own coming back."""
    return tuple(a for a in (sender_address(config.mail), config.mail.user, config.mail_in.user) if "@" in a)


def receive(raw: bytes, config: Config, *, via: str = "stdin") -> Received:
    """Take in one message (RFC 5322 bytes): see the module's docstring."""
    if len(raw) > MAX_RAW:
        raise MessageTooLarge(_("The e-mail has {size:,} bytes; at most {limit:,}").format(
            size=len(raw), limit=MAX_RAW), "message")
    mail = inbound.parse(raw, own=own_addresses(config))
    now = clock.now()
    kept: list[Path] = []
    try:
        with write_tx():
            if MailIn.select().where(MailIn.message_id == mail.message_id).exists():
                return _duplicate(mail)
            if mail.automatic:
                reason = _(mail.automatic).format(**dict(mail.automatic_args))
                _record(mail, None, None, "ignored", reason, via, now)
                log.info("mail-in: %s from %s ignored: %s", mail.message_id, mail.sender or "-", reason)
                return Received("ignored", mail.message_id, reason=reason)
            actor = users.system_actor(LOGIN)
            target = _ticket_named(mail) or _ticket_threaded(mail)
            if target is not None:
                received = _reply(actor, target, mail, via, now, kept)
            else:
                received = _new_ticket(actor, config, mail, via, now, kept)
    except IntegrityError:  # another run stored the same Message-ID first
        _discard(kept)
        with reading():
            taken = MailIn.select().where(MailIn.message_id == mail.message_id).exists()
        if taken:
            return _duplicate(mail)
        raise
    except BaseException:
        _discard(kept)
        raise
    log.info("mail-in: %s from %s: %s %s", mail.message_id, mail.sender, received.outcome, received.protocol)
    return received


def _discard(kept: list[Path]) -> None:
    for path in kept:  # rolled back: no file without its row
        path.unlink(missing_ok=True)


def _duplicate(mail: inbound.Inbound) -> Received:
    log.info("mail-in: %s was already taken in", mail.message_id)
    return Received("duplicate", mail.message_id)


def _record(mail: inbound.Inbound, ticket_id: int | None, message_id: int | None, outcome: str, reason: str,
            via: str, now: dt.datetime) -> None:
    MailIn.insert(message_id=mail.message_id, ticket=ticket_id, ticket_message=message_id, outcome=outcome,
                  reason=reason[:200], sender=mail.sender[:254], subject=mail.subject[:300],
                  via=via if via in VIA else "", received_at=now).execute()


def _ticket_named(mail: inbound.Inbound) -> Ticket | None:
    number = mail.protocol
    if not number:
        return None
    return Ticket.get_or_none((Ticket.protocol == number) & Ticket.status.not_in(CLOSED_TO_MAIL))


def thread_ids(mail: inbound.Inbound) -> list[str]:
    """The Message-IDs `mail` answers, the nearest first: its In-Reply-To, then
    its References from the latest back (at most MAX_THREAD_IDS), each once."""
    ids: list[str] = []
    for value in (mail.in_reply_to, *reversed(mail.references[-MAX_THREAD_IDS:])):
        if value and value not in ids:
            ids.append(value)
    return ids


def _ticket_threaded(mail: inbound.Inbound) -> Ticket | None:
    """The ticket of the nearest message `mail` answers (`thread_ids`) that is
    one we sent about a ticket or one taken in on a ticket; None when none is.
    Three indexed reads at most: mail_in by Message-ID, the outbox by id,
    the tickets by id."""
    ids = thread_ids(mail)
    if not ids:
        return None
    tickets: dict[str, int] = dict(
        MailIn.select(MailIn.message_id, MailIn.ticket)
        .where(MailIn.message_id.in_(ids) & MailIn.ticket.is_null(False)).tuples())
    ours: dict[int, tuple[str, str]] = {}  # outbox id -> (Message-ID, its local part)
    for value in ids:
        found = OUR_MESSAGE_ID.fullmatch(value)
        if found and value not in tickets:
            ours.setdefault(int(found.group(2)), (value, found.group(1)))
    if ours:
        rows = (Outbox.select(Outbox.id, Outbox.idempotency_key, Outbox.about_id)
                .where(Outbox.id.in_(list(ours)) & (Outbox.about_entity == "ticket")).tuples())
        for row_id, key, about_id in rows:
            value, local = ours[row_id]
            if message_id_seed(row_id, key) == local and about_id.isdigit() and len(about_id) <= 12:
                tickets[value] = int(about_id)
    wanted = [tickets[value] for value in ids if value in tickets]
    if not wanted:
        return None
    open_ = {t.id: t for t in Ticket.select().where(Ticket.id.in_(sorted(set(wanted)))
                                                     & Ticket.status.not_in(CLOSED_TO_MAIL))}
    return next((open_[ticket_id] for ticket_id in wanted if ticket_id in open_), None)


def _reply(actor: Actor, t: Ticket, mail: inbound.Inbound, via: str, now: dt.datetime,
           kept: list[Path]) -> Received:
    skipped = _keep_files(t.id, t.protocol, mail.files, now, kept)
    author = (clean(mail.sender_name) or mail.sender)[:64]
    msg_id = TicketMessage.insert(ticket=t.id, kind="public", body=_text(mail, skipped), author=None,
                                  author_login=author, created_at=now).execute()
    changes = {"kind": "public", "message_id": msg_id, "from": mail.sender, "files": len(kept), "by": "e-mail"}
    changes.update(thread.customer_wrote(t, actor.login, now, _(
        "Reopened: the customer wrote again by e-mail after the ticket was {status}.").format(
        status=_(STATUSES.get(t.status, t.status)))))
    _record(mail, t.id, msg_id, "reply", "", via, now)
    audit.record(actor.login, "ticket", t.id, "message", changes)
    return Received("reply", mail.message_id, t.protocol, t.id, files=len(kept))


def _new_ticket(actor: Actor, config: Config, mail: inbound.Inbound, via: str, now: dt.datetime,
                kept: list[Path]) -> Received:
    queue = queue_id(config.mail_in)
    customer, contact = _sender_contact(mail, now)
    r = protocol.reserve_here(actor, protocol.check_format(config.protocol_format or protocol.DEFAULT_FORMAT))
    skipped = _keep_files(r.ticket_id, r.protocol, mail.files, now, kept)
    subject = mail.subject or _("E-mail from {sender}").format(sender=mail.sender)
    Ticket.update(status="open", kind=customer.kind, customer=customer.id, contact=contact.id, queue=queue,
                  subject=subject[:200], problem=_text(mail, skipped), updated_at=now, updated_by=actor.login,
                  version=Ticket.version + 1).where(Ticket.id == r.ticket_id).execute()
    sla.start(r.ticket_id, now, responded=False)  # the queue's targets: nobody has answered yet
    _record(mail, r.ticket_id, None, "ticket", "", via, now)
    audit.record(actor.login, "ticket", r.ticket_id, "mail_in", {
        "protocol": r.protocol, "status": ["draft", "open"], "from": mail.sender, "customer": customer.id,
        "contact": contact.id, "queue": queue, "files": len(kept)})
    return Received("ticket", mail.message_id, r.protocol, r.ticket_id, files=len(kept))


# ---------------------------------------------------------------- the mailbox


def fetch(config: Config, *, limit: int = 200, mailbox=None) -> FetchReport:
    """Take in the unread messages of the `[mail_in]` mailbox (at most `limit`),
    marking each read once it is stored. A message whose intake fails (the
    database busy, the files folder full, anything unexpected) stays unread
    for the next round, the error logged and reported, and the others go on.
    `mailbox`: an open `services.mail.imap.Mailbox` (tests); by default one is
    opened from the settings and the IMAP secret."""
    from services.mail import imap

    report = FetchReport()
    box = mailbox or imap.Mailbox(config.mail_in)
    with box:
        for uid in box.unseen(limit):
            raw = box.fetch(uid)
            if raw is None:  # gone meanwhile (another client moved it)
                continue
            try:
                received = receive(raw, config, via="imap")
            except MessageTooLarge as exc:  # read, left in the mailbox for a person, never fetched again
                box.mark_seen(uid)
                report.errors.append(exc.message)
                log.warning("mail-in: message %s left in the mailbox: %s", uid.decode(), exc.message)
                continue
            except Exception as exc:  # left unread: taken in by a later round
                from services.core.logs import internal_error

                report.errors.append(exc.message if isinstance(exc, AtendeError) else internal_error(exc, "mail-in"))
                log.warning("mail-in: message %s left unread: %s", uid.decode(), report.errors[-1])
                continue
            box.mark_seen(uid)
            report.add(received)
    return report
