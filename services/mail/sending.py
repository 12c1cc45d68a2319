"""The worker's side of the outbox: claiming due rows, handing each to the
server and recording the outcome (`services.ops.worker` drives it). Queueing
and reading the rows: `services.mail.outbox`; talking to the SMTP server:
`services.mail.transport`.

Never sending twice
-------------------
SMTP has no server-side de-duplication, so the outbox is the only place that
can prevent a double send. Each row goes queued -> sending -> sent|failed:

1. claim: one write transaction (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the
   writers' turn, the rows read `FOR UPDATE SKIP LOCKED`) moves up to N due
   rows from queued to sending and stamps them with the worker's claim
   (host:pid:token). Two workers, on any hosts, never claim the same row.
2. hand: just before a row is given to the SMTP server its `handed_at` is
   committed.
3. outcome: right after the server answers, the row's new state (sent, queued
   again with a delay, or failed) is committed, guarded by the claim.

A claim belongs to its process for as long as that process lives, however
long the batch takes (a slow server): the claim names the process (host, pid
and the process's start, so a reused pid is not taken for the claimer), and
while it sends, the worker renews the claim's lease (`claimed_at`) every
quarter of `CLAIM_LEASE`. A claim is stale only when its process is gone (same
host), when it is this very process's but no batch of it is running, or, from
another host (whose processes cannot be checked), when its lease was not
renewed for `CLAIM_LEASE`. Before each message the batch checks, in the commit
that marks it handed, that it still holds the row; a row it no longer holds
is never sent, and the batch stops.

If a worker dies, its rows stay 'sending'. They are re-examined once the claim
is stale. Rows never handed to the server go back to queued: they were
certainly not sent. The one row that was being handed when the worker died may
or may not have reached the server; it is marked failed with a reason saying
so (keeping the claim, so a claimer that was only slow still records what the
server answered), and a person retries it after checking. That is
at-most-once delivery for that single in-flight mail per crash, and
exactly-once for every other one. Each message also carries a Message-ID
derived from its row, so a retried copy is recognisably the same message.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from peewee import fn

from models import db, is_sqlite, write_tx
from models.mail import Outbox
from services.core import clock
from services.core.i18n import N_, _
from services.mail.outbox import FAILED, QUEUED, SENDING, SENT, OutboxItem, as_item

RETRY_DELAYS = (30, 60, 120, 300, 600, 1200, 1800, 3600)
"""Seconds to wait before the next attempt after the 1st, 2nd, ... temporary failure."""
MAX_ATTEMPTS = 12
"""A message the server keeps refusing temporarily (4xx) fails after this many attempts.
Connection failures (server down) never make a mail fail: it waits for the server."""
CLAIM_LEASE = dt.timedelta(minutes=10)
"""A claim of another host (whose process cannot be checked) not renewed for this long is stale;
a sending worker renews its claim every quarter of it."""
BATCH_SIZE = 100


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def process_start(pid: int) -> str:
    """What tells this process from a later one given the same pid: the boot
    and the start time (Linux /proc); "" where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        with open("/proc/sys/kernel/random/boot_id", "rb") as f:
            boot = f.read().strip()[:8].decode("ascii", "replace")
        return f"{boot}-{fields[19].decode('ascii')}"
    except (OSError, IndexError, ValueError):
        return ""


_own_start: tuple[int, str] | None = None


def _this_process_start() -> str:
    global _own_start
    pid = os.getpid()
    if _own_start is None or _own_start[0] != pid:  # a fork is another process
        _own_start = (pid, process_start(pid))
    return _own_start[1]


def new_worker_id() -> str:
    """A claim: host:pid:process start:token."""
    return f"{socket.gethostname()}:{os.getpid()}:{_this_process_start()}:{uuid.uuid4().hex[:8]}"


_active_lock = threading.Lock()
_active: dict[str, int] = {}
"""The claims of this process whose batches are running (claim -> how many runs)."""


@contextmanager
def holding(worker: str):
    """Mark `worker`'s claim as in use by this process for the block: the
    sweep never takes it away (see `claim_is_stale`)."""
    with _active_lock:
        _active[worker] = _active.get(worker, 0) + 1
    try:
        yield
    finally:
        with _active_lock:
            _active[worker] -= 1
            if not _active[worker]:
                del _active[worker]


def claim_is_stale(claim: str, claimed_at: dt.datetime | None, now: dt.datetime,
                   lease: dt.timedelta = CLAIM_LEASE) -> bool:
    """Whether the claim's process is gone (see the module's docstring).

    On this host the process is checked: gone (or its pid now another
    process's), or this very process but no batch of it running, is stale;
    alive is never stale, however old the claim. A claim of another host is
    stale once its lease was not renewed for `lease`."""
    parts = claim.split(":")
    if parts[0] == socket.gethostname() and len(parts) >= 3 and parts[1].isdigit():
        pid = int(parts[1])
        if len(parts) == 3:  # host:pid:token, before the process start was recorded
            return not _pid_alive(pid)
        start = parts[2]
        if pid == os.getpid() and start == _this_process_start():
            with _active_lock:
                return claim not in _active
        if not _pid_alive(pid):
            return True
        return bool(start) and process_start(pid) not in ("", start)
    return claimed_at is None or claimed_at < now - lease


@dataclass(frozen=True)
class Recovery:
    requeued: int = 0
    uncertain: tuple[int, ...] = ()


UNCERTAIN = N_("the worker stopped while handing this e-mail to the server; it may have been "
               "delivered. Check with the recipient, then retry it if it did not arrive")


def recover_stale(now: dt.datetime | None = None, lease: dt.timedelta = CLAIM_LEASE) -> Recovery:
    """Re-examine 'sending' rows of dead workers (see the module's docstring)."""
    now = now or clock.now()
    requeued, uncertain = 0, []
    with write_tx():
        claims = (Outbox.select(Outbox.claim, fn.MAX(Outbox.claimed_at))
                  .where(Outbox.state == SENDING).group_by(Outbox.claim).tuples())
        for claim, claimed_at in list(claims):
            if not claim_is_stale(claim, claimed_at, now, lease):
                continue
            rows = Outbox.select().where((Outbox.state == SENDING) & (Outbox.claim == claim))
            for row in rows:
                if row.handed_at is not None:
                    # The claim stays: should its worker be alive after all, the
                    # server's answer it records still wins over "in doubt".
                    Outbox.update(state=FAILED, last_error=_(UNCERTAIN)).where(
                        (Outbox.id == row.id) & (Outbox.state == SENDING)).execute()
                    uncertain.append(row.id)
                else:
                    Outbox.update(state=QUEUED, claim="", claimed_at=None, next_attempt_at=now).where(
                        (Outbox.id == row.id) & (Outbox.state == SENDING)).execute()
                    requeued += 1
    return Recovery(requeued, tuple(uncertain))


def claim_batch(worker: str, limit: int = BATCH_SIZE, now: dt.datetime | None = None) -> list[OutboxItem]:
    """Atomically move up to `limit` due rows from queued to sending for `worker`."""
    now = now or clock.now()
    with write_tx():
        due = Outbox.select(Outbox.id).where(
            (Outbox.state == QUEUED) & (Outbox.next_attempt_at <= now)).order_by(Outbox.id).limit(limit)
        if not is_sqlite():  # a server: rows another transaction holds are left to it, never waited for
            due = due.for_update(skip_locked=True)
        ids = [r.id for r in due]
        if not ids:
            return []
        Outbox.update(state=SENDING, claim=worker, claimed_at=now, handed_at=None).where(
            (Outbox.id.in_(ids)) & (Outbox.state == QUEUED)).execute()
        rows = list(Outbox.select().where((Outbox.id.in_(ids)) & (Outbox.claim == worker)
                                          & (Outbox.state == SENDING)).order_by(Outbox.id))
    return [as_item(r) for r in rows]


def renew_claim(worker: str, now: dt.datetime | None = None) -> int:
    """Renew the lease of `worker`'s rows still being sent; how many there are."""
    now = now or clock.now()
    with write_tx(live=None):
        return Outbox.update(claimed_at=now).where(
            (Outbox.claim == worker) & (Outbox.state == SENDING)).execute()


def mark_handed(mail_id: int, worker: str) -> bool:
    """Mark the row handed to the server, if `worker` still holds it (False:
    it does not; the row must not be sent)."""
    with write_tx():
        return Outbox.update(handed_at=clock.now()).where(
            (Outbox.id == mail_id) & (Outbox.claim == worker) & (Outbox.state == SENDING)).execute() == 1


def mark_sent(mail_id: int, worker: str, note: str = "", hand_next: int | None = None) -> tuple[bool, bool]:
    """Record a delivery; with `hand_next`, mark the next row handed in the same
    commit (one commit per mail instead of two on the common path).

    Returns (recorded, next row handed): the next row may be sent only when
    `worker` still held it."""
    now = clock.now()
    # Plain SQL on this hot path (once per mail): peewee's query building costs
    # as much as the SQLite statements themselves.
    p = "?" if is_sqlite() else "%s"
    with write_tx():
        cursor = db.execute_sql(
            f"UPDATE outbox SET state = {p}, sent_at = {p}, claim = '', claimed_at = NULL, "
            f"attempts = attempts + 1, last_error = {p} WHERE id = {p} AND claim = {p}",
            (SENT, str(now), note[:2000], mail_id, worker))
        done = cursor.rowcount == 1
        handed = False
        if hand_next is not None:
            cursor = db.execute_sql(
                f"UPDATE outbox SET handed_at = {p} WHERE id = {p} AND claim = {p} AND state = {p}",
                (str(now), hand_next, worker, SENDING))
            handed = cursor.rowcount == 1
        return done, handed


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt (1-based), growing."""
    index = min(max(attempts, 1), len(RETRY_DELAYS)) - 1
    return dt.timedelta(seconds=RETRY_DELAYS[index])


def mark_temporary(mail_id: int, worker: str, error: str, *, counts: bool = True,
                   now: dt.datetime | None = None) -> str:
    """A temporary failure: back to queued with a growing delay, or failed after
    MAX_ATTEMPTS message-level refusals. Returns the new state."""
    now = now or clock.now()
    with write_tx():
        row = Outbox.get_or_none((Outbox.id == mail_id) & (Outbox.claim == worker))
        if row is None:
            return ""
        attempts = row.attempts + 1
        if counts and attempts >= MAX_ATTEMPTS:
            Outbox.update(state=FAILED, attempts=attempts, claim="", claimed_at=None, handed_at=None,
                          last_error=_("gave up after {n} attempts: {error}").format(n=attempts, error=error)[:2000]
                          ).where(Outbox.id == mail_id).execute()
            return FAILED
        delay = retry_delay(attempts)
        if not counts:
            delay = min(delay, dt.timedelta(minutes=10))
        Outbox.update(state=QUEUED, attempts=attempts, claim="", claimed_at=None, handed_at=None,
                      last_error=error[:2000], next_attempt_at=now + delay).where(Outbox.id == mail_id).execute()
        return QUEUED


def mark_failed(mail_id: int, worker: str, error: str) -> bool:
    with write_tx():
        return Outbox.update(state=FAILED, attempts=Outbox.attempts + 1, claim="", claimed_at=None,
                             handed_at=None, last_error=error[:2000]).where(
            (Outbox.id == mail_id) & (Outbox.claim == worker)).execute() == 1


def release(ids: Sequence[int], worker: str, error: str, now: dt.datetime | None = None) -> None:
    """Give claimed rows back (the server could not be reached): queued again, with a delay."""
    now = now or clock.now()
    for mail_id in ids:
        mark_temporary(mail_id, worker, error, counts=False, now=now)


def give_back(ids: Sequence[int], worker: str) -> int:
    """Return claimed rows that were not handed to the server to the queue as
    they were (the worker is stopping): due at once, no attempt counted.
    Rows `worker` no longer holds are left alone. Returns how many went back."""
    if not ids:
        return 0
    with write_tx():
        return Outbox.update(state=QUEUED, claim="", claimed_at=None, handed_at=None).where(
            (Outbox.id.in_(list(ids))) & (Outbox.claim == worker) & (Outbox.state == SENDING)).execute()


@dataclass
class BatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    connection_error: str = ""
    returned: int = 0
    """Rows given back to the queue unsent (the worker stopping, or a claim lost)."""
    stopped: bool = False

    def add(self, other: BatchReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.errors += other.errors
        self.connection_error = other.connection_error or self.connection_error
        self.returned += other.returned
        self.stopped = self.stopped or other.stopped
