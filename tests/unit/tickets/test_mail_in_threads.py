"""E-mail in by threading headers: a customer's answer whose subject lost the
"[#PROTOCOL]" still joins its ticket when its In-Reply-To or References name
a mail we sent about the ticket or a mail taken in on it; the subject's
protocol wins; unknown, forged or too old ids open a new ticket."""
from __future__ import annotations

import email
from email import policy

import pytest

from models import Contact, Customer, Queue, Ticket, write_tx
from models.desk import MailIn, TicketMessage
from models.mail import Outbox
from services.core.config import Config, MailInSettings, MailSettings
from services.mail import outbox
from services.mail.transport import EmlTransport
from services.tickets import mail_in
from services.tickets import thread as tt
from tests.unit.tickets.test_mail_in import raw

SENDER = "Suporte <suporte@atende.example>"


@pytest.fixture
def config(store):
    with write_tx():
        Queue.create(name="E-mail")
    return Config(mail=MailSettings(sender=SENDER), mail_in=MailInSettings(queue="E-mail"))


@pytest.fixture
def joao(store):
    """The customer whose contact writes from joao.silva@cliente.example."""
    with write_tx():
        c = Customer.create(kind="customer", name="Padaria Pão Quente", name_norm="padaria pao quente")
        Contact.create(customer=c, name="João da Silva", email="joao.silva@cliente.example")


def answer(n: int, *, subject: str = "Re: Sem conexão desde ontem", in_reply_to: str = "",
           references: tuple[str, ...] = ()) -> bytes:
    """A customer's answer, its subject as their mail program left it."""
    lines = ["From: =?UTF-8?Q?Jo=C3=A3o_da_Silva?= <joao.silva@cliente.example>",
             "To: suporte@atende.example", f"Subject: {subject}",
             "Date: Fri, 04 Dec 2026 16:00:00 -0300", f"Message-ID: <answer-{n:04d}@cliente.example>"]
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append("References: " + " ".join(references))
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", f"Resposta {n}.", ""]
    return "\r\n".join(lines).encode()


def sent_reply(agent, ticket_id: int, text: str, tmp_path) -> str:
    """An agent's public reply, sent as the worker does: the Message-ID the customer got."""
    tt.add_message(agent, ticket_id, text, internal=False)
    row = Outbox.select().where(Outbox.about_id == str(ticket_id)).order_by(Outbox.id.desc()).get()
    transport = EmlTransport(tmp_path / "out", SENDER)
    transport.open()
    item = outbox.as_item(row)
    transport.send(item)
    sent = email.message_from_bytes((tmp_path / "out" / f"{item.id:08d}.eml").read_bytes(), policy=policy.default)
    return str(sent["Message-ID"])


def public(ticket_id: int) -> list[str]:
    return [m.body for m in TicketMessage.select().where(
        (TicketMessage.ticket == ticket_id) & (TicketMessage.kind == "public")).order_by(TicketMessage.id)]


def test_an_answer_to_our_mail_without_the_protocol_joins_the_ticket(config, joao, people, tmp_path):
    first = mail_in.receive(raw("alternative.eml"), config)
    ours = sent_reply(people["agent"], first.ticket_id, "Reiniciamos a porta.", tmp_path)
    assert ours.startswith("<atende.") and ours.endswith("@atende.example>")
    got = mail_in.receive(answer(1, in_reply_to=ours, references=("<alt-0001@cliente.example>", ours)), config)
    assert (got.outcome, got.ticket_id, got.protocol) == ("reply", first.ticket_id, first.protocol)
    assert Ticket.select().where(Ticket.status != "draft").count() == 1
    assert public(first.ticket_id)[-1] == "Resposta 1."
    assert MailIn.get(MailIn.message_id == "<answer-0001@cliente.example>").ticket_id == first.ticket_id


def test_only_in_reply_to_our_mail_is_enough_and_the_ticket_reopens(config, joao, people, tmp_path):
    first = mail_in.receive(raw("alternative.eml"), config)
    ours = sent_reply(people["agent"], first.ticket_id, "Resolvido.", tmp_path)
    with write_tx():
        Ticket.update(status="resolved").where(Ticket.id == first.ticket_id).execute()
    got = mail_in.receive(answer(2, subject="Ainda não funciona", in_reply_to=ours), config)
    assert (got.outcome, got.ticket_id) == ("reply", first.ticket_id)
    assert Ticket.get_by_id(first.ticket_id).status == "open"


def test_a_references_chain_joins_the_ticket(config, joao):
    """The In-Reply-To is a mail we never saw (a copy between colleagues); the
    References still name the customer's first mail, taken in on the ticket."""
    first = mail_in.receive(raw("alternative.eml"), config)
    got = mail_in.receive(answer(3, subject="Fwd: problema", in_reply_to="<colleague-9@cliente.example>",
                                 references=("<alt-0001@cliente.example>", "<colleague-9@cliente.example>")),
                          config)
    assert (got.outcome, got.ticket_id) == ("reply", first.ticket_id)
    # and an answer to that answer, by its own Message-ID
    again = mail_in.receive(answer(4, in_reply_to="<answer-0003@cliente.example>"), config)
    assert (again.outcome, again.ticket_id) == ("reply", first.ticket_id)
    assert public(first.ticket_id) == ["Resposta 3.", "Resposta 4."]


def test_unknown_ids_open_a_new_ticket(config, joao):
    first = mail_in.receive(raw("alternative.eml"), config)
    got = mail_in.receive(answer(5, in_reply_to="<nobody-1@elsewhere.example>",
                                 references=("<nobody-0@elsewhere.example>", "<nobody-1@elsewhere.example>")),
                          config)
    assert got.outcome == "ticket" and got.ticket_id != first.ticket_id


def test_a_forged_id_of_ours_joins_nothing(config, joao, people, tmp_path):
    first = mail_in.receive(raw("alternative.eml"), config)
    ours = sent_reply(people["agent"], first.ticket_id, "Olá.", tmp_path)
    local, domain = ours[1:-1].split("@")
    row, digest = local.split(".")[1:]
    forged = f"<atende.{row}.{'0' * 16 if digest != '0' * 16 else '1' * 16}@{domain}>"
    got = mail_in.receive(answer(6, in_reply_to=forged), config)
    assert got.outcome == "ticket" and got.ticket_id != first.ticket_id
    # another domain (the sender's address changed since): still ours
    moved = mail_in.receive(answer(7, in_reply_to=f"<{local}@novo.example>"), config)
    assert (moved.outcome, moved.ticket_id) == ("reply", first.ticket_id)


def test_mail_we_sent_about_something_else_joins_nothing(config, joao, tmp_path):
    mail_id = outbox.queue(to="a@example.com", subject="Convite", text="Venha", about=("event", 1), kind="event")
    item = outbox.as_item(Outbox.get_by_id(mail_id))
    got = mail_in.receive(answer(8, in_reply_to=f"<{item.message_id_seed}@atende.example>"), config)
    assert got.outcome == "ticket"


def test_the_subjects_protocol_wins_over_the_headers(config, joao, people, tmp_path):
    first = mail_in.receive(raw("alternative.eml"), config)
    other = mail_in.receive(raw("html_only.eml"), config)
    ours = sent_reply(people["agent"], other.ticket_id, "Sobre a rede.", tmp_path)
    got = mail_in.receive(answer(9, subject=f"Re: [#{first.protocol}] Sem conexão", in_reply_to=ours), config)
    assert got.ticket_id == first.ticket_id
    # a protocol that names no ticket: the headers decide
    stale = mail_in.receive(answer(10, subject="Re: [#19990101000001] Sem conexão", in_reply_to=ours), config)
    assert stale.ticket_id == other.ticket_id


def test_the_nearest_open_ticket_wins_and_abandoned_ones_take_nothing(config, joao):
    first = mail_in.receive(raw("alternative.eml"), config)
    other = mail_in.receive(raw("html_only.eml"), config)
    refs = ("<alt-0001@cliente.example>", "<html-0001@loja.example>")
    assert MailIn.get(MailIn.message_id == refs[1]).ticket_id == other.ticket_id
    got = mail_in.receive(answer(11, references=refs), config)
    assert got.ticket_id == other.ticket_id  # the latest reference first
    with write_tx():
        Ticket.update(status="abandoned").where(Ticket.id == other.ticket_id).execute()
    got = mail_in.receive(answer(12, references=refs), config)
    assert got.ticket_id == first.ticket_id


def test_only_the_latest_references_are_read(config, joao):
    first = mail_in.receive(raw("alternative.eml"), config)
    noise = tuple(f"<hop-{n}@relay.example>" for n in range(mail_in.MAX_THREAD_IDS))
    got = mail_in.receive(answer(13, references=("<alt-0001@cliente.example>", *noise)), config)
    assert got.outcome == "ticket" and got.ticket_id != first.ticket_id
    within = mail_in.receive(answer(14, references=("<alt-0001@cliente.example>", *noise[1:])), config)
    assert within.ticket_id == first.ticket_id


def test_an_ignored_mail_is_no_thread(config, joao):
    ignored = mail_in.receive(raw("bounce.eml"), config)
    assert ignored.outcome == "ignored"
    got = mail_in.receive(answer(15, in_reply_to=ignored.message_id), config)
    assert got.outcome == "ticket"


def test_thread_ids_nearest_first_each_once():
    mail = mail_in.inbound.parse(answer(16, in_reply_to="<c@x>", references=("<a@x>", "<b@x>", "<c@x>")))
    assert mail_in.thread_ids(mail) == ["<c@x>", "<b@x>", "<a@x>"]
