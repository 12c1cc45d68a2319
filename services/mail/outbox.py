"""The outbox: every e-mail is a row first, sent later by the worker.

`queue()` is called inside the transaction of the change that causes the mail
(no change without its mail, no mail without its change). The worker claims
rows atomically and hands them to a transport (`services.mail.transport`).

How a row is then claimed and handed to the server, never twice: the worker's
side, `services.mail.sending`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from peewee import fn

from models import reading, write_tx
from models.mail import MAIL_STATES, Outbox
from services.core import clock
from services.core.errors import NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.store import audit, blobs, database

QUEUED, SENDING, SENT, FAILED = MAIL_STATES
STATE_LABELS = {QUEUED: N_("queued"), SENDING: N_("sending"), SENT: N_("sent"), FAILED: N_("failed")}
MAX_RECIPIENTS = 50
MAX_SUBJECT = 300
THREAD_HEADERS = ("In-Reply-To", "References")
"""The extra headers a queued mail may carry: a reply's place in its thread."""
MAX_REFERENCES = 20


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
    headers: tuple[tuple[str, str], ...]
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


def as_item(r: Outbox) -> OutboxItem:
    return OutboxItem(
        id=r.id, kind=r.kind, recipients=tuple(json.loads(r.recipients or "[]")),
        cc=tuple(json.loads(r.cc or "[]")), subject=r.subject, body_text=r.body_text,
        body_html=r.body_html,
        attachments=tuple(Attachment(a["path"], a["name"]) for a in json.loads(r.attachments or "[]")),
        read_receipt=bool(r.read_receipt), about_entity=r.about_entity, about_id=r.about_id,
        idempotency_key=r.idempotency_key, headers=tuple(json.loads(r.headers or "{}").items()),
        state=r.state, attempts=r.attempts,
        last_error=r.last_error, next_attempt_at=r.next_attempt_at, sent_at=r.sent_at,
        created_at=r.created_at, created_by=r.created_by,
    )


# ---------------------------------------------------------------- queueing


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


def recipient(name: str, address: str) -> str:
    """One recipient as "Name <address>", the name quoted when it needs it (a
    comma in "Silva, Ana" never makes two recipients)."""
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    name = " ".join(clean(name or "").split())
    if not (name and address):
        return address or ""
    try:
        return str(Address(display_name=name, addr_spec=address))
    except (ValueError, IndexError, HeaderParseError):  # an address the header rules refuse: queue says why
        return address


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


def _copy_attachments(files: Sequence, key: str) -> list[dict]:
    """Copy each file (a path, or a (path, name) pair: the name the recipient
    sees) beside the mail (services.core.files: regular files only,
    at most MAX_ATTACHMENT_BYTES, nothing left when a copy fails); a file
    already there with the same content is reused (a retried queue)."""
    from services.core import files as intake

    if not files:
        return []
    folder = database.files_root() / "mail" / hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]
    stored = []
    copied: list[Path] = []
    try:
        for item in files:
            source, name = item if isinstance(item, tuple) else (item, "")
            picked = intake.check(source, "attachments", MAX_ATTACHMENT_BYTES)
            name = intake.safe_name(name) if name else picked.name
            dest = folder / name
            if not (dest.exists() and _same_file(picked.path, dest)):
                dest = intake.copy_into(source, folder, field="attachments", limit=MAX_ATTACHMENT_BYTES,
                                        name=name).path
                copied.append(dest)
            blobs.keep(dest)  # a store whose hosts share no folder keeps the bytes, in the caller's transaction
            # a server's workers on other hosts find it under their own files folder: its place, not this path
            stored.append({"path": blobs.place(dest), "name": name})
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


def message_ids(values: Iterable[str]) -> list[str]:
    """The Message-IDs ("<local@domain>") among `values`, each once, in order,
    without folding, control characters or spaces: what a header may carry."""
    out: list[str] = []
    for value in values:
        for found in re.findall(r"<[^<>\s]{1,240}>", value or ""):
            if found not in out and found.isprintable():
                out.append(found)
    return out


def thread_headers(in_reply_to: str = "", references: Iterable[str] = ()) -> dict[str, str]:
    """In-Reply-To and References for a reply (the first and latest references
    kept when there are many, as RFC 5322 suggests)."""
    refs = message_ids(references)
    if len(refs) > MAX_REFERENCES:
        refs = refs[:1] + refs[-(MAX_REFERENCES - 1):]
    parent = message_ids([in_reply_to])[:1]
    headers = {}
    if parent:
        headers["In-Reply-To"] = parent[0]
    if refs:
        headers["References"] = " ".join(refs)
    return headers


def _headers(headers: dict[str, str] | None) -> dict[str, str]:
    out = {}
    for name, value in (headers or {}).items():
        if name not in THREAD_HEADERS:
            raise ValidationError(_("An e-mail may not set the header {name}").format(name=name), "headers")
        ids = message_ids([value])
        if ids:
            out[name] = " ".join(ids)
    return out


def queue(*, to: str | Iterable[str], subject: str, text: str, html: str = "",
          cc: str | Iterable[str] | None = None, attachments: Sequence = (),
          read_receipt: bool = False, about: tuple[str, object] = ("", ""), kind: str = "generic",
          key: str | None = None, created_by: str = "system",
          send_after: dt.datetime | None = None, headers: dict[str, str] | None = None) -> int:
    """Queue one e-mail; return its outbox id.

    Call it inside the transaction of the change that causes the mail: it does
    not commit by itself (a nested call becomes a savepoint of the caller's
    `write_tx`). With an idempotency `key` already in the outbox, nothing is
    added and the existing row's id is returned. Bad addresses or a missing
    attachment raise ValidationError before anything is written. `headers`:
    only THREAD_HEADERS (see `thread_headers`), holding Message-IDs.
    """
    recipients = _addresses(to, "to", required=True)
    extra = _headers(headers)
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
            headers=json.dumps(extra, ensure_ascii=False), state=QUEUED, attempts=0, last_error="",
            next_attempt_at=send_after or now,
            created_at=now, created_by=created_by[:64],
        ).execute()


def record_failed(*, to: str, subject: str, kind: str, key: str, about: tuple[str, object],
                  error: str, created_by: str) -> int:
    """A mail that cannot be sent (bad address): kept as failed with the reason, visible in
    the outbox (inside the caller's transaction); with `key` already there, that row's id."""
    existing = Outbox.select(Outbox.id).where(Outbox.idempotency_key == key).first()
    if existing is not None:
        return existing.id
    now = clock.now()
    return Outbox.insert(
        kind=kind[:40], recipients=json.dumps([to], ensure_ascii=False), cc="[]", subject=subject[:300] or kind,
        body_text="", body_html="", attachments="[]", read_receipt=False, about_entity=str(about[0])[:40],
        about_id=str(about[1])[:64], idempotency_key=key[:200], state=FAILED, attempts=0,
        last_error=error[:500], next_attempt_at=now, created_at=now, created_by=created_by[:64]).execute()


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
        return [as_item(r) for r in q]


def get(actor: Actor, mail_id: int) -> OutboxItem:
    require(actor, "mail.read")
    with reading():
        row = Outbox.get_or_none(Outbox.id == mail_id)
    if row is None:
        raise NotFound(_("No e-mail {id} in the outbox").format(id=mail_id))
    return as_item(row)


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
    return as_item(row)


def resend(actor: Actor, about_entity: str, about_id: object, kind: str | None = None) -> list[int]:
    """Queue again, with new idempotency keys, the last mail each recipient got about a thing.

    Returns the new outbox ids (empty when nothing was ever sent about it).
    Only the permission to send mail is checked here: a feature whose mail has a rule of its
    own offers its own resend that checks it first (an event's: `services.events.mail.resend`).
    """
    require(actor, "mail.send")
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
                headers=row.headers, idempotency_key=f"resend:{row.id}:{uuid.uuid4().hex}", state=QUEUED, attempts=0,
                last_error="", next_attempt_at=now, created_at=now, created_by=actor.login,
            ).execute()
            new_ids.append(new_id)
        if new_ids:
            audit.record(actor.login, about_entity or "outbox", about_id, "resend_mail",
                         {"outbox": new_ids})
    return new_ids
