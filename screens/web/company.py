"""Contact us for company representatives (/empresa/): signing in (a password
set by an administrator or through an invitation link), the company's
contacts (all, open, finished), a new contact with a file, and a contact's
thread with its public replies. Who sees what is decided by
services.contactus; these views only carry it."""
from __future__ import annotations

import functools
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from screens.web.limits import Limiter
from services.contactus import accounts, catalogue, company_contacts
from services.contactus.company_contacts import MAX_ATTACHMENT, NewContact
from services.core.errors import ValidationError
from services.core.i18n import _

blueprint = Blueprint("company", __name__, url_prefix="/empresa")
SIGN_IN_BY_ADDRESS = Limiter(30, 600)
SESSION_KEY = "representative"
CONTACT_FIELDS = ("contact_name", "phone", "email", "message")
MAX_FIELD = 400_000


@blueprint.after_request
def private(response):
    response.headers["Cache-Control"] = "no-store"  # a company's contacts, or a token's page
    return response


def signed_in(view):
    """The view runs for a representative whose session is still good (their
    Actor in g.actor); anyone else goes to the sign-in page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        kept = session.get(SESSION_KEY) or {}
        actor = None
        if isinstance(kept, dict) and kept.get("login") and kept.get("stamp"):
            actor = accounts.session_actor(accounts.WebSession(str(kept["login"]), str(kept["stamp"])))
        if actor is None:
            session.pop(SESSION_KEY, None)
            return redirect(url_for("company.sign_in"), code=303)
        g.actor = actor
        return view(*args, **kwargs)

    return wrapper


def _start_session(done: accounts.WebSession) -> None:
    session.clear()  # a new form token too: nothing from before signing in is carried over
    session[SESSION_KEY] = {"login": done.login, "stamp": done.stamp}


@blueprint.route("/entrar", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        return render_template("company_sign_in.html", login="", error="")
    login = request.form.get("login", "")[:200]
    password = request.form.get("password", "")[:accounts.PASSWORD_MAX + 1]
    if not SIGN_IN_BY_ADDRESS.allow(request.remote_addr or ""):
        return render_template("company_sign_in.html", login=login,
                               error=_("Too many tries from here; wait a few minutes")), 429
    try:
        done = accounts.sign_in(login, password)
    except accounts.SignInRefused as exc:
        return render_template("company_sign_in.html", login=login, error=exc.message), 401
    _start_session(done)
    return redirect(url_for("company.index"), code=303)


@blueprint.post("/sair")
def sign_out():
    session.clear()
    return redirect(url_for("company.sign_in"), code=303)


@blueprint.route("/convite/<token>", methods=["GET", "POST"])
def invitation(token: str):
    view = accounts.invite_view(token)
    if request.method == "GET":
        return render_template("company_invite.html", view=view, errors={})
    try:
        done = accounts.accept_invite(token, request.form.get("password", "")[:accounts.PASSWORD_MAX + 1],
                                      request.form.get("confirm", "")[:accounts.PASSWORD_MAX + 1])
    except ValidationError as exc:
        return render_template("company_invite.html", view=view, errors=exc.errors), 422
    _start_session(done)
    return redirect(url_for("company.index"), code=303)


@blueprint.get("/")
@signed_in
def index():
    view = request.args.get("ver", "all")
    if view not in company_contacts.VIEWS:
        abort(404)
    return render_template("company_contacts.html", rows=company_contacts.contacts(g.actor, view), view=view,
                           views=[(k, _(v)) for k, v in company_contacts.VIEWS.items()])


def _choices() -> dict:
    mode = catalogue.mode()
    subs = catalogue.subclassifications(g.actor) if mode == catalogue.CENTRAL else []
    return {"mode": mode, "mode_label": catalogue.mode_label(mode), "central": mode == catalogue.CENTRAL,
            "classifications": catalogue.classifications(g.actor), "subclassifications": subs,
            "forms": catalogue.forms(g.actor) if mode == catalogue.CRM else []}


def _number(name: str) -> int | None:
    text = request.form.get(name, "")
    return int(text) if text.isdigit() and len(text) < 12 else None


@blueprint.route("/novo", methods=["GET", "POST"])
@signed_in
def new_contact():
    if request.method == "GET":
        return render_template("company_new.html", values={"submission": _once()}, errors={}, **_choices())
    values = {k: request.form.get(k, "")[:MAX_FIELD] for k in CONTACT_FIELDS}
    values["submission"] = request.form.get("submission", "")[:64] or _once()
    for name in ("classification", "subclassification", "form"):
        values[name] = request.form.get(name, "")[:12]
    with _upload("attachment") as (path, errors):
        if not errors:
            try:
                row = company_contacts.open_contact(g.actor, NewContact(
                    classification_id=_number("classification"), subclassification_id=_number("subclassification"),
                    form_id=_number("form"), attachment=path, **{k: values[k] for k in CONTACT_FIELDS}),
                    submission=values["submission"])  # the same form sent twice opens one contact
            except ValidationError as exc:
                errors = _without_folder(exc.errors, path)
    if errors:
        return render_template("company_new.html", values=values, errors=errors, **_choices()), 422
    session["flash"] = _("Contact {protocol} sent; our answers appear on this page.").format(protocol=row.protocol)
    return redirect(url_for("company.contact", ticket_id=row.ticket_id), code=303)


@blueprint.route("/contatos/<int:ticket_id>", methods=["GET", "POST"])
@signed_in
def contact(ticket_id: int):
    if request.method == "GET":
        return _thread(ticket_id)
    body = request.form.get("body", "")[:MAX_FIELD]
    once = request.form.get("submission", "")[:64] or _once()
    with _upload("attachment") as (path, errors):
        if not errors:
            try:
                company_contacts.add_message(g.actor, ticket_id, body, attachment=path, submission=once)
            except ValidationError as exc:
                errors = _without_folder(exc.errors, path)
    if errors:
        return _thread(ticket_id, body, errors, 422, once)
    session["flash"] = _("Message sent.")
    return redirect(url_for("company.contact", ticket_id=ticket_id), code=303)


def _thread(ticket_id: int, body: str = "", errors: dict | None = None, status: int = 200, once: str = ""):
    detail = company_contacts.detail(g.actor, ticket_id)
    return render_template("company_thread.html", c=detail, body=body, errors=errors or {}, once=once or _once(),
                           flash=session.pop("flash", "")), status


def _once() -> str:
    """A new form's one-time key (a second copy of the same form changes nothing)."""
    return secrets.token_urlsafe(16)


@contextmanager
def _upload(field: str) -> Iterator[tuple[str, dict]]:
    """The uploaded file `field` saved under its own (safe) name in a private
    temporary folder for the service to check and copy: (its path or "", and
    the errors so far). The folder goes when the block ends."""
    from services.core.files import safe_name

    upload = request.files.get(field)
    if upload is None or not upload.filename:
        yield "", {}
        return
    with tempfile.TemporaryDirectory(prefix="atende-web-") as folder:
        path = Path(folder) / safe_name(upload.filename)
        upload.save(path)
        size = path.stat().st_size
        if size > MAX_ATTACHMENT:
            yield "", {field: _("{name} has {size:,} bytes; at most {limit:,}").format(
                name=path.name, size=size, limit=MAX_ATTACHMENT)}
        else:
            yield str(path), {}


def _without_folder(errors: dict, path: str) -> dict:
    """The service names the file by its path: say only its name."""
    if not path:
        return errors
    folder = str(Path(path).parent) + "/"
    return {k: str(v).replace(folder, "") for k, v in errors.items()}
