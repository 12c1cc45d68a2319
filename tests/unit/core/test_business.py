"""Business time: working hours, national and local holidays, minutes counted inside them."""
from __future__ import annotations

import datetime as dt

import pytest

from services.core import business
from services.core.errors import ValidationError

D = dt.datetime
WEEK = business.calendar("mon-fri 08:00-18:00", national=False)
# 2026-03-06 is a Friday, 2026-03-09 a Monday


def test_hours_are_read_with_breaks_several_groups_and_portuguese_days():
    windows = business.parse_hours("seg-sex 08:00-12:00 13:00-18:00; sat 09:00-12:00")
    assert windows[0] == ((480, 720), (780, 1080)) and windows[4] == windows[0]
    assert windows[5] == ((540, 720),) and windows[6] == ()
    assert business.parse_hours("fri-mon 10:00-11:00")[6] == ((600, 660),)  # around the weekend
    assert business.normal_hours("  Mon-Fri   08:00-18:00 ;sat 08:00-12:00") == "mon-fri 08:00-18:00; sat 08:00-12:00"


@pytest.mark.parametrize("text", ["", "08:00-18:00", "mon-fri", "xyz 08:00-18:00", "mon 18:00-08:00",
                                  "mon 8h-18h", "mon 25:00-26:00", "mon 08:00-12:00 11:00-14:00"])
def test_bad_hours_are_refused(text):
    with pytest.raises(ValidationError):
        business.parse_hours(text)


def test_local_holidays_every_year_or_once():
    yearly, dated = business.parse_holidays("25/01, 20/11/2026; 29/02")
    assert yearly == {(1, 25), (2, 29)} and dated == {dt.date(2026, 11, 20)}
    for bad in ("31/02", "2026-01-25", "25/13/2026", "hoje"):
        with pytest.raises(ValidationError):
            business.parse_holidays(bad)
    cal = business.calendar("mon-fri 08:00-18:00", "25/01, 20/11/2026", national=False)
    assert cal.is_holiday(dt.date(2027, 1, 25)) and cal.is_holiday(dt.date(2026, 11, 20))
    assert not cal.is_holiday(dt.date(2027, 11, 20))


def test_national_and_state_holidays_come_from_the_library():
    national = business.calendar("mon-fri 08:00-18:00")
    assert national.is_holiday(dt.date(2026, 4, 21))  # Tiradentes
    assert national.is_holiday(dt.date(2026, 9, 7))  # Independence
    assert not national.is_holiday(dt.date(2026, 7, 9))  # São Paulo's only
    assert business.calendar("mon-fri 08:00-18:00", state="SP").is_holiday(dt.date(2026, 7, 9))
    assert "SP" in business.states()


def test_minutes_inside_one_day_and_across_the_night():
    assert business.business_minutes(WEEK, D(2026, 3, 9, 9, 0), D(2026, 3, 9, 10, 30)) == 90
    # Monday 17:00 to Tuesday 09:00: an hour each side of the night
    assert business.business_minutes(WEEK, D(2026, 3, 9, 17, 0), D(2026, 3, 10, 9, 0)) == 120
    # backwards is negative
    assert business.business_minutes(WEEK, D(2026, 3, 10, 9, 0), D(2026, 3, 9, 17, 0)) == -120


def test_weekends_and_holidays_do_not_count():
    # Friday 17:00 to Monday 09:00
    assert business.business_minutes(WEEK, D(2026, 3, 6, 17, 0), D(2026, 3, 9, 9, 0)) == 120
    # Monday 20/04 17:00 to Wednesday 22/04 09:00 with Tiradentes (Tuesday) in between
    national = business.calendar("mon-fri 08:00-18:00")
    assert business.business_minutes(national, D(2026, 4, 20, 17, 0), D(2026, 4, 22, 9, 0)) == 120
    assert business.business_minutes(WEEK, D(2026, 4, 20, 17, 0), D(2026, 4, 22, 9, 0)) == 120 + 600


def test_adding_minutes_skips_nights_weekends_and_holidays():
    add = business.add_business_minutes
    assert add(WEEK, D(2026, 3, 9, 9, 0), 60) == D(2026, 3, 9, 10, 0)
    assert add(WEEK, D(2026, 3, 9, 17, 30), 60) == D(2026, 3, 10, 8, 30)  # across the night
    assert add(WEEK, D(2026, 3, 6, 17, 0), 120) == D(2026, 3, 9, 9, 0)  # across the weekend
    assert add(WEEK, D(2026, 3, 7, 11, 0), 30) == D(2026, 3, 9, 8, 30)  # starting on a Saturday
    assert add(WEEK, D(2026, 3, 9, 6, 0), 30) == D(2026, 3, 9, 8, 30)  # before opening
    assert add(WEEK, D(2026, 3, 9, 20, 0), 600) == D(2026, 3, 10, 18, 0)  # after closing: a whole day
    national = business.calendar("mon-fri 08:00-18:00")
    assert add(national, D(2026, 4, 20, 17, 0), 120) == D(2026, 4, 22, 9, 0)  # Tiradentes skipped
    lunch = business.calendar("mon-fri 08:00-12:00 13:00-18:00", national=False)
    assert add(lunch, D(2026, 3, 9, 11, 30), 60) == D(2026, 3, 9, 13, 30)
    assert add(WEEK, D(2026, 3, 9, 9, 0), 0) == D(2026, 3, 9, 9, 0)


def test_adding_then_counting_agree():
    start = D(2026, 3, 6, 16, 47)
    for minutes in (1, 59, 600, 601, 2400, 9999):
        end = business.add_business_minutes(WEEK, start, minutes)
        assert business.business_minutes(WEEK, start, end) == minutes
