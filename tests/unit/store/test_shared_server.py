"""A shared server: `atende doctor`'s checks and the modes of the files Atende creates."""
from __future__ import annotations

import datetime as dt
import grp
import os
import stat
from collections import namedtuple
from pathlib import Path

import pytest

import models
from services.core import paths
from services.core.config import Config
from services.ops import doctor
from services.store import database

GROUP = grp.getgrgid(os.getgid()).gr_name
"""The current user's primary group stands in for 'atende' (tests cannot chgrp elsewhere)."""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def shared(tmp_path) -> Path:
    """A correctly set-up shared folder: group-owned, setgid, 2770."""
    folder = tmp_path / "srv"
    folder.mkdir()
    os.chmod(folder, 0o2770)
    return folder / "atende.db"


def by_name(checks, name):
    return [c for c in checks if c.name == name]


# ------------------------------------------------------------------ config


def test_config_found_and_readable(tmp_path):
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text('database = "/srv/atende/atende.db"\n')
    assert doctor.config_check(Config(source=cfg_file)).status == "ok"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_system_config_fails_with_the_fix(tmp_path):
    system = tmp_path / "config.toml"
    system.write_text("")
    os.chmod(system, 0)
    check = doctor.config_check(Config(), system_config=system)
    assert check.status == "fail" and "chmod 0640" in check.message


def test_config_error_is_reported_not_raised():
    check = doctor.config_check(Config(), "config /etc/atende/config.toml: bad line")
    assert check.status == "fail" and "bad line" in check.message


def test_no_config_is_fine_for_one_person(tmp_path):
    assert doctor.config_check(Config(), system_config=tmp_path / "none.toml").status == "ok"


# ------------------------------------------------------------------ folder


def test_missing_folder_fails_with_how_to_create_it(tmp_path):
    checks = doctor.folder_checks(tmp_path / "nope" / "atende.db", GROUP)
    assert [c.status for c in checks] == ["fail"]
    assert "chmod 2770" in checks[0].message and "mkdir" in checks[0].message


def test_well_set_up_folder_passes(shared):
    checks = doctor.folder_checks(shared, GROUP)
    assert {c.status for c in checks} == {"ok"}, checks
    assert {c.name for c in checks} == {"group", "folder"}


def test_folder_without_setgid_fails(shared):
    os.chmod(shared.parent, 0o770)
    group = by_name(doctor.folder_checks(shared, GROUP), "group")[0]
    assert group.status == "fail" and "chmod g+s" in group.message


def test_folder_of_another_group_fails(shared):
    other = next((g.gr_name for g in grp.getgrall() if g.gr_gid != os.getgid()), None)
    if other is None:
        pytest.skip("only one group on this machine")
    group = by_name(doctor.folder_checks(shared, other), "group")[0]
    assert group.status == "fail" and f"chgrp -R {other}" in group.message


def test_unknown_group_fails_with_groupadd(shared):
    group = by_name(doctor.folder_checks(shared, "no_such_group_xyz"), "group")[0]
    assert group.status == "fail" and "groupadd no_such_group_xyz" in group.message


def test_folder_the_group_cannot_write_fails(shared):
    os.chmod(shared.parent, 0o2750)
    folder = by_name(doctor.folder_checks(shared, GROUP), "folder")
    assert folder[0].status == "fail" and "-wal" in folder[0].message and "chmod 2770" in folder[0].message


def test_folder_others_may_read_fails_on_a_shared_server_warns_otherwise(shared):
    os.chmod(shared.parent, 0o2775)
    assert by_name(doctor.folder_checks(shared, GROUP), "folder")[-1].status == "fail"
    assert by_name(doctor.folder_checks(shared, ""), "folder")[-1].status == "warn"


# ------------------------------------------------------------------ files


def _files(db: Path) -> list[Path]:
    made = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    for p in made:
        p.write_bytes(b"x")
        os.chmod(p, 0o660)
    for sub in ("tickets/2026", "certificates"):
        folder = paths.files_dir(db) / sub
        paths.private_dir(folder)
        f = folder / "a.pdf"
        f.write_bytes(b"%PDF")
        paths.private_file(f)
        made.append(f)
    return made


def test_private_files_pass(shared):
    _files(shared)
    check = doctor.files_check(shared, GROUP)
    assert check.status == "ok", check.message


@pytest.mark.parametrize("which", [0, 1, 2, 3, 4])
def test_a_world_readable_file_fails(shared, which):
    made = _files(shared)
    os.chmod(made[which], 0o664)
    check = doctor.files_check(shared, GROUP)
    assert check.status == "fail" and "o-rwx" in check.message and str(made[which]) in check.message


def test_a_file_the_group_cannot_write_fails(shared):
    made = _files(shared)
    os.chmod(made[2], 0o640)  # the -shm: another session could not open the database
    check = doctor.files_check(shared, GROUP)
    assert check.status == "fail" and "g+rwX" in check.message and made[2].name in check.message


def test_certificates_folder_others_may_enter_fails(shared):
    _files(shared)
    os.chmod(paths.files_dir(shared) / "certificates", 0o2775)
    assert doctor.files_check(shared, GROUP).status == "fail"


# ------------------------------------------------------------------ disk


Usage = namedtuple("Usage", "total used free")


@pytest.mark.parametrize("free,status", [(50 * 2**20, "fail"), (2**30, "warn"), (50 * 2**30, "ok")])
def test_disk_space(tmp_path, free, status):
    check = doctor.disk_check(tmp_path, usage=lambda p: Usage(0, 0, free))
    assert check.status == status
    assert check.message.startswith(str(free // 2**20)) or f"{free // 2**20} MB" in check.message


# ------------------------------------------------------------------ person and worker


def test_person_known_and_unknown(store, admin, monkeypatch):
    from services.store import users

    assert doctor._person(str(store)).status == "ok"
    monkeypatch.setattr(users, "os_login", lambda: "nobody_here")
    if not models.is_sqlite():  # a server's person is the connection's role; its owner may name another
        monkeypatch.setenv("ATENDE_USER", "nobody_here")
    check = doctor._person(str(store))
    assert check.status == "fail" and "atende users add nobody_here" in check.message


def test_worker_heartbeat(store):
    from services.ops import worker

    assert doctor._worker().status == "warn"
    now = dt.datetime(2026, 5, 4, 9, 0)
    worker.write_heartbeat(now)
    assert doctor._worker(now + dt.timedelta(seconds=10)).status == "ok"
    late = doctor._worker(now + dt.timedelta(minutes=5))
    assert late.status == "warn" and "atende worker" in late.message


def test_run_on_a_shared_folder(shared, umask007):
    from services.store.database import open_store

    open_store(str(shared))
    import models

    models.close_database()
    checks = doctor.run(Config(group=GROUP), str(shared), system_config=shared.parent / "none.toml")
    statuses = {c.name: c.status for c in checks}
    for name in ("config", "database", "group", "folder", "files", "disk", "person"):
        assert statuses[name] == "ok", (name, checks)
    models.close_database()


# ------------------------------------------------------------------ modes of what Atende writes


@pytest.fixture
def umask007():
    old = paths.set_umask()
    yield
    os.umask(old)


def test_new_database_is_the_groups(tmp_path, umask007):
    import models
    from services.store.database import open_store

    open_store(str(tmp_path / "n.db"))
    for suffix in ("-wal", "-shm"):  # made while the store was open: the group writes them too
        assert mode(tmp_path / f"n.db{suffix}") == 0o660
    models.close_database()
    assert mode(tmp_path / "n.db") == 0o660
    open_store(str(tmp_path / "n.db"))  # and when they are made anew, they copy the database's mode
    assert mode(tmp_path / "n.db-wal") == 0o660
    models.close_database()


@pytest.mark.sqlite_only  # the shared folder's files and modes
def test_worker_queue_file_is_the_groups(store, umask007):
    from services.core.config import MailSettings
    from services.ops import worker

    w = worker.Worker(MailSettings(), huey_path=store.parent / "q-huey.db")
    assert mode(w.huey_path) == 0o660


def test_private_dir_and_file(tmp_path):
    folder = paths.private_dir(tmp_path / "a" / "b")
    assert mode(tmp_path / "a") == 0o2770 and mode(folder) == 0o2770
    f = folder / "x"
    f.write_text("x")
    assert mode(paths.private_file(f)) == 0o660


@pytest.mark.sqlite_only  # the shared folder's files and modes
def test_attachments_certificates_and_backups_are_group_only(people, tmp_path, umask007):
    from services.events import certificates
    from services.mail import outbox
    from services.ops import backup

    src = tmp_path / "doc.txt"
    src.write_text("x")
    with __import__("models").write_tx():
        outbox.queue(to="a@example.com", subject="s", text="t", attachments=[src], kind="test", key="k1")
    stored = list((database.files_root() / "mail").rglob("doc.txt"))
    assert stored and mode(stored[0]) & 0o007 == 0 and mode(stored[0].parent) == 0o2770
    data = certificates.CertificateData(
        key="t:1", participant_name="Ana Lima", cpf="52998224725", event_title="Curso",
        workload_hours=4, start=dt.date(2026, 5, 4), end=dt.date(2026, 5, 4))
    pdf = certificates.issue_certificate(data)
    assert mode(pdf) == 0o660 and mode(pdf.parent) == 0o2770
    result = backup.backup(people["admin"], tmp_path / "copy.db")
    assert mode(result.path) & 0o007 == 0


def test_worker_unit_file_ships():
    from importlib import resources

    unit = (resources.files("data") / "systemd" / "atende-worker.service").read_text(encoding="utf-8")
    assert "ExecStart=" in unit and " worker" in unit
    assert "UMask=0007" in unit and "Group=atende" in unit and "Restart=on-failure" in unit


def test_web_unit_file_ships_listening_on_loopback_only():
    from importlib import resources

    unit = (resources.files("data") / "systemd" / "atende-web.service").read_text(encoding="utf-8")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert " web " in exec_start and "--host 127.0.0.1" in exec_start
    assert "UMask=0007" in unit and "Group=atende" in unit and "Restart=on-failure" in unit


def test_worker_unit_stops_it_gracefully():
    """systemd's stop is the SIGTERM the worker finishes its mail in hand on
    (tests/unit/mail/test_mail_smtp.py), sent to it alone, with time for one message."""
    from importlib import resources

    unit = (resources.files("data") / "systemd" / "atende-worker.service").read_text(encoding="utf-8")
    settings = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    assert settings["KillSignal"] == "SIGTERM" and settings["KillMode"] == "mixed"
    assert int(settings["TimeoutStopSec"]) >= 120  # a few SMTP timeouts (30 s each) for one large message


def test_cli_doctor_reads_a_broken_config_instead_of_stopping(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    bad = tmp_path / "config.toml"
    bad.write_text("database = [unclosed\n")
    r = subprocess.run([sys.executable, "-c", "from app import main; main()", "--config", str(bad),
                        "--db", str(tmp_path / "a.db"), "doctor"], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "HOME": str(tmp_path)})
    assert r.returncode == 1
    first = r.stdout.splitlines()[0]
    assert first.startswith("FAIL") and "config" in first and str(bad) in first


def test_doctor_says_a_protocol_format_that_repeats_numbers(tmp_path):
    """A format that would give two tickets one number is a failed config check,
    before the first ticket is tried (services.tickets.protocol.check_format)."""
    repeating = doctor.config_check(Config(protocol_format="{date:%Y%m%d}{seq!s:.2}"))
    assert not repeating.ok and "protocol_format" in repeating.message
    assert doctor.config_check(Config()).ok
