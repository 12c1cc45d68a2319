"""At the event: check-in at the desk (by code, scanned or typed, or by
name), its counts, and online access, which marks a participant as come on
their first access within the event's window."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from models import reading, write_tx
from models.events import Event, EventType, Registration
from services.core import clock
from services.core.errors import AtendeError, NotFound
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import clean, digits, fold
from services.events.fields import format_datetime
from services.events.registrations import (
    CAME_STAGES,
    RegistrationInfo,
    normalize_code,
    registration_info,
    registration_row,
)
from services.events.stages import CHECKIN_STAGES, stage_label
from services.store import audit

ACCESS_OPENS_BEFORE = dt.timedelta(hours=1)


class CheckinRefused(AtendeError):
    """A check-in that cannot be done (already in, waiting list, cancelled...)."""


class AccessRefused(AtendeError):
    """Online access outside the window, or for a registration without a seat."""


@dataclass(frozen=True)
class CheckinCounts:
    expected: int
    came: int
    missing: int
    waiting_list: int


@dataclass(frozen=True)
class AccessResult:
    link: str
    event_id: int
    event: str
    name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    first_access: bool


def matches(reg: RegistrationInfo, query: str) -> bool:
    """Whether `reg` fits what was typed at the check-in desk: part of the
    name (accents and case ignored), part of the CPF, or the code."""
    text = clean(query)
    if not text:
        return True
    needle = fold(text)
    if needle in fold(reg.name):
        return True
    code = normalize_code(text)
    if code and code in reg.code:
        return True
    number = digits(text)
    if len(number) >= 3 and number == text.replace(".", "").replace("-", "").strip() and number in reg.cpf:
        return True
    return bool(reg.email) and needle in reg.email


def checkin_counts(actor: Actor, event_id: int) -> CheckinCounts:
    require(actor, "events.read")
    with reading():
        base = (Registration.event == event_id) & Registration.cancelled_at.is_null()
        expected = Registration.select().where(base & (Registration.waitlisted == False)).count()  # noqa: E712
        came = Registration.select().where(base & Registration.stage.in_(CAME_STAGES)).count()
        waiting = Registration.select().where(base & (Registration.waitlisted == True)).count()  # noqa: E712
    return CheckinCounts(expected, came, max(0, expected - came), waiting)


# --------------------------------------------------------------------------- check-in


def checkin(actor: Actor, code: str, event_id: int | None = None) -> RegistrationInfo:
    """Mark the registration with `code` as Came, now, by `actor`."""
    require(actor, "registrations.checkin")
    wanted = normalize_code(code)
    if not wanted:
        raise CheckinRefused(_("Type or scan a registration code"))
    with write_tx():
        reg = Registration.get_or_none(Registration.code == wanted)
        if reg is None:
            raise NotFound(_("Unknown code {code}: no registration has it").format(code=clean(code)[:40]))
        return _checkin(actor, reg, event_id)


def checkin_registration(actor: Actor, registration_id: int, event_id: int | None = None) -> RegistrationInfo:
    require(actor, "registrations.checkin")
    with write_tx():
        return _checkin(actor, registration_row(registration_id), event_id)


def _checkin(actor: Actor, reg: Registration, event_id: int | None) -> RegistrationInfo:
    event = Event.get_by_id(reg.event_id)
    if event_id is not None and reg.event_id != event_id:
        raise CheckinRefused(_("Code {code} is for another event: {event}").format(
            code=reg.code, event=event.description))
    if reg.cancelled_at is not None:
        raise CheckinRefused(_("{name}'s registration was cancelled").format(name=reg.name))
    if reg.waitlisted:
        raise CheckinRefused(_("{name} is on the waiting list and has no seat").format(name=reg.name))
    if reg.stage in CAME_STAGES:
        raise CheckinRefused(_("{name} is already checked in (at {time}, by {login})").format(
            name=reg.name, time=reg.came_at.strftime("%H:%M") if reg.came_at else "?", login=reg.came_by or "?"))
    if event.stage not in CHECKIN_STAGES:
        raise CheckinRefused(_("Check-in is closed: the event is at stage {stage}").format(
            stage=stage_label(event.stage)))
    now = clock.now()
    n = (Registration.update(stage="came", came_at=now, came_by=actor.login, updated_at=now,
                             updated_by=actor.login, version=Registration.version + 1)
         .where((Registration.id == reg.id) & Registration.stage.in_(("new", "waiting"))).execute())
    if not n:
        fresh = Registration.get_by_id(reg.id)
        raise CheckinRefused(_("{name} is already checked in (at {time}, by {login})").format(
            name=fresh.name, time=fresh.came_at.strftime("%H:%M") if fresh.came_at else "?",
            login=fresh.came_by or "?"))
    audit.record(actor.login, "registration", reg.id, "checkin", {"event": event.id})
    return registration_info(Registration.get_by_id(reg.id))


def undo_checkin(actor: Actor, registration_id: int) -> RegistrationInfo:
    require(actor, "registrations.checkin")
    with write_tx():
        reg = registration_row(registration_id)
        event = Event.get_by_id(reg.event_id)
        if reg.stage != "came":
            raise CheckinRefused(_("{name} is not checked in").format(name=reg.name))
        if event.stage not in CHECKIN_STAGES:
            raise CheckinRefused(_("Check-in is closed: the event is at stage {stage}").format(
                stage=stage_label(event.stage)))
        now = clock.now()
        Registration.update(stage="waiting", came_at=None, came_by="", updated_at=now, updated_by=actor.login,
                            version=Registration.version + 1).where(Registration.id == reg.id).execute()
        audit.record(actor.login, "registration", reg.id, "undo_checkin", {"came_at": [reg.came_at, None]})
        return registration_info(Registration.get_by_id(reg.id))


# --------------------------------------------------------------------------- online access


def access_online(token: str, now: dt.datetime | None = None, who: str = "online") -> AccessResult:
    """The online link for the registration holding `token`, allowed from one
    hour before the start until the end; the first access marks Came."""
    now = now or clock.now()
    with write_tx():
        reg, event = registration_for_token(token)
        check_access(reg, event, now)
        first = reg.stage not in CAME_STAGES
        if first:
            Registration.update(stage="came", came_at=now, came_by=who, updated_at=now, updated_by=who,
                                version=Registration.version + 1).where(Registration.id == reg.id).execute()
            audit.record(who, "registration", reg.id, "online_access", {"event": event.id})
        return AccessResult(event.access_link, event.id, event.description, reg.name, event.starts_at,
                            event.ends_at, first)


@dataclass(frozen=True)
class AccessView:
    """What a participant's access page shows: never the meeting link, and
    reading it never marks presence (mail scanners open every link)."""

    event: str
    name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    opens_at: dt.datetime
    open: bool
    message: str
    """Why it is not open now (when it opens, that it ended...); "" when open."""
    meeting_origin: str = ""
    """While open: the meeting's scheme and host (where the Enter button's
    answer leads; a browser's form-action rule must allow it), never its path."""


def access_view(token: str, now: dt.datetime | None = None) -> AccessView:
    """The access page of the registration holding `token` (NotFound for an unknown one)."""
    now = now or clock.now()
    with reading():
        reg, event = registration_for_token(token)
        message = ""
        try:
            check_access(reg, event, now)
        except AccessRefused as exc:
            message = exc.message
    return AccessView(event.description, reg.name, event.starts_at, event.ends_at,
                      event.starts_at - ACCESS_OPENS_BEFORE, not message, message,
                      "" if message else _origin(event.access_link))


def _origin(link: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(link or "")
    except ValueError:
        return ""
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme not in ("http", "https") or not re.fullmatch(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?", host):
        return ""
    return f"{parts.scheme}://{host}"


def registration_for_token(token: str) -> tuple[Registration, Event]:
    """The registration holding the access `token`, and its event (NotFound otherwise)."""
    token = clean(token)
    reg = Registration.get_or_none(Registration.access_token == token) if token and len(token) <= 64 else None
    if reg is None:
        raise NotFound(_("Unknown access token"))
    return reg, Event.get_by_id(reg.event_id)


def check_access(reg: Registration, event: Event, now: dt.datetime) -> None:
    """AccessRefused saying why `reg` may not enter `event` online at `now`."""
    fmt = EventType.get_by_id(event.type_id).format
    if reg.cancelled_at is not None:
        raise AccessRefused(_("This registration was cancelled"))
    if event.stage == "cancelled":
        raise AccessRefused(_("The event {event} was cancelled").format(event=event.description))
    if event.stage == "held":  # closed: presence is settled, a late click changes nothing
        raise AccessRefused(_("{event} is over and closed").format(event=event.description))
    if reg.waitlisted:
        raise AccessRefused(_("You are on the waiting list for {event}; you will be told if a seat opens").format(
            event=event.description))
    if fmt == "offline":
        raise AccessRefused(_("{event} happens in person only, at: {address}").format(
            event=event.description, address=event.address or "?"))
    opens = event.starts_at - ACCESS_OPENS_BEFORE
    if now < opens:
        raise AccessRefused(_("Access to {event} opens at {when} (one hour before the start)").format(
            event=event.description, when=format_datetime(opens)))
    if now > event.ends_at:
        raise AccessRefused(_("{event} ended at {when}").format(
            event=event.description, when=format_datetime(event.ends_at)))
    if not event.access_link:
        raise AccessRefused(_("The online link for {event} is not published yet").format(event=event.description))
