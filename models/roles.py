"""PostgreSQL: who may write what, in the database itself.

The Atende person is the database role of the connection (session_user).
Staff roles are members of STAFF_ROLE, which may read every table and write
the work, but only read the people and their roles: those are written by
the database's owner (the role the administrator connects as, which runs
the migrations), so nobody raises their own role by editing a row.
Representatives have no database role at all: they use the web.
"""
from __future__ import annotations

from .db import db

STAFF_ROLE = "atende_staff"
ADMIN_ONLY_TABLES = ("user",)
"""Read-only for the staff: the people, their roles and companies."""


def grant_staff() -> None:
    """Create STAFF_ROLE (when the migrating role may create roles; else an
    administrator creates it, see the README) and give it the work's tables,
    present and future (the migrations run as the owner)."""
    db.execute_sql(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{STAFF_ROLE}') THEN
                BEGIN
                    CREATE ROLE {STAFF_ROLE} NOLOGIN;
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE NOTICE 'cannot create role {STAFF_ROLE}: an administrator creates it';
                END;
            END IF;
        END $$""")
    exists = db.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (STAFF_ROLE,)).fetchone()
    if not exists:
        return
    admin_only = ", ".join(f'"{t}"' for t in ADMIN_ONLY_TABLES)
    for sql in (
        f"GRANT CONNECT ON DATABASE \"{current_database()}\" TO {STAFF_ROLE}",
        f"GRANT USAGE ON SCHEMA public TO {STAFF_ROLE}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {STAFF_ROLE}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {STAFF_ROLE}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {STAFF_ROLE}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {STAFF_ROLE}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {admin_only} FROM {STAFF_ROLE}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migration FROM {STAFF_ROLE}",
    ):
        db.execute_sql(sql)


def hide_from_staff(tables: list[str]) -> None:
    """Take every right on `tables` from STAFF_ROLE (secrets the web checks)."""
    if db.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (STAFF_ROLE,)).fetchone():
        for table in tables:
            db.execute_sql(f'REVOKE ALL ON "{table}" FROM {STAFF_ROLE}')


def current_database() -> str:
    return db.execute_sql("SELECT current_database()").fetchone()[0]


def may_write_people() -> bool:
    """Whether the connection's role may change the people and their roles."""
    return bool(db.execute_sql("SELECT has_table_privilege(current_user, '\"user\"', 'UPDATE')").fetchone()[0])
