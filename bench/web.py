"""The web pages under a crowd: registrations for one event and access pages.

    python bench/web.py [--clients 50] [--registrations 300] [--seats 100] [--db PATH | --db postgresql://...]

Starts `atende web` (waitress) on a loopback port over a fresh store with one
public online event of --seats seats whose access window is open. --clients
threads, each a visitor behind the reverse proxy (its own X-Forwarded-For
address, its own cookie), register --registrations people at once: the event
page (form token), the form's POST, the confirmation page. Then every
participant's access page is opened (a GET, which must record nothing).

Checked afterwards in the store: exactly --seats registrations hold a seat and
the rest are on the waiting list (overbooked counts any difference), nobody is
marked present, every request answered as expected (errors).

Last line, one JSON object: requests_per_s, p95_ms, overbooked, errors (and
the other figures).
"""
from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py would shadow the standard library's `queue`
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def setup(db: str, seats: int) -> int:
    """A public online event with its registrations open and its access window open now."""
    import models
    from services.events import editing, event_types, pipeline
    from services.store import users
    from services.store.database import open_store

    open_store(db)
    admin = users.identify(users.session_login())
    online = next(t.id for t in event_types.list_types(admin) if t.format == "online")
    start = dt.datetime.now().replace(microsecond=0) + dt.timedelta(minutes=30)
    info = editing.create_event(admin, editing.EventInput(
        description="Webinar de carga", responsible_id=admin.id, starts_at=start,
        ends_at=start + dt.timedelta(hours=2), type_id=online, access_link="https://meet.example/carga",
        seats=seats, public=True))
    pipeline.move_event(admin, info.id, "preparation")
    pipeline.move_event(admin, info.id, "registration")
    models.close_database()
    return info.id


class Visitor:
    """One browser: a keep-alive connection, its cookie, its address behind the proxy."""

    def __init__(self, port: int, address: str, timings: list, errors: list) -> None:
        self.port, self.address, self.timings, self.errors = port, address, timings, errors
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | None = None, expect: int = 200) -> str:
        headers = {"X-Forwarded-For": self.address, "Accept-Language": "pt-BR"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            answer = self.conn.getresponse()
            text = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.errors.append(f"{method} {path}: {exc}")
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return ""
        self.timings.append(time.perf_counter() - started)
        for header, value in answer.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        if answer.status != expect:
            self.errors.append(f"{method} {path}: {answer.status}")
        return text

    def register(self, event_id: int, n: int) -> None:
        self.address, self.cookie = f"10.{n // 62500 % 250}.{n // 250 % 250}.{1 + n % 250}", ""  # a new visitor
        page = self.request("GET", f"/eventos/{event_id}")
        found = TOKEN.search(page)
        if not found:
            self.errors.append(f"no form token on /eventos/{event_id}")
            return
        self.request("POST", f"/eventos/{event_id}", {
            "csrf_token": found.group(1), "name": f"Participante {n}", "email": f"p{n}@carga.example",
            "phone": "", "company": "", "cpf": "", "consent": "yes", "website": ""}, expect=303)
        self.request("GET", f"/eventos/{event_id}/inscricao")


def crowd(clients: int, jobs: list, work) -> float:
    """Run `work(visitor, job)` for every job on `clients` threads; the seconds taken."""
    lock = threading.Lock()
    pending = list(reversed(jobs))

    def run(visitor: Visitor) -> None:
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop()
            work(visitor, job)

    visitors = [Visitor(PORT, f"10.{i // 250}.{i % 250}.{7 + i % 200}", TIMINGS, ERRORS) for i in range(clients)]
    threads = [threading.Thread(target=run, args=(v,)) for v in visitors]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


TIMINGS: list[float] = []
ERRORS: list[str] = []
PORT = 0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else 0.0


def main() -> None:
    global PORT
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--registrations", type=int, default=300)
    ap.add_argument("--seats", type=int, default=100)
    ap.add_argument("--threads", type=int, default=8, help="the server's threads")
    ap.add_argument("--db", help="a database file or a PostgreSQL URL (default: a temporary file)")
    args = ap.parse_args()
    from tests.smtp_server import free_port

    folder = tempfile.mkdtemp(prefix="atende-bench-web-")
    db = args.db or str(Path(folder) / "atende.db")
    event_id = setup(db, args.seats)
    PORT = free_port()
    server = subprocess.Popen([sys.executable, "-c", "from app import main; main()", "--db", db, "web",
                               "--port", str(PORT), "--threads", str(args.threads)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=2).request("GET", "/eventos/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("atende web did not start")
                time.sleep(0.2)
        register_s = crowd(args.clients, list(range(args.registrations)), lambda v, n: v.register(event_id, n))
        register_requests = len(TIMINGS)
        register_p95 = percentile(TIMINGS, 0.95)

        import models
        from models.events import Registration
        from services.store.database import open_store

        open_store(db)
        with models.reading():
            tokens = [r.access_token for r in Registration.select(Registration.access_token)
                      .where(Registration.event == event_id)]
        models.close_database()
        access_s = crowd(args.clients, tokens, lambda v, token: v.request("GET", f"/acesso/{token}"))
        open_store(db)
        with models.reading():
            rows = list(Registration.select().where(Registration.event == event_id))
        seated = sum(1 for r in rows if not r.waitlisted and r.cancelled_at is None)
        waiting = sum(1 for r in rows if r.waitlisted)
        present = sum(1 for r in rows if r.came_at is not None)
        models.close_database()
    finally:
        server.terminate()
        server.wait(10)
    import resource

    server_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_cpu = resource.getrusage(resource.RUSAGE_SELF)
    expected_seated = min(args.seats, args.registrations)
    overbooked = abs(seated - expected_seated) + abs(len(rows) - args.registrations)
    total_s = register_s + access_s
    figures = {
        "store": "postgresql" if db.startswith("postgresql") else "sqlite", "clients": args.clients,
        "server_threads": args.threads, "requests": len(TIMINGS),
        "requests_per_s": round(len(TIMINGS) / total_s, 1), "p95_ms": round(percentile(TIMINGS, 0.95), 1),
        "p50_ms": round(percentile(TIMINGS, 0.5), 1),
        "register_requests_per_s": round(register_requests / register_s, 1),
        "register_p95_ms": round(register_p95, 1), "access_pages_per_s": round(len(tokens) / access_s, 1),
        "registrations": len(rows), "seated": seated, "waiting_list": waiting, "marked_present": present,
        "overbooked": overbooked, "errors": len(ERRORS) + present,
        "server_cpu_s": round(server_cpu.ru_utime + server_cpu.ru_stime, 1),
        "clients_cpu_s": round(own_cpu.ru_utime + own_cpu.ru_stime, 1),
    }
    print(f"{args.registrations} registrations by {args.clients} visitors for {args.seats} seats, "
          f"then {len(tokens)} access pages ({figures['store']}, {args.threads} server threads)")
    print(f"  requests: {len(TIMINGS)} in {total_s:.1f} s = {figures['requests_per_s']}/s; "
          f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms")
    print(f"  registering: {figures['register_requests_per_s']} requests/s, p95 {figures['register_p95_ms']} ms; "
          f"access pages: {figures['access_pages_per_s']}/s")
    print(f"  seated {seated}, waiting list {waiting}, present {present}, overbooked {overbooked}, "
          f"errors {len(ERRORS)}")
    print(f"  CPU: server {figures['server_cpu_s']} s, the bench's visitors {figures['clients_cpu_s']} s "
          f"(on {os.cpu_count()} cores)")
    for line in ERRORS[:5]:
        print("  error:", line)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
