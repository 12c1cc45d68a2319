"""Service levels: targets per type (the queue's as fallback), deadlines in
business time, the clock paused while waiting on the customer, the first response."""
from __future__ import annotations

import datetime as dt

import pytest

from models import Ticket
from services.core import clock
from services.core.errors import ValidationError
from services.store import settings
from services.tickets import setup, sla
from services.tickets import thread as ticket_thread
from tests.scenes import SLA_MONDAY, make_sla_desk, move, wizard_ticket

MONDAY = SLA_MONDAY


def at(when: dt.datetime) -> None:
    clock.set_clock(lambda: when)


@pytest.fixture
def desk(admin):
    return make_sla_desk(admin)


def test_the_calendar_settings_are_checked_and_kept_tidy(admin):
    assert settings.set_value(admin, "sla.hours", " Mon-Fri 08:00-12:00 13:00-18:00 ") == \
        "mon-fri 08:00-12:00 13:00-18:00"
    assert settings.set_value(admin, "sla.holidays", "25/01 ,20/11/2026") == "25/01, 20/11/2026"
    assert settings.set_value(admin, "sla.state", "sp") == "SP"
    for key, bad in (("sla.hours", "08:00-18:00"), ("sla.holidays", "31/02"), ("sla.state", "XX")):
        with pytest.raises(ValidationError) as err:
            settings.set_value(admin, key, bad)
        assert "value" in err.value.errors
    cal = sla.calendar()
    assert cal.windows[0] == ((480, 720), (780, 1080)) and cal.is_holiday(dt.date(2027, 1, 25))
    assert cal.is_holiday(dt.date(2026, 7, 9))  # São Paulo's own


def test_targets_are_the_types_else_the_queues(admin, desk):
    assert sla.targets(desk["outage"].id, desk["queue"].id) == (120, 480)
    assert sla.targets(desk["plain"].id, desk["queue"].id) == (120, 1200)
    assert sla.targets(None, None) == (None, None)
    item = setup.items(admin, "type")
    outage = next(i for i in item if i.id == desk["outage"].id)
    assert outage.value("resolution_minutes") == "480" and outage.value("response_minutes") == ""
    assert "resolution 8 h 00" in outage.details
    with pytest.raises(ValidationError) as err:
        setup.save(admin, "queue", desk["queue"].id, {"response_minutes": "soon"})
    assert set(err.value.errors) == {"response_minutes"}
    setup.save(admin, "queue", desk["queue"].id, {"response_minutes": ""})  # empty: no target
    assert sla.targets(desk["plain"].id, desk["queue"].id) == (None, 1200)


def test_a_wizard_ticket_is_answered_at_once_and_due_in_business_time(admin, desk):
    at(dt.datetime(2026, 3, 13, 15, 0))  # a Friday afternoon
    t = wizard_ticket(admin, desk)
    assert t.first_response_at == dt.datetime(2026, 3, 13, 15, 0)  # the call was the first response
    # 8 business hours: 3 on Friday, 5 on Monday
    assert t.resolution_due_at == dt.datetime(2026, 3, 16, 13, 0) == t.sla_due_at
    assert t.response_due_at == dt.datetime(2026, 3, 13, 17, 0)
    resolved = wizard_ticket(admin, desk, resolved=True)
    assert resolved.sla_due_at is None and resolved.resolution_left == 480


def test_waiting_on_the_customer_pauses_the_clock(admin, desk):
    t = wizard_ticket(admin, desk)  # Monday 10:00, due 18:00
    at(MONDAY.replace(hour=12))
    move(admin, t.id, "waiting_customer")
    t = Ticket.get_by_id(t.id)
    assert (t.resolution_due_at, t.sla_due_at, t.resolution_left) == (None, None, 360)
    at(dt.datetime(2026, 3, 11, 9, 0))  # two days later the customer answers
    move(admin, t.id, "in_progress")
    t = Ticket.get_by_id(t.id)
    assert t.resolution_left is None and t.resolution_due_at == dt.datetime(2026, 3, 11, 15, 0) == t.sla_due_at
    # closed with 2 hours to spare, reopened the next day: those 2 hours are left
    at(dt.datetime(2026, 3, 11, 13, 0))
    move(admin, t.id, "resolved")
    t = Ticket.get_by_id(t.id)
    assert t.sla_due_at is None and t.resolution_left == 120 and not t.resolution_breached
    at(dt.datetime(2026, 3, 12, 9, 0))
    move(admin, t.id, "open", reason="voltou")
    assert Ticket.get_by_id(t.id).sla_due_at == dt.datetime(2026, 3, 12, 11, 0)


def test_closing_late_marks_the_breach(admin, desk):
    t = wizard_ticket(admin, desk)
    at(dt.datetime(2026, 3, 10, 9, 0))  # due Monday 18:00
    move(admin, t.id, "resolved")
    t = Ticket.get_by_id(t.id)
    assert t.resolution_breached and t.resolution_left == -60


def test_the_first_public_reply_by_staff_is_the_first_response(admin, desk):
    t = wizard_ticket(admin, desk, type_key="plain")
    with clock.kept():
        Ticket.update(first_response_at=None).where(Ticket.id == t.id).execute()
        sla.start(t.id, MONDAY, responded=False)  # as a ticket from Contact us starts
    t = Ticket.get_by_id(t.id)
    assert t.response_due_at == MONDAY.replace(hour=12) == t.sla_due_at
    at(MONDAY.replace(hour=11))
    ticket_thread.add_message(admin, t.id, "olhando", internal=True)  # a note is no response
    assert Ticket.get_by_id(t.id).first_response_at is None
    at(MONDAY.replace(hour=13))
    ticket_thread.add_message(admin, t.id, "Reiniciamos a ONU.", internal=False)
    t = Ticket.get_by_id(t.id)
    assert t.first_response_at == MONDAY.replace(hour=13) and t.response_breached
    assert t.sla_due_at == t.resolution_due_at == dt.datetime(2026, 3, 11, 10, 0)  # 20 business hours


def test_the_queue_shows_the_business_time_left_and_sorts_by_it(admin, desk):
    from services.tickets import queues

    late = wizard_ticket(admin, desk)  # Monday 10:00: resolution due 18:00 (the type's 8 hours)
    at(MONDAY.replace(hour=11))
    later = wizard_ticket(admin, desk, type_key="plain")  # the queue's 20 hours: Wednesday 11:00
    paused = wizard_ticket(admin, desk, type_key="plain")
    move(admin, paused.id, "waiting_customer")
    done = wizard_ticket(admin, desk, resolved=True)
    rows = {r.id: r for r in queues.page(admin, "all").rows}
    assert (rows[late.id].level.state, rows[late.id].level.text, rows[late.id].level.left) == ("ok", "7 h 00", 420)
    assert rows[later.id].level.text == "20 h 00" and rows[later.id].level.state == "ok"
    assert (rows[paused.id].level.state, rows[paused.id].level.text) == ("paused", "paused, 20 h 00")
    assert rows[done.id].level.state == "" and not rows[done.id].level.breached
    at(MONDAY.replace(hour=17, minute=30))  # half an hour left of 8 hours: close
    rows = {r.id: r for r in queues.page(admin, "all").rows}
    assert (rows[late.id].level.state, rows[late.id].level.text) == ("warning", "30 min")
    at(MONDAY.replace(hour=19))  # past it, after hours: no business time yet, still breached
    rows = {r.id: r for r in queues.page(admin, "all").rows}
    assert (rows[late.id].level.state, rows[late.id].level.text) == ("breached", "-0 min")
    at(dt.datetime(2026, 3, 10, 9, 15))  # past it: an hour and a quarter of business time
    page = queues.page(admin, "all", sort="due", descending=False, limit=2)
    assert [r.id for r in page.rows] == [late.id, later.id]
    assert (page.rows[0].level.state, page.rows[0].level.text, page.rows[0].level.breached) == \
        ("breached", "-1 h 15", True)
    rest = queues.page(admin, "all", sort="due", descending=False, after=page.next_cursor)
    assert {r.id for r in rest.rows} == {paused.id, done.id}  # no running deadline: last


def test_the_export_carries_the_deadlines_and_breaches(admin, desk):
    import csv
    import io
    import json

    from services.tickets import queues

    t = wizard_ticket(admin, desk)
    at(dt.datetime(2026, 3, 10, 9, 0))
    move(admin, t.id, "resolved")  # an hour late
    out = io.StringIO()
    queues.export(admin, out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (rows[0]["response_due"], rows[0]["resolution_due"], rows[0]["breached"]) == \
        ("2026-03-09 12:00:00", "2026-03-09 18:00:00", "yes")
    out = io.StringIO()
    queues.export(admin, out, "json")
    item = json.loads(out.getvalue())[0]
    assert (item["resolution_due"], item["breached"]) == ("2026-03-09 18:00:00", True)


def test_the_tickets_record_carries_its_deadlines(admin, desk):
    from services.tickets import records

    t = wizard_ticket(admin, desk)  # Monday 10:00: answered in the call, resolution due 18:00
    d = records.show(admin, t.protocol).deadlines
    assert d.response == sla.Deadline(dt.datetime(2026, 3, 9, 12, 0), None, False, MONDAY)
    assert d.resolution == sla.Deadline(dt.datetime(2026, 3, 9, 18, 0), None, False)
    assert (d.level.state, d.level.text, d.paused) == ("ok", "8 h 00", False)
    at(MONDAY.replace(hour=12))
    move(admin, t.id, "waiting_customer")  # paused: 6 hours were left
    d = records.show(admin, t.protocol).deadlines
    assert d.paused and d.level.text == "paused, 6 h 00"
    assert d.resolution == sla.Deadline(None, 360, False)
    at(dt.datetime(2026, 3, 11, 9, 0))
    move(admin, t.id, "in_progress")  # due 15:00; at 16:00 it is past, not yet swept
    at(dt.datetime(2026, 3, 11, 16, 0))
    d = records.show(admin, t.protocol).deadlines
    assert (d.level.state, d.level.text, d.resolution.breached) == ("breached", "-1 h 00", True)
    assert not d.response.breached
    move(admin, t.id, "resolved")  # closed late: no time left, the breach stays
    d = records.show(admin, t.protocol).deadlines
    assert d.level.state == "" and d.resolution == sla.Deadline(dt.datetime(2026, 3, 11, 15, 0), -60, True)


def test_a_late_first_response_is_a_breach_and_a_ticket_without_targets_has_none(admin, desk):
    from services.tickets import records

    t = wizard_ticket(admin, desk, type_key="plain")
    with clock.kept():
        Ticket.update(first_response_at=None).where(Ticket.id == t.id).execute()
        sla.start(t.id, MONDAY, responded=False)
    at(MONDAY.replace(hour=13))  # due 12:00, nobody answered yet
    d = records.show(admin, t.protocol).deadlines
    assert d.response == sla.Deadline(MONDAY.replace(hour=12), None, True)
    assert (d.level.state, d.level.text) == ("breached", "-1 h 00")
    ticket_thread.add_message(admin, t.id, "Reiniciamos a ONU.", internal=False)
    d = records.show(admin, t.protocol).deadlines
    assert d.response.done_at == MONDAY.replace(hour=13) and d.response.breached
    assert not d.resolution.breached and d.level.state == "ok"  # the resolution's 20 hours run on
    for kind, item in (("queue", desk["queue"]), ("type", desk["outage"])):
        setup.save(admin, kind, item.id, {"response_minutes": "", "resolution_minutes": ""})
    bare = wizard_ticket(admin, desk)
    assert records.show(admin, bare.protocol).deadlines is None


def test_ticket_show_prints_the_deadlines(admin, desk, store):
    import json

    from click.testing import CliRunner

    from app import main

    t = wizard_ticket(admin, desk)
    at(MONDAY.replace(hour=17, minute=30))
    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(store), "ticket", "show", t.protocol])
    assert out.exit_code == 0, out.output
    lines = [" ".join(line.split()) for line in out.output.splitlines()]
    assert "first response done at 09/03/2026 10:00" in lines
    assert "resolution due at 09/03/2026 18:00" in lines and "time left 30 min" in lines
    out = runner.invoke(main, ["--db", str(store), "ticket", "show", t.protocol, "--json"])
    shown = json.loads(out.output)["deadlines"]
    assert shown["resolution"] == {"due": "2026-03-09T18:00:00", "left": None, "breached": False, "done_at": None}
    assert (shown["level"]["state"], shown["level"]["text"]) == ("warning", "30 min")
    bare = bare_ticket(admin)
    out = runner.invoke(main, ["--db", str(store), "ticket", "show", bare, "--json"])
    assert json.loads(out.output)["deadlines"] is None
    out = runner.invoke(main, ["--db", str(store), "ticket", "show", bare])
    assert "time left" not in out.output and "resolution" not in out.output


def bare_ticket(admin) -> str:
    from models import User, write_tx

    with write_tx():
        t = Ticket.create(protocol="P-BARE", status="open", created_by=User.get(User.login == admin.login),
                          created_at=MONDAY, updated_at=MONDAY)
    return t.protocol
