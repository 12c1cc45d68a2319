"""Mail throughput: the worker's real path against plain smtplib, same run.

    python bench/mail.py --count 1000 [--workers 2] [--db PATH | --db postgresql://...]

Queues COUNT e-mails in a fresh database (or the store --db names: a
PostgreSQL database's URL, an empty one or one used before), starts a local
SMTP server (aiosmtpd on loopback), sends the same messages once with plain
smtplib over one connection, then lets the worker send the outbox (claim,
hand, commit per mail, one yagmail connection per batch), and counts what
arrived. With --workers N, N worker processes send the same outbox at once
(on PostgreSQL they stand for workers on several hosts): each e-mail must
arrive exactly once.
Last line: JSON with mails_per_s, smtplib_per_s, lost, duplicates.
Target: mails_per_s >= 0.4 x smtplib_per_s, 0 lost, 0 duplicates.
"""
from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py would shadow the standard library's `queue` (multiprocessing and psycopg need it)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import smtplib  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _send(target: str, port: int, barrier, results) -> None:
    """One worker process: sends what is due until nothing is left."""
    sys.path.insert(0, str(ROOT))
    from services.core.config import MailSettings
    from services.mail.transport import SmtpTransport
    from services.ops import worker
    from services.store.database import open_store

    open_store(target)
    settings = MailSettings(host="127.0.0.1", port=port, security="plain", sender="Atende <atende@example.com>")
    barrier.wait()
    report = worker.send_due(SmtpTransport(settings, None))
    results.put({"sent": report.sent, "failed": report.failed, "retried": report.retried,
                 "errors": report.errors[:3]})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes sending at once")
    parser.add_argument("--db", help="database file or PostgreSQL URL (default: a temporary SQLite file)")
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

    target = args.db or str(Path(tempfile.mkdtemp(prefix="atende-bench-mail-")) / "bench.db")
    open_store(target)
    run = uuid.uuid4().hex[:8]  # a store used before keeps its rows: this run's keys are new
    t0 = time.perf_counter()
    with write_tx():
        ids = [outbox.queue(to=f"Participante {i} <p{i}@example.com>", subject=f"Lembrete: Treinamento {i}",
                            text=f"Olá, participante {i}.\n\nO treinamento começa amanhã às 09:00.\n" * 3,
                            html=f"<p>Olá, participante {i}.</p>", key=f"bench:{run}:{i}", kind="reminder_1d")
               for i in range(n)]
    expected = {f"<{outbox.message_id_seed(mail_id, f'bench:{run}:{i}')}@example.com>"
                for i, mail_id in enumerate(ids)}
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

            rows = [outbox.as_item(r) for r in Outbox.select().where(Outbox.id.in_(ids)).order_by(Outbox.id)]
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
        if args.workers <= 1:
            t0 = time.perf_counter()
            report = worker.send_due(SmtpTransport(settings, None))
            server.wait_for(n, timeout=120)
            worker_s = time.perf_counter() - t0
            reports = [{"sent": report.sent, "failed": report.failed, "retried": report.retried}]
        else:
            ctx = mp.get_context("spawn")
            barrier, results = ctx.Barrier(args.workers + 1), ctx.Queue()
            procs = [ctx.Process(target=_send, args=(target, server.port, barrier, results))
                     for _ in range(args.workers)]
            for p in procs:
                p.start()
            barrier.wait(timeout=120)
            t0 = time.perf_counter()
            reports = [results.get(timeout=600) for _ in procs]
            server.wait_for(n, timeout=120)
            worker_s = time.perf_counter() - t0
            for p in procs:
                p.join(timeout=30)
        time.sleep(0.2)  # anything sent twice arrives too
        received = server.recorder.message_ids()
        mine = [m for m in received if m in expected]
        sent = sum(r["sent"] for r in reports)
        print(f"worker{'s' if args.workers > 1 else ''} ({args.workers}): sent {sent} "
              f"({', '.join(str(r['sent']) for r in reports)}), failed {sum(r['failed'] for r in reports)}, "
              f"retried {sum(r['retried'] for r in reports)}; {len(mine)} received in {worker_s:.2f} s "
              f"({n / worker_s:.0f}/s)")
        print(f"outbox states: {outbox.counts()}")
    finally:
        server.stop()
        models.close_database()
    result = {
        "count": n,
        "workers": args.workers,
        "store": "postgresql" if "://" in target and not target.startswith("sqlite") else "sqlite",
        "mails_per_s": round(n / worker_s, 1),
        "smtplib_per_s": round(n / smtplib_s, 1),
        "ratio": round(smtplib_s / worker_s, 3),
        "sent_by_worker": [r["sent"] for r in reports],
        "lost": len(expected - set(mine)),
        "duplicates": len(mine) - len(set(mine)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
