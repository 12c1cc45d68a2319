"""Calendar files (.ics, RFC 5545) attached to event e-mails.

Built with the `icalendar` library rather than by hand: RFC 5545 line folding
at 75 octets, escaping of commas/semicolons/newlines in text, and UTC
date-times are easy to get subtly wrong, and calendar clients reject or
mangle such files silently.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
from pathlib import Path

from services.core import clock, paths
from services.core.errors import ValidationError
from services.core.i18n import _

PRODID = "-//Atende//Events//PT"


def _utc(value: dt.datetime) -> dt.datetime:
    """Naive datetimes are local wall-clock time (as everywhere in Atende)."""
    if value.tzinfo is None:
        value = value.astimezone()  # the system's local zone
    return value.astimezone(dt.UTC)


def build_ics(*, uid: str, title: str, start: dt.datetime, end: dt.datetime | None = None,
              location: str = "", online_link: str = "", description: str = "",
              organizer: str = "", cancelled: bool = False, sequence: int = 0) -> bytes:
    """One VEVENT in a VCALENDAR. `uid` stays the same for one event or
    session so calendars update it in place (raise `sequence` on each change)."""
    from icalendar import Calendar, Event, vCalAddress, vText

    if not title:
        raise ValidationError(_("A calendar entry needs a title"), "title")
    end = end or start + dt.timedelta(hours=1)
    if end < start:
        raise ValidationError(_("The end is before the start"), "end")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = Event()
    ev.add("uid", uid if "@" in uid else f"{uid}@{socket.gethostname() or 'atende'}")
    ev.add("dtstamp", _utc(clock.now()))
    ev.add("dtstart", _utc(start))
    ev.add("dtend", _utc(end))
    ev.add("summary", title)
    ev.add("sequence", sequence)
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    where = location or online_link
    if where:
        ev.add("location", where)
    if online_link:
        ev.add("url", online_link)
    text = description or ""
    if online_link and online_link not in text:
        text = (text + "\n\n" if text else "") + online_link
    if text:
        ev.add("description", text)
    if organizer:
        addr = vCalAddress(f"mailto:{organizer}")
        addr.params["cn"] = vText(organizer)
        ev["organizer"] = addr
    cal.add_component(ev)
    return cal.to_ical()


def write_ics(folder: Path, name: str, **fields) -> Path:
    """Write build_ics(**fields) to folder/name.ics (atomically) and return the path."""
    data = build_ics(**fields)
    paths.private_dir(folder)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:80] or "event"
    path = folder / f"{safe}.ics"
    tmp = folder / f".{safe}.{hashlib.sha1(data).hexdigest()[:8]}.tmp"
    tmp.write_bytes(data)
    paths.private_file(tmp)
    os.replace(tmp, path)
    return path
