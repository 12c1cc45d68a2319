"""Events through the outbox to a real SMTP server on loopback: registration,
confirmation, reminders at frozen times, closing, certificates (read back with
pypdf), the coordinator's list of participants without a valid CPF."""
from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace

import pytest
from pypdf import PdfReader

from models import reading, write_tx
from models.events import Registration
from models.mail import Outbox
from services.core import clock
from services.core.config import MailSettings
from services.events import checkin, editing, issuing, materials, pipeline, queries
from services.events import registrations as er
from services.events import sweeps as event_sweeps
from services.ops import sweeps, worker
from tests.smtp_server import SmtpServer
from tests.unit.events.test_events import NOW, hold, mails, make_event, open_registration, person

CPF1, CPF2, CPF3 = "52998224725", "11144477735", "39053344705"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def at(when: dt.datetime) -> None:
    clock.set_clock(lambda: when)


def run(server) -> worker.RoundReport:
    report = worker.run_once(MailSettings(host="127.0.0.1", port=server.port, security="plain",
                                          sender="Atende <atende@example.com>"))
    assert all(not s.error for s in report.sweeps), report.sweeps
    return report


def delivered(server, since: int = 0):
    return server.messages[since:]


def parts(msg) -> set[str]:
    return {p.get_content_type() for p in msg.walk()}


def test_event_mail_end_to_end(people, smtp):
    assert "events.reminders" in sweeps.registered() and "events.certificates" in sweeps.registered()
    coord = people["coordinator"]
    at(NOW)
    event = open_registration(coord, make_event(coord, workload_hours="4", description="Treinamento [bold]Fiscal"))
    r1 = er.register(coord, event.id, person(1, cpf=CPF1)).registration
    r2 = er.register(coord, event.id, person(2, cpf=CPF2)).registration
    r3 = er.register(coord, event.id, person(3)).registration  # no CPF: no certificate
    assert [m["to"] for m in mails("registration_confirmed")] == [["p1@example.com"], ["p2@example.com"],
                                                                 ["p3@example.com"]]
    # the coordinator confirms the event, then resends it: one e-mail each, calendar file attached
    pipeline.set_status(coord, event.id, "confirmed")
    assert pipeline.resend_mail(coord, event.id) == 3
    confirmed = mails("event_confirmed")
    assert len(confirmed) == 3 and all(any(a.endswith(".ics") for a in m["attachments"]) for m in confirmed)
    run(smtp)
    assert smtp.wait_for(6)
    assert all("text/calendar" in parts(m) for m in delivered(smtp))
    assert all(m["state"] == "sent" for m in mails())

    # reminders: three days before, once
    start = event.starts_at
    at(start - dt.timedelta(days=3))
    run(smtp)
    assert [m["to"][0] for m in mails("event_reminder")] == ["p1@example.com", "p2@example.com", "p3@example.com"]
    run(smtp)
    assert len(mails("event_reminder")) == 3
    # a late registration gets no three-day reminder
    at(start - dt.timedelta(days=2))
    r4 = er.register(coord, event.id, person(4, cpf=CPF3)).registration
    run(smtp)
    assert len(mails("event_reminder")) == 3
    # the start moves six hours later: the one-day reminder follows it
    e = queries.get_event(coord, event.id)
    moved = editing.update_event(coord, e.id, replace(editing.EventInput.from_event(e),
                                                      starts_at=start + dt.timedelta(hours=6),
                                                      ends_at=e.ends_at + dt.timedelta(hours=6)), e.version)
    at(start - dt.timedelta(days=1))
    run(smtp)
    assert len(mails("event_reminder")) == 3
    at(moved.starts_at - dt.timedelta(days=1))
    run(smtp)
    one_day = [m for m in mails("event_reminder") if m["kind"] == "reminder_1d"]
    assert sorted(m["to"][0] for m in one_day) == ["p1@example.com", "p2@example.com", "p3@example.com",
                                                   "p4@example.com"]
    run(smtp)
    assert len(mails("event_reminder")) == 7
    assert smtp.wait_for(6 + 1 + 7)  # + p4's registration confirmation

    # the event happens: three of four come; it is closed
    at(moved.starts_at + dt.timedelta(minutes=10))
    for r in (r1, r2, r3):
        checkin.checkin(coord, r.code, event.id)
    for stage in ("materials", "feedback", "held"):
        pipeline.move_event(coord, event.id, stage)
    assert {r.id: r.stage for r in er.list_registrations(coord, event.id)}[r4.id] == "no_show"

    # certificates after the end: those who came with a valid CPF
    at(moved.ends_at + dt.timedelta(hours=1))
    before = len(smtp.messages)
    run(smtp)
    certs = mails("certificate")
    assert sorted(m["to"][0] for m in certs) == ["p1@example.com", "p2@example.com"]
    assert [m.name for m in issuing.without_cpf(coord, event.id)] == ["Participant 3"]
    assert smtp.wait_for(before + 2)
    pdfs = [p for m in delivered(smtp, before) for p in m.walk() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 2
    texts = [" ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(p.get_payload(decode=True))).pages)
             for p in pdfs]
    assert any("Participant 1" in t for t in texts) and all("Fiscal" in t for t in texts)
    with reading():
        assert Registration.get_by_id(r1.id).certificate_issued_at is not None
    # the CPF is fixed: the next sweep issues it; nothing goes twice
    er.update_cpf(coord, r3.id, CPF3)
    run(smtp)
    run(smtp)
    assert sorted(m["to"][0] for m in mails("certificate")) == ["p1@example.com", "p2@example.com",
                                                                "p3@example.com"]
    assert issuing.without_cpf(coord, event.id) == []


def test_no_reminders_for_a_cancelled_event_and_cancellation_mails_each(people):
    coord = people["coordinator"]
    at(NOW)
    event = open_registration(coord, make_event(coord))
    er.register(coord, event.id, person(1))
    er.register(coord, event.id, person(2))
    result = pipeline.move_event(coord, event.id, "cancelled")
    assert result.mailed == 2 and len(mails("event_cancelled")) == 2
    pipeline.move_event(coord, event.id, "cancelled")  # a double click sends nothing more
    assert len(mails("event_cancelled")) == 2
    assert event_sweeps.reminders_sweep(event.starts_at - dt.timedelta(days=3)) == 0


def test_a_bad_address_is_kept_as_failed_and_the_registration_stays(people):
    coord = people["coordinator"]
    at(NOW)
    event = open_registration(coord, make_event(coord))
    reg = er.register(coord, event.id, person(1)).registration
    with write_tx():  # e.g. an address from an old import
        Registration.update(email="maria@@example").where(Registration.id == reg.id).execute()
    assert event_sweeps.reminders_sweep(event.starts_at - dt.timedelta(days=3)) == 1
    with reading():
        row = Outbox.select().where(Outbox.kind == "reminder_3d").get()
        assert row.state == "failed" and "maria@@example" in row.last_error
        assert json.loads(row.recipients) == ["maria@@example"]
        assert Registration.get_by_id(reg.id).cancelled_at is None
    assert event_sweeps.reminders_sweep(event.starts_at - dt.timedelta(days=3)) == 0


def test_online_events_carry_the_participants_own_link(people):
    coord = people["coordinator"]
    at(NOW)
    event = open_registration(coord, make_event(coord, fmt="online"))
    reg = er.register(coord, event.id, person(1)).registration
    [mail] = mails("registration_confirmed")
    assert reg.access_token in mail["text"] and "https://meet.example.com/x" in mail["text"]


def test_certificates_issue_event_cli_path(people):
    coord = people["coordinator"]
    at(NOW)
    event = open_registration(coord, make_event(coord, workload_hours="2"))
    r1 = er.register(coord, event.id, person(1, cpf=CPF1)).registration
    r2 = er.register(coord, event.id, person(2)).registration
    at(event.starts_at)
    checkin.checkin(coord, r1.code, event.id)
    checkin.checkin(coord, r2.code, event.id)
    hold(coord, event)
    seen = []
    report = issuing.issue_event(coord, str(event.id), lambda done, total: seen.append((done, total)))
    assert report.issued == 1 and [who for who, _why in report.skipped] == ["Participant 2"]
    assert seen[-1] == (2, 2)
    assert len(mails("certificate")) == 1
    again = issuing.issue_event(coord, str(event.id))
    assert (again.issued, again.before) == (0, 1)  # said as issued before, not issued again
    assert len(mails("certificate")) == 1


def test_materials_sweep_waits_for_the_last_file_then_sends_once(people, tmp_path):
    coord = people["coordinator"]
    at(NOW)
    event = open_registration(coord, make_event(coord))
    reg = er.register(coord, event.id, person(1)).registration
    at(event.starts_at)
    checkin.checkin(coord, reg.code, event.id)
    for stage in ("materials", "feedback", "held"):
        pipeline.move_event(coord, event.id, stage)
    slides = tmp_path / "slides.pdf"
    slides.write_bytes(b"%PDF-1.4 test")
    materials.attach_material(coord, event.id, str(slides))
    assert event_sweeps.materials_sweep(event.starts_at + dt.timedelta(minutes=5)) == 0
    assert event_sweeps.materials_sweep(event.starts_at + dt.timedelta(hours=2)) == 1
    assert event_sweeps.materials_sweep(event.starts_at + dt.timedelta(hours=3)) == 0
    [mail] = mails("event_materials")
    assert "001-slides.pdf" in mail["attachments"] and mail["to"] == ["p1@example.com"]
    assert er.get_registration(coord, reg.id).stage == "processed"


def test_a_certificate_sends_people_to_the_web_page_that_checks_it(people):
    from models.mail import Certificate
    from services.store import settings

    coord = people["coordinator"]
    settings.set_value(people["admin"], "web.base_url", "https://eventos.example.com")
    at(NOW)
    event = open_registration(coord, make_event(coord, workload_hours="2"))
    reg = er.register(coord, event.id, person(1, cpf=CPF1)).registration
    at(event.starts_at)
    checkin.checkin(coord, reg.code, event.id)
    hold(coord, event)
    assert issuing.issue_event(coord, str(event.id)).issued == 1
    code = Certificate.get().code
    [mail] = mails("certificate")
    assert f"https://eventos.example.com/certificados/{code}" in mail["text"]


def test_mail_arrives_to_the_persons_name_with_a_long_subject_whole(people, smtp):
    """Through a real SMTP server: the recipient's name is in To (a comma in
    it makes no second recipient), and a long accented subject, folded on the
    wire, reads back exactly."""
    coord = people["coordinator"]
    at(NOW)
    title = ("Treinamento avançado de atendimento ao cliente — módulo de cobrança e negociação de débitos, "
             "turma de dezembro")
    event = open_registration(coord, make_event(coord, description=title))
    er.register(coord, event.id, person(1, name="Silva, Ana Júlia"))
    run(smtp)
    assert smtp.wait_for(1)
    [msg] = delivered(smtp)
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [("Silva, Ana Júlia", "p1@example.com")]
    assert str(msg["Subject"]).endswith(title) and "  " not in str(msg["Subject"])
    [row] = mails("registration_confirmed")
    assert row["state"] == "sent"
