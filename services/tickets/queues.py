"""The ticket desk's queues: views, a typed filter, sorting, keyset paging,
full-text search and counts computed only when asked.

A page is read with one SQL statement ordered by (sort column, id) and
continued from the last row seen (`Page.next_cursor`), so page 500 costs what
page 1 costs. Counts are a separate call (`count`) the screen makes lazily.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from models import Customer, Queue, Ticket, TicketType, User, reading
from models.db import execute, gin_only, is_postgresql
from models.desk import has_doc_search
from models.desk_server import CONFIG as DOC_CONFIG
from services.core import clock
from services.core import rows as rows_mod
from services.core.errors import ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, require
from services.core.text import clean, fold
from services.tickets import sla
from services.tickets.protocol import OPEN_STATUSES, STATUSES

FINISHED_STATUSES = ("resolved", "finished", "abandoned")
LISTED_STATUSES = tuple(s for s in STATUSES if s != "draft")

VIEWS = {
    "all": N_("All"),
    "open": N_("Open tickets"),
    "finished": N_("Finished"),
    "mine": N_("My tickets"),
    "waiting": N_("Waiting on customer"),
}
"""Fixed views; `queue:<id>` and `type:<id>` name the per-queue and per-type views."""

SORTS = {
    "protocol": "t.protocol",
    "customer": "COALESCE(c.name_norm, '')",
    "type": "COALESCE(tt.name, '')",
    "status": "t.status",
    "responsible": "COALESCE(u.name, '')",
    "age": "t.created_at",
    "updated": "t.updated_at",
    "due": "COALESCE(t.sla_due_at, '9999-12-31 23:59:59')",  # the nearest deadline; none: last
}
SORT_LABELS = {
    "protocol": N_("protocol"), "customer": N_("customer"), "type": N_("type"),
    "status": N_("status"), "responsible": N_("responsible"), "age": N_("age"),
    "updated": N_("last update"), "due": N_("time left"),
}

FILTER_FIELDS = ("status", "type", "queue", "agent", "customer", "protocol", "text", "age", "opener", "created")
FIELD_ALIASES = {"responsible": "agent", "tipo": "type", "fila": "queue", "cliente": "customer",
                 "protocolo": "protocol", "texto": "text", "responsavel": "agent", "idade": "age",
                 "aberto_por": "opener", "criado": "created"}

_AGE = re.compile(r"^(?:([<>])(\d+)([hd])|(\d+)([hd])-(\d+)([hd]))$")

PAGE_SIZE = 50
MAX_PAGE = 500


@dataclass(frozen=True)
class Condition:
    field: str
    value: str


@dataclass(frozen=True)
class Filter:
    conditions: tuple = ()
    words: tuple = ()

    @property
    def empty(self) -> bool:
        return not self.conditions and not self.words


@dataclass(frozen=True)
class QueueRow:
    id: int
    protocol: str
    customer: str
    type: str
    status: str
    status_label: str
    responsible: str
    queue: str
    created_at: dt.datetime
    updated_at: dt.datetime
    age: str
    updated: str
    damaged: tuple[str, ...] = ()
    """Fields whose stored value could not be read (the row is shown marked)."""
    level: sla.Level = sla.NO_LEVEL
    """The service level: business time left to the nearest deadline, breaches."""


@dataclass(frozen=True)
class Page:
    rows: tuple
    next_cursor: tuple | None
    view: str
    sort: str
    descending: bool
    jump_to: str | None = None
    """A protocol typed in the search box: the screen opens that ticket."""


@dataclass(frozen=True)
class ViewChoice:
    key: str
    label: str


@dataclass
class _Sql:
    where: list = field(default_factory=list)
    params: list = field(default_factory=list)
    joins_needed: set = field(default_factory=set)

    def add(self, clause: str, *params) -> None:
        self.where.append(clause)
        self.params.extend(params)


# -- the filter language -------------------------------------------------

_TOKEN = re.compile(r'\s*(?:([^\s:"]+):)?("(?:[^"]*)"|"[^"]*$|\S+)')


def parse_filter(text: str) -> Filter:
    """Parse `status:open type:"Sem conexão" agent:ana modem` into conditions
    and free words. Unknown fields and unclosed quotes raise ValidationError."""
    text = clean(text)
    conditions: list[Condition] = []
    words: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        name, value = m.group(1), m.group(2)
        if value.startswith('"'):
            if len(value) == 1 or not value.endswith('"'):
                raise ValidationError({"filter": _("A quote is not closed: {text}").format(text=value)})
            value = value[1:-1].strip()
        elif '"' in value:
            raise ValidationError({"filter": _("A quote is not closed: {text}").format(text=value)})
        if name is None:
            if value:
                words.append(value)
            continue
        key = FIELD_ALIASES.get(fold(name), fold(name))
        if key not in FILTER_FIELDS:
            raise ValidationError({"filter": _(
                "Unknown field \"{field}\"; use one of: {fields}").format(
                    field=name, fields=", ".join(FILTER_FIELDS))})
        if not value:
            raise ValidationError({"filter": _("The field \"{field}\" needs a value").format(field=name)})
        if key == "status":
            value = _status_key(value)
        elif key == "age":
            _age_bounds(value)
        elif key == "created":
            _created_day(value)
        if key == "text":
            words.append(value)
        else:
            conditions.append(Condition(key, value))
    return Filter(tuple(conditions), tuple(words))


def _status_key(value: str) -> str:
    wanted = fold(value).replace(" ", "_")
    for key in LISTED_STATUSES:
        if wanted in (key, fold(_(STATUSES[key])).replace(" ", "_"), fold(STATUSES[key]).replace(" ", "_")):
            return key
    raise ValidationError({"filter": _("Unknown status \"{value}\"; use one of: {values}").format(
        value=value, values=", ".join(LISTED_STATUSES))})


def _span(n: str, unit: str) -> dt.timedelta:
    return dt.timedelta(hours=int(n)) if unit == "h" else dt.timedelta(days=int(n))


def _age_bounds(value: str) -> tuple[dt.timedelta | None, dt.timedelta | None]:
    """`<1h`, `>7d` or `1d-3d`: (at least this old, younger than this)."""
    m = _AGE.match(fold(value).replace(" ", ""))
    if m is None:
        raise ValidationError({"filter": _(
            "Unknown age \"{value}\"; write <1h, >7d or 1d-3d (h hours, d days)").format(value=value)})
    if m.group(1) == "<":
        return None, _span(m.group(2), m.group(3))
    if m.group(1) == ">":
        return _span(m.group(2), m.group(3)), None
    return _span(m.group(4), m.group(5)), _span(m.group(6), m.group(7))


def _created_day(value: str) -> dt.date:
    """`today`, `yesterday` (or hoje, ontem) or a date YYYY-MM-DD."""
    word = fold(value)
    today = clock.today()
    if word in ("today", "hoje"):
        return today
    if word in ("yesterday", "ontem"):
        return today - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"filter": _(
            "Unknown day \"{value}\"; write today, yesterday or a date like 2026-03-09").format(
                value=value)}) from None


# -- views ---------------------------------------------------------------

def views(actor: Actor) -> list[ViewChoice]:
    """Every view the switcher offers: the fixed ones, then one per queue and per type."""
    require(actor, "tickets.read")
    out = [ViewChoice(k, _(v)) for k, v in VIEWS.items()]
    with reading():
        for q in Queue.select(Queue.id, Queue.name).where(Queue.active == True).order_by(Queue.name):  # noqa: E712
            out.append(ViewChoice(f"queue:{q.id}", _("Queue: {name}").format(name=q.name)))
        for t in (TicketType.select(TicketType.id, TicketType.name)
                  .where(TicketType.active == True).order_by(TicketType.name)):  # noqa: E712
            out.append(ViewChoice(f"type:{t.id}", _("Type: {name}").format(name=t.name)))
    return out


def _view_sql(actor: Actor, view: str, sql: _Sql) -> None:
    if view == "all":
        sql.add("t.status != 'draft'")
    elif view == "open":
        sql.add(f"t.status IN ({','.join('?' * len(OPEN_STATUSES))})", *OPEN_STATUSES)
    elif view == "finished":
        sql.add(f"t.status IN ({','.join('?' * len(FINISHED_STATUSES))})", *FINISHED_STATUSES)
    elif view == "waiting":
        sql.add("t.status = 'waiting_customer'")
    elif view == "mine":
        sql.add("t.responsible_id = ?", _actor_id(actor))
        sql.add("t.status != 'draft'")
    elif view.startswith(("queue:", "type:")):
        from services.core.validation import record_id

        kind, _sep, raw = view.partition(":")
        number = record_id(raw) if raw.isdigit() else None  # never beyond what the store holds
        if number is None:
            raise ValidationError({"view": _("Unknown view {view}").format(view=view)})
        sql.add(f"t.{kind}_id = ?", number)
        sql.add("t.status != 'draft'")
    else:
        raise ValidationError({"view": _("Unknown view {view}").format(view=view)})


def _actor_id(actor: Actor) -> int:
    if actor.id is not None:
        return actor.id
    user = User.get_or_none(User.login == actor.login)
    return user.id if user else -1


def _ids_by_name(model, value: str) -> list[int]:
    wanted = fold(value)
    rows = list(model.select(model.id, model.name))
    exact = [r.id for r in rows if fold(r.name) == wanted]
    return exact or [r.id for r in rows if wanted in fold(r.name)]


def _filter_sql(flt: Filter, sql: _Sql) -> None:
    by_field: dict[str, list[str]] = {}
    for cond in flt.conditions:
        by_field.setdefault(cond.field, []).append(cond.value)
    for name, values in by_field.items():
        # Several values of one field are alternatives; different fields all apply.
        clauses, params = [], []
        for value in values:
            if name == "status":
                clauses.append("t.status = ?")
                params.append(value)
            elif name in ("type", "queue"):
                ids = _ids_by_name(TicketType if name == "type" else Queue, value) or [-1]
                clauses.append(f"t.{name}_id IN ({','.join('?' * len(ids))})")
                params.extend(ids)
            elif name == "agent":
                wanted = fold(value)
                ids = [u.id for u in User.select(User.id, User.login, User.name)
                       if fold(u.login) == wanted or wanted in fold(u.name)] or [-1]
                clauses.append(f"t.responsible_id IN ({','.join('?' * len(ids))})")
                params.extend(ids)
            elif name == "customer":
                clauses.append("t.customer_id IN (SELECT id FROM customer WHERE name_norm LIKE ? ESCAPE '\\')")
                params.append("%" + _like(fold(value)) + "%")
            elif name == "protocol":
                clauses.append("t.protocol LIKE ? ESCAPE '\\'")
                params.append(_like(value) + "%")
            elif name == "age":
                older, younger = _age_bounds(value)
                now = clock.now()
                parts = []
                if older is not None:
                    parts.append("t.created_at <= ?")
                    params.append(str(now - older))
                if younger is not None:
                    parts.append("t.created_at > ?")
                    params.append(str(now - younger))
                clauses.append("(" + " AND ".join(parts) + ")")
            elif name == "opener":
                wanted = fold(value)
                ids = [u.id for u in User.select(User.id, User.login, User.name)
                       if fold(u.login) == wanted or wanted in fold(u.name)] or [-1]
                clauses.append(f"t.created_by_id IN ({','.join('?' * len(ids))})")
                params.extend(ids)
            elif name == "created":
                day = _created_day(value)
                clauses.append("(t.created_at >= ? AND t.created_at < ?)")
                params.extend([str(dt.datetime.combine(day, dt.time.min)),
                               str(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))])
        sql.add("(" + " OR ".join(clauses) + ")", *params)
    if flt.words:
        if has_doc_search():
            sql.add("t.id IN (SELECT rowid FROM ticket_doc_fts WHERE ticket_doc_fts MATCH ?)", fts_query(flt.words))
        elif is_postgresql():
            sql.add(f"t.id IN (SELECT ticket_id FROM ticket_doc WHERE doc @@ to_tsquery('{DOC_CONFIG}', ?))",
                    tsquery_text(flt.words))
        else:  # no full-text index (another database): every word in one of the text columns
            for word in flt.words:
                sql.add("(" + " OR ".join(f"t.{c} LIKE ? ESCAPE '\\'" for c in
                                          ("subject", "problem", "checks", "solution", "script_report"))
                        + ")", *(["%" + _like(word) + "%"] * 5))


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fts_query(words) -> str:
    """Each word as a quoted FTS5 string (prefix match on the last one): no
    user text is ever read as FTS5 syntax."""
    parts = []
    for word in words:
        for piece in word.split():
            piece = piece.replace('"', '""')
            if piece:
                parts.append(f'"{piece}"')
    if not parts:
        return '""'
    parts[-1] += "*"
    return " ".join(parts)


RARE = 1000
"""PostgreSQL: a search matching at most this many tickets is read from its
matches (the GIN index); more, and newest first through the documents (a
common word fills a page among the newest ones). The planner cannot tell
them apart (a rare word is estimated like any other)."""


def rare_matches(words) -> list[int] | None:
    """The ids of the tickets matching `words` when there are at most RARE,
    else None (PostgreSQL; read through the GIN index only)."""
    with gin_only():
        ids = [r[0] for r in execute(f"SELECT ticket_id FROM ticket_doc WHERE doc @@ to_tsquery('{DOC_CONFIG}', ?) "
                                     f"LIMIT {RARE + 1}", (tsquery_text(words),)).fetchall()]
    return ids if len(ids) <= RARE else None


def tsquery_text(words) -> str:
    """The words typed, for PostgreSQL's to_tsquery: each folded and split
    into words, quoted as a lexeme (never read as tsquery syntax), all
    required, the last also as a prefix, as fts_query does for SQLite."""
    lexemes = [w for word in words for w in re.findall(r"[^\W_]+", fold(word))]  # letters and digits, as indexed
    if not lexemes:
        return "''"
    quoted = ["'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in lexemes]
    quoted[-1] += ":*"
    return " & ".join(quoted)


# -- reading pages -------------------------------------------------------

_FROM = (f'FROM "{Ticket._meta.table_name}" t '
         f'LEFT JOIN "{Customer._meta.table_name}" c ON c.id = t.customer_id '
         f'LEFT JOIN "{TicketType._meta.table_name}" tt ON tt.id = t.type_id '
         f'LEFT JOIN "{User._meta.table_name}" u ON u.id = t.responsible_id '
         f'LEFT JOIN "{Queue._meta.table_name}" q ON q.id = t.queue_id')


def parse_dt(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    text = str(value or "")
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return dt.datetime.min


def age_text(since: dt.datetime, now: dt.datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return _("{n} min").format(n=seconds // 60)
    if seconds < 86400:
        return _("{n} h").format(n=seconds // 3600)
    return _("{n} d").format(n=seconds // 86400)


def _base_sql(actor: Actor, view: str, filter_text: str | Filter) -> _Sql:
    flt = filter_text if isinstance(filter_text, Filter) else parse_filter(filter_text or "")
    sql = _Sql()
    _view_sql(actor, view, sql)
    _filter_sql(flt, sql)
    return sql


def page(actor: Actor, view: str = "all", filter_text: str | Filter = "", *,
         sort: str = "updated", descending: bool = True, after: tuple | None = None,
         limit: int = PAGE_SIZE) -> Page:
    """One page of a view. Pass the previous page's `next_cursor` as `after`."""
    require(actor, "tickets.read")
    if sort not in SORTS:
        raise ValidationError({"sort": _("Unknown sort {sort}").format(sort=sort)})
    limit = max(1, min(int(limit), MAX_PAGE))
    jump = None
    with reading():
        if after is None and isinstance(filter_text, str):
            jump = _protocol_jump(filter_text)
        flt = filter_text if isinstance(filter_text, Filter) else parse_filter(filter_text or "")
        source = _FROM
        server_text = flt.words and sort in ("updated", "age") and is_postgresql()
        if server_text:  # as below, from PostgreSQL's search document
            sort = "age"
            key = "d.ticket_id"
            source = _FROM.replace('FROM "ticket" t ', 'FROM ticket_doc d JOIN "ticket" t ON t.id = d.ticket_id ', 1)
            sql = _Sql()
            rare = rare_matches(flt.words)
            if rare is not None:  # a rare word: its few documents, not a walk through every one
                sql.add(f"d.ticket_id IN ({','.join('?' * len(rare)) or 'NULL'})", *rare)
            else:
                sql.add(f"d.doc @@ to_tsquery('{DOC_CONFIG}', ?)", tsquery_text(flt.words))
            _view_sql(actor, view, sql)
            _filter_sql(Filter(flt.conditions, ()), sql)
        elif flt.words and sort in ("updated", "age") and has_doc_search():
            # A text search lists the newest tickets first, read in that order
            # from the index (ids follow the time tickets are opened) and stopping
            # after one page: a word found in half the tickets costs what a rare one does.
            sort = "age"
            key = "d.rowid"
            source = _FROM.replace('FROM "ticket" t ', 'FROM ticket_doc_fts d JOIN "ticket" t ON t.id = d.rowid ', 1)
            sql = _Sql()
            sql.add("ticket_doc_fts MATCH ?", fts_query(flt.words))
            _view_sql(actor, view, sql)
            _filter_sql(Filter(flt.conditions, ()), sql)
        else:
            sql = _base_sql(actor, view, flt)
            key = SORTS[sort]
        op = "<" if descending else ">"
        direction = "DESC" if descending else "ASC"
        if key in ("d.rowid", "d.ticket_id"):
            if after is not None:
                sql.add(f"{key} {op} ?", after[1])
            order = f"{key} {direction}"
        else:
            if after is not None:
                sql.add(f"({key}, t.id) {op} (?, ?)", after[0], after[1])
            order = f"{key} {direction}, t.id {direction}"
        query = (
            # no type (a Contact us ticket): its subject, the classification / sub-classification or form
            f"SELECT t.id, t.protocol, COALESCE(c.name, ''), COALESCE(tt.name, t.subject, ''), t.status, "
            f"COALESCE(u.name, ''), COALESCE(q.name, ''), t.created_at, t.updated_at, {sla.LEVEL_SQL}, {key} "
            f"{source} WHERE {' AND '.join(sql.where)} ORDER BY {order} LIMIT ?")
        rows = execute(query, [*sql.params, limit + 1]).fetchall()
    now = clock.now()
    more = len(rows) > limit
    rows = rows[:limit]
    levels = 9 + sla.LEVEL_COLUMNS
    cal = sla.calendar() if any(r[14] is not None for r in rows) else None  # r[14]: t.sla_due_at
    out = []
    for r in rows:
        bad = rows_mod.Damage()  # a value another program broke: shown marked, never a crash
        created, updated = bad.datetime(r[7], "created_at"), bad.datetime(r[8], "updated_at")
        status = bad.choice(r[4], "status", STATUSES, "open")
        out.append(QueueRow(
            id=r[0], protocol=bad.text(r[1], "protocol") or f"#{r[0]}", customer=str(r[2]), type=str(r[3]),
            status=status, status_label=_(STATUSES[status]), responsible=str(r[5]), queue=str(r[6]),
            created_at=created, updated_at=updated,
            age="?" if "created_at" in bad.fields else age_text(created, now),
            updated="?" if "updated_at" in bad.fields else age_text(updated, now), damaged=bad.result(),
            level=sla.level(r[9:levels], status, now, cal)))
    cursor = (rows[-1][levels], rows[-1][0]) if more and rows else None
    return Page(tuple(out), cursor, view, sort, descending, jump)


def _protocol_jump(filter_text: str) -> str | None:
    text = clean(filter_text)
    if not text or " " in text or ":" in text or '"' in text:
        return None
    row = execute("SELECT protocol FROM ticket WHERE protocol = ? AND status != 'draft'", (text,)).fetchone()
    return row[0] if row else None


def count(actor: Actor, view: str = "all", filter_text: str | Filter = "") -> int:
    """How many tickets a view holds: asked for separately, when the screen has time."""
    require(actor, "tickets.read")
    with reading():
        sql = _base_sql(actor, view, filter_text)
        needs_join = any(" c." in w or " u." in w or " tt." in w for w in sql.where)
        source = _FROM if needs_join else "FROM ticket t"
        return execute(f"SELECT COUNT(*) {source} WHERE {' AND '.join(sql.where)}", sql.params).fetchone()[0]


def search(actor: Actor, text: str, *, view: str = "all", limit: int = PAGE_SIZE) -> Page:
    """Full-text search (ticket text, messages and script reports) within a view; a
    protocol number comes back as `jump_to`."""
    return page(actor, view, text, limit=limit)


EXPORT_COLUMNS = ("protocol", "customer", "type", "status", "responsible", "queue", "created_at", "updated_at",
                  "response_due", "resolution_due", "breached")


def iter_rows(actor: Actor, view: str = "all", filter_text: str = "", *, sort: str = "updated",
              descending: bool = True):
    """Every row of a view, read page by page (for exports)."""
    flt = parse_filter(filter_text or "")
    after = None
    while True:
        p = page(actor, view, flt, sort=sort, descending=descending, after=after, limit=MAX_PAGE)
        yield from p.rows
        after = p.next_cursor
        if after is None:
            return


def _cell(value: str) -> str:
    # Spreadsheets run cells starting with these as formulas.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _due(value: dt.datetime | None) -> str | None:
    return value.isoformat(sep=" ") if value else None


def export(actor: Actor, out, fmt: str, view: str = "all", filter_text: str = "") -> int:
    """Write a view's tickets to the text stream `out` as csv or json; return how many."""
    import csv
    import json

    require(actor, "tickets.read")
    if fmt not in ("csv", "json"):
        raise ValidationError({"format": _("Unknown format {format}; use csv or json").format(format=fmt)})
    import itertools

    rows = iter_rows(actor, view, filter_text)
    first = next(rows, None)  # a bad view or filter fails here, before a line is written
    rows = itertools.chain([first], rows) if first is not None else iter(())
    n = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for r in rows:
            writer.writerow([_cell(r.protocol), _cell(r.customer), _cell(r.type), r.status, _cell(r.responsible),
                             _cell(r.queue), r.created_at.isoformat(sep=" "), r.updated_at.isoformat(sep=" "),
                             *(_due(d) or "" for d in (r.level.response_due, r.level.resolution_due)),
                             "yes" if r.level.breached else "no"])
            n += 1
        return n
    out.write("[")
    for r in rows:
        item = {"protocol": r.protocol, "customer": r.customer, "type": r.type, "status": r.status,
                "responsible": r.responsible, "queue": r.queue, "created_at": r.created_at.isoformat(sep=" "),
                "updated_at": r.updated_at.isoformat(sep=" "), "response_due": _due(r.level.response_due),
                "resolution_due": _due(r.level.resolution_due), "breached": r.level.breached}
        out.write(("," if n else "") + "\n  " + json.dumps(item, ensure_ascii=False))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n
