"""The web pages through Flask's test client, on a real store."""
from __future__ import annotations

import datetime as dt

import pytest

from services.core import clock
from services.events import editing, event_types, pipeline, registrations


@pytest.fixture
def site(store, people):
    """The web application on the test's store, and two public events (one
    with its registrations open, one still being prepared) and a private one."""
    from screens.web.app import create_app

    coordinator = people["coordinator"]
    now = dt.datetime(2026, 3, 2, 9, 0)
    clock.set_clock(lambda: now)
    types = {t.format: t.id for t in event_types.list_types(coordinator)}

    def event(title, public=True, open_=True, seats=3, fmt="offline", hours=""):
        start = now + dt.timedelta(days=5)
        info = editing.create_event(coordinator, editing.EventInput(
            description=title, responsible_id=coordinator.id, starts_at=start, ends_at=start + dt.timedelta(hours=2),
            type_id=types[fmt], address="Rua das Flores, 10" if fmt != "online" else "",
            access_link="https://meet.example/x" if fmt != "offline" else "", seats=seats, public=public,
            workload_hours=hours))
        if open_:
            pipeline.move_event(coordinator, info.id, "preparation")
            pipeline.move_event(coordinator, info.id, "registration")
        return info

    events = {"open": event("Oficina <script>alert(1)</script> [bold]", hours="4"),
              "online": event("Webinar de estoque", fmt="online", seats=1),
              "preparing": event("Curso ainda em preparação", open_=False),
              "private": event("Treinamento interno", public=False)}
    app = create_app(str(store), secret_key=b"k" * 32)
    app.testing = False  # as it runs: errors become pages
    return app.test_client(), events, coordinator


def test_the_events_open_for_registration_are_listed_and_user_text_is_never_markup(site):
    client, events, _coordinator = site
    page = client.get("/eventos/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Oficina &lt;script&gt;alert(1)&lt;/script&gt; [bold]" in html and "<script>alert" not in html
    assert "Webinar de estoque" in html and "3 seats left" in html
    assert "Curso ainda em preparação" not in html and "Treinamento interno" not in html
    assert "https://meet.example" not in html  # the meeting link is never shown on the open pages
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and page.headers["Referrer-Policy"] == "no-referrer"


def test_an_event_page_says_what_it_is_and_a_private_one_does_not_exist(site):
    client, events, coordinator = site
    page = client.get(f"/eventos/{events['online'].id}", headers={"Accept-Language": "pt-BR,pt;q=0.9"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Webinar de estoque" in html and "online" in html
    assert "https://meet.example" not in html
    registrations.register(coordinator, events["online"].id, registrations.RegistrationInput(
        name="Maria", email="maria@example.com", consent=True))
    html = client.get(f"/eventos/{events['online'].id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "waiting list" in html
    for ref in (events["private"].id, "99999999999999999999", "abc", "<b>"):
        page = client.get(f"/eventos/{ref}", headers={"Accept-Language": "en"})
        assert page.status_code == 404 and "does not exist" in page.get_data(as_text=True)
        assert "Traceback" not in page.get_data(as_text=True)


def test_a_certificate_is_checked_by_its_code(site, tmp_path):
    from services.events import certificates

    client, _events, _coordinator = site
    path = certificates.issue_certificate(certificates.CertificateData(
        participant_name="Maria da Conceição", cpf="52998224725", event_title="Oficina de vendas",
        workload_hours=4, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), key="test:1"), folder=tmp_path)
    code = certificates.issued_for("test:1").code
    assert path.exists()
    page = client.get(f"/certificados/{code.lower()}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "authentic" in html and "Maria da Conceição" in html
    assert "529.982.247-25" not in html and "4 hours" in html  # the CPF only masked
    found = client.get(f"/certificados/?codigo={code}")
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/certificados/{code}")
    missing = client.get("/certificados/NADA-<script>", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and "&lt;script&gt;" in missing.get_data(as_text=True)


def test_a_form_without_its_token_is_refused_in_one_line(site):
    client, events, _coordinator = site
    page = client.post(f"/eventos/{events['open'].id}", data={"name": "x"}, headers={"Accept-Language": "en"})
    assert page.status_code in (400, 405)
    assert "Traceback" not in page.get_data(as_text=True)


def _token(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_access_page_opens_one_hour_before_and_only_a_post_records_presence(site):
    from models.events import Registration

    client, events, coordinator = site
    online = events["online"]
    reg = registrations.register(coordinator, online.id, registrations.RegistrationInput(
        name="Maria <b>", email="maria@example.com", consent=True)).registration
    url = f"/acesso/{reg.access_token}"
    en = {"Accept-Language": "en"}
    early = client.get(url, headers=en)
    html = early.get_data(as_text=True)
    assert early.status_code == 200 and "opens at" in html and "Maria &lt;b&gt;" in html
    assert "meet.example" not in html and early.headers["Cache-Control"] == "no-store"
    start = online.starts_at
    clock.set_clock(lambda: start - dt.timedelta(minutes=30))
    for _ in range(3):  # a mail scanner opening the link: no presence
        page = client.get(url, headers=en)
    html = page.get_data(as_text=True)
    assert "Enter the event" in html and "meet.example" not in html
    assert "form-action 'self' https://meet.example;" in page.headers["Content-Security-Policy"]  # Enter leads there
    assert "meet.example" not in early.headers["Content-Security-Policy"]  # not before the window
    assert Registration.get_by_id(reg.id).came_at is None
    assert client.post(url, headers=en).status_code == 400  # no form token
    token = _token(html)
    entered = client.post(url, data={"csrf_token": token}, headers=en)
    assert entered.status_code == 303 and entered.headers["Location"] == "https://meet.example/x"
    came = Registration.get_by_id(reg.id).came_at
    assert came is not None
    again = client.post(url, data={"csrf_token": token}, headers=en)
    assert again.status_code == 303 and Registration.get_by_id(reg.id).came_at == came  # recorded once
    clock.set_clock(lambda: online.ends_at + dt.timedelta(minutes=1))
    late = client.post(url, data={"csrf_token": token}, headers=en)
    assert late.status_code == 409 and "ended at" in late.get_data(as_text=True)
    assert client.get("/acesso/not-a-token", headers=en).status_code == 404


def _register(client, event_id, **fields):
    page = client.get(f"/eventos/{event_id}", headers={"Accept-Language": "en"})
    form = {"csrf_token": _token(page.get_data(as_text=True)), "consent": "yes", **fields}
    return client.post(f"/eventos/{event_id}", data=form, headers={"Accept-Language": "en"})


def test_registering_on_the_web_keeps_what_was_typed_and_stores_the_consent(site):
    from models.events import Registration
    from models.mail import Outbox
    from services.events import public

    client, events, _coordinator = site
    event_id = events["open"].id  # it issues certificates: a CPF is required
    page = client.get(f"/eventos/{event_id}", headers={"Accept-Language": "en"})
    assert "personal data" in page.get_data(as_text=True)
    bad = _register(client, event_id, name="Ana <script>x</script>", email="ana@", cpf="111.111.111-11",
                    phone="12", consent="")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'value="ana@"' in html and "Ana &lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x" not in html and html.count('class="field-error"') >= 3  # e-mail, CPF, consent at least
    assert not Registration.select().exists()
    huge = _register(client, event_id, name="x" * 1_000_000, email="a@example.com", cpf="52998224725")
    assert huge.status_code in (413, 422) and not Registration.select().exists()
    trap = _register(client, event_id, name="Robô", email="bot@example.com", cpf="52998224725", website="x")
    assert trap.status_code == 400 and not Registration.select().exists()
    ok = _register(client, event_id, name="Ana Souza", email="Ana@Example.com", cpf="529.982.247-25",
                   phone="+55 11 91234-5678", company="[bold]ACME")
    assert ok.status_code == 303
    done = client.get(ok.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "you are registered" in done and "ana@example.com" in done
    reg = Registration.get()
    assert (reg.source, reg.consent_version, reg.consent_address, reg.company) == (
        "web", public.CONSENT_VERSION, "127.0.0.1", "[bold]ACME")
    assert Outbox.select().where(Outbox.recipients.contains("ana@example.com")).count() == 1  # the confirmation
    again = _register(client, event_id, name="Ana Souza", email="ana@example.com", cpf="52998224725")
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and "already registered" in html and reg.code not in html
    assert Registration.select().count() == 1


def test_the_last_seat_taken_by_two_requests_at_once_goes_to_one(site):
    import threading

    from models.events import Registration

    client, events, _coordinator = site
    event_id = events["online"].id  # one seat
    app = client.application
    results = []
    start = threading.Barrier(2)

    def one(i):
        c = app.test_client()
        page = c.get(f"/eventos/{event_id}")
        form = {"csrf_token": _token(page.get_data(as_text=True)), "consent": "yes",
                "name": f"Pessoa {i}", "email": f"p{i}@example.com"}
        start.wait()
        results.append(c.post(f"/eventos/{event_id}", data=form).status_code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [303, 303]
    rows = list(Registration.select().where(Registration.event == event_id))
    assert sorted(r.waitlisted for r in rows) == [False, True]


def test_too_many_registrations_from_one_address_are_refused(site, monkeypatch):
    from screens.web import events as web_events
    from screens.web.limits import Limiter

    client, events, _coordinator = site
    monkeypatch.setattr(web_events, "BY_ADDRESS", Limiter(2, 600))
    codes = [_register(client, events["open"].id, name=f"P {i}", email=f"p{i}@example.com",
                       cpf="52998224725").status_code for i in range(3)]
    assert codes == [303, 303, 429]


def test_with_a_web_address_the_mail_gives_the_access_page_never_the_meeting_link(site, people):
    import json

    from models.mail import Outbox
    from services.core.errors import ValidationError
    from services.mail.transport import attachment_file
    from services.store import settings

    client, events, coordinator = site
    admin = people["admin"]
    for bad in ("javascript:alert(1)", "https://ana:senha@eventos.example.com", "ftp://x", "https://x/?a=1",
                "https://exa mple.com", "eventos.example.com"):
        with pytest.raises(ValidationError):
            settings.set_value(admin, "web.base_url", bad)
    assert settings.set_value(admin, "web.base_url", " https://eventos.example.com/ ") == "https://eventos.example.com"
    reg = registrations.register(coordinator, events["online"].id, registrations.RegistrationInput(
        name="Maria", email="maria@example.com", consent=True)).registration
    [mail] = [m for m in Outbox.select() if "maria@example.com" in m.recipients]
    assert f"https://eventos.example.com/acesso/{reg.access_token}" in mail.body_text
    assert "meet.example" not in mail.body_text + (mail.body_html or "")
    calendars = [attachment_file(a["path"]).read_text(encoding="utf-8") for a in json.loads(mail.attachments or "[]")]
    assert len(calendars) == 1 and all("meet.example" not in c for c in calendars)
    unfolded = calendars[0].replace("\r\n ", "")
    assert f"https://eventos.example.com/acesso/{reg.access_token}" in unfolded  # the participant's own link
    page = client.get(f"/acesso/{reg.access_token}", headers={"Accept-Language": "en"})
    assert page.status_code == 200  # the address the mail gives is the participant's page


def test_a_participant_gives_the_cpf_their_certificate_needs_on_their_page(site):
    from models.events import Registration

    client, events, coordinator = site
    reg = registrations.register(coordinator, events["open"].id, registrations.RegistrationInput(
        name="Maria", email="maria@example.com", consent=True)).registration  # no CPF yet
    url = f"/acesso/{reg.access_token}"
    en = {"Accept-Language": "en"}
    page = client.get(url, headers=en).get_data(as_text=True)
    assert "CPF for the certificate" in page
    bad = client.post(url + "/cpf", data={"csrf_token": _token(page), "cpf": "111.111.111-11"}, headers=en)
    assert bad.status_code == 422 and 'value="111.111.111-11"' in bad.get_data(as_text=True)
    assert Registration.get_by_id(reg.id).cpf == ""
    ok = client.post(url + "/cpf", data={"csrf_token": _token(page), "cpf": "529.982.247-25"}, headers=en)
    assert ok.status_code == 303
    after = client.get(ok.headers["Location"], headers=en).get_data(as_text=True)
    assert "Your CPF is saved" in after and "CPF for the certificate" not in after
    assert Registration.get_by_id(reg.id).cpf == "52998224725"
    again = client.post(url + "/cpf", data={"csrf_token": _token(page), "cpf": "529.982.247-25"}, headers=en)
    assert again.status_code == 422  # no longer wanted: nobody changes it from a link afterwards


def test_a_form_opened_before_a_restart_is_still_accepted(store, people):
    """The web's signing key is kept (an owner-only secret file): another
    process, or the same after a restart, accepts the visitor's form."""
    import os
    import stat

    from screens.web.app import create_app
    from services.core import secrets

    first = create_app(str(store)).test_client()
    page = first.get("/certificados/")
    token = _token(page.get_data(as_text=True)) if "csrf_token" in page.get_data(as_text=True) else None
    with first.session_transaction() as sess:
        token = token or sess.setdefault("csrf_token", "t" * 32)
    cookie = first.get_cookie("session")
    second = create_app(str(store)).test_client()
    second.set_cookie("session", cookie.value)
    answer = second.post("/acesso/not-a-token", data={"csrf_token": token}, headers={"Accept-Language": "en"})
    assert answer.status_code == 404  # past the form check: the token was accepted
    path = secrets.secret_file("web")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_cookies_are_sent_over_https_only_once_the_pages_address_is_https(store, people):
    from screens.web.app import create_app
    from services.store import settings

    def session_cookie():
        client = create_app(str(store), secret_key=b"k" * 32).test_client()
        with client.session_transaction() as sess:  # as a form's token is kept
            sess["csrf_token"] = "t" * 32
        return client.get_cookie("session")

    assert not session_cookie().secure  # a first try on http://127.0.0.1
    settings.set_value(people["admin"], "web.base_url", "https://eventos.example.com")
    cookie = session_cookie()
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"
