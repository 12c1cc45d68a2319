"""Registrations: consent, duplicates, capacity and the waiting list, check-in,
online access windows, CSV import, a participant's data on request."""
from __future__ import annotations

import datetime as dt

import pytest

from models import AuditLog, reading
from models.events import Registration
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.events import checkin, editing, fields, notifications, privacy, queries, sweeps
from services.events import imports as imp
from services.events import registrations as er
from tests.unit.events.test_events import NOW, frozen, hold, mails, make_event, open_registration, person  # noqa: F401

VALID_CPF = "529.982.247-25"


@pytest.fixture
def event(people, frozen):  # noqa: F811 (the imported pytest fixture)
    coord = people["coordinator"]
    return open_registration(coord, make_event(coord, seats=2))


def test_registration_needs_consent_and_valid_data(people, event):
    with pytest.raises(ValidationError) as exc:
        er.register(people["agent"], event.id, er.RegistrationInput(
            name="", email="not-an-email", cpf="111.111.111-11", phone="12", consent=False))
    assert set(exc.value.errors) == {"name", "email", "cpf", "phone", "consent"}
    assert "consent" in exc.value.errors["consent"]
    with reading():
        assert Registration.select().count() == 0


def test_registration_gets_code_token_and_confirmation(people, event):
    r = er.register(people["agent"], event.id, er.RegistrationInput(
        name="[bold]Maria", email="Maria@Example.com", cpf=VALID_CPF, phone="(11) 91234-5678",
        company="ACME", consent=True), source="desk").registration
    assert r.email == "maria@example.com" and r.cpf == "52998224725" and r.phone.startswith("+55 11")
    assert len(r.code) == 8 and r.code.isalnum() and r.code.isupper()
    assert r.stage == "waiting" and not r.waitlisted and r.consent_by == "t_agent" and r.source == "desk"
    assert mails("registration_confirmed")[-1]["to"] == ["maria@example.com"]


def test_same_email_twice_is_refused(people, event):
    er.register(people["agent"], event.id, person(1))
    with pytest.raises(ValidationError, match="already registered") as exc:
        er.register(people["agent"], event.id, er.RegistrationInput(
            name="Other", email="P1@example.com", consent=True))
    assert "email" in exc.value.errors


def test_registration_is_refused_before_the_registration_stage(people, frozen):  # noqa: F811 (the imported pytest fixture)
    coord = people["coordinator"]
    e = make_event(coord)
    with pytest.raises(ValidationError, match="not open"):
        er.register(coord, e.id, person(1))


def test_over_capacity_goes_to_the_waiting_list_and_cancel_promotes(people, event):
    from models import User

    coord, agent = people["coordinator"], people["agent"]
    User.update(email="coord@example.com").where(User.id == coord.id).execute()
    a = er.register(agent, event.id, person(1)).registration
    er.register(agent, event.id, person(2))
    third = er.register(agent, event.id, person(3))
    fourth = er.register(agent, event.id, person(4))
    assert third.waitlisted and third.registration.waitlist_position == 1
    assert fourth.registration.waitlist_position == 2
    info = queries.get_event(coord, event.id)
    assert (info.registered, info.waiting, info.free_seats) == (2, 2, 0)
    # the responsible is told, in the app and by e-mail
    assert any("waiting list" in n.text for n in notifications.notifications(coord))
    assert mails("waitlist_responsible")[-1]["to"] == ["coord@example.com"]
    promoted = er.cancel_registration(coord, a.id)
    assert promoted == [third.registration.id]
    regs = {r.id: r for r in er.list_registrations(coord, event.id)}
    assert regs[third.registration.id].stage == "waiting" and not regs[third.registration.id].waitlisted
    assert regs[fourth.registration.id].waitlist_position == 1
    assert mails("registration_promoted")[-1]["to"] == ["p3@example.com"]


def test_more_seats_promote_the_waiting_list(people, event):
    from dataclasses import replace

    coord = people["coordinator"]
    for i in range(4):
        er.register(coord, event.id, person(i))
    editing.update_event(coord, event.id,
                         replace(editing.EventInput.from_event(queries.get_event(coord, event.id)), seats=3))
    info = queries.get_event(coord, event.id)
    assert (info.registered, info.waiting) == (3, 1)


def test_fewer_seats_keep_existing_registrations(people, event):
    from dataclasses import replace

    coord = people["coordinator"]
    for i in range(2):
        er.register(coord, event.id, person(i))
    editing.update_event(coord, event.id,
                         replace(editing.EventInput.from_event(queries.get_event(coord, event.id)), seats=1))
    info = queries.get_event(coord, event.id)
    assert (info.registered, info.waiting) == (2, 0)
    assert er.register(coord, event.id, person(5)).waitlisted


def test_agents_register_but_do_not_cancel(people, event):
    r = er.register(people["agent"], event.id, person(1)).registration
    with pytest.raises(PermissionDenied):
        er.cancel_registration(people["agent"], r.id)


def test_only_the_responsible_or_a_lead_manages_an_events_registrations(people, event):
    """Coordinators hold "registrations.manage" and "certificates.issue", but
    on someone else's event they may not cancel, import, issue certificates or
    send its e-mails again; its responsible and supervisors may."""
    from models.mail import Outbox
    from services.events import issuing
    from services.events import mail as event_mail
    from services.store import users

    users.add(people["admin"], "t_coord2", "coordinator", name="Other Coordinator")
    other = users.identify("t_coord2")
    r = er.register(people["agent"], event.id, person(1)).registration
    rows = b"name,email,consent\nNova,nova@example.com,sim\n"
    with reading():
        mails_before = Outbox.select().count()
    for attempt in (lambda: er.cancel_registration(other, r.id),
                    lambda: imp.import_csv(other, event.id, rows),
                    lambda: issuing.issue_event(other, str(event.id)),
                    lambda: event_mail.resend(other, event.id)):
        with pytest.raises(PermissionDenied, match="responsible"):
            attempt()
    with reading():
        assert [x.email for x in Registration.select().where(Registration.cancelled_at.is_null())] == ["p1@example.com"]
        assert Outbox.select().count() == mails_before
    assert imp.import_csv(people["coordinator"], event.id, rows).added == 1
    with pytest.raises(ValidationError, match="closed as held"):
        issuing.issue_event(people["coordinator"], str(event.id))  # not before it happened
    assert len(event_mail.resend(people["supervisor"], event.id)) == 2  # one per participant
    er.cancel_registration(people["supervisor"], r.id)
    with pytest.raises(NotFound):
        event_mail.resend(people["supervisor"], "99999999999999999999")
    assert issuing.issue_event(people["coordinator"], str(hold(people["coordinator"], event).id)).issued == 0


# --------------------------------------------------------------------------- check-in


def test_checkin_by_code_undo_and_counts(people, event):
    agent = people["agent"]
    a = er.register(agent, event.id, person(1)).registration
    er.register(agent, event.id, person(2))
    er.register(agent, event.id, person(3))  # waiting list
    assert checkin.checkin_counts(agent, event.id) == checkin.CheckinCounts(expected=2, came=0, missing=2,
                                                                            waiting_list=1)
    done = checkin.checkin(agent, f"  {a.code[:4].lower()}-{a.code[4:]} ", event_id=event.id)
    assert (done.stage, done.came_at, done.came_by) == ("came", NOW, "t_agent")
    assert checkin.checkin_counts(agent, event.id).came == 1
    with pytest.raises(checkin.CheckinRefused, match="already checked in .*09:00.*t_agent"):
        checkin.checkin(agent, a.code)
    undone = checkin.undo_checkin(agent, a.id)
    assert undone.stage == "waiting" and undone.came_at is None
    assert checkin.checkin_counts(agent, event.id).came == 0


def test_checkin_refusals(people, event):
    agent = people["agent"]
    with pytest.raises(NotFound, match="Unknown code"):
        checkin.checkin(agent, "ZZZZZZZZ")
    with pytest.raises(checkin.CheckinRefused):
        checkin.checkin(agent, "   ")
    er.register(agent, event.id, person(1))
    er.register(agent, event.id, person(2))
    w = er.register(agent, event.id, person(3)).registration
    with pytest.raises(checkin.CheckinRefused, match="waiting list"):
        checkin.checkin(agent, w.code)
    other = open_registration(people["coordinator"], make_event(people["coordinator"], description="Other"))
    o = er.register(agent, other.id, person(9)).registration
    with pytest.raises(checkin.CheckinRefused, match="another event"):
        checkin.checkin(agent, o.code, event_id=event.id)


def test_search_matches_name_cpf_and_code(people, event):
    r = er.register(people["agent"], event.id, er.RegistrationInput(
        name="José da Silva", email="jose@example.com", cpf=VALID_CPF, consent=True)).registration
    assert checkin.matches(r, "jose")
    assert checkin.matches(r, "SILVA")
    assert checkin.matches(r, "529.982")
    assert checkin.matches(r, r.code.lower())
    assert not checkin.matches(r, "maria")


# --------------------------------------------------------------------------- online access


@pytest.fixture
def online(people, frozen):  # noqa: F811 (the imported pytest fixture)
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, fmt="online", seats=None))
    r = er.register(coord, e.id, person(1)).registration
    return e, r


def test_access_opens_exactly_one_hour_before_the_start(online):
    e, r = online
    opens = e.starts_at - dt.timedelta(hours=1)
    with pytest.raises(checkin.AccessRefused, match=fields.format_datetime(opens)):
        checkin.access_online(r.access_token, now=opens - dt.timedelta(seconds=1))
    result = checkin.access_online(r.access_token, now=opens)
    assert result.link == "https://meet.example.com/x" and result.first_access
    reg = Registration.get_by_id(r.id)
    assert (reg.stage, reg.came_at, reg.came_by) == ("came", opens, "online")
    assert not checkin.access_online(r.access_token, now=opens + dt.timedelta(minutes=5)).first_access


def test_access_closes_at_the_end(online):
    e, r = online
    assert checkin.access_online(r.access_token, now=e.ends_at).link
    with pytest.raises(checkin.AccessRefused, match="ended"):
        checkin.access_online(r.access_token, now=e.ends_at + dt.timedelta(seconds=1))


def test_once_closed_as_held_the_access_link_changes_nothing(people, online):
    e, r = online
    hold(people["coordinator"], e)  # closed at its end: r did not come
    assert Registration.get_by_id(r.id).stage == "no_show"
    with pytest.raises(checkin.AccessRefused, match="over and closed"):
        checkin.access_online(r.access_token, now=e.ends_at)  # still inside the window, but closed
    assert Registration.get_by_id(r.id).stage == "no_show" and Registration.get_by_id(r.id).came_at is None
    assert not checkin.access_view(r.access_token, now=e.ends_at).open


def test_access_refusals(people, online):
    e, r = online
    with pytest.raises(NotFound):
        checkin.access_online("nope", now=e.starts_at)
    er.cancel_registration(people["coordinator"], r.id)
    with pytest.raises(checkin.AccessRefused, match="cancelled"):
        checkin.access_online(r.access_token, now=e.starts_at)
    offline = open_registration(people["coordinator"], make_event(people["coordinator"], fmt="offline"))
    o = er.register(people["agent"], offline.id, person(2)).registration
    with pytest.raises(checkin.AccessRefused, match="in person"):
        checkin.access_online(o.access_token, now=offline.starts_at)


# --------------------------------------------------------------------------- CSV import


def test_import_reports_rejected_rows(people, event, tmp_path):
    coord = people["coordinator"]
    er.register(coord, event.id, person(1))
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "nome;e-mail;telefone;cpf;empresa;consentimento\n"
        "Ana Souza;ana@example.com;(11) 91234-5678;529.982.247-25;ACME;sim\n"
        "Bruno;bruno@example;;;;sim\n"
        "Carla;carla@example.com;;123;;sim\n"
        "Dora;dora@example.com;;;;não\n"
        "Eva;ana@example.com;;;;sim\n"
        "Fabio;p1@example.com;;;;sim\n"
        "Gil;gil@example.com;;;;sim\n"
        "short;row\n"
        "\n", encoding="utf-8")
    report = imp.import_csv(coord, event.id, csv_file)
    assert (report.rows, report.added, report.waitlisted) == (8, 2, 1)
    reasons = {r.line: r.reason for r in report.rejected}
    assert set(reasons) == {3, 4, 5, 6, 7, 9}
    assert "e-mail" in reasons[3].lower()
    assert "CPF" in reasons[4]
    assert "consent" in reasons[5]
    assert "line 2" in reasons[6]
    assert "already registered" in reasons[7]
    assert "fields" in reasons[9]


def test_import_wrong_columns_writes_nothing(people, event):
    with pytest.raises(ValidationError, match="missing columns: email, consent"):
        imp.import_csv(people["coordinator"], event.id, b"name,mail_address,foo\nA,a@b.com,x\n")
    with reading():
        assert Registration.select().count() == 0


def test_import_windows_1252_and_binary(people, event):
    report = imp.import_csv(people["coordinator"], event.id,
                            "name,email,consent\nJoão Conceição,joao@example.com,sim\n".encode("cp1252"))
    assert report.encoding == "windows-1252" and report.added == 1
    assert er.list_registrations(people["coordinator"], event.id)[0].name == "João Conceição"
    with pytest.raises(ValidationError, match="not a CSV"):
        imp.import_csv(people["coordinator"], event.id, b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(ValidationError, match="cannot be read"):
        imp.import_csv(people["coordinator"], event.id, b"name,email,consent\n\x81\x8d\x8f,x@y.com,sim\n")


def test_import_reads_regular_files_only_and_at_most_the_limit(people, event, tmp_path):
    from tests.unit.core.test_files import bad_paths, in_time

    for path, word in bad_paths(tmp_path, imp.MAX_IMPORT_BYTES).items():
        with pytest.raises(ValidationError) as err:
            in_time(lambda path=path: imp.import_csv(people["coordinator"], event.id, path))
        assert word in err.value.errors["file"], path


def test_import_of_100000_rows_is_refused_whole(people, event):
    rows = "".join(f"P{i},p{i}@example.com,sim\n" for i in range(100_000))
    with pytest.raises(ValidationError, match="100,000 rows"):
        imp.import_csv(people["coordinator"], event.id, ("name,email,consent\n" + rows).encode())
    with reading():
        assert Registration.select().count() == 0


def test_import_is_not_for_agents(people, event):
    with pytest.raises(PermissionDenied):
        imp.import_csv(people["agent"], event.id, b"name,email,consent\n")


# --------------------------------------------------------------------------- personal data


def test_export_and_erase_keep_what_certificates_prove(people, event):
    coord = people["coordinator"]
    a = er.register(coord, event.id, er.RegistrationInput(
        name="Ana", email="ana@example.com", cpf=VALID_CPF, phone="11912345678", consent=True)).registration
    other = open_registration(coord, make_event(coord, description="Second"))
    b = er.register(coord, other.id, er.RegistrationInput(
        name="Ana", email="ana@example.com", cpf=VALID_CPF, consent=True)).registration
    er.mark_certificate_issued(a.id)
    data = privacy.export_participant(coord, "ANA@example.com")
    assert [r["code"] for r in data["registrations"]] == [a.code, b.code]
    assert all("access_token" not in r for r in data["registrations"])
    report = privacy.erase_participant(coord, "ana@example.com")
    assert (report.registrations, report.kept_for_certificates) == (2, 1)
    ra, rb = Registration.get_by_id(a.id), Registration.get_by_id(b.id)
    assert (ra.name, ra.cpf, ra.email, ra.phone) == ("Ana", "52998224725", "", "")
    assert (rb.name, rb.cpf, rb.email) == (privacy.ERASED_NAME, "", "")
    assert rb.cancelled_at is not None
    with reading():
        audit_text = " ".join(r.changes + r.entity_id for r in AuditLog.select().where(AuditLog.entity != "mail"))
    assert "ana@example.com" not in audit_text
    with pytest.raises(PermissionDenied):
        privacy.erase_participant(people["agent"], "ana@example.com")


def test_erasure_reaches_the_outbox_and_the_notifications_and_the_export_shows_them(people, frozen):  # noqa: F811
    import json

    from models import User
    from models.events import Notification
    from models.mail import Outbox
    from services.events import certificates as certs

    coord = people["coordinator"]
    User.update(email="coord@example.com").where(User.id == coord.id).execute()  # told of the waiting list
    full = open_registration(coord, make_event(coord, seats=1, description="Lotado"))
    er.register(coord, full.id, person(1))
    bia = er.register(coord, full.id, er.RegistrationInput(
        name="Beatriz Quintas", email="Bia.Q@example.com", consent=True)).registration  # the waiting list
    assert bia.waitlisted
    certs.issue_certificate(certs.CertificateData(
        participant_name="Beatriz Quintas", cpf=VALID_CPF, event_title="Lotado", workload_hours=2,
        start=full.starts_at, end=full.ends_at, key=f"registration:{bia.id}"))
    data = privacy.export_participant(coord, "bia.q@example.com")
    assert [m["kind"] for m in data["emails"]] == ["waiting_list"]
    assert [c["participant_name"] for c in data["certificates"]] == ["Beatriz Quintas"]
    assert any("Beatriz Quintas" in n.text for n in Notification.select())
    coordinators_notice = Outbox.get(Outbox.kind == "waitlist_responsible")
    assert "Beatriz Quintas" in coordinators_notice.body_text
    privacy.erase_participant(coord, "bia.q@example.com")
    everything = " ".join(" ".join((m.recipients, m.cc, m.body_text, m.body_html)) for m in Outbox.select())
    assert "bia.q@example.com" not in everything.lower() and "Beatriz Quintas" not in everything
    mine = Outbox.get(Outbox.kind == "waiting_list")
    assert json.loads(mine.recipients) == [privacy.ERASED_NAME] and mine.state == "failed"  # never sent now
    assert not any("Beatriz" in n.text + n.params for n in Notification.select())
    assert all("Beatriz" not in note.text for note in notifications.notifications(coord, unread_only=False))


# --------------------------------------------------------------------------- reminders


def test_reminders_three_days_and_one_day_before_once_each(people, event):
    coord = people["coordinator"]
    first = er.register(coord, event.id, person(1)).registration
    er.register(coord, event.id, person(2))
    er.register(coord, event.id, person(3))  # waiting list: no reminder
    start = event.starts_at
    assert sweeps.queue_due_reminders(start - dt.timedelta(days=4)) == 0
    assert sweeps.queue_due_reminders(start - dt.timedelta(days=3)) == 2
    assert sweeps.queue_due_reminders(start - dt.timedelta(days=2)) == 0
    assert sweeps.queue_due_reminders(start - dt.timedelta(hours=20)) == 2
    assert sweeps.queue_due_reminders(start - dt.timedelta(hours=2)) == 0
    sent = mails("event_reminder")
    assert [m["kind"] for m in sent] == ["reminder_3d", "reminder_3d", "reminder_1d", "reminder_1d"]
    # a late registration gets only the nearest reminder
    er.cancel_registration(coord, first.id)  # p3 takes the seat, late
    assert sweeps.queue_due_reminders(start - dt.timedelta(hours=2)) == 1
    assert mails("event_reminder")[-1]["to"] == ["p3@example.com"]
