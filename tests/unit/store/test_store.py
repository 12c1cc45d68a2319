import sqlite3

import pytest

import models
from models import migrations
from services.core.errors import AtendeError
from services.store.database import StoreError, open_store

OLD_SCHEMA = __import__("pathlib").Path(__file__).parents[2] / "fixtures" / "atende-0.1.0.sql"


@pytest.mark.sqlite_only
def test_pragmas_are_durable_wal_with_foreign_keys(store):
    q = lambda p: models.db.execute_sql(f"PRAGMA {p}").fetchone()[0]  # noqa: E731
    assert q("journal_mode") == "wal"
    assert q("foreign_keys") == 1
    assert q("synchronous") == 2  # FULL
    assert q("busy_timeout") >= 5000


def test_schema_version_recorded(store):
    assert migrations.schema_version() == migrations.code_version()
    assert migrations.pending() == []


def test_upgrade_of_a_database_made_by_version_0_1(tmp_path):
    """A database written by Atende 0.1.0 (dumped SQL) opens and is upgraded in place."""
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA.read_text(encoding="utf-8"))
    con.close()
    info = open_store(str(path))
    try:
        assert info.schema_version == migrations.code_version()
        assert set(info.upgraded) == {m.id for m in migrations.known_migrations()} - {"0001_core"}
        # the old rows survived
        assert models.Customer.select().where(models.Customer.name == "Conceição Araújo").exists()
        assert models.User.get(models.User.login == "helena").role == "admin"
    finally:
        models.close_database()



def test_upgrade_drops_the_shared_writers_table(tmp_path):
    """A database that had the shared writer's request table (0910) loses it
    on upgrade; everything else is kept."""
    path = tmp_path / "writer.db"
    models.open_database(path)
    try:
        migrations.upgrade(target="0910_write_requests")
        models.db.execute_sql(  # the table as 0910 made it
            'CREATE TABLE "write_request" ("id" VARCHAR(40) NOT NULL PRIMARY KEY, "login" VARCHAR(64) NOT NULL, '
            '"op" VARCHAR(20) NOT NULL, "result" TEXT NOT NULL, "at" DATETIME NOT NULL) WITHOUT ROWID')
        models.db.execute_sql("INSERT INTO write_request VALUES ('00ab', 'ana', 'reserve', '{}', '2026-03-09')")
    finally:
        models.close_database()
    info = open_store(str(path))
    try:
        assert info.upgraded[0] == "0920_drop_write_requests"  # then any later ones
        assert all(m > "0920" for m in info.upgraded)
        assert "write_request" not in models.db.get_tables()
        assert info.schema_version == migrations.code_version()
    finally:
        models.close_database()

def test_database_from_a_newer_version_is_refused(store):
    models.db.execute_sql("INSERT INTO schema_migration VALUES ('9999_future', '2030-01-01')")
    models.close_database()
    with pytest.raises(StoreError, match="newer Atende"):
        open_store(str(store))
    models.close_database()


def test_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("just some text that is long enough to not be a database header" * 20)
    with pytest.raises(StoreError, match="not an Atende database"):
        open_store(str(path))


@pytest.mark.parametrize("upgrade", [True, False])
def test_another_programs_database_is_refused_untouched(tmp_path, upgrade):
    """An SQLite file with tables but no record of Atende's migrations is
    another program's: refused, and not one table or row of ours is added."""
    path = tmp_path / "notes.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
    con.execute("INSERT INTO note (text) VALUES ('mine')")
    con.commit()
    before = con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    con.close()
    try:
        with pytest.raises(StoreError, match="another program's database"):
            open_store(str(path), upgrade=upgrade)
    finally:
        models.close_database()
    con = sqlite3.connect(path)
    assert con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == before
    assert con.execute("SELECT text FROM note").fetchall() == [("mine",)]
    con.close()


def test_an_empty_sqlite_file_becomes_an_atende_database(tmp_path):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()  # a file with no tables: nobody's yet
    try:
        assert open_store(str(path)).schema_version == migrations.code_version()
    finally:
        models.close_database()


def test_directory_and_missing_folder(tmp_path):
    with pytest.raises(StoreError, match="directory"):
        open_store(str(tmp_path))
    with pytest.raises(StoreError, match="does not exist"):
        open_store(str(tmp_path / "nope" / "x.db"))
    assert isinstance(StoreError("x"), AtendeError)


def test_migrations_run_once(store):
    assert migrations.upgrade() == []


@pytest.mark.sqlite_only
def test_writers_take_turns_through_the_lock_file(store, admin):
    """Every write transaction waits for its turn on `<db>.writelock` (held
    here as another process would), and goes on the moment it is free."""
    import fcntl
    import os
    import threading

    from services.store import users

    fd = os.open(f"{store}.writelock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    saved = threading.Event()
    other = threading.Thread(target=lambda: (users.add(admin, "ana", "agent"), saved.set()))
    other.start()
    try:
        assert not saved.wait(0.5)  # SQLite's own lock is free: it waits for its turn
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert saved.wait(10)
    other.join(10)
    with models.reading():
        assert models.User.select().where(models.User.login == "ana").exists()


def test_one_lock_file_open_whatever_the_number_of_databases(tmp_path):
    """A process that opens database after database (the tests, a script)
    keeps one writers' lock file open, not one for each."""
    import os

    def lock_files() -> list[str]:
        found = []
        for n in os.listdir("/proc/self/fd"):
            try:
                link = os.readlink(f"/proc/self/fd/{n}")
            except FileNotFoundError:  # listdir's own descriptor, closed meanwhile
                continue
            if link.endswith(".writelock"):
                found.append(link)
        return found

    try:
        for n in range(3):
            open_store(str(tmp_path / f"db{n}.db"))  # its migrations are writes
            assert lock_files() == [f"{tmp_path / f'db{n}.db'}.writelock"]
    finally:
        models.close_database()


def test_a_server_that_drops_the_connection_is_one_line_and_the_next_call_works(store, backend, pg_cluster):
    """PostgreSQL: a connection the server closed (a restart, an administrator)
    is said in one line, and the pool gives the next call a new connection."""
    if backend != "postgresql":
        pytest.skip("a server's connection")
    from models import Queue, db, reading
    from services.store.database import explain

    pid = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    with pg_cluster.admin() as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(Exception) as caught:
        Queue.select().count()
    message = explain(caught.value)
    assert message and message.startswith("the database server cannot be reached") and "\n" not in message
    models.close_database()  # what a session's next call does: a connection of its own
    with reading():
        assert Queue.select().count() == 0


def test_the_web_consent_columns_are_added_to_a_store_with_registrations(tmp_path):
    """0970 on a store that already holds registrations (their foreign keys
    refused the table rebuild playhouse's SQLite migrator makes)."""
    import datetime as dt

    from models import User, migrations, write_tx
    from models.events import Event, EventType, Registration

    path = tmp_path / "old.db"
    models.open_database(path)
    try:
        migrations.upgrade(target="0960_postgresql_worker_queue")
        now = dt.datetime(2026, 3, 2, 9, 0)
        with write_tx():
            ana = User.create(login="ana", name="Ana", role="admin", created_at=now)
            event = Event.create(description="Oficina", responsible=ana.id, starts_at=now, ends_at=now,
                                 type=EventType.select().first().id, created_at=now, created_by="ana", updated_at=now)
            main = Registration.create(event=event.id, code="C1", access_token="T1", name="Maria",
                                       email="m@example.com", consent_at=now, consent_by="ana", created_at=now,
                                       created_by="ana", updated_at=now)
            Registration.create(event=event.id, code="C2", access_token="T2", name="Maria", email="m2@example.com",
                                consent_at=now, consent_by="ana", created_at=now, created_by="ana", updated_at=now,
                                origin=main.id)  # a replica: a row of the table pointing at another
        models.db.execute_sql("ALTER TABLE registration DROP COLUMN consent_version")  # as before 0970
        models.db.execute_sql("ALTER TABLE registration DROP COLUMN consent_address")
    finally:
        models.close_database()
    info = open_store(str(path))
    try:
        assert info.upgraded[-1] == migrations.code_version()
        assert [(r.code, r.consent_version, r.origin_id) for r in Registration.select().order_by(Registration.id)] == [
            ("C1", "", None), ("C2", "", 1)]
    finally:
        models.close_database()
