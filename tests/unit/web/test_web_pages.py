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
