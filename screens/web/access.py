"""A participant's own access page: the event and its times; inside the
window (one hour before the start until the end) an Enter button whose POST
records presence once and sends them to the meeting. A GET never records
presence (mail scanners open every link) and never shows the meeting link."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template

from services.events import checkin

blueprint = Blueprint("access", __name__)


@blueprint.after_request
def private(response):
    response.headers["Cache-Control"] = "no-store"  # a token's page is the participant's only
    return response


@blueprint.get("/acesso/<token>")
def page(token: str):
    return render_template("access.html", view=checkin.access_view(token), token=token)


@blueprint.post("/acesso/<token>")
def enter(token: str):
    from services.events.checkin import AccessRefused

    try:
        result = checkin.access_online(token, who="web")
    except AccessRefused:
        return render_template("access.html", view=checkin.access_view(token), token=token), 409
    return redirect(result.link, code=303)
