"""The ticket desk's indexes: B-tree indexes that serve each queue view in
'last update' order, and an FTS5 index over the text of tickets (subject,
problem, checks, solution and the script report), kept in step by triggers.
"""
from __future__ import annotations

from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .core import Queue, Ticket, TicketType, User
from .db import db, is_sqlite

MESSAGE_KINDS = ("public", "internal")


class TicketMessage(BaseModel):
    """One message of a ticket's thread: a public reply (the customer sees it)
    or an internal note (staff only)."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="messages", on_delete="CASCADE", lazy_load=False)
    kind = CharField(max_length=10)  # public | internal
    body = TextField()
    author = ForeignKeyField(User, null=True, lazy_load=False, backref="+")
    author_login = CharField(max_length=64)
    created_at = DateTimeField()

    class Meta:
        table_name = "ticket_message"
        indexes = ((("ticket", "id"), False),)


class Survey(BaseModel):
    """The satisfaction survey of a resolved ticket: one per ticket, answered
    once on the web page its link opens (only the token's SHA-256 is kept).
    Who resolved it, the queue and the type are kept as they were then."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, unique=True, on_delete="CASCADE", lazy_load=False)
    token_hash = CharField(max_length=64, unique=True)
    agent = ForeignKeyField(User, null=True, lazy_load=False, backref="+")
    queue = ForeignKeyField(Queue, null=True, lazy_load=False, backref="+")
    type = ForeignKeyField(TicketType, null=True, lazy_load=False, backref="+")
    sent_at = DateTimeField()
    answered_at = DateTimeField(null=True, index=True)
    rating = IntegerField(null=True)
    comment = TextField(default="")


DESK_MODELS = [TicketMessage]
SURVEY_MODELS = [Survey]


class MailIn(BaseModel):
    """An e-mail taken in (`atende mail-in`, the worker's mailbox): its
    Message-ID, unique, so the same mail never counts twice however many runs
    read it at once; what became of it (a new ticket, a message on one, or
    ignored: an auto-reply, a bounce, a loop) and why."""

    id = AutoField()
    message_id = CharField(max_length=250, unique=True)
    ticket = ForeignKeyField(Ticket, null=True, on_delete="CASCADE", lazy_load=False, backref="+")
    ticket_message = ForeignKeyField(TicketMessage, null=True, on_delete="SET NULL", lazy_load=False, backref="+")
    outcome = CharField(max_length=10)  # ticket | reply | ignored
    reason = CharField(max_length=200, default="")
    sender = CharField(max_length=254, default="")
    subject = CharField(max_length=300, default="")
    via = CharField(max_length=10, default="")  # stdin | imap
    received_at = DateTimeField()

    class Meta:
        table_name = "mail_in"
        indexes = ((("ticket", "id"), False),)


MAIL_IN_MODELS = [MailIn]

TICKET_TEXT_COLUMNS = ("subject", "problem", "checks", "solution", "script_report")

_B_TREE = (
    'CREATE INDEX IF NOT EXISTS "ticket_status_updated" ON "ticket" ("status", "updated_at", "id")',
    'CREATE INDEX IF NOT EXISTS "ticket_responsible_updated" ON "ticket" ("responsible_id", "updated_at", "id")',
    'CREATE INDEX IF NOT EXISTS "ticket_queue_updated" ON "ticket" ("queue_id", "updated_at", "id")',
    'CREATE INDEX IF NOT EXISTS "ticket_type_updated" ON "ticket" ("type_id", "updated_at", "id")',
    'CREATE INDEX IF NOT EXISTS "ticket_updated_id" ON "ticket" ("updated_at", "id")',
    'CREATE INDEX IF NOT EXISTS "ticket_created_id" ON "ticket" ("created_at", "id")',
)


def _cols(prefix: str) -> str:
    return ", ".join(f"{prefix}{c}" for c in TICKET_TEXT_COLUMNS)


def _triggers() -> tuple[str, ...]:
    cols = _cols("")
    add = f"INSERT INTO ticket_fts(rowid, {cols}) VALUES (new.id, {_cols('new.')});"
    remove = (f"INSERT INTO ticket_fts(ticket_fts, rowid, {cols}) "
              f"VALUES ('delete', old.id, {_cols('old.')});")
    return (
        f"CREATE TRIGGER IF NOT EXISTS ticket_fts_ai AFTER INSERT ON ticket BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS ticket_fts_ad AFTER DELETE ON ticket BEGIN {remove} END",
        f"CREATE TRIGGER IF NOT EXISTS ticket_fts_au AFTER UPDATE OF {cols} ON ticket BEGIN "
        f"{remove} {add} END",
    )


def create_desk_indexes() -> None:
    for sql in _B_TREE:
        db.execute_sql(sql)
    if not is_sqlite():
        return
    db.execute_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS ticket_fts USING fts5({_cols('')}, "
        "content='ticket', content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
    for sql in _triggers():
        db.execute_sql(sql)
    db.execute_sql("INSERT INTO ticket_fts(ticket_fts) VALUES ('rebuild')")


def rebuild_ticket_search() -> None:
    """Re-read every ticket and its thread into the search document (after a bulk load)."""
    if has_doc_search():
        fill_doc_search()


_MESSAGE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS ticket_message_fts_ai AFTER INSERT ON ticket_message BEGIN "
    "INSERT INTO ticket_message_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS ticket_message_fts_ad AFTER DELETE ON ticket_message BEGIN "
    "INSERT INTO ticket_message_fts(ticket_message_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS ticket_message_fts_au AFTER UPDATE OF body ON ticket_message BEGIN "
    "INSERT INTO ticket_message_fts(ticket_message_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO ticket_message_fts(rowid, body) VALUES (new.id, new.body); END",
)


def create_thread_tables() -> None:
    db.create_tables(DESK_MODELS, safe=True)
    if not is_sqlite():
        return
    db.execute_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_message_fts USING fts5(body, "
        "content='ticket_message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
    for sql in _MESSAGE_TRIGGERS:
        db.execute_sql(sql)
    db.execute_sql("INSERT INTO ticket_message_fts(ticket_message_fts) VALUES ('rebuild')")


# -- one search document per ticket (migration 0420) ------------------------
#
# The ticket's text, its script report AND its thread in one FTS5 row whose
# rowid is the ticket id: a search reads matches newest ticket first straight
# from the index and stops after a page, instead of collecting every match
# (tens of thousands for a common word) and sorting them.

DOC_COLUMNS = TICKET_TEXT_COLUMNS + ("messages",)

_THREAD_TEXT = ("COALESCE((SELECT group_concat(body, char(10)) FROM ticket_message m "
                "WHERE m.ticket_id = {ticket}), '')")


def _doc_triggers() -> tuple[str, ...]:
    """The document follows the ticket once it leaves "draft" (migration 0900):
    a reserved protocol costs its commit no full-text work."""
    cols = _cols("")
    sets = ", ".join(f"{c} = new.{c}" for c in TICKET_TEXT_COLUMNS)
    rethread = ("UPDATE ticket_doc_fts SET messages = " + _THREAD_TEXT.format(ticket="old.ticket_id")
                + " WHERE rowid = old.ticket_id;")
    return (
        f"CREATE TRIGGER IF NOT EXISTS ticket_doc_ai AFTER INSERT ON ticket WHEN new.status <> 'draft' BEGIN "
        f"INSERT INTO ticket_doc_fts(rowid, {cols}, messages) VALUES (new.id, {_cols('new.')}, ''); END",
        f"CREATE TRIGGER IF NOT EXISTS ticket_doc_open AFTER UPDATE OF status ON ticket "
        f"WHEN old.status = 'draft' AND new.status <> 'draft' BEGIN "
        f"INSERT OR REPLACE INTO ticket_doc_fts(rowid, {cols}, messages) VALUES (new.id, {_cols('new.')}, "
        f"{_THREAD_TEXT.format(ticket='new.id')}); END",
        "CREATE TRIGGER IF NOT EXISTS ticket_doc_ad AFTER DELETE ON ticket BEGIN "
        "DELETE FROM ticket_doc_fts WHERE rowid = old.id; END",
        f"CREATE TRIGGER IF NOT EXISTS ticket_doc_au AFTER UPDATE OF {cols} ON ticket "
        f"WHEN old.status <> 'draft' BEGIN "
        f"UPDATE ticket_doc_fts SET {sets} WHERE rowid = new.id; END",
        "CREATE TRIGGER IF NOT EXISTS ticket_doc_msg_ai AFTER INSERT ON ticket_message BEGIN "
        "UPDATE ticket_doc_fts SET messages = CASE WHEN messages = '' THEN new.body "
        "ELSE messages || char(10) || new.body END WHERE rowid = new.ticket_id; END",
        f"CREATE TRIGGER IF NOT EXISTS ticket_doc_msg_ad AFTER DELETE ON ticket_message BEGIN {rethread} END",
        f"CREATE TRIGGER IF NOT EXISTS ticket_doc_msg_au AFTER UPDATE OF body ON ticket_message BEGIN "
        f"{rethread} END",
    )


def has_doc_search() -> bool:
    if not is_sqlite():
        return False
    return db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'ticket_doc_fts'").fetchone() is not None


def fill_doc_search() -> None:
    db.execute_sql("DELETE FROM ticket_doc_fts")
    db.execute_sql(
        f"INSERT INTO ticket_doc_fts(rowid, {_cols('')}, messages) "
        f"SELECT t.id, {_cols('t.')}, {_THREAD_TEXT.format(ticket='t.id')} FROM ticket t WHERE t.status <> 'draft'")
    db.execute_sql("INSERT INTO ticket_doc_fts(ticket_doc_fts) VALUES ('optimize')")


def create_doc_search() -> None:
    if not is_sqlite():
        return
    db.execute_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS ticket_doc_fts USING fts5({_cols('')}, messages, "
        "tokenize='unicode61 remove_diacritics 2')")
    for sql in _doc_triggers():
        db.execute_sql(sql)
    fill_doc_search()


# -- lean ticket writes (migration 0900) ------------------------------------
#
# Every B-tree a ticket's row is in costs each commit that touches the row a
# page in the WAL (and later in the checkpoint). Measured per ticket before:
# 36 pages to reserve a protocol, 49 to finish. So: the per-ticket search
# document above replaces the two older full-text indexes (ticket_fts,
# ticket_message_fts), which were still kept in step; single-column indexes
# that are the prefix of a composite one go; indexes on columns a reserved
# protocol leaves empty only hold rows that have a value ("x IS NOT NULL":
# SQLite uses them for x = ?, x IN (...)); drafts have no search document.

_REDUNDANT = ("ticket_status", "ticket_queue_id", "ticket_type_id", "ticket_responsible_id",
              "ticket_updated_at", "ticket_created_at")

_PARTIAL = {
    "ticket_customer_id": ("customer_id",),
    "ticket_access_point_id": ("access_point_id",),
    "ticket_contact_id": ("contact_id",),
    "ticket_plan_id": ("plan_id",),
    "ticket_parent_id": ("parent_id",),
    "ticket_responsible_updated": ("responsible_id", "updated_at", "id"),
    "ticket_queue_updated": ("queue_id", "updated_at", "id"),
    "ticket_type_updated": ("type_id", "updated_at", "id"),
}


def lean_ticket_writes() -> None:
    for name in _REDUNDANT:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
    for name, columns in _PARTIAL.items():
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
        cols = ", ".join(f'"{c}"' for c in columns)
        db.execute_sql(f'CREATE INDEX "{name}" ON "ticket" ({cols}) WHERE "{columns[0]}" IS NOT NULL')
    if not is_sqlite():
        return
    for trigger in ("ticket_fts_ai", "ticket_fts_ad", "ticket_fts_au",
                    "ticket_message_fts_ai", "ticket_message_fts_ad", "ticket_message_fts_au",
                    "ticket_doc_ai", "ticket_doc_au"):
        db.execute_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute_sql("DROP TABLE IF EXISTS ticket_fts")
    db.execute_sql("DROP TABLE IF EXISTS ticket_message_fts")
    if has_doc_search():
        for sql in _doc_triggers():
            db.execute_sql(sql)
        db.execute_sql("DELETE FROM ticket_doc_fts WHERE rowid IN (SELECT id FROM ticket WHERE status = 'draft')")
