"""An event's fields as people type them: their labels, and the parsing and
checking of each (dates as DD/MM/YYYY HH:MM, seats, workload, links, text).
Each parser raises ValidationError naming its field; `collect` gathers every
field's error so a form shows them all at once."""
from __future__ import annotations

import datetime as dt
import re

from services.core.errors import ValidationError
from services.core.i18n import N_, _
from services.core.text import clean

FIELD_LABELS = {
    "description": N_("Description"), "responsible": N_("Responsible"),
    "starts_at": N_("Start"), "ends_at": N_("End"), "type": N_("Type"),
    "client": N_("Client / location"), "access_link": N_("Online access link"),
    "address": N_("Address"), "seats": N_("Seats"), "public": N_("Public registration"),
    "workload_hours": N_("Workload (hours)"), "main": N_("Main event"),
}
MAX_SEATS = 100_000
MAX_WORKLOAD = 1_000


def field_label(name: str) -> str:
    return _(FIELD_LABELS.get(name, name))


_DATETIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                     "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %Hh%M", "%d/%m/%Y %H")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def parse_datetime(value: str | dt.datetime | None, field_name: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(second=0, microsecond=0)
    text = clean(value or "")
    if not text:
        raise ValidationError(_("Date and time are required"), field_name)
    for fmt in _DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValidationError(_("Invalid date and time: use DD/MM/YYYY HH:MM"), field_name)


def format_datetime(value: dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def parse_seats(value) -> int | None:
    if value is None:
        return None
    text = clean(str(value))
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise ValidationError(_("Enter a whole number"), "seats") from None
    if number <= 0:
        raise ValidationError(_("Seats must be greater than zero"), "seats")
    if number > MAX_SEATS:
        raise ValidationError(_("Must be at most {n}").format(n=MAX_SEATS), "seats")
    return number


def parse_workload(value) -> float | None:
    if value is None:
        return None
    text = clean(str(value)).replace(",", ".").removesuffix("h").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValidationError(_("Enter a number of hours, such as 4 or 1,5"), "workload_hours") from None
    if not number > 0:
        raise ValidationError(_("Must be greater than zero"), "workload_hours")
    if number > MAX_WORKLOAD:
        raise ValidationError(_("Must be at most {n}").format(n=MAX_WORKLOAD), "workload_hours")
    return round(number, 2)


def collect(errors: dict[str, str], fn_, *args):
    try:
        return fn_(*args)
    except ValidationError as exc:
        errors.update(exc.errors)
        return None


def parse_text(value: str, field_name: str, max_len: int, required: bool = False) -> str:
    text = clean(value or "")
    if required and not text:
        raise ValidationError(_("This field is required"), field_name)
    if len(text) > max_len:
        raise ValidationError(_("Too long: at most {n} characters").format(n=max_len), field_name)
    return text


def parse_link(value: str) -> str:
    text = clean(value or "")
    if not text:
        return ""
    if len(text) > 500:
        raise ValidationError(_("Too long: at most {n} characters").format(n=500), "access_link")
    if not _URL.match(text):
        raise ValidationError(_("Enter a link starting with https://"), "access_link")
    return text
