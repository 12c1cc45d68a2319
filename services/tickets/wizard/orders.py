"""Service orders and the technicians' agendas: an order's fields, its time
(minutes, H:MM) and the slots it must not overlap, for the wizard's draft and
for a ticket already finished (services.tickets.items)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from models import Ticket, reading
from models.wizard import OsType, ServiceOrder, Technician
from services.core import clock, validation
from services.core.errors import NeedsConfirmation, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.tickets.wizard.draft import MAX_CHECKS, Draft, ServiceOrderDraft

OS_STATUSES = {"scheduled": N_("scheduled"), "confirmed": N_("confirmed"), "waiting": N_("waiting parts")}
DAY_MINUTES = 24 * 60


def parse_minutes(text: str, field: str = "duration") -> int:
    """'90', '1:30', '1h30' -> minutes."""
    value = clean(text).lower().replace("h", ":").rstrip(":")
    if not value:
        raise ValidationError(_("Type the duration (minutes, or H:MM)"), field)
    try:
        if ":" in value:
            hours, minutes = value.split(":", 1)
            total = int(hours or 0) * 60 + int(minutes or 0)
        else:
            total = int(value)
    except ValueError:
        raise ValidationError(_("Invalid duration: use minutes (90) or H:MM (1:30)"), field) from None
    if total <= 0:
        raise ValidationError(_("The duration must be more than zero"), field)
    return total


def minutes_of(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def fmt_minutes(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class Slot:
    start_minute: int
    duration_minutes: int
    label: str

    @property
    def end_minute(self) -> int:
        return self.start_minute + self.duration_minutes


def check_overlap(start: int, duration: int, taken: list[Slot], field: str = "start") -> None:
    """Refuse a slot ending after midnight, with no duration, or overlapping one in `taken`."""
    if duration <= 0:
        raise ValidationError(_("The duration must be more than zero"), "duration")
    if start + duration > DAY_MINUTES:
        raise ValidationError(_("This order would end at {end} the next day: end it by 24:00 and "
                                "schedule the rest on the next day").format(
            end=fmt_minutes(start + duration - DAY_MINUTES)), "duration")
    for slot in taken:
        if start < slot.end_minute and slot.start_minute < start + duration:
            raise ValidationError(_("Overlaps {label} ({start}-{end}) in the technician's agenda").format(
                label=slot.label, start=fmt_minutes(slot.start_minute), end=fmt_minutes(slot.end_minute)), field)


def make_service_order(technician_id, date_text: str, start_text: str, duration_text: str,
                       os_type_id=None, status: str = "scheduled", description: str = "",
                       confirmed: bool = False) -> ServiceOrderDraft:
    """Validate the fields of a service order (not yet the agenda). A day
    gone by is refused; a start already past today asks first
    (NeedsConfirmation) unless `confirmed`."""
    errors = {}
    date = start = duration = None
    if not technician_id:
        errors["technician"] = _("Choose the technician")
    try:
        date = validation.date(date_text or clock.today().strftime("%d/%m/%Y"), "date")
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        start = validation.time(start_text, "start")
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        duration = parse_minutes(duration_text)
    except ValidationError as exc:
        errors.update(exc.errors)
    if status not in OS_STATUSES:
        errors["status"] = _("Choose a status")
    try:
        description = validation.long_text(description, "description", max_len=MAX_CHECKS)
    except ValidationError as exc:
        errors.update(exc.errors)
    if start is not None and duration is not None and start.hour * 60 + start.minute + duration > DAY_MINUTES:
        errors["duration"] = _("This order would end at {end} the next day: end it by 24:00 and "
                               "schedule the rest on the next day").format(
            end=fmt_minutes(start.hour * 60 + start.minute + duration - DAY_MINUTES))
    now = clock.now()
    if date is not None and date < now.date():
        errors["date"] = _("That day has gone by: schedule the order for today or later")
    if errors:
        raise ValidationError(errors)
    if date == now.date() and (start.hour, start.minute) < (now.hour, now.minute) and not confirmed:
        raise NeedsConfirmation(_("{start} has already passed today. Schedule the order for {start} anyway?").format(
            start=start.strftime("%H:%M")))
    return ServiceOrderDraft(int(technician_id), date.isoformat(), start.strftime("%H:%M"), duration,
                             int(os_type_id) if os_type_id else None, status, description)


def draft_slots(d: Draft, technician_id: int, date: str, skip: int | None = None) -> list[Slot]:
    return [Slot(minutes_of(o.start), o.duration_minutes, _("an order in this ticket"))
            for i, o in enumerate(d.service_orders)
            if o.technician_id == technician_id and o.date == date and i != skip]


@dataclass(frozen=True)
class AgendaEntry:
    id: int
    start: str
    end: str
    start_minute: int
    duration_minutes: int
    protocol: str
    os_type: str
    status: str
    description: str


def agenda_slots(technician_id: int, date: dt.date) -> list[Slot]:
    """The slots taken in the technician's agenda on `date`, by every ticket's orders."""
    rows = (ServiceOrder.select(ServiceOrder.start_minute, ServiceOrder.duration_minutes, Ticket.protocol)
            .join(Ticket, on=(ServiceOrder.ticket == Ticket.id))
            .where((ServiceOrder.technician == technician_id) & (ServiceOrder.date == date)))
    return [Slot(r.start_minute, r.duration_minutes, _("the order of ticket {protocol}").format(
        protocol=r.ticket.protocol)) for r in rows]


def agenda(actor: Actor, technician_id: int, date: dt.date) -> list[AgendaEntry]:
    """The technician's service orders on `date`, by start time."""
    require(actor, "tickets.read")
    with reading():
        rows = (ServiceOrder.select(ServiceOrder, Ticket.protocol)
                .join(Ticket, on=(ServiceOrder.ticket == Ticket.id))
                .where((ServiceOrder.technician == technician_id) & (ServiceOrder.date == date))
                .order_by(ServiceOrder.start_minute))
        names = {t.id: t.name for t in OsType.select(OsType.id, OsType.name)}
        out = []
        for r in rows:
            out.append(AgendaEntry(r.id, fmt_minutes(r.start_minute),
                                   fmt_minutes(r.start_minute + r.duration_minutes), r.start_minute,
                                   r.duration_minutes, r.ticket.protocol, names.get(r.os_type_id, ""), r.status,
                                   r.description))
        return out


def add_service_order(actor: Actor, d: Draft, order: ServiceOrderDraft, replace_index: int | None = None) -> Draft:
    """Add (or replace) a service order, refusing a slot taken in the technician's agenda."""
    with reading():
        taken = agenda_slots(order.technician_id, dt.date.fromisoformat(order.date))
        tech = Technician.get_or_none(Technician.id == order.technician_id)
        if tech is None:
            raise ValidationError(_("Choose the technician"), "technician")
        os_type = OsType.get_or_none(OsType.id == order.os_type_id) if order.os_type_id else None
    order = replace(order, technician_name=tech.name, os_type_name=os_type.name if os_type else "")
    taken += draft_slots(d, order.technician_id, order.date, skip=replace_index)
    check_overlap(minutes_of(order.start), order.duration_minutes, taken)
    items = list(d.service_orders)
    if replace_index is None:
        items.append(order)
    else:
        items[replace_index] = order
    return replace(d, service_orders=tuple(items))
