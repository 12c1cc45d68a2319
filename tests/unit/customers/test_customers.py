import pytest

from models import AccessPoint, Customer, Plan, write_tx
from services.core.errors import PermissionDenied, ValidationError
from services.core.permissions import Actor
from services.core.text import fold
from services.customers import contacts, lookup
from services.customers.lookup import LookupQuery


@pytest.fixture
def some(admin):
    rows = [
        ("João Gonçalves", "52998224725", "5511912345678", "joao@uol.com.br", "São Paulo", "CT-000001", "jgoncalves"),
        ("Maria Conceição", "11144477735", "5531987654321", "maria@gmail.com", "Belo Horizonte", "CT-000002",
         "mconceicao"),
        ("[bold]Mário (NEAR) *", "39053344705", "5548999990000", "mario@terra.com.br", "Florianópolis", "CT-000003",
         "mario"),
    ]
    with write_tx():
        ap = AccessPoint.create(name="POP Centro", name_norm="pop centro", city="São Paulo", state="SP")
        for name, doc, phone, email, city, contract, login in rows:
            c = Customer.create(kind="customer", name=name, name_norm=fold(name), doc=doc, phone_digits=phone,
                                email=email, city=city, city_norm=fold(city), contract=contract)
            Plan.create(customer=c, name="Fibra", login=login, access_point=ap)
    return admin


def names(hits):
    return [h.name for h in hits]


def test_accents_and_case_do_not_matter(some):
    assert names(lookup.lookup(some, LookupQuery("JOAO"))) == ["João Gonçalves"]
    assert names(lookup.lookup(some, LookupQuery("conceição", condition="contains"))) == ["Maria Conceição"]


@pytest.mark.parametrize("field,text,condition,expected", [
    ("name", "mar", "starts", ["Maria Conceição"]),
    ("name", "mar", "contains", ["[bold]Mário (NEAR) *", "Maria Conceição"]),
    ("doc", "529.982", "starts", ["João Gonçalves"]),
    ("doc", "111.444.777-35", "equals", ["Maria Conceição"]),
    ("phone", "98765", "contains", ["Maria Conceição"]),
    ("email", "@gmail", "contains", ["Maria Conceição"]),
    ("city", "florianopolis", "equals", ["[bold]Mário (NEAR) *"]),
    ("login", "jgon", "starts", ["João Gonçalves"]),
    ("contract", "ct-000002", "equals", ["Maria Conceição"]),
])
def test_fields_and_conditions(some, field, text, condition, expected):
    assert names(lookup.lookup(some, LookupQuery(text, field=field, condition=condition))) == expected


@pytest.mark.parametrize("text,field", [
    ("529.982.247-25", "doc"), ("52998224725", "doc"), ("11.222.333/0001-81", "doc"),
    ("12.ABC.345/01DE-35", "doc"), ("(11) 91234-5678", "phone"), ("5511912345678", "phone"),
    ("52998224700", "phone"),  # eleven digits that are no CPF: a mobile with its area code
    ("5299", "doc"), ("maria@gmail.com", "email"), ("@gmail", "email"), ("CT-000002", "contract"),
    ("ct000002", "contract"), ("jgoncalves2", "login"), ("joao.silva", "login"), ("aa:bb:cc:00:11:22", "login"),
    ("João Gonçalves", "name"), ("mar", "name"), ("Ana-Maria", "name"), ("(near) *", "name"),
])
def test_any_field_reads_what_was_typed(text, field):
    assert lookup.guess_field(text) == field


@pytest.mark.parametrize("text,expected", [
    ("529.982.247-25", ["João Gonçalves"]), ("31 98765-4321", ["Maria Conceição"]),
    ("maria@", ["Maria Conceição"]), ("CT-000003", ["[bold]Mário (NEAR) *"]), ("mconceicao", ["Maria Conceição"]),
    ("mario", ["[bold]Mário (NEAR) *"]),
])
def test_any_field_searches_the_field_the_text_belongs_to(some, text, expected):
    assert names(lookup.lookup(some, LookupQuery(text))) == expected


def test_a_chosen_field_wins_over_the_guess(some):
    # digits searched as a name find no one, though they are a CPF
    assert lookup.lookup(some, LookupQuery("52998224725", field="name")) == []
    assert lookup.effective(LookupQuery("52998224725", field="phone")).field == "phone"
    assert lookup.effective(LookupQuery("52998224725")).field == "doc"
    assert lookup.effective(LookupQuery("x.1", kind="access_point")).field == "name"


@pytest.mark.parametrize("text", ['"', "*", "(", "NEAR", "[/", "%", "_", "\\", "'; drop table customer; --"])
def test_odd_search_text_is_data(some, text):
    lookup.lookup(some, LookupQuery(text))  # no exception
    assert Customer.select().count() == 3


def test_odd_text_finds_literal_matches(some):
    assert names(lookup.lookup(some, LookupQuery("(near) *"))) == ["[bold]Mário (NEAR) *"]
    assert lookup.lookup(some, LookupQuery("%")) == []


def test_empty_search_returns_nothing(some):
    assert lookup.lookup(some, LookupQuery("   ")) == []


def test_limit_and_bad_controls(some):
    assert len(lookup.lookup(some, LookupQuery("o", limit=1))) == 1
    with pytest.raises(ValidationError) as err:
        lookup.lookup(some, LookupQuery("a", field="shoe", condition="like", limit=0))
    assert set(err.value.errors) == {"field", "condition", "limit"}


def test_access_points(some):
    hits = lookup.lookup(some, LookupQuery("centro", kind="access_point"))
    assert [(h.kind, h.name) for h in hits] == [("access_point", "POP Centro")]


def test_representatives_cannot_look_up(some):
    with pytest.raises(PermissionDenied):
        lookup.lookup(Actor("rep", "Rep", "representative"), LookupQuery("joao"))


def test_format_doc():
    assert lookup.format_doc("52998224725") == "529.982.247-25"
    assert lookup.format_doc("11222333000181") == "11.222.333/0001-81"
    assert lookup.format_doc("12ABC34501DE35") == "12.ABC.345/01DE-35"


def test_a_common_word_gives_the_first_matches_by_name(admin):
    """Many matches: the first by name come back (PostgreSQL finds them among
    the first names in order, SQLite among its index's candidates)."""
    from models import write_tx

    names = [f"Cliente Silva {i:03d}" for i in range(40)] + [f"Outro {i:03d}" for i in range(40)]
    with write_tx():
        for i, name in enumerate(names):
            Customer.create(kind="customer", name=name, name_norm=name.lower(), doc=f"{i:011d}")
    got = names_of(lookup.lookup(admin, LookupQuery("silva", limit=5)))
    assert got == [f"Cliente Silva {i:03d}" for i in range(5)]
    assert names_of(lookup.lookup(admin, LookupQuery("silva 039", limit=5))) == ["Cliente Silva 039"]
    assert names_of(lookup.lookup(admin, LookupQuery("outro", limit=50))) == [f"Outro {i:03d}" for i in range(40)]


def names_of(hits):
    return [h.name for h in hits]


def test_a_cnpj_with_letters_is_found_as_typed(admin):
    from models import write_tx

    with write_tx():
        Customer.create(kind="customer", name="Loja Alfa", name_norm="loja alfa", doc="12ABC34501DE35",
                        doc_kind="cnpj")
    for text, condition in (("12.abc.345/01de-35", "equals"), ("12.ABC", "starts"), ("abc.345", "contains")):
        assert names(lookup.lookup(admin, LookupQuery(text, field="doc", condition=condition))) == ["Loja Alfa"]
    hit = lookup.lookup(admin, LookupQuery("loja alfa"))[0]
    assert contacts.details(admin, hit.id).is_company  # the wizard offers events to the contact as of this company
