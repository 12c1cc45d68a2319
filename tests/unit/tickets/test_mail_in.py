"""E-mail in: the corpus of tests/data/mail_in through the one intake service,
replies by protocol, auto-replies and bounces, attachments, never twice, and
an agent's public reply going out with the protocol and threading headers."""
from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest

import models
from models import Contact, Customer, Queue, Ticket, User, write_tx
from models.desk import MailIn, TicketMessage
from models.mail import Outbox
from models.wizard import TicketAttachment
from services.core.config import Config, MailInSettings, MailSettings
from services.core.errors import ConfigError, ValidationError
from services.mail import outbox
from services.mail.transport import EmlTransport
from services.store import database, users
from services.tickets import mail_in
from services.tickets import thread as tt

CORPUS = Path(__file__).resolve().parents[2] / "data" / "mail_in"


def raw(name: str, **swap: str) -> bytes:
    data = (CORPUS / name).read_bytes()
    for old, new in swap.items():
        data = data.replace(old.encode(), new.encode())
    return data


@pytest.fixture
def config(store):
    with write_tx():
        Queue.create(name="E-mail")
    return Config(mail=MailSettings(sender="Suporte <suporte@atende.example>"),
                  mail_in=MailInSettings(queue="E-mail"))


@pytest.fixture
def joao(store):
    """A customer whose contact writes from joao.silva@cliente.example."""
    with write_tx():
        c = Customer.create(kind="customer", name="Padaria Pão Quente", name_norm="padaria pao quente",
                            email="financeiro@padaria.example")
        contact = Contact.create(customer=c, name="João da Silva", email="joao.silva@cliente.example")
    return c.id, contact.id


def test_a_new_mail_of_a_known_contact_opens_a_ticket_in_the_queue(config, joao):
    got = mail_in.receive(raw("alternative.eml"), config)
    assert got.outcome == "ticket" and got.protocol
    t = Ticket.get(Ticket.protocol == got.protocol)
    assert (t.status, t.kind, t.customer_id, t.contact_id) == ("open", "customer", *joao)
    assert t.queue_id == Queue.get(Queue.name == "E-mail").id
    assert t.subject == "Sem conexão desde ontem"
    assert t.problem == "Bom dia,\n\nA internet está sem conexão desde ontem à noite.\nContrato 4471."
    assert User.get_by_id(t.created_by_id).login == "mail-in" and t.updated_by == "mail-in"
    row = MailIn.get(MailIn.message_id == "<alt-0001@cliente.example>")
    assert (row.outcome, row.ticket_id, row.via, row.sender) == ("ticket", t.id, "stdin",
                                                                 "joao.silva@cliente.example")
    # the system account is nobody's login and never makes the first person an admin
    assert not User.get(User.login == "mail-in").active


def test_an_unknown_sender_becomes_a_prospect_and_html_only_mail_is_text(config):
    got = mail_in.receive(raw("html_only.eml"), config)
    t = Ticket.get(Ticket.protocol == got.protocol)
    customer, contact = Customer.get_by_id(t.customer_id), Contact.get_by_id(t.contact_id)
    assert (customer.kind, customer.name, customer.email) == ("prospect", "Maria Souza", "maria@loja.example")
    assert (contact.customer_id, contact.name, contact.email) == (customer.id, "Maria Souza", "maria@loja.example")
    assert t.kind == "prospect" and t.subject == "Lentidão na rede"
    assert t.problem == ("Olá,\n\nA rede está lenta & cai é muito:\n\n- de manhã\n- à tarde\n\n"
                         "Veja o painel (https://status.loja.example/).")
    # the same sender again: the same prospect and contact, no new ones
    again = mail_in.receive(raw("html_only.eml", **{"html-0001": "html-0002"}), config)
    assert Ticket.get(Ticket.protocol == again.protocol).contact_id == contact.id
    assert Customer.select().count() == 1 and Contact.select().count() == 1


def test_windows_1252_body_and_encoded_words(config):
    got = mail_in.receive(raw("cp1252.eml"), config)
    t = Ticket.get(Ticket.protocol == got.protocol)
    assert t.subject == "Cobrança “duplicada”"
    assert t.problem == "Recebi a cobrança “duplicada” do mês – peço a correção.\nJosé"
    assert Contact.get_by_id(t.contact_id).name == "José Araújo"


def test_attachments_are_kept_in_the_tickets_folder(config):
    got = mail_in.receive(raw("attachments.eml"), config)
    assert got.files == 2
    files = list(TicketAttachment.select().where(TicketAttachment.ticket == got.ticket_id).order_by(
        TicketAttachment.id))
    assert [f.name for f in files] == ["fatura.pdf", "luz.png"]
    pdf = database.files_root() / files[0].path
    assert pdf.read_bytes().startswith(b"%PDF-1.4") and pdf.stat().st_size == files[0].size
    assert all(f.created_by == "mail-in" for f in files)
    assert (database.files_root() / files[1].path).parent == pdf.parent  # no way out of the ticket's folder


def test_an_attachment_over_the_limit_is_named_not_kept(config, monkeypatch):
    monkeypatch.setattr(mail_in, "MAX_ATTACHMENT", 100)
    got = mail_in.receive(raw("attachments.eml"), config)
    names = [f.name for f in TicketAttachment.select().where(TicketAttachment.ticket == got.ticket_id)]
    assert names == ["luz.png"]
    assert "Not kept: fatura.pdf has 1,048 bytes; at most 100" in Ticket.get_by_id(got.ticket_id).problem


@pytest.mark.parametrize("name,why", [
    ("autoreply.eml", "Auto-Submitted: auto-replied"),
    ("bounce.eml", "Auto-Submitted: auto-replied"),
])
def test_auto_replies_and_bounces_open_nothing(config, name, why):
    got = mail_in.receive(raw(name), config)
    assert got.outcome == "ignored" and why in got.reason
    assert Ticket.select().count() == 0 and Customer.select().count() == 0
    assert MailIn.get().outcome == "ignored"


@pytest.mark.parametrize("headers,why", [
    ("Precedence: bulk\r\n", "Precedence: bulk"),
    ("Precedence: list\r\n", "Precedence: list"),
    ("X-Autoreply: yes\r\n", "X-Autoreply"),
    ("Auto-Submitted: no\r\nX-Atende-Outbox: 7\r\n", "loop"),
])
def test_list_mail_and_our_own_mail_open_nothing(config, headers, why):
    message = raw("alternative.eml").replace(b"MIME-Version", headers.encode() + b"MIME-Version")
    got = mail_in.receive(message, config)
    assert got.outcome == "ignored" and why in got.reason and Ticket.select().count() == 0


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example", "Suporte <suporte@atende.example>"])
def test_daemons_and_our_own_address_open_nothing(config, sender):
    message = raw("alternative.eml").replace(b"=?UTF-8?Q?Jo=C3=A3o_da_Silva?= <joao.silva@cliente.example>",
                                             sender.encode())
    got = mail_in.receive(message, config)
    assert got.outcome == "ignored" and Ticket.select().count() == 0


def test_auto_submitted_no_is_a_persons_mail(config):
    message = raw("alternative.eml").replace(b"MIME-Version", b"Auto-Submitted: no\r\nMIME-Version")
    assert mail_in.receive(message, config).outcome == "ticket"


@pytest.mark.parametrize("status,after", [
    ("open", "open"), ("in_progress", "in_progress"), ("waiting_customer", "in_progress"),
    ("resolved", "open"), ("finished", "open"),
])
def test_a_reply_with_the_protocol_joins_the_ticket(config, joao, status, after):
    first = mail_in.receive(raw("alternative.eml"), config)
    with write_tx():
        Ticket.update(status=status).where(Ticket.id == first.ticket_id).execute()
    got = mail_in.receive(raw("reply_protocol.eml", PROTOCOLO=first.protocol), config)
    assert (got.outcome, got.ticket_id, got.protocol) == ("reply", first.ticket_id, first.protocol)
    assert Ticket.select().count() == 1
    t = Ticket.get_by_id(first.ticket_id)
    assert t.status == after and (t.closed_at is None or after != "open")
    msgs = list(TicketMessage.select().where(TicketMessage.ticket == t.id).order_by(TicketMessage.id))
    public = [m for m in msgs if m.kind == "public"]
    assert [m.body for m in public] == ["Voltou a cair agora há pouco.\n\n> Olá João, reiniciamos a porta."]
    assert public[0].author_login == "João da Silva" and public[0].author_id is None
    notes = [m.body for m in msgs if m.kind == "internal"]
    assert bool(notes) == (status in ("resolved", "finished"))
    assert MailIn.get(MailIn.message_id == "<reply-0001@cliente.example>").message_id == "<reply-0001@cliente.example>"


def test_an_unknown_or_abandoned_protocol_opens_a_new_ticket(config, joao):
    got = mail_in.receive(raw("reply_protocol.eml", PROTOCOLO="19990101000001"), config)
    assert got.outcome == "ticket" and got.protocol != "19990101000001"
    assert Ticket.get_by_id(got.ticket_id).subject == "Re: [#19990101000001] Sem conexão desde ontem"


def test_a_queue_that_does_not_exist_is_a_config_error_and_nothing_is_kept(store):
    config = Config(mail_in=MailInSettings(queue="Nope"))
    with pytest.raises(ConfigError):
        mail_in.receive(raw("attachments.eml"), config)
    assert Ticket.select().count() == 0 and MailIn.select().count() == 0 and Customer.select().count() == 0
    assert not list((database.files_root() / "tickets").rglob("*.*"))


def test_the_same_message_twice_counts_once(config):
    first = mail_in.receive(raw("html_only.eml"), config)
    again = mail_in.receive(raw("html_only.eml"), config)
    assert first.outcome == "ticket" and again.outcome == "duplicate"
    assert Ticket.select().where(Ticket.status != "draft").count() == 1 and MailIn.select().count() == 1
    ignored = mail_in.receive(raw("bounce.eml"), config)
    assert ignored.outcome == "ignored" and mail_in.receive(raw("bounce.eml"), config).outcome == "duplicate"


def test_the_same_message_at_once_from_many_threads_counts_once(config):
    message = raw("attachments.eml")
    outcomes, errors = [], []
    start = threading.Barrier(6)

    def run():
        start.wait()
        try:
            with models.reading():
                outcomes.append(mail_in.receive(message, config, via="imap").outcome)
        except Exception as exc:  # pragma: no cover - the failure is the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(outcomes) == ["duplicate"] * 5 + ["ticket"]
    assert Ticket.select().count() == 1 and TicketAttachment.select().count() == 2
    folder = database.files_root() / TicketAttachment.get().path
    assert len(list(folder.parent.iterdir())) == 2  # the losers' copies were removed


def test_a_public_reply_is_mailed_with_the_protocol_and_threading_headers(config, joao, people, tmp_path):
    first = mail_in.receive(raw("alternative.eml"), config)
    mail_in.receive(raw("reply_protocol.eml", PROTOCOLO=first.protocol), config)
    tt.add_message(people["agent"], first.ticket_id, "Trocamos o equipamento.", internal=False)
    tt.add_message(people["agent"], first.ticket_id, "nota interna", internal=True)
    tt.add_message(people["agent"], first.ticket_id, "Dito por telefone.", internal=False, email=False)
    rows = list(Outbox.select())
    assert len(rows) == 1
    item = outbox.as_item(rows[0])
    assert item.recipients == ("João da Silva <joao.silva@cliente.example>",)
    assert item.subject == f"[#{first.protocol}] Sem conexão desde ontem"
    assert item.body_text.startswith("Trocamos o equipamento.\n\n-- \n")
    assert dict(item.headers) == {"In-Reply-To": "<reply-0001@cliente.example>",
                                  "References": "<alt-0001@cliente.example> <reply-0001@cliente.example>"}
    transport = EmlTransport(tmp_path / "out", "Suporte <suporte@atende.example>")
    transport.open()
    transport.send(item)
    sent = (tmp_path / "out" / f"{item.id:08d}.eml").read_bytes()
    assert b"In-Reply-To: <reply-0001@cliente.example>" in sent
    assert b"References: <alt-0001@cliente.example> <reply-0001@cliente.example>" in sent
    # the customer answers the reply: back to the same ticket
    answer = raw("reply_protocol.eml", PROTOCOLO=first.protocol).replace(b"reply-0001", b"reply-0002")
    assert mail_in.receive(answer, config).ticket_id == first.ticket_id
    audit = [json.loads(a.changes) for a in models.AuditLog.select().where(models.AuditLog.action == "message")]
    assert any(a.get("outbox") == item.id for a in audit)


def test_a_ticket_without_a_contact_address_sends_nothing(config, people):
    agent = User.get(User.login == people["agent"].login)
    now = dt.datetime.now()
    with write_tx():
        t = Ticket.create(protocol="P9", status="open", created_by=agent, created_at=now, updated_at=now)
    tt.add_message(people["agent"], t.id, "Olá", internal=False)
    assert Outbox.select().count() == 0


def test_outbox_headers_are_only_threading_ones(store):
    with pytest.raises(ValidationError) as exc:
        outbox.queue(to="a@example.com", subject="s", text="t", headers={"Bcc": "x@example.com"})
    assert "Bcc" in str(exc.value.message)
    mail_id = outbox.queue(to="a@example.com", subject="s", text="t",
                           headers={"In-Reply-To": "<a@b>\r\nBcc: evil@example.com", "References": "x <c@d> <e@f>"})
    assert dict(outbox.as_item(Outbox.get_by_id(mail_id)).headers) == {"In-Reply-To": "<a@b>",
                                                                        "References": "<c@d> <e@f>"}


def test_the_system_account_never_becomes_the_first_admin(tmp_path):
    from services.store.database import open_store

    open_store(str(tmp_path / "fresh.db"))
    try:
        users.system_actor("mail-in")
        assert users.identify("somebody").role == "admin"
    finally:
        models.close_database()


def test_a_staff_database_role_takes_mail_in_once_the_owner_set_up_the_account(config, backend, request):
    """PostgreSQL: the worker runs as a staff role, which may not write the
    people: it is told to run the setup; after it, the new table and the
    rest are the staff's to write (the default grants)."""
    if backend != "postgresql":
        pytest.skip("the database roles are PostgreSQL's")
    from services.store.database import open_store

    pg_cluster, store_url = request.getfixturevalue("pg_cluster"), request.getfixturevalue("store")
    with pg_cluster.admin() as conn:
        conn.execute("DROP ROLE IF EXISTS mailin_agent")
        conn.execute("CREATE ROLE mailin_agent LOGIN IN ROLE atende_staff")
    as_staff = store_url.replace("postgresql://postgres@", "postgresql://mailin_agent@")
    try:
        models.close_database()
        open_store(as_staff)
        with pytest.raises(ConfigError, match="mail-in --setup"):
            mail_in.receive(raw("alternative.eml"), config)
        models.close_database()
        open_store(store_url)
        users.system_actor("mail-in")  # what 'atende mail-in --setup' does, as the owner
        models.close_database()
        open_store(as_staff)
        assert mail_in.receive(raw("alternative.eml"), config).outcome == "ticket"
        assert mail_in.receive(raw("alternative.eml"), config).outcome == "duplicate"
    finally:
        models.close_database()
        open_store(store_url)
        with pg_cluster.admin() as conn:
            conn.execute(f"REVOKE ALL ON DATABASE \"{store_url.split('/')[3].split('?')[0]}\" FROM mailin_agent")


@pytest.mark.parametrize("tnef, text, names", [
    ("winmail-umlaut.dat", "Segue em anexo.", ["TBZ PARIV GmbH.jpg", "image003.jpg", "UmlautAnhang-äüö.txt"]),
    ("winmail-body.dat", "THE BILL OF RIGHTS", []),
])
def test_outlooks_winmail_dat_is_opened_into_its_files_and_body(config, tnef, text, names):
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "Carlos <carlos@empresa.example>", "suporte@atende.example", "Anexos"
    m["Message-ID"] = f"<{tnef}@empresa.example>"
    m.set_content(text if names else "")
    m.add_attachment((CORPUS / tnef).read_bytes(), maintype="application", subtype="ms-tnef",
                     filename="winmail.dat")
    got = mail_in.receive(m.as_bytes(), config)
    t = Ticket.get(Ticket.protocol == got.protocol)
    assert t.problem.startswith(text)
    files = list(TicketAttachment.select().where(TicketAttachment.ticket == t.id).order_by(TicketAttachment.id))
    assert [f.name for f in files] == names
    if names:
        jpeg = (database.files_root() / files[0].path).read_bytes()
        assert jpeg.startswith(b"\xff\xd8") and len(jpeg) == files[0].size == 44764
