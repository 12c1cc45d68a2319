"""The shared writer (services.group_commit): sessions' reserves and finishes
committed in groups, with the same checks, never twice, never lost."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import selectors
import socket
import threading
import time

import pytest

from models import Ticket, db
from models.wizard import WriteRequest
from services import clock, group_commit, i18n, users, wizard
from services.errors import Conflict, ValidationError
from services.quickopen import SCHEMA_VERSION
from tests.writer_process import running_writer
from tests.wizard_world import make_world

DEADLINE = 30.0  # only a test that would never pass waits this long


@pytest.fixture
def world(admin):
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 10, 0))
    return make_world()


@pytest.fixture
def writer(store):
    """A writer for the test's database, in a thread of this process (its own connection)."""
    stop = threading.Event()
    w = group_commit.Writer(stop)
    w.bind()
    thread = threading.Thread(target=w.serve, daemon=True)
    thread.start()
    group_commit._client.off_until = 0.0
    yield w
    stop.set()
    thread.join(DEADLINE)
    group_commit.disconnect()
    group_commit._client.off_until = 0.0
    assert not thread.is_alive()


def ready(admin, world, d=None, **extra):
    c = world["customers"][0]
    d = d or wizard.start(admin)
    fields = dict(kind="customer", customer_id=c.id, customer_name=c.name, contact_id=c.contacts[0].id,
                  plan_id=c.plans[0].id, problem="Sem internet desde ontem", queue_id=world["queue"].id,
                  type_id=world["outage"].id, responsible_role="agent", step="first_contact")
    return wizard.update(d, **{**fields, **extra})


def live_count() -> int:
    return db.execute_sql("SELECT n FROM live_change WHERE topic = 'data'").fetchone()[0]


def request(op, login, args, **extra) -> dict:
    return {"id": group_commit.new_request_id(), "v": SCHEMA_VERSION, "op": op, "login": login, "lang": "en",
            "args": args, **extra}


class Session:
    """One end of a socket pair standing for a connected session: `_run` answers on it."""

    def __init__(self, uid=None, login=None):
        self.mine, theirs = socket.socketpair()
        self.conn = group_commit._Conn(theirs, os.getuid() if uid is None else uid,
                                       users.os_login() if login is None else login)

    def answer(self) -> dict:
        self.mine.settimeout(DEADLINE)
        return json.loads(group_commit._read_frame(self.mine))


def run_group(w, pairs):
    """Run one group the way the loop does: [(Session, request)] -> answers."""
    sel = selectors.DefaultSelector()
    w._run([(s.conn, r) for s, r in pairs], sel)
    return [s.answer() for s, _r in pairs]


@pytest.fixture
def bound(store):
    """A Writer with its socket bound, whose groups the test runs by hand."""
    w = group_commit.Writer(threading.Event())
    w.bind()
    group_commit._client.off_until = time.monotonic() + 3600  # nobody answers on it: sessions write themselves
    yield w
    w.close()
    group_commit._client.off_until = 0.0


# ----------------------------------------------------------------------------- through the socket


def test_reserve_and_finish_go_through_the_writer(admin, world, writer):
    d = ready(admin, world)
    done = wizard.finish(admin, d)
    assert done.status == "open" and done.protocol == d.protocol
    assert writer.stats.requests == 2
    t = Ticket.get(Ticket.protocol == d.protocol)
    assert (t.status, t.created_by_id, t.customer_id) == ("open", admin.id, world["customers"][0].id)
    assert {r.op for r in WriteRequest.select()} == {"reserve", "finish"}


def test_the_writers_errors_come_back_as_the_services_own(admin, world, writer):
    d = ready(admin, world)
    wizard.finish(admin, d)
    with pytest.raises(Conflict, match="already open"):
        wizard.finish(admin, d)
    with pytest.raises(ValidationError) as err:
        wizard.finish(admin, ready(admin, world, queue_id=999_999))
    assert set(err.value.errors) == {"queue"}
    assert writer.stats.requests == 5


def test_threads_of_many_sessions_get_unique_numbers_and_nothing_is_lost(admin, world, writer):
    protocols, errors = [], []

    def agent():
        try:
            for _ in range(15):
                d = ready(admin, world)
                wizard.finish(admin, d)
                protocols.append(d.protocol)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=agent) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE)
    assert errors == []
    assert len(protocols) == len(set(protocols)) == 90
    assert Ticket.select().where(Ticket.protocol.in_(protocols), Ticket.status == "open").count() == 90
    assert writer.stats.requests == 180


def test_no_writer_means_the_session_writes_itself(admin, world, db_path):
    assert group_commit.call("reserve", admin, {}) is None
    stale = group_commit.socket_path()
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.fspath(stale))  # a socket file nobody listens on (a writer that died)
    sock.close()
    group_commit._client.off_until = 0.0
    d = ready(admin, world)
    assert wizard.finish(admin, d).status == "open"
    assert not WriteRequest.select().exists()
    group_commit._client.off_until = 0.0


def test_a_writer_that_dies_before_answering_leaves_the_session_to_write_once(admin, world, store):
    """A 'writer' that reads each request and hangs up: the session asks once
    more, then writes the ticket itself, exactly once."""
    path = group_commit.socket_path()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.fspath(path))
    listener.listen(8)
    seen = []

    def hang_up():
        listener.settimeout(DEADLINE)
        for _ in range(4):  # two tries for the reserve, two for the finish
            conn, _addr = listener.accept()
            seen.append(json.loads(group_commit._read_frame(conn)))
            conn.close()

    t = threading.Thread(target=hang_up)
    t.start()
    group_commit._client.off_until = 0.0
    try:
        d = ready(admin, world)
        wizard.finish(admin, d)
    finally:
        t.join(DEADLINE)
        listener.close()
        path.unlink()
        group_commit.disconnect()
    assert [r["op"] for r in seen] == ["reserve", "reserve", "finish", "finish"]
    assert seen[0]["id"] == seen[1]["id"] and seen[1].get("retry")
    assert Ticket.get(Ticket.protocol == d.protocol).status == "open"
    assert Ticket.select().count() == 1
    assert WriteRequest.select().count() == 2  # written by the session, under the writer's ids


# ----------------------------------------------------------------------------- groups, by hand


def test_a_group_is_one_commit_and_a_failing_request_spoils_only_itself(admin, world, bound):
    first = ready(admin, world)
    wizard.finish(admin, first)  # finishing it again is a conflict
    drafts = [ready(admin, world) for _ in range(3)]
    before = live_count()
    sessions = [Session() for _ in range(5)]
    answers = run_group(bound, [
        (sessions[0], request("finish", admin.login, {"draft": wizard.to_json(drafts[0])})),
        (sessions[1], request("finish", admin.login, {"draft": wizard.to_json(first)})),
        (sessions[2], request("reserve", admin.login, {})),
        (sessions[3], request("finish", admin.login, {"draft": wizard.to_json(drafts[1])})),
        (sessions[4], request("finish", admin.login, {"draft": wizard.to_json(
            wizard.update(drafts[2], queue_id=None))})),
    ])
    assert live_count() == before + 1  # one transaction for the whole group
    assert answers[0]["ok"]["status"] == "open" and answers[3]["ok"]["status"] == "open"
    assert answers[1]["error"]["kind"] == "Conflict" and "already open" in answers[1]["error"]["message"]
    assert answers[4]["error"] == {"kind": "ValidationError", "errors": {"queue": "Choose the destination"}}
    reserved = answers[2]["ok"]["protocol"]
    status = {t.protocol: t.status for t in Ticket.select()}
    assert status[drafts[0].protocol] == status[drafts[1].protocol] == "open"
    assert status[drafts[2].protocol] == "draft" and status[reserved] == "draft"
    assert WriteRequest.select().count() == 3  # the failures stored nothing


def test_a_request_failing_after_it_wrote_takes_back_its_own_writes_only(admin, world, bound):
    """The finish below fails on the technician's agenda, after it has
    already turned its ticket from draft to open: its savepoint takes that
    back, while the good request before it in the group commits."""
    tech = world["tech"]
    order = wizard.make_service_order(tech.id, "09/03/2026", "14:00", "60", world["os_type"].id)
    clash = wizard.make_service_order(tech.id, "09/03/2026", "14:30", "30", world["os_type"].id)
    good, bad = ready(admin, world), ready(admin, world)
    bad = dataclasses.replace(bad, service_orders=(order, clash))
    answers = run_group(bound, [
        (Session(), request("finish", admin.login, {"draft": wizard.to_json(good)})),
        (Session(), request("finish", admin.login, {"draft": wizard.to_json(bad)})),
    ])
    assert answers[0]["ok"]["status"] == "open"
    assert answers[1]["error"]["kind"] == "ValidationError" and "service_orders" in answers[1]["error"]["errors"]
    status = {t.protocol: t.status for t in Ticket.select()}
    assert status[good.protocol] == "open" and status[bad.protocol] == "draft"
    assert not db.execute_sql("SELECT count(*) FROM service_order").fetchone()[0]
    assert [r.op for r in WriteRequest.select()] == ["finish"]
    # and the writer's connection is usable for the next group
    assert run_group(bound, [(Session(), request("finish", admin.login, {"draft": wizard.to_json(
        dataclasses.replace(bad, service_orders=(order,)))}))])[0]["ok"]["service_orders"] == 1


def test_asking_again_with_the_same_id_returns_the_same_ticket(admin, world, bound):
    req = request("reserve", admin.login, {})
    first = run_group(bound, [(Session(), req)])[0]["ok"]
    again = run_group(bound, [(Session(), dict(req, retry=True))])[0]["ok"]
    assert again == first
    # ...and so does the session writing it itself after a lost answer
    assert group_commit._write_here(dict(req), admin) == first
    assert Ticket.select().where(Ticket.status == "draft").count() == 1


def test_a_session_that_wrote_itself_first_wins_over_the_writer(admin, world, bound):
    d = ready(admin, world)
    req = request("finish", admin.login, {"draft": wizard.to_json(d)})
    mine = group_commit._write_here(dict(req), admin)  # the answer was lost; the writer is slow
    late = run_group(bound, [(Session(), dict(req, retry=True))])[0]["ok"]
    assert late == mine
    assert Ticket.get(Ticket.protocol == d.protocol).status == "open"


def test_nobody_writes_as_someone_else(admin, world, bound, people, db_path):
    assert group_commit.may_act_as(os.getuid(), admin.login, db_path)
    assert group_commit.may_act_as(54321, "zed", db_path, "zed")  # one's own login
    assert not group_commit.may_act_as(54321, admin.login, db_path, "zed")  # not owner of the file
    assert group_commit.may_act_as(os.getuid(), "t_agent", db_path, "someone")  # owns the file: ATENDE_USER
    stranger = Session(uid=54321, login="zed")
    owner = Session()
    answers = run_group(bound, [(stranger, request("reserve", admin.login, {})),
                                (owner, request("reserve", "t_agent", {}))])
    assert answers[0]["error"] == {"kind": "PermissionDenied",
                                   "message": "You may act only as yourself on this database"}
    assert "ok" in answers[1]
    assert Ticket.get(Ticket.protocol == answers[1]["ok"]["protocol"]).created_by_id == people["agent"].id


def test_the_services_permissions_hold_in_the_writer(admin, world, bound, people):
    users.add(admin, "rep1", "representative", name="Rep", company_id=world["customers"][0].id)
    ticket_count = Ticket.select().count()
    answers = run_group(bound, [(Session(), request("reserve", "rep1", {})),
                                (Session(), request("reserve", "nobody_here", {}))])
    assert answers[0]["error"]["kind"] == "PermissionDenied"
    assert answers[1]["error"]["kind"] == "UnknownUser"
    assert Ticket.select().count() == ticket_count


def test_answers_speak_the_sessions_language(admin, world, bound):
    d = ready(admin, world)
    wizard.finish(admin, d)
    req = request("finish", admin.login, {"draft": wizard.to_json(d)}, lang="pt_BR")
    answer = run_group(bound, [(Session(), req)])[0]
    with i18n.using_language("pt_BR"):
        expected = i18n._("Ticket {protocol} is already {status} (by {login})")
    assert expected != "Ticket {protocol} is already {status} (by {login})"
    assert answer["error"]["message"].startswith(expected.split("{")[0])
    assert i18n.current_language() == "en"


def test_another_version_or_operation_is_left_to_the_session(admin, bound):
    answers = run_group(bound, [(Session(), request("reserve", admin.login, {}, v="0001_old")),
                                (Session(), request("teleport", admin.login, {}))])
    assert [a["error"]["kind"] for a in answers] == ["internal", "internal"]
    assert not Ticket.select().exists()


def test_files_must_be_in_the_tickets_folder(admin, world, bound):
    d = ready(admin, world)
    answer = run_group(bound, [(Session(), request("finish", admin.login, {
        "draft": wizard.to_json(d),
        "attachments": [[{"source": "/etc/passwd", "name": "x", "size": 1}, "../../etc/passwd"]]}))])[0]
    assert answer["error"]["kind"] == "ValidationError"
    assert Ticket.get(Ticket.protocol == d.protocol).status == "draft"


def test_one_writer_per_database_and_the_socket_follows_the_files_permissions(store, db_path):
    os.chmod(db_path, 0o660)
    w = group_commit.Writer(threading.Event())
    w.bind()
    try:
        assert os.stat(w.path).st_mode & 0o777 == 0o660
        with pytest.raises(group_commit.ConfigError, match="already runs"):
            group_commit.Writer(threading.Event()).bind()
    finally:
        w.close()
    assert not w.path.exists()
    os.chmod(db_path, 0o600)
    w = group_commit.Writer(threading.Event())
    w.bind()
    try:
        assert os.stat(w.path).st_mode & 0o777 == 0o600
    finally:
        w.close()


# ----------------------------------------------------------------------------- the command


def test_atende_writer_serves_sessions_and_stops_cleanly(admin, world, db_path):
    sock = group_commit.socket_path()
    with running_writer(db_path) as w:
        group_commit._client.off_until = 0.0
        clock.set_clock(None)  # the writer's clock is its own: the real one
        d = ready(admin, world)
        assert wizard.finish(admin, d).status == "open"
        assert WriteRequest.select().count() == 2  # the writer process did both
        group_commit.disconnect()
    assert w.returncode == 0, w.stderr
    assert "2 requests in 2 commits" in w.stderr
    assert "Traceback" not in w.stderr
    assert not sock.exists()


def test_doctor_says_whether_the_writer_runs(store, db_path):
    from services import doctor

    def line():
        return next(c for c in doctor.run(doctor.Config(), str(db_path))
                    if c.name == "writer")

    assert group_commit.writer_state(db_path) == "none"
    assert line().ok and "not running (optional)" in line().message
    w = group_commit.Writer(threading.Event())
    w.bind()
    try:
        assert group_commit.writer_state(db_path) == "running"
        assert line().ok and line().message.startswith("running")
    finally:
        w.close()
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.fspath(group_commit.socket_path()))  # left by a writer that was killed
    sock.close()
    assert group_commit.writer_state(db_path) == "stopped"
    assert not line().ok and line().warning and "atende writer" in line().message
    assert (db_path.parent / f"{db_path.name}.writer.lock").stat().st_mode & 0o007 == 0  # nothing for others


def test_a_stored_answer_goes_only_to_whoever_asked_first(admin, world, bound, people):
    req = request("reserve", admin.login, {})
    first = run_group(bound, [(Session(), req)])[0]["ok"]
    other = run_group(bound, [(Session(), dict(req, login="t_agent", retry=True))])[0]
    assert other["error"] == {"kind": "internal"}  # neither the answer nor a second ticket
    assert Ticket.select().where(Ticket.status == "draft").count() == 1
    assert Ticket.get(Ticket.protocol == first["protocol"]).created_by_id == admin.id


def test_a_full_disk_in_the_middle_of_a_group_saves_nobody_and_says_so(admin, world, bound):
    """SQLite rolls the whole group's transaction back at SQLITE_FULL: the
    requests answered before it were never saved, so none may be told "ok"
    (their tickets would not exist), and the ones after it must not commit
    one by one outside the group. Every session is told the store is full."""
    big = ready(admin, world, problem="x" * 19_000)
    before = {t.protocol for t in Ticket.select()}
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages + 2}")  # room for a reservation, not for the big text
    try:
        answers = run_group(bound, [
            (Session(), request("reserve", admin.login, {})),
            (Session(), request("finish", admin.login, {"draft": wizard.to_json(big)})),
            (Session(), request("reserve", admin.login, {})),
        ])
    finally:
        db.execute_sql("PRAGMA max_page_count = 1073741823")
    assert [a.get("error", {}).get("kind") for a in answers] == ["unavailable"] * 3
    assert all("is full" in a["error"]["message"] for a in answers)
    assert {t.protocol for t in Ticket.select()} == before
    assert not WriteRequest.select().exists()
    assert Ticket.get(Ticket.protocol == big.protocol).status == "draft"
    # the next group, with room again, is saved
    assert run_group(bound, [(Session(), request("finish", admin.login, {"draft": wizard.to_json(big)}))]
                     )[0]["ok"]["status"] == "open"
