"""`atende import customers FILE.csv`: customers with what the scheduling
triage needs (account status, onboarding, franchise group).

Rows are matched on CPF/CNPJ: a known document updates that customer, a new
one adds a customer. Every row is validated; rejected rows are reported with
their line number and why, and the valid ones are saved in one transaction.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from models import Customer, write_tx
from services.core import clock, validation
from services.core import files as intake
from services.core.errors import AtendeError, ValidationError
from services.core.i18n import _
from services.core.permissions import Actor, require
from services.core.text import clean, digits, fold
from services.store import audit

COLUMNS = ("name", "doc", "email", "phone", "city", "state", "address", "contract",
           "account_status", "onboarding", "franchise_group")
REQUIRED = ("name", "doc")
ALIASES = {
    "nome": "name", "razao_social": "name", "cliente": "name",
    "cpf_cnpj": "doc", "cpf/cnpj": "doc", "cpf": "doc", "cnpj": "doc", "documento": "doc", "document": "doc",
    "e-mail": "email", "telefone": "phone", "celular": "phone", "cidade": "city", "uf": "state",
    "estado": "state", "endereco": "address", "contrato": "contract", "status": "account_status",
    "status_conta": "account_status", "situacao": "account_status", "conta": "account_status",
    "franquia": "franchise_group", "grupo_franquia": "franchise_group", "franchise": "franchise_group",
}
STATUS_WORDS = {"active": "active", "ativo": "active", "ativa": "active", "": "active",
                "blocked": "blocked", "bloqueado": "blocked", "bloqueada": "blocked",
                "suspended": "suspended", "suspenso": "suspended", "suspensa": "suspended",
                "inactive": "inactive", "inativo": "inactive", "inativa": "inactive",
                "cancelled": "cancelled", "canceled": "cancelled", "cancelado": "cancelled", "cancelada": "cancelled"}
BOOL_WORDS = {"1": True, "yes": True, "y": True, "true": True, "sim": True, "s": True, "x": True,
              "0": False, "no": False, "n": False, "false": False, "nao": False, "": False}
MAX_ROWS = 1_000_000
MAX_BYTES = 100 * 1024 * 1024


class ImportFileError(AtendeError):
    """The file as a whole cannot be read (encoding, columns, empty)."""


@dataclass(frozen=True)
class Rejected:
    line: int
    errors: dict[str, str]

    def text(self) -> str:
        return "; ".join(f"{k}: {v}" if k else v for k, v in self.errors.items())


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int
    rejected: tuple[Rejected, ...] = field(default=())
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "dry_run": self.dry_run,
                "rejected": [{"line": r.line, "errors": r.errors} for r in self.rejected]}


def _header_key(name: str) -> str:
    key = fold(clean(name)).replace(" ", "_")
    return ALIASES.get(key, key)


def _decode(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode("utf-8-sig" if encoding.lower().replace("-", "") in ("utf8", "utf8sig") else encoding)
    except LookupError:
        raise ImportFileError(_("Unknown encoding '{encoding}'").format(encoding=encoding)) from None
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportFileError(_(
            "The file is not valid {encoding} text (line {line}). Save it as 'CSV UTF-8', or, if it came "
            "from an older Excel, try --encoding cp1252").format(encoding=encoding, line=line)) from None


def read_rows(path: Path, encoding: str = "utf-8") -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The file's columns (our names) and its rows with their line numbers."""
    try:  # a regular file, at most MAX_BYTES read (a device or a pipe is refused, never waited on)
        raw = intake.read_bytes(path, "file", MAX_BYTES)
    except ValidationError as exc:
        raise ImportFileError(_("Cannot read the CSV: {reason}").format(reason=exc.message)) from None
    if b"\x00" in raw[:4096]:
        raise ImportFileError(_("{path} is not a CSV text file (is it a spreadsheet? export it as CSV)").format(
            path=path))
    text = _decode(raw, encoding)
    if not text.strip():
        raise ImportFileError(_("{path} is empty").format(path=path))
    first = text.splitlines()[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ImportFileError(_("Cannot read the CSV: {reason}").format(reason=exc)) from None
    columns = [_header_key(h) for h in header]
    unknown = [h for h, c in zip(header, columns) if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1 and c in COLUMNS})
    if unknown or missing or duplicated:
        parts = []
        if unknown:
            parts.append(_("unknown columns: {names}").format(names=", ".join(unknown)))
        if missing:
            parts.append(_("missing columns: {names}").format(names=", ".join(missing)))
        if duplicated:
            parts.append(_("repeated columns: {names}").format(names=", ".join(duplicated)))
        raise ImportFileError(_("Wrong columns ({problems}). The columns are: {columns}").format(
            problems="; ".join(parts), columns=", ".join(COLUMNS)))
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            line = reader.line_num
            if len(values) != len(columns):
                rows.append((line, {"__width__": str(len(values))}))
                continue
            rows.append((line, dict(zip(columns, values))))
            if len(rows) > MAX_ROWS:
                raise ImportFileError(_("Too many rows: at most {n} a file").format(n=MAX_ROWS))
    except csv.Error as exc:
        raise ImportFileError(_("Cannot read the CSV at line {line}: {reason}").format(
            line=reader.line_num, reason=exc)) from None
    return columns, rows


def _row_fields(values: dict[str, str], n_columns: int) -> dict:
    if "__width__" in values:
        raise ValidationError(_("{n} values, but the header has {m} columns").format(
            n=values["__width__"], m=n_columns))
    errors: dict[str, str] = {}
    out: dict = {}

    def take(key, fn, *args, **kw):
        try:
            out[key] = fn(*args, **kw)
        except ValidationError as exc:
            errors.update(exc.errors)

    take("name", validation.name, values.get("name", ""), "name")
    take("doc", validation.cpf_or_cnpj, values.get("doc", ""), "doc")
    if "email" in values:
        take("email", validation.email, values["email"], "email", required=False)
    if "phone" in values:
        take("phone", validation.phone, values["phone"], "phone", required=False)
    for key, limit in (("city", 120), ("address", 255), ("contract", 32), ("franchise_group", 120)):
        if key in values:
            text = clean(values[key])
            if len(text) > limit:
                errors[key] = _("Too long: at most {n} characters").format(n=limit)
            out[key] = text
    if "state" in values:
        state = clean(values["state"]).upper()
        if state and (len(state) != 2 or not state.isalpha()):
            errors["state"] = _("A state is two letters, e.g. SP")
        out["state"] = state
    if "account_status" in values:
        status = STATUS_WORDS.get(fold(clean(values["account_status"])))
        if status is None:
            errors["account_status"] = _(
                "Account status is active, blocked, suspended, inactive or cancelled, not '{value}'").format(
                value=clean(values["account_status"]))
        out["account_status"] = status
    if "onboarding" in values:
        flag = BOOL_WORDS.get(fold(clean(values["onboarding"])))
        if flag is None:
            errors["onboarding"] = _("Onboarding is yes or no, not '{value}'").format(
                value=clean(values["onboarding"]))
        out["onboarding"] = flag
    if errors:
        raise ValidationError(errors)
    doc, kind = out.pop("doc")
    out["doc"], out["doc_kind"] = doc, kind
    return out


def import_customers(actor: Actor, path: Path, encoding: str = "utf-8", dry_run: bool = False) -> ImportReport:
    """Validate every row, save the good ones (one transaction), report the rest."""
    require(actor, "customers.import")
    columns, rows = read_rows(path, encoding)
    good: list[tuple[int, dict]] = []
    rejected: list[Rejected] = []
    seen: dict[str, int] = {}
    for line, values in rows:
        try:
            fields = _row_fields(values, len(columns))
        except ValidationError as exc:
            rejected.append(Rejected(line, exc.errors))
            continue
        if fields["doc"] in seen:
            rejected.append(Rejected(line, {"doc": _("Same CPF/CNPJ as line {line}").format(
                line=seen[fields["doc"]])}))
            continue
        seen[fields["doc"]] = line
        good.append((line, fields))
    counts = [0, 0]
    try:
        with write_tx():
            counts = _save(actor, path, good, len(rejected))
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    return ImportReport(counts[0], counts[1], tuple(rejected), dry_run)


class _DryRun(Exception):
    """Rolls the import's transaction back after counting."""


def _save(actor: Actor, path: Path, good: list[tuple[int, dict]], n_rejected: int) -> list[int]:
    """Add or update each good row (inside the caller's transaction); [added, updated]."""
    now = clock.now()
    added = updated = 0
    existing = {}
    docs = [f["doc"] for _l, f in good]
    for i in range(0, len(docs), 500):
        for c in Customer.select(Customer.id, Customer.doc).where(Customer.doc.in_(docs[i:i + 500])):
            existing[c.doc] = c.id
    for _line, f in good:
        extra = {"name_norm": fold(f["name"])}
        if "city" in f:
            extra["city_norm"] = fold(f["city"])
        if "phone" in f:
            extra["phone_digits"] = digits(f["phone"])
        if f["doc"] in existing:
            Customer.update(**f, **extra).where(Customer.id == existing[f["doc"]]).execute()
            updated += 1
        else:
            Customer.create(kind="customer", created_at=now, **f, **extra)
            added += 1
    audit.record(actor.login, "customer", "*", "import",
                 {"file": str(path), "added": added, "updated": updated, "rejected": n_rejected})
    return [added, updated]
