"""Business time: working hours, holidays, and minutes counted only inside them.

Pure (no database): a `Calendar` is built from two texts, the working hours
(`mon-fri 08:00-18:00; sat 08:00-12:00`, a lunch break as two ranges
`mon-fri 08:00-12:00 13:00-18:00`) and local holidays (`25/01, 20/11/2026`:
DD/MM every year, DD/MM/YYYY once), plus Brazil's national holidays (and a
state's, given its two letters) from the `holidays` library. Times are the
naive local wall-clock times Atende keeps (services.core.clock).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from services.core.errors import ValidationError
from services.core.i18n import _

DAY_NAMES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
             "seg": 0, "ter": 1, "qua": 2, "qui": 3, "sex": 4, "sab": 5, "sáb": 5, "dom": 6}
DEFAULT_HOURS = "mon-fri 08:00-18:00"
MAX_DAYS = 3660
"""A count or a deadline never looks further than this many days ahead."""

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{4}))?$")

Windows = tuple[tuple[tuple[int, int], ...], ...]
"""Per weekday (Monday first) its working ranges in minutes of the day, in order."""


@dataclass(frozen=True)
class Calendar:
    windows: Windows
    yearly: frozenset[tuple[int, int]] = frozenset()
    """(month, day) holidays of every year."""
    dated: frozenset[dt.date] = frozenset()
    national: bool = True
    """Brazil's national holidays count (and `state`'s, when set)."""
    state: str = ""

    def is_holiday(self, day: dt.date) -> bool:
        if day in self.dated or (day.month, day.day) in self.yearly:
            return True
        return self.national and day in _national(day.year, self.state)

    def ranges(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The working stretches of `day` (none on a holiday)."""
        if self.is_holiday(day):
            return ()
        start = dt.datetime.combine(day, dt.time.min)
        return tuple((start + dt.timedelta(minutes=a), start + dt.timedelta(minutes=b))
                     for a, b in self.windows[day.weekday()])


@functools.lru_cache(maxsize=64)
def _national(year: int, state: str) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.Brazil(years=year, subdiv=state or None))


def states() -> tuple[str, ...]:
    """The states (two letters) whose holidays the library knows."""
    import holidays

    return tuple(holidays.Brazil.subdivisions)


def _day_span(text: str, whole: str) -> list[int]:
    first, sep, last = text.partition("-")
    try:
        a = DAY_NAMES[first]
        b = DAY_NAMES[last] if sep else a
    except KeyError:
        raise ValidationError(_("Unknown day in \"{text}\": use mon, tue, wed, thu, fri, sat, sun").format(
            text=whole), "value") from None
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


def parse_hours(text: str) -> Windows:
    """`mon-fri 08:00-18:00; sat 08:00-12:00` as per-weekday ranges, or
    ValidationError (for "value") saying what is wrong."""
    days: list[list[tuple[int, int]]] = [[] for _i in range(7)]
    groups = [g.strip() for g in str(text or "").lower().split(";") if g.strip()]
    if not groups:
        raise ValidationError(_("Give the working hours, e.g. {example}").format(example=DEFAULT_HOURS), "value")
    for group in groups:
        words = group.replace(",", " ").split()
        names = [w for w in words if not w[:1].isdigit()]
        spans = [w for w in words if w[:1].isdigit()]
        if not names or not spans:
            raise ValidationError(_("Write days then hours, e.g. {example}: \"{text}\"").format(
                example=DEFAULT_HOURS, text=group), "value")
        weekdays = sorted({d for name in names for d in _day_span(name, group)})
        for span in spans:
            m = _RANGE.match(span)
            if m is None:
                raise ValidationError(_("Write hours as 08:00-18:00: \"{text}\"").format(text=span), "value")
            h1, m1, h2, m2 = (int(x) for x in m.groups())
            if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or h1 * 60 + m1 > 1440 or h2 * 60 + m2 > 1440:
                raise ValidationError(_("No such time of day: \"{text}\"").format(text=span), "value")
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if start >= end:
                raise ValidationError(_("The hours must end after they start: \"{text}\"").format(text=span),
                                      "value")
            for d in weekdays:
                days[d].append((start, end))
    for ranges in days:
        ranges.sort()
        if any(b[0] < a[1] for a, b in zip(ranges, ranges[1:])):
            raise ValidationError(_("Working hours of one day overlap"), "value")
    return tuple(tuple(r) for r in days)


def parse_holidays(text: str) -> tuple[frozenset[tuple[int, int]], frozenset[dt.date]]:
    """`25/01, 20/11/2026` as (yearly (month, day), dated), or ValidationError."""
    yearly, dated = set(), set()
    for item in (i.strip() for i in str(text or "").replace(";", ",").split(",")):
        if not item:
            continue
        m = _DATE.match(item)
        try:
            if m is None:
                raise ValueError
            day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
            if year:
                dated.add(dt.date(int(year), month, day))
            else:
                dt.date(2000, month, day)  # a leap year: 29/02 is a date
                yearly.add((month, day))
        except ValueError:
            raise ValidationError(_("Not a date: \"{text}\"; write DD/MM (every year) or DD/MM/YYYY").format(
                text=item), "value") from None
    return frozenset(yearly), frozenset(dated)


def normal_hours(text: str) -> str:
    """The working hours as kept (checked; spaces tidied)."""
    parse_hours(text)
    return "; ".join(" ".join(g.split()) for g in str(text).lower().split(";") if g.strip())


def normal_holidays(text: str) -> str:
    """The local holidays as kept (checked; one comma and space between them)."""
    parse_holidays(text)
    return ", ".join(i.strip() for i in str(text or "").replace(";", ",").split(",") if i.strip())


def calendar(hours: str, local: str = "", state: str = "", national: bool = True) -> Calendar:
    yearly, dated = parse_holidays(local)
    return Calendar(parse_hours(hours), yearly, dated, national, state.upper())


def _days(start: dt.date):
    for i in range(MAX_DAYS):
        yield start + dt.timedelta(days=i)


def business_seconds(cal: Calendar, a: dt.datetime, b: dt.datetime) -> int:
    """Working seconds between `a` and `b` (negative when `b` is before `a`)."""
    if b < a:
        return -business_seconds(cal, b, a)
    total = 0
    for day in _days(a.date()):
        if day > b.date():
            break
        for start, end in cal.ranges(day):
            lo, hi = max(start, a), min(end, b)
            if hi > lo:
                total += int((hi - lo).total_seconds())
    return total


def business_minutes(cal: Calendar, a: dt.datetime, b: dt.datetime) -> int:
    """Whole working minutes between `a` and `b` (negative when `b` is before `a`)."""
    seconds = business_seconds(cal, a, b)
    return seconds // 60 if seconds >= 0 else -(-seconds // 60)


def add_business_minutes(cal: Calendar, start: dt.datetime, minutes: int) -> dt.datetime:
    """The moment `minutes` working minutes after `start` (a start outside
    the hours counts from the next opening). ValueError when the calendar
    has no working time in the next MAX_DAYS days."""
    left = dt.timedelta(minutes=max(0, minutes))
    if not left:
        return start
    for day in _days(start.date()):
        for a, b in cal.ranges(day):
            lo = max(a, start)
            if b <= lo:
                continue
            if lo + left <= b:
                return lo + left
            left -= b - lo
    raise ValueError("no working hours in the calendar")
