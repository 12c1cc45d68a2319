"""Checking a certificate from its code (the address its QR code holds)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from services.core.errors import NotFound
from services.events import certificates

blueprint = Blueprint("certificates", __name__)


@blueprint.get("/certificados/")
def search():
    code = request.args.get("codigo", "").strip()
    if code:
        return redirect(url_for("certificates.verify", code=code[:64]), code=303)
    return render_template("certificate.html", info=None, code="", missing=False)


@blueprint.get("/certificados/<code>")
def verify(code: str):
    try:
        info = certificates.verify(code[:64])
    except NotFound:
        return render_template("certificate.html", info=None, code=code[:64], missing=True), 404
    return render_template("certificate.html", info=info, code=info.code, missing=False)
