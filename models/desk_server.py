"""PostgreSQL's ticket search (SQLite's is the FTS5 document of models.desk).

One row per ticket in `ticket_doc`: a `tsvector` of its text columns and its
thread, made with the `atende_unaccent` text search configuration (the
`simple` parser and dictionary, after `unaccent`: case and accents folded,
no stemming, as SQLite's unicode61 tokenizer with remove_diacritics), in a
GIN index. Its words are runs of letters and digits, as SQLite's tokenizer
splits them (the text's other characters become spaces first, so an e-mail
address or a dashed number is found by its parts). Triggers keep it in step
with the ticket and its messages, and, as on SQLite, a draft has none.
"""
from __future__ import annotations

from .db import db, is_postgresql

CONFIG = "atende_unaccent"
TEXT_COLUMNS = ("subject", "problem", "checks", "solution", "script_report")


def create_server_doc_search() -> None:
    """The configuration, table, function and triggers (nothing on SQLite)."""
    if not is_postgresql():
        return
    db.execute_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    db.execute_sql(f"""
        DO $$ BEGIN
            CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = simple);
        EXCEPTION WHEN unique_violation THEN NULL;
        END $$""")
    db.execute_sql(f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR "
                   "asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH unaccent, simple")
    db.execute_sql('CREATE TABLE IF NOT EXISTS ticket_doc ('
                   'ticket_id INTEGER PRIMARY KEY REFERENCES "ticket" (id) ON DELETE CASCADE, doc tsvector NOT NULL)')
    db.execute_sql("CREATE INDEX IF NOT EXISTS ticket_doc_gin ON ticket_doc USING gin (doc)")
    text = " || ' ' || ".join(f"COALESCE(t.{c}, '')" for c in TEXT_COLUMNS)
    db.execute_sql(f"""
        CREATE OR REPLACE FUNCTION atende_ticket_doc(tid integer) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM ticket_doc WHERE ticket_id = tid;
            INSERT INTO ticket_doc (ticket_id, doc)
            SELECT t.id, to_tsvector('{CONFIG}', regexp_replace({text} || ' ' || COALESCE(
                (SELECT string_agg(m.body, ' ' ORDER BY m.id) FROM ticket_message m WHERE m.ticket_id = t.id), ''),
                '[^[:alnum:]]+', ' ', 'g'))
            FROM "ticket" t WHERE t.id = tid AND t.status <> 'draft';
        END $$""")
    db.execute_sql("""
        CREATE OR REPLACE FUNCTION atende_ticket_doc_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM atende_ticket_doc(NEW.id);
            RETURN NULL;
        END $$""")
    db.execute_sql("""
        CREATE OR REPLACE FUNCTION atende_ticket_doc_message() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN PERFORM atende_ticket_doc(OLD.ticket_id); END IF;
            IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.ticket_id <> OLD.ticket_id) THEN
                PERFORM atende_ticket_doc(NEW.ticket_id);
            END IF;
            RETURN NULL;
        END $$""")
    columns = ", ".join(("status",) + TEXT_COLUMNS)
    db.execute_sql("DROP TRIGGER IF EXISTS ticket_doc_ticket ON \"ticket\"")
    db.execute_sql(f'CREATE TRIGGER ticket_doc_ticket AFTER INSERT OR UPDATE OF {columns} ON "ticket" '
                   "FOR EACH ROW WHEN (NEW.status <> 'draft') EXECUTE FUNCTION atende_ticket_doc_ticket()")
    db.execute_sql("DROP TRIGGER IF EXISTS ticket_doc_message ON ticket_message")
    db.execute_sql("CREATE TRIGGER ticket_doc_message AFTER INSERT OR DELETE OR UPDATE OF body, ticket_id "
                   "ON ticket_message FOR EACH ROW EXECUTE FUNCTION atende_ticket_doc_message()")
    db.execute_sql("SELECT atende_ticket_doc(id) FROM \"ticket\" WHERE status <> 'draft'")

