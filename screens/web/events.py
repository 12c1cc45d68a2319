"""The public events: the list of those open for registration, and each one's page."""
from __future__ import annotations

from flask import Blueprint, render_template

from services.events import public

blueprint = Blueprint("events", __name__)


@blueprint.get("/")
@blueprint.get("/eventos/")
def index():
    return render_template("events.html", events=public.open_events())


@blueprint.get("/eventos/<event_ref>")
def event(event_ref: str):
    return render_template("event.html", event=public.public_event(event_ref))
