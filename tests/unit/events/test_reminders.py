"""When event mail is due (pure rules), calendar files, the sweep registry."""
import datetime as dt

from services.events import reminders
from services.mail import ics
from services.ops import sweeps

START = dt.datetime(2026, 3, 10, 9, 0)
EARLY = dt.datetime(2026, 2, 1, 12, 0)


def due(now, registered=EARLY, **kw):
    return reminders.due_reminders(START, now, registered, **kw)


def test_reminder_windows():
    assert due(START - dt.timedelta(days=4)) == []
    assert due(START - dt.timedelta(days=3)) == ["reminder_3d"]
    assert due(START - dt.timedelta(days=2)) == ["reminder_3d"]
    assert due(START - dt.timedelta(days=1)) == ["reminder_1d"]  # the 3-day one is superseded
    assert due(START - dt.timedelta(hours=1)) == ["reminder_1d"]
    assert due(START) == []


def test_registered_after_the_send_time_is_skipped():
    late = START - dt.timedelta(days=2)
    assert due(START - dt.timedelta(days=2) + dt.timedelta(hours=1), registered=late) == []
    assert due(START - dt.timedelta(hours=5), registered=late) == ["reminder_1d"]


def test_cancelled_sends_nothing_and_the_reminder_follows_the_start():
    assert due(START - dt.timedelta(days=1), event_status="cancelled") == []
    assert due(START - dt.timedelta(days=1), registration_status="cancelled") == []
    moved = START + dt.timedelta(days=7)
    assert reminders.due_reminders(moved, START - dt.timedelta(days=1), EARLY) == []
    assert reminders.due_reminders(moved, moved - dt.timedelta(days=1), EARLY) == ["reminder_1d"]
    assert reminders.reminder_key(42, "reminder_1d") == "registration:42:reminder_1d"


def test_certificate_due():
    end = dt.datetime(2026, 3, 10, 18)
    ok = dict(attended=True, cpf_valid=True)
    assert reminders.certificate_due(end, end - dt.timedelta(hours=1), **ok).reason == "not_ended"
    assert reminders.certificate_due(end, end + dt.timedelta(days=1), **ok).due
    assert reminders.certificate_due(end, end + dt.timedelta(days=16), **ok).reason == "window_passed"
    assert reminders.certificate_due(end, end + dt.timedelta(days=1), attended=True, cpf_valid=False).reason == "no_cpf"
    assert reminders.certificate_due(end, end + dt.timedelta(days=1), attended=False,
                                     cpf_valid=True).reason == "not_attended"


def test_ics_round_trip():
    from icalendar import Calendar

    data = ics.build_ics(uid="event-7", title="Treinamento; Módulo, Fiscal", start=START,
                         end=START + dt.timedelta(hours=3), online_link="https://meet.example.com/x",
                         description="Traga dúvidas.\nLinha 2")
    cal = Calendar.from_ical(data)
    (event,) = cal.walk("VEVENT")
    assert str(event["summary"]) == "Treinamento; Módulo, Fiscal"
    assert event.decoded("dtend") - event.decoded("dtstart") == dt.timedelta(hours=3)
    assert "https://meet.example.com/x" in str(event["description"])
    assert str(event["location"]) == "https://meet.example.com/x"
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


def test_sweeps_run_in_order_and_one_failure_does_not_stop_the_rest(store):
    ran = []
    sweeps.register_sweep("t.b", lambda now: ran.append("b") or 2)
    sweeps.register_sweep("t.a", lambda now: 1 / 0)
    try:
        results = {r.name: r for r in sweeps.run_sweeps(START)}
        assert results["t.b"].done == 2 and ran == ["b"]
        assert "ZeroDivisionError" in results["t.a"].error
    finally:
        sweeps.unregister_sweep("t.a")
        sweeps.unregister_sweep("t.b")
