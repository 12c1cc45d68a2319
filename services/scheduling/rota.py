"""Implementation analysts, their working hours, and the monthly rota that
says who receives the bookings support makes in each month.

An analyst is a staff user listed in ImplementationAnalyst (a membership,
not a role: the analyst keeps their login and role, and gains working hours
and a place on the rota).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from models import User, reading, write_tx
from models.scheduling import ImplementationAnalyst, RotaMonth
from services.core import clock
from services.core.errors import AtendeError, Conflict, NotFound, ValidationError
from services.core.i18n import _
from services.core.permissions import STAFF, Actor, require
from services.core.text import clean
from services.store import audit, settings

SESSION_MINUTES = 90
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
PERIOD_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
DEFAULT_HOURS = "09:00-12:00 13:30-18:00"
DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)


class NoAnalyst(AtendeError):
    """No analyst on the rota for the month: a supervisor must fill it."""


@dataclass(frozen=True)
class AnalystInfo:
    id: int
    user_id: int
    login: str
    name: str
    email: str
    hours: str
    weekdays: tuple[int, ...]
    active: bool
    version: int

    def periods(self) -> list[tuple[dt.time, dt.time]]:
        return parse_hours(self.hours)


@dataclass(frozen=True)
class RotaEntry:
    month: str
    analyst: AnalystInfo | None
    version: int
    updated_by: str


def local_now() -> dt.datetime:
    """Now on the wall clock of the scheduling time zone (the parameter
    scheduling.timezone), wherever this machine is: the slots, what is past,
    the no-show tolerance and the month of the rota are read in it."""
    return clock.now_in(settings.get_zone("scheduling.timezone"))


def month_key(day: dt.date | dt.datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str, field: str = "month") -> str:
    """"2026-03" (or "03/2026") -> "2026-03"; ValidationError otherwise."""
    text = clean(text)
    m = MONTH_RE.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    else:
        m = re.match(r"^(\d{1,2})/(\d{4})$", text)
        year, month = (int(m.group(2)), int(m.group(1))) if m else (0, 0)
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValidationError(_("Invalid month '{text}': use YYYY-MM").format(text=text), field)
    return f"{year:04d}-{month:02d}"


def month_range(month: str) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of next month)."""
    y, m = (int(x) for x in month.split("-"))
    first = dt.datetime(y, m, 1)
    nxt = dt.datetime(y + (m == 12), m % 12 + 1, 1)
    return first, nxt


def add_months(month: str, n: int) -> str:
    y, m = (int(x) for x in month.split("-"))
    total = y * 12 + (m - 1) + n
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def parse_hours(text: str, field: str = "hours") -> list[tuple[dt.time, dt.time]]:
    """"09:00-12:00 13:30-18:00" -> periods, each long enough for a session,
    in order and not overlapping."""
    periods = []
    parts = [p for p in re.split(r"[\s,;]+", clean(text)) if p]
    if not parts:
        raise ValidationError(_("Working hours are required, e.g. 09:00-12:00 13:30-18:00"), field)
    for part in parts:
        m = PERIOD_RE.match(part)
        if not m:
            raise ValidationError(_("Invalid period '{part}': use HH:MM-HH:MM").format(part=part), field)
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValidationError(_("Invalid period '{part}': use HH:MM-HH:MM").format(part=part), field)
        start = dt.time(h1, m1)
        end = dt.time(23, 59) if h2 == 24 else dt.time(h2, m2)
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if minutes < SESSION_MINUTES:
            raise ValidationError(
                _("Period '{part}' is shorter than a 1h30 session").format(part=part), field)
        if periods and start < periods[-1][1]:
            raise ValidationError(_("Periods must be in order and not overlap"), field)
        periods.append((start, end))
    return periods


def parse_weekdays(text: str, field: str = "weekdays") -> tuple[int, ...]:
    """"0,1,2,3,4" (Monday = 0) -> (0, 1, 2, 3, 4)."""
    try:
        days = tuple(sorted({int(x) for x in re.split(r"[\s,;]+", clean(text)) if x}))
    except ValueError:
        days = ()
    if not days or any(not 0 <= d <= 6 for d in days):
        raise ValidationError(_("Working days are numbers from 0 (Monday) to 6 (Sunday), e.g. 0,1,2,3,4"), field)
    return days


def _analyst(a: ImplementationAnalyst, u: User) -> AnalystInfo:
    return AnalystInfo(a.id, u.id, u.login, u.name, u.email, a.hours,
                       tuple(int(x) for x in a.weekdays.split(",") if x != ""), a.active, a.version)


def _analyst_query():
    return (ImplementationAnalyst.select(ImplementationAnalyst, User)
            .join(User, on=(ImplementationAnalyst.user == User.id)))


def load_analyst(analyst_id: int) -> AnalystInfo | None:
    row = _analyst_query().where(ImplementationAnalyst.id == analyst_id).first()
    return _analyst(row, row.user) if row else None


def list_analysts(actor: Actor, include_inactive: bool = False) -> list[AnalystInfo]:
    require(actor, "scheduling.triage")
    with reading():
        q = _analyst_query().order_by(User.name)
        if not include_inactive:
            q = q.where(ImplementationAnalyst.active == True)  # noqa: E712
        return [_analyst(a, a.user) for a in q]


def get_analyst(actor: Actor, login: str) -> AnalystInfo:
    require(actor, "scheduling.triage")
    with reading():
        row = _analyst_query().where(User.login == clean(login)).first()
    if row is None:
        raise NotFound(_("'{login}' is not an implementation analyst").format(login=login))
    return _analyst(row, row.user)


def save_analyst(actor: Actor, login: str, hours: str | None = None, weekdays: str | None = None,
                 active: bool = True, expected_version: int | None = None) -> AnalystInfo:
    """Make `login` an implementation analyst, or change their hours; a
    supervisor's action."""
    require(actor, "scheduling.rota")
    errors = {}
    try:
        parsed_hours = parse_hours(hours) if hours is not None else None
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        parsed_days = parse_weekdays(weekdays) if weekdays is not None else None
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    hours_text = " ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in parsed_hours) if parsed_hours else None
    days_text = ",".join(str(d) for d in parsed_days) if parsed_days else None
    now = clock.now()
    with write_tx():
        user = User.get_or_none((User.login == clean(login)) & (User.active == True))  # noqa: E712
        if user is None:
            raise ValidationError(_("No user '{login}': add them first (atende users add)").format(login=login),
                                  "login")
        if user.role not in STAFF:
            raise ValidationError(_("'{login}' is not staff and cannot be an analyst").format(login=login), "login")
        row = ImplementationAnalyst.get_or_none(ImplementationAnalyst.user == user.id)
        if row is None:
            row = ImplementationAnalyst.create(
                user=user.id, hours=hours_text or DEFAULT_HOURS,
                weekdays=days_text or ",".join(str(d) for d in DEFAULT_WEEKDAYS),
                active=active, updated_by=actor.login, updated_at=now)
            audit.record(actor.login, "analyst", row.id, "create",
                         {"login": user.login, "hours": row.hours, "weekdays": row.weekdays})
        else:
            fields = {"active": active, "hours": hours_text or row.hours, "weekdays": days_text or row.weekdays}
            version = row.version if expected_version is None else expected_version
            n = (ImplementationAnalyst.update(**fields, version=ImplementationAnalyst.version + 1,
                                              updated_by=actor.login, updated_at=now)
                 .where((ImplementationAnalyst.id == row.id) & (ImplementationAnalyst.version == version))
                 .execute())
            if n == 0:
                raise Conflict(_("{who} changed this analyst meanwhile; reopen to see their version").format(
                    who=row.updated_by or _("someone")))
            audit.record(actor.login, "analyst", row.id, "update",
                         audit.diff({k: getattr(row, k) for k in fields}, fields))
        return load_analyst(row.id)


def get_rota(actor: Actor, first_month: str, count: int = 12) -> list[RotaEntry]:
    """The rota for `count` months from `first_month`, empty months included."""
    require(actor, "scheduling.triage")
    months = [add_months(parse_month(first_month), i) for i in range(count)]
    with reading():
        rows = {r.month: r for r in RotaMonth.select().where(RotaMonth.month.in_(months))}
        out = []
        for m in months:
            r = rows.get(m)
            out.append(RotaEntry(m, load_analyst(r.analyst_id) if r else None,
                                 r.version if r else 0, r.updated_by if r else ""))
        return out


def set_rota(actor: Actor, month: str, analyst_login: str | None, expected_version: int | None = None) -> RotaEntry:
    """Put `analyst_login` on the rota for `month` (None clears the month)."""
    require(actor, "scheduling.rota")
    month = parse_month(month)
    now = clock.now()
    with write_tx():
        analyst = None
        if analyst_login:
            row = (_analyst_query().where((User.login == clean(analyst_login))
                                          & (ImplementationAnalyst.active == True)).first())  # noqa: E712
            if row is None:
                raise ValidationError(
                    _("'{login}' is not an active implementation analyst").format(login=analyst_login), "analyst")
            analyst = row
        current = RotaMonth.get_or_none(RotaMonth.month == month)
        if current is not None and expected_version is not None and current.version != expected_version:
            raise Conflict(_("{who} changed the rota for {month} meanwhile; look again").format(
                who=current.updated_by or _("someone"), month=month))
        if analyst is None:
            if current is not None:
                current.delete_instance()
                audit.record(actor.login, "rota", month, "clear", {"analyst": [current.analyst_id, None]})
            return RotaEntry(month, None, 0, actor.login)
        if current is None:
            RotaMonth.create(month=month, analyst=analyst.id, updated_by=actor.login, updated_at=now)
            audit.record(actor.login, "rota", month, "set", {"analyst": [None, analyst.user.login]})
        else:
            n = (RotaMonth.update(analyst=analyst.id, version=RotaMonth.version + 1, updated_by=actor.login,
                                  updated_at=now)
                 .where((RotaMonth.month == month) & (RotaMonth.version == current.version)).execute())
            if n == 0:
                raise Conflict(_("{who} changed the rota for {month} meanwhile; look again").format(
                    who=current.updated_by or _("someone"), month=month))
            audit.record(actor.login, "rota", month, "set", {"analyst": [current.analyst_id, analyst.id]})
        r = RotaMonth.get_by_id(month)
        return RotaEntry(month, load_analyst(r.analyst_id), r.version, r.updated_by)


def analyst_for_month(actor: Actor, month: str | None = None) -> AnalystInfo:
    """The analyst receiving the bookings made in `month` (default: this
    month, "o mês vigente"), or NoAnalyst telling a supervisor to fill it."""
    require(actor, "scheduling.triage")
    month = parse_month(month) if month else month_key(local_now())
    with reading():
        r = RotaMonth.get_or_none(RotaMonth.month == month)
        analyst = load_analyst(r.analyst_id) if r else None
    if analyst is None or not analyst.active:
        raise NoAnalyst(
            _("No implementation analyst is on the rota for {month}: a supervisor must fill the rota "
              "(Scheduling, F5 Rota, or: atende rota set {month} LOGIN)").format(month=month))
    return analyst
