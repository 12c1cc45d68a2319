"""Sending through a real SMTP server on loopback (aiosmtpd)."""
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import models
from models import write_tx
from models.mail import Outbox
from services import clock, outbox, worker
from services.config import MailSettings
from tests.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


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
    models.close_database()
    for path in [store, Path(str(store) + "-wal"), *Path(os.environ["HOME"]).rglob("*")]:
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
        assert (store.parent / f"{store.stem}-huey.db").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert smtp.recorder.duplicates() == 0
