"""peewee models and the database set-up. Never imports the UI."""
from .core import *  # noqa: F401,F403
from .core import CORE_MODELS, ROLES, TICKET_STATUSES
from .db import DatabaseError, close_database, db, is_sqlite, open_database, read_tx, reading, write_tx

__all__ = [
    "DatabaseError", "close_database", "db", "is_sqlite", "open_database",
    "read_tx", "reading", "write_tx", "CORE_MODELS", "ROLES", "TICKET_STATUSES",
]
