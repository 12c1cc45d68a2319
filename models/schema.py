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


@migration("0300_wizard")
def _wizard() -> None:
    from .wizard import WIZARD_MODELS

    db.create_tables(WIZARD_MODELS, safe=True)


@migration("0301_customer_search")
def _customer_search() -> None:
    """Trigram full-text indexes for 'contains' lookups, and the B-tree indexes
    the other conditions use (see services.customers)."""
    from .search import create_search_index

    create_search_index()
