"""Queue views at scale: first page of each view, paging forward, full-text search.

    python bench/queue.py --tickets 100000 [--db postgresql://... an empty database]

Fills a fresh database with tickets (and one message for every other ticket),
then times `services.tickets.queues.page` the way the queue screen calls it.
Last line: JSON with tickets, page_p95_ms, search_p95_ms. Target: both <= 20 ms.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("modem", "roteador", "sinal", "fibra", "lentidão", "boleto", "queda", "senha", "wifi", "cabo",
         "reiniciar", "conexão", "óptico", "instalação", "mudança", "endereço", "pagamento", "antena")
STATUSES = ("open", "in_progress", "waiting_customer", "resolved", "finished", "finished", "finished")


def p95(samples: list[float]) -> float:
    samples = sorted(samples)
    return samples[max(0, int(len(samples) * 0.95) - 1)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", help="an empty PostgreSQL database's URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    import models
    from models import Customer, Queue, Ticket, TicketType, User, db, write_tx
    from models.desk import TicketMessage
    from services.core.permissions import Actor
    from services.store import users
    from services.store.database import open_store
    from services.tickets import queues as desk

    folder = Path(tempfile.mkdtemp(prefix="atende-bench-queue-"))
    open_store(args.db or str(folder / "bench.db"))
    rng = random.Random(4)
    users.identify(users.session_login())  # on the empty database this login becomes its admin
    t0 = time.perf_counter()
    with write_tx():
        queues = [Queue.create(name=f"Fila {i}") for i in range(6)]
        types = [TicketType.create(name=f"Tipo {i}", queue=queues[i % 6]) for i in range(20)]
        agents = [User.create(login=f"agent{i}", name=f"Agente {i}", role="agent") for i in range(30)]
        for c0 in range(0, 20_000, 500):
            Customer.insert_many([{"kind": "customer", "name": f"Cliente {i}", "name_norm": f"cliente {i}"}
                                  for i in range(c0, c0 + 500)]).execute()
    base = dt.datetime(2026, 1, 1)
    batch = 200
    for start in range(0, args.tickets, batch):
        rows, msgs = [], []
        for i in range(start, min(args.tickets, start + batch)):
            at = base + dt.timedelta(minutes=i)
            t = types[rng.randrange(len(types))]
            rows.append({
                "id": i + 1, "protocol": f"2026{i:09d}", "status": rng.choice(STATUSES),
                "customer": rng.randrange(1, 20_001), "queue": t.queue_id, "type": t.id,
                "responsible": agents[rng.randrange(30)].id if rng.random() < 0.9 else None,
                "subject": " ".join(rng.sample(WORDS, 2)), "problem": " ".join(rng.sample(WORDS, 6)) + f" caso{i}",
                "script_report": " ".join(rng.sample(WORDS, 4)) if i % 3 == 0 else "",
                "created_by": agents[0].id, "created_at": at,
                "updated_at": at + dt.timedelta(minutes=rng.randrange(0, 600)), "version": 1})
            if i % 2 == 0:
                msgs.append({"ticket": i + 1, "kind": "public" if i % 4 else "internal",
                             "body": " ".join(rng.sample(WORDS, 8)), "author": agents[1].id,
                             "author_login": "agent1", "created_at": at})
        with write_tx():
            Ticket.insert_many(rows).execute()
            TicketMessage.insert_many(msgs).execute()
    with write_tx():
        db.execute_sql("ANALYZE")
        if models.is_sqlite():  # merge the search index's segments, as after any bulk load
            db.execute_sql("INSERT INTO ticket_doc_fts(ticket_doc_fts) VALUES ('optimize')")
    print(f"filled {args.tickets} tickets in {time.perf_counter() - t0:.1f} s")

    ana = Actor(login="agent3", name="Agente 3", role="agent", id=agents[3].id)
    views = [v.key for v in desk.views(ana)]
    views = views[:5] + [f"queue:{queues[0].id}", f"type:{types[0].id}"]

    first, forward, search = [], [], []
    per_view = {}
    for view in views:
        samples = []
        for _r in range(args.repeat):
            w = time.perf_counter()
            page = desk.page(ana, view)
            samples.append(time.perf_counter() - w)
        first += samples
        per_view[view] = round(p95(samples), 2)
        after = page.next_cursor
        for _r in range(10):
            if after is None:
                break
            w = time.perf_counter()
            page = desk.page(ana, view, after=after)
            forward.append(time.perf_counter() - w)
            after = page.next_cursor
    for sort in desk.SORTS:
        w = time.perf_counter()
        desk.page(ana, "open", sort=sort)
        # other sort columns are reported, not part of the target
        per_view[f"open sorted by {sort}"] = round((time.perf_counter() - w) * 1000, 2)
    queries = ["fibra", "modem roteador", "caso4242", "óptico", "2026000050000", "status:open senha",
               'type:"Tipo 3" agent:agent3 wifi', "reinic"]
    per_search = {}
    for q in queries:
        samples = []
        for _r in range(args.repeat):
            w = time.perf_counter()
            desk.page(ana, "all", q)
            samples.append(time.perf_counter() - w)
        search += samples
        per_search[q] = round(p95(samples), 2)
    w = time.perf_counter()
    total = desk.count(ana, "all")
    count_ms = (time.perf_counter() - w) * 1000
    for k, v in per_view.items():
        print(f"first page {k}: p95 {v} ms")
    for k, v in per_search.items():
        print(f"search {k!r}: p95 {v} ms")
    print(f"paging forward: p95 {p95(forward):.2f} ms over {len(forward)} pages")
    print(f"count of all ({total}): {count_ms:.1f} ms (lazy, not in the target)")
    models.close_database()
    page_p95 = p95(first + forward)
    result = {"tickets": args.tickets, "page_p95_ms": round(page_p95, 2), "search_p95_ms": round(p95(search), 2),
              "first_page_p95_ms": round(p95(first), 2), "forward_p95_ms": round(p95(forward), 2),
              "target_ms": 20, "ok": page_p95 <= 20 and p95(search) <= 20}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
