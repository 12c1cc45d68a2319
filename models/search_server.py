"""PostgreSQL's customer search indexes (SQLite's are FTS5 tables, models.search).

'contains' is a LIKE '%...%' on the folded columns, which pg_trgm's GIN
indexes serve from three characters on; 'starts with' a LIKE '...%' served
by text_pattern_ops B-trees; results come in code-point order of the folded
name (COLLATE "C", as SQLite sorts), from a (kind, name) B-tree in that order.
"""
from __future__ import annotations

from .db import db, is_postgresql

SEARCHED = {"name_norm": "name_norm", "doc": "doc", "phone_digits": "phone_digits", "email": "lower(email)",
            "city_norm": "city_norm", "contract": "contract"}
"""Customer columns searched by 'contains' and 'starts with', as the lookup writes them."""


def create_server_search() -> None:
    """The extension and the indexes (nothing on SQLite)."""
    if not is_postgresql():
        return
    db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    db.execute_sql('CREATE INDEX IF NOT EXISTS customer_kind_name_c ON customer (kind, name_norm COLLATE "C")')
    # 'city equals' matches many: read already in name order, as SQLite's customer_city_kind_name
    db.execute_sql('CREATE INDEX IF NOT EXISTS customer_city_kind_name_c ON customer '
                   '(city_norm, kind, name_norm COLLATE "C")')
    for name, expr in SEARCHED.items():
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS customer_{name}_trgm ON customer USING gin ({expr} gin_trgm_ops)")
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS customer_{name}_prefix ON customer ({expr} text_pattern_ops)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS plan_login_trgm ON plan USING gin (login gin_trgm_ops)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS plan_login_prefix ON plan (login text_pattern_ops)")
