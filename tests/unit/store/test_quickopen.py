"""services.store.quickopen: who is starting the app, read without peewee; None
whenever the normal path must run (and say what is wrong)."""
import os
import subprocess
import sys

import pytest

import models
from models import db, migrations
from services.store import quickopen, users
from tests.conftest import ROOT


def test_schema_version_is_the_newest_migration(store):
    assert quickopen.SCHEMA_VERSION == migrations.code_version()


@pytest.mark.sqlite_only
def test_reads_the_same_actor_as_identify(store, admin):
    assert quickopen.peek_actor(str(store)) == admin


@pytest.mark.sqlite_only
def test_none_sends_the_start_down_the_normal_path(store, admin, people, tmp_path, monkeypatch):
    assert quickopen.peek_actor(str(tmp_path / "missing.db")) is None
    assert quickopen.peek_actor(str(tmp_path)) is None
    assert quickopen.peek_actor("postgresql://server/atende") is None
    text = tmp_path / "notes.db"
    text.write_text("not a database " * 100)
    assert quickopen.peek_actor(str(text)) is None
    monkeypatch.setenv("ATENDE_USER", "nobody_here")  # unknown: the normal path says how to be added
    assert quickopen.peek_actor(str(store)) is None
    monkeypatch.setenv("ATENDE_USER", "t_agent")
    assert quickopen.peek_actor(str(store)).role == "agent"
    users.remove(admin, "t_agent")
    assert quickopen.peek_actor(str(store)) is None  # removed: refused with its message
    monkeypatch.setenv("ATENDE_USER", "t_supervisor")
    monkeypatch.setattr(os, "getuid", lambda: 4242)  # not the file's owner: ATENDE_USER is refused
    assert quickopen.peek_actor(str(store)) is None  # (here that uid has no login either)
    monkeypatch.setattr(quickopen, "os_login", lambda: "me")
    assert quickopen.peek_actor(str(store)) is None
    monkeypatch.undo()
    db.execute_sql("DELETE FROM schema_migration WHERE id = ?", (migrations.code_version(),))
    assert quickopen.peek_actor(str(store)) is None  # an older schema: migrations must run first


def test_imports_no_database_layer():
    code = ("import sys, services.store.quickopen; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('peewee', 'models', 'textual')); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.mark.sqlite_only
def test_the_store_is_left_as_it_was(store, admin):
    models.close_database()
    before = os.stat(store).st_mtime_ns
    quickopen.peek_actor(str(store))
    assert os.stat(store).st_mtime_ns == before
