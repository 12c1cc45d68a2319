"""The change watcher and presence, on a real store (an SQLite file, a PostgreSQL server)."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from models import Queue, write_tx
from services.core import clock
from services.core.errors import PermissionDenied
from services.store import presence
from services.store.live import ChangeWatcher, ServerChangeWatcher, watcher


def watching(store) -> ChangeWatcher | ServerChangeWatcher:
    """The watcher for `store` (its path or URL), as a second session would make it."""
    return ServerChangeWatcher(store) if str(store).startswith("postgresql") else ChangeWatcher(store)


def changes(w, expected: frozenset[str], timeout: float = 5.0) -> frozenset[str]:
    """What `w` reports, waiting up to `timeout` for `expected` (a server's
    notification reaches the listener a moment after the commit)."""
    import time

    deadline = time.monotonic() + timeout
    seen = frozenset()
    while True:
        seen |= w.poll()
        if seen >= expected or time.monotonic() > deadline:
            return seen
        time.sleep(0.02)


def test_no_change_reports_nothing(store):
    w = watching(store)
    assert w.poll() == frozenset()
    assert w.poll() == frozenset()
    w.close()


def test_commit_on_another_connection_is_seen_once(store):
    w = watching(store)
    w.poll()
    with write_tx():
        Queue.create(name="Suporte")
    assert changes(w, {"data"}) == {"data"}
    assert w.poll() == frozenset()
    w.close()


def test_commit_from_another_process_is_seen(store):
    w = watching(store)
    w.poll()
    code = ("import sys; from services.store.database import open_store; from models import Queue, write_tx\n"
            "open_store(sys.argv[1])\n"
            "with write_tx():\n    Queue.create(name='Outro')\n")
    subprocess.run([sys.executable, "-c", code, str(store)], check=True, timeout=60)
    assert changes(w, {"data"}) == {"data"}
    w.close()


def test_rolled_back_write_is_not_a_change(store):
    w = watching(store)
    w.poll()
    with pytest.raises(RuntimeError):
        with write_tx():
            Queue.create(name="Nada")
            raise RuntimeError("boom")
    assert w.poll() == frozenset()
    w.close()


def test_heartbeats_are_not_data_changes(admin):
    w = watcher()
    w.poll()
    presence.join(admin, "s1", presence.Place("Queues"))
    assert changes(w, {"presence"}) == {"presence"}
    presence.beat(admin, "s1")  # nothing moved: nobody needs to reload
    assert w.poll() == frozenset()
    presence.beat(admin, "s1", presence.Place("Ticket", "ticket", 7, "P1"))
    assert changes(w, {"presence"}) == {"presence"}
    w.close()


def test_presence_lists_live_sessions_and_peers(people):
    now = dt.datetime(2026, 3, 2, 12, 0, 0)
    clock.set_clock(lambda: now)
    agent, sup = people["agent"], people["supervisor"]
    presence.join(agent, "a", presence.Place("Ticket", "ticket", 5, "P0005", editing=True))
    presence.join(sup, "s", presence.Place("Ticket", "ticket", 5, "P0005"))
    presence.join(people["coordinator"], "c", presence.Place("Events"))
    online = presence.online(sup)
    assert {(o.login, o.screen, o.entity_id) for o in online} == {
        ("t_agent", "Ticket", 5), ("t_supervisor", "Ticket", 5), ("t_coordinator", "Events", None)}
    peers = presence.others_on(sup, "ticket", 5, session="s")
    assert [p.login for p in peers] == ["t_agent"]
    assert presence.peers_text(peers) == "Test Agent is editing"
    assert presence.peers_text(presence.others_on(agent, "ticket", 5, session="a")) == "Test Supervisor is also here"
    with pytest.raises(PermissionDenied):
        presence.online(agent)
    # 31 seconds without a heartbeat: stale, left out
    clock.set_clock(lambda: now + dt.timedelta(seconds=31))
    presence.beat(sup, "s")
    assert [o.login for o in presence.online(sup)] == ["t_supervisor"]
    assert presence.others_on(sup, "ticket", 5, session="s") == []
    presence.leave("s")
    assert presence.online(sup) == []


def test_beat_after_cleanup_joins_again(admin):
    presence.beat(admin, "gone", presence.Place("Home"))
    assert [o.session for o in presence.online(admin)] == ["gone"]


def _atende(*args, env=None):
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    return subprocess.run([sys.executable, "-c", "from app import main; main()", *args], cwd=root,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60)


def test_who_cli_lists_sessions_as_json(people, store):
    presence.join(people["agent"], "a1", presence.Place("Ticket", "ticket", 9, "[bold]P9"))
    models_close()
    r = _atende("--db", str(store), "who", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [(d["login"], d["screen"], d["entity"]) for d in data] == [
        ("t_agent", "Ticket", {"kind": "ticket", "id": 9, "label": "[bold]P9"})]
    r = _atende("--db", str(store), "who")
    assert "t_agent" in r.stdout and "[bold]P9" in r.stdout
    # an agent may not list who is online
    r = _atende("--db", str(store), "who", env={"ATENDE_USER": "t_agent"})
    assert r.returncode == 1 and r.stderr.startswith("atende: ") and len(r.stderr.splitlines()) == 1


@pytest.mark.sqlite_only
def test_atende_user_only_on_own_database(admin, store, monkeypatch):
    from services.store import users

    monkeypatch.setenv("ATENDE_USER", "someone")
    assert users.session_login() == "someone"  # the test's own file
    monkeypatch.setattr("os.getuid", lambda: 4242)
    monkeypatch.setattr(users, "os_login", lambda: "me")
    from services.core.errors import UnknownUser

    with pytest.raises(UnknownUser):
        users.session_login()
    monkeypatch.delenv("ATENDE_USER")
    assert users.session_login() == "me"


def models_close():
    pass  # the CLI opens its own connection; WAL lets both read


def test_on_a_server_the_person_is_the_connections_role(admin, store, backend, pg_cluster, monkeypatch):
    """PostgreSQL: the person is the database role; ATENDE_USER is refused
    to anyone but the database's owner; a staff role cannot raise its own role
    nor read the representatives' web passwords."""
    if backend != "postgresql":
        pytest.skip("the SQLite rule is test_atende_user_only_on_own_database")
    import psycopg

    import models
    from models import User
    from services.core.errors import UnknownUser
    from services.store import users
    from services.store.database import open_store

    users.add(admin, "srv_agent", "agent", name="Agente")
    with pg_cluster.admin() as conn:
        conn.execute("DROP ROLE IF EXISTS srv_agent")
        conn.execute("CREATE ROLE srv_agent LOGIN IN ROLE atende_staff")
    url = store.replace("postgresql://postgres@", "postgresql://srv_agent@")
    try:
        models.close_database()
        open_store(url)
        assert users.session_login() == "srv_agent"
        monkeypatch.setenv("ATENDE_USER", "root")
        with pytest.raises(UnknownUser, match="owner"):
            users.session_login()
        monkeypatch.delenv("ATENDE_USER")
        with pytest.raises(Exception, match="permission denied"):  # the people are the owner's to change
            with models.write_tx():
                User.update(role="admin").where(User.login == "srv_agent").execute()
        from models.contactus import WebCredential

        with pytest.raises(Exception, match="permission denied"):  # nor read the web's password hashes
            with models.reading():
                WebCredential.select().count()
        with psycopg.connect(store) as conn:
            assert conn.execute("SELECT role FROM \"user\" WHERE login = 'srv_agent'").fetchone()[0] == "agent"
    finally:
        models.close_database()
        open_store(store)
        with pg_cluster.admin() as conn:
            conn.execute(f"REVOKE ALL ON DATABASE \"{store.split('/')[3].split('?')[0]}\" FROM srv_agent")
    monkeypatch.setenv("ATENDE_USER", "someone")
    assert users.session_login() == "someone"  # the owner (here a superuser) may, as on one's own file


def test_doctor_checks_the_server(admin, store, backend):
    if backend != "postgresql":
        pytest.skip("a server's checks")
    from services.core.config import Config
    from services.ops import doctor

    checks = {c.name: c for c in doctor.run(Config(), store)}
    assert checks["database"].ok and "password" not in checks["database"].message
    assert checks["server"].ok and checks["writers"].ok
    assert not checks["extensions"].ok or "unaccent" in checks["extensions"].message
