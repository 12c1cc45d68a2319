"""Every migration, in one place to read in order.

Feature modules keep their models in their own files; their migrations are
registered here so the order of a database's history is easy to follow.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .core import CORE_MODELS
from .db import db


@dataclass(frozen=True)
class Migration:
    id: str
    apply: Callable[[], None]


MIGRATIONS: dict[str, Migration] = {}
"""Every migration by id (models.migrations applies them in the order of their ids)."""


def migration(id: str):
    """Register the decorated function as the migration `id`."""

    def register(fn: Callable[[], None]) -> Callable[[], None]:
        if id in MIGRATIONS:
            raise ValueError(f"migration {id} registered twice")
        MIGRATIONS[id] = Migration(id, fn)
        return fn

    return register


@migration("0001_core")
def _core() -> None:
    db.create_tables(CORE_MODELS, safe=True)


@migration("0300_wizard")
def _wizard() -> None:
    from .wizard import WIZARD_MODELS

    db.create_tables(WIZARD_MODELS, safe=True)


@migration("0301_customer_search")
def _customer_search() -> None:
    """Trigram full-text indexes for 'contains' lookups, and the B-tree indexes
    the other conditions use (see services.customers.lookup)."""
    from .search import create_search_index

    create_search_index()


@migration("0400_desk")
def _desk() -> None:
    """Indexes for the queue views and the tickets' full-text index."""
    from .desk import create_desk_indexes

    create_desk_indexes()


@migration("0401_ticket_thread")
def _ticket_thread() -> None:
    """The tickets' threads (public replies and internal notes) and their full-text index."""
    from .desk import create_thread_tables

    create_thread_tables()


@migration("0410_contact_us")
def _contact_us() -> None:
    """The company "Contact us" desk: classifications, sub-classifications, forms of contact, requests."""
    from .contactus import CONTACTUS_MODELS

    db.create_tables(CONTACTUS_MODELS, safe=True)


@migration("0420_ticket_search")
def _ticket_search() -> None:
    """One full-text document per ticket (its text, script report and thread),
    read newest ticket first so a search stops after one page."""
    from .desk import create_doc_search

    create_doc_search()


@migration("0500_events")
def _events() -> None:
    from .events import EVENT_MODELS, EventType

    db.create_tables(EVENT_MODELS, safe=True)
    # The same e-mail may register once per event (cancelled and erased
    # registrations aside); the services check first, this index guarantees it.
    db.execute_sql(
        "CREATE UNIQUE INDEX IF NOT EXISTS registration_event_email_active "
        "ON registration (event_id, email) WHERE cancelled_at IS NULL AND email <> ''"
    )
    if not EventType.select().exists():
        import json
        from importlib import resources

        types = json.loads((resources.files("data") / "event_types.json").read_text(encoding="utf-8"))
        for t in types:
            EventType.create(name=t["name"], format=t["format"], preparation=t.get("preparation", ""),
                             checklist=json.dumps(t.get("checklist", []), ensure_ascii=False))


@migration("0600_mail")
def _mail() -> None:
    from .mail import MAIL_MODELS

    db.create_tables(MAIL_MODELS, safe=True)


@migration("0700_scheduling")
def _scheduling() -> None:
    """Triage topics, analysts, rota, bookings; the shipped topic catalogue."""
    from .scheduling import SCHEDULING_MODELS, Topic, TriageTeam, load_topic_catalogue

    db.create_tables(SCHEDULING_MODELS, safe=True)
    if not Topic.select().exists() and not TriageTeam.select().exists():
        load_topic_catalogue()


@migration("0800_live")
def _live() -> None:
    """Change counters watched by open sessions, and presence."""
    from .live import create_live_tables

    create_live_tables()


@migration("0820_dashboard")
def _dashboard() -> None:
    """Covering indexes for the supervisor's dashboard and the audit viewer."""
    from .dashboard import create_dashboard_indexes

    create_dashboard_indexes()


@migration("0900_lean_ticket_writes")
def _lean_ticket_writes() -> None:
    """Fewer B-trees per ticket commit: the older full-text indexes go (the
    per-ticket document replaced them), redundant indexes go, indexes on
    columns a reserved protocol leaves empty become partial."""
    from .desk import lean_ticket_writes

    lean_ticket_writes()


@migration("0910_write_requests")
def _write_requests() -> None:
    """Made the table of a shared writer that is gone (0920 drops it): nothing now."""


@migration("0920_drop_write_requests")
def _drop_write_requests() -> None:
    """Every session writes its tickets itself: the shared writer's request ids go."""
    db.execute_sql("DROP TABLE IF EXISTS write_request")


@migration("0930_postgresql_customer_search")
def _postgresql_customer_search() -> None:
    """PostgreSQL: trigram and prefix indexes for the customer lookup (SQLite has FTS5 since 0301)."""
    from .search_server import create_server_search

    create_server_search()


@migration("0931_postgresql_ticket_search")
def _postgresql_ticket_search() -> None:
    """PostgreSQL: each ticket's search document, a tsvector kept by triggers (SQLite has FTS5 since 0420)."""
    from .desk_server import create_server_doc_search

    create_server_doc_search()


@migration("0940_stored_files")
def _stored_files() -> None:
    """Files kept in the store (used on PostgreSQL, where hosts share no folder)."""
    from .files import FILE_MODELS

    db.create_tables(FILE_MODELS, safe=True)


@migration("0950_postgresql_roles")
def _postgresql_roles() -> None:
    """PostgreSQL: the staff's database roles are members of `atende_staff`,
    which may read and write the work but not the people and their roles
    (only the database's owner, the Atende administrator's role, may), so a
    person cannot raise their own role. Nothing on SQLite (see the README's
    trust model)."""
    from .db import is_postgresql
    from .roles import grant_staff

    if is_postgresql():
        grant_staff()


HUEY_TABLES = "huey"
"""PostgreSQL: the prefix of the worker queue's tables (services.ops.worker)."""


@migration("0960_postgresql_worker_queue")
def _postgresql_worker_queue() -> None:
    """PostgreSQL: the worker queue's tables (huey's PostgreSQL storage), made
    here by the database's owner so that any staff role's worker can use them;
    on SQLite the queue is a file of its own beside the database."""
    from .db import is_postgresql

    if not is_postgresql():
        return
    from huey.storage import PostgresStorage

    storage = PostgresStorage("atende", dsn=db.obj.database, table_prefix=HUEY_TABLES, create_tables=False)
    for sql in storage.ddl:
        db.execute_sql(sql)


@migration("0970_web_consent")
def _web_consent() -> None:
    """What a participant registering on the web agreed to, and from where."""
    from .db import add_column

    add_column("registration", "consent_version", "VARCHAR(40) NOT NULL DEFAULT ''")
    add_column("registration", "consent_address", "VARCHAR(64) NOT NULL DEFAULT ''")



@migration("0980_web_accounts")
def _web_accounts() -> None:
    """Representatives' web passwords and invitations. On PostgreSQL the staff
    may not read them (only the database's owner, the role the web runs as)."""
    from .contactus import WEB_ACCOUNT_MODELS
    from .db import is_postgresql

    db.create_tables(WEB_ACCOUNT_MODELS, safe=True)
    if is_postgresql():
        from .roles import hide_from_staff

        hide_from_staff([m._meta.table_name for m in WEB_ACCOUNT_MODELS])


@migration("0981_contact_submissions")
def _contact_submissions() -> None:
    """The one-time key of the web form a contact or a message came from."""
    from .db import add_column

    for table in ("contact_request", "contact_message"):
        add_column(table, "submission", "VARCHAR(64) NOT NULL DEFAULT ''")
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{table}_submission" ON "{table}" ("submission")')


@migration("0990_notification_messages")
def _notification_messages() -> None:
    """Notifications keep their untranslated message and its values, so each
    reader sees them in their own language."""
    from .db import add_column

    add_column("notification", "message", "TEXT NOT NULL DEFAULT ''")
    add_column("notification", "params", "TEXT NOT NULL DEFAULT '{}'")


@migration("0991_event_status")
def _event_status() -> None:
    """An event's status (open, confirmed) becomes its own field, no longer
    read from its stage; events past Registration keep "confirmed"."""
    from .db import add_column

    add_column("event", "status", "VARCHAR(12) NOT NULL DEFAULT 'open'")
    db.execute_sql("UPDATE event SET status = 'confirmed' "
                   "WHERE stage IN ('registration', 'materials', 'feedback', 'held')")


@migration("1010_topic_equipment_kind")
def _topic_equipment_kind() -> None:
    """A booked topic's equipment is checked against its kind (a label printer
    is not a scale): the shipped equipment topics get theirs."""
    from .db import add_column
    from .scheduling import Topic, shipped_catalogue

    add_column("topic", "equipment_kind", "VARCHAR(40) NOT NULL DEFAULT ''")
    for t in shipped_catalogue()["topics"]:
        if t.get("equipment_kind"):
            (Topic.update(equipment_kind=t["equipment_kind"])
             .where((Topic.key == t["key"]) & (Topic.equipment_kind == "")).execute())


@migration("1011_topic_needs_attachment")
def _topic_needs_attachment() -> None:
    """Loyalty's "answer attached to the ticket" becomes a real attachment the
    booking checks, no longer a precondition ticked."""
    import json

    from .db import add_column
    from .scheduling import Topic

    add_column("topic", "needs_attachment", "BOOLEAN NOT NULL DEFAULT FALSE")
    ticked = "Retorno dos responsáveis anexado no ticket"
    for t in Topic.select().where(Topic.key == "fidelidade"):
        kept = [p for p in json.loads(t.preconditions or "[]") if p != ticked]
        Topic.update(needs_attachment=True, preconditions=json.dumps(kept, ensure_ascii=False)).where(
            Topic.id == t.id).execute()


@migration("1030_mail_in")
def _mail_in() -> None:
    """E-mail taken in: each message's Message-ID (unique) and what became of it."""
    from .desk import MAIL_IN_MODELS

    db.create_tables(MAIL_IN_MODELS, safe=True)


@migration("1031_outbox_headers")
def _outbox_headers() -> None:
    """An outgoing e-mail's threading headers (a reply to a customer's mail)."""
    from .db import add_column

    add_column("outbox", "headers", "TEXT NOT NULL DEFAULT '{}'")


@migration("1040_survey")
def _survey() -> None:
    """Satisfaction surveys of resolved tickets, and the ticket types' switch for them."""
    from .db import add_column
    from .desk import SURVEY_MODELS

    add_column("ticket_type", "survey", "BOOLEAN NOT NULL DEFAULT TRUE")
    db.create_tables(SURVEY_MODELS, safe=True)


@migration("1050_sla")
def _sla() -> None:
    """Service levels: targets on queues and ticket types, each ticket's
    deadlines, first response and breaches, and the index the breach sweep reads."""
    from .db import add_column, is_sqlite

    stamp = "DATETIME" if is_sqlite() else "TIMESTAMP"
    for table in ("queue", "ticket_type"):
        add_column(table, "response_minutes", "INTEGER")
        add_column(table, "resolution_minutes", "INTEGER")
    for name in ("first_response_at", "response_due_at", "resolution_due_at", "sla_due_at"):
        add_column("ticket", name, stamp)
    for name in ("response_left", "resolution_left"):
        add_column("ticket", name, "INTEGER")
    for name in ("response_breached", "resolution_breached"):
        add_column("ticket", name, "BOOLEAN NOT NULL DEFAULT FALSE")
    db.execute_sql('CREATE INDEX IF NOT EXISTS "ticket_sla_due" ON "ticket" ("sla_due_at") '
                   'WHERE "sla_due_at" IS NOT NULL')


@migration("1051_sla_sort_index")
def _sla_sort_index() -> None:
    """The queue's sort by time left reads the tickets in deadline order from
    an index on the sort's own expression (no deadline: last)."""
    db.execute_sql('CREATE INDEX IF NOT EXISTS "ticket_due_order" ON "ticket" '
                   "((COALESCE(sla_due_at, '9999-12-31 23:59:59')), id)")


@migration("1070_calls")
def _calls() -> None:
    """Calls rung by the PBX, the live topic that tells the agent's session,
    and the index that finds a caller's contact by phone."""
    from .calls import CALL_MODELS
    from .live import LiveChange

    db.create_tables(CALL_MODELS, safe=True)
    if not LiveChange.select().where(LiveChange.topic == "ring").exists():
        LiveChange.create(topic="ring", n=0)
    db.execute_sql('CREATE INDEX IF NOT EXISTS "contact_phone" ON "contact" ("phone")')


@migration("1080_canned_replies")
def _canned_replies() -> None:
    """Canned replies, global or per destination."""
    from .canned import CANNED_MODELS

    db.create_tables(CANNED_MODELS, safe=True)
