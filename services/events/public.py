"""What the public web shows of the events: the public events open for
registration, each with its times, place and the seats left. Only what a
visitor may see (never the meeting link, the client or who is responsible),
and never an event that is not marked public."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import reading
from models.events import Event, EventType
from services.core import clock
from services.core.errors import NotFound
from services.core.i18n import _
from services.core.validation import record_id
from services.events.registrations import seats_taken
from services.events.stages import REGISTRATION_OPEN_STAGES, format_label


@dataclass(frozen=True)
class PublicEvent:
    id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    format: str
    """offline, online or hybrid."""
    place: str
    """The address of an event held in a place ("" for an online one)."""
    seats: int | None
    seats_left: int | None
    """None: no limit."""
    certificate: bool
    """It issues certificates (its workload is set): a CPF is asked for."""
    open: bool
    """Registrations are open now."""

    @property
    def format_label(self) -> str:
        return format_label(self.format)

    @property
    def full(self) -> bool:
        return self.seats_left is not None and self.seats_left <= 0


def _public(row: Event, etype: EventType, now: dt.datetime) -> PublicEvent:
    left = None if row.seats is None else max(0, row.seats - seats_taken(row.id))
    return PublicEvent(
        id=row.id, title=row.description, starts_at=row.starts_at, ends_at=row.ends_at, format=etype.format,
        place=row.address if etype.format != "online" else "", seats=row.seats, seats_left=left,
        certificate=bool(row.workload_hours), open=row.stage in REGISTRATION_OPEN_STAGES and row.ends_at > now)


def open_events(now: dt.datetime | None = None) -> list[PublicEvent]:
    """The public events open for registration that have not ended, soonest first."""
    now = now or clock.now()
    with reading():
        rows = list(Event.select(Event, EventType).join(EventType)
                    .where((Event.public == True) & Event.stage.in_(REGISTRATION_OPEN_STAGES)  # noqa: E712
                           & (Event.ends_at > now))
                    .order_by(Event.starts_at, Event.id))
        return [_public(r, r.type, now) for r in rows]


def public_event(event_ref: str | int, now: dt.datetime | None = None) -> PublicEvent:
    """One public event (open or not), or NotFound: an event that is not
    public is not found, whatever its id."""
    number = record_id(str(event_ref))
    with reading():
        row = (Event.select(Event, EventType).join(EventType).where((Event.id == number) & (Event.public == True))  # noqa: E712
               .first() if number is not None else None)
        if row is None:
            raise NotFound(_("This event does not exist or is not public"))
        return _public(row, row.type, now or clock.now())
