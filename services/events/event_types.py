"""Event types: a name, a format (offline, online, hybrid), the preparation
text and the checklist that becomes each new event's preparation task, so a
new kind of event needs no code."""
from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass

from models import reading, write_tx
from models.events import EVENT_FORMATS, EventType
from services.core.errors import NotFound, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.events.fields import collect, parse_text
from services.store import audit


@dataclass(frozen=True)
class EventTypeInfo:
    id: int
    name: str
    format: str
    preparation: str
    checklist: tuple[str, ...]
    active: bool


def type_info(t: EventType) -> EventTypeInfo:
    try:
        checklist = tuple(str(x) for x in json.loads(t.checklist or "[]"))
    except (ValueError, TypeError):
        checklist = ()
    return EventTypeInfo(t.id, t.name, t.format, t.preparation, checklist, t.active)


def list_types(actor: Actor, include_inactive: bool = False) -> list[EventTypeInfo]:
    require(actor, "events.read")
    with reading():
        q = EventType.select().order_by(EventType.name)
        if not include_inactive:
            q = q.where(EventType.active == True)  # noqa: E712
        return [type_info(t) for t in q]


def save_type(actor: Actor, name: str, format: str, preparation: str = "",
              checklist: Iterable[str] = (), type_id: int | None = None, active: bool = True) -> EventTypeInfo:
    """Create (or change) an event type; its checklist becomes each new
    event's preparation task, so a new type needs no code."""
    require(actor, "events.types")
    errors = {}
    name_ = collect(errors, parse_text, name, "name", 120, True)
    if format not in EVENT_FORMATS:
        errors["format"] = _("Format must be one of: {formats}").format(formats=", ".join(EVENT_FORMATS))
    items = [clean(c) for c in checklist if clean(c)]
    if any(len(c) > 300 for c in items):
        errors["checklist"] = _("Too long: at most {n} characters").format(n=300)
    preparation_ = clean(preparation, multiline=True)
    if errors:
        raise ValidationError(errors)
    with write_tx():
        clash = EventType.get_or_none(EventType.name == name_)
        if clash and clash.id != type_id:
            raise ValidationError(_("There is already a type named {name}").format(name=name_), "name")
        fields = dict(name=name_, format=format, preparation=preparation_,
                      checklist=json.dumps(items, ensure_ascii=False), active=active)
        if type_id:
            if not EventType.update(**fields).where(EventType.id == type_id).execute():
                raise NotFound(_("No event type {id}").format(id=type_id))
            t = EventType.get_by_id(type_id)
            audit.record(actor.login, "event_type", t.id, "update", fields)
        else:
            t = EventType.create(**fields)
            audit.record(actor.login, "event_type", t.id, "create", fields)
        return type_info(t)


@functools.cache
def _shipped_translations() -> dict[str, dict[str, str]]:
    """{language: {shipped Portuguese text: its translation}} for the event
    types Atende ships (data/event_types.json: preparation texts and checklist
    items), read once."""
    from importlib import resources

    table: dict[str, dict[str, str]] = {}
    for t in json.loads((resources.files("data") / "event_types.json").read_text(encoding="utf-8")):
        for language in ("en",):
            other = t.get(language) or {}
            pairs = [(t.get("preparation", ""), other.get("preparation", ""))]
            pairs += list(zip(t.get("checklist", []), other.get("checklist", []), strict=False))
            table.setdefault(language, {}).update({a: b for a, b in pairs if a and b})
    return table


def in_reader_language(text: str) -> str:
    """A shipped type's text (preparation, checklist item) in the reader's
    language; anything a person wrote stays as written."""
    from services.core.i18n import current_language

    language = current_language()
    if language.startswith("pt"):
        return text
    return _shipped_translations().get(language.split("_")[0], {}).get(text, text)
