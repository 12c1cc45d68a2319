"""Two workers on one outbox (two processes; on PostgreSQL they could be on two
hosts): every e-mail delivered exactly once, none lost."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import models
from models import write_tx
from models.mail import Outbox
from services.mail import outbox, sending

ROOT = Path(__file__).resolve().parents[3]


def _queue(n: int) -> list[int]:
    with write_tx():
        return [outbox.queue(to=f"w{i}@example.com", subject=f"Assunto {i}", text=f"Olá {i}", key=f"w:{i}")
                for i in range(n)]


def _worker(store, cfg: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import app; app.main()", "--db", str(store),
                             "--config", str(cfg), "worker", *extra], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    return err


@pytest.mark.parametrize("mode", ["service", "once"])
def test_two_workers_deliver_each_mail_exactly_once(store, smtp, tmp_path, mode):
    n = 240
    smtp.recorder.parse = False
    smtp.recorder.delay = 0.002
    ids = _queue(n)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[mail]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "plain"\n'
                   f'sender = "atende@example.com"\n', encoding="utf-8")
    models.close_database()
    extra = ("--once",) if mode == "once" else ()
    procs = [_worker(store, cfg, *extra) for _ in range(2)]
    try:
        arrived = smtp.wait_for(n, timeout=90)
        if mode == "once":
            for p in procs:
                p.wait(timeout=90)
    finally:
        errors = [_stop(p) for p in procs]
    assert arrived, errors
    assert all(p.returncode == 0 for p in procs), errors
    assert all("Traceback" not in e for e in errors), errors
    time.sleep(0.2)
    models.open_database(store)
    received = smtp.recorder.message_ids()
    assert smtp.recorder.duplicates() == 0 and len(received) == n
    assert sorted(received) == sorted(f"<{outbox.message_id_seed(i, f'w:{k}')}@example.com>"
                                      for k, i in enumerate(ids))
    with models.reading():
        assert {r.state for r in Outbox.select()} == {"sent"}


def test_a_row_held_by_another_transaction_is_skipped_not_waited_for(store, backend):
    """PostgreSQL: a claim reads the due rows FOR UPDATE SKIP LOCKED, so a row
    another transaction holds (a worker of another host in the middle of its
    claim) is neither claimed twice nor waited for."""
    if backend != "postgresql":
        pytest.skip("row locks are a server's (SQLite's writers take turns on the whole file)")
    import psycopg

    ids = _queue(5)
    other = psycopg.connect(str(store))
    try:
        other.execute("SELECT id FROM outbox WHERE id = %s FOR UPDATE", (ids[0],))  # held until rollback
        got: dict[str, list[int]] = {}

        def claim():
            with models.reading():
                got["ids"] = [m.id for m in sending.claim_batch(sending.new_worker_id())]

        t = threading.Thread(target=claim, daemon=True)
        t.start()
        t.join(timeout=5)
        assert not t.is_alive(), "the claim waited for a row another transaction holds"
        assert got["ids"] == ids[1:]
    finally:
        other.rollback()
        other.close()
    t.join(timeout=10)
    with models.reading():
        assert Outbox.get_by_id(ids[0]).state == "queued"
        again = sending.claim_batch(sending.new_worker_id())
    assert [m.id for m in again] == ids[:1]
