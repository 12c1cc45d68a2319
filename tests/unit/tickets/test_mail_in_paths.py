"""E-mail in by both ways it arrives: `atende mail-in` reading standard input
(real processes, as an MTA's pipe runs it, several at once with the same
message) and the worker fetching a real IMAPS mailbox (dovecot on loopback)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from models import Queue, Ticket, User, write_tx
from models.desk import MailIn, TicketMessage
from services.core import clock
from services.core.config import Config, MailInSettings, MailSettings
from services.mail import imap
from services.ops import sweeps, worker
from services.tickets import mail_in
from tests import imap_server
from tests.unit.tickets.test_mail_in import raw

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "data" / "mail_in"


@pytest.fixture
def queue(store):
    with write_tx():
        Queue.create(name="E-mail")


def run_mail_in(store, config_file: Path, message: bytes, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from app import main; main()", "--db", str(store), "--config", str(config_file),
           "mail-in", "--json", *extra]
    with tempfile.TemporaryFile() as stdin:  # as an MTA's pipe: the whole message, then end of file
        stdin.write(message)
        stdin.seek(0)
        return subprocess.Popen(cmd, cwd=ROOT, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "ATENDE_USER": ""})


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
def config_file(tmp_path, queue) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[mail]\nsender = "suporte@atende.example"\n[mail_in]\nqueue = "E-mail"\n', encoding="utf-8")
    return path


def test_mail_in_reads_standard_input(store, config_file):
    code, out, err = finish(run_mail_in(store, config_file, (CORPUS / "cp1252.eml").read_bytes()))
    assert code == 0, err
    answer = json.loads(out)
    assert answer["outcome"] == "ticket" and answer["message_id"] == "<cp1252-0001@padaria.example>"
    t = Ticket.get(Ticket.protocol == answer["protocol"])
    assert t.subject == "Cobrança “duplicada”" and t.queue_id == Queue.get().id
    reply = (CORPUS / "reply_protocol.eml").read_bytes().replace(b"PROTOCOLO", answer["protocol"].encode())
    code, out, err = finish(run_mail_in(store, config_file, reply))
    assert code == 0 and json.loads(out)["outcome"] == "reply", err
    assert TicketMessage.select().where(TicketMessage.ticket == t.id).count() == 1
    code, out, err = finish(run_mail_in(store, config_file, (CORPUS / "bounce.eml").read_bytes()))
    assert code == 0 and json.loads(out)["outcome"] == "ignored"


def test_mail_in_run_at_once_by_many_processes_takes_a_message_once(store, config_file):
    message = (CORPUS / "attachments.eml").read_bytes()
    procs = [run_mail_in(store, config_file, message) for _ in range(4)]
    results = [finish(p) for p in procs]
    assert all(code == 0 for code, _o, _e in results), [e for _c, _o, e in results]
    assert sorted(json.loads(out)["outcome"] for _c, out, _e in results) == ["duplicate"] * 3 + ["ticket"]
    assert Ticket.select().where(Ticket.status == "open").count() == 1 and MailIn.select().count() == 1


def test_mail_in_setup_adds_the_system_account(store, config_file):
    code, out, err = finish(run_mail_in(store, config_file, b"", "--setup"))
    assert code == 0 and "mail-in" in out, err
    user = User.get(User.login == "mail-in")
    assert not user.active and user.role == "agent"


@pytest.mark.parametrize("message,code", [(b"", 65), (b"   \n", 65)])
def test_mail_in_without_a_message_says_so(store, config_file, message, code):
    status, out, err = finish(run_mail_in(store, config_file, message))
    assert status == code and err.startswith("atende: ") and len(err.strip().splitlines()) == 1


def test_mail_in_with_a_missing_queue_asks_the_mta_to_try_again(store, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[mail_in]\nqueue = "Nope"\n', encoding="utf-8")
    status, out, err = finish(run_mail_in(store, bad, (CORPUS / "alternative.eml").read_bytes()))
    assert status == 75 and "Nope" in err and Ticket.select().count() == 0


# ---------------------------------------------------------------- IMAP


@pytest.fixture(scope="module")
def dovecot():
    why = imap_server.available()
    if why and os.environ.get("ATENDE_REQUIRE_IMAP"):  # CI (.ci/run) installs it: a skip would hide a failure
        pytest.fail(f"ATENDE_REQUIRE_IMAP is set but {why}", pytrace=False)
    if why:
        pytest.skip(why)
    folder = Path(tempfile.mkdtemp(prefix="atende-imap-"))
    folder.chmod(0o755)  # dovecot's own users reach the mail folder when the tests run as root
    server = imap_server.ImapServer(folder).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def imap_config(dovecot, queue, monkeypatch) -> Config:
    box = f"T{os.urandom(4).hex()}"  # a mailbox of the test's own: the server is the module's
    monkeypatch.setenv("ATENDE_IMAP_PASSWORD", dovecot.password)
    dovecot.mailbox = box
    return Config(mail=MailSettings(sender="suporte@atende.example"),
                  mail_in=MailInSettings(host="127.0.0.1", port=dovecot.port, user=dovecot.user, mailbox=box,
                                         queue="E-mail", cafile=str(dovecot.cafile)))


def deliver(server, name: str, **swap: str) -> None:
    server.deliver(raw(name, **swap), server.mailbox)


def test_the_worker_fetches_the_mailbox_over_imaps(imap_config, dovecot):
    for name in ("alternative.eml", "html_only.eml", "attachments.eml", "autoreply.eml", "bounce.eml"):
        deliver(dovecot, name)
    assert worker.enable_mail_in(imap_config) and worker.MAIL_IN_SWEEP in sweeps.registered()
    try:
        results = {r.name: r for r in sweeps.run_sweeps(clock.now())}
    finally:
        sweeps.unregister_sweep(worker.MAIL_IN_SWEEP)
    assert results[worker.MAIL_IN_SWEEP].done == 5 and not results[worker.MAIL_IN_SWEEP].error
    assert Ticket.select().where(Ticket.status == "open").count() == 3
    assert sorted(m.outcome for m in MailIn.select()) == ["ignored", "ignored", "ticket", "ticket", "ticket"]
    assert {m.via for m in MailIn.select()} == {"imap"}
    # every message is read now: the next round takes nothing, and the server still has them all
    again = mail_in.fetch(imap_config)
    assert again.fetched == 0
    with imap.Mailbox(imap_config.mail_in) as box:
        assert box.unseen() == []
        assert box.client.uid("SEARCH", None, "ALL")[1][0].split() == [b"1", b"2", b"3", b"4", b"5"]


def test_a_message_seen_twice_on_the_server_is_taken_once(imap_config, dovecot):
    deliver(dovecot, "alternative.eml")
    deliver(dovecot, "alternative.eml")  # the same mail delivered twice (a retrying MTA)
    report = mail_in.fetch(imap_config)
    assert report.counts == {"ticket": 1, "duplicate": 1}
    t = Ticket.get(Ticket.status == "open")
    deliver(dovecot, "reply_protocol.eml", PROTOCOLO=t.protocol)
    assert mail_in.fetch(imap_config).counts == {"reply": 1}
    assert TicketMessage.select().where(TicketMessage.ticket == t.id).count() == 1


def test_a_failed_intake_leaves_the_message_unread_for_the_next_round(imap_config, dovecot, monkeypatch):
    deliver(dovecot, "html_only.eml")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(mail_in, "receive", broken)
    report = mail_in.fetch(imap_config)
    assert report.fetched == 0 and len(report.errors) == 1 and "OSError" in report.errors[0]
    monkeypatch.undo()
    monkeypatch.setenv("ATENDE_IMAP_PASSWORD", dovecot.password)
    assert mail_in.fetch(imap_config).counts == {"ticket": 1}


@pytest.mark.parametrize("change,fragment", [
    ({"port": 1}, "cannot reach"),
    ({"user": "nobody@atende.example"}, "refused"),
    ({"mailbox": "Missing"}, "refused"),
    ({"cafile": ""}, "cannot reach"),  # a certificate nobody vouches for is refused
])
def test_an_unreachable_mailbox_is_one_line_and_touches_nothing(imap_config, dovecot, change, fragment):
    settings = MailInSettings(**{**vars(imap_config.mail_in), **change})
    with pytest.raises(imap.ImapFailure) as exc:
        mail_in.fetch(Config(mail_in=settings))
    assert fragment in exc.value.message and "\n" not in exc.value.message
    assert worker.fetch_mail_in(Config(mail_in=settings)) == 0  # the worker logs it and goes on


def test_no_password_is_said_before_connecting(imap_config, monkeypatch, tmp_path):
    monkeypatch.delenv("ATENDE_IMAP_PASSWORD")
    monkeypatch.setenv("ATENDE_SECRETS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("ATENDE_NO_KEYRING", "1")
    with pytest.raises(imap.ImapFailure) as exc:
        mail_in.fetch(imap_config)
    assert "atende secrets set imap" in exc.value.message
