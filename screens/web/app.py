"""The Flask application: language per request, security headers, a CSRF
token on every form, one-line error pages (never a traceback), and the
store opened once per process."""
from __future__ import annotations

import secrets

from flask import Flask, abort, g, render_template, request, session

from services.core.errors import AtendeError, NotFound
from services.core.i18n import _, language_for

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'{targets}; frame-ancestors 'none'; base-uri 'none'")
CSRF_FIELD = "csrf_token"


def create_app(target: str, *, language: str = "", secret_key: bytes | None = None) -> Flask:
    """The web application over the store `target` (a path or a URL), opened here.
    Its cookies are sent over HTTPS only when the store's web.base_url is https."""
    from services.store import settings
    from services.store.database import open_store

    open_store(target, create=False)
    secure_cookies = settings.get_url("web.base_url").startswith("https://")
    if secret_key is None:
        from services.core.secrets import web_session_key

        secret_key = web_session_key().encode("utf-8")
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=secret_key, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure_cookies,
        MAX_CONTENT_LENGTH=12 * 1024 * 1024, ATENDE_LANGUAGE=language,
        MAX_FORM_MEMORY_SIZE=8 * 1024 * 1024)  # a 1 MB paste, even percent-encoded, gets its message at the field
    app.jinja_env.globals.update(_=_, csrf_token=csrf_token, CSRF_FIELD=CSRF_FIELD)
    app.jinja_env.filters["when"] = lambda value: value.strftime("%d/%m/%Y %H:%M") if value else ""
    app.jinja_env.filters["day"] = lambda value: value.strftime("%d/%m/%Y") if value else ""

    @app.before_request
    def choose_language():
        wanted = request.accept_languages.best_match(["pt-BR", "pt", "en"]) or app.config["ATENDE_LANGUAGE"] or "pt_BR"
        g.language_scope = language_for(wanted)
        g.language = g.language_scope.__enter__()

    @app.before_request
    def check_form_token():
        expected = session.get(CSRF_FIELD)
        if request.method == "POST" and (not expected or request.form.get(CSRF_FIELD) != expected):
            abort(400, description=_("This form expired or came from another site; open the page again"))

    @app.teardown_request
    def leave_language(_exc):
        scope = g.pop("language_scope", None)
        if scope is not None:
            scope.__exit__(None, None, None)

    @app.after_request
    def secure(response):
        targets = "".join(" " + t for t in g.get("form_targets", ()))  # a form whose answer leads elsewhere
        response.headers["Content-Security-Policy"] = CSP.format(targets=targets)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return render_template("error.html", message=exc.message), 404

    @app.errorhandler(AtendeError)
    def refused(exc: AtendeError):
        return render_template("error.html", message=exc.message), 400

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(413)
    def client_error(exc):
        messages = {404: _("This page does not exist"), 405: _("This page does not take that request"),
                    413: _("What was sent is too large")}
        message = messages.get(exc.code) or exc.description or _("This request could not be understood")
        return render_template("error.html", message=message), exc.code

    @app.errorhandler(Exception)
    def internal(exc: Exception):
        from services.core.logs import internal_error
        from services.store.database import explain

        message = explain(exc) or internal_error(exc, f"web {request.method} {request.path}")
        return render_template("error.html", message=" ".join(str(message).split())), 500

    from screens.web import access, certificates, company, events, survey

    app.register_blueprint(events.blueprint)
    app.register_blueprint(certificates.blueprint)
    app.register_blueprint(access.blueprint)
    app.register_blueprint(company.blueprint)
    app.register_blueprint(survey.blueprint)
    return app


def csrf_token() -> str:
    """This visitor's form token (kept in the signed session cookie)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]
