"""Attendance certificates: PDF (A4 landscape), verification code, QR code.

`issue_certificate(CertificateData)` is generic: the events feature builds a
CertificateData from a registration (`services.events.issuing`); anything else
with a person, a CPF and a workload can too. Issuing twice for the same `key`
keeps the same code.

Speed: fpdf2 parses a TrueType font on every `add_font` and subsets it on
output (~100 ms a certificate). Here the font is parsed once per process and
pre-subset once to the scripts names use (Latin; or Latin, Greek and
Cyrillic); each certificate gets a light copy of the smallest parsed font that
covers its text. Text with a character outside those uses the whole font
(slower, still right).

The QR code is made with `segno` (pure Python, no imaging library): its module
matrix is drawn as vector rectangles straight into the PDF, so there is no
PNG to encode and decode per certificate.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import os
import secrets as pysecrets
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from models import reading, write_tx
from models.mail import Certificate
from services.core import clock, paths, validation
from services.core.errors import NotFound, ValidationError
from services.core.i18n import _, language_for, ngettext
from services.core.text import clean, digits
from services.mail import outbox, templates
from services.store import database

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
MAX_NAME = 300


@dataclass(frozen=True)
class CertificateData:
    participant_name: str
    cpf: str
    event_title: str
    workload_hours: float
    start: dt.date | dt.datetime
    end: dt.date | dt.datetime
    key: str
    """What this certificate is for, e.g. "registration:42": one code per key."""
    email: str = ""
    language: str = "pt_BR"
    organization: str = ""
    signer: str = ""
    verify_url: str = ""
    """e.g. "https://example.com/verify?code={code}": the QR code holds it (else the code)."""
    about: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class CertificateInfo:
    code: str
    participant_name: str
    cpf_masked: str
    event_title: str
    workload_hours: float
    start: dt.datetime
    end: dt.datetime
    issued_at: dt.datetime
    path: str


def mask_cpf(cpf: str) -> str:
    """12345678909 -> ***.456.789-** (the middle six digits, as Brazilian forms show)."""
    d = digits(cpf or "")
    if len(d) != 11:
        return ""
    return f"***.{d[3:6]}.{d[6:9]}-**"


def new_code() -> str:
    raw = "".join(pysecrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(code: str) -> str:
    raw = "".join(c for c in (code or "").upper() if c.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else raw


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.min)


def validate(data: CertificateData) -> CertificateData:
    """Clean and check the data; ValidationError names every problem."""
    errors = {}
    name = clean(data.participant_name)
    if not name:
        errors["participant_name"] = _("Name is required")
    elif len(name) > MAX_NAME:
        errors["participant_name"] = _("Too long: at most {n} characters").format(n=MAX_NAME)
    try:
        cpf = validation.cpf(data.cpf, "cpf")
    except ValidationError as exc:
        errors.update(exc.errors)
        cpf = ""
    title = clean(data.event_title)
    if not title:
        errors["event_title"] = _("The event needs a title")
    try:
        hours = float(data.workload_hours)
        if hours < 0 or hours > 10_000:
            raise ValueError
    except (TypeError, ValueError):
        errors["workload_hours"] = _("The workload must be a number of hours")
        hours = 0.0
    if _as_datetime(data.end) < _as_datetime(data.start):
        errors["end"] = _("The end is before the start")
    if not clean(data.key):
        errors["key"] = "key is required"
    if errors:
        raise ValidationError(errors)
    return CertificateData(**{**data.__dict__, "participant_name": name, "cpf": cpf, "event_title": title,
                              "workload_hours": hours})


# ---------------------------------------------------------------- the PDF


def texts(language: str, hours: float) -> dict[str, str]:
    """The certificate's words in `language` (gettext), the workload's unit
    agreeing with its number ("1 hora", "2 horas", "1,5 horas")."""
    n = int(hours) if float(hours).is_integer() else 2  # a fraction takes the plural in both languages
    with language_for(language):
        return {
            "title": _("CERTIFICATE"), "intro": _("This certifies that"),
            "body": ngettext("attended «{event}», held {dates}, with a workload of {hours} hour.",
                             "attended «{event}», held {dates}, with a workload of {hours} hours.", n),
            "workload": ngettext("{hours} hour", "{hours} hours", n).format(hours=_hours(hours)),
            "one_day": _("on {d}"), "range": _("from {d1} to {d2}"), "code": _("Verification code"),
            "issued": _("Issued on {date}"), "cpf": "CPF",
        }


def _hours(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def _dates(data: CertificateData, t: dict) -> str:
    d1, d2 = _as_datetime(data.start).date(), _as_datetime(data.end).date()
    fmt = "%d/%m/%Y"
    if d1 == d2:
        return t["one_day"].format(d=d1.strftime(fmt))
    return t["range"].format(d1=d1.strftime(fmt), d2=d2.strftime(fmt))


def _font_path(bold: bool) -> str:
    return str(resources.files("data") / "fonts" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"))


_PUNCTUATION = list(range(0x2000, 0x2070)) + [0x20AC, 0x2122]
LATIN = frozenset(list(range(0x20, 0x7F)) + list(range(0xA0, 0x180)) + _PUNCTUATION)
"""The smallest pre-subset font: Portuguese, Spanish and most European Latin names."""
REPERTOIRE = frozenset(
    LATIN | set(range(0x180, 0x250)) | set(range(0x370, 0x530)) | set(range(0x1E00, 0x1F00))
)
"""The wider pre-subset font: every Latin extension, Greek, Cyrillic."""
TIERS = ("latin", "wide", "full")


class _FontTemplate:
    """One parsed font; `attach(pdf)` gives a document its own light copy."""

    def __init__(self, path: str, fontkey: str, style: str, repertoire: frozenset[int] | None):
        from fontTools import subset as ftsubset
        from fontTools import ttLib
        from fpdf import FPDF
        from fpdf.fonts import TTFFont

        if repertoire is not None:
            tt = ttLib.TTFont(path, recalcTimestamp=False)
            options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, name_IDs=["*"],
                                       layout_features=[], hinting=False)
            options.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM", "hdmx", "MATH", "kern"]
            subsetter = ftsubset.Subsetter(options)
            subsetter.populate(unicodes=sorted(repertoire))
            subsetter.subset(tt)
            buf = io.BytesIO()
            tt.save(buf)
            self.data = buf.getvalue()
        else:
            self.data = Path(path).read_bytes()
        self.fontkey = fontkey
        self._ttlib = ttLib
        source = io.BytesIO(self.data)
        self.font = TTFFont(FPDF(), source, fontkey, style)
        self.font.ttffile = path  # only used for HarfBuzz shaping, which certificates do not use
        self.chars = frozenset(self.font.cmap)

    def attach(self, pdf) -> None:
        from fpdf.fonts import SubsetMap

        font = copy.copy(self.font)
        font.i = len(pdf.fonts) + 1
        # fpdf2 subsets the font object in place when writing: each document gets its own.
        font.ttfont = self._ttlib.TTFont(io.BytesIO(self.data), recalcTimestamp=False, lazy=True)
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        pdf.fonts[self.fontkey] = font


class CertificateRenderer:
    """Renders certificate PDFs; parse the fonts once, render many."""

    FAMILY = "dejavu"

    def __init__(self):
        import logging

        # fpdf2 warns on stderr for a glyph the font lacks (e.g. CJK in DejaVu); the
        # certificate still renders, and a warning there would only garble a terminal.
        logging.getLogger("fpdf").setLevel(logging.ERROR)
        self._lock = threading.Lock()
        self._fonts: dict[str, tuple[_FontTemplate, _FontTemplate]] = {}

    def _templates(self, tier: str) -> tuple[_FontTemplate, _FontTemplate]:
        with self._lock:
            if tier not in self._fonts:
                rep = {"latin": LATIN, "wide": REPERTOIRE, "full": None}[tier]
                self._fonts[tier] = (_FontTemplate(_font_path(False), self.FAMILY, "", rep),
                                     _FontTemplate(_font_path(True), self.FAMILY + "B", "B", rep))
            return self._fonts[tier]

    def new_pdf(self, text: str, naive: bool = False):
        from fpdf import FPDF

        pdf = FPDF(orientation="L", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_compression(True)
        if naive:
            pdf.add_font(self.FAMILY, "", _font_path(False))
            pdf.add_font(self.FAMILY, "B", _font_path(True))
            return pdf
        used = set(map(ord, text))
        tier = "latin" if used <= LATIN else "wide" if used <= REPERTOIRE else "full"
        regular, bold = self._templates(tier)
        if tier != "full" and not used <= regular.chars:
            regular, bold = self._templates("full")
        regular.attach(pdf)
        bold.attach(pdf)
        return pdf

    def render(self, data: CertificateData, code: str, issued_at: dt.datetime, *, naive: bool = False) -> bytes:
        t = texts(data.language, data.workload_hours)
        body = t["body"].format(event=data.event_title, dates=_dates(data, t), hours=_hours(data.workload_hours))
        cpf = mask_cpf(data.cpf)
        issued = t["issued"].format(date=issued_at.strftime("%d/%m/%Y"))
        every = "".join((t["title"], t["intro"], data.participant_name, body, cpf, t["code"], code, issued,
                         data.organization, data.signer))
        pdf = self.new_pdf(every, naive=naive)
        pdf.set_title(f"{t['title']} - {data.event_title}")
        pdf.set_creator("Atende")
        pdf.add_page()
        _layout(pdf, self.FAMILY, t, data, cpf, body, code, issued)
        return bytes(pdf.output())


def _layout(pdf, family: str, t: dict, data: CertificateData, cpf: str, body: str, code: str, issued: str) -> None:
    w, h = pdf.w, pdf.h
    pdf.set_draw_color(40, 70, 120)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, w - 16, h - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, w - 22, h - 22)
    pdf.set_text_color(40, 70, 120)
    pdf.set_font(family, "B", 34)
    pdf.set_xy(20, 24)
    pdf.cell(w - 40, 16, t["title"], align="C")
    pdf.set_text_color(30, 30, 30)
    # The middle block (intro, name, CPF, what they attended) is centred in the band between the
    # title and the signatures, whatever the name's and the title's lengths.
    from fpdf.enums import MethodReturnValue

    size = 28  # the name: as large as fits on one line, else wrapped (a 300-character name still fits)
    pdf.set_font(family, "B", size)
    while size > 14 and pdf.get_string_width(data.participant_name) > w - 50:
        size -= 1
        pdf.set_font(family, "B", size)
    name_h = pdf.multi_cell(w - 50, size * 0.45, data.participant_name, align="C", dry_run=True,
                            output=MethodReturnValue.HEIGHT)
    pdf.set_font(family, "", 15)
    body_h = pdf.multi_cell(w - 60, 8, body, align="C", dry_run=True, output=MethodReturnValue.HEIGHT)
    band_top, band_bottom = 46, h - 56
    total = 9 + 3 + name_h + 3 + 7 + 5 + body_h
    y = band_top + max(0.0, (band_bottom - band_top - total) / 2)
    pdf.set_xy(25, y)
    pdf.cell(w - 50, 9, t["intro"], align="C")
    pdf.set_font(family, "B", size)
    pdf.set_xy(25, y + 12)
    pdf.multi_cell(w - 50, size * 0.45, data.participant_name, align="C")
    y = pdf.get_y() + 3
    pdf.set_font(family, "", 12)
    pdf.set_xy(25, y)
    pdf.cell(w - 50, 7, f"{t['cpf']} {cpf}", align="C")
    pdf.set_font(family, "", 15)
    pdf.set_xy(30, y + 12)
    pdf.multi_cell(w - 60, 8, body, align="C")
    # Bottom: issuer on the left, QR code and verification code on the right.
    pdf.set_font(family, "", 11)
    pdf.set_xy(25, h - 52)
    pdf.set_draw_color(80, 80, 80)
    pdf.line(25, h - 40, 120, h - 40)
    pdf.set_xy(25, h - 38)
    pdf.cell(95, 6, data.signer or data.organization, align="C")
    pdf.set_xy(25, h - 32)
    pdf.cell(95, 6, data.organization if data.signer else "", align="C")
    pdf.set_xy(25, h - 24)
    pdf.cell(95, 6, issued, align="C")
    qr_size = 32
    qx, qy = w - 25 - qr_size, h - 30 - qr_size
    content = data.verify_url.replace("{code}", code) if data.verify_url else code
    _draw_qr(pdf, content, qx, qy, qr_size)
    pdf.set_font(family, "", 9)
    pdf.set_xy(qx - 40, qy + qr_size + 1)
    pdf.cell(qr_size + 40, 5, t["code"], align="R")
    pdf.set_font(family, "B", 11)
    pdf.set_xy(qx - 40, qy + qr_size + 6)
    pdf.cell(qr_size + 40, 6, code, align="R")


def _draw_qr(pdf, content: str, x: float, y: float, size: float) -> None:
    import segno

    qr = segno.make(content, error="m", micro=False)
    rows = [list(r) for r in qr.matrix]
    n = len(rows)
    module = size / n
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < n:
            if row[c] & 1:
                start = c
                while c < n and row[c] & 1:
                    c += 1
                pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")
            else:
                c += 1


_renderer: CertificateRenderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> CertificateRenderer:
    """The process's renderer (fonts parsed on first use, then kept)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = CertificateRenderer()
        return _renderer


# ---------------------------------------------------------------- issuing and verifying


def certificates_dir() -> Path:
    return database.files_root() / "certificates"


def _info(row: Certificate) -> CertificateInfo:
    return CertificateInfo(row.code, row.participant_name, row.cpf_masked, row.event_title,
                           row.workload_hours, row.start_date, row.end_date, row.issued_at, row.path)


def issue_certificate(data: CertificateData, *, issued_by: str = "worker", folder: Path | None = None) -> Path:
    """Issue (or re-issue, same code) the certificate for `data.key`; return the PDF's path.

    Raises ValidationError (e.g. an invalid CPF) before writing anything.
    """
    data = validate(data)
    folder = folder or certificates_dir()
    now = clock.now()
    with write_tx():
        row = Certificate.get_or_none(Certificate.key == data.key)
        if row is None:
            code = new_code()
            while Certificate.select().where(Certificate.code == code).exists():
                code = new_code()
            path = folder / f"{code}.pdf"
            row = Certificate.create(
                code=code, key=data.key, participant_name=data.participant_name,
                cpf_masked=mask_cpf(data.cpf), event_title=data.event_title,
                workload_hours=data.workload_hours, start_date=_as_datetime(data.start),
                end_date=_as_datetime(data.end), issued_at=now, issued_by=issued_by[:64],
                path=str(path), about_entity=str(data.about[0])[:40], about_id=str(data.about[1])[:64])
        else:
            path = Path(row.path) if row.path else folder / f"{row.code}.pdf"
            Certificate.update(participant_name=data.participant_name, cpf_masked=mask_cpf(data.cpf),
                               event_title=data.event_title, workload_hours=data.workload_hours,
                               start_date=_as_datetime(data.start), end_date=_as_datetime(data.end),
                               path=str(path)).where(Certificate.id == row.id).execute()
        code, issued_at = row.code, row.issued_at
    pdf = renderer().render(data, code, issued_at)
    paths.private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(pdf)
    paths.private_file(tmp)
    os.replace(tmp, path)
    if path.is_relative_to(database.files_root()):  # for the hosts that share no folder with this one
        from services.store import blobs

        blobs.keep(path)
    return path


def verify(code: str) -> CertificateInfo:
    """What a verification code proves, or NotFound."""
    normalized = normalize_code(code)
    with reading():
        row = Certificate.get_or_none(Certificate.code == normalized)
    if row is None:
        raise NotFound(_("No certificate with code {code}").format(code=clean(code) or "-"))
    return _info(row)


def issued_for(key: str) -> CertificateInfo | None:
    with reading():
        row = Certificate.get_or_none(Certificate.key == key)
    return _info(row) if row else None


def mail_certificate(data: CertificateData, path: Path, *, to: str | None = None,
                     company_name: str = "", created_by: str = "worker") -> int:
    """Queue the certificate e-mail (PDF attached), once per certificate key.

    Call inside the caller's transaction, like outbox.queue."""
    info = issued_for(data.key)
    code = info.code if info else path.stem
    t = texts(data.language, float(data.workload_hours))
    rendered = templates.render("certificate", {
        "participant_name": data.participant_name, "event_title": data.event_title,
        "event_dates": _dates(data, t), "workload_hours": _hours(float(data.workload_hours)), "workload": t["workload"],
        "verification_code": code, "verify_hint": data.verify_url.replace("{code}", code) if data.verify_url else "",
        "company_name": company_name or data.organization,
    }, language=data.language)
    address = to or outbox.recipient(data.participant_name, data.email)
    return outbox.queue(to=[address] if address else [], subject=rendered.subject, text=rendered.text,
                        html=rendered.html, attachments=[path], about=data.about, kind="certificate",
                        key=f"certificate:{data.key}", created_by=created_by)
