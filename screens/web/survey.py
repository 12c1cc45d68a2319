"""The satisfaction survey a resolved ticket's contact gets by e-mail:
/avaliacao/<token> shows the question (a GET records nothing), the form
records the rating once."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from services.core.errors import Conflict, ValidationError
from services.tickets import surveys

blueprint = Blueprint("survey", __name__)


@blueprint.get("/avaliacao/<token>")
def ask(token: str):
    survey = surveys.find(token[:128])
    return render_template("survey.html", survey=survey, token=token[:128], values={}, errors={})


@blueprint.post("/avaliacao/<token>")
def answer(token: str):
    token = token[:128]
    values = {"rating": request.form.get("rating", "")[:4], "comment": request.form.get("comment", "")[:20_000]}
    try:
        survey = surveys.answer(token, values["rating"], values["comment"])
    except ValidationError as exc:
        return render_template("survey.html", survey=surveys.find(token), token=token, values=values,
                               errors=exc.errors), 400
    except Conflict as exc:
        return render_template("survey.html", survey=surveys.find(token), token=token, values={},
                               errors={}, message=exc.message), 409
    return render_template("survey.html", survey=survey, token=token, values={}, errors={}, thanks=True)
