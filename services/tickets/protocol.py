"""Protocol numbers: reserved the moment a wizard opens, unique under any
number of agents and processes.

Each reservation is its own short `BEGIN IMMEDIATE` transaction: it bumps the
counter of the protocol's prefix (the format rendered without the sequence,
so the default format gets one counter a day), and inserts the ticket row in
the "draft" state. The number stays on record even if the wizard is
cancelled: the ticket then becomes "abandoned", with who and when.
"""
from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from functools import lru_cache

from models import Ticket, User, write_tx
from models.wizard import ProtocolCounter, TicketDraft
from services.core import clock
from services.core.errors import ConfigError, Conflict, NotFound
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.store import audit

DEFAULT_FORMAT = "{date:%Y%m%d}{seq:06d}"

STATUSES = {
    "draft": N_("being opened"),
    "open": N_("open"),
    "in_progress": N_("in progress"),
    "waiting_customer": N_("waiting for the customer"),
    "resolved": N_("resolved"),
    "finished": N_("finished"),
    "abandoned": N_("abandoned"),
}
OPEN_STATUSES = ("open", "in_progress", "waiting_customer")


@dataclass(frozen=True)
class Reservation:
    protocol: str
    ticket_id: int
    at: dt.datetime


class _Marker:
    """Renders the sequence as a fixed mark, giving the counter's key (also
    through a conversion: `{seq!s}` must not put an address in the key)."""

    def __format__(self, spec: str) -> str:
        return "#"

    def __str__(self) -> str:
        return "#"

    __repr__ = __str__


PROTOCOL_MAX = 40
"""The protocol column's width (models.core.Ticket.protocol)."""
LONG_DAY = 999_999
"""Sequence numbers up to this (a busy day's, and far beyond) must fit the column."""
SAMPLE_SEQS = tuple(sorted(set(range(1, 2001)) | {
    m * 10 ** k + d for k in range(1, 13) for m in (1, 2, 5) for d in (-1, 0, 1)}))
"""The sequence numbers a format must write as distinct protocols: every
number of a day up to 2,000, and around each power of ten up to 10^13 (where
a cut width, an exponent or a character code starts repeating)."""
MAX_TRIES = 10_000
"""How many numbers a reservation tries before giving up (numbers already
taken are skipped, e.g. after the format changed during the day)."""


@lru_cache(maxsize=32)
def check_format(fmt: str) -> str:
    """Return `fmt` if it makes unique protocols, else raise ConfigError.

    Unique is proved on the numbers themselves: a day's sequence (SAMPLE_SEQS)
    must give that many different protocols, printable and short enough to be
    stored. A format that repeats (a cut width like `{seq!s:.2}`, an exponent
    like `{seq:.1e}`) would otherwise make every reservation skip numbers
    forever inside the write lock."""
    try:
        names = {name for _lit, name, _spec, _conv in string.Formatter().parse(fmt) if name is not None}
        fmt.format(date=dt.datetime(2026, 1, 31, 23, 59), seq=1)
    except (ValueError, KeyError, IndexError, AttributeError, TypeError, OverflowError) as exc:
        raise ConfigError(_("protocol_format {fmt!r} is not valid: {reason}").format(fmt=fmt, reason=exc)) from None
    if "seq" not in names:
        raise ConfigError(_("protocol_format must contain {{seq}} (the sequence number)"))
    if names - {"date", "seq"}:
        raise ConfigError(_("protocol_format may use only {{date}} and {{seq}}"))
    day = dt.datetime(2026, 12, 31, 23, 59, 59)
    seen: dict[str, int] = {}
    for seq in SAMPLE_SEQS:
        try:
            protocol = fmt.format(date=day, seq=seq)
        except (ValueError, OverflowError, TypeError) as exc:
            raise ConfigError(_("protocol_format {fmt!r} cannot write the number {seq}: {reason}").format(
                fmt=fmt, seq=seq, reason=exc)) from None
        if protocol in seen:
            raise ConfigError(_("protocol_format {fmt!r} gives the same protocol {protocol!r} to the numbers "
                                "{first} and {second}; give {{seq}} room to grow (e.g. {{seq:06d}})").format(
                fmt=fmt, protocol=protocol, first=seen[protocol], second=seq))
        seen[protocol] = seq
        if not protocol.isprintable() or not protocol.strip():
            raise ConfigError(_("protocol_format {fmt!r} must give printable text").format(fmt=fmt))
        if seq <= LONG_DAY and len(protocol) > PROTOCOL_MAX:
            raise ConfigError(_("protocol_format {fmt!r} gives protocols longer than {n} characters").format(
                fmt=fmt, n=PROTOCOL_MAX))
    return fmt


def counter_key(fmt: str, at: dt.datetime) -> str:
    return fmt.format(date=at, seq=_Marker())[:80]


def _user_id(actor: Actor) -> int:
    if actor.id is not None:
        return actor.id
    user = User.get_or_none(User.login == actor.login)
    if user is None:
        raise NotFound(_("No user '{login}'").format(login=actor.login))
    return user.id


def reserve(actor: Actor, fmt: str | None = None, *, permission: str = "tickets.create") -> Reservation:
    """Reserve the next protocol and create its ticket (status "draft").

    Inside a caller's transaction it joins it (Contact us writes its ticket
    in the same commit); alone it is its own `write_tx`. `permission` lets
    another way of opening tickets (Contact us) use its own."""
    require(actor, permission)
    fmt = check_format(fmt or DEFAULT_FORMAT)
    with write_tx():
        reservation = reserve_here(actor, fmt)
    return reservation


def reserve_here(actor: Actor, fmt: str) -> Reservation:
    """The rows of a reservation, inside the caller's write transaction: the
    counter of the protocol's prefix moves in the ticket's own transaction,
    so numbers stay unique and without gaps whoever else is reserving.
    `fmt` is already checked."""
    at = clock.now()
    key = counter_key(fmt, at)
    user_id = _user_id(actor)
    for _try in range(MAX_TRIES):
        (seq,), = (ProtocolCounter.insert(key=key, seq=1)
                   .on_conflict(conflict_target=[ProtocolCounter.key],
                                update={ProtocolCounter.seq: ProtocolCounter.seq + 1})
                   .returning(ProtocolCounter.seq).tuples().execute())
        protocol = fmt.format(date=at, seq=seq)
        # A format changed during the day could meet an older number: skip it.
        if not Ticket.select().where(Ticket.protocol == protocol).exists():
            break
    else:  # never inside the write lock for ever: the transaction (and its counter) is rolled back
        raise ConfigError(_("No free protocol number after {n} tries: protocol_format {fmt!r} keeps giving "
                            "numbers already taken; ask the administrator to change it").format(n=MAX_TRIES, fmt=fmt))
    ticket_id = Ticket.insert(protocol=protocol, status="draft", created_by=user_id, created_at=at, updated_at=at,
                              updated_by=actor.login).execute()
    audit.record(actor.login, "ticket", ticket_id, "reserve", {"protocol": protocol})
    return Reservation(protocol, ticket_id, at)


def abandon(actor: Actor, protocol: str) -> None:
    """The wizard was cancelled: keep the number, mark it abandoned (who, when)."""
    require(actor, "tickets.create")
    with write_tx():
        ticket = Ticket.get_or_none(Ticket.protocol == protocol)
        if ticket is None:
            raise NotFound(_("No ticket with protocol {protocol}").format(protocol=protocol))
        if ticket.status != "draft":
            raise Conflict(_("Ticket {protocol} is already {status}").format(
                protocol=protocol, status=_(STATUSES.get(ticket.status, ticket.status))))
        at = clock.now()
        (Ticket.update(status="abandoned", updated_by=actor.login, updated_at=at, closed_at=at,
                       version=Ticket.version + 1)
         .where(Ticket.id == ticket.id).execute())
        TicketDraft.delete().where(TicketDraft.ticket == ticket.id).execute()
        audit.record(actor.login, "ticket", ticket.id, "abandon", {"status": ["draft", "abandoned"]})
