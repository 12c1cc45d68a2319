"""The triage decision: the seed's three scenarios and every route."""
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.core.permissions import Actor
from services.scheduling import topics, triage
from tests.scenes import make_customers


@pytest.fixture
def ids(people):
    return make_customers()


def test_scenario_1_active_customer_finance_training_gets_the_webinar(people, ids):
    d = triage.triage(people["agent"], ids["active"], "treinamento_financeiro")
    assert d.route == "webinar_first"
    assert d.webinar_link == "https://ajuda.atende.example/webinars/financeiro"
    assert any(d.webinar_link in step for step in d.next_steps)
    assert any("still needs" in step for step in d.next_steps)
    assert d.can_book


def test_scenario_2_onboarding_customer_goes_to_gr(people, ids):
    d = triage.triage(people["agent"], ids["onboarding"], "treinamento_financeiro")
    assert d.route == "gr_onboarding"
    assert not d.can_book
    assert "onboarding" in d.reason
    assert any("GR team" in s for s in d.next_steps)


def test_scenario_3_franchise_customer_goes_to_franchise_team(people, ids):
    d = triage.triage(people["agent"], ids["franchise"], "treinamento_financeiro")
    assert d.route == "franchise"
    assert "Franquia X" in d.reason
    assert "Franquias" in d.guidance  # the franchise team's own guidance
    assert not d.can_book


@pytest.mark.parametrize("customer,topic,route", [
    ("active", "sat", "support"),
    ("blocked", "sat", "support"),            # support topics are handled now, whoever asks
    ("active", "equipamento_nao_homologado", "support"),
    ("active", "ativacao_integracao", "support"),
    ("blocked", "balanca", "gr_blocked"),
    ("blocked_franchise", "balanca", "gr_blocked"),  # blocked comes first
    ("onboarding", "fidelidade", "gr_onboarding"),
    ("franchise", "catraca", "franchise"),
    ("active", "balanca", "implementation"),
    ("active", "delivery_do_zero", "implementation"),
    ("active", "treinamento_bi", "webinar_first"),
])
def test_each_route(people, ids, customer, topic, route):
    d = triage.triage(people["agent"], ids[customer], topic)
    assert d.route == route
    assert d.can_book == (route in ("implementation", "webinar_first"))
    assert d.reason and d.next_steps and d.title


def test_support_route_carries_the_topic_guidance(people, ids):
    d = triage.triage(people["agent"], ids["active"], "tef")
    assert "pinpad" in d.guidance


def test_implementation_steps_name_preconditions_and_equipment(people, ids):
    d = triage.triage(people["agent"], ids["active"], "delivery_do_zero")
    assert any("iFood v2" in s for s in d.next_steps)
    d = triage.triage(people["agent"], ids["active"], "balanca")
    assert any("homologated" in s for s in d.next_steps)
    assert any("1h30" in s and "15 minutes" in s for s in d.next_steps)


def test_decide_is_pure(people, ids):
    facts = triage.CustomerFacts(1, "X", "customer", "active", False, "")
    topic = topics.get_topic(people["agent"], "tef")
    assert triage.decide(facts, topic, {}).route == "support"
    topic = topics.get_topic(people["agent"], "balanca")
    assert triage.decide(facts, topic, {}).route == "implementation"
    assert triage.decide(replace(facts, onboarding=True), topic, {}).route == "gr_onboarding"
    assert triage.decide(replace(facts, franchise_group="F"), topic, {}).route == "franchise"
    assert triage.decide(replace(facts, account_status="blocked"), topic, {}).route == "gr_blocked"


@pytest.mark.parametrize("status", ["suspended", "inactive", "cancelled"])
def test_no_active_plan_goes_to_gr_after_blocked_and_before_onboarding(people, status):
    facts = triage.CustomerFacts(1, "X", "customer", status, True, "F")  # onboarding and franchise too
    d = triage.decide(facts, topics.get_topic(people["agent"], "balanca"), {})
    assert (d.route, d.can_book) == ("gr_no_plan", False)
    assert f"no active plan (account {status})" in d.reason and any("GR team" in s for s in d.next_steps)
    assert triage.decide(facts, topics.get_topic(people["agent"], "sat"), {}).route == "support"


def test_imported_account_statuses_route_the_triage(people, tmp_path):
    from models import Customer
    from services.customers import imports

    csv = tmp_path / "clientes.csv"
    csv.write_text("nome;cpf_cnpj;situacao\nLoja Suspensa;12345678062;Suspensa\nLoja Inativa;98765432029;INATIVO\n"
                   "Loja Cancelada;24681357090;cancelado\nLoja Encerrada;52998224725;encerrado\n", encoding="utf-8")
    report = imports.import_customers(people["admin"], csv)
    assert report.added == 3
    [rejected] = report.rejected
    assert "active, blocked, suspended, inactive or cancelled, not 'encerrado'" in rejected.errors["account_status"]
    for name, status in (("Loja Suspensa", "suspended"), ("Loja Inativa", "inactive"), ("Loja Cancelada", "cancelled")):
        customer = Customer.get(Customer.name == name)
        assert customer.account_status == status
        assert triage.triage(people["agent"], customer.id, "treinamento_financeiro").route == "gr_no_plan"


def test_unknown_topic_and_customer(people, ids):
    with pytest.raises(NotFound, match="No topic 'treinamento_financiero'. Did you mean: treinamento_financeiro"):
        triage.triage(people["agent"], ids["active"], "treinamento_financiero")
    with pytest.raises(NotFound, match="No topic 'zzz'"):
        triage.triage(people["agent"], ids["active"], "zzz")
    with pytest.raises(NotFound, match="No customer with id 99999"):
        triage.triage(people["agent"], 99999, "sat")
    with pytest.raises(ValidationError, match="prospect"):
        triage.triage(people["agent"], ids["prospect"], "sat")


def test_retired_topic_is_refused(people, ids):
    t = topics.get_topic(people["supervisor"], "tef")
    topics.set_topic_active(people["supervisor"], t.id, False, t.version)
    with pytest.raises(NotFound, match="retired"):
        triage.triage(people["agent"], ids["active"], "tef")
    assert "tef" not in [x.key for x in topics.search_topics(people["agent"], "")]


def test_representatives_may_not_triage(people, ids):
    with pytest.raises(PermissionDenied):
        triage.triage(Actor("rep", "Rep", "representative"), ids["active"], "sat")


def test_topic_search_folds_accents_and_keywords(people):
    keys = [t.key for t in topics.search_topics(people["agent"], "balanca")]
    assert keys == ["balanca"]
    keys = [t.key for t in topics.search_topics(people["agent"], "FINANCEIRO")]
    assert keys == ["treinamento_financeiro"]
    assert ({t.key for t in topics.search_topics(people["agent"], "ifood")}
            == {"delivery_do_zero", "ativacao_integracao"})
    assert topics.search_topics(people["agent"], "[/") == []


def test_cli_triage_check_json(store, people, ids, monkeypatch):
    from app import main

    monkeypatch.setattr("services.store.users.os_login", lambda: people["agent"].login)
    result = CliRunner().invoke(main, ["--db", str(store), "triage", "check", "--customer", str(ids["active"]),
                                       "--topic", "treinamento_financeiro", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["route"] == "webinar_first"
    assert data["reason"] and isinstance(data["next_steps"], list)
    result = CliRunner().invoke(main, ["--db", str(store), "triage", "check", "--customer", "424242",
                                       "--topic", "sat"])
    assert result.exit_code == 1
    assert "No customer with id 424242" in result.output
    result = CliRunner().invoke(main, ["--db", str(store), "triage", "check", "--customer", str(ids["onboarding"]),
                                       "--topic", "fidelidade"])
    assert result.exit_code == 0
    assert "gr_onboarding" in result.output and "1." in result.output


@pytest.mark.parametrize("typed", ["BALANÇA", " Balanca ", "balança"])
def test_cli_topic_ignores_case_and_accents(store, people, ids, monkeypatch, typed):
    from app import main

    monkeypatch.setattr("services.store.users.os_login", lambda: people["agent"].login)
    result = CliRunner().invoke(main, ["--db", str(store), "triage", "check", "--customer", str(ids["active"]),
                                       "--topic", typed, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["topic_key"] == "balanca"
