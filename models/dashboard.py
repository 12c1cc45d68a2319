"""Indexes for the supervisor's dashboard (services.supervisor.dashboard): open tickets
counted by queue, type and age straight from one covering index, and today's
tickets per agent from the creation-time index."""
from __future__ import annotations

from .db import db

DASHBOARD_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "ticket_status_created_cover" '
    'ON "ticket" ("status", "created_at", "queue_id", "type_id")',
    'CREATE INDEX IF NOT EXISTS "ticket_created_by" ON "ticket" ("created_at", "created_by_id")',
    'CREATE INDEX IF NOT EXISTS "audit_log_entity_id" ON "audit_log" ("entity", "id")',
)


def create_dashboard_indexes() -> None:
    for sql in DASHBOARD_INDEXES:
        db.execute_sql(sql)
