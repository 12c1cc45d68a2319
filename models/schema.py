"""Every migration, in one place to read in order.

Feature modules keep their models in their own files; their migrations are
registered here so the order of a database's history is easy to follow.
"""
from __future__ import annotations

from .core import CORE_MODELS
from .db import db
from .migrations import migration


@migration("0001_core")
def _core() -> None:
    db.create_tables(CORE_MODELS, safe=True)


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
