"""E-mail in: messages taken in per second, none lost, none twice.

    python bench/mail_in.py --count 1000 [--procs 2] [--db PATH | --db postgresql://...]

Builds COUNT messages like a help desk's mailbox receives them (new mail from
known contacts and from strangers, plain, HTML-only and Windows-1252, some
with an attachment, replies naming the protocol of a ticket opened earlier in
the run, and auto-replies), then PROCS processes feed every one of them
through the intake at once (`services.tickets.mail_in.receive`, the service
behind `atende mail-in` and the worker's IMAP fetch): each message arrives
PROCS times, as from a retrying MTA and two workers, and must count once.

Each person's message carries a token in its text; afterwards every token
must be in exactly one ticket or thread message: `lost` counts those in none,
`duplicates` the extra copies (and auto-replies that opened anything).
Last line: JSON with messages_per_s, lost, duplicates.
Target: 0 lost, 0 duplicates.
"""
from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py would shadow the standard library's `queue` (multiprocessing and psycopg need it)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KNOWN = 50
"""Contacts on record; the other senders are strangers (new prospects)."""


def message(i: int, run: str, protocol: str = "") -> tuple[bytes, str, bool]:
    """The i-th message: its bytes, its token, and whether a person wrote it."""
    token = f"tok-{run}-{i:06d}"
    sender = f"contato{i % KNOWN}@cliente{i % KNOWN}.example" if i % 3 else f"novo{i}@estranho.example"
    head = (f"From: Cliente {i} <{sender}>\r\nTo: suporte@atende.example\r\n"
            f"Message-ID: <{run}.{i}@bench.example>\r\nDate: Fri, 04 Dec 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\n")
    subject = f"Re: [#{protocol}] Sem conexão" if protocol else f"Chamado {i}: sem conexão"
    head += f"Subject: =?UTF-8?B?{base64.b64encode(subject.encode()).decode()}?=\r\n"
    if i % 17 == 0:
        return (head + "Auto-Submitted: auto-replied\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                f"Estou fora do escritório. {token}\r\n").encode(), token, False
    if i % 5 == 1:
        body = f"<html><body><p>Olá, a conexão caiu.</p><ul><li>{token}</li></ul></body></html>"
        return (head + "Content-Type: text/html; charset=utf-8\r\n\r\n" + body + "\r\n").encode(), token, True
    if i % 5 == 2:
        text = f"Cobrança “duplicada” – correção, por favor. {token}\r\n"
        return (head + "Content-Type: text/plain; charset=windows-1252\r\n\r\n").encode() + text.encode("cp1252"), \
            token, True
    if i % 5 == 3:
        pdf = base64.encodebytes(b"%PDF-1.4 " + token.encode() * 20).decode()
        return (head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                f"Segue a fatura. {token}\r\n--b\r\nContent-Type: application/pdf\r\n"
                f'Content-Disposition: attachment; filename="fatura-{i}.pdf"\r\n'
                f"Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--b--\r\n").encode(), token, True
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"A internet está sem conexão desde ontem. {token}\r\n").encode(), token, True


def _feed(target: str, config, messages: list[bytes], barrier, results) -> None:
    """One process: every message through the intake, in its own order."""
    sys.path.insert(0, str(ROOT))
    from services.store.database import open_store
    from services.tickets import mail_in

    open_store(target)
    barrier.wait()
    outcomes: Counter = Counter()
    errors = []
    for raw in messages:
        try:
            outcomes[mail_in.receive(raw, config, via="imap").outcome] += 1
        except Exception as exc:  # counted as lost below if it never got in
            errors.append(f"{type(exc).__name__}: {exc}")
    results.put({"outcomes": dict(outcomes), "errors": errors[:3], "failed": len(errors)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--procs", type=int, default=2, help="processes feeding every message at once")
    parser.add_argument("--db", help="database file or PostgreSQL URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    n = args.count

    import models
    from models import Contact, Customer, Queue, Ticket, write_tx
    from models.desk import TicketMessage
    from services.core.config import Config, MailInSettings, MailSettings
    from services.core.text import fold
    from services.store.database import open_store
    from services.tickets import mail_in

    target = args.db or str(Path(tempfile.mkdtemp(prefix="atende-bench-mail-in-")) / "bench.db")
    open_store(target)
    run = uuid.uuid4().hex[:8]  # a store used before keeps its rows: this run's Message-IDs are new
    with write_tx():
        if not Queue.select().where(Queue.name == "E-mail").exists():
            Queue.create(name="E-mail")
        for k in range(KNOWN):
            if not Contact.select().where(Contact.email == f"contato{k}@cliente{k}.example").exists():
                c = Customer.create(kind="customer", name=f"Cliente {k}", name_norm=fold(f"Cliente {k}"),
                                    email=f"contato{k}@cliente{k}.example")
                Contact.create(customer=c, name=f"Contato {k}", email=f"contato{k}@cliente{k}.example")
    config = Config(mail=MailSettings(sender="suporte@atende.example"), mail_in=MailInSettings(queue="E-mail"))
    # A tenth of the run are replies: to tickets the first messages open (taken in first, single-handed).
    seed = max(n // 10, 1)
    built = [message(i, run) for i in range(seed)]
    t0 = time.perf_counter()
    protocols = [mail_in.receive(raw, config).protocol for raw, _tok, _person in built]
    seed_s = time.perf_counter() - t0
    opened = [p for p in protocols if p]
    built += [message(i, run, opened[i % len(opened)] if i < seed * 2 and opened else "") for i in range(seed, n)]
    models.close_database()

    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(args.procs + 1), ctx.Queue()
    rest = [raw for raw, _tok, _person in built[seed:]]
    offsets = [j * len(rest) // args.procs for j in range(args.procs)]  # each starts elsewhere, then meets the rest
    procs = [ctx.Process(target=_feed, args=(target, config, rest[k:] + rest[:k], barrier, results))
             for k in offsets]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    t0 = time.perf_counter()
    reports = [results.get(timeout=1800) for _ in procs]
    feed_s = time.perf_counter() - t0
    for p in procs:
        p.join(timeout=30)

    open_store(target)
    with models.reading():
        texts = [p for (p,) in Ticket.select(Ticket.problem).where(Ticket.problem.contains(f"tok-{run}-")).tuples()]
        texts += [b for (b,) in TicketMessage.select(TicketMessage.body)
                  .where(TicketMessage.body.contains(f"tok-{run}-")).tuples()]
    models.close_database()
    found = Counter(tok for text in texts for tok in text.split() if tok.startswith(f"tok-{run}-"))
    people = {tok for _raw, tok, person in built if person}
    lost = len(people - set(found))
    duplicates = sum(c - 1 for tok, c in found.items() if tok in people) + sum(
        c for tok, c in found.items() if tok not in people)
    outcomes: Counter = Counter()
    for r in reports:
        outcomes.update(r["outcomes"])
    total = n - seed  # distinct messages fed by the processes
    rate = total / feed_s if feed_s else 0.0
    print(f"seeded {seed} tickets in {seed_s:.2f} s ({seed / seed_s:.0f}/s)")
    print(f"{args.procs} processes fed {total} messages each ({total * args.procs} deliveries) in {feed_s:.2f} s: "
          f"{rate:.0f} messages/s")
    print(f"outcomes: {dict(sorted(outcomes.items()))}; errors: {sum(r['failed'] for r in reports)} "
          f"{[e for r in reports for e in r['errors']][:3]}")
    print(f"lost {lost}, duplicates {duplicates}")
    print(json.dumps({
        "count": n, "procs": args.procs,
        "store": "postgresql" if "://" in target and not target.startswith("sqlite") else "sqlite",
        "messages_per_s": round(rate, 1), "lost": lost, "duplicates": duplicates,
    }))


if __name__ == "__main__":
    main()
