"""Scheduling: the triage topic catalogue, implementation analysts, the
monthly rota, bookings and their confirmation e-mails."""
from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .core import Customer, Ticket, User


class TriageTeam(BaseModel):
    """A team requests are routed to (GR, franchise), with its guidance."""

    key = CharField(max_length=40, primary_key=True)
    name = CharField(max_length=120)
    guidance = TextField(default="")
    version = IntegerField(default=1)
    updated_by = CharField(max_length=64, default="")
    updated_at = DateTimeField(null=True)


class Topic(BaseModel):
    """A subject a customer asks for: booked with implementation or handled by support."""

    id = AutoField()
    key = CharField(max_length=60, unique=True)
    label = CharField(max_length=200)
    search_norm = TextField(default="")
    """Folded label, key and keywords, for the topic search."""
    keywords = TextField(default="[]")  # JSON list
    needs_booking = BooleanField(default=False)
    is_training = BooleanField(default=False)
    webinar_link = CharField(max_length=500, default="")
    involves_equipment = BooleanField(default=False)
    equipment_kind = CharField(max_length=40, default="")
    """The category of the homologated-equipment list a booked topic's equipment is in (balanca, etiqueta...)."""
    guidance = TextField(default="")
    preconditions = TextField(default="[]")  # JSON list of texts
    needs_attachment = BooleanField(default=False)
    """Booked on the customer's ticket only once a file is attached to it (loyalty: the answer of the people
    responsible)."""
    active = BooleanField(default=True)
    position = IntegerField(default=0)
    version = IntegerField(default=1)
    updated_by = CharField(max_length=64, default="")
    updated_at = DateTimeField(null=True)


class ImplementationAnalyst(BaseModel):
    """A person of the implementation team who may be on the rota, with working hours.

    `hours` lists working periods, e.g. "09:00-12:00 13:30-18:00"; sessions
    start on a 1h30 grid from the start of each period. `weekdays` holds
    Python weekday numbers (0 = Monday).
    """

    id = AutoField()
    user = ForeignKeyField(User, unique=True, lazy_load=False)
    hours = CharField(max_length=120, default="09:00-12:00 13:30-18:00")
    weekdays = CharField(max_length=20, default="0,1,2,3,4")
    active = BooleanField(default=True)
    version = IntegerField(default=1)
    updated_by = CharField(max_length=64, default="")
    updated_at = DateTimeField(null=True)


class RotaMonth(BaseModel):
    """Which analyst receives the bookings made in a month ("YYYY-MM")."""

    month = CharField(max_length=7, primary_key=True)
    analyst = ForeignKeyField(ImplementationAnalyst, lazy_load=False)
    version = IntegerField(default=1)
    updated_by = CharField(max_length=64, default="")
    updated_at = DateTimeField(null=True)


BOOKING_STATUSES = ("booked", "held", "no_show")


class Booking(BaseModel):
    """A 1h30 session with an implementation analyst, linked to a ticket."""

    id = AutoField()
    analyst = ForeignKeyField(ImplementationAnalyst, lazy_load=False)
    start = DateTimeField()
    end = DateTimeField()
    customer = ForeignKeyField(Customer, lazy_load=False)
    topic = ForeignKeyField(Topic, lazy_load=False)
    ticket = ForeignKeyField(Ticket, lazy_load=False)
    needs = TextField()
    contact_name = CharField(max_length=200)
    contact_phone = CharField(max_length=32)
    contact_email = CharField(max_length=254, default="")
    equipment_manufacturer = CharField(max_length=120, default="")
    equipment_model = CharField(max_length=120, default="")
    equipment_homologated = BooleanField(null=True)
    preconditions_done = TextField(default="[]")  # JSON list of the texts ticked
    webinar_offered = BooleanField(default=False)
    status = CharField(max_length=12, default="booked", index=True)
    outcome_note = TextField(default="")
    outcome_at = DateTimeField(null=True)
    outcome_by = CharField(max_length=64, default="")
    created_by = CharField(max_length=64)
    created_at = DateTimeField()
    updated_by = CharField(max_length=64, default="")
    updated_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        # One session per analyst per start: two agents racing for the same
        # slot cannot both win, whatever happens above this line.
        indexes = ((("analyst", "start"), True),)


class BookingEmail(BaseModel):
    """The confirmation e-mail of a booking, with its ICS invitation, waiting
    for the outbox."""

    id = AutoField()
    booking = ForeignKeyField(Booking, backref="emails", lazy_load=False)
    to_addr = CharField(max_length=254)
    subject = CharField(max_length=255)
    body = TextField()
    ics = TextField()
    status = CharField(max_length=12, default="queued")
    created_at = DateTimeField()


SCHEDULING_MODELS = [TriageTeam, Topic, ImplementationAnalyst, RotaMonth, Booking, BookingEmail]


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def topic_search_text(key: str, label: str, keywords: list[str]) -> str:
    """What the topic search matches against: folded label, key and keywords."""
    return _fold(" ".join([label, key.replace("_", " "), *keywords]))


def shipped_catalogue() -> dict:
    """The catalogue shipped in data/scheduling/topics.json."""
    import json
    from importlib import resources

    text = (resources.files("data") / "scheduling" / "topics.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_topic_catalogue(catalogue: dict | None = None) -> int:
    """Insert the shipped topics and teams (keys already present are kept as
    they are, so a supervisor's edits survive). Returns the topics added."""
    import json

    data = catalogue or shipped_catalogue()
    for team in data.get("teams", []):
        if TriageTeam.get_or_none(TriageTeam.key == team["key"]) is None:
            TriageTeam.create(key=team["key"], name=team["name"], guidance=team.get("guidance", ""))
    added = 0
    for position, t in enumerate(data.get("topics", []), start=1):
        if Topic.select().where(Topic.key == t["key"]).exists():
            continue
        keywords = list(t.get("keywords", []))
        Topic.create(
            key=t["key"], label=t["label"], keywords=json.dumps(keywords, ensure_ascii=False),
            search_norm=topic_search_text(t["key"], t["label"], keywords),
            needs_booking=bool(t.get("needs_booking")), is_training=bool(t.get("is_training")),
            webinar_link=t.get("webinar_link", ""), involves_equipment=bool(t.get("involves_equipment")),
            equipment_kind=t.get("equipment_kind", ""), guidance=t.get("guidance", ""),
            preconditions=json.dumps(list(t.get("preconditions", [])), ensure_ascii=False),
            needs_attachment=bool(t.get("needs_attachment")), position=position * 10,
        )
        added += 1
    return added
