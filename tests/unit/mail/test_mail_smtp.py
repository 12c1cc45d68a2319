"""Sending through a real SMTP server on loopback (aiosmtpd)."""
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

import models
from models import write_tx
from models.mail import Outbox
from services.core import clock
from services.core.config import MailSettings
from services.mail import outbox, sending
from services.mail.transport import transport_for
from services.ops import sweeps, worker
from tests.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[3]


def settings(server, **kw) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=server.port, security="plain",
                        sender="Atende <atende@example.com>", **kw)


def queue_many(n, prefix="p", **kw):
    with write_tx():
        return [outbox.queue(to=f"{prefix}{i}@example.com", subject=f"Assunto {i} – ção",
                             text=f"Olá {i}", key=f"{prefix}:{i}", **kw) for i in range(n)]


def states():
    with models.reading():
        return {r.id: r.state for r in Outbox.select()}


def test_mail_arrives_once_with_its_parts(store, smtp, tmp_path):
    ics = tmp_path / "evento.ics"
    ics.write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    with write_tx():
        mail_id = outbox.queue(to="Conceição <c@example.com>", cc="coord@example.com", subject="Confirmação",
                               text="Olá, Conceição", html="<p>Olá</p>", attachments=[ics], read_receipt=True)
    report = worker.run_once(settings(smtp))
    assert report.mail.sent == 1
    assert smtp.wait_for(1)
    msg = smtp.messages[0]
    assert msg["Subject"] == "Confirmação"
    assert msg["Message-ID"].startswith(f"<atende.{mail_id}.")
    assert msg["Disposition-Notification-To"] == "atende@example.com"
    assert "Conceição" in str(msg["To"])
    kinds = {p.get_content_type() for p in msg.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= kinds
    assert sorted(smtp.recorder.envelopes[0][1]) == ["c@example.com", "coord@example.com"]
    assert states() == {mail_id: "sent"}


def test_server_down_for_a_while_then_back(store):
    server = SmtpServer()  # not started: connection refused
    ids = queue_many(20)
    report = worker.run_once(settings(server))
    assert report.mail.sent == 0 and report.mail.connection_error
    rows = list(Outbox.select())
    assert all(r.state == "queued" and r.attempts == 1 and "reach" in r.last_error for r in rows)
    # Still down at the next round: still waiting, nothing failed.
    later = clock.now() + dt.timedelta(minutes=11)
    clock.set_clock(lambda: later)
    worker.run_once(settings(server))
    assert set(states().values()) == {"queued"}
    server.start()
    try:
        much_later = later + dt.timedelta(minutes=11)
        clock.set_clock(lambda: much_later)
        report = worker.run_once(settings(server))
        assert report.mail.sent == 20
        assert server.wait_for(20)
        time.sleep(0.1)
        assert len(server.messages) == 20 and server.recorder.duplicates() == 0
        assert set(states().values()) == {"sent"}
        assert sorted(server.recorder.message_ids()) == sorted(
            f"<{outbox.message_id_seed(i, f'p:{n}')}@example.com>" for n, i in enumerate(ids))
    finally:
        server.stop()


def test_permanent_refusal_fails_visibly_and_is_not_retried(store, smtp):
    smtp.recorder.reject["bad@example.com"] = "550 5.1.1 <bad@example.com>: no such user"
    with write_tx():
        good = outbox.queue(to="good@example.com", subject="a", text="b")
        bad = outbox.queue(to="bad@example.com", subject="a", text="b")
    worker.run_once(settings(smtp))
    row = Outbox.get_by_id(bad)
    assert row.state == "failed" and "550" in row.last_error and "no such user" in row.last_error
    assert Outbox.get_by_id(good).state == "sent"
    later = clock.now() + dt.timedelta(hours=3)
    clock.set_clock(lambda: later)
    worker.run_once(settings(smtp))
    assert Outbox.get_by_id(bad).attempts == 1 and Outbox.get_by_id(bad).state == "failed"
    assert len(smtp.messages) == 1


def test_data_refusal_5xx_fails(store, smtp):
    smtp.recorder.data_answer = "554 5.7.1 Message rejected as spam"
    (mail_id,) = queue_many(1)
    worker.run_once(settings(smtp))
    assert Outbox.get_by_id(mail_id).state == "failed"
    assert "554" in Outbox.get_by_id(mail_id).last_error


def test_temporary_refusal_is_retried_later(store, smtp):
    smtp.recorder.reject["busy@example.com"] = "450 4.2.1 mailbox busy, try later"
    with write_tx():
        mail_id = outbox.queue(to="busy@example.com", subject="a", text="b")
    worker.run_once(settings(smtp))
    row = Outbox.get_by_id(mail_id)
    assert row.state == "queued" and row.next_attempt_at > clock.now() and "450" in row.last_error
    worker.run_once(settings(smtp))  # not due yet
    assert len(smtp.messages) == 0
    del smtp.recorder.reject["busy@example.com"]
    later = clock.now() + dt.timedelta(minutes=1)
    clock.set_clock(lambda: later)
    worker.run_once(settings(smtp))
    assert Outbox.get_by_id(mail_id).state == "sent" and len(smtp.messages) == 1


def test_login_with_the_secret_and_the_password_leaks_nowhere(store, monkeypatch, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.smtp_server import Recorder, free_port

    password = "s3cr3t-Pa55-xyzzy"

    def authenticator(server, session, envelope, mechanism, auth_data):
        def text(v):
            return v.decode() if isinstance(v, bytes) else v

        ok = text(auth_data.login) == "atende@example.com" and text(auth_data.password) == password
        return AuthResult(success=ok, handled=False)

    recorder = Recorder()
    port = free_port()
    warnings.simplefilter("ignore")
    controller = Controller(recorder, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        cfg = MailSettings(host="127.0.0.1", port=port, security="plain", user="atende@example.com")
        monkeypatch.setenv("ATENDE_SMTP_PASSWORD", "wrong")
        queue_many(2)
        report = worker.run_once(cfg)
        assert report.mail.sent == 0 and "login" in report.mail.connection_error
        assert set(states().values()) == {"queued"}  # a refused login is not the mails' fault
        monkeypatch.setenv("ATENDE_SMTP_PASSWORD", password)
        later = clock.now() + dt.timedelta(minutes=11)
        clock.set_clock(lambda: later)
        assert worker.run_once(cfg).mail.sent == 2
    finally:
        controller.stop()
    if not isinstance(store, Path):  # a server: every row of every table, as text
        from services.store.copy import all_models

        for model in all_models():
            for (row,) in models.db.execute_sql(f'SELECT CAST(t AS TEXT) FROM "{model._meta.table_name}" t'):
                assert password not in row, model
    models.close_database()
    files = [store, Path(str(store) + "-wal")] if isinstance(store, Path) else []
    for path in [*files, *Path(os.environ["HOME"]).rglob("*")]:
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_no_password_never_prompts(store, smtp, monkeypatch):
    monkeypatch.delenv("ATENDE_SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("ATENDE_NO_KEYRING", "1")
    monkeypatch.setattr("getpass.getpass", lambda *a, **k: pytest.fail("prompted for a password"))
    queue_many(1)
    report = worker.run_once(settings(smtp, user="someone@example.com"))
    assert "atende secrets set smtp" in report.mail.connection_error


def _write_config(tmp_path, port) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\n'
                   f'sender = "atende@example.com"\n', encoding="utf-8")
    return cfg


def _atende(*args):
    return [sys.executable, "-c", "import app; app.main()", *args]


def test_worker_killed_mid_batch_then_restarted_sends_nothing_twice(store, smtp, tmp_path):
    smtp.recorder.delay = 0.01
    smtp.recorder.parse = False
    ids = queue_many(300)
    cfg = _write_config(tmp_path, smtp.port)
    models.close_database()
    proc = subprocess.Popen(_atende("--db", str(store), "--config", str(cfg), "worker"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert smtp.wait_for(40, timeout=30), proc.stderr.read1(4000) if proc.poll() is not None else "slow"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    received_before = len(smtp.messages)
    assert received_before < 300, "the batch finished before the kill; slow the server down"
    done = subprocess.run(_atende("--db", str(store), "--config", str(cfg), "worker", "--once"), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    time.sleep(0.2)
    models.open_database(store)
    final = states()
    uncertain = [i for i, s in final.items() if s == "failed"]
    assert len(uncertain) <= 1
    assert all(final[i] == "sent" for i in ids if i not in uncertain)
    assert smtp.recorder.duplicates() == 0
    received = set(smtp.recorder.message_ids())
    for i in ids:
        seed = f"<{outbox.message_id_seed(i, f'p:{ids.index(i)}')}@example.com>"
        if i not in uncertain:
            assert seed in received
    assert len(received) >= 299


def test_worker_service_sends_beats_and_stops_on_sigint(store, smtp, tmp_path):
    cfg = _write_config(tmp_path, smtp.port)
    queue_many(5)
    proc = subprocess.Popen(_atende("--db", str(store), "--config", str(cfg), "worker"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert smtp.wait_for(5, timeout=30)
        with write_tx():
            outbox.queue(to="late@example.com", subject="later", text="x")
        assert smtp.wait_for(6, timeout=10)  # woken within seconds, not at the next minute
        assert worker.status().running
        if isinstance(store, Path):  # SQLite: the queue's own file; a server keeps it in its tables
            assert (store.parent / f"{store.stem}-huey.db").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert smtp.recorder.duplicates() == 0


# ---------------------------------------------------------------- a batch longer than the lease


SHORT_LEASE = dt.timedelta(seconds=1)  # the clock counts seconds: renewed every 0.25 s, never older than 1 s


def _delivered_once(server, ids, prefix="p"):
    time.sleep(0.1)
    assert server.recorder.duplicates() == 0
    assert sorted(server.recorder.message_ids()) == sorted(
        f"<{outbox.message_id_seed(i, f'{prefix}:{n}')}@example.com>" for n, i in enumerate(ids))


def test_own_sweep_during_a_batch_longer_than_the_lease_takes_nothing(store, smtp, tmp_path):
    smtp.recorder.delay = 0.25
    ids = queue_many(12)
    w = worker.Worker(settings(smtp), huey_path=tmp_path / "queue.db", immediate=True, lease=SHORT_LEASE)
    sweeps.run_sweeps(clock.now())  # once before: a first round may take a while
    sender = threading.Thread(target=w.send_now)
    sender.start()
    assert smtp.wait_for(1)  # the batch is under way
    began, late_sweeps = time.monotonic(), 0
    while sender.is_alive():
        w.minute()  # the worker's own minute job: re-examine claims, sweeps, send (busy: skipped)
        if time.monotonic() - began > 2 * SHORT_LEASE.total_seconds():
            late_sweeps += 1
        time.sleep(0.1)
    sender.join()
    assert late_sweeps >= 1  # swept while its own claim was older than the lease
    _delivered_once(smtp, ids)
    assert set(states().values()) == {"sent"}  # none "may have been delivered"


def test_another_hosts_sweep_leaves_a_renewed_claim_alone(store, smtp):
    smtp.recorder.delay = 0.25
    ids = queue_many(12)
    elsewhere = f"elsewhere.invalid:{os.getpid()}:x:{os.urandom(4).hex()}"  # its process cannot be checked
    report = {}

    def send():
        report["first"] = worker.send_due(transport_for(settings(smtp)), elsewhere, lease=SHORT_LEASE)

    sweeps.run_sweeps(clock.now())  # once before: the first round of a process loads what the sweeps need
    first = threading.Thread(target=send)
    first.start()
    assert smtp.wait_for(1)  # the first worker holds the batch
    began, late_rounds, taken = time.monotonic(), 0, 0
    while first.is_alive():
        second = worker.run_once(settings(smtp), lease=SHORT_LEASE)  # a second worker: sweep, then send what is due
        taken += second.requeued + len(second.uncertain) + second.mail.sent
        if time.monotonic() - began > 2 * SHORT_LEASE.total_seconds():
            late_rounds += 1
        time.sleep(0.1)
    first.join()
    assert late_rounds >= 1  # swept while the first claim was older than the lease
    assert taken == 0 and report["first"].sent == len(ids)  # the renewed claim stayed the first worker's
    worker.run_once(settings(smtp), lease=SHORT_LEASE)
    _delivered_once(smtp, ids)
    assert set(states().values()) == {"sent"}


def test_a_batch_stops_at_a_row_it_no_longer_holds(store, smtp):
    smtp.recorder.delay = 0.15
    ids = queue_many(10)
    hung = f"elsewhere.invalid:{os.getpid()}:x:{os.urandom(4).hex()}"
    report = {}

    def send():  # its lease is not renewed in time (a host that hung): the sweep takes its rows
        report["first"] = worker.send_due(transport_for(settings(smtp)), hung,
                                          lease=dt.timedelta(hours=1))

    first = threading.Thread(target=send)
    first.start()
    assert smtp.wait_for(2, timeout=10)
    clock.set_clock(lambda: dt.datetime.now() + dt.timedelta(minutes=1))  # its claim a minute old
    taken = sending.recover_stale(lease=dt.timedelta(seconds=30))
    assert taken.requeued >= 5
    worker.run_once(settings(smtp))  # another worker sends what was taken
    first.join()
    _delivered_once(smtp, ids)
    assert report["first"].sent + taken.requeued <= len(ids) and report["first"].stopped
    # the one in the first worker's hands was delivered by it, and recorded so
    assert set(states().values()) == {"sent"}


# ---------------------------------------------------------------- stopping, and saying what fails


def _start_worker(store, cfg, env=None):
    return subprocess.Popen(_atende("--db", str(store), "--config", str(cfg), "worker"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)


def test_sigterm_finishes_the_mail_in_hand_and_queues_the_rest(store, smtp, tmp_path):
    smtp.recorder.delay = 0.6
    ids = queue_many(20)
    cfg = _write_config(tmp_path, smtp.port)
    proc = _start_worker(store, cfg)
    try:
        end = time.monotonic() + 30
        while smtp.recorder.started < 3 and time.monotonic() < end:
            time.sleep(0.01)
        assert smtp.recorder.started == 3 and len(smtp.messages) == 2  # the third is in hand
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    time.sleep(0.2)
    assert len(smtp.messages) == 3 and smtp.recorder.duplicates() == 0
    with models.reading():
        rows = {r.id: r for r in Outbox.select()}
    assert [rows[i].state for i in ids[:3]] == ["sent"] * 3
    rest = [rows[i] for i in ids[3:]]
    assert all(r.state == "queued" and r.attempts == 0 and not r.claim and r.handed_at is None
               and not r.last_error for r in rest)
    assert outbox.has_due()  # back in the queue as they were: the next worker sends them at once


def test_worker_says_on_stderr_why_mail_waits(store, smtp, tmp_path):
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o700)
    secret = secrets_dir / "smtp"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    cfg = _write_config(tmp_path, smtp.port)
    cfg.write_text(cfg.read_text() + 'user = "atende@example.com"\n')
    (mail_id,) = queue_many(1)
    env = {k: v for k, v in os.environ.items() if k != "ATENDE_SMTP_PASSWORD"}
    proc = _start_worker(store, cfg, {**env, "ATENDE_SECRETS_DIR": str(secrets_dir), "ATENDE_NO_KEYRING": "1"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        end = time.monotonic() + 30
        while not any("chmod 600" in line for line in lines) and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    reader.join(timeout=5)
    said = [line for line in lines if "chmod 600" in line]
    assert len(said) == 1, "".join(lines)
    assert str(secret) in said[0] and "644" in said[0] and "password" in said[0]
    assert "Traceback" not in "".join(lines)
    assert proc.returncode == 0
    assert Outbox.get_by_id(mail_id).state == "queued" and len(smtp.messages) == 0
