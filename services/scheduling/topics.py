"""The triage topic catalogue: what customers ask for, whether it is booked
with implementation, and what the agent needs to know. Shipped in
data/scheduling/, loaded by migration 0700, edited by supervisors."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache
from importlib import resources

from models import reading, write_tx
from models.scheduling import Topic, TriageTeam, topic_search_text
from services.core import clock
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean, fold
from services.store import audit

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_]{1,59}$")
MAX_PRECONDITIONS = 20
EQUIPMENT_KINDS = {"etiqueta": N_("label printer"), "balanca": N_("scale"), "catraca": N_("turnstile"),
                   "totem": N_("self-service kiosk")}
"""The categories of the homologated-equipment list, as people read them."""


@dataclass(frozen=True)
class TopicInfo:
    id: int
    key: str
    label: str
    needs_booking: bool
    is_training: bool
    webinar_link: str
    involves_equipment: bool
    equipment_kind: str
    guidance: str
    preconditions: tuple[str, ...]
    keywords: tuple[str, ...]
    needs_attachment: bool
    active: bool
    position: int
    version: int
    updated_by: str


@dataclass(frozen=True)
class TeamInfo:
    key: str
    name: str
    guidance: str
    version: int
    updated_by: str


@dataclass(frozen=True)
class TopicDraft:
    """What a supervisor types for a topic (new or edited)."""

    key: str
    label: str
    needs_booking: bool = False
    is_training: bool = False
    webinar_link: str = ""
    involves_equipment: bool = False
    guidance: str = ""
    preconditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    equipment_kind: str = ""
    """One of the homologated list's categories (EQUIPMENT_KINDS); required for a booked equipment topic."""
    needs_attachment: bool = False
    """Booked on the customer's ticket once a file is attached to it (loyalty: the answer)."""


@dataclass(frozen=True)
class Equipment:
    category: str
    manufacturer: str
    model: str


def _info(t: Topic) -> TopicInfo:
    return TopicInfo(
        t.id, t.key, t.label, t.needs_booking, t.is_training, t.webinar_link, t.involves_equipment,
        t.equipment_kind, t.guidance, tuple(json.loads(t.preconditions or "[]")), tuple(json.loads(t.keywords or "[]")),
        t.needs_attachment, t.active, t.position, t.version, t.updated_by,
    )


def _team(t: TriageTeam) -> TeamInfo:
    return TeamInfo(t.key, t.name, t.guidance, t.version, t.updated_by)


def list_topics(actor: Actor, include_inactive: bool = False) -> list[TopicInfo]:
    require(actor, "scheduling.triage")
    with reading():
        q = Topic.select().order_by(Topic.position, Topic.label)
        if not include_inactive:
            q = q.where(Topic.active == True)  # noqa: E712
        return [_info(t) for t in q]


def search_topics(actor: Actor, text: str) -> list[TopicInfo]:
    """Active topics whose label, key or keywords contain every word typed."""
    topics = list_topics(actor)
    words = fold(clean(text)).split()
    if not words:
        return topics
    with reading():
        norms = {t.id: t.search_norm for t in Topic.select(Topic.id, Topic.search_norm)}
    return [t for t in topics if all(w in norms.get(t.id, "") for w in words)]


def get_topic(actor: Actor, key: str) -> TopicInfo:
    """The topic `key` (active or not, case and accents ignored), or NotFound suggesting close keys."""
    require(actor, "scheduling.triage")
    key = fold(clean(key))  # keys are lower-case without accents: BALANÇA finds balanca
    with reading():
        row = Topic.get_or_none(Topic.key == key)
        if row is None:
            keys = [t.key for t in Topic.select(Topic.key).where(Topic.active == True)]  # noqa: E712
    if row is not None:
        return _info(row)
    close = get_close_matches(key, keys, n=3, cutoff=0.5)
    if close:
        raise NotFound(_("No topic '{key}'. Did you mean: {close}?").format(key=key, close=", ".join(close)))
    raise NotFound(_("No topic '{key}'. See the topics with: atende triage topics").format(key=key))


def list_teams(actor: Actor) -> dict[str, TeamInfo]:
    require(actor, "scheduling.triage")
    with reading():
        return {t.key: _team(t) for t in TriageTeam.select()}


# ---------------------------------------------------------------- editing


def _validate(d: TopicDraft) -> TopicDraft:
    errors: dict[str, str] = {}
    key = clean(d.key).lower()
    if not KEY_RE.match(key):
        errors["key"] = _("A key has 2 to 60 lower-case letters, digits or '_'")
    label = clean(d.label)
    if not label:
        errors["label"] = _("The label is required")
    elif len(label) > 200:
        errors["label"] = _("Too long: at most {n} characters").format(n=200)
    link = clean(d.webinar_link)
    if d.is_training and not d.needs_booking:
        errors["is_training"] = _("A training topic is booked with implementation: tick 'needs booking' too")
    if d.is_training and not link:
        errors["webinar_link"] = _("A training topic needs its webinar link")
    elif link and not re.match(r"^https?://\S+$", link):
        errors["webinar_link"] = _("The webinar link must start with http:// or https://")
    pre = tuple(p for p in (clean(x) for x in d.preconditions) if p)
    if len(pre) > MAX_PRECONDITIONS:
        errors["preconditions"] = _("At most {n} preconditions").format(n=MAX_PRECONDITIONS)
    elif any(len(p) > 300 for p in pre):
        errors["preconditions"] = _("Each precondition has at most 300 characters")
    guidance = clean(d.guidance, multiline=True)
    if len(guidance) > 5000:
        errors["guidance"] = _("Too long: at most {n} characters").format(n=5000)
    kind = clean(d.equipment_kind) if d.involves_equipment else ""
    if kind not in equipment_kinds() and (kind or d.needs_booking and d.involves_equipment):
        errors["equipment_kind"] = _("Choose the kind of equipment, one of: {kinds}").format(
            kinds=", ".join(kind_label(k) for k in equipment_kinds()))
    if errors:
        raise ValidationError(errors)
    keywords = tuple(k for k in (clean(x) for x in d.keywords) if k)
    return TopicDraft(key, label, d.needs_booking, d.is_training, link, d.involves_equipment,
                      guidance, pre, keywords, kind, d.needs_attachment)


def _fields(d: TopicDraft) -> dict:
    return dict(
        key=d.key, label=d.label, needs_booking=d.needs_booking, is_training=d.is_training,
        webinar_link=d.webinar_link, involves_equipment=d.involves_equipment, equipment_kind=d.equipment_kind,
        guidance=d.guidance,
        preconditions=json.dumps(list(d.preconditions), ensure_ascii=False),
        keywords=json.dumps(list(d.keywords), ensure_ascii=False), needs_attachment=d.needs_attachment,
        search_norm=topic_search_text(d.key, d.label, list(d.keywords)),
    )


def create_topic(actor: Actor, draft: TopicDraft) -> TopicInfo:
    require(actor, "scheduling.topics")
    d = _validate(draft)
    with write_tx():
        if Topic.select().where(Topic.key == d.key).exists():
            raise ValidationError(_("There is already a topic '{key}'").format(key=d.key), "key")
        last = Topic.select(Topic.position).order_by(Topic.position.desc()).first()
        row = Topic.create(**_fields(d), position=(last.position if last else 0) + 10,
                           updated_by=actor.login, updated_at=clock.now())
        audit.record(actor.login, "topic", row.id, "create", {"key": d.key, "label": d.label})
        return _info(Topic.get_by_id(row.id))


def update_topic(actor: Actor, topic_id: int, draft: TopicDraft, expected_version: int) -> TopicInfo:
    require(actor, "scheduling.topics")
    d = _validate(draft)
    with write_tx():
        before = Topic.get_or_none(Topic.id == topic_id)
        if before is None:
            raise NotFound(_("No topic with id {id}").format(id=topic_id))
        if d.key != before.key and Topic.select().where(Topic.key == d.key).exists():
            raise ValidationError(_("There is already a topic '{key}'").format(key=d.key), "key")
        fields = _fields(d)
        n = (Topic.update(**fields, version=Topic.version + 1, updated_by=actor.login, updated_at=clock.now())
             .where((Topic.id == topic_id) & (Topic.version == expected_version)).execute())
        if n == 0:
            raise Conflict(_("{who} changed this topic meanwhile; reopen it to see their version").format(
                who=before.updated_by or _("someone")))
        old = {k: getattr(before, k) for k in fields if k != "search_norm"}
        audit.record(actor.login, "topic", topic_id, "update",
                     audit.diff(old, {k: v for k, v in fields.items() if k != "search_norm"}))
        return _info(Topic.get_by_id(topic_id))


def set_topic_active(actor: Actor, topic_id: int, active: bool, expected_version: int) -> TopicInfo:
    """Retire a topic (no longer offered) or bring it back; bookings keep it."""
    require(actor, "scheduling.topics")
    with write_tx():
        before = Topic.get_or_none(Topic.id == topic_id)
        if before is None:
            raise NotFound(_("No topic with id {id}").format(id=topic_id))
        n = (Topic.update(active=active, version=Topic.version + 1, updated_by=actor.login, updated_at=clock.now())
             .where((Topic.id == topic_id) & (Topic.version == expected_version)).execute())
        if n == 0:
            raise Conflict(_("{who} changed this topic meanwhile; reopen it to see their version").format(
                who=before.updated_by or _("someone")))
        audit.record(actor.login, "topic", topic_id, "activate" if active else "retire",
                     {"active": [before.active, active]})
        return _info(Topic.get_by_id(topic_id))


def update_team(actor: Actor, key: str, name: str, guidance: str, expected_version: int) -> TeamInfo:
    require(actor, "scheduling.topics")
    name = clean(name)
    guidance = clean(guidance, multiline=True)
    errors = {}
    if not name:
        errors["name"] = _("The name is required")
    if len(guidance) > 5000:
        errors["guidance"] = _("Too long: at most {n} characters").format(n=5000)
    if errors:
        raise ValidationError(errors)
    with write_tx():
        before = TriageTeam.get_or_none(TriageTeam.key == key)
        if before is None:
            raise NotFound(_("No team '{key}'").format(key=key))
        n = (TriageTeam.update(name=name, guidance=guidance, version=TriageTeam.version + 1,
                               updated_by=actor.login, updated_at=clock.now())
             .where((TriageTeam.key == key) & (TriageTeam.version == expected_version)).execute())
        if n == 0:
            raise Conflict(_("{who} changed this team meanwhile; reopen it to see their version").format(
                who=before.updated_by or _("someone")))
        audit.record(actor.login, "triage_team", key, "update",
                     audit.diff({"name": before.name, "guidance": before.guidance},
                                {"name": name, "guidance": guidance}))
        return _team(TriageTeam.get_by_id(key))


# ---------------------------------------------------------------- equipment


@lru_cache(maxsize=1)
def homologated_equipment() -> tuple[Equipment, ...]:
    """The homologated-equipment list shipped in data/scheduling/."""
    text = (resources.files("data") / "scheduling" / "homologated_equipment.json").read_text(encoding="utf-8")
    return tuple(Equipment(e.get("category", ""), e["manufacturer"], e["model"])
                 for e in json.loads(text)["equipment"])


def equipment_kinds() -> tuple[str, ...]:
    """The categories of the homologated-equipment list, in order."""
    return tuple(dict.fromkeys(e.category for e in homologated_equipment()))


def kind_label(kind: str) -> str:
    """A category of the homologated list as people read it ("balanca" -> "scale")."""
    return _(EQUIPMENT_KINDS[kind]) if kind in EQUIPMENT_KINDS else kind


def wrong_kind(entry: Equipment, topic: TopicInfo) -> str:
    """Why homologated equipment `entry` is not booked for `topic`: it is of another kind."""
    return _("{manufacturer} {model} is homologated as {kind}, and {topic} is about {wanted}: "
             "check the customer's equipment").format(
        manufacturer=entry.manufacturer, model=entry.model, kind=kind_label(entry.category), topic=topic.label,
        wanted=kind_label(topic.equipment_kind) or _("no kind of equipment yet (a supervisor sets it in Topics)"))


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold(clean(text)))


def find_homologated(manufacturer: str, model: str) -> Equipment | None:
    """The list entry matching `manufacturer` and `model` (case, accents,
    spaces and punctuation ignored), or None."""
    m, mo = _squash(manufacturer), _squash(model)
    if not m or not mo:
        return None
    for e in homologated_equipment():
        if _squash(e.manufacturer) == m and _squash(e.model) == mo:
            return e
    return None
