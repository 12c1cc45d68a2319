"""A participant's own access page: the event and its times; inside the
window (one hour before the start until the end) an Enter button whose POST
records presence once and sends them to the meeting. A GET never records
presence (mail scanners open every link) and never shows the meeting link."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from services.core.errors import ValidationError
from services.events import checkin, public

blueprint = Blueprint("access", __name__)


@blueprint.after_request
def private(response):
    response.headers["Cache-Control"] = "no-store"  # a token's page is the participant's only
    return response


@blueprint.get("/acesso/<token>")
def page(token: str):
    return _page(token)


def _page(token: str, cpf: str = "", errors: dict | None = None, status: int = 200):
    view = checkin.access_view(token)
    if view.meeting_origin:  # the Enter button's answer leads there
        g.form_targets = [view.meeting_origin]
    return render_template("access.html", view=view, token=token,
                           cpf_wanted=public.cpf_wanted(token), cpf=cpf, errors=errors or {},
                           cpf_saved=request.args.get("cpf") == "ok"), status


@blueprint.post("/acesso/<token>/cpf")
def cpf(token: str):
    typed = request.form.get("cpf", "")[:40]
    try:
        public.set_own_cpf(token, typed)
    except ValidationError as exc:
        return _page(token, typed, exc.errors, 422)
    return redirect(url_for("access.page", token=token, cpf="ok"), code=303)


@blueprint.post("/acesso/<token>")
def enter(token: str):
    from services.events.checkin import AccessRefused

    try:
        result = checkin.access_online(token, who="web")
    except AccessRefused:
        return _page(token, status=409)
    return redirect(result.link, code=303)
