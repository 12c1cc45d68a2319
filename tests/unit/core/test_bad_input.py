"""A session whose store turns read-only or full, a person removed while
logged in, corrupt rows in a list: clear messages, nothing half-saved, the
other sessions keep working."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3

import peewee
import pytest

import models
from models import Customer, Queue, Ticket, TicketType, User, db, reading, write_tx
from services.core import clock
from services.core.errors import UnknownUser
from services.events import editing, event_types, queries
from services.store import audit, users
from services.store.database import StoreUnavailable, open_store
from services.tickets import queues

NOW = dt.datetime(2026, 5, 4, 9, 0)


def other_session_writes(path) -> None:
    """Another session (its own connection) still saves."""
    con = sqlite3.connect(path, timeout=5)
    con.execute("INSERT INTO setting (key, value) VALUES ('other', 'ok') "
                "ON CONFLICT(key) DO UPDATE SET value = 'ok'")
    con.commit()
    con.close()


# ------------------------------------------------------------------ read-only and full


@pytest.mark.sqlite_only
def test_read_only_store_refuses_the_save_clearly(store, admin):
    db.execute_sql("PRAGMA query_only = 1")  # what SQLite says when the file or folder is read-only
    try:
        with pytest.raises(StoreUnavailable) as caught:
            users.add(admin, "ana", "agent")
    finally:
        db.execute_sql("PRAGMA query_only = 0")
    assert caught.value.message.startswith("Nothing was saved:")
    assert "read-only" in caught.value.message and str(store) in caught.value.message
    with reading():
        assert not User.select().where(User.login == "ana").exists()
    other_session_writes(store)
    users.add(admin, "ana", "agent")  # and once writable again, the same save works


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_folder_made_read_only_while_working(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "atende.db"
    open_store(str(path))
    admin = users.identify(users.session_login())
    models.close_database()
    os.chmod(path, 0o444)
    os.chmod(folder, 0o555)
    try:
        open_store(str(path), upgrade=False)
        with pytest.raises(StoreUnavailable) as caught:
            users.add(admin, "ana", "agent")
        assert "read-only" in caught.value.message
    finally:
        models.close_database()
        os.chmod(folder, 0o755)
        os.chmod(path, 0o644)


@pytest.mark.sqlite_only
def test_disk_full_refuses_the_save_and_keeps_nothing_half_done(store, admin, monkeypatch):
    real = audit.AuditLog.insert

    def full(*args, **kwargs):
        raise peewee.OperationalError("database or disk is full")

    monkeypatch.setattr(audit.AuditLog, "insert", full)
    with pytest.raises(StoreUnavailable) as caught:
        users.add(admin, "ana", "agent")
    assert "is full" in caught.value.message and "free space" in caught.value.message
    monkeypatch.setattr(audit.AuditLog, "insert", real)
    with reading():
        assert not User.select().where(User.login == "ana").exists()  # the user row was rolled back
    other_session_writes(store)
    users.add(admin, "ana", "agent")


def test_write_tx_turns_only_store_failures_into_messages(store):
    with pytest.raises(StoreUnavailable):
        with write_tx():
            raise sqlite3.OperationalError("database or disk is full")
    with pytest.raises(peewee.IntegrityError):  # a data error stays what it is
        with write_tx():
            raise peewee.IntegrityError("UNIQUE constraint failed: user.login")
    with pytest.raises(ZeroDivisionError):
        with write_tx():
            1 / 0  # noqa: B018 - the expression raises ZeroDivisionError inside write_tx


def _cap_the_file(extra_pages: int = 0) -> None:
    """This connection's SQLite may not grow the file any more: a real
    SQLITE_FULL ("database or disk is full") at the next page it needs, after
    which SQLite has rolled the whole transaction back itself."""
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages + extra_pages}")


@pytest.mark.sqlite_only
def test_a_real_sqlite_full_is_the_disk_full_message_not_cannot_rollback(store, admin):
    """SQLite rolls back by itself on SQLITE_FULL; the rollback tried after it
    ("cannot rollback - no transaction is active") never hides the cause."""
    _cap_the_file()
    try:
        with pytest.raises(StoreUnavailable) as caught:
            for n in range(2000):  # until a page more is needed
                users.add(admin, f"u{n}", "agent", name="x" * 100)
    finally:
        db.execute_sql("PRAGMA max_page_count = 1073741823")
    assert caught.value.message == (f"Nothing was saved: the disk holding {store} is full; "
                                    "ask the administrator to free space")
    assert "rollback" not in caught.value.message
    failed = f"u{n}"
    with reading():
        assert not User.select().where(User.login == failed).exists()  # nothing half-saved
    users.add(admin, failed, "agent")  # room again: the same save works


@pytest.mark.sqlite_only
def test_explain_says_disk_full_for_every_form_of_it(store):
    from services.store.database import explain

    full = f"Nothing was saved: the disk holding {store} is full; ask the administrator to free space"
    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError:
            # raised as peewee raises it: the cause is only the implicit __context__
            raise peewee.OperationalError("cannot rollback - no transaction is active")  # noqa: B904
    except peewee.OperationalError as exc:
        assert explain(exc) == full
    assert explain(OSError(28, "No space left on device")) == \
        f"the disk holding {store} is full; ask the administrator to free space"
    assert explain(OSError(28, "No space left on device", "/srv/x.pdf")) == \
        "the disk holding /srv/x.pdf is full; ask the administrator to free space"
    assert explain(OSError(13, "Permission denied")) is None


def _mount_small_disk(folder, size="3m") -> bool:
    import subprocess

    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(folder)],
                              capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _fill(folder) -> None:
    """Take every free block left on the file system of `folder`."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == 28
    finally:
        os.close(fd)


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB file system of its own (tmpfs; needs the right to mount: root)."""
    import subprocess

    folder = tmp_path / "small"
    if not _mount_small_disk(folder):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield folder
    models.close_database()
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=10)


@pytest.mark.sqlite_only
def test_a_disk_that_fills_up_while_working(small_disk, store):
    """A real full file system: a save is refused with the disk-full line,
    nothing is half-saved, and once there is room the same save works."""
    import shutil

    models.close_database()
    path = small_disk / "atende.db"
    shutil.copyfile(store, path)
    open_store(str(path), upgrade=False)
    admin = users.identify(users.session_login())
    users.add(admin, "first", "agent")
    _fill(small_disk)
    with pytest.raises(StoreUnavailable) as caught:
        for n in range(2000):
            users.add(admin, f"u{n}", "agent", name="x" * 200)
    assert caught.value.message == (f"Nothing was saved: the disk holding {path} is full; "
                                    "ask the administrator to free space")
    failed = f"u{n}"
    (small_disk / "filler").unlink()
    with reading():
        assert not User.select().where(User.login == failed).exists()
    users.add(admin, failed, "agent")


@pytest.mark.sqlite_only
def test_starting_on_a_full_disk_is_one_line(small_disk, store):
    """The command line (and the application) opened on a full disk: one line
    saying so, not "disk I/O error"."""
    import shutil
    import subprocess
    import sys

    models.close_database()
    path = small_disk / "atende.db"
    shutil.copyfile(store, path)
    _fill(small_disk)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    full = f"atende: the disk holding {path} is full; ask the administrator to free space"
    for args in (["users", "add", "ana", "--role", "agent"], ["users", "list"]):
        r = subprocess.run([sys.executable, "-c", "from app import main; main()", "--db", str(path), *args],
                           cwd=root, capture_output=True, text=True, timeout=60)
        assert (r.returncode, r.stdout, r.stderr) == (1, "", full + "\n")
    # the application itself, on a terminal
    import pty

    leader, follower = pty.openpty()
    app = subprocess.Popen([sys.executable, "-c", "from app import main; main()", "--db", str(path)], cwd=root,
                           stdin=follower, stdout=follower, stderr=subprocess.PIPE, text=True)
    os.close(follower)
    try:
        _out, err = app.communicate(timeout=60)
    finally:
        app.kill()
        os.close(leader)
    assert (app.returncode, err) == (1, full + "\n")


@pytest.mark.sqlite_only
def test_lock_held_too_long_is_a_message_too(store, admin, monkeypatch):
    monkeypatch.setenv("ATENDE_BUSY_TIMEOUT_MS", "50")
    models.close_database()
    open_store(str(store), upgrade=False)
    blocker = sqlite3.connect(store, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable) as caught:
            users.add(admin, "ana", "agent")
        assert "locked" in caught.value.message
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    users.add(admin, "ana", "agent")


@pytest.mark.sqlite_only
def test_a_thread_waiting_for_anothers_turn_is_a_message_not_a_hang(store, admin, monkeypatch):
    """Writers take turns (models.db.write_tx). A thread that keeps its turn
    while it waits for another thread's save never hangs both: the other
    waits for the turn at most the busy timeout, then SQLite's own timeout
    refuses its save with the one-line message."""
    import threading

    monkeypatch.setenv("ATENDE_BUSY_TIMEOUT_MS", "200")
    models.close_database()
    open_store(str(store), upgrade=False)
    said = []

    def other_save():
        try:
            users.add(admin, "ana", "agent")
            said.append("saved")
        except StoreUnavailable as exc:
            said.append(exc.message)

    with write_tx():
        users.add(admin, "bia", "agent")
        other = threading.Thread(target=other_save)
        other.start()
        other.join(10)
        assert not other.is_alive(), "the other thread still waits for the turn"
    assert len(said) == 1 and "locked" in said[0]
    users.add(admin, "ana", "agent")  # the turn is free again
    with reading():
        assert User.select().where(User.login.in_(["ana", "bia"])).count() == 2


# ------------------------------------------------------------------ removed while logged in


def test_removed_person_saves_nothing_more(people):
    admin, agent = people["admin"], people["agent"]
    users.add(admin, "helena", "admin")
    helena = users.identify("helena")
    users.remove(admin, "helena")
    with pytest.raises(UnknownUser) as caught:
        users.add(helena, "zeca", "agent")  # her session still holds an Actor
    assert "has been removed" in caught.value.message
    with reading():
        assert not User.select().where(User.login == "zeca").exists()
    users.add(admin, "zeca", "agent")  # the others keep working
    assert users.refresh(agent).login == agent.login


def test_logins_that_are_not_people_still_write(store):
    with write_tx():
        audit.record("worker", "outbox", 1, "sent")


def test_removed_message_for_the_tui(people):
    from tui.account import removed_message

    assert removed_message(people["agent"].login) is None
    assert removed_message("never_here") is None
    users.remove(people["admin"], people["agent"].login)
    assert "has been removed" in removed_message(people["agent"].login)


# ------------------------------------------------------------------ corrupt rows


def _events(admin):
    offline = next(t.id for t in event_types.list_types(admin) if t.format == "offline")
    made = []
    for i in range(3):
        start = NOW + dt.timedelta(days=i + 1)
        made.append(editing.create_event(admin, editing.EventInput(
            description=f"Evento {i}", responsible_id=admin.id, starts_at=start,
            ends_at=start + dt.timedelta(hours=2), type_id=offline, address="Rua A, 1", seats=3)))
    return made


@pytest.mark.sqlite_only
def test_event_list_survives_a_corrupt_row(store, admin):
    clock.set_clock(lambda: NOW)
    good, bad, worse = _events(admin)
    db.execute_sql("UPDATE event SET starts_at = 'ontem de tarde' WHERE id = ?", (bad.id,))
    db.execute_sql("UPDATE event SET seats = 'muitos', ends_at = '2026-13-45', stage = '???' WHERE id = ?",
                   (worse.id,))
    listed = {e.id: e for e in queries.list_events(admin)}
    assert set(listed) == {good.id, bad.id, worse.id}
    assert listed[good.id].damaged == ()
    assert listed[bad.id].damaged == ("starts_at",) and isinstance(listed[bad.id].starts_at, dt.datetime)
    assert set(listed[worse.id].damaged) == {"seats", "ends_at", "stage"}
    assert listed[worse.id].seats is None and listed[worse.id].stage == "new"


@pytest.fixture
def tickets_world(admin):
    clock.set_clock(lambda: NOW)
    with write_tx():
        q = Queue.create(name="Suporte")
        t = TicketType.create(name="Sem conexão", queue=q)
        c = Customer.create(kind="customer", name="Maria", name_norm="maria")
        user = User.get(User.login == admin.login)
        for i in range(3):
            Ticket.create(protocol=f"P{i}", status="open", type=t, queue=q, customer=c, created_by=user,
                          created_at=NOW, updated_at=NOW)
    return admin


@pytest.mark.sqlite_only
def test_queue_page_survives_a_corrupt_row(tickets_world):
    db.execute_sql("UPDATE ticket SET created_at = 'garbage', status = 'weird' WHERE protocol = 'P1'")
    page = queues.page(tickets_world, "all")
    rows = {r.protocol: r for r in page.rows}
    assert set(rows) == {"P0", "P1", "P2"}
    assert rows["P1"].damaged == ("created_at", "status") and rows["P1"].age == "?"
    assert rows["P0"].damaged == ()
