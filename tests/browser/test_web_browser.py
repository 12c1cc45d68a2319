"""The web pages in a real browser: Playwright for Python driving Debian's
Chromium (the apt package `chromium`; Playwright's own browser download is
not used) against `atende web` on loopback. Skipped, with one line, where
Chromium or Playwright is missing; `.ci/run` installs Chromium."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed "
                                                                             "(apt-get install chromium)")]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


@pytest.fixture
def web(store, people, tmp_path):
    """`atende web` on a free loopback port over the test's store, with a
    public event open for registration; its base URL."""
    from services.core import clock
    from services.events import editing, event_types, pipeline
    from tests.smtp_server import free_port

    coordinator = people["coordinator"]
    clock.set_clock(None)
    offline = next(t.id for t in event_types.list_types(coordinator) if t.format == "offline")
    start = dt.datetime.now().replace(microsecond=0) + dt.timedelta(days=7)
    info = editing.create_event(coordinator, editing.EventInput(
        description="Oficina de vendas", responsible_id=coordinator.id, starts_at=start,
        ends_at=start + dt.timedelta(hours=3), type_id=offline, address="Rua das Flores, 10", seats=20,
        public=True, workload_hours="3"))
    pipeline.move_event(coordinator, info.id, "preparation")
    pipeline.move_event(coordinator, info.id, "registration")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", "from app import main; main()", "--db", str(store), "web",
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/eventos/", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"atende web did not start: {proc.stdout.read().decode(errors='replace')[-500:]}")
            time.sleep(0.2)
    yield base, info
    proc.terminate()
    proc.wait(10)


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
