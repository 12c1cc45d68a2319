"""Satisfaction surveys: offered once when a ticket is resolved, answered once on the web."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from models import Ticket, TicketType, write_tx
from models.desk import Survey
from models.mail import Outbox
from services.core import clock
from services.core.errors import Conflict, NotFound, ValidationError
from services.store import settings
from services.supervisor import dashboard
from services.tickets import setup, surveys
from services.tickets import thread as ticket_thread
from services.tickets.wizard import draft as wizard_draft
from services.tickets.wizard import finishing, saving
from tests.scenes import make_desk

NOW = dt.datetime(2026, 3, 9, 10, 0)


@pytest.fixture
def desk(admin):
    clock.set_clock(lambda: NOW)
    settings.set_value(admin, "web.base_url", "https://atende.example.com")
    return make_desk()


def open_ticket(admin, w, i=0, resolved=False, kind="customer"):
    c = w["customers"][i]
    d = saving.start(admin)
    changes = dict(customer_id=c.id, contact_id=c.contacts[0].id, plan_id=c.plans[0].id, problem="queda",
                   queue_id=w["queue"].id, type_id=w["outage"].id, responsible_role="agent", step="first_contact",
                   resolved=resolved, solution="reiniciou" if resolved else "")
    if kind == "access_point":
        changes = dict(kind="access_point", access_point_id=w["aps"][0].id, problem="queda", queue_id=w["queue"].id,
                       type_id=w["outage"].id, responsible_role="agent", step="first_contact", resolved=resolved,
                       solution="reiniciou" if resolved else "")
    finishing.finish(admin, wizard_draft.update(d, **changes))
    return Ticket.get(Ticket.id == d.ticket_id)


def link_of(ticket_id: int) -> str:
    mail = Outbox.get((Outbox.kind == "survey") & (Outbox.about_id == str(ticket_id)))
    assert json.loads(mail.recipients) == ["c0@example.com"]
    return re.search(r"https://atende\.example\.com/avaliacao/(\S+)", mail.body_text).group(1)


def test_resolving_asks_the_contact_once_and_the_answer_counts_once(admin, desk):
    t = open_ticket(admin, desk)
    assert not Survey.select().exists()  # open: nobody asked yet
    state = ticket_thread.state(admin, t.id)
    ticket_thread.change_status(admin, t.id, "resolved", expected_version=state.version)
    token = link_of(t.id)
    assert Survey.get().token_hash != token  # only its hash is kept
    assert surveys.find(token) == surveys.SurveyView(t.protocol, False, None)  # reading records nothing
    # reopened and resolved again: still one survey, one e-mail
    state = ticket_thread.state(admin, t.id)
    ticket_thread.change_status(admin, t.id, "open", expected_version=state.version, reason="voltou")
    state = ticket_thread.state(admin, t.id)
    ticket_thread.change_status(admin, t.id, "resolved", expected_version=state.version)
    assert Survey.select().count() == 1 and Outbox.select().where(Outbox.kind == "survey").count() == 1
    with pytest.raises(ValidationError) as err:
        surveys.answer(token, "9", "x" * 3000)
    assert set(err.value.errors) == {"rating", "comment"}
    assert surveys.answer(token, "4", "  Rápido [bold] ") == surveys.SurveyView(t.protocol, True, 4)
    with pytest.raises(Conflict):
        surveys.answer(token, "1")
    assert Survey.get().rating == 4 and Survey.get().comment == "Rápido [bold]"
    with pytest.raises(NotFound):
        surveys.find("nope")


def test_nobody_is_asked_without_a_contact_address_a_web_address_or_when_the_type_says_no(admin, desk):
    ap = open_ticket(admin, desk, kind="access_point", resolved=True)
    assert not Survey.select().where(Survey.ticket == ap.id).exists()  # an access point's ticket
    setup.save(admin, "type", desk["outage"].id, {"survey": ""})
    assert not TicketType.get_by_id(desk["outage"].id).survey
    open_ticket(admin, desk, resolved=True)
    assert not Survey.select().exists()
    setup.save(admin, "type", desk["outage"].id, {"survey": "yes"})
    settings.set_value(admin, "web.base_url", "")
    open_ticket(admin, desk, resolved=True)
    assert not Survey.select().exists()


def test_resolved_at_first_contact_is_asked_and_the_dashboard_shows_the_ratings(admin, desk):
    t = open_ticket(admin, desk, resolved=True)
    surveys.answer(link_of(t.id), 5)
    with write_tx():
        Survey.update(agent=admin.id).execute()
    board = dashboard.read(admin)
    assert ("agent", admin.name, 5.0, 1) in [(r.group, r.name, r.average, r.answers) for r in board.satisfaction]
    assert ("type", "Sem conexão", 5.0, 1) in [(r.group, r.name, r.average, r.answers) for r in board.satisfaction]


def test_the_web_page_asks_records_once_and_never_on_a_get(admin, desk, store):
    from screens.web.app import create_app

    t = open_ticket(admin, desk, resolved=True)
    token = link_of(t.id)
    client = create_app(str(store), secret_key=b"k" * 32).test_client()
    en = {"Accept-Language": "en"}
    page = client.get(f"/avaliacao/{token}", headers=en)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and t.protocol in html and "Rate our service" in html
    assert Survey.get().answered_at is None
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    bad = client.post(f"/avaliacao/{token}", data={"csrf_token": csrf, "rating": "7", "comment": "<script>x"},
                      headers=en)
    assert bad.status_code == 400 and "Choose a rating from 1 to 5" in bad.get_data(as_text=True)
    assert "&lt;script&gt;x" in bad.get_data(as_text=True)  # what was typed, kept, never markup
    ok = client.post(f"/avaliacao/{token}", data={"csrf_token": csrf, "rating": "3"}, headers=en)
    assert ok.status_code == 200 and "Thank you! Your rating was recorded." in ok.get_data(as_text=True)
    again = client.post(f"/avaliacao/{token}", data={"csrf_token": csrf, "rating": "5"}, headers=en)
    assert again.status_code == 409 and Survey.get().rating == 3
    assert client.get("/avaliacao/not-a-token", headers=en).status_code == 404
