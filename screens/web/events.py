"""The public events: the list of those open for registration, each one's
page, and registering on it (consent, honeypot, limits per address and e-mail)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from screens.web.limits import Limiter
from services.core.errors import ValidationError
from services.core.i18n import _
from services.events import public
from services.events.registrations import RegistrationInput

blueprint = Blueprint("events", __name__)
FIELDS = ("name", "email", "phone", "company", "cpf")
BY_ADDRESS = Limiter(20, 600)
BY_EMAIL = Limiter(5, 3600)


@blueprint.get("/")
@blueprint.get("/eventos/")
def index():
    return render_template("events.html", events=public.open_events())


@blueprint.get("/eventos/<event_ref>")
def event(event_ref: str):
    return _form(public.public_event(event_ref))


def _form(event, values: dict | None = None, errors: dict | None = None, status: int = 200):
    return render_template("event.html", event=event, values=values or {}, errors=errors or {},
                           consent_text=_(public.CONSENT_TEXT)), status


@blueprint.post("/eventos/<event_ref>")
def register(event_ref: str):
    event = public.public_event(event_ref)
    values = {k: request.form.get(k, "")[:2000] for k in FIELDS}
    if request.form.get("website"):  # a field people never see: a robot filled it
        return _form(event, values, {"": _("This form could not be sent; try again")}, 400)
    address = request.remote_addr or ""
    if not BY_ADDRESS.allow(address) or not BY_EMAIL.allow(values["email"].strip().lower() or address):
        return _form(event, values, {"": _("Too many registrations from here; wait a few minutes and try again")},
                     429)
    data = RegistrationInput(**values, consent=request.form.get("consent") == "yes")
    try:
        done = public.register(event_ref, data, address=address)
    except ValidationError as exc:
        return _form(event, values, exc.errors, 422)
    session["registered"] = {"event": done.event_id, "name": done.name, "email": done.email,
                             "waitlisted": done.waitlisted, "position": done.position}
    return redirect(url_for("events.registered", event_ref=done.event_id), code=303)


@blueprint.get("/eventos/<event_ref>/inscricao")
def registered(event_ref: str):
    done = session.get("registered")
    event = public.public_event(event_ref)
    if not done or str(done.get("event")) != str(event.id):
        return redirect(url_for("events.event", event_ref=event.id), code=303)
    return render_template("registered.html", event=event, done=done)
