"""Mail throughput: the worker's real path against plain smtplib, same run.

    python bench/mail.py --count 1000

Queues COUNT e-mails in a fresh database, starts a local SMTP server
(aiosmtpd on loopback), sends the same messages once with plain smtplib over
one connection, then lets the worker send the outbox (claim, hand, commit per
mail, one yagmail connection per batch), and counts what arrived.
Last line: JSON with mails_per_s, smtplib_per_s, lost, duplicates.
Target: mails_per_s >= 0.4 x smtplib_per_s, 0 lost, 0 duplicates.
"""
from __future__ import annotations

import argparse
import json
import smtplib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    n = args.count

    import models
    from models import write_tx
    from services.core.config import MailSettings
    from services.mail import outbox
    from services.mail.transport import SmtpTransport, build_message, envelope
    from services.ops import worker
    from services.store.database import open_store
    from tests.smtp_server import SmtpServer

    folder = Path(tempfile.mkdtemp(prefix="atende-bench-mail-"))
    open_store(str(folder / "bench.db"))
    t0 = time.perf_counter()
    with write_tx():
        for i in range(n):
            outbox.queue(to=f"Participante {i} <p{i}@example.com>", subject=f"Lembrete: Treinamento {i}",
                         text=f"Olá, participante {i}.\n\nO treinamento começa amanhã às 09:00.\n" * 3,
                         html=f"<p>Olá, participante {i}.</p>", key=f"bench:{i}", kind="reminder_1d")
    queued_s = time.perf_counter() - t0
    print(f"queued {n} e-mails in {queued_s:.2f} s ({n / queued_s:.0f}/s)")

    server = SmtpServer().start()
    server.recorder.parse = False
    settings = MailSettings(host="127.0.0.1", port=server.port, security="plain",
                            sender="Atende <atende@example.com>")
    try:
        # Plain smtplib: the same messages, one connection, no database.
        with models.reading():
            from models.mail import Outbox

            rows = [outbox.as_item(r) for r in Outbox.select().order_by(Outbox.id)]
        t0 = time.perf_counter()
        smtp = smtplib.SMTP("127.0.0.1", server.port, timeout=30)
        for item in rows:
            smtp.send_message(build_message(item, settings.sender), from_addr="atende@example.com",
                              to_addrs=envelope(item))
        smtp.quit()
        server.wait_for(n, timeout=120)
        smtplib_s = time.perf_counter() - t0
        plain_received = len(server.messages)
        print(f"smtplib: {plain_received} received in {smtplib_s:.2f} s ({n / smtplib_s:.0f}/s)")

        with server.recorder.lock:
            server.recorder.messages.clear()
            server.recorder.envelopes.clear()
        t0 = time.perf_counter()
        report = worker.send_due(SmtpTransport(settings, None))
        server.wait_for(n, timeout=120)
        worker_s = time.perf_counter() - t0
        ids = server.recorder.message_ids()
        unique = len(set(ids))
        print(f"worker: sent {report.sent}, failed {report.failed}, retried {report.retried}; "
              f"{len(ids)} received in {worker_s:.2f} s ({n / worker_s:.0f}/s)")
        print(f"outbox states: {outbox.counts()}")
    finally:
        server.stop()
        models.close_database()
    result = {
        "count": n,
        "mails_per_s": round(n / worker_s, 1),
        "smtplib_per_s": round(n / smtplib_s, 1),
        "ratio": round(smtplib_s / worker_s, 3),
        "lost": n - unique,
        "duplicates": len(ids) - unique,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
