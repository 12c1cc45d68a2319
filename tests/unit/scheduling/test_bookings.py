"""Bookings: the rules before saving, the rota by month, the calendar, the
confirmation and its ICS, held/no-show, and two agents racing for one slot."""
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from models import AuditLog, Ticket, write_tx
from models.mail import Outbox
from models.scheduling import Booking
from services.core import clock
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.scheduling import bookings, rota
from services.scheduling.bookings import BookingRequest, SlotTaken
from services.scheduling.rota import NoAnalyst
from services.store import users
from tests.scenes import MONDAY, freeze, make_analysts, make_customers

ROOT = Path(__file__).resolve().parents[3]
TUESDAY_9 = dt.datetime(2026, 3, 10, 9, 0)


@pytest.fixture
def booking_desk(people):
    ids = make_customers()
    analysts = make_analysts(people["admin"])
    rota.set_rota(people["supervisor"], "2026-03", "igor")
    rota.set_rota(people["supervisor"], "2026-04", "juliana")
    freeze(MONDAY)
    return {"ids": ids, "analysts": analysts, **people}


def request(ids, **over):
    data = dict(
        customer_id=ids["active"], topic_key="balanca", start=TUESDAY_9,
        needs="Configurar a balança Toledo no PDV do caixa 2 e cadastrar os produtos pesáveis",
        contact_name="Marta Souza", contact_phone="(11) 91234-5678", contact_email="marta@padaria.com.br",
        equipment_manufacturer="toledo", equipment_model="prix 3 fit",
    )
    data.update(over)
    return BookingRequest(**data)


def counts():
    return Booking.select().count(), Ticket.select().count(), Outbox.select().count()


def test_rota_by_month(booking_desk):
    sup = booking_desk["supervisor"]
    assert rota.analyst_for_month(booking_desk["agent"]).login == "igor"
    freeze(dt.datetime(2026, 4, 1, 10, 0))
    assert rota.analyst_for_month(booking_desk["agent"]).login == "juliana"
    freeze(dt.datetime(2026, 5, 4, 10, 0))
    with pytest.raises(NoAnalyst, match="No implementation analyst is on the rota for 2026-05: a supervisor"):
        rota.analyst_for_month(booking_desk["agent"])
    entries = rota.get_rota(sup, "2026-02", 4)
    assert [(e.month, e.analyst.login if e.analyst else None) for e in entries] == [
        ("2026-02", None), ("2026-03", "igor"), ("2026-04", "juliana"), ("2026-05", None)]
    rota.set_rota(sup, "2026-04", None)
    assert rota.get_rota(sup, "2026-04", 1)[0].analyst is None


def test_only_leads_edit_the_rota(booking_desk):
    with pytest.raises(PermissionDenied):
        rota.set_rota(booking_desk["agent"], "2026-05", "igor")
    with pytest.raises(ValidationError, match="not an active implementation analyst"):
        rota.set_rota(booking_desk["supervisor"], "2026-05", "t_agent")
    with pytest.raises(ValidationError, match="Invalid month"):
        rota.set_rota(booking_desk["supervisor"], "2026-13", "igor")


def test_rota_conflict_names_who_changed_it(booking_desk):
    sup = booking_desk["supervisor"]
    entry = rota.get_rota(sup, "2026-03", 1)[0]
    rota.set_rota(booking_desk["admin"], "2026-03", "juliana", expected_version=entry.version)
    with pytest.raises(Conflict, match=booking_desk["admin"].login):
        rota.set_rota(sup, "2026-03", "igor", expected_version=entry.version)


def test_working_hours_and_grid(booking_desk):
    igor, juliana = booking_desk["analysts"]["igor"], booking_desk["analysts"]["juliana"]
    starts = [s.strftime("%H:%M") for s, _e in bookings.day_grid(igor, TUESDAY_9.date())]
    assert starts == ["09:00", "10:30", "13:30", "15:00", "16:30"]
    starts = [s.strftime("%H:%M") for s, _e in bookings.day_grid(juliana, TUESDAY_9.date())]
    assert starts == ["08:00", "09:30", "11:00", "12:30", "14:00", "15:30"]
    assert bookings.day_grid(igor, dt.date(2026, 3, 14)) == []  # Saturday
    with pytest.raises(ValidationError, match="shorter than a 1h30"):
        rota.save_analyst(booking_desk["supervisor"], "igor", hours="09:00-10:00")
    with pytest.raises(ValidationError, match="HH:MM-HH:MM"):
        rota.save_analyst(booking_desk["supervisor"], "igor", hours="nine to five")


def test_book_a_session(booking_desk):
    ids = booking_desk["ids"]
    result = bookings.book(booking_desk["agent"], request(ids))
    b = result.booking
    assert (b.analyst_login, b.start, b.end) == ("igor", TUESDAY_9, dt.datetime(2026, 3, 10, 10, 30))
    assert b.equipment_manufacturer == "Toledo" and b.equipment_model == "Prix 3 Fit" and b.equipment_homologated
    assert b.contact_phone == "+55 11 91234-5678"
    assert result.new_ticket and b.protocol == "20260309000001"
    ticket = Ticket.get_by_id(b.ticket_id)
    assert ticket.customer_id == ids["active"] and ticket.responsible_id == booking_desk["analysts"]["igor"].user_id
    assert "1h30" in result.confirmation and "15 minutes" in result.confirmation
    assert "10/03/2026" in result.confirmation and "09:00" in result.confirmation
    [email] = bookings.queued_emails(booking_desk["agent"], b.id)
    assert email["id"] == result.email_id and email["to"] == "marta@padaria.com.br"
    assert email["body"] == result.confirmation.strip()
    row = Outbox.get_by_id(result.email_id)
    assert row.kind == "booking_confirmation" and row.about_entity == "booking" and row.state == "queued"
    assert [a["name"] for a in json.loads(row.attachments)] == [f"booking-{b.id}.ics"]
    email = SimpleNamespace(**email)
    assert "DTSTART;TZID=America/Sao_Paulo:20260310T090000" in email.ics
    assert "DTEND;TZID=America/Sao_Paulo:20260310T103000" in email.ics
    assert "BEGIN:VTIMEZONE" in email.ics and "mailto:marta@padaria.com.br" in email.ics
    from icalendar import Calendar

    event = Calendar.from_ical(email.ics).walk("VEVENT")[0]
    assert event["uid"] == f"booking-{b.id}@atende"
    assert AuditLog.select().where((AuditLog.entity == "booking") & (AuditLog.action == "create")).count() == 1
    # the slot is gone from the free ones; the calendar shows it booked
    free = bookings.free_slots(booking_desk["agent"], booking_desk["analysts"]["igor"], limit=3)
    assert TUESDAY_9 not in [s.start for s in free]
    day = bookings.calendar(booking_desk["agent"], booking_desk["analysts"]["igor"], TUESDAY_9.date(), 1)
    assert [s.customer_name for s in day if not s.free] == ["Padaria [bold]Pão Quente"]


def test_changed_working_hours_never_overlap_a_session_and_keep_it_in_the_calendar(booking_desk):
    ids, agent, sup = booking_desk["ids"], booking_desk["agent"], booking_desk["supervisor"]
    bookings.book(agent, request(ids))  # Tuesday 09:00-10:30
    igor = rota.save_analyst(sup, "igor", hours="09:30-12:30 13:30-18:00")  # the grid moves half an hour
    day = bookings.calendar(agent, igor, TUESDAY_9.date(), 1)
    assert [(s.start.strftime("%H:%M"), s.free) for s in day] == [
        ("09:00", False), ("11:00", True), ("13:30", True), ("15:00", True), ("16:30", True)]
    with pytest.raises(SlotTaken) as err:  # 09:30-11:00 would overlap the session at 09:00
        bookings.book(agent, request(ids, start=dt.datetime(2026, 3, 10, 9, 30), contact_name="Outra Pessoa"))
    assert err.value.alternatives[0].start == dt.datetime(2026, 3, 10, 11, 0)
    assert counts() == (1, 1, 1)
    igor = rota.save_analyst(sup, "igor", hours="13:30-18:00")  # mornings off: the session is still shown
    day = bookings.calendar(agent, igor, TUESDAY_9.date(), 1)
    assert [(s.start.strftime("%H:%M"), s.customer_name) for s in day if not s.free] == [
        ("09:00", "Padaria [bold]Pão Quente")]
    assert [s.start.strftime("%H:%M") for s in day if s.free] == ["13:30", "15:00", "16:30"]


def test_one_time_zone_for_slots_past_tolerance_and_the_invitation(booking_desk, store, monkeypatch):
    """The parameter scheduling.timezone, not the zone of the machine running
    Atende, says what the sessions' times are."""
    from app import main

    monkeypatch.setattr("services.store.users.os_login", lambda: booking_desk["admin"].login)
    out = CliRunner().invoke(main, ["--db", str(store), "settings", "set", "scheduling.timezone", "Mars/Olympus"])
    assert out.exit_code == 1 and "Unknown time zone 'Mars/Olympus'" in out.output
    out = CliRunner().invoke(main, ["--db", str(store), "settings", "set", "scheduling.timezone", "Asia/Tokyo"])
    assert out.exit_code == 0 and "scheduling.timezone = Asia/Tokyo" in out.output
    ids, agent, igor = booking_desk["ids"], booking_desk["agent"], booking_desk["analysts"]["igor"]
    freeze(dt.datetime(2026, 3, 9, 10, 0), "Asia/Tokyo")  # Monday 10:00 in Tokyo (Sunday night in Brazil)
    assert bookings.free_slots(agent, igor, limit=1)[0].start == dt.datetime(2026, 3, 9, 10, 30)
    with pytest.raises(ValidationError) as err:
        bookings.book(agent, request(ids, start=dt.datetime(2026, 3, 9, 9, 0)))
    assert "in the past" in err.value.errors["slot"]
    b = bookings.book(agent, request(ids)).booking  # Tuesday 09:00, Tokyo time
    [email] = bookings.queued_emails(agent, b.id)
    assert "DTSTART;TZID=Asia/Tokyo:20260310T090000" in email["ics"]
    analyst = users.identify("igor")
    freeze(dt.datetime(2026, 3, 10, 9, 14), "Asia/Tokyo")
    with pytest.raises(ValidationError, match="only after the 15 minutes of tolerance, from 09:15"):
        bookings.record_outcome(analyst, b.id, "no_show", b.version)
    freeze(dt.datetime(2026, 3, 10, 9, 16), "Asia/Tokyo")
    assert bookings.record_outcome(analyst, b.id, "no_show", b.version).status == "no_show"


def test_second_booking_of_the_day_gets_the_next_protocol(booking_desk):
    ids = booking_desk["ids"]
    bookings.book(booking_desk["agent"], request(ids))
    second = bookings.book(booking_desk["agent"], request(ids, start=dt.datetime(2026, 3, 10, 10, 30)))
    assert second.booking.protocol == "20260309000002"
    # one sequence with the wizard: the next ticket opened at the desk gets the next number
    from services.tickets import protocol
    assert protocol.reserve(booking_desk["agent"]).protocol == "20260309000003"


def test_link_to_an_existing_ticket(booking_desk):
    ids = booking_desk["ids"]
    with write_tx():
        mine = Ticket.create(protocol="2026030900001", customer=ids["active"], created_by=booking_desk["agent"].id,
                             created_at=MONDAY, updated_at=MONDAY)
        other = Ticket.create(protocol="2026030900002", customer=ids["franchise"], created_by=booking_desk["agent"].id,
                              created_at=MONDAY, updated_at=MONDAY)
    with pytest.raises(ValidationError) as err:
        bookings.book(booking_desk["agent"], request(ids, ticket_protocol="2026030900002"))
    assert "another customer" in err.value.errors["ticket_protocol"]
    with pytest.raises(ValidationError, match="No ticket with protocol"):
        bookings.book(booking_desk["agent"], request(ids, ticket_protocol="nope"))
    assert counts() == (0, 2, 0)
    result = bookings.book(booking_desk["agent"], request(ids, ticket_protocol=" 2026030900001 "))
    assert result.booking.ticket_id == mine.id and not result.new_ticket
    assert Ticket.select().count() == 2 and other.id != mine.id


def test_every_missing_requirement_is_reported_and_nothing_saved(booking_desk):
    ids = booking_desk["ids"]
    with pytest.raises(ValidationError) as err:
        bookings.book(booking_desk["agent"], request(ids, needs="balança", contact_name=" ", contact_phone="123",
                                              equipment_manufacturer="", equipment_model=""))
    assert set(err.value.errors) == {"needs", "contact_name", "contact_phone", "equipment_manufacturer",
                                     "equipment_model"}
    assert "at least 5 words" in err.value.errors["needs"]
    assert counts() == (0, 0, 0)


def test_non_homologated_equipment_is_not_booked(booking_desk):
    with pytest.raises(ValidationError) as err:
        bookings.book(booking_desk["agent"], request(booking_desk["ids"], equipment_manufacturer="Genérica",
                                              equipment_model="XPTO 3000"))
    assert "not homologated" in err.value.errors["equipment_model"]
    assert counts() == (0, 0, 0)


def test_homologated_equipment_of_another_kind_is_not_booked(booking_desk):
    ids = booking_desk["ids"]
    with pytest.raises(ValidationError) as err:  # a homologated label printer, for the scale topic
        bookings.book(booking_desk["agent"], request(ids, equipment_manufacturer="zebra", equipment_model="zd 220"))
    assert ("Zebra ZD220 is homologated as label printer, and Configuração de Balança is about scale"
            in err.value.errors["equipment_model"])
    assert counts() == (0, 0, 0)
    b = bookings.book(booking_desk["agent"], request(ids, topic_key="etiqueta", equipment_manufacturer="zebra",
                                                     equipment_model="zd 220")).booking
    assert (b.equipment_model, b.equipment_homologated) == ("ZD220", True)


def test_preconditions_must_be_ticked(booking_desk):
    ids = booking_desk["ids"]
    topic_pre = ["Solicitações enviadas antes de agendar (ex.: liberação iFood v2)",
                 "Instruções das chaves de integração passadas ao cliente"]
    base = dict(topic_key="delivery_do_zero", equipment_manufacturer="", equipment_model="",
                needs="Ensinar o cliente a usar o iFood e configurar a loja no sistema")
    with pytest.raises(ValidationError) as err:
        bookings.book(booking_desk["agent"], request(ids, **base, preconditions_done=(topic_pre[0],)))
    assert "chaves de integração" in err.value.errors["preconditions"]
    assert counts() == (0, 0, 0)
    result = bookings.book(booking_desk["agent"], request(ids, **base, preconditions_done=tuple(topic_pre)))
    assert result.booking.preconditions_done == tuple(topic_pre)
    assert result.booking.equipment_manufacturer == ""


def test_loyalty_is_booked_on_the_ticket_with_the_answer_attached(booking_desk, tmp_path):
    from services.tickets import items

    ids, agent = booking_desk["ids"], booking_desk["agent"]
    base = dict(topic_key="fidelidade", equipment_manufacturer="", equipment_model="",
                needs="Configurar o programa de fidelidade com pontos e resgate no caixa",
                preconditions_done=("Dados de fidelidade solicitados e enviados aos responsáveis por e-mail",))
    with pytest.raises(ValidationError) as err:  # ticking is not enough: the answer is on a ticket
        bookings.book(agent, request(ids, **base))
    assert "give its protocol" in err.value.errors["ticket_protocol"]
    with write_tx():
        ticket = Ticket.create(protocol="2026030900001", customer=ids["active"], status="open", created_by=agent.id,
                               created_at=MONDAY, updated_at=MONDAY)
    with pytest.raises(ValidationError, match="Ticket 2026030900001 has no file attached"):
        bookings.book(agent, request(ids, **base, ticket_protocol="2026030900001"))
    assert counts() == (0, 1, 0)
    answer = tmp_path / "retorno-fidelidade.pdf"
    answer.write_bytes(b"%PDF-1.4 retorno dos responsaveis")
    items.add_attachment(agent, ticket.id, str(answer), expected_version=Ticket.get_by_id(ticket.id).version)
    b = bookings.book(agent, request(ids, **base, ticket_protocol="2026030900001")).booking
    assert b.ticket_id == ticket.id


def test_training_is_booked_only_after_offering_the_webinar(booking_desk):
    ids = booking_desk["ids"]
    base = dict(topic_key="treinamento_financeiro", equipment_manufacturer="", equipment_model="",
                needs="Treinamento completo do financeiro: contas a pagar, receber e conciliação")
    with pytest.raises(ValidationError) as err:
        bookings.book(booking_desk["agent"], request(ids, **base))
    assert "webinar" in err.value.errors["webinar_offered"]
    assert bookings.book(booking_desk["agent"], request(ids, **base, webinar_offered=True)).booking.webinar_offered


@pytest.mark.parametrize("customer,match", [
    ("onboarding", "GR team"), ("franchise", "Franchise team"), ("blocked", "blocked")])
def test_customers_routed_elsewhere_cannot_be_booked(booking_desk, customer, match):
    with pytest.raises(ValidationError, match=match):
        bookings.book(booking_desk["agent"], request(booking_desk["ids"], customer_id=booking_desk["ids"][customer]))
    assert counts() == (0, 0, 0)


def test_support_topics_cannot_be_booked(booking_desk):
    with pytest.raises(ValidationError, match="Support handles it now"):
        bookings.book(booking_desk["agent"], request(booking_desk["ids"], topic_key="sat"))


@pytest.mark.parametrize("start,match", [
    (dt.datetime(2026, 3, 9, 7, 30), "in the past"),
    (dt.datetime(2026, 3, 6, 9, 0), "in the past"),
    (dt.datetime(2026, 3, 10, 12, 0), "outside Igor Nascimento's working hours"),   # lunch
    (dt.datetime(2026, 3, 10, 9, 15), "outside"),                                    # off the 1h30 grid
    (dt.datetime(2026, 3, 10, 18, 0), "outside"),
    (dt.datetime(2026, 3, 14, 9, 0), "outside"),                                     # Saturday
    (dt.datetime(2027, 6, 1, 9, 0), "Too far ahead"),
    (None, "Pick a free slot"),
])
def test_bad_slots(booking_desk, start, match):
    with pytest.raises(ValidationError) as err:
        bookings.book(booking_desk["agent"], request(booking_desk["ids"], start=start))
    assert match in err.value.errors["slot"]
    assert counts() == (0, 0, 0)


def test_unknown_customer_and_topic(booking_desk):
    with pytest.raises(NotFound, match="No customer with id 9999"):
        bookings.book(booking_desk["agent"], request(booking_desk["ids"], customer_id=9999))
    with pytest.raises(NotFound, match="No topic 'balanca_x'"):
        bookings.book(booking_desk["agent"], request(booking_desk["ids"], topic_key="balanca_x"))
    assert counts() == (0, 0, 0)


def test_month_with_no_analyst(booking_desk):
    freeze(dt.datetime(2026, 5, 4, 8, 0))
    with pytest.raises(NoAnalyst, match="supervisor must fill the rota"):
        bookings.book(booking_desk["agent"], request(booking_desk["ids"], start=dt.datetime(2026, 5, 5, 9, 0)))
    assert counts() == (0, 0, 0)


def test_the_booking_goes_to_the_analyst_of_the_month_it_is_made_in(booking_desk):
    freeze(dt.datetime(2026, 3, 31, 8, 0))
    b = bookings.book(booking_desk["agent"], request(booking_desk["ids"], start=dt.datetime(2026, 4, 1, 9, 0))).booking
    assert b.analyst_login == "igor"  # made in March: March's analyst, even for an April session


def test_taken_slot_offers_the_next_free_ones(booking_desk):
    ids = booking_desk["ids"]
    bookings.book(booking_desk["agent"], request(ids))
    with pytest.raises(SlotTaken) as err:
        bookings.book(booking_desk["supervisor"], request(ids, contact_name="Outra Pessoa"))
    starts = [s.start for s in err.value.alternatives]
    assert starts[0] == dt.datetime(2026, 3, 10, 10, 30) and len(starts) == 5
    assert "Someone else has just booked 10/03 09:00" in err.value.message
    assert counts() == (1, 1, 1)


def test_held_and_no_show_rules(booking_desk):
    ids = booking_desk["ids"]
    a = bookings.book(booking_desk["agent"], request(ids)).booking
    b = bookings.book(booking_desk["agent"], request(ids, start=dt.datetime(2026, 3, 10, 10, 30))).booking
    analyst = users.identify("igor")
    freeze(dt.datetime(2026, 3, 10, 8, 59))
    with pytest.raises(ValidationError, match="not started yet"):
        bookings.record_outcome(analyst, a.id, "held", a.version)
    freeze(dt.datetime(2026, 3, 10, 9, 14))
    with pytest.raises(ValidationError, match="only after the 15 minutes of tolerance, from 09:15"):
        bookings.record_outcome(analyst, a.id, "no_show", a.version)
    with pytest.raises(PermissionDenied, match="Igor Nascimento"):
        bookings.record_outcome(booking_desk["agent"], a.id, "held", a.version)
    held = bookings.record_outcome(analyst, a.id, "held", a.version, note="Tudo configurado")
    assert (held.status, held.version, held.outcome_by) == ("held", a.version + 1, "igor")
    with pytest.raises(Conflict):
        bookings.record_outcome(analyst, a.id, "no_show", a.version)
    with pytest.raises(ValidationError, match="already recorded as held"):
        bookings.record_outcome(analyst, a.id, "no_show", held.version)
    freeze(dt.datetime(2026, 3, 10, 10, 45))
    noshow = bookings.record_outcome(booking_desk["supervisor"], b.id, "no_show", b.version)
    assert noshow.status == "no_show"
    with pytest.raises(ValidationError, match="Unknown outcome"):
        bookings.record_outcome(analyst, b.id, "cancelled", noshow.version)


def test_list_bookings_and_cli(booking_desk, store, monkeypatch):
    ids = booking_desk["ids"]
    bookings.book(booking_desk["agent"], request(ids))
    freeze(dt.datetime(2026, 4, 1, 8, 0))
    bookings.book(booking_desk["agent"], request(ids, start=dt.datetime(2026, 4, 2, 9, 30)))
    assert [b.analyst_login for b in bookings.list_bookings(booking_desk["agent"])] == ["igor", "juliana"]
    assert [b.analyst_login for b in bookings.list_bookings(booking_desk["agent"], month="2026-04")] == ["juliana"]
    assert [b.start.day for b in bookings.list_bookings(booking_desk["agent"], analyst="igor")] == [10]
    with pytest.raises(NotFound):
        bookings.list_bookings(booking_desk["agent"], analyst="t_agent")
    with pytest.raises(ValidationError):
        bookings.list_bookings(booking_desk["agent"], month="abril")
    from app import main

    monkeypatch.setattr("services.store.users.os_login", lambda: booking_desk["agent"].login)
    out = CliRunner().invoke(main, ["--db", str(store), "bookings", "list", "--month", "2026-03", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [(d["analyst_login"], d["start"], d["status"]) for d in data] == [("igor", "2026-03-10T09:00", "booked")]
    out = CliRunner().invoke(main, ["--db", str(store), "bookings", "list", "--analyst", "juliana"])
    assert out.exit_code == 0 and "2026-04-02 09:30" in out.output
    out = CliRunner().invoke(main, ["--db", str(store), "bookings", "list", "--month", "13-2026"])
    assert out.exit_code == 1 and "Invalid month" in out.output


WORKER = """
import json, sys, time, datetime as dt
from pathlib import Path
sys.path.insert(0, {root!r})
from services.store.database import open_store
from services.scheduling import bookings
from services.store import users
from services.core.errors import AtendeError
open_store({db!r})
actor = users.identify({login!r})
go = Path({go!r})
while not go.exists():
    time.sleep(0.001)
req = bookings.BookingRequest(**json.loads({req!r}), start=dt.datetime.fromisoformat({start!r}))
try:
    r = bookings.book(actor, req)
    print(json.dumps({{"ok": True, "id": r.booking.id}}))
except bookings.SlotTaken as exc:
    print(json.dumps({{"ok": False, "message": exc.message,
                      "alternatives": [s.start.isoformat() for s in exc.alternatives]}}))
"""


def test_concurrent_booking_of_one_slot_with_real_processes(booking_desk, store, tmp_path):
    """Four agents, four processes, one SQLite file, one slot: exactly one wins."""
    clock.set_clock(None)  # the workers run on the real clock
    rota.set_rota(booking_desk["supervisor"], rota.month_key(clock.now()), "igor")
    slot = bookings.free_slots(booking_desk["agent"], booking_desk["analysts"]["igor"], limit=1)[0]
    for i in range(4):
        users.add(booking_desk["admin"], f"racer{i}", "agent")
    req = {k: v for k, v in request(booking_desk["ids"]).__dict__.items() if k != "start"}
    go = tmp_path / "go"
    procs = [subprocess.Popen(
        [sys.executable, "-c", WORKER.format(root=str(ROOT), db=str(store), login=f"racer{i}", go=str(go),
                                             req=json.dumps(req), start=slot.start.isoformat())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ})
        for i in range(4)]
    time.sleep(1.5)  # let every process open the store and wait at the line
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    winners = [r for r in results if r["ok"]]
    losers = [r for r in results if not r["ok"]]
    assert len(winners) == 1 and len(losers) == 3
    for r in losers:
        assert "Someone else has just booked" in r["message"]
        assert r["alternatives"] and slot.start.isoformat() not in r["alternatives"]
    assert Booking.select().where(Booking.start == slot.start).count() == 1
    assert counts() == (1, 1, 1)  # the losers left no ticket and no e-mail behind
