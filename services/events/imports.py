"""Importing registrations from a CSV file, with a report of the rows
rejected and why. Valid rows are written in one transaction: a failure
leaves nothing half-imported."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from models import write_tx
from models.events import Registration
from services.core import clock
from services.core import files as intake
from services.core.errors import ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import fold
from services.events.access import require_change, require_change_row
from services.events.queries import event_row
from services.events.registrations import (
    RegistrationInput,
    check_open,
    insert_registration,
    open_secondaries,
    replicate,
    seats_taken,
    validate_input,
)
from services.store import audit

MAX_IMPORT_ROWS = 5_000
MAX_IMPORT_BYTES = 10 * 1024 * 1024
COLUMNS = ("name", "email", "phone", "cpf", "company", "consent")
REQUIRED_COLUMNS = ("name", "email", "consent")
ALIASES = {
    "name": "name", "nome": "name", "participante": "name", "nome completo": "name",
    "email": "email", "e-mail": "email", "e_mail": "email", "mail": "email",
    "phone": "phone", "telefone": "phone", "celular": "phone", "fone": "phone", "whatsapp": "phone",
    "cpf": "cpf",
    "company": "company", "empresa": "company", "organizacao": "company",
    "consent": "consent", "consentimento": "consent", "aceite": "consent", "lgpd": "consent",
    "concorda": "consent",
}
YES = {"yes", "y", "sim", "s", "x", "1", "true", "verdadeiro", "aceito", "ok", "concordo"}


@dataclass(frozen=True)
class RejectedRow:
    line: int
    """The row's line in the file (the header is line 1)."""
    reason: str


@dataclass(frozen=True)
class ImportReport:
    rows: int
    added: int
    waitlisted: int
    rejected: tuple[RejectedRow, ...]
    encoding: str


def _decode(raw: bytes) -> tuple[str, str]:
    if b"\x00" in raw[:4096]:
        raise ValidationError(_("This is not a CSV text file (it has binary content)"), "file")
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # What spreadsheets on Windows save as "CSV" in Brazil.
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        raise ValidationError(
            _("The file's characters cannot be read (not UTF-8 or Windows-1252): save it again as \"CSV UTF-8\""),
            "file") from None


def _header_map(header: list[str]) -> list[str | None]:
    mapped: list[str | None] = []
    unknown, seen = [], set()
    for col in header:
        key = ALIASES.get(fold(col.strip().strip('"')).replace("  ", " "))
        if key is None:
            if col.strip():
                unknown.append(col.strip())
            mapped.append(None)
        else:
            if key in seen:
                raise ValidationError(_("Column {column} appears twice").format(column=col.strip()), "file")
            seen.add(key)
            mapped.append(key)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(_("missing columns: {columns}").format(columns=", ".join(missing)))
        if unknown:
            parts.append(_("unknown columns: {columns}").format(columns=", ".join(unknown[:10])))
        raise ValidationError(_("Wrong columns ({problems}). The first line must name the columns: {expected}").format(
            problems="; ".join(parts), expected=",".join(COLUMNS)), "file")
    return mapped


def read_rows(raw: bytes) -> tuple[list[tuple[int, dict[str, str] | str]], str]:
    """[(line, fields or the reason the row is unreadable)], encoding."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationError(_("The file is too large ({mb:.1f} MB); at most {max} MB per import").format(
            mb=len(raw) / 1024 / 1024, max=MAX_IMPORT_BYTES // 1024 // 1024), "file")
    text, encoding = _decode(raw)
    if not text.strip():
        raise ValidationError(_("The file is empty"), "file")
    first = text.splitlines()[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ValidationError(_("The first line cannot be read as CSV: {error}").format(error=exc), "file") from None
    columns = _header_map(header)
    rows: list[tuple[int, dict[str, str] | str]] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                total = len(rows) + 1 + sum(1 for v in reader if any(x.strip() for x in v))
                raise ValidationError(_("The file has {rows:,} rows; at most {max:,} per import: split it").format(
                    rows=total, max=MAX_IMPORT_ROWS), "file")
            if len(values) != len(header):
                rows.append((line, _("{n} fields where the header has {m}").format(n=len(values), m=len(header))))
                continue
            rows.append((line, {k: v for k, v in zip(columns, values) if k}))
    except csv.Error as exc:
        raise ValidationError(_("Line {line} cannot be read as CSV: {error}").format(
            line=reader.line_num, error=exc), "file") from None
    return rows, encoding


def import_csv(actor: Actor, event_id: int, source: str | Path | bytes) -> ImportReport:
    """Register every valid row of a CSV file; report the others."""
    require(actor, "registrations.manage")
    require_change(actor, event_id)  # its responsible, or a supervisor/admin: before the file is read
    if isinstance(source, bytes):
        raw = source
    else:
        # a regular file, at most MAX_IMPORT_BYTES read (a device or a pipe is refused, never waited on)
        raw = intake.read_bytes(source, "file", MAX_IMPORT_BYTES)
    rows, encoding = read_rows(raw)
    rejected: list[RejectedRow] = []
    valid: list[tuple[int, dict[str, str]]] = []
    first_line: dict[str, int] = {}
    for line, fields in rows:
        if isinstance(fields, str):
            rejected.append(RejectedRow(line, fields))
            continue
        consent = fold(fields.get("consent", "").strip()) in YES
        try:
            clean_fields = validate_input(RegistrationInput(
                name=fields.get("name", ""), email=fields.get("email", ""), phone=fields.get("phone", ""),
                cpf=fields.get("cpf", ""), company=fields.get("company", ""), consent=consent))
        except ValidationError as exc:
            rejected.append(RejectedRow(line, "; ".join(exc.errors.values())))
            continue
        email = clean_fields["email"]
        if email in first_line:
            rejected.append(RejectedRow(line, _("same e-mail as line {line}").format(line=first_line[email])))
            continue
        first_line[email] = line
        valid.append((line, clean_fields))
    added = waitlisted = 0
    with write_tx():
        event = event_row(event_id)
        require_change_row(actor, event)
        check_open(event)
        existing = {r.email: r.code for r in Registration.select(Registration.email, Registration.code).where(
            (Registration.event == event.id) & Registration.cancelled_at.is_null())}
        now = clock.now()
        taken = seats_taken(event.id)
        secondaries = open_secondaries(event) if event.main_id is None else []
        for line, fields in valid:
            if fields["email"] in existing:
                rejected.append(RejectedRow(line, _("{email} is already registered in this event (code {code})").format(
                    email=fields["email"], code=existing[fields["email"]])))
                continue
            reg = insert_registration(actor.login, event, fields, "import", now, actor.login, taken=taken)
            taken += 0 if reg.waitlisted else 1
            if secondaries:
                replicate(actor.login, reg, event, secondaries)
            added += 1
            waitlisted += int(reg.waitlisted)
        audit.record(actor.login, "event", event.id, "import", {
            "rows": len(rows), "added": added, "waitlisted": waitlisted, "rejected": len(rejected)})
    rejected.sort(key=lambda r: r.line)
    return ImportReport(len(rows), added, waitlisted, tuple(rejected), encoding)
