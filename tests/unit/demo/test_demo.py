"""Demo data: realistic, valid, unique, deterministic, and only for admins."""
from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import phonenumbers
import pytest
from validate_docbr import CNPJ, CPF

import models
from models import (
    AccessPoint,
    AuditLog,
    Contact,
    ContactExtraValue,
    Customer,
    ExtraField,
    Network,
    Plan,
    Queue,
    TicketType,
    User,
    db,
    migrations,
)
from services.core.errors import PermissionDenied, ValidationError
from services.core.permissions import Actor
from services.core.text import digits, fold
from services.core.validation import email as valid_email
from services.demo import build
from services.demo import customers as demo_customers
from services.demo import names as demo_names
from services.store import users

N = 2000
ROOT = Path(__file__).resolve().parents[3]
PHONE_RE = re.compile(r"^\+55 (\d{2}) 9\d{4}-\d{4}$")
ACCENTED = set("áàâãéêíóôõúüçÁÂÃÉÊÍÓÔÚÇ")


@pytest.fixture
def demo_db(tmp_path):
    models.open_database(tmp_path / "demo.db")
    migrations.upgrade()
    yield tmp_path / "demo.db"
    models.close_database()


@pytest.fixture
def admin(demo_db):
    # The first login on an empty database becomes its admin.
    return users.identify("tester")


@pytest.fixture
def filled(admin):
    return build.fill(admin, customers=N)


def _customers() -> list[Customer]:
    with models.reading():
        return list(Customer.select().order_by(Customer.id))


# -- documents --------------------------------------------------------------


def test_check_digit_helpers_agree_with_validate_docbr():
    rng = random.Random(1)
    cpf, cnpj = CPF(), CNPJ()
    for _ in range(2000):
        base = rng.randrange(100_000_000, 999_999_999)
        if base % 111_111_111:
            assert cpf.validate(f"{base}{demo_customers.cpf_check_digits(base)}")
        assert cnpj.validate(demo_customers.cnpj_from_root(rng.randrange(10_000_000, 99_999_999)))


def test_documents_are_valid_and_unique(filled):
    rows = _customers()
    cpf, cnpj = CPF(), CNPJ()
    for c in rows:
        if c.doc_kind == "cpf":
            assert len(c.doc) == 11 and cpf.validate(c.doc), c.doc
        else:
            assert c.doc_kind == "cnpj"
            assert len(c.doc) == 14 and cnpj.validate(c.doc), c.doc
    assert len({c.doc for c in rows}) == len(rows)
    companies = sum(c.doc_kind == "cnpj" for c in rows)
    assert 0.03 * N <= companies <= 0.07 * N


# -- names, phones, e-mails, places ----------------------------------------------


def test_names_have_accents_and_folded_forms(filled):
    rows = _customers()
    assert sum(any(ch in ACCENTED for ch in c.name) for c in rows) > N // 4
    for c in rows:
        assert c.name_norm == fold(c.name)
        assert c.name_norm == c.name_norm.lower()
        assert c.name_norm.isascii(), c.name_norm
        assert c.city_norm == fold(c.city) and c.city_norm.isascii()
        assert len(c.state) == 2 and c.address
    cities = {c.city for c in rows}
    assert {"São Paulo", "Belo Horizonte"} <= cities
    assert any(ch in ACCENTED for city in cities for ch in city)


def test_phones_are_valid_brazilian_mobiles(filled):
    with models.reading():
        contact_phones = [c.phone for c in Contact.select(Contact.phone)]
    rows = _customers()
    for c in rows:
        assert PHONE_RE.match(c.phone), c.phone
        assert c.phone_digits == digits(c.phone)
    for phone in [c.phone for c in rows[:300]] + contact_phones[:300]:
        parsed = phonenumbers.parse(phone, "BR")
        assert phonenumbers.is_valid_number(parsed), phone
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL) == phone


def test_emails_are_plain_and_mostly_unique(filled):
    rows = _customers()
    domains = {d for d, _w in demo_names.EMAIL_DOMAINS}
    for c in rows:
        assert c.email.isascii() and c.email == c.email.lower()
        local, domain = c.email.split("@")
        if c.doc_kind == "cpf":
            assert domain in domains
            first = fold(c.name.split()[0])
            assert local.startswith(first), (c.name, c.email)
        else:
            assert local == "contato" and domain.endswith(".com.br")
    for c in rows[:200]:
        assert valid_email(c.email) == c.email
    assert len({c.email for c in rows}) > 0.95 * len(rows)


# -- kinds, statuses and the fixed first customers --------------------------------


def test_kinds_and_statuses_have_realistic_shares(filled):
    rows = _customers()
    prospects = [c for c in rows if c.kind == "prospect"]
    assert {c.kind for c in rows} == {"customer", "prospect"}
    assert 0.07 * N <= len(prospects) <= 0.13 * N
    assert filled.prospects == len(prospects) and filled.customers == N - len(prospects)
    blocked = sum(c.account_status == "blocked" for c in rows)
    assert 0.01 * N <= blocked <= 0.05 * N
    assert 0.02 * N <= sum(c.onboarding for c in rows) <= 0.06 * N
    assert 0.03 * N <= sum(bool(c.franchise_group) for c in rows) <= 0.07 * N
    for c in rows:
        if c.kind == "customer":
            assert re.fullmatch(r"CT-\d{6,}", c.contract)
        else:
            assert c.contract == ""


def test_first_customers_cover_each_special_case(filled):
    first = [c for c in _customers() if c.id <= 10]
    assert len(first) == 10
    assert any(c.account_status == "blocked" for c in first)
    assert any(c.onboarding for c in first)
    assert any(c.franchise_group for c in first)
    assert any(c.doc_kind == "cnpj" for c in first)
    assert any(c.kind == "prospect" for c in first)
    assert any(c.kind == "customer" and c.account_status == "active" and not c.onboarding
               and not c.franchise_group for c in first)


# -- contacts, custom fields, plans -----------------------------------------------


def test_every_customer_has_one_primary_contact(filled):
    with models.reading():
        contacts = list(Contact.select())
    by_customer: dict[int, list[Contact]] = {}
    for k in contacts:
        by_customer.setdefault(k.customer_id, []).append(k)
    assert filled.contacts == len(contacts)
    for c in _customers():
        mine = by_customer.get(c.id, [])
        assert sum(k.is_primary for k in mine) == 1, c.id
        if c.doc_kind == "cnpj":
            assert 2 <= len(mine) <= 3
            assert all(k.position for k in mine)
            assert all(k.email.endswith("@" + c.email.split("@")[1]) for k in mine)
        else:
            assert len(mine) == 1
            assert (mine[0].name, mine[0].phone, mine[0].email) == (c.name, c.phone, c.email)
        assert all(k.name and PHONE_RE.match(k.phone) for k in mine)


def test_extra_fields_and_values(filled):
    with models.reading():
        fields = {f.name: f for f in ExtraField.select()}
        values = list(ContactExtraValue.select())
        contacts = Contact.select().count()
    assert set(fields) == {"cargo_decisor", "melhor_horario", "aniversario", "qtd_pontos"}
    assert fields["cargo_decisor"].type == "choice" and "Não" in fields["cargo_decisor"].choices
    assert {f.type for f in fields.values()} == {"choice", "text", "date", "number"}
    with_values = {v.contact_id for v in values}
    assert 0.08 * contacts <= len(with_values) <= 0.12 * contacts
    by_field = {f.id: f.name for f in fields.values()}
    for v in values:
        name = by_field[v.field_id]
        if name == "cargo_decisor":
            assert v.value in ("Sim", "Não")
        elif name == "aniversario":
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.value)
        elif name == "qtd_pontos":
            assert v.value.isdigit()
        else:
            assert v.value
    assert len({(v.contact_id, v.field_id) for v in values}) == len(values)


def test_customers_have_plans_with_access_points_and_unique_logins(filled):
    with models.reading():
        plans = list(Plan.select())
        ap_ids = {a.id for a in AccessPoint.select(AccessPoint.id)}
    assert filled.plans == len(plans)
    by_customer: dict[int, list[Plan]] = {}
    for p in plans:
        by_customer.setdefault(p.customer_id, []).append(p)
    for c in _customers():
        mine = by_customer.get(c.id, [])
        if c.kind == "customer":
            assert 1 <= len(mine) <= 2, c.id
            assert all(p.access_point_id in ap_ids for p in mine)
        else:
            assert mine == []
    logins = [p.login for p in plans]
    assert len(set(logins)) == len(logins)
    assert all(re.fullmatch(r"[a-z.]+\d+(\.2)?", login) for login in logins)
    assert sum(p.login_kind == "pppoe" for p in plans) > 0.85 * len(plans)
    names = {p.name for p in plans}
    assert {"Fibra 300 Mega", "Fibra 600 Mega"} <= names
    assert any(n.startswith("Empresarial") for n in names)


# -- reference data ------------------------------------------------------------


def test_networks_access_points_queues_and_ticket_types(filled):
    with models.reading():
        networks = list(Network.select())
        aps = list(AccessPoint.select())
        queues = {q.name for q in Queue.select()}
        types = {t.name: t for t in TicketType.select()}
        users_by_id = {u.id: u for u in User.select()}
    assert len(networks) >= 12
    assert 55 <= len(aps) == filled.access_points <= 65
    for ap in aps:
        assert ap.name.startswith("POP ") and ap.name_norm == fold(ap.name)
        assert ap.city and ap.state and ap.network_id
        assert ap.router_host == "" and ap.router_user == ""
    assert "POP Vila Mariana" in {ap.name for ap in aps}
    assert queues == {"Suporte Técnico", "Financeiro", "Comercial", "Instalação", "Ouvidoria", "Fale Conosco"}
    assert types["Sem conexão"].allows_link and types["Lentidão"].allows_link
    assert not types["Wi-Fi"].allows_link
    for t in types.values():
        assert t.queue_id
        assert t.responsible_role or t.responsible_user_id, t.name
    assert users_by_id[types["Reclamação"].responsible_user_id].login == "gabriela"


def test_staff_in_every_role_and_existing_users_untouched(admin, filled):
    with models.reading():
        people = {u.login: u for u in User.select()}
    assert {u.role for u in people.values()} >= {"agent", "coordinator", "supervisor", "admin"}
    assert {"ana", "bruno", "carla", "diego", "elisa", "fabio", "gabriela", "helena"} <= set(people)
    assert people["ana"].name == "Ana Luíza Gonçalves" and people["ana"].email.endswith(".com.br")
    assert people["helena"].role == "admin" and people["gabriela"].role == "supervisor"
    assert people[admin.login].role == "admin" and people[admin.login].id == admin.id
    assert filled.users == 8


def test_existing_staff_login_is_skipped(demo_db, admin):
    users.add(admin, "ana", "coordinator", name="Ana Existente")
    report = build.fill(admin, customers=50)
    with models.reading():
        ana = User.get(User.login == "ana")
    assert (ana.name, ana.role) == ("Ana Existente", "coordinator")
    assert report.users == 7


def test_one_audit_row_summarises_the_fill(admin, filled):
    with models.reading():
        rows = list(AuditLog.select().where(AuditLog.entity == "demo"))
    assert len(rows) == 1
    assert rows[0].login == admin.login and rows[0].action == "fill"
    assert f'"customers": {filled.customers}' in rows[0].changes


# -- refusals ------------------------------------------------------------------


def test_refuses_a_second_fill(admin, filled):
    assert build.has_data()
    with pytest.raises(ValidationError, match="already has customers"):
        build.fill(admin, customers=10)
    with models.reading():
        assert Customer.select().count() == N
        assert AuditLog.select().where(AuditLog.entity == "demo").count() == 1


def test_refused_for_a_non_admin(demo_db, admin):
    with pytest.raises(PermissionDenied):
        build.fill(Actor(login="x", name="x", role="agent"), customers=10)
    assert not build.has_data()
    with models.reading():
        assert Network.select().count() == 0


@pytest.mark.parametrize("bad", [0, -5, build.MAX_CUSTOMERS + 1])
def test_refuses_a_silly_size(admin, bad):
    with pytest.raises(ValidationError):
        build.fill(admin, customers=bad)
    assert not build.has_data()


# -- determinism, progress, indexes, pragmas ------------------------------------------


def _snapshot(path: Path, seed: int):
    models.open_database(path)
    migrations.upgrade()
    actor = users.identify("tester")
    build.fill(actor, customers=500, seed=seed)
    with models.reading():
        customers = [(c.name, c.doc, c.email, c.phone, c.city, c.address, c.kind, c.account_status)
                     for c in Customer.select().order_by(Customer.id)]
        contacts = [(k.customer_id, k.name, k.email) for k in Contact.select().order_by(Contact.id)]
        plans = [(p.customer_id, p.name, p.login, p.access_point_id) for p in Plan.select().order_by(Plan.id)]
    models.close_database()
    return customers, contacts, plans


def test_same_seed_gives_the_same_data(tmp_path):
    first = _snapshot(tmp_path / "a.db", 7)
    again = _snapshot(tmp_path / "b.db", 7)
    other = _snapshot(tmp_path / "c.db", 8)
    assert first == again
    assert first[0] != other[0]


def test_progress_reports_batches_and_indexes(admin):
    calls = []
    build.fill(admin, customers=N, progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert ("customers", N, N) in calls
    stages = [c[0] for c in calls]
    assert stages.index("customers") < stages.index("indexes")
    assert calls[-1][1] == calls[-1][2]


def test_indexes_are_rebuilt_identically(demo_db, admin):
    query = "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    before = db.execute_sql(query).fetchall()
    build.fill(admin, customers=300)
    assert db.execute_sql(query).fetchall() == before
    assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []


def test_pragmas_are_restored_on_the_callers_connection(demo_db, admin):
    with db.connection_context():
        before = [db.execute_sql(f"PRAGMA {p}").fetchone()[0] for p in ("synchronous", "cache_size", "foreign_keys")]
        build.fill(admin, customers=100)
        after = [db.execute_sql(f"PRAGMA {p}").fetchone()[0] for p in ("synchronous", "cache_size", "foreign_keys")]
    assert after == before == [2, -32_000, 1]


def test_generic_peewee_path(monkeypatch, admin):
    """Databases other than SQLite get insert_many; same rows, same checks."""
    monkeypatch.setattr(build, "is_sqlite", lambda: False)
    report = build.fill(admin, customers=300)
    rows = _customers()
    assert len(rows) == 300 == report.customers + report.prospects
    assert all((CPF() if c.doc_kind == "cpf" else CNPJ()).validate(c.doc) for c in rows)
    with models.reading():
        assert Contact.select().count() == report.contacts
        assert Plan.select().count() == report.plans


def test_has_data(demo_db, admin):
    assert not build.has_data()
    build.fill(admin, customers=20)
    assert build.has_data()


def test_module_never_imports_the_ui():
    code = ("import sys, services.demo.build; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui', 'screens')); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_search_indexes_are_whole_and_back_to_their_usual_settings(demo_db, admin):
    """The bulk rebuild reads rows in id order with a large FTS5 hash; the
    result passes FTS5's own integrity check against the rows, finds a
    customer by a piece of each field, and leaves the hash at its default."""
    from models.search import DEFAULT_HASH_BYTES, FTS_TABLES
    from services.customers import lookup as customers

    build.fill(admin, customers=N)
    for table in (*FTS_TABLES.values(), "plan_search"):
        db.execute_sql(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
        assert db.execute_sql(f"SELECT v FROM {table}_config WHERE k = 'hashsize'").fetchone()[0] \
            == DEFAULT_HASH_BYTES
    c = _customers()[N // 2]
    login = Plan.select().where(Plan.customer == c.id).first()
    for field, text in (("email", c.email[2:12]), ("doc", c.doc[3:9]), ("phone", c.phone_digits[4:11]),
                        ("name", c.name_norm.split()[-1]), ("login", login.login[1:8])):
        hits = customers.lookup(admin, customers.LookupQuery(text=text, field=field, condition="contains",
                                                             kind=c.kind, limit=200))
        assert c.id in [h.id for h in hits], (field, text)


def _counts() -> dict[str, int]:
    from models import Ticket
    from models.contactus import ContactRequest
    from models.events import Event, Registration
    from models.mail import Outbox
    from models.scheduling import Booking

    with models.reading():
        return {m.__name__: m.select().count()
                for m in (Customer, Contact, Plan, User, Ticket, Event, Registration, Outbox, Booking, ContactRequest)}


def test_an_interrupted_fill_is_finished_by_the_next(admin, monkeypatch, tmp_path):
    """Each feature's demo commits whole, with its mark: after an interruption
    the next fill adds only what is missing (nothing twice), and the result
    is what an uninterrupted fill gives."""
    import services.demo.events as events_demo
    from models.events import Event

    real = events_demo.fill

    def interrupted(actor, rng):
        real(actor, rng)  # its rows are written...
        raise KeyboardInterrupt  # ...and the fill stops before they are committed

    monkeypatch.setattr(events_demo, "fill", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build.fill(admin, customers=300, seed=3)
    assert build.status(admin) == "unfinished"
    with models.reading():
        assert Event.select().count() == 0  # the events' demo left nothing half done
    assert _counts()["Ticket"] > 0  # the demos before it are in
    monkeypatch.setattr(events_demo, "fill", real)
    report = build.fill(admin, customers=10, seed=99)  # finishes the first fill, as it was asked
    assert report.customers + report.prospects == 300
    assert build.status(admin) == "filled"
    resumed = _counts()
    with pytest.raises(ValidationError, match="already has customers"):
        build.fill(admin, customers=10)
    models.close_database()
    models.open_database(tmp_path / "whole.db")
    migrations.upgrade()
    build.fill(users.identify("tester"), customers=300, seed=3)
    assert _counts() == resumed


def test_status_is_for_admins(demo_db, admin):
    assert build.status(admin) == "empty"
    with pytest.raises(PermissionDenied):
        build.status(Actor(login="r", name="R", role="representative", company_id=1))
