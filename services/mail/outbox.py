"""The outbox: every e-mail is a row first, sent later by the worker.

`queue()` is called inside the transaction of the change that causes the mail
(no change without its mail, no mail without its change). The worker claims
rows atomically and hands them to a transport (`services.mail.transport`).

Never sending twice
-------------------
SMTP has no server-side de-duplication, so the outbox is the only place that
can prevent a double send. Each row goes queued -> sending -> sent|failed:

1. claim: one `BEGIN IMMEDIATE` moves up to N due rows from queued to sending
   and stamps them with the worker's claim (host:pid:token). Two workers never
   claim the same row.
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
import hashlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from peewee import fn

from models import db, is_sqlite, reading, write_tx
from models.db import sqlite_path
from models.mail import MAIL_STATES, Outbox
from services.core import clock, paths
from services.core.errors import NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.store import audit

QUEUED, SENDING, SENT, FAILED = MAIL_STATES
STATE_LABELS = {QUEUED: N_("queued"), SENDING: N_("sending"), SENT: N_("sent"), FAILED: N_("failed")}

RETRY_DELAYS = (30, 60, 120, 300, 600, 1200, 1800, 3600)
"""Seconds to wait before the next attempt after the 1st, 2nd, ... temporary failure."""
MAX_ATTEMPTS = 12
"""A message the server keeps refusing temporarily (4xx) fails after this many attempts.
Connection failures (server down) never make a mail fail: it waits for the server."""
CLAIM_LEASE = dt.timedelta(minutes=10)
"""A claim of another host (whose process cannot be checked) not renewed for this long is stale;
a sending worker renews its claim every quarter of it."""
BATCH_SIZE = 100
MAX_RECIPIENTS = 50
MAX_SUBJECT = 300


@dataclass(frozen=True)
class Attachment:
    path: str
    name: str


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    recipients: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body_text: str
    body_html: str
    attachments: tuple[Attachment, ...]
    read_receipt: bool
    about_entity: str
    about_id: str
    idempotency_key: str
    state: str
    attempts: int
    last_error: str
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    created_at: dt.datetime
    created_by: str

    @property
    def state_label(self) -> str:
        return _(STATE_LABELS.get(self.state, self.state))

    @property
    def message_id_seed(self) -> str:
        return message_id_seed(self.id, self.idempotency_key)


def message_id_seed(row_id: int, key: str) -> str:
    """The local part of the Message-ID: the same for every attempt of one row."""
    return f"atende.{row_id}.{hashlib.sha1(key.encode('utf-8')).hexdigest()[:16]}"


def _item(r: Outbox) -> OutboxItem:
    return OutboxItem(
        id=r.id, kind=r.kind, recipients=tuple(json.loads(r.recipients or "[]")),
        cc=tuple(json.loads(r.cc or "[]")), subject=r.subject, body_text=r.body_text,
        body_html=r.body_html,
        attachments=tuple(Attachment(a["path"], a["name"]) for a in json.loads(r.attachments or "[]")),
        read_receipt=bool(r.read_receipt), about_entity=r.about_entity, about_id=r.about_id,
        idempotency_key=r.idempotency_key, state=r.state, attempts=r.attempts,
        last_error=r.last_error, next_attempt_at=r.next_attempt_at, sent_at=r.sent_at,
        created_at=r.created_at, created_by=r.created_by,
    )


# ---------------------------------------------------------------- queueing


def store_files_dir() -> Path:
    """The store's files folder (beside the SQLite file)."""
    path = sqlite_path()
    return paths.files_dir(path) if path is not None else paths.user_data_dir() / "files"


def normalize_address(value: str, field: str = "to") -> str:
    """'Name <addr>' or 'addr', validated (syntax only, no network); returns the clean form."""
    from services.core import validation

    text = clean(value)
    name, addr = parseaddr(text)
    if not addr or ("<" in text and ">" not in text):
        raise ValidationError(_("Invalid e-mail address: {address}").format(address=text or "-"), field)
    try:
        addr = validation.email(addr, field)
    except ValidationError:
        raise ValidationError(_("Invalid e-mail address: {address}").format(address=text), field) from None
    if not clean(name):
        return addr
    from email.headerregistry import Address

    user, _at, domain = addr.rpartition("@")
    try:
        return str(Address(display_name=clean(name), username=user, domain=domain))
    except (ValueError, IndexError):
        return addr


def _addresses(values: str | Iterable[str] | None, field: str, required: bool) -> list[str]:
    if values is None:
        values = []
    elif isinstance(values, str):
        values = [v for v in values.replace(";", ",").split(",")]
    out: list[str] = []
    for v in values:
        if v and clean(v):
            addr = normalize_address(v, field)
            if addr not in out:
                out.append(addr)
    if required and not out:
        raise ValidationError(_("An e-mail needs at least one recipient"), field)
    if len(out) > MAX_RECIPIENTS:
        raise ValidationError(_("Too many recipients: at most {n}").format(n=MAX_RECIPIENTS), field)
    return out


MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
"""One attached file (the largest event material); counted while copying."""


def _copy_attachments(files: Sequence[str | os.PathLike], key: str) -> list[dict]:
    """Copy each file beside the mail (services.core.files: regular files only,
    at most MAX_ATTACHMENT_BYTES, nothing left when a copy fails); a file
    already there with the same content is reused (a retried queue)."""
    from services.core import files as intake

    if not files:
        return []
    folder = store_files_dir() / "mail" / hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]
    stored = []
    copied: list[Path] = []
    try:
        for source in files:
            picked = intake.check(source, "attachments", MAX_ATTACHMENT_BYTES)
            dest = folder / picked.name
            if dest.exists() and _same_file(picked.path, dest):
                stored.append({"path": str(dest), "name": picked.name})
                continue
            done = intake.copy_into(source, folder, field="attachments", limit=MAX_ATTACHMENT_BYTES)
            copied.append(done.path)
            stored.append({"path": str(done.path), "name": picked.name})
    except BaseException:
        for p in copied:
            p.unlink(missing_ok=True)
        raise
    return stored


def _same_file(a: Path, b: Path) -> bool:
    from services.core import files as intake

    try:
        if a.resolve() == b.resolve():
            return True
        size = b.stat().st_size
        return intake.read_bytes(a, "attachments", size) == b.read_bytes()
    except (OSError, ValidationError):
        return False


def queue(*, to: str | Iterable[str], subject: str, text: str, html: str = "",
          cc: str | Iterable[str] | None = None, attachments: Sequence[str | os.PathLike] = (),
          read_receipt: bool = False, about: tuple[str, object] = ("", ""), kind: str = "generic",
          key: str | None = None, created_by: str = "system",
          send_after: dt.datetime | None = None) -> int:
    """Queue one e-mail; return its outbox id.

    Call it inside the transaction of the change that causes the mail: it does
    not commit by itself (a nested call becomes a savepoint of the caller's
    `write_tx`). With an idempotency `key` already in the outbox, nothing is
    added and the existing row's id is returned. Bad addresses or a missing
    attachment raise ValidationError before anything is written.
    """
    recipients = _addresses(to, "to", required=True)
    copies = _addresses(cc, "cc", required=False)
    subject = clean(subject)
    if not subject:
        raise ValidationError(_("An e-mail needs a subject"), "subject")
    subject = subject[:MAX_SUBJECT]
    body = clean(text, multiline=True)
    html = (html or "").replace("\x00", "")
    if not body and not html:
        raise ValidationError(_("An e-mail needs a text"), "text")
    key = clean(key or "") or f"{kind}:{uuid.uuid4().hex}"
    if len(key) > 200:
        key = key[:150] + ":" + hashlib.sha1(key.encode("utf-8")).hexdigest()
    now = clock.now()
    with write_tx():
        existing = Outbox.select(Outbox.id).where(Outbox.idempotency_key == key).first()
        if existing is not None:
            return existing.id
        stored = _copy_attachments(list(attachments), key)
        return Outbox.insert(
            kind=kind[:40], recipients=json.dumps(recipients, ensure_ascii=False),
            cc=json.dumps(copies, ensure_ascii=False), subject=subject, body_text=body,
            body_html=html, attachments=json.dumps(stored, ensure_ascii=False),
            read_receipt=bool(read_receipt), about_entity=str(about[0] or "")[:40],
            about_id=str(about[1] if about[1] is not None else "")[:64], idempotency_key=key,
            state=QUEUED, attempts=0, last_error="", next_attempt_at=send_after or now,
            created_at=now, created_by=created_by[:64],
        ).execute()


# ---------------------------------------------------------------- reading


def list_mail(actor: Actor, state: str | None = None, limit: int = 500,
              about: tuple[str, object] | None = None) -> list[OutboxItem]:
    """Mail, newest first, optionally of one state or about one thing."""
    require(actor, "mail.read")
    if state and state not in MAIL_STATES:
        raise ValidationError(_("Unknown state '{state}': use one of {states}").format(
            state=state, states=", ".join(MAIL_STATES)), "state")
    q = Outbox.select().order_by(Outbox.id.desc()).limit(limit)
    if state:
        q = q.where(Outbox.state == state)
    if about:
        q = q.where((Outbox.about_entity == about[0]) & (Outbox.about_id == str(about[1])))
    with reading():
        return [_item(r) for r in q]


def get(actor: Actor, mail_id: int) -> OutboxItem:
    require(actor, "mail.read")
    with reading():
        row = Outbox.get_or_none(Outbox.id == mail_id)
    if row is None:
        raise NotFound(_("No e-mail {id} in the outbox").format(id=mail_id))
    return _item(row)


def counts() -> dict[str, int]:
    """How many mails are in each state (no permission: a number, no content)."""
    with reading():
        found = dict(Outbox.select(Outbox.state, fn.COUNT(Outbox.id)).group_by(Outbox.state).tuples())
    return {s: found.get(s, 0) for s in MAIL_STATES}


def pending_count() -> int:
    with reading():
        return Outbox.select().where(Outbox.state.in_((QUEUED, SENDING))).count()


def has_due(now: dt.datetime | None = None) -> bool:
    now = now or clock.now()
    with reading():
        return Outbox.select(Outbox.id).where(
            (Outbox.state == QUEUED) & (Outbox.next_attempt_at <= now)).exists()


# ---------------------------------------------------------------- people act


def retry(actor: Actor, mail_id: int) -> OutboxItem:
    """Put a failed mail back in the queue, to be sent at once."""
    require(actor, "mail.send")
    with write_tx():
        row = Outbox.get_or_none(Outbox.id == mail_id)
        if row is None:
            raise NotFound(_("No e-mail {id} in the outbox").format(id=mail_id))
        if row.state != FAILED:
            raise ValidationError(_("Only a failed e-mail can be retried; this one is {state}").format(
                state=_(STATE_LABELS[row.state])), "state")
        Outbox.update(state=QUEUED, next_attempt_at=clock.now(), claim="", claimed_at=None,
                      handed_at=None, attempts=0).where(Outbox.id == mail_id).execute()
        audit.record(actor.login, "outbox", mail_id, "retry", {"state": [FAILED, QUEUED]})
        row = Outbox.get_by_id(mail_id)
    return _item(row)


def resend(actor: Actor, about_entity: str, about_id: object, kind: str | None = None) -> list[int]:
    """Queue again, with new idempotency keys, the last mail each recipient got about a thing.

    Returns the new outbox ids (empty when nothing was ever sent about it).
    An event's e-mails follow the event's own rule: its responsible, or a
    supervisor/admin (NotFound for no such event).
    """
    require(actor, "mail.send")
    if about_entity == "event":
        from services.core.validation import record_id
        from services.events import pipeline

        pipeline.require_change(actor, about_id)
        about_id = record_id(about_id)  # "#12", "012": the event's id as its mail records it
    with write_tx():
        q = (Outbox.select().where((Outbox.about_entity == about_entity) & (Outbox.about_id == str(about_id)))
             .order_by(Outbox.id.desc()))
        if kind:
            q = q.where(Outbox.kind == kind)
        latest: dict[tuple, Outbox] = {}
        for row in q:
            who = tuple(json.loads(row.recipients))
            latest.setdefault(who, row)
        new_ids = []
        now = clock.now()
        for row in sorted(latest.values(), key=lambda r: r.id):
            new_id = Outbox.insert(
                kind=row.kind, recipients=row.recipients, cc=row.cc, subject=row.subject,
                body_text=row.body_text, body_html=row.body_html, attachments=row.attachments,
                read_receipt=row.read_receipt, about_entity=row.about_entity, about_id=row.about_id,
                idempotency_key=f"resend:{row.id}:{uuid.uuid4().hex}", state=QUEUED, attempts=0,
                last_error="", next_attempt_at=now, created_at=now, created_by=actor.login,
            ).execute()
            new_ids.append(new_id)
        if new_ids:
            audit.record(actor.login, about_entity or "outbox", about_id, "resend_mail",
                         {"outbox": new_ids})
    return new_ids


# ---------------------------------------------------------------- the worker's side


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
        ids = [r.id for r in Outbox.select(Outbox.id).where(
            (Outbox.state == QUEUED) & (Outbox.next_attempt_at <= now)).order_by(Outbox.id).limit(limit)]
        if not ids:
            return []
        Outbox.update(state=SENDING, claim=worker, claimed_at=now, handed_at=None).where(
            (Outbox.id.in_(ids)) & (Outbox.state == QUEUED)).execute()
        rows = list(Outbox.select().where((Outbox.id.in_(ids)) & (Outbox.claim == worker)
                                          & (Outbox.state == SENDING)).order_by(Outbox.id))
    return [_item(r) for r in rows]


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
