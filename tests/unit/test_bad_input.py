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
from services import audit, clock, desk, users
from services import events as ev
from services.errors import UnknownUser
from services.store import StoreUnavailable, open_store

NOW = dt.datetime(2026, 5, 4, 9, 0)


def other_session_writes(path) -> None:
    """Another session (its own connection) still saves."""
    con = sqlite3.connect(path, timeout=5)
    con.execute("INSERT INTO setting (key, value) VALUES ('other', 'ok') "
                "ON CONFLICT(key) DO UPDATE SET value = 'ok'")
    con.commit()
    con.close()


# ------------------------------------------------------------------ read-only and full


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
    admin = users.identify(users.os_login())
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
            1 / 0


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
    offline = next(t.id for t in ev.list_types(admin) if t.format == "offline")
    made = []
    for i in range(3):
        start = NOW + dt.timedelta(days=i + 1)
        made.append(ev.create_event(admin, ev.EventInput(
            description=f"Evento {i}", responsible_id=admin.id, starts_at=start,
            ends_at=start + dt.timedelta(hours=2), type_id=offline, address="Rua A, 1", seats=3)))
    return made


def test_event_list_survives_a_corrupt_row(store, admin):
    clock.set_clock(lambda: NOW)
    good, bad, worse = _events(admin)
    db.execute_sql("UPDATE event SET starts_at = 'ontem de tarde' WHERE id = ?", (bad.id,))
    db.execute_sql("UPDATE event SET seats = 'muitos', ends_at = '2026-13-45', stage = '???' WHERE id = ?",
                   (worse.id,))
    listed = {e.id: e for e in ev.list_events(admin)}
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


def test_queue_page_survives_a_corrupt_row(tickets_world):
    db.execute_sql("UPDATE ticket SET created_at = 'garbage', status = 'weird' WHERE protocol = 'P1'")
    page = desk.page(tickets_world, "all")
    rows = {r.protocol: r for r in page.rows}
    assert set(rows) == {"P0", "P1", "P2"}
    assert rows["P1"].damaged == ("created_at", "status") and rows["P1"].age == "?"
    assert rows["P0"].damaged == ()
