"""The access points' MikroTik routers: settings, the keyring, and sessions read
from a RouterOS API server on 127.0.0.1 (tests/routeros.py) by the real client."""
import pytest
from click.testing import CliRunner

from models import AccessPoint, AuditLog, Plan, write_tx
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.customers import router
from tests.routeros import FakeRouter, memory_keyring
from tests.scenes import make_desk

SESSION = {"/ppp/active": [{"name": "login0", "address": "100.64.0.9", "caller-id": "AA:BB", "uptime": "1h2m"},
                           {"name": "other", "address": "100.64.0.10"}],
           "/interface": [{"name": "<pppoe-login0>", "tx-byte": str(5 * 1024 ** 3), "rx-byte": "1024"}],
           "/system/identity": [{"name": "RB-Se"}]}


@pytest.fixture
def ring(monkeypatch):
    monkeypatch.delenv("ATENDE_NO_KEYRING", raising=False)
    with memory_keyring() as memory:
        yield memory


@pytest.fixture
def desk(admin):
    return make_desk()


def test_plan_session_read_from_the_router(admin, desk, ring):
    plan = desk["customers"][0].plans[0]
    ap = plan.access_point_id
    assert "No router is configured" in router.router_data(admin, plan.id).message
    with FakeRouter(tables=SESSION) as server:
        router.set_router(admin, ap, host="127.0.0.1", port=str(server.port), user="api")
        refused = router.router_data(admin, plan.id)
        assert not refused.ok and refused.message == (
            "The router 127.0.0.1 refused the login: invalid user name or password (6)")
        router.set_password(admin, "pop sé", "s3cret")
        data = router.router_data(admin, plan.id)
        assert data.ok and data.message == "Session found on 127.0.0.1."
        assert dict(data.lines) == {"Login": "login0", "Address": "100.64.0.9", "Caller (MAC)": "AA:BB",
                                    "Uptime": "1h2m", "Downloaded": "5.0 GB", "Uploaded": "1.0 KB"}
        assert server.logins == ["api", "api"] and "/ppp/active/print" in server.commands
        with write_tx():
            Plan.update(login="nobody").where(Plan.id == plan.id).execute()
        assert router.router_data(admin, plan.id).message == "nobody has no active PPPoE session on 127.0.0.1."
        with write_tx():
            Plan.update(login_kind="ipoe").where(Plan.id == plan.id).execute()
        assert "PPPoE logins only" in router.router_data(admin, plan.id).message
    failed = router.router_data(admin, desk["customers"][1].plans[0].id)
    assert not failed.ok and "No router is configured for POP Liberdade" in failed.message


def test_an_access_point_ticket_reads_a_typed_login(admin, desk, people, ring):
    ap = desk["aps"][2]
    with FakeRouter(tables=SESSION) as server:
        router.set_router(admin, ap.id, host="127.0.0.1", port=server.port, user="api")
        router.set_password(admin, ap.id, "s3cret")
        data = router.access_point_session(people["agent"], ap.id, " other ")
        assert data.ok and dict(data.lines)["Address"] == "100.64.0.10" and "Downloaded" not in dict(data.lines)
        with pytest.raises(ValidationError) as err:
            router.access_point_session(people["agent"], ap.id, "  ")
        assert set(err.value.errors) == {"login"}
    with pytest.raises(NotFound):
        router.access_point_session(people["agent"], 999_999, "other")


def test_settings_are_checked_audited_and_for_admins(admin, desk, people, ring):
    ap = desk["aps"][0]
    with pytest.raises(ValidationError) as err:
        router.set_router(admin, ap.id, host="bad host!", port="70000", user="x" * 121)
    assert set(err.value.errors) == {"host", "port", "user"}
    info = router.set_router(admin, "POP SE", host="RB-SE.Example.net", user="api")
    assert (info.host, info.port, info.tls, info.password_set) == ("rb-se.example.net", 8728, False, False)
    assert router.set_router(admin, ap.id, tls=True).port == 8729  # the default port follows TLS
    assert router.set_router(admin, ap.id, port=9000, tls=False).port == 9000
    assert router.set_password(admin, ap.id, "pw").password_set
    assert ring.items == {("atende-router", "rb-se.example.net"): "pw"}
    for bad in ("", " pw", "a\nb"):
        with pytest.raises(ValidationError, match="one line"):
            router.set_password(admin, ap.id, bad)
    assert not any("pw" in (a.changes or "") for a in AuditLog.select().where(AuditLog.entity == "access_point"))
    assert AccessPoint.get_by_id(ap.id).router_ssl is False
    for denied in (lambda: router.list_routers(people["supervisor"]),
                   lambda: router.set_router(people["agent"], ap.id, host="x"),
                   lambda: router.set_password(people["coordinator"], ap.id, "pw"),
                   lambda: router.check_connection(people["supervisor"], ap.id)):
        with pytest.raises(PermissionDenied):
            denied()
    with pytest.raises(NotFound):
        router.get_router(admin, "POP Nowhere")


def test_no_keyring_refuses_to_keep_a_password(admin, desk, monkeypatch):
    monkeypatch.setenv("ATENDE_NO_KEYRING", "1")
    router.set_router(admin, desk["aps"][0].id, host="10.0.0.1")
    with pytest.raises(ValidationError, match="keyring"):
        router.set_password(admin, desk["aps"][0].id, "pw")


def test_check_connection(admin, desk, ring):
    ap = desk["aps"][0].id
    assert not router.check_connection(admin, ap).ok
    with FakeRouter(tables=SESSION) as server:
        router.set_router(admin, ap, host="127.0.0.1", port=server.port, user="api")
        router.set_password(admin, ap, "s3cret")
        ok = router.check_connection(admin, ap)
        assert ok.ok and ok.message == "Connected to 127.0.0.1 and logged in as api; the router is RB-Se."
        router.set_router(admin, ap, tls=True, port=server.port)  # TLS to a plain server: the handshake fails
        tls = router.check_connection(admin, ap, timeout=2)
        assert not tls.ok and tls.message.startswith("Could not reach the router 127.0.0.1: ")
    with FakeRouter(fatal_login=True) as server:  # the library's message quotes the login sent: never shown
        router.set_router(admin, ap, tls=False, port=server.port)
        fatal = router.check_connection(admin, ap)
        assert not fatal.ok and "s3cret" not in fatal.message and "password" not in fatal.message
    router.set_router(admin, ap, tls=False)  # the server is gone: refused
    gone = router.check_connection(admin, ap, timeout=2)
    assert not gone.ok and gone.message.startswith("Could not reach the router 127.0.0.1: ")
    assert "\n" not in gone.message


def test_the_routers_commands(admin, desk, ring, store):
    from app import main

    runner = CliRunner()

    def run(*args, stdin=None):
        return runner.invoke(main, ["--db", str(store), "routers", *args], input=stdin)

    with FakeRouter(tables=SESSION) as server:
        out = run("set", "POP Sé", "--host", "127.0.0.1", "--port", str(server.port), "--user", "api")
        assert out.exit_code == 0, out.output
        out = run("password", "POP Sé", "--password-stdin", stdin="s3cret\n")
        assert out.exit_code == 0 and "s3cret" not in out.output
        out = run("test", "POP Sé")
        assert out.exit_code == 0 and "logged in as api" in out.output
        out = run("list")
        assert "POP Sé" in out.output and f"127.0.0.1:{server.port}" in out.output
    out = run("password", "POP Liberdade")  # no host yet: refused before anything is asked
    assert out.exit_code == 1 and "host first" in out.output and "Password" not in out.output
    out = run("set", "POP Sé", "--port", "0")
    assert out.exit_code == 1 and out.output.count("\n") == 1 and "greater than zero" in out.output
    out = run("test", "POP Nowhere")
    assert out.exit_code == 1 and "No access point POP Nowhere" in out.output
