"""The desk's queue views: filter language, views, keyset paging, sorting,
full-text search, protocol jump, lazy counts."""
from __future__ import annotations

import datetime as dt

import pytest

from models import Customer, Queue, Ticket, TicketType, User, write_tx
from services.core import clock
from services.core.errors import PermissionDenied, ValidationError
from services.core.permissions import Actor
from services.tickets import queues

NOW = dt.datetime(2026, 3, 2, 12, 0, 0)


@pytest.fixture
def desk_world(people):
    clock.set_clock(lambda: NOW)
    with write_tx():
        suporte = Queue.create(name="Suporte")
        financeiro = Queue.create(name="Financeiro")
        sem = TicketType.create(name="Sem conexão", queue=suporte)
        lento = TicketType.create(name="Lentidão", queue=suporte)
        boleto = TicketType.create(name="Segunda via de boleto", queue=financeiro)
        ana = User.create(login="ana", name="Ana Souza", role="agent")
        bruno = User.create(login="bruno", name="Bruno Lima", role="agent")
        maria = Customer.create(kind="customer", name="Maria [bold]Silva", name_norm="maria [bold]silva")
        joao = Customer.create(kind="customer", name="João Pereira", name_norm="joao pereira")
        creator = User.get(User.login == people["agent"].login)
        specs = [
            # protocol, status, type, responsible, customer, problem, script_report, hours ago
            ("2026030200001", "open", sem, ana, maria, "Cliente sem internet desde ontem", "LED LOS vermelho", 1),
            ("2026030200002", "in_progress", lento, bruno, joao, "Velocidade baixa à noite", "", 2),
            ("2026030200003", "waiting_customer", sem, ana, joao, "Aguardando cliente reiniciar modem", "", 3),
            ("2026030200004", "finished", boleto, bruno, maria, "Enviar boleto de março", "", 30),
            ("2026030200005", "resolved", sem, None, maria, "Roteador trocado", "Sinal óptico -32 dBm", 50),
            ("2026030200006", "draft", sem, ana, maria, "rascunho", "", 0),
        ]
        for proto, status, ttype, resp, cust, problem, report, hours in specs:
            at = NOW - dt.timedelta(hours=hours)
            Ticket.create(protocol=proto, status=status, type=ttype, queue=ttype.queue_id,
                          responsible=resp, customer=cust, problem=problem, script_report=report,
                          subject=problem[:30], created_by=creator, created_at=at - dt.timedelta(hours=1),
                          updated_at=at)
    ana_actor = Actor(login="ana", name="Ana Souza", role="agent", id=ana.id)
    return {"ana": ana_actor, "agent": people["agent"], "suporte": suporte, "financeiro": financeiro,
            "sem": sem, "boleto": boleto}


def protocols(p):
    return [r.protocol[-1] for r in p.rows]


def test_parse_filter_conditions_and_words():
    f = queues.parse_filter('status:open type:"Sem conexão" agent:ana modem lento')
    assert f.conditions == (queues.Condition("status", "open"), queues.Condition("type", "Sem conexão"),
                            queues.Condition("agent", "ana"))
    assert f.words == ("modem", "lento")
    assert queues.parse_filter("").empty
    assert queues.parse_filter('status:"waiting for the customer"').conditions[0].value == "waiting_customer"
    assert queues.parse_filter("responsavel:ana").conditions[0].field == "agent"


@pytest.mark.parametrize("text, message", [
    ("colour:red", "Unknown field"),
    ('type:"Sem conexão', "quote is not closed"),
    ('modem "x', "quote is not closed"),
    ("status:sleeping", "Unknown status"),
    ('type:""', "needs a value"),
])
def test_parse_filter_refuses_bad_input_clearly(text, message):
    with pytest.raises(ValidationError) as err:
        queues.parse_filter(text)
    assert message in err.value.errors["filter"]


def test_views_hold_the_right_tickets(desk_world):
    ana = desk_world["ana"]
    assert protocols(queues.page(ana, "all")) == ["1", "2", "3", "4", "5"]  # newest update first, no drafts
    assert protocols(queues.page(ana, "open")) == ["1", "2", "3"]
    assert protocols(queues.page(ana, "finished")) == ["4", "5"]
    assert protocols(queues.page(ana, "waiting")) == ["3"]
    assert protocols(queues.page(ana, "mine")) == ["1", "3"]
    assert protocols(queues.page(ana, f"queue:{desk_world['financeiro'].id}")) == ["4"]
    assert protocols(queues.page(ana, f"type:{desk_world['sem'].id}")) == ["1", "3", "5"]
    with pytest.raises(ValidationError):
        queues.page(ana, "nonsense")
    keys = [v.key for v in queues.views(ana)]
    assert keys[:5] == ["all", "open", "finished", "mine", "waiting"]
    assert f"queue:{desk_world['suporte'].id}" in keys and f"type:{desk_world['boleto'].id}" in keys


def test_rows_carry_the_columns(desk_world):
    row = queues.page(desk_world["ana"], "all").rows[0]
    assert (row.customer, row.type, row.status, row.responsible, row.queue) == (
        "Maria [bold]Silva", "Sem conexão", "open", "Ana Souza", "Suporte")
    assert row.age == "2 h" and row.updated == "1 h"
    assert row.status_label == "open"


def test_filters_combine_with_views(desk_world):
    ana = desk_world["ana"]
    assert protocols(queues.page(ana, "all", 'status:open type:"Sem conexão" agent:ana')) == ["1"]
    assert protocols(queues.page(ana, "all", 'type:"sem conexao"')) == ["1", "3", "5"]
    assert protocols(queues.page(ana, "all", "status:open status:finished")) == ["1", "4"]
    assert protocols(queues.page(ana, "all", "agent:Bruno")) == ["2", "4"]
    assert protocols(queues.page(ana, "all", "customer:joao")) == ["2", "3"]
    assert protocols(queues.page(ana, "all", "customer:[bold]")) == ["1", "4", "5"]
    assert protocols(queues.page(ana, "all", "queue:financeiro")) == ["4"]
    assert protocols(queues.page(ana, "all", "protocol:20260302000")) == ["1", "2", "3", "4", "5"]
    assert protocols(queues.page(ana, "all", "type:Inexistente")) == []
    assert protocols(queues.page(ana, "open", "agent:bruno")) == ["2"]


def test_full_text_search_over_text_and_script_reports(desk_world):
    ana = desk_world["ana"]
    assert protocols(queues.search(ana, "internet")) == ["1"]
    assert protocols(queues.search(ana, "sinal optico")) == ["5"]  # script report, accents folded
    assert protocols(queues.search(ana, "LOS")) == ["1"]
    assert protocols(queues.search(ana, "modem")) == ["3"]
    assert protocols(queues.search(ana, "rasc")) == []  # drafts never listed
    assert protocols(queues.search(ana, "veloc")) == ["2"]  # prefix of the last word
    # FTS5 syntax in user text is just text
    for nasty in ('AND OR NOT', '* ( ) NEAR', "\x1b[31mred", "[bold]"):
        queues.search(ana, nasty)
    assert protocols(queues.page(ana, "open", "status:waiting_customer modem")) == ["3"]


def test_search_by_protocol_jumps_to_the_ticket(desk_world):
    ana = desk_world["ana"]
    assert queues.search(ana, " 2026030200004 ").jump_to == "2026030200004"
    assert queues.search(ana, "2026030200006").jump_to is None  # a draft
    assert queues.search(ana, "internet").jump_to is None


def test_search_index_follows_edits(desk_world):
    ana = desk_world["ana"]
    with write_tx():
        Ticket.update(solution="Troca de fibra").where(Ticket.protocol == "2026030200002").execute()
    assert protocols(queues.search(ana, "fibra")) == ["2"]
    with write_tx():
        Ticket.delete().where(Ticket.protocol == "2026030200002").execute()
    assert protocols(queues.search(ana, "fibra")) == []


def test_keyset_paging_walks_every_ticket_once(desk_world):
    ana = desk_world["ana"]
    for sort in queues.SORTS:
        for descending in (True, False):
            seen, after = [], None
            while True:
                p = queues.page(ana, "all", sort=sort, descending=descending, after=after, limit=2)
                seen += protocols(p)
                assert len(p.rows) <= 2
                after = p.next_cursor
                if after is None:
                    break
            assert sorted(seen) == ["1", "2", "3", "4", "5"], sort
            full = protocols(queues.page(ana, "all", sort=sort, descending=descending))
            assert seen == full


def test_sorting(desk_world):
    ana = desk_world["ana"]
    assert protocols(queues.page(ana, "all", sort="protocol", descending=False)) == ["1", "2", "3", "4", "5"]
    assert protocols(queues.page(ana, "all", sort="age", descending=False)) == ["5", "4", "3", "2", "1"]
    by_resp = queues.page(ana, "all", sort="responsible", descending=False)
    assert [r.responsible for r in by_resp.rows] == ["", "Ana Souza", "Ana Souza", "Bruno Lima", "Bruno Lima"]
    by_customer = queues.page(ana, "all", sort="customer", descending=False)
    assert [r.customer for r in by_customer.rows][:2] == ["João Pereira", "João Pereira"]
    with pytest.raises(ValidationError):
        queues.page(ana, "all", sort="colour")


def test_counts_are_separate_and_follow_filters(desk_world):
    ana = desk_world["ana"]
    assert queues.count(ana, "all") == 5
    assert queues.count(ana, "open") == 3
    assert queues.count(ana, "mine", "status:open") == 1
    assert queues.count(ana, "all", "internet") == 1
    assert queues.count(ana, "all", "customer:maria") == 3


def test_representatives_cannot_read_queues(desk_world):
    rep = Actor(login="rep", name="Rep", role="representative", id=999)
    with pytest.raises(PermissionDenied):
        queues.page(rep, "all")
    with pytest.raises(PermissionDenied):
        queues.count(rep, "all")


def test_export_csv_and_json(desk_world, store, tmp_path):
    import csv
    import io
    import json

    from click.testing import CliRunner

    from app import main

    ana = desk_world["ana"]
    with write_tx():
        Ticket.update(subject="x").where(Ticket.protocol == "2026030200001").execute()
        Customer.update(name="=HYPERLINK(1)").where(Customer.name == "João Pereira").execute()
    buf = io.StringIO()
    assert queues.export(ana, buf, "csv", "open") == 3
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows[0][:4] == ["protocol", "customer", "type", "status"]
    assert [r[0] for r in rows[1:]] == ["2026030200001", "2026030200002", "2026030200003"]
    assert rows[2][1] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    with pytest.raises(ValidationError):
        queues.export(ana, io.StringIO(), "xml")
    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(store), "export", "tickets", "--format", "json",
                               "--filter", 'type:"Sem conexão"', "--view", "all"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [d["protocol"] for d in data] == ["2026030200001", "2026030200003", "2026030200005"]
    assert data[0]["customer"] == "Maria [bold]Silva"
    target = tmp_path / "t.csv"
    out = runner.invoke(main, ["--db", str(store), "export", "tickets", "-o", str(target), "internet"])
    assert out.exit_code == 0 and target.read_text().count("\n") == 2
    out = runner.invoke(main, ["--db", str(store), "export", "tickets", "--filter", "colour:red"])
    assert out.exit_code == 1 and "Unknown field" in out.output
    out = runner.invoke(main, ["--db", str(store), "export", "tickets", "--format", "json", "--view", "waiting",
                               "--filter", "status:finished"])
    assert json.loads(out.stdout) == []


def test_search_splits_words_alike_on_both_stores(desk_world):
    """A word is a run of letters and digits on both stores (SQLite's unicode61):
    e-mails, addresses, numbers with dashes and underscores are found by their parts."""
    ana = desk_world["ana"]
    with write_tx():
        Ticket.update(solution="Escrever a fulano.tal@gmail.com, ver http://192.168.0.1/admin_page "
                      "e ONU ZTE-F660 v2.0; ref 20260301-0042 R$129,90 SSID casa_2g ação-rápida").where(
            Ticket.protocol == "2026030200002").execute()
    for text in ("gmail", "fulano tal", "tal@gmail.com", "192 168", "admin", "page", "admin_page",
                 "zte", "f660", "zte-f660", "v2", "0042", "20260301-0042", "129", "90", "casa", "2g",
                 "casa_2g", "acao rapida", "acao-rap", "RÁPIDA", "gmai", "http"):
        assert protocols(queues.search(ana, text)) == ["2"], text
    for text in ("gmailx", "fulanotal", "0043", "zte-f661"):
        assert protocols(queues.search(ana, text)) == [], text
