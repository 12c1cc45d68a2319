"""Customer lookup: the search the wizard, triage and the desk share.

Conditions work on the folded (lower-case, accent-free) columns, so "joao"
finds "João". Search text is data, never SQL or FTS syntax.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from peewee import fn

from models import AccessPoint, Customer, db, is_sqlite, reading
from models.db import gin_only
from services.core.errors import ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean, digits, doc_chars, fold

FIELDS = {
    "auto": N_("Any field"), "name": N_("Name"), "doc": N_("CPF/CNPJ"), "phone": N_("Phone"), "email": N_("E-mail"),
    "city": N_("City"), "login": N_("Login"), "contract": N_("Contract"),
}
CONDITIONS = {"contains": N_("contains"), "starts": N_("starts with"), "equals": N_("equals")}
KINDS = {"customer": N_("Customer"), "prospect": N_("Prospect"), "access_point": N_("Access point")}
ACCOUNT_STATUSES = {"active": N_("active"), "blocked": N_("blocked"), "suspended": N_("suspended"),
                    "inactive": N_("inactive"), "cancelled": N_("cancelled")}
"""A customer's account status (only an active account has an active plan), as people read it."""
MAX_LIMIT = 500


@dataclass(frozen=True)
class LookupQuery:
    text: str
    field: str = "auto"
    condition: str = "contains"
    limit: int = 50
    kind: str = "customer"


@dataclass(frozen=True)
class CustomerHit:
    id: int
    kind: str
    name: str
    doc: str
    phone: str
    email: str
    city: str
    state: str
    contract: str
    account_status: str


def _check(q: LookupQuery) -> LookupQuery:
    errors = {}
    if q.field not in FIELDS:
        errors["field"] = _("Unknown field '{field}'").format(field=q.field)
    if q.condition not in CONDITIONS:
        errors["condition"] = _("Unknown condition '{condition}'").format(condition=q.condition)
    if q.kind not in KINDS:
        errors["kind"] = _("Unknown kind '{kind}'").format(kind=q.kind)
    if not isinstance(q.limit, int) or not 1 <= q.limit <= MAX_LIMIT:
        errors["limit"] = _("Quantity must be between 1 and {n}").format(n=MAX_LIMIT)
    if errors:
        raise ValidationError(errors)
    return q


_CONTRACT = re.compile(r"[A-Za-z]{1,4}-?\d+")
_LOGIN = re.compile(r"[A-Za-z0-9._:-]*[._:\d][A-Za-z0-9._:-]*")
_PUNCTUATION = re.compile(r"[\s.()/+-]")


def guess_field(text: str) -> str:
    """The field that what was typed belongs to ("Any field"): an e-mail has
    an @; digits that form a valid CPF or CNPJ are a document, other long
    runs of digits a phone; CT-000123 is a contract; a word with a dot, a
    digit or a colon (joao.silva12, a MAC) a login; anything else a name."""
    from validate_docbr import CNPJ, CPF

    text = clean(text)[:200]
    if "@" in text:
        return "email"
    compact = _PUNCTUATION.sub("", text).upper()
    if compact.isdigit():
        if (len(compact) == 11 and CPF().validate(compact)) or (len(compact) == 14 and CNPJ().validate(compact)):
            return "doc"
        return "phone" if len(compact) >= 8 else "doc"
    if len(compact) == 14 and compact.isalnum() and compact[12:].isdigit() and CNPJ().validate(compact):
        return "doc"  # a CNPJ with letters (from July 2026)
    if _CONTRACT.fullmatch(text):
        return "contract"
    if _LOGIN.fullmatch(text) and any(c.isalpha() for c in text):
        return "login"
    return "name"


def effective(q: LookupQuery) -> LookupQuery:
    """The query with "Any field" replaced by the field its text belongs to
    (access points are found by name); a chosen field is kept."""
    if q.field != "auto":
        return q
    return dataclasses.replace(q, field="name" if q.kind == "access_point" else guess_field(q.text))


def _needle(q: LookupQuery) -> str:
    text = clean(q.text)[:200]
    if q.field == "doc":
        return doc_chars(text)  # a CNPJ may hold letters, stored upper-case
    if q.field == "phone":
        return digits(text)
    if q.field == "contract":
        return text.upper()
    return fold(text)


def _match(column, needle: str, condition: str):
    if condition == "equals":
        return column == needle
    if condition == "starts":
        # A range, so the B-tree index is used whatever LIKE's case rules are.
        return (column >= needle) & (column < needle + "\U0010ffff")
    return (fn.instr(column, needle) if is_sqlite() else fn.strpos(column, needle)) > 0


CAP = 500
"""At most this many candidates come from an index before the sort by name:
an unselective search ('silva') costs no more than a rare one."""

CAP_MULTI = 100

_COLUMNS = {"name": "name_norm", "doc": "doc", "phone": "phone_digits", "email": "email",
            "city": "city_norm", "contract": "contract"}
_SELECT = ("SELECT c.id, c.kind, c.name, c.doc, c.phone, c.email, c.city, c.state, c.contract, "
           "c.account_status FROM customer c")
_TOP = "\U0010ffff"


def _phrase(text: str) -> str:
    """An FTS5 string: the text is data, never query syntax."""
    return '"' + text.replace('"', '""') + '"'


def _best(candidates: str, cand_params: list, kind: str, limit: int,
          checks: str = "", check_params: tuple = ()) -> tuple[str, list]:
    """Rows for the first `limit` candidates by name. The candidates are sorted
    in the narrow (id, kind, name_norm) index; only the winners' rows are read."""
    extra = f" AND {checks}" if checks else ""
    return (f"{_SELECT} WHERE c.id IN (SELECT k.id FROM customer k INDEXED BY customer_id_kind_name "
            f"WHERE k.id IN ({candidates}) AND k.kind = ?{extra} ORDER BY k.name_norm LIMIT ?) "
            "ORDER BY c.name_norm", [*cand_params, kind, *check_params, limit])


def build_sql(q: LookupQuery, needle: str, fts: bool | None = None) -> tuple[str, list]:
    """The one SQL statement (and parameters) a lookup runs; `bench/lookup.py` times it bare."""
    if fts is None:
        fts = is_sqlite()  # migration 0301 gives every SQLite database its index
    kind, limit, cond = q.kind, q.limit, q.condition
    if q.field == "login":
        if cond == "equals":
            return _best("SELECT customer_id FROM plan WHERE login = ?", [needle], kind, limit)
        if cond == "starts":
            return _best(f"SELECT customer_id FROM plan WHERE login >= ? AND login < ? LIMIT {CAP}",
                         [needle, needle + _TOP], kind, limit)
        if fts and len(needle) >= 3:
            return _best("SELECT p.customer_id FROM plan p WHERE p.id IN (SELECT rowid FROM plan_search "
                         f"WHERE plan_search MATCH ? LIMIT {CAP})", [_phrase(needle)], kind, limit)
        return _best(f"SELECT customer_id FROM plan WHERE instr(login, ?) > 0 LIMIT {CAP}", [needle], kind, limit)
    col = _COLUMNS[q.field]
    if cond == "equals":
        return f"{_SELECT} WHERE c.{col} = ? AND c.kind = ? ORDER BY c.name_norm LIMIT ?", [needle, kind, limit]
    if cond == "starts":
        if q.field == "name":
            return (f"{_SELECT} WHERE c.kind = ? AND c.name_norm >= ? AND c.name_norm < ? "
                    "ORDER BY c.name_norm LIMIT ?", [kind, needle, needle + _TOP, limit])
        return _best(f"SELECT id FROM customer WHERE {col} >= ? AND {col} < ? LIMIT {CAP}",
                     [needle, needle + _TOP], kind, limit)
    # contains: every word of a name, the whole text of other fields
    words = list(dict.fromkeys(needle.split())) if q.field == "name" else [needle]
    long_words = [w for w in words if len(w) >= 3]
    if fts and long_words:
        # A trigram phrase matches exactly that substring; shorter words are checked on the name.
        from models.search import FTS_TABLES

        table = FTS_TABLES[col]
        match = " AND ".join(_phrase(w) for w in long_words)
        short = [w for w in words if len(w) < 3]
        # An AND of phrases walks every phrase's doclist: fewer candidates keep it quick.
        cap = CAP if len(long_words) == 1 else CAP_MULTI
        return _best(f"SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT {cap}", [match],
                     kind, limit, " AND ".join("instr(k.name_norm, ?) > 0" for _w in short), tuple(short))
    target = "lower(c.email)" if q.field == "email" else f"c.{col}"
    checks = " AND ".join(f"instr({target}, ?) > 0" for _w in words)
    # Only short words: such matches are dense, so walking names in order finds them fast.
    return (f"{_SELECT} WHERE c.kind = ? AND {checks} ORDER BY c.name_norm LIMIT ?", [kind, *words, limit])


def like_escape(text: str) -> str:
    """`text` as data inside a LIKE pattern (backslash is PostgreSQL's escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_BY_NAME = ' ORDER BY c.name_norm COLLATE "C" LIMIT %s'
"""In code-point order, as SQLite sorts (whatever the database's collation)."""


def build_sql_postgresql(q: LookupQuery, needle: str) -> tuple[str, list]:
    """The one SQL statement a lookup runs on PostgreSQL: LIKE on the folded
    columns, served by the trigram (contains) and pattern (starts) indexes of
    models.search_server; every match is a candidate, the first by name win."""
    kind, limit, cond = q.kind, q.limit, q.condition
    select = _SELECT
    if q.field == "login":
        if cond == "equals":
            where, params = "p.login = %s", [needle]
        elif cond == "starts":
            where, params = "p.login LIKE %s", [like_escape(needle) + "%"]
        else:
            where, params = "p.login LIKE %s", ["%" + like_escape(needle) + "%"]
        cap = f" LIMIT {CAP}" if cond != "equals" else ""
        return (f"{select} WHERE c.kind = %s AND c.id IN (SELECT p.customer_id FROM plan p WHERE {where}{cap})"
                + _BY_NAME, [kind, *params, limit])
    col = _COLUMNS[q.field]
    if cond == "equals":
        return f"{select} WHERE c.kind = %s AND c.{col} = %s" + _BY_NAME, [kind, needle, limit]
    if cond == "starts":
        if q.field == "name":  # read in name order from the (kind, name) index
            return (f"{select} WHERE c.kind = %s AND c.name_norm LIKE %s" + _BY_NAME,
                    [kind, like_escape(needle) + "%", limit])
        # As on SQLite: at most CAP candidates from the column's index, the first by name among them.
        return (f"{select} WHERE c.kind = %s AND c.id IN (SELECT k.id FROM customer k WHERE k.{col} LIKE %s "
                f"LIMIT {CAP})" + _BY_NAME, [kind, like_escape(needle) + "%", limit])
    words = list(dict.fromkeys(needle.split())) if q.field == "name" else [needle]
    target = "lower({t}.email)" if q.field == "email" else f"{{t}}.{col}"
    patterns = ["%" + like_escape(w) + "%" for w in words]
    if not trigram_search(q, needle):  # only short words: dense matches, found walking the names in order
        checks = " AND ".join(f"{target.format(t='c')} LIKE %s" for _w in words)
        return f"{select} WHERE c.kind = %s AND {checks}" + _BY_NAME, [kind, *patterns, limit]
    # As on SQLite: at most CAP candidates from the trigram indexes, the first by name among them.
    checks = " AND ".join(f"{target.format(t='k')} LIKE %s" for _w in words)
    cap = CAP if len(words) == 1 else CAP_MULTI
    return (f"{select} WHERE c.id IN (SELECT k.id FROM customer k WHERE k.kind = %s AND {checks} LIMIT {cap})"
            + _BY_NAME, [kind, *patterns, limit])


def trigram_search(q: LookupQuery, needle: str) -> bool:
    """Whether PostgreSQL's lookup takes its candidates from a trigram index
    (a 'contains' with a word of three characters or more): its statement
    runs with the index walks off (`lookup`), so that the planner cannot
    walk every name in order looking for a rare match."""
    if q.condition != "contains":
        return False
    words = needle.split() if q.field == "name" else [needle]
    return any(len(w) >= 3 for w in words)


def lookup(actor: Actor, q: LookupQuery) -> list[CustomerHit]:
    """Up to `q.limit` matches, best first; an empty search returns nothing."""
    require(actor, "customers.read")
    asked = _check(q)
    q = effective(asked)
    hits = _lookup(q)
    if not hits and asked.field == "auto" and q.field == "name" and q.kind != "access_point" and " " not in clean(
            q.text):
        return _lookup(dataclasses.replace(q, field="login"))  # a login without a dot or digit (mconceicao)
    return hits


def _lookup(q: LookupQuery) -> list[CustomerHit]:
    needle = _needle(q)
    if not needle:
        return []
    with reading():
        if q.kind == "access_point":
            return _lookup_access_points(q, needle)
        if is_sqlite():
            sql, params = build_sql(q, needle)
            return [CustomerHit(*row) for row in db.execute_sql(sql, params)]
        return _lookup_postgresql(q, needle)


PROBE = 1000
"""PostgreSQL: the names a 'contains' first reads in order (a common word is
found among them; a trigram index would gather every one of its matches)."""


def probe_sql_postgresql(q: LookupQuery, needle: str) -> tuple[str, list]:
    """The first PROBE names of the kind, in order, filtered: when they hold
    `q.limit` matches, those are the first matches by name of all."""
    words = list(dict.fromkeys(needle.split())) if q.field == "name" else [needle]
    target = "lower(c.email)" if q.field == "email" else f"c.{_COLUMNS[q.field]}"
    checks = " AND ".join(f"{target} LIKE %s" for _w in words)
    source = f'(SELECT * FROM customer WHERE kind = %s ORDER BY name_norm COLLATE "C" LIMIT {PROBE}) c'
    return (_SELECT.replace("FROM customer c", f"FROM {source}") + f" WHERE {checks}" + _BY_NAME,
            [q.kind, *("%" + like_escape(w) + "%" for w in words), q.limit])


def _lookup_postgresql(q: LookupQuery, needle: str) -> list[CustomerHit]:
    sql, params = build_sql_postgresql(q, needle)
    if not trigram_search(q, needle):
        return [CustomerHit(*row) for row in db.execute_sql(sql, params)]
    if q.field != "login":
        rows = db.execute_sql(*probe_sql_postgresql(q, needle)).fetchall()
        if len(rows) >= q.limit:
            return [CustomerHit(*row) for row in rows]
    with gin_only():
        return [CustomerHit(*row) for row in db.execute_sql(sql, params)]


def _lookup_access_points(q: LookupQuery, needle: str) -> list[CustomerHit]:
    column = AccessPoint.city if q.field == "city" else AccessPoint.name_norm
    query = (AccessPoint.select().where(_match(fn.lower(column) if q.field == "city" else column, needle, q.condition))
             .order_by(AccessPoint.name_norm).limit(q.limit))
    return [CustomerHit(a.id, "access_point", a.name, "", "", "", a.city, a.state, "",
                        "active" if a.active else "inactive")
            for a in query]


def customer_hit(c: Customer) -> CustomerHit:
    return CustomerHit(c.id, c.kind, c.name, c.doc, c.phone, c.email, c.city, c.state, c.contract, c.account_status)


def lookup_on_kept_connection(actor: Actor, q: LookupQuery) -> list[CustomerHit]:
    """`lookup` on a connection this thread keeps open between calls.

    For the one long-lived thread the search-as-you-type widget uses: opening a
    connection (pragmas, schema) costs more than the search itself."""
    db.connect(reuse_if_open=True)
    return lookup(actor, q)


def rebuild_search_index() -> None:
    """Refill the customer search index from the tables: call it after a bulk
    insert (the demo fill) made with the triggers paused, or to repair it.
    Runs in the caller's transaction if there is one."""
    from models import write_tx
    from models.search import rebuild

    with write_tx():
        rebuild()


def format_doc(doc: str) -> str:
    """123.456.789-09, 12.345.678/0001-90 or, with letters, 12.ABC.345/01DE-35."""
    if len(doc) == 11:
        return f"{doc[:3]}.{doc[3:6]}.{doc[6:9]}-{doc[9:]}"
    if len(doc) == 14:
        return f"{doc[:2]}.{doc[2:5]}.{doc[5:8]}/{doc[8:12]}-{doc[12:]}"
    return doc
