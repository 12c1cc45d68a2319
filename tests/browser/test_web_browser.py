"""The web pages in a real browser: Playwright for Python driving Debian's
Chromium (the apt package `chromium`; Playwright's own browser download is
not used) against `atende web` on loopback. Skipped, with one line, where
Chromium or Playwright is missing; `.ci/run` installs Chromium."""
from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed "
                                                                             "(apt-get install chromium)")]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


def start_event(coordinator, fmt: str, start: dt.datetime, **fields):
    """An event of format `fmt`, public, with its registrations open."""
    from services.events import editing, event_types, pipeline

    type_id = next(t.id for t in event_types.list_types(coordinator) if t.format == fmt)
    info = editing.create_event(coordinator, editing.EventInput(
        responsible_id=coordinator.id, starts_at=start, ends_at=start + dt.timedelta(hours=3), type_id=type_id,
        public=True, **fields))
    pipeline.move_event(coordinator, info.id, "preparation")
    pipeline.move_event(coordinator, info.id, "registration")
    return info


@pytest.fixture
def server(store):
    """`atende web` on a free loopback port over the test's store; its base URL."""
    from tests.web_server import serving

    with serving(store) as base:
        yield base


@pytest.fixture
def web(server, people):
    """The server, with a public event open for registration."""
    from services.core import clock

    clock.set_clock(None)
    start = dt.datetime.now().replace(microsecond=0) + dt.timedelta(days=7)
    info = start_event(people["coordinator"], "offline", start, description="Oficina de vendas",
                       address="Rua das Flores, 10", seats=20, workload_hours="3")
    return server, info


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_participant_registers_from_the_events_page(web, browser, width, tmp_path):
    from models.events import Registration

    base, info = web
    page = browser.new_page(viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)), locale="pt-BR")
    page.goto(base + "/eventos/")
    page.screenshot(path=tmp_path / f"events-{width}.png", full_page=True)
    page.click("text=Oficina de vendas")
    page.fill("#name", "Paula <script>alert(1)</script>")
    page.fill("#email", f"paula.{width}@example.com")
    page.fill("#cpf", "123")
    page.click("button[type=submit]")
    page.screenshot(path=tmp_path / f"event-errors-{width}.png", full_page=True)
    assert "CPF inválido" in page.inner_text("main") and "Sem consentimento" in page.inner_text("main")
    assert page.input_value("#name") == "Paula <script>alert(1)</script>"  # what was typed is kept
    page.fill("#cpf", "529.982.247-25")
    page.check("input[name=consent]")
    page.click("button[type=submit]")
    page.screenshot(path=tmp_path / f"registered-{width}.png", full_page=True)
    assert page.url.endswith(f"/eventos/{info.id}/inscricao")
    assert "sua inscrição está feita" in page.inner_text("main")
    reg = Registration.get(Registration.email == f"paula.{width}@example.com")
    assert reg.source == "web" and reg.name == "Paula <script>alert(1)</script>" and reg.cpf == "52998224725"


def viewport(width: str) -> dict:
    return dict(zip(("width", "height"), WIDTHS[width], strict=True))


@pytest.mark.sqlite_only
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_participant_enters_an_online_event_inside_its_window(server, people, browser, width, tmp_path):
    from models.events import Registration
    from services.core import clock
    from services.events import registrations

    clock.set_clock(None)
    start = dt.datetime.now().replace(microsecond=0) + dt.timedelta(minutes=30)  # the window is open
    info = start_event(people["coordinator"], "online", start, description="Webinar de estoque", seats=50,
                       access_link="https://meet.example/sala-42")
    reg = registrations.register(people["coordinator"], info.id, registrations.RegistrationInput(
        name="Joana Prado", email="joana@example.com", consent=True)).registration
    page = browser.new_page(viewport=viewport(width), locale="pt-BR")
    page.route("https://meet.example/**", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body="<h1>Sala de reunião 42</h1>"))  # no network here
    page.goto(f"{server}/acesso/{reg.access_token}")
    page.screenshot(path=tmp_path / f"access-{width}.png", full_page=True)
    assert "Joana Prado" in page.inner_text("main") and "meet.example" not in page.content()
    assert Registration.get_by_id(reg.id).came_at is None  # opening the page records nothing
    page.click("button.enter")
    page.wait_for_url("https://meet.example/sala-42")
    assert "Sala de reunião 42" in page.inner_text("body")
    assert Registration.get_by_id(reg.id).came_at is not None


@pytest.mark.sqlite_only
def test_a_certificate_is_checked_from_its_code(server, people, browser, tmp_path):
    from services.events import certificates

    certificates.issue_certificate(certificates.CertificateData(
        participant_name="Maria da Conceição", cpf="52998224725", event_title="Oficina de vendas",
        workload_hours=4, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), key="browser:1"), folder=tmp_path)
    code = certificates.issued_for("browser:1").code
    for width in sorted(WIDTHS):
        page = browser.new_page(viewport=viewport(width), locale="pt-BR")
        page.goto(server + "/certificados/")
        page.fill("input[name=codigo]", code.lower())
        page.press("input[name=codigo]", "Enter")
        page.wait_for_url(re.compile(rf"/certificados/{code}$", re.IGNORECASE))
        page.screenshot(path=tmp_path / f"certificate-{width}.png", full_page=True)
        text = page.inner_text("main")
        assert "Maria da Conceição" in text and "Oficina de vendas" in text and "529.982.247-25" not in text
    page.goto(server + "/certificados/NAO-EXISTE")
    page.screenshot(path=tmp_path / "certificate-missing.png", full_page=True)
    assert "Maria" not in page.inner_text("main")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_representative_signs_in_and_sends_a_contact_with_a_file(server, people, browser, width, tmp_path):
    from models import Customer, Queue, write_tx
    from services.contactus import accounts, catalogue, company_contacts
    from services.store import users

    admin = people["admin"]
    with write_tx():
        queue = Queue.create(name="Financeiro")
        acme = Customer.create(kind="customer", name="Acme Ltda", name_norm="acme ltda")
    billing = catalogue.add_classification(admin, "Financeiro", queue.id)
    catalogue.add_subclassification(admin, billing.id, "Segunda via de boleto")
    users.add(admin, "rita", "representative", name="Rita Rep", company_id=acme.id)
    accounts.set_password(admin, "rita", "senha-da-rita-1")
    sent_file = tmp_path / "boleto março.pdf"
    sent_file.write_bytes(b"%PDF-1.4 boleto")
    page = browser.new_page(viewport=viewport(width), locale="pt-BR")
    page.goto(server + "/empresa/")
    page.screenshot(path=tmp_path / f"company-sign-in-{width}.png", full_page=True)
    page.fill("#login", "rita")
    page.fill("#password", "senha-errada-1")
    page.click("main button[type=submit]")
    assert "Login ou senha incorretos" in page.inner_text("main") and page.input_value("#login") == "rita"
    page.fill("#password", "senha-da-rita-1")
    page.click("main button[type=submit]")
    page.wait_for_url("**/empresa/")
    page.screenshot(path=tmp_path / f"company-contacts-{width}.png", full_page=True)
    page.click("main a.button")
    page.select_option("#classification", label="Financeiro")
    page.select_option("#subclassification", label="Segunda via de boleto")
    page.fill("#contact_name", "Rita <b>Rep</b>")
    page.fill("#phone", "(11) 91234-5678")
    page.fill("#email", "rita@")
    page.fill("#message", "Preciso da segunda via [bold] do boleto.")
    page.set_input_files("#attachment", str(sent_file))
    page.click("main button[type=submit]")
    page.screenshot(path=tmp_path / f"company-new-errors-{width}.png", full_page=True)
    assert "E-mail inválido" in page.inner_text("main") or "inválido" in page.inner_text("main")
    assert page.input_value("#contact_name") == "Rita <b>Rep</b>"
    page.fill("#email", "rita@acme.com.br")
    page.set_input_files("#attachment", str(sent_file))
    page.click("main button[type=submit]")
    page.wait_for_url("**/empresa/contatos/*")
    page.screenshot(path=tmp_path / f"company-thread-{width}.png", full_page=True)
    [row] = company_contacts.contacts(users.identify("rita"))
    text = page.inner_text("main")
    assert row.protocol in text and "boleto março.pdf" in text and "[bold]" in text
    page.fill("#body", "Mais um detalhe.")
    page.click("main button[type=submit]")
    page.wait_for_url("**/empresa/contatos/*")
    assert "Mensagem enviada" in page.inner_text("main") and "Mais um detalhe." in page.inner_text("main")
    page.click("nav form.sign-out button")
    page.wait_for_url("**/empresa/entrar")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_contact_rates_a_resolved_ticket_once(server, people, browser, width, tmp_path):
    """The survey link of a resolved ticket: a rating is asked for, recorded
    once; opening the link again says it was answered."""
    from models.desk import Survey
    from models.mail import Outbox
    from services.core import clock
    from services.store import settings
    from services.tickets.wizard import draft as wizard_draft
    from services.tickets.wizard import finishing, saving
    from tests.scenes import make_desk

    admin = people["admin"]
    clock.set_clock(None)
    settings.set_value(admin, "web.base_url", server)
    w = make_desk()
    c = w["customers"][0]
    d = saving.start(admin)
    finishing.finish(admin, wizard_draft.update(
        d, customer_id=c.id, contact_id=c.contacts[0].id, problem="queda", queue_id=w["queue"].id,
        type_id=w["outage"].id, responsible_role="agent", step="first_contact", resolved=True,
        solution="reiniciou"))
    link = re.search(r"https?://\S+/avaliacao/\S+", Outbox.get(Outbox.kind == "survey").body_text).group(0)
    page = browser.new_page(viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)), locale="pt-BR")
    page.goto(link)
    assert d.protocol in page.inner_text("main") and Survey.get().answered_at is None
    page.click("button[type=submit]")
    page.screenshot(path=tmp_path / f"survey-errors-{width}.png", full_page=True)
    assert "Escolha uma nota de 1 a 5" in page.inner_text("main")
    page.check("input[name=rating][value='4']")
    page.fill("#comment", "Rápido <script>alert(1)</script>")
    page.click("button[type=submit]")
    assert "Sua avaliação foi registrada" in page.inner_text("main")
    page.goto(link)
    page.screenshot(path=tmp_path / f"survey-again-{width}.png", full_page=True)
    assert "já foi respondida" in page.inner_text("main")
    row = Survey.get()
    assert (row.rating, row.comment) == (4, "Rápido <script>alert(1)</script>")
