"""System parameters shared by everyone on one database (the Setting table).

Only keys listed in `KNOWN` may be set, each with its type and limits, so a
typo never becomes a silent new parameter.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from models import Setting, reading, write_tx
from services.core import business
from services.core.errors import ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.store import audit


@dataclass(frozen=True)
class Parameter:
    key: str
    default: int | str
    minimum: int
    maximum: int
    about: str
    choices: tuple = ()
    """For a parameter that is one of a few words (not a number): those words."""
    url: bool = False
    """A web address (http or https, "" for none) rather than a number."""
    text: bool = False
    """One line of text (at most `maximum` characters, "" for none) rather than a number."""
    check: Callable[[str], str] | None = None
    """For a text parameter with a form of its own: the value as kept, or ValidationError."""


KNOWN = {
    p.key: p for p in (
        Parameter("certificates.window_days", 15, 1, 365,
                  N_("Days after an event ends during which its certificates are issued")),
        Parameter("events.autoclose_hours", 24, 0, 720,
                  N_("Hours after an event ends before the worker closes it as held (0: never)")),
        Parameter("contactus.mode", "central", 0, 0,
                  N_("Contact us: 'central' (classification and sub-classification) "
                     "or 'crm' (classification and form of contact)"), choices=("central", "crm")),
        Parameter("org.name", "", 0, 200,
                  N_("The organisation that runs the events: on certificates and at the foot of e-mails"),
                  text=True),
        Parameter("org.signatory", "", 0, 200,
                  N_("Who signs the certificates (name and title); empty: the event's responsible"), text=True),
        Parameter("web.base_url", "", 0, 0,
                  N_("The web pages' address as participants reach them (e.g. https://eventos.example.com): "
                     "e-mails then give each participant their own access page instead of the meeting link"),
                  url=True),
        Parameter("scheduling.timezone", "America/Sao_Paulo", 0, 64,
                  N_("The time zone of the implementation sessions (IANA name, e.g. America/Sao_Paulo): their "
                     "slots, what is past, the no-show tolerance and the calendar invitations"),
                  text=True, check=lambda v: check_zone(v)),
        Parameter("sla.hours", business.DEFAULT_HOURS, 0, 200,
                  N_("Service levels: the working hours their clock runs in, e.g. "
                     "'mon-fri 08:00-18:00; sat 08:00-12:00' (a lunch break: 08:00-12:00 13:00-18:00)"),
                  text=True, check=business.normal_hours),
        Parameter("sla.holidays", "", 0, 2000,
                  N_("Service levels: local holidays besides the national ones, comma-separated: "
                     "DD/MM every year, DD/MM/YYYY once"), text=True, check=business.normal_holidays),
        Parameter("sla.state", "", 0, 2,
                  N_("Service levels: the state (two letters, e.g. SP) whose holidays also count; "
                     "empty: national holidays only"), text=True, check=lambda v: check_state(v)),
    )
}


def check_state(value: str) -> str:
    """A Brazilian state's two letters as kept ("" for none), or ValidationError."""
    state = clean(str(value)).upper()
    if state and state not in business.states():
        raise ValidationError(_("Unknown state '{state}': use one of {states}").format(
            state=state, states=", ".join(sorted(business.states()))), "value")
    return state


def get_url(key: str) -> str:
    """A web address parameter ("" when unset), without its trailing slash."""
    return get_text(key).rstrip("/")


def check_url(value: str) -> str:
    """`value` as a base web address (http or https, a host, no password, query
    or fragment), or ValidationError; "" clears it."""
    from urllib.parse import urlsplit

    text = str(value).strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port that is no number raises here
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.username
            or parts.password or parts.query or parts.fragment or len(text) > 200
            or any(ch.isspace() or ord(ch) < 32 for ch in text)):
        raise ValidationError(_("Enter a web address such as https://eventos.example.com (no password, "
                                "query or spaces)"), "value")
    return text.rstrip("/")


def check_zone(value: str) -> str:
    """`value` as an IANA time zone name, or ValidationError."""
    from zoneinfo import available_timezones

    name = str(value).strip()
    if name not in available_timezones():
        raise ValidationError(_("Unknown time zone '{zone}': use an IANA name such as America/Sao_Paulo").format(
            zone=name), "value")
    return name


def get_zone(key: str):
    """A time zone parameter's zone (a ZoneInfo), or its default's when unset or unknown."""
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(check_zone(get_text(key)))
    except ValidationError:
        return ZoneInfo(KNOWN[key].default)


def get_text(key: str) -> str:
    """A text parameter's value ("" when unset)."""
    with reading():
        row = Setting.get_or_none(Setting.key == key)
    return row.value if row else str(KNOWN[key].default)


def get_choice(key: str) -> str:
    """A choice parameter's value, or its default when unset or unknown."""
    parameter = KNOWN[key]
    with reading():
        row = Setting.get_or_none(Setting.key == key)
    value = row.value if row else parameter.default
    return value if value in parameter.choices else parameter.default


def get_int(key: str) -> int:
    """The parameter's value, or its default when unset or unreadable."""
    parameter = KNOWN[key]
    with reading():
        row = Setting.get_or_none(Setting.key == key)
    try:
        value = int(row.value) if row else parameter.default
    except ValueError:
        return parameter.default
    return value if parameter.minimum <= value <= parameter.maximum else parameter.default


def set_value(actor: Actor, key: str, value: str) -> int | str:
    """Set parameter `key` to `value`, checked by its kind (a web address, a
    line of text, one of a few words, a whole number in range); the value kept."""
    require(actor, "settings.edit")
    parameter = KNOWN.get(key)
    if parameter is None:
        raise ValidationError(_("Unknown parameter '{key}': use one of {keys}").format(
            key=key, keys=", ".join(sorted(KNOWN))), "key")
    checked = _checked(parameter, value)
    with write_tx():
        old = Setting.get_or_none(Setting.key == key)
        Setting.put(key, str(checked))
        audit.record(actor.login, "setting", key, "set", {"value": [old.value if old else None, checked]})
    return checked


def _checked(parameter: Parameter, value: str) -> int | str:
    """`value` as `parameter` keeps it, or ValidationError for "value"."""
    if parameter.url:
        return check_url(value)
    if parameter.text:
        line = " ".join(clean(str(value)).split())
        if len(line) > parameter.maximum:
            raise ValidationError(_("At most {n} characters").format(n=parameter.maximum), "value")
        return parameter.check(line) if parameter.check else line
    if parameter.choices:
        word = str(value).strip().lower()
        if word not in parameter.choices:
            raise ValidationError(_("Use one of: {choices}").format(choices=", ".join(parameter.choices)), "value")
        return word
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(_("Enter a whole number"), "value") from None
    if not parameter.minimum <= number <= parameter.maximum:
        raise ValidationError(_("Must be between {low} and {high}").format(
            low=parameter.minimum, high=parameter.maximum), "value")
    return number


def describe(actor: Actor) -> list[tuple[str, int | str, str]]:
    """(key, current value, what it is for) of every parameter (staff only)."""
    require(actor, "settings.read")
    return [(p.key, get_url(p.key) if p.url else get_text(p.key) if p.text
             else get_choice(p.key) if p.choices else get_int(p.key), _(p.about)) for p in KNOWN.values()]
