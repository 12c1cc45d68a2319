"""Contact us on the web (/empresa/): representatives sign in with a password
an administrator set or an invitation gave, and reach only their own
company's contacts, through Flask's test client on a real store."""
from __future__ import annotations

import io
import re

import pytest

from models.contactus import WebCredential, WebInvite
from models.mail import Outbox
from models.wizard import TicketAttachment
from services.contactus import accounts, company_contacts
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.store import blobs, settings, users
from services.tickets import thread as ticket_thread
from tests.unit.contactus.test_contactus import cu, new  # noqa: F401  (the two companies and their catalogue)

EN = {"Accept-Language": "en"}
PASSWORD = "cerrado-2026-senha"


@pytest.fixture
def web(cu, store, monkeypatch):  # noqa: F811
    from screens.web import company
    from screens.web.app import create_app
    from screens.web.limits import Limiter

    monkeypatch.setattr(company, "SIGN_IN_BY_ADDRESS", Limiter(30, 600))  # each test from a fresh address

    accounts.set_password(cu["admin"], "rep", PASSWORD)
    accounts.set_password(cu["admin"], "rep2", PASSWORD + "-2")
    app = create_app(str(store), secret_key=b"k" * 32)
    app.testing = False  # as it runs: errors become pages
    return app


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, login="rep", password=PASSWORD):
    page = client.get("/empresa/entrar", headers=EN).get_data(as_text=True)
    return client.post("/empresa/entrar", data={"csrf_token": token(page), "login": login, "password": password},
                       headers=EN)


def form_token(client, url="/empresa/novo") -> str:
    return token(client.get(url, headers=EN).get_data(as_text=True))


def test_the_pages_ask_to_sign_in_and_a_wrong_password_is_said_like_an_unknown_login(web, cu):  # noqa: F811
    client = web.test_client()
    for url in ("/empresa/", "/empresa/novo", "/empresa/contatos/1"):
        answer = client.get(url, headers=EN)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/empresa/entrar")
    wrong = sign_in(client, password="not-the-password")
    unknown = sign_in(client, login="nobody")
    staff = sign_in(client, login="t_agent")
    for answer in (wrong, unknown, staff):
        html = answer.get_data(as_text=True)
        assert answer.status_code == 401 and "Wrong login or password" in html
    assert 'value="nobody"' in unknown.get_data(as_text=True)  # what was typed is kept
    assert "not-the-password" not in wrong.get_data(as_text=True)  # never a password
    missing = client.post("/empresa/entrar", data={"login": "rep", "password": PASSWORD}, headers=EN)
    assert missing.status_code == 400  # no form token: refused before any check
    ok = sign_in(client)
    assert ok.status_code == 303 and ok.headers["Location"].endswith("/empresa/")
    page = client.get("/empresa/", headers=EN)
    assert page.status_code == 200 and "Rita Rep" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    out = client.post("/empresa/sair", data={"csrf_token": token(page.get_data(as_text=True))}, headers=EN)
    assert out.status_code == 303
    assert client.get("/empresa/", headers=EN).status_code == 303


def test_ten_wrong_passwords_lock_the_sign_in_until_an_admin_sets_a_new_one(web, cu):  # noqa: F811
    client = web.test_client()
    for _ in range(accounts.MAX_FAILURES - 1):
        assert "Wrong login or password" in sign_in(client, password="wrong-password").get_data(as_text=True)
    locked = sign_in(client, password="wrong-password")
    assert locked.status_code == 401 and "blocked" in locked.get_data(as_text=True)
    right = sign_in(client)
    assert right.status_code == 401 and "blocked" in right.get_data(as_text=True)  # the right one waits too
    assert WebCredential.get(WebCredential.user == cu["rep"].id).locked_until is not None
    accounts.set_password(cu["admin"], "rep", PASSWORD + "!")
    assert sign_in(client, password=PASSWORD + "!").status_code == 303


def test_a_new_password_a_new_role_or_a_removal_ends_the_sessions(web, cu):  # noqa: F811
    client = web.test_client()
    assert sign_in(client).status_code == 303
    assert client.get("/empresa/", headers=EN).status_code == 200
    accounts.set_password(cu["admin"], "rep", PASSWORD + "-new")
    assert client.get("/empresa/", headers=EN).status_code == 303  # signed out by the change
    assert sign_in(client, password=PASSWORD + "-new").status_code == 303
    users.set_role(cu["admin"], "rep", "agent")
    assert client.get("/empresa/", headers=EN).status_code == 303


def test_one_address_trying_many_logins_is_slowed_down(web, cu, monkeypatch):  # noqa: F811
    from screens.web import company
    from screens.web.limits import Limiter

    monkeypatch.setattr(company, "SIGN_IN_BY_ADDRESS", Limiter(5, 600))  # the same rule, with fewer tries to wait for
    client = web.test_client()
    for n in range(5):
        assert sign_in(client, login=f"guess{n}", password="wrong-password").status_code == 401
    stopped = sign_in(client)
    assert stopped.status_code == 429 and "Too many tries" in stopped.get_data(as_text=True)


def test_passwords_are_hashed_and_their_rules_said(web, cu):  # noqa: F811
    stored = WebCredential.get(WebCredential.user == cu["rep"].id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    for bad, words in (("curta", "at least"), ("x" * 1025, "at most"), ("abc\x00defghijk", "control"),
                       ("abc\x1b[31mdefghijk", "control")):
        with pytest.raises(ValidationError) as err:
            accounts.set_password(cu["admin"], "rep", bad)
        assert words in err.value.message
    with pytest.raises(PermissionDenied):
        accounts.set_password(cu["supervisor"], "rep", "um-segredo-longo")
    with pytest.raises(ValidationError):
        accounts.set_password(cu["admin"], "t_agent", "um-segredo-longo")  # staff sign in elsewhere


def test_an_invitation_mails_a_one_time_link_that_sets_the_password(web, cu):  # noqa: F811
    with pytest.raises(ValidationError) as err:
        accounts.invite(cu["admin"], "rep")
    assert "web.base_url" in err.value.message  # no address to give yet
    users.remove(cu["admin"], "rep2")
    settings.set_value(cu["admin"], "web.base_url", "https://contato.example.com")
    with pytest.raises(ValidationError):
        accounts.invite(cu["admin"], "rep")  # no e-mail address
    from models import User

    User.update(email="rita@acme.com.br").where(User.login == "rep").execute()
    with pytest.raises(PermissionDenied):
        accounts.invite(cu["agent"], "rep")
    sent = accounts.invite(cu["admin"], "rep")
    mail = Outbox.get_by_id(sent.mail_id)
    link = re.search(r"https://contato\.example\.com/empresa/convite/(\S+)", mail.body_text)
    assert link and mail.recipients == '["rita@acme.com.br"]'
    secret = link.group(1)
    assert len(secret) >= 43 and secret not in WebInvite.get().token_hash  # 256 bits; only its hash is kept
    client = web.test_client()
    url = f"/empresa/convite/{secret}"
    page = client.get(url, headers=EN)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    differ = client.post(url, data={"csrf_token": token(html), "password": "uma-senha-boa", "confirm": "outra-senha"},
                         headers=EN)
    assert differ.status_code == 422 and "differ" in differ.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": token(html), "password": "uma-senha-boa", "confirm": "uma-senha-boa"},
                       headers=EN)
    assert done.status_code == 303 and client.get("/empresa/", headers=EN).status_code == 200
    again = web.test_client().get(url, headers=EN)
    assert again.status_code == 404 and "already used" in again.get_data(as_text=True)
    assert web.test_client().get("/empresa/convite/" + "x" * 500, headers=EN).status_code == 404
    assert sign_in(web.test_client(), password="uma-senha-boa").status_code == 303
    assert sign_in(web.test_client()).status_code == 401  # the old password is gone


def test_a_representative_sends_a_contact_with_a_file_and_bad_input_is_kept_on_the_form(web, cu):  # noqa: F811
    client = web.test_client()
    sign_in(client)
    fields = {"classification": str(cu["billing"].id), "subclassification": str(cu["lento"].id),
              "contact_name": "Rita <script>alert(1)</script> [bold]", "phone": "123", "email": "rita@",
              "message": "x" * 1_000_000}
    bad = client.post("/empresa/novo", data={"csrf_token": form_token(client), **fields,
                                              "attachment": (io.BytesIO(b"%PDF-1.4 dados"), "boleto.pdf")},
                      headers=EN, content_type="multipart/form-data")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Choose a sub-classification of the classification" in html and "Invalid phone number" in html
    assert "Rita &lt;script&gt;alert(1)&lt;/script&gt; [bold]" in html and "<script>alert" not in html
    assert "Too long" in html and "A file chosen before must be chosen again" in html
    assert company_contacts.contacts(cu["rep"]) == []  # nothing half-written
    fields.update(subclassification=str(cu["boleto"].id), phone="(11) 91234-5678", email="rita@acme.com.br",
                  message="Preciso da segunda via.\n<b>obrigada</b>")
    sent = client.post("/empresa/novo", data={"csrf_token": form_token(client), **fields,
                                               "attachment": (io.BytesIO(b"%PDF-1.4 dados"), "../../boleto.pdf")},
                       headers=EN, content_type="multipart/form-data")
    assert sent.status_code == 303
    [row] = company_contacts.contacts(cu["rep"])
    assert sent.headers["Location"].endswith(f"/empresa/contatos/{row.ticket_id}")
    [attached] = TicketAttachment.select().where(TicketAttachment.ticket == row.ticket_id)
    assert attached.name == "boleto.pdf" and blobs.file(attached.path).read_bytes() == b"%PDF-1.4 dados"
    page = client.get(sent.headers["Location"], headers=EN).get_data(as_text=True)
    assert row.protocol in page and "sent" in page and "&lt;b&gt;obrigada&lt;/b&gt;" in page
    listed = client.get("/empresa/?ver=open", headers=EN).get_data(as_text=True)
    assert row.protocol in listed
    assert row.protocol not in client.get("/empresa/?ver=finished", headers=EN).get_data(as_text=True)
    assert client.get("/empresa/?ver=other", headers=EN).status_code == 404


def test_a_file_over_the_limit_is_refused_by_its_name_and_a_huge_request_by_a_page(web, cu):  # noqa: F811
    client = web.test_client()
    sign_in(client)
    row = company_contacts.open_contact(cu["rep"], new(cu))
    url = f"/empresa/contatos/{row.ticket_id}"
    over = b"0" * (company_contacts.MAX_ATTACHMENT + 1)
    big = client.post(url, data={"csrf_token": form_token(client, url), "body": "segue",
                                 "attachment": (io.BytesIO(over), "grande.zip")},
                      headers=EN, content_type="multipart/form-data")
    html = big.get_data(as_text=True)
    assert big.status_code == 422 and "grande.zip has" in html and "/tmp" not in html
    assert 'segue</textarea>' in html
    huge = client.post(url, data={"csrf_token": form_token(client, url), "body": "segue",
                                  "attachment": (io.BytesIO(b"0" * (13 * 1024 * 1024)), "enorme.zip")},
                       headers=EN, content_type="multipart/form-data")
    assert huge.status_code == 413 and "too large" in huge.get_data(as_text=True)
    assert len(company_contacts.detail(cu["rep"], row.ticket_id).thread) == 1  # nothing was added


def test_the_thread_shows_public_replies_only_and_takes_messages_and_files(web, cu):  # noqa: F811
    client = web.test_client()
    sign_in(client)
    row = company_contacts.open_contact(cu["rep"], new(cu))
    ticket_thread.add_message(cu["agent"], row.ticket_id, "Segue a segunda via.", internal=False)
    ticket_thread.add_message(cu["agent"], row.ticket_id, "SEGREDO: cliente devedor", internal=True)
    url = f"/empresa/contatos/{row.ticket_id}"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "Segue a segunda via." in page and "SEGREDO" not in page and "our team" in page
    only_file = client.post(url, data={"csrf_token": token(page), "body": "",
                                       "attachment": (io.BytesIO(b"planilha"), "pagamentos.csv")},
                            headers=EN, content_type="multipart/form-data")
    assert only_file.status_code == 303
    after = client.get(url, headers=EN).get_data(as_text=True)
    assert "Message sent." in after and "Sent the file pagamentos.csv" in after and "pagamentos.csv" in after
    empty = client.post(url, data={"csrf_token": token(page), "body": "  "}, headers=EN)
    assert empty.status_code == 422 and "Write the message first" in empty.get_data(as_text=True)
    kinds = [m.kind for m in ticket_thread.messages(cu["agent"], row.ticket_id)]
    assert kinds == ["public", "internal", "public"]  # the agents see it in the ticket's thread
    names = [a.name for a in TicketAttachment.select().where(TicketAttachment.ticket == row.ticket_id)]
    assert names == ["pagamentos.csv"]


def test_a_representative_never_reaches_another_companys_contact(web, cu):  # noqa: F811
    theirs = company_contacts.open_contact(cu["rep2"], new(cu, contact_name="Otto"))
    client = web.test_client()
    sign_in(client)
    url = f"/empresa/contatos/{theirs.ticket_id}"
    for answer in (client.get(url, headers=EN),
                   client.post(url, data={"csrf_token": form_token(client), "body": "oi"}, headers=EN),
                   client.get("/empresa/contatos/999999", headers=EN)):
        assert answer.status_code == 404 and "No contact" in answer.get_data(as_text=True)
    assert theirs.protocol not in client.get("/empresa/", headers=EN).get_data(as_text=True)
    with pytest.raises(NotFound):
        company_contacts.detail(cu["rep"], theirs.ticket_id)
    assert len(company_contacts.detail(cu["rep2"], theirs.ticket_id).thread) == 1


def test_the_commands_set_a_password_and_send_an_invitation_and_check_who_asks_first(tmp_path):
    """As real processes: the OS login is the admin; an agent is refused
    before a password is read; nothing secret is printed."""
    from models import Customer, User, write_tx
    from services.store.database import open_store
    from tests.unit.test_cli import atende, one_line_error

    db = str(tmp_path / "atende.db")
    open_store(db)
    me = users.identify(users.session_login())
    with write_tx():
        acme = Customer.create(kind="customer", name="Acme", name_norm="acme")
    users.add(me, "rita", "representative", name="Rita", email="rita@acme.com.br", company_id=acme.id)
    users.add(me, "ana", "agent", name="Ana")
    env = {"ATENDE_DB": db}
    short = atende("users", "set-password", "rita", "--password-stdin", env=env, input="curta\n")
    one_line_error(short, "at least 10 characters")
    done = atende("users", "set-password", "rita", "--password-stdin", env=env, input="senha-da-rita-1\n")
    assert done.returncode == 0 and "senha-da-rita-1" not in done.stdout + done.stderr
    assert accounts.sign_in("rita", "senha-da-rita-1").login == "rita"
    agent = atende("users", "set-password", "rita", "--password-stdin", env={**env, "ATENDE_USER": "ana"},
                   input="senha-da-ana-99\n")
    one_line_error(agent, "may not")
    assert accounts.sign_in("rita", "senha-da-rita-1").login == "rita"  # unchanged
    one_line_error(atende("users", "invite", "rita", env=env), "web.base_url")
    settings.set_value(me, "web.base_url", "https://contato.example.com")
    invited = atende("users", "invite", "rita", env=env)
    assert invited.returncode == 0 and "rita@acme.com.br" in invited.stdout
    assert "/empresa/convite/" not in invited.stdout + invited.stderr  # the link goes by mail only
    [mail] = Outbox.select().where(Outbox.kind == "web_invite")
    assert "https://contato.example.com/empresa/convite/" in mail.body_text
    assert User.get(User.login == "rita").email == "rita@acme.com.br"


def test_the_same_form_sent_twice_at_once_opens_one_contact_and_adds_one_message(web, cu):  # noqa: F811
    import threading

    first = web.test_client()
    sign_in(first)
    page = first.get("/empresa/novo", headers=EN).get_data(as_text=True)
    once = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    second = web.test_client()
    second.set_cookie("session", first.get_cookie("session").value)  # the same browser, a double click
    form = {"csrf_token": token(page), "submission": once, "classification": str(cu["billing"].id),
            "subclassification": str(cu["boleto"].id), "contact_name": "Rita", "phone": "(11) 91234-5678",
            "email": "rita@acme.com.br", "message": "Duas vezes?"}
    answers = []
    start = threading.Barrier(2)

    def send(client):
        start.wait()
        answers.append(client.post("/empresa/novo", data=form, headers=EN))

    threads = [threading.Thread(target=send, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]  # both lead to the one contact
    [row] = company_contacts.contacts(cu["rep"])
    url = f"/empresa/contatos/{row.ticket_id}"
    page = first.get(url, headers=EN).get_data(as_text=True)
    once = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    for _ in range(2):
        assert first.post(url, data={"csrf_token": token(page), "submission": once, "body": "Só uma vez"},
                          headers=EN).status_code == 303
    bodies = [m.body for m in company_contacts.detail(cu["rep"], row.ticket_id).thread]
    assert bodies == ["Duas vezes?", "Só uma vez"]
