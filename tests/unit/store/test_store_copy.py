"""`atende store copy`: a whole store from SQLite to PostgreSQL and back."""
from __future__ import annotations

import subprocess
import sys

import pytest

import models
from models import Customer, Queue, Ticket, write_tx
from services.core.errors import Conflict, PermissionDenied
from services.store import users
from services.store.copy import copy_store
from services.store.database import StoreError, files_root, open_store
from tests import pg
from tests.conftest import ROOT


@pytest.fixture
def filled(store, people):
    """An SQLite store with people, a ticket, a customer and a file."""
    import datetime as dt

    from models import User

    now = dt.datetime(2026, 3, 2, 10, 0)
    with write_tx():
        customer = Customer.create(kind="customer", name="Maria da Conceição", name_norm="maria da conceicao",
                                   doc="52998224725")
        queue = Queue.create(name="Suporte")
        Ticket.create(protocol="20260302000001", status="open", queue=queue, customer=customer, problem="sem internet",
                      created_by=User.get(User.login == "t_agent"), created_at=now, updated_at=now)
    (files_root() / "tickets").mkdir(parents=True)
    (files_root() / "tickets" / "foto.jpg").write_bytes(b"\xff\xd8 bytes")
    return people


@pytest.mark.sqlite_only
def test_sqlite_to_postgresql_and_back(filled, store, pg_cluster, tmp_path):
    import json
    import shutil

    from models.mail import Outbox
    from services.mail import outbox
    from services.mail.transport import attachment_file

    admin = filled["admin"]
    agenda = tmp_path / "agenda.pdf"
    agenda.write_bytes(b"%PDF agenda")
    with write_tx():
        mail = outbox.queue(to="a@example.com", subject="Agenda", text="x", attachments=[agenda])
    url = pg_cluster.create_database(pg.unique_name())
    report = copy_store(admin, str(store), url)
    assert report.matches and report.files == 2
    [recorded] = json.loads(Outbox.get_by_id(mail).attachments)
    assert not recorded["path"].startswith("/")  # its place, found by every host in its own folder
    shutil.rmtree(files_root(), ignore_errors=True)  # another host's worker: nothing of it here yet
    assert attachment_file(recorded["path"]).read_bytes() == b"%PDF agenda"
    counts = {t.table: t.target for t in report.tables}
    assert counts["ticket"] == 1 and counts["customer"] == 1 and counts["user"] == 4
    assert Ticket.get().problem == "sem internet"  # the target is open now
    with write_tx():  # the server's ids go on after the copied ones
        assert Queue.create(name="Financeiro").id > Queue.get(Queue.name == "Suporte").id
    back = tmp_path / "back" / "atende.db"
    report = copy_store(admin, url, str(back))
    assert report.matches and report.files == 2
    [recorded] = json.loads(Outbox.get_by_id(mail).attachments)
    assert attachment_file(recorded["path"]).read_bytes() == b"%PDF agenda"
    assert (back.parent / "atende-files" / "tickets" / "foto.jpg").read_bytes() == b"\xff\xd8 bytes"
    assert Ticket.get().problem == "sem internet" and users.identify(admin.login).role == "admin"


@pytest.mark.sqlite_only
def test_only_into_an_empty_store_and_a_failure_leaves_it_empty(filled, store, pg_cluster):
    admin = filled["admin"]
    with pytest.raises(PermissionDenied):
        copy_store(filled["agent"], str(store), "postgresql://nowhere/x")
    with pytest.raises(Conflict):
        copy_store(admin, str(store), str(store))
    url = pg_cluster.create_database(pg.unique_name())
    with write_tx():  # SQLite keeps what PostgreSQL refuses (a name longer than its column)
        Customer.create(kind="customer", name="x" * 500, name_norm="x")
    with pytest.raises(StoreError, match="Nothing was copied"):
        copy_store(admin, str(store), url)
    assert Customer.select().count() == 0 and Ticket.select().count() == 0  # the target, still empty
    models.close_database()
    open_store(str(store))
    Customer.delete().where(Customer.name == "x" * 500).execute()
    assert copy_store(admin, str(store), url).matches  # and may be copied into once the source is fixed
    models.close_database()
    open_store(str(store))
    with pytest.raises(Conflict, match="not empty"):
        copy_store(admin, str(store), url)


@pytest.mark.sqlite_only
def test_the_command_prints_the_counts_and_says_a_failure_in_one_line(filled, store, pg_cluster):
    url = pg_cluster.create_database(pg.unique_name())
    models.close_database()
    run = lambda *args: subprocess.run([sys.executable, "-c", "from app import main; main()", *args],  # noqa: E731
                                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    r = run("store", "copy", str(store), url)
    assert r.returncode == 0, r.stderr
    assert "Every table's rows were copied." in r.stdout and "ticket" in r.stdout
    r = run("store", "copy", str(store), url)
    assert r.returncode != 0 and r.stderr.strip().splitlines()[-1].startswith("atende: ") and "not empty" in r.stderr
