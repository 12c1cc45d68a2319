"""Demo customers: the generator of customers, prospects, contacts and plans
(valid, unique CPFs/CNPJs from lookup tables, rows built as tuples from
precomputed pools) and the writers that put them in, raw `executemany` on
SQLite, peewee `insert_many` elsewhere. Everything derives from the
`random.Random` it is given.
"""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from models import Contact, ContactExtraValue, Customer, Plan, db
from services.core.text import fold
from services.demo.names import (
    BEST_TIMES,
    COMPANY_HEADS,
    COMPANY_NAMES,
    COMPANY_POSITIONS,
    COMPANY_SUFFIXES,
    COMPANY_TYPES,
    COMPLEMENTS,
    EMAIL_DOMAINS,
    EMAIL_SEPARATORS,
    FIRST_NAMES,
    FIXED_CASES,
    FRANCHISES,
    LOGIN_KINDS,
    PLANS,
    QTD_PONTOS,
    STREETS,
    SURNAMES,
)

Progress = Callable[[str, int, int], None]
"""Told (step, done, total) as a fill goes."""

def _chunk_tables(weights: tuple[int, int, int]) -> list[int]:
    a, b, c = weights
    return [(n // 100) * a + (n // 10 % 10) * b + (n % 10) * c for n in range(1000)]


# Weighted sums of CPF digits, three digits at a time (first and second check digit).
_S1 = (_chunk_tables((10, 9, 8)), _chunk_tables((7, 6, 5)), _chunk_tables((4, 3, 2)))
_S2 = (_chunk_tables((11, 10, 9)), _chunk_tables((8, 7, 6)), _chunk_tables((5, 4, 3)))

_CPF_OFFSET = 100_000_000
_CPF_SPAN = 800_000_000   # bases 100000000..899999999; = 2**11 * 5**8
_CNPJ_OFFSET = 10_000_000
_CNPJ_SPAN = 80_000_000   # roots 10000000..89999999; = 2**10 * 5**7


def cpf_check_digits(base: int) -> str:
    """The two check digits of the 9-digit CPF `base`."""
    hi, rest = divmod(base, 1_000_000)
    mid, lo = divmod(rest, 1000)
    d1 = (_S1[0][hi] + _S1[1][mid] + _S1[2][lo]) * 10 % 11 % 10
    d2 = (_S2[0][hi] + _S2[1][mid] + _S2[2][lo] + 2 * d1) * 10 % 11 % 10
    return f"{d1}{d2}"


_CNPJ_W1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_W2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def cnpj_from_root(root: int, branch: int = 1) -> str:
    """A full 14-digit CNPJ for the 8-digit `root` and 4-digit `branch`."""
    base = f"{root:08d}{branch:04d}"
    digits_ = [ord(c) - 48 for c in base]
    r = sum(d * w for d, w in zip(digits_, _CNPJ_W1)) % 11
    d1 = 0 if r < 2 else 11 - r
    digits_.append(d1)
    r = sum(d * w for d, w in zip(digits_, _CNPJ_W2)) % 11
    d2 = 0 if r < 2 else 11 - r
    return f"{base}{d1}{d2}"


def _coprime_step(rng: random.Random, span: int) -> int:
    """A multiplier coprime to `span` (a product of 2s and 5s), so i -> a*i+b
    (mod span) visits every value once: unique documents without a set."""
    while True:
        a = rng.randrange(span // 7, span // 2) | 1
        if a % 5:
            return a


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

def _expand(items) -> tuple:
    """A flat pool holding each value `weight` times: a uniform draw from it
    follows the weights, without a bisect per draw."""
    return tuple(v for v, w in items for _ in range(w))


def _flags(rng: random.Random, n: int, share: float) -> list[bool]:
    """`n` flags of which round(n * share), at random places, are set."""
    flags = [False] * n
    for i in rng.sample(range(n), round(n * share)):
        flags[i] = True
    return flags


def _email_token(name: str) -> str:
    """The last word of `name`, accent-free and lower-case ("da Conceição" -> "conceicao")."""
    return "".join(c for c in fold(name.split()[-1]) if c.isalpha())


def _slug(text: str) -> str:
    """Letters only, accent-free, lower-case: for domains and logins."""
    return "".join(c for c in fold(text) if "a" <= c <= "z")


@dataclass
class Reference:
    """Ids of the fixed rows the bulk rows point at."""

    aps: list[tuple[int, str, str, str, str, str, str]]  # (id, city, state, ddd, district, tech, city_norm)
    ap_weights: list[int]
    fields: list[int]                                # extra field ids, EXTRA_FIELDS order
    access_points_added: int
    users_added: int


class Generator:
    """Builds the rows of customers, contacts, extra values and plans.

    Every random choice of a batch is drawn up front, one list per column,
    from flat pools; the loop then only formats strings.
    """

    ADDRESSES = 20_000
    EMAIL_TAILS = 100_000

    def __init__(self, rng: random.Random, total: int, ref: Reference, today: dt.date):
        self.rng = rng
        self.total = total
        self.ref = ref
        self.aps = _expand(zip(ref.aps, ref.ap_weights))
        # (display, folded, e-mail token); middles end in a space, or are empty
        # (about 30% of people have a single surname).
        lasts = [((n, fold(n), _email_token(n)), w) for n, w in SURNAMES]
        self.firsts = _expand(((n, fold(n), _email_token(n.split()[0])), w) for n, w in FIRST_NAMES)
        self.lasts = _expand(lasts)
        none = sum(w for _v, w in lasts) * 3 // 7
        self.middles = _expand([(("", "", ""), none)] + [((d + " ", f + " ", t), w) for (d, f, t), w in lasts])
        # The end of a person's e-mail: (separator, "suffix@domain"); the
        # suffix is a birth year, a lucky number or nothing.
        suffixes = (("",) * 400 + tuple(str(n) for n in range(1, 100)) * 2
                    + tuple(str(y) for y in range(1950, 2008)) * 10 + tuple(str(n) for n in range(100, 10_000)))
        tails = min(self.EMAIL_TAILS, max(5_000, total // 10))
        self.email_tails = tuple(zip(
            rng.choices(EMAIL_SEPARATORS, k=tails),
            (f"{a}@{b}" for a, b in zip(rng.choices(suffixes, k=tails), rng.choices(_expand(EMAIL_DOMAINS), k=tails)))))
        self.phone_hi = tuple(str(n) for n in range(1000, 10000))
        self.phone_lo = tuple(f"{n:04d}" for n in range(10000))
        complements = _expand(COMPLEMENTS)
        self.addresses = tuple(
            f"{rng.choice(STREETS)}, {1 + int(rng.random() ** 2 * 2999)}{rng.choice(complements)}"
            for _ in range(min(self.ADDRESSES, max(2_000, total // 10))))
        span_days = 3650
        start = today - dt.timedelta(days=span_days)
        self.span_days = span_days
        self.days = [(start + dt.timedelta(days=d)).isoformat() for d in range(span_days)]
        self.times = tuple(f"{h:02d}:{m:02d}:{s:02d}"
                           for h in range(8, 20) for m in range(0, 60, 7) for s in (3, 17, 41))
        self.birthdays = tuple((dt.date(1950, 1, 1) + dt.timedelta(days=d)).isoformat() for d in range(0, 20_000, 7))
        self.plans = {key: _expand(pool) for key, pool in PLANS.items()}
        assert all(len(pool) == 100 for pool in self.plans.values())
        # (plan draw 0..99, login kind, second-plan draw 0..99)
        self.plan_draws = tuple(zip(rng.choices(range(100), k=10_000),
                                    rng.choices(_expand(LOGIN_KINDS), k=10_000),
                                    rng.choices(range(100), k=10_000)))
        self.cpf_a = _coprime_step(rng, _CPF_SPAN)
        self.cpf_b = rng.randrange(_CPF_SPAN)
        self.cnpj_a = _coprime_step(rng, _CNPJ_SPAN)
        self.cnpj_b = rng.randrange(_CNPJ_SPAN)
        self.cpf_i = 0
        self.cnpj_i = 0
        self.domains_seen: dict[str, int] = {}  # company domains stay unique: padariasaojorge2.com.br
        self.company_types = tuple((t, _slug(t)) for t in COMPANY_TYPES)
        self.company_names = tuple((n, _slug(n)) for n in COMPANY_NAMES)
        self.company_suffixes = _expand(COMPANY_SUFFIXES)
        self.position_pairs = tuple((a, b) for a in COMPANY_POSITIONS for b in COMPANY_POSITIONS if a != b)

    def _company(self) -> str:
        root = _CNPJ_OFFSET + (self.cnpj_a * self.cnpj_i + self.cnpj_b) % _CNPJ_SPAN
        self.cnpj_i += 1
        return cnpj_from_root(root)

    # -- one batch -----------------------------------------------------------

    def batch(self, first_index: int, n: int, ids: dict[str, int]):
        """Rows for customers [first_index, first_index+n); `ids` holds the next
        id of each table and is advanced. Returns (customers, contacts, values,
        plans, prospects)."""
        rng = self.rng
        choices = rng.choices
        flags_prospect = _flags(rng, n, 0.10)
        flags_company = _flags(rng, n, 0.05)
        flags_blocked = _flags(rng, n, 0.03)
        flags_onboard = _flags(rng, n, 0.04)
        flags_franchise = _flags(rng, n, 0.05)
        for i in range(first_index, min(first_index + n, len(FIXED_CASES))):
            k = i - first_index
            (flags_prospect[k], flags_company[k], flags_blocked[k],
             flags_onboard[k], flags_franchise[k]) = FIXED_CASES[i]
        firsts = choices(self.firsts, k=n)
        middles = choices(self.middles, k=n)
        lasts = choices(self.lasts, k=n)
        phone_hi = choices(self.phone_hi, k=n)
        phone_lo = choices(self.phone_lo, k=n)
        columns = zip(
            range(first_index, first_index + n),
            choices(self.aps, k=n), firsts, middles, lasts, phone_hi, phone_lo,
            choices(self.email_tails, k=n), choices(self.addresses, k=n), choices(self.times, k=n),
            choices(self.plan_draws, k=n),
            flags_prospect, flags_company, flags_blocked, flags_onboard, flags_franchise,
        )
        companies = sum(flags_company)
        company_draws = iter(zip(
            choices(self.company_types, k=companies), choices(self.company_names, k=companies),
            choices(self.company_suffixes, k=companies), choices(COMPANY_HEADS, k=companies),
            choices(self.position_pairs, k=companies),
            choices((1, 2), k=companies), choices(range(n), k=companies),
        ))
        franchises = iter(choices(FRANCHISES, k=sum(flags_franchise)))

        cust_rows, contact_rows, plan_rows = [], [], []
        cust_append, contact_append, plan_append = cust_rows.append, contact_rows.append, plan_rows.append
        cid, kid, pid = ids["customer"], ids["contact"], ids["plan"]
        days, span_days, total = self.days, self.span_days, self.total
        cpf_a, cpf_b, cpf_i = self.cpf_a, self.cpf_b, self.cpf_i
        s1a, s1b, s1c = _S1
        s2a, s2b, s2c = _S2
        plans = self.plans
        domains_seen = self.domains_seen
        fiber_p, fiber_c = plans[("fiber", False)], plans[("fiber", True)]
        radio_p, radio_c = plans[("radio", False)], plans[("radio", True)]
        prospects = 0
        no_middle = ("", "", "")

        for (gi, ap, f, m, ln, ph, pl, (sep, tail), address, tm, (plan_u, login_kind, extra_u),
             prospect, company, blocked, onboard, franchised) in columns:
            ap_id, city, state, ddd, district, tech, city_norm = ap
            phone = f"+55 {ddd} 9{ph}-{pl}"
            phone_digits = f"55{ddd}9{ph}{pl}"
            created = f"{days[gi * span_days // total]} {tm}"
            franchise = next(franchises) if franchised else ""
            if prospect:
                prospects += 1
                kind, contract, status, onboarding = "prospect", "", "active", 0
            else:
                kind, contract = "customer", f"CT-{cid:06d}"
                status = "blocked" if blocked else "active"
                onboarding = 1 if onboard else 0
            address = f"{address} - {district}"
            if company:
                (ctype, ctslug), (cname, cnslug), csuffix, head, (pos1, pos2), extra, p = next(company_draws)
                name = f"{ctype} {cname} {csuffix}"
                login_base = f"{ctslug}{cnslug}"
                seen = domains_seen.get(login_base, 0) + 1
                domains_seen[login_base] = seen
                domain = f"{login_base}.com.br" if seen == 1 else f"{login_base}{seen}.com.br"
                cust_append((cid, kind, name, fold(name), self._company(), "cnpj", f"contato@{domain}",
                             phone, phone_digits, city, city_norm, state, address, contract, status,
                             onboarding, franchise, created))
                # The head of the company, then one or two departments; their
                # names and phones come from the draws of other rows.
                people = ((head, 1), (pos1, 0), (pos2, 0))[:1 + extra]
                for j, (position, primary) in enumerate(people):
                    q = (p + 7919 * j) % n
                    pf, pm, pll = firsts[q], middles[q], lasts[q]
                    if pm[2] == pll[2]:
                        pm = no_middle
                    contact_append((kid, cid, f"{pf[0]} {pm[0]}{pll[0]}",
                                    f"+55 {ddd} 9{phone_hi[q]}-{phone_lo[(q + j) % n]}",
                                    f"{pf[2]}.{pll[2]}@{domain}", position, "", primary))
                    kid += 1
                plan_pool = radio_c if tech == "radio" else fiber_c
                two = extra_u < 30
            else:
                if m[2] == ln[2]:  # no "Silva da Silva"
                    m = no_middle
                name = f"{f[0]} {m[0]}{ln[0]}"
                email = f"{f[2]}{sep}{ln[2]}{tail}"
                base = _CPF_OFFSET + (cpf_a * cpf_i + cpf_b) % _CPF_SPAN
                if base % 111_111_111 == 0:  # 111.111.111-xx and friends are never valid
                    base = 900_000_000 + cpf_i
                cpf_i += 1
                hi, rest = divmod(base, 1_000_000)
                mid, lo = divmod(rest, 1000)
                d1 = (s1a[hi] + s1b[mid] + s1c[lo]) * 10 % 11 % 10
                d2 = (s2a[hi] + s2b[mid] + s2c[lo] + 2 * d1) * 10 % 11 % 10
                doc = f"{base}{d1}{d2}"
                login_base = f"{f[2]}.{ln[2]}"
                cust_append((cid, kind, name, f"{f[1]} {m[1]}{ln[1]}", doc, "cpf", email, phone,
                             phone_digits, city, city_norm, state, address, contract, status,
                             onboarding, franchise, created))
                contact_append((kid, cid, name, phone, email, "", doc, 1))
                kid += 1
                plan_pool = radio_p if tech == "radio" else fiber_p
                two = extra_u < 8
            if not prospect:
                plan_append((pid, cid, plan_pool[plan_u], ap_id, f"{login_base}{cid}", login_kind, status))
                pid += 1
                if two:
                    plan_append((pid, cid, plan_pool[(plan_u + 37) % 100], ap_id, f"{login_base}{cid}.2",
                                 "pppoe", status))
                    pid += 1
            cid += 1

        self.cpf_i = cpf_i
        values = self._extra_values(contact_rows, ids)
        ids["customer"], ids["contact"], ids["plan"] = cid, kid, pid
        return cust_rows, contact_rows, values, plan_rows, prospects

    def _extra_values(self, contacts: list[tuple], ids: dict[str, int]) -> list[tuple]:
        """Custom-field values for about one contact in ten."""
        rng = self.rng
        if not contacts or not self.ref.fields:
            return []
        chosen = sorted(rng.sample(range(len(contacts)), max(1, len(contacts) // 10)))
        k = len(chosen)
        draws = zip(
            chosen, rng.choices(range(1, 16), k=k), rng.choices(("Sim", "Não", "Não"), k=k),
            rng.choices(BEST_TIMES, k=k), rng.choices(self.birthdays, k=k),
            rng.choices(QTD_PONTOS, k=k),
        )
        fields = self.ref.fields
        rows = []
        vid = ids["value"]
        for idx, mask, *values in draws:
            contact_id = contacts[idx][0]
            for bit, field_id, value in zip((1, 2, 4, 8), fields, values):
                if mask & bit:
                    rows.append((vid, contact_id, field_id, value))
                    vid += 1
        ids["value"] = vid
        return rows


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

CUSTOMER_COLUMNS = ("id", "kind", "name", "name_norm", "doc", "doc_kind", "email", "phone",
                    "phone_digits", "city", "city_norm", "state", "address", "contract",
                    "account_status", "onboarding", "franchise_group", "created_at")
CONTACT_COLUMNS = ("id", "customer_id", "name", "phone", "email", "position", "doc", "is_primary")
VALUE_COLUMNS = ("id", "contact_id", "field_id", "value")
PLAN_COLUMNS = ("id", "customer_id", "name", "access_point_id", "login", "login_kind", "status")

_BULK = (
    (Customer, CUSTOMER_COLUMNS),
    (Contact, CONTACT_COLUMNS),
    (ContactExtraValue, VALUE_COLUMNS),
    (Plan, PLAN_COLUMNS),
)


class SqliteWriter:
    """executemany on the raw connection; indexes dropped first, rebuilt at the end."""

    def __init__(self):
        self.conn = db.connection()
        self.sql = {
            model: 'INSERT INTO "{}" ({}) VALUES ({})'.format(
                model._meta.table_name, ", ".join(f'"{c}"' for c in cols), ", ".join("?" * len(cols)))
            for model, cols in _BULK
        }
        tables = tuple(model._meta.table_name for model, _cols in _BULK)
        marks = ", ".join("?" * len(tables))
        self.indexes = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY tbl_name, name", tables).fetchall()
        for name, _sql in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')

    def write(self, model, rows) -> None:
        if rows:
            self.conn.executemany(self.sql[model], rows)

    def finish(self, progress: Progress | None) -> None:
        total = len(self.indexes)
        for done, (_name, sql) in enumerate(self.indexes, 1):
            self.conn.execute(sql)
            if progress:
                progress("indexes", done, total)


class PeeweeWriter:
    """insert_many in chunks, for databases other than SQLite."""

    CHUNK = 1000

    def write(self, model, rows) -> None:
        cols = dict(_BULK)[model]
        fields = [model._meta.columns[c] for c in cols]
        for start in range(0, len(rows), self.CHUNK):
            model.insert_many(rows[start:start + self.CHUNK], fields=fields).execute()

    def finish(self, progress: Progress | None) -> None:
        # Rows went in with explicit ids: move PostgreSQL's sequences past them.
        from peewee import PostgresqlDatabase

        if isinstance(db.obj, PostgresqlDatabase):
            for model, _cols in _BULK:
                table = model._meta.table_name
                db.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table}\"), false)")


