"""`atende backup`: a real copy of the store, whatever its path holds; never
one of the store's own files; nothing left behind when it fails."""
from __future__ import annotations

import datetime as dt
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import models
from services.core import clock
from services.core.errors import AtendeError, ValidationError
from services.ops import backup
from services.store import users
from services.store.database import open_store

ROOT = Path(__file__).resolve().parents[3]


def atende(*args, **kwargs):
    return subprocess.run([sys.executable, "-c", "from app import main; main()", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, **kwargs)


def one_line(result, *fragments):
    assert result.returncode == 1 and result.stdout == "", result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("atende: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def census(path) -> dict[str, int]:
    con = sqlite3.connect(path)  # not a URI: the name is read as it is
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("name", ["we?ird#dir%20x/a?b#c%41.db", "q?mode=rw/atende.db", "50%/x#y.db"])
def test_a_path_with_uri_characters_is_copied_whole(tmp_path, name):
    """'?', '#' and '%' are part of the name: the copy holds the store's own
    tables and rows (it was an empty database, reported "integrity ok"), and
    no stray file is made where the name was cut."""
    db = tmp_path / name
    db.parent.mkdir(parents=True)
    assert atende("--db", str(db), "users", "add", "ana", "--role", "agent").returncode == 0
    before = listing(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    r = atende("--db", str(db), "backup", str(out / "copy.db"))
    assert r.returncode == 0, r.stderr
    assert "integrity ok" in r.stdout
    copy = census(out / "copy.db")
    assert copy == census(db) and copy["user"] == 2 and "schema_migration" in copy
    assert listing(tmp_path) == sorted(before + ["out"])  # nothing made where the name was cut
    assert listing(out) == ["copy.db"]


@pytest.mark.sqlite_only  # the SQLite file\'s own companions
@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal", ".writelock"])
def test_the_stores_own_files_are_refused(store, admin, suffix):
    target = Path(f"{store}{suffix}")
    existed = target.exists()
    before = target.read_bytes() if existed else None
    with pytest.raises(ValidationError, match="one of the database's own files"):
        backup.backup(admin, target, force=True)
    # also reached another way (through a symlink or "..")
    with pytest.raises(ValidationError):
        backup.backup(admin, store.parent / ".." / store.parent.name / target.name, force=True)
    assert target.exists() == existed and (not existed or target.read_bytes() == before)
    with pytest.raises(ValidationError, match="the database itself"):
        backup.backup(admin, store, force=True)
    link = store.parent / "link.db"
    link.symlink_to(store)
    with pytest.raises(ValidationError, match="the database itself"):
        backup.backup(admin, link, force=True)
    assert not [p for p in store.parent.iterdir() if p.name.endswith(".partial")]


def test_the_wal_refused_on_the_command_line(tmp_path):
    db = tmp_path / "a.db"
    assert atende("--db", str(db), "users", "list").returncode == 0
    one_line(atende("--db", str(db), "backup", "--force", f"{db}-wal"), "own files")
    one_line(atende("--db", str(db), "backup", "--force", f"{db}-shm"), "own files")
    # the CLI closed cleanly: no WAL made by the backup either (only the writers' lock file, models.db)
    assert listing(tmp_path) == ["a.db", "a.db.writelock"]
    assert census(db)["user"] == 1


def test_a_target_that_is_a_directory_leaves_nothing(store, admin, tmp_path):
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 10, 0))
    out = tmp_path / "out"
    name = "atende-20260309-100000." + ("db" if models.is_sqlite() else "dump")
    (out / name).mkdir(parents=True)  # the dated name is taken by a folder
    with pytest.raises(ValidationError, match="is a directory"):
        backup.backup(admin, out, force=True)
    assert listing(out) == [name]
    assert listing(out / name) == []


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


def test_a_copy_that_fails_midway_leaves_no_partial_file(tmp_path):
    db = tmp_path / "a.db"
    assert atende("--db", str(db), "users", "list").returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    r = atende("--db", str(db), "backup", str(out / "copy.db"), preexec_fn=_limit_file_size)
    one_line(r, "backup failed")
    assert listing(out) == []


@pytest.fixture
def small_disk(tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(folder)],
                              capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is None or done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=10)


def test_a_full_disk_says_so_and_leaves_nothing(tmp_path, small_disk):
    db = tmp_path / "a.db"
    assert atende("--db", str(db), "users", "list").returncode == 0
    one_line(atende("--db", str(db), "backup", str(small_disk / "copy.db")),
             f"the disk holding {small_disk / 'copy.db'} is full; nothing was written")
    assert listing(small_disk) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_folder_not_writable_leaves_nothing(store, admin, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(AtendeError, match="cannot write"):
            backup.backup(admin, out / "copy.db")
    finally:
        out.chmod(0o755)
    assert listing(out) == []


@pytest.mark.sqlite_only  # a server's: test_a_server_backup_restores_to_the_same_rows
def test_the_backup_holds_what_the_store_holds(store, admin):
    users.add(admin, "ana", "agent")
    result = backup.backup(admin, store.parent / "copy.db")
    models.close_database()
    assert census(result.path) == census(store)
    open_store(str(store))


def test_a_target_that_is_no_regular_file_is_never_replaced(store, admin, tmp_path):
    """--force replaced a device (/dev/null, as root) or a named pipe with the copy."""
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")
    for target in (fifo, link):
        with pytest.raises(ValidationError, match="not a regular file"):
            backup.backup(admin, target, force=True)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink()
    with pytest.raises(ValidationError, match="File name too long"):
        backup.backup(admin, tmp_path / ("a" * 300), force=True)
    assert sorted(p.name for p in tmp_path.iterdir() if ".partial" in p.name) == []


def test_a_server_backup_restores_to_the_same_rows(store, admin, backend, pg_cluster, tmp_path):
    """PostgreSQL: pg_dump's file, restored by pg_restore into a new database, holds every row."""
    if backend != "postgresql":
        pytest.skip("a server's backup")
    import subprocess

    from services.store.copy import all_models
    from tests import pg

    users.add(admin, "ana", "agent")
    result = backup.backup(admin, tmp_path)
    assert result.path.name.endswith(".dump") and oct(result.path.stat().st_mode & 0o777) == "0o640"
    counts = {m._meta.table_name: m.select().count() for m in all_models()}
    restored = pg_cluster.create_database(pg.unique_name())
    done = subprocess.run([backup.server_tool("pg_restore"), "--no-owner", f"--dbname={restored}",
                           str(result.path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    import psycopg

    with psycopg.connect(restored) as conn:
        got = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in counts}
    assert got == counts and got["user"] == 2


def test_a_server_backup_without_pg_dump_says_so(store, admin, backend, tmp_path, monkeypatch):
    if backend != "postgresql":
        pytest.skip("a server's backup")
    monkeypatch.setattr(backup, "server_tool", lambda name: None)
    with pytest.raises(AtendeError, match="pg_dump is not installed"):
        backup.backup(admin, tmp_path)
    assert listing(tmp_path) == []


def test_a_server_backup_behind_a_locked_table_fails_in_one_line(store, admin, backend, tmp_path, monkeypatch):
    """A table held by a migration (ACCESS EXCLUSIVE): pg_dump gives up after
    the busy timeout with one line saying why, instead of waiting for hours."""
    if backend != "postgresql":
        pytest.skip("a server's backup")
    import threading

    import psycopg

    monkeypatch.setenv("ATENDE_BUSY_TIMEOUT_MS", "300")
    out = tmp_path / "out"
    out.mkdir()
    other = psycopg.connect(str(store))
    outcome: dict[str, object] = {}

    def run():
        try:
            outcome["result"] = backup.backup(admin, out / "copy.dump")
        except AtendeError as exc:
            outcome["error"] = str(exc)

    try:
        other.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(timeout=30)
        assert not t.is_alive(), "the backup waited for the lock"
    finally:
        other.rollback()
        other.close()
    t.join(timeout=60)
    message = outcome.get("error", "")
    assert message.startswith("pg_dump failed: a table is locked") and "\n" not in message, outcome
    assert listing(out) == []


def test_a_server_backup_on_the_command_line(store, admin, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("a server's backup")
    out = tmp_path / "out"
    out.mkdir()
    r = atende("--db", str(store), "backup", str(out / "copy.dump"))
    assert r.returncode == 0, r.stderr
    assert listing(out) == ["copy.dump"] and (out / "copy.dump").read_bytes().startswith(b"PGDMP")
    one_line(atende("--db", str(store), "backup", str(out / "copy.dump")), "exists; use --force")
    one_line(atende("--db", str(store), "backup", "--force", "/dev/null"), "not a regular file")
    assert listing(out) == ["copy.dump"]


def test_a_failing_pg_dump_says_why_in_one_line(store, admin, backend, tmp_path, monkeypatch):
    """What pg_dump says (its error and detail lines), on one line, the URL without a password."""
    if backend != "postgresql":
        pytest.skip("a server's backup")
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump: error: aborting because of server version mismatch' >&2\n"
                    "echo 'pg_dump: detail: server version: 17.2; pg_dump version: 15.8' >&2\nexit 1\n")
    fake.chmod(0o755)
    real = backup.server_tool
    monkeypatch.setattr(backup, "server_tool", lambda name: str(fake) if name == "pg_dump" else real(name))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(AtendeError) as exc:
        backup.backup(admin, out)
    assert str(exc.value) == ("pg_dump failed: aborting because of server version mismatch "
                              "(server version: 17.2; pg_dump version: 15.8)")
    assert listing(out) == []
