"""The outbox: queued in the caller's transaction, claimed atomically, never twice."""
import datetime as dt
import json
import os
import threading

import pytest

import models
from models import write_tx
from models.mail import Outbox
from services.core import clock
from services.core.errors import PermissionDenied, ValidationError
from services.mail import outbox, sending
from services.mail.transport import EmlTransport
from services.ops import worker
from services.store import database


def _queue(n=1, **kw):
    ids = []
    with write_tx():
        for i in range(n):
            ids.append(outbox.queue(to=kw.get("to", f"p{i}@example.com"), subject=kw.get("subject", f"s{i}"),
                                    text="body", key=kw.get("key"), kind=kw.get("kind", "generic"),
                                    about=kw.get("about", ("", ""))))
    return ids


def test_queue_lives_and_dies_with_the_callers_transaction(store):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with write_tx():
            outbox.queue(to="a@example.com", subject="x", text="y", key="k1")
            raise Boom
    assert Outbox.select().count() == 0
    with write_tx():
        first = outbox.queue(to="a@example.com", subject="x", text="y", key="k1")
    assert Outbox.select().count() == 1
    with write_tx():
        again = outbox.queue(to="b@example.com", subject="other", text="z", key="k1")
    assert again == first and Outbox.select().count() == 1


@pytest.mark.parametrize("bad", ["not-an-address", "a@", "José <jose@>", "x@@example.com", "", "<a@example.com"])
def test_invalid_recipient_is_a_clear_validation_error(store, bad):
    with pytest.raises(ValidationError) as exc:
        outbox.queue(to=[bad] if bad else [], subject="x", text="y")
    assert "to" in exc.value.errors
    assert Outbox.select().count() == 0


def test_addresses_are_normalised_and_names_kept(store):
    mail_id = outbox.queue(to="José da Silva <JOSE@Example.com>; ana@example.com", cc="c@example.com",
                           subject="Olá\nthere", text="b")
    row = Outbox.get_by_id(mail_id)
    assert json.loads(row.recipients) == ["José da Silva <JOSE@example.com>", "ana@example.com"]
    assert json.loads(row.cc) == ["c@example.com"]
    assert row.subject == "Olá there"  # no header injection


def test_attachments_are_copied_into_the_store(store, tmp_path):
    src = tmp_path / "agenda.pdf"
    src.write_bytes(b"%PDF-1.4 x")
    mail_id = outbox.queue(to="a@example.com", subject="x", text="y", attachments=[src])
    src.unlink()
    stored = json.loads(Outbox.get_by_id(mail_id).attachments)
    assert stored[0]["name"] == "agenda.pdf"
    from services.mail.transport import attachment_file

    kept = attachment_file(stored[0]["path"])
    assert str(database.files_root()) in str(kept) and kept.read_bytes() == b"%PDF-1.4 x"
    if not models.is_sqlite():  # a worker on another host: its own, empty files folder, filled from the store
        import shutil
        from pathlib import Path

        assert not Path(stored[0]["path"]).is_absolute()
        shutil.rmtree(database.files_root())
        assert attachment_file(stored[0]["path"]).read_bytes() == b"%PDF-1.4 x"
    with pytest.raises(ValidationError) as exc:
        outbox.queue(to="a@example.com", subject="x", text="y", attachments=[tmp_path / "gone.pdf"])
    assert "attachments" in exc.value.errors


def test_attachments_are_regular_files_within_the_limit(store, tmp_path):
    from tests.unit.core.test_files import bad_paths, in_time

    for path, word in bad_paths(tmp_path, outbox.MAX_ATTACHMENT_BYTES).items():
        with pytest.raises(ValidationError) as exc:
            in_time(lambda path=path: outbox.queue(to="a@example.com", subject="x", text="y", attachments=[path]))
        assert word in exc.value.errors["attachments"], path
    assert not Outbox.select().exists()
    mail = database.files_root() / "mail"
    assert not mail.exists() or not [p for p in mail.rglob("*") if p.is_file()]


def test_attachment_that_vanished_before_sending_fails_clearly(store, tmp_path):
    src = tmp_path / "a.txt"
    src.write_text("hi")
    bad = outbox.queue(to="a@example.com", subject="x", text="y", attachments=[src])
    good = outbox.queue(to="b@example.com", subject="x", text="y")
    from services.mail.transport import attachment_file

    for a in json.loads(Outbox.get_by_id(bad).attachments):
        os.remove(attachment_file(a["path"]))
        if not models.is_sqlite():  # gone from the store too, where the other hosts would find it
            from models.files import StoredFile

            StoredFile.delete().execute()
    report = worker.send_due(EmlTransport(tmp_path / "eml", "atende@example.com"))
    assert (report.sent, report.failed) == (1, 1)
    assert Outbox.get_by_id(bad).state == "failed"
    assert "a.txt" in Outbox.get_by_id(bad).last_error
    assert Outbox.get_by_id(good).state == "sent"


def test_eml_transport_writes_one_file_per_mail(store, tmp_path):
    _queue(3)
    folder = tmp_path / "eml"
    report = worker.send_due(EmlTransport(folder, "Atende <atende@example.com>"))
    assert report.sent == 3
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 3
    assert b"Message-ID: <atende.1." in files[0].read_bytes()


def test_claims_are_exclusive_between_workers(store):
    _queue(200)
    claimed: list[list[int]] = []

    def grab():
        with models.reading():
            while True:
                batch = sending.claim_batch(sending.new_worker_id(), limit=7)
                if not batch:
                    return
                claimed.append([m.id for m in batch])

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for batch in claimed for i in batch]
    assert len(ids) == 200 and len(set(ids)) == 200


def test_stale_claims_requeue_unsent_rows_and_flag_the_one_in_flight(store):
    ids = _queue(4)
    dead = "somehost.invalid:999999:deadbeef"
    t0 = clock.now()
    with models.reading():
        sending.claim_batch(dead, limit=10, now=t0)
        sending.mark_sent(ids[0], dead)
        sending.mark_handed(ids[1], dead)
    # not stale yet: another host, claim younger than the lease
    assert sending.recover_stale(t0 + dt.timedelta(minutes=1)) == sending.Recovery(0, ())
    rec = sending.recover_stale(t0 + sending.CLAIM_LEASE + dt.timedelta(seconds=1))
    assert rec.requeued == 2 and rec.uncertain == (ids[1],)
    states = {r.id: r.state for r in Outbox.select()}
    assert states == {ids[0]: "sent", ids[1]: "failed", ids[2]: "queued", ids[3]: "queued"}
    assert "may have been delivered" in Outbox.get_by_id(ids[1]).last_error


def test_claim_of_a_dead_process_on_this_host_is_stale_at_once(store):
    import socket

    assert sending.claim_is_stale(f"{socket.gethostname()}:999999:x", clock.now(), clock.now())
    import os

    assert not sending.claim_is_stale(f"{socket.gethostname()}:{os.getpid()}:x", clock.now(), clock.now())


def test_a_claim_on_this_host_is_its_process_while_that_process_lives(store):
    import socket
    import subprocess
    import sys

    host, now = socket.gethostname(), clock.now()
    long_ago = now - dt.timedelta(days=1)  # whatever the lease: a live claimer keeps its rows
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        start = sending.process_start(sleeper.pid)
        assert not sending.claim_is_stale(f"{host}:{sleeper.pid}:{start}:t", long_ago, now)
        if start:  # Linux: the same pid given to a later process is not the claimer
            boot = start.split("-")[0]
            assert sending.claim_is_stale(f"{host}:{sleeper.pid}:{boot}-1:t", now, now)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert sending.claim_is_stale(f"{host}:{sleeper.pid}:{start}:t", now, now)  # gone
    # This very process: its claim is held only while a batch of it runs.
    mine = sending.new_worker_id()
    assert mine.startswith(f"{host}:{os.getpid()}:")
    assert sending.claim_is_stale(mine, now, now)
    with sending.holding(mine):
        assert not sending.claim_is_stale(mine, long_ago, now)
    assert sending.claim_is_stale(mine, now, now)


def test_a_stale_row_in_doubt_still_records_what_its_slow_worker_learnt(store):
    ids = _queue(2)
    slow = "elsewhere.invalid:1:x:slow"
    t0 = clock.now()
    with models.reading():
        sending.claim_batch(slow, now=t0)
        assert sending.mark_handed(ids[0], slow)
    rec = sending.recover_stale(t0 + sending.CLAIM_LEASE + dt.timedelta(seconds=1))
    assert rec.uncertain == (ids[0],) and rec.requeued == 1
    assert not sending.mark_handed(ids[1], slow)  # no longer its own: never sent by it
    assert sending.mark_sent(ids[0], slow) == (True, False)  # the server's answer wins over "in doubt"
    assert Outbox.get_by_id(ids[0]).state == "sent" and Outbox.get_by_id(ids[1]).state == "queued"


def test_retry_and_resend(people):
    agent = people["agent"]
    ids = _queue(2, about=("ticket", 7))  # an event's mail follows the event's rule (test_events_registrations)
    Outbox.update(state="failed", last_error="550 no").where(Outbox.id == ids[0]).execute()
    item = outbox.retry(agent, ids[0])
    assert item.state == "queued"
    with pytest.raises(ValidationError):
        outbox.retry(agent, ids[1])  # queued, not failed
    new = outbox.resend(agent, "ticket", 7)
    assert len(new) == 2
    keys = {Outbox.get_by_id(i).idempotency_key for i in new}
    assert all(k.startswith("resend:") for k in keys)
    assert outbox.resend(agent, "ticket", 999) == []


def test_reading_the_outbox_needs_permission(people):
    from services.core.permissions import Actor

    rep = Actor(login="r", name="R", role="representative")
    with pytest.raises(PermissionDenied):
        outbox.list_mail(rep)
    assert outbox.list_mail(people["agent"]) == []


def test_temporary_failures_wait_longer_each_time(store):
    (mail_id,) = _queue(1)
    now = clock.now()
    delays = []
    for _ in range(4):
        w = sending.new_worker_id()
        with models.reading():
            Outbox.update(next_attempt_at=now).where(Outbox.id == mail_id).execute()
            sending.claim_batch(w, now=now)
            sending.mark_temporary(mail_id, w, "451 try later", now=now)
        delays.append((Outbox.get_by_id(mail_id).next_attempt_at - now).total_seconds())
    assert delays == sorted(delays) and delays[0] < delays[-1]


def test_worker_heartbeat_and_status(store):
    assert worker.status().running is False
    worker.write_heartbeat()
    assert worker.status().running is True
    later = clock.now() + dt.timedelta(minutes=5)
    assert worker.status(later).running is False


class FlakyTransport:
    """Sends until `fail_at`, then raises `error` (to exercise the worker's branches)."""

    name = "flaky"

    def __init__(self, fail_at, error):
        self.fail_at, self.error, self.sent = fail_at, error, []

    def open(self):
        pass

    def close(self):
        pass

    def send(self, item):
        if len(self.sent) == self.fail_at:
            raise self.error
        self.sent.append(item.id)
        return ""


def test_connection_lost_mid_message_is_in_doubt_and_the_rest_waits(store):
    from services.mail.transport import ConnectionFailure, InDoubt

    ids = _queue(5)
    report = worker.send_due(FlakyTransport(2, InDoubt("Connection unexpectedly closed")))
    assert (report.sent, report.failed, report.retried) == (2, 1, 2)
    rows = {r.id: r for r in Outbox.select()}
    assert rows[ids[2]].state == "failed" and "may have been delivered" in rows[ids[2]].last_error
    assert rows[ids[3]].state == rows[ids[4]].state == "queued"
    assert rows[ids[3]].handed_at is None

    more = _queue(2, key=None)
    report = worker.send_due(FlakyTransport(0, ConnectionFailure("connection refused")))
    assert report.sent == 0 and report.connection_error
    assert all(Outbox.get_by_id(i).state == "queued" for i in more)


def test_worker_failures_are_one_line_each_on_stderr(store, tmp_path, monkeypatch):
    import io

    from services.core import logs
    from services.core.config import MailSettings

    stream = io.StringIO()
    handler = worker.log_to_stderr(stream)
    try:
        assert worker.log_to_stderr() is handler  # installed once
        w = worker.Worker(MailSettings(), huey_path=tmp_path / "queue.db", immediate=True)

        def broken(*args, **kwargs):
            raise RuntimeError("boom\nsecond line")

        monkeypatch.setattr(outbox, "has_due", broken)
        assert w.send_now() is None  # an unexpected error in the send job
        worker.log.warning("mail %d: %s", 3, "550-no such user\n550 \x1b]0;pwned\x07really")
    finally:
        logs.logger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert "ERROR" in lines[0] and "internal error (RuntimeError)" in lines[0] and "Traceback" not in lines[0]
    assert lines[1].endswith("mail 3: 550-no such user 550 really")
    assert "Traceback" in logs.log_file().read_text()  # the details stay in the log file
