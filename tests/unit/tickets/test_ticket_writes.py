"""Migration 0900: fewer B-trees per ticket commit, same answers.

A reserved protocol has no search document (it gets one when the wizard
finishes); the older full-text indexes are gone; indexes on columns a draft
leaves empty are partial, and the queue views still read them."""
import datetime as dt
import sqlite3

import pytest

import models
from models import db
from services.core import clock
from services.store.database import open_store
from services.tickets import queues
from services.tickets.wizard import draft, finishing, saving
from tests.scenes import make_desk
from tests.unit.store.test_store import OLD_SCHEMA


@pytest.fixture
def desk_data(admin):
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 10, 0))
    return make_desk()


def _ready(admin, desk_data, problem):
    c = desk_data["customers"][0]
    d = saving.start(admin)
    return draft.update(d, kind="customer", customer_id=c.id, customer_name=c.name, contact_id=c.contacts[0].id,
                        plan_id=c.plans[0].id, problem=problem, queue_id=desk_data["queue"].id,
                        type_id=desk_data["outage"].id, responsible_role="agent", step="first_contact")


def _doc_rows(ticket_id: int) -> int:
    """The ticket's search documents: SQLite's FTS5 row, PostgreSQL's ticket_doc row."""
    if models.is_sqlite():
        return db.execute_sql("SELECT count(*) FROM ticket_doc_fts WHERE rowid = ?", (ticket_id,)).fetchone()[0]
    return db.execute_sql("SELECT count(*) FROM ticket_doc WHERE ticket_id = %s", (ticket_id,)).fetchone()[0]


def _ticket_indexes() -> dict[str, str]:
    return {name: sql for name, sql in db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ticket' AND sql IS NOT NULL")}


def test_a_draft_has_no_search_document_until_it_is_finished(admin, desk_data):
    d = _ready(admin, desk_data, "Roteador piscando laranja")
    assert _doc_rows(d.ticket_id) == 0
    finishing.finish(admin, d)
    assert _doc_rows(d.ticket_id) == 1
    found = queues.page(admin, "all", "laranja").rows
    assert [r.protocol for r in found] == [d.protocol]


@pytest.mark.sqlite_only  # about SQLite's own index and its query plans
def test_a_draft_indexed_by_an_older_version_is_replaced_when_finished(admin, desk_data):
    """Before 0900 a reserved protocol had an (empty) document: finishing replaces it."""
    d = _ready(admin, desk_data, "Luz LOS vermelha")
    db.execute_sql("INSERT INTO ticket_doc_fts(rowid, subject, problem, checks, solution, script_report, messages) "
                   "VALUES (?, '', '', '', '', '', '')", (d.ticket_id,))
    finishing.finish(admin, d)
    assert _doc_rows(d.ticket_id) == 1
    assert [r.protocol for r in queues.page(admin, "all", "vermelha").rows] == [d.protocol]


def test_abandoned_protocols_keep_their_number_and_stay_searchable_by_it(admin, desk_data):
    d = _ready(admin, desk_data, "desistiu")
    saving.cancel(admin, d)
    assert _doc_rows(d.ticket_id) == 1  # left "draft": it has a (nearly empty) document now
    assert models.Ticket.get_by_id(d.ticket_id).status == "abandoned"


@pytest.mark.sqlite_only  # about SQLite's own index and its query plans
def test_queue_views_read_the_partial_indexes(store):
    indexes = _ticket_indexes()
    for name, column in (("ticket_queue_updated", "queue_id"), ("ticket_customer_id", "customer_id"),
                         ("ticket_plan_id", "plan_id")):
        assert f'WHERE "{column}" IS NOT NULL' in indexes[name]
    plan = " ".join(row[3] for row in db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT id FROM ticket WHERE queue_id = ? ORDER BY updated_at DESC, id DESC LIMIT 50",
        (1,)))
    assert "ticket_queue_updated" in plan
    plan = " ".join(row[3] for row in db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT id FROM ticket WHERE customer_id = ?", (1,)))
    assert "ticket_customer_id" in plan


def test_an_upgraded_database_loses_the_old_indexes(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA.read_text(encoding="utf-8"))
    assert con.execute("SELECT 1 FROM sqlite_master WHERE name = 'ticket_status'").fetchone()  # 0.1.0 had it
    con.close()
    open_store(str(path))
    try:
        names = set(_ticket_indexes())
        assert not names & {"ticket_status", "ticket_queue_id", "ticket_type_id", "ticket_responsible_id",
                            "ticket_updated_at", "ticket_created_at"}
        assert {"ticket_protocol", "ticket_status_updated", "ticket_queue_updated"} <= names
        tables = {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "ticket_fts" not in tables and "ticket_message_fts" not in tables
        assert "ticket_doc_fts" in tables
    finally:
        models.close_database()
