"""E-mail templates: shipped defaults in data/templates, edits in the database.

A template has a subject, a text body and an optional HTML body, in
Portuguese and English, per kind (and per event type where it matters), with
named placeholders such as ``{participant_name}``. Rendering only substitutes
names from a dict: no attribute or index access, no conversions, no format
specs, so a template never executes anything. A template using a name its
kind does not offer, or a brace without its pair, is refused when saved.
"""
from __future__ import annotations

import datetime as dt
import html as html_mod
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from models import reading, write_tx
from models.mail import MailTemplate
from services.core import clock
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean
from services.store import audit

LANGUAGES = ("pt_BR", "en")
DEFAULT_LANGUAGE = "pt_BR"

KIND_LABELS = {
    "registration_confirmation": N_("Registration confirmation"),
    "reminder_3d": N_("Reminder, three days before"),
    "reminder_1d": N_("Reminder, one day before"),
    "event_confirmed": N_("Event confirmed"),
    "event_cancelled": N_("Event cancelled"),
    "materials": N_("Materials after the event"),
    "certificate": N_("Certificate"),
    "waiting_list": N_("Waiting list notice"),
    "registration_promoted": N_("Seat from the waiting list"),
    "waitlist_responsible": N_("Waiting list, to the responsible"),
    "event_details": N_("Event details"),
    "ticket": N_("Ticket e-mail"),
    "booking_confirmation": N_("Booking confirmation"),
}
KINDS = tuple(KIND_LABELS)
EVENT_KINDS = frozenset({"registration_confirmation", "reminder_3d", "reminder_1d", "event_confirmed",
                         "event_cancelled", "materials", "certificate", "waiting_list",
                         "registration_promoted", "waitlist_responsible", "event_details"})
"""Kinds that may have a variant per event type."""

NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_FORMATTER = string.Formatter()
MAX_BODY = 100_000


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class TemplateInfo:
    kind: str
    language: str
    event_type: str
    subject: str
    body_text: str
    body_html: str
    placeholders: tuple[str, ...]
    is_default: bool
    version: int
    updated_at: dt.datetime | None
    updated_by: str

    @property
    def label(self) -> str:
        return _(KIND_LABELS.get(self.kind, self.kind))


# ---------------------------------------------------------------- parsing


def _parse(template: str) -> list[tuple[str, str | None]]:
    """[(literal, placeholder name or None)] or ValueError with a reason for a person."""
    parts = []
    try:
        items = list(_FORMATTER.parse(template))
    except ValueError:
        raise ValueError(_("a '{' or '}' without its pair (write {{ or }} for a brace)")) from None
    for literal, name, spec, conversion in items:
        if name is None:
            parts.append((literal, None))
            continue
        if conversion or spec or not NAME.match(name):
            shown = "{" + name + (("!" + conversion) if conversion else "") + ((":" + spec) if spec else "") + "}"
            raise ValueError(_(
                "{placeholder} is not a plain name: write placeholders like {{participant_name}}").format(
                placeholder=shown))
        parts.append((literal, name))
    return parts


def placeholders_in(template: str) -> list[str]:
    return [name for _lit, name in _parse(template) if name]


def check(fields: Mapping[str, str], allowed: tuple[str, ...] | frozenset[str]) -> None:
    """Raise ValidationError({field: reason}) for broken or unknown placeholders."""
    errors = {}
    allowed = frozenset(allowed)
    for field, template in fields.items():
        try:
            names = placeholders_in(template or "")
        except ValueError as exc:
            errors[field] = str(exc)
            continue
        unknown = [n for n in dict.fromkeys(names) if n not in allowed]
        if unknown:
            errors[field] = _("Unknown placeholder {names}; this kind offers: {allowed}").format(
                names=", ".join("{" + n + "}" for n in unknown),
                allowed=", ".join("{" + n + "}" for n in sorted(allowed)))
    if errors:
        raise ValidationError(errors)


def substitute(template: str, context: Mapping[str, object], *, escape: bool = False) -> str:
    """Replace each {name} by str(context[name]) ('' when missing). Never evaluates anything."""
    out = []
    for literal, name in _parse(template):
        out.append(literal)
        if name is not None:
            value = context.get(name, "")
            text = "" if value is None else str(value)
            out.append(html_mod.escape(text) if escape else text)
    return "".join(out)


def text_to_html(text: str) -> str:
    """A simple HTML body from a text one: escaped, paragraphs, line breaks, links."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    link = re.compile(r"(https?://[^\s<>&\"']+)")
    html_parts = []
    for p in paragraphs:
        escaped = html_mod.escape(p)
        escaped = link.sub(r'<a href="\1">\1</a>', escaped)
        html_parts.append("<p>" + escaped.replace("\n", "<br>\n") + "</p>")
    return ('<!DOCTYPE html><html><body style="font-family: sans-serif; line-height: 1.4">\n'
            + "\n".join(html_parts) + "\n</body></html>")


# ---------------------------------------------------------------- defaults


@cache
def _shipped(kind: str) -> dict:
    path = resources.files("data") / "templates" / f"{kind}.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(_("No template for '{kind}'").format(kind=kind)) from None


def allowed_placeholders(kind: str) -> tuple[str, ...]:
    _check_kind(kind)
    return tuple(_shipped(kind).get("placeholders", ()))


def default_template(kind: str, language: str) -> tuple[str, str, str]:
    data = _shipped(kind)
    part = data.get(language) or data.get("en") or {}
    return part.get("subject", ""), part.get("text", ""), part.get("html", "")


def _check_kind(kind: str) -> None:
    if kind not in KIND_LABELS:
        raise ValidationError(_("Unknown template kind '{kind}'").format(kind=kind), "kind")


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValidationError(_("Unknown language '{language}': use pt_BR or en").format(language=language), "language")
    return language


# ---------------------------------------------------------------- reading and rendering


def _row(kind: str, language: str, event_type: str) -> MailTemplate | None:
    return MailTemplate.get_or_none((MailTemplate.kind == kind) & (MailTemplate.language == language)
                                    & (MailTemplate.event_type == event_type))


_CACHE: dict[tuple, tuple[float, TemplateInfo]] = {}
CACHE_SECONDS = 5.0
"""Bulk mail (an import of thousands of registrations) renders the same template
over and over: the effective one is kept this long (edits here clear it)."""


def _forget() -> None:
    _CACHE.clear()


def effective(kind: str, language: str = DEFAULT_LANGUAGE, event_type: str = "") -> TemplateInfo:
    """The template in use: the event type's edit, else the kind's edit, else the shipped one."""
    import time

    from models.db import sqlite_path

    key = (str(sqlite_path()), kind, language, event_type)
    hit = _CACHE.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    info = _effective(kind, language, event_type)
    _CACHE[key] = (time.monotonic(), info)
    return info


def _effective(kind: str, language: str, event_type: str) -> TemplateInfo:
    _check_kind(kind)
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    event_type = clean(event_type) if kind in EVENT_KINDS else ""
    allowed = allowed_placeholders(kind)
    with reading():
        row = (_row(kind, language, event_type) if event_type else None) or _row(kind, language, "")
    if row is not None:
        return TemplateInfo(kind, language, row.event_type, row.subject, row.body_text, row.body_html,
                            allowed, False, row.version, row.updated_at, row.updated_by)
    subject, text, html = default_template(kind, language)
    return TemplateInfo(kind, language, "", subject, text, html, allowed, True, 0, None, "")


LABELLED = re.compile(r"^[^{}:]{1,40}:\s*(\{[A-Za-z_][A-Za-z0-9_]*\}\s*)+$")
"""A line that is a label and placeholders only ("Online access: {access_link}")."""


def _without_empty_labels(template: str, context: Mapping[str, object]) -> str:
    """`template` without its labelled lines whose every placeholder is empty
    here (no "Online access:" line for an event held in person)."""
    kept = []
    for line in template.split("\n"):
        if LABELLED.match(line.strip()) and not any(
                str(context.get(name) or "").strip() for _literal, name in _parse(line) if name):
            continue
        kept.append(line)
    return "\n".join(kept)


def render_template(info: TemplateInfo, context: Mapping[str, object]) -> Rendered:
    subject = " ".join(substitute(info.subject, context).split())
    text = substitute(_without_empty_labels(info.body_text, context), context)
    text = re.sub(r"\n{3,}", "\n\n", text)
    html = substitute(info.body_html, context, escape=True) if info.body_html.strip() else text_to_html(text)
    return Rendered(subject, text, html)


def render(kind: str, context: Mapping[str, object], language: str = DEFAULT_LANGUAGE,
           event_type: str = "") -> Rendered:
    """Render the effective template of `kind` with `context` (names -> values)."""
    return render_template(effective(kind, language, event_type), context)


def preview(kind: str, language: str, subject: str, text: str, html: str,
            context: Mapping[str, object] | None = None) -> Rendered:
    """Render unsaved edits against a record's context (or sample values)."""
    _check_kind(kind)
    allowed = allowed_placeholders(kind)
    check({"subject": subject, "text": text, "html": html}, allowed)
    info = TemplateInfo(kind, language, "", subject, text, html, allowed, False, 0, None, "")
    return render_template(info, context if context is not None else sample_context(kind))


def sample_context(kind: str) -> dict[str, str]:
    """Example values for a preview when no real record is at hand."""
    values = {
        "participant_name": "Maria da Conceição", "event_title": "Treinamento Módulo Fiscal",
        "event_type": "Treinamento", "event_status": _("Confirmed"),
        "event_start": "10/03/2026 09:00", "event_end": "10/03/2026 12:00",
        "event_location": "Rua das Flores, 100 - Curitiba", "online_link": "https://meet.example.com/abc",
        "access_link": "https://meet.example.com/abc?p=123", "event_description": "",
        "coordinator_name": "Elisa Martins", "company_name": "Atende", "reason": "",
        "materials_link": "https://example.com/materiais", "materials_text": "",
        "event_dates": "10/03/2026", "workload_hours": "3", "workload": "3 horas",
        "verification_code": "7KQ2-M9XD-4HTA",
        "verify_hint": "", "position": "2", "seats": "30", "contact_name": "João Pereira",
        "customer_name": "Mercado Bom Preço", "protocol": "20260310000123",
        "ticket_subject": "Nota fiscal rejeitada", "ticket_status": _("open"),
        "message": "", "agent_name": "Ana", "booking_date": "12/03/2026", "booking_time": "14:00",
        "booking_topic": "Implantação", "technician_name": "Bruno",
    }
    return {k: values.get(k, k) for k in allowed_placeholders(kind)}


def list_templates(actor: Actor, language: str | None = None) -> list[TemplateInfo]:
    """Every kind in each language (edited or default), plus per-event-type variants."""
    require(actor, "mail.read")
    out = []
    for lang in ([language] if language else LANGUAGES):
        for kind in KINDS:
            out.append(effective(kind, lang))
    with reading():
        extra = list(MailTemplate.select().where(MailTemplate.event_type != "").order_by(
            MailTemplate.kind, MailTemplate.event_type))
    for row in extra:
        if language and row.language != language:
            continue
        out.append(TemplateInfo(row.kind, row.language, row.event_type, row.subject, row.body_text,
                                row.body_html, allowed_placeholders(row.kind), False, row.version,
                                row.updated_at, row.updated_by))
    return out


# ---------------------------------------------------------------- editing


def save_template(actor: Actor, kind: str, language: str, subject: str, body_text: str,
                  body_html: str = "", event_type: str = "", version: int | None = None) -> TemplateInfo:
    """Save an edited template. `version` is the one the person started from
    (0 for a shipped default); someone else's save in between raises Conflict."""
    require(actor, "mail.templates")
    _check_kind(kind)
    _check_language(language)
    event_type = clean(event_type)[:60] if kind in EVENT_KINDS else ""
    subject = clean(subject)
    body_text = clean(body_text, multiline=True)
    body_html = (body_html or "").replace("\x00", "").strip()
    errors = {}
    if not subject:
        errors["subject"] = _("A template needs a subject")
    if not body_text:
        errors["text"] = _("A template needs a text body")
    for field, value in (("text", body_text), ("html", body_html)):
        if len(value) > MAX_BODY:
            errors[field] = _("Too long: {size} characters, at most {n}").format(size=len(value), n=MAX_BODY)
    if errors:
        raise ValidationError(errors)
    check({"subject": subject, "text": body_text, "html": body_html}, allowed_placeholders(kind))
    now = clock.now()
    _forget()
    with write_tx():
        row = _row(kind, language, event_type)
        if row is None:
            if version not in (None, 0):
                raise Conflict(_("This template was reset by someone else meanwhile; reopen it"))
            row = MailTemplate.create(kind=kind, language=language, event_type=event_type, subject=subject,
                                      body_text=body_text, body_html=body_html, version=1,
                                      updated_at=now, updated_by=actor.login)
            audit.record(actor.login, "mail_template", row.id, "create",
                         {"kind": kind, "language": language, "event_type": event_type})
        else:
            expected = row.version if version is None else version
            changed = MailTemplate.update(subject=subject, body_text=body_text, body_html=body_html,
                                          version=MailTemplate.version + 1, updated_at=now,
                                          updated_by=actor.login).where(
                (MailTemplate.id == row.id) & (MailTemplate.version == expected)).execute()
            if not changed:
                raise Conflict(_("{who} changed this template meanwhile; reopen it to see their version").format(
                    who=row.updated_by or _("someone")))
            audit.record(actor.login, "mail_template", row.id, "update",
                         audit.diff({"subject": row.subject, "body_text": row.body_text, "body_html": row.body_html},
                                    {"subject": subject, "body_text": body_text, "body_html": body_html}))
    _forget()
    return effective(kind, language, event_type)


def reset_template(actor: Actor, kind: str, language: str, event_type: str = "") -> TemplateInfo:
    """Drop the edit: the shipped default (or the kind's general edit) applies again."""
    require(actor, "mail.templates")
    _check_kind(kind)
    _check_language(language)
    _forget()
    with write_tx():
        row = _row(kind, language, clean(event_type))
        if row is not None:
            audit.record(actor.login, "mail_template", row.id, "reset", {"kind": kind, "language": language})
            row.delete_instance()
    _forget()
    return effective(kind, language, event_type)
