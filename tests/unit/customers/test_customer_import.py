"""`atende import customers`: the triage columns, validation, rejected rows, bad files."""
import json

import pytest
from click.testing import CliRunner

from models import AuditLog, Customer
from services.core.errors import PermissionDenied
from services.customers import imports
from services.customers.imports import ImportFileError

HEADER = "name;doc;email;phone;city;state;account_status;onboarding;franchise_group\n"


def write(tmp_path, text, encoding="utf-8", name="c.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_import_with_triage_columns_and_rejected_rows(people, tmp_path):
    path = write(tmp_path, HEADER +
                 "Padaria Pão Quente;529.982.247-25;padaria@uol.com.br;(11) 91234-5678;São Paulo;SP;ativo;não;\n"
                 "Loja Nova;11.222.333/0001-81;loja@nova.com.br;11 3333-4444;Campinas;sp;active;sim;\n"
                 "Filial Centro;39053344705;;;Santos;SP;bloqueado;no;Franquia X\n"
                 "CPF Errado;123.456.789-00;x@y.com.br;;;;active;no;\n"
                 "E-mail Errado;11144477735;not-an-email;;;;active;no;\n"
                 "Telefone Errado;45723174000110;;12;;;active;no;\n"
                 "Status Errado;71428793860;;;;;encerrado;talvez;\n"
                 "Linha Curta;12345\n"
                 "Duplicado;52998224725;;;;;active;no;\n")
    report = imports.import_customers(people["supervisor"], path)
    assert (report.added, report.updated) == (3, 0)
    rejected = {r.line: r.errors for r in report.rejected}
    assert set(rejected) == {5, 6, 7, 8, 9, 10}
    assert "doc" in rejected[5] and "email" in rejected[6] and "phone" in rejected[7]
    assert set(rejected[8]) == {"account_status", "onboarding"}
    assert "header has 9 columns" in rejected[9][""]
    assert "line 2" in rejected[10]["doc"]
    c = Customer.get(Customer.doc == "11222333000181")
    assert ((c.onboarding, c.account_status, c.state, c.doc_kind, c.phone_digits)
            == (True, "active", "SP", "cnpj", "551133334444"))
    c = Customer.get(Customer.doc == "39053344705")
    assert (c.account_status, c.franchise_group, c.name_norm) == ("blocked", "Franquia X", "filial centro")
    assert AuditLog.select().where(AuditLog.action == "import").count() == 1


def test_a_cnpj_with_letters_is_imported_with_them(people, tmp_path):
    rows = "Loja Alfa;12.abc.345/01de-35;;;;;active;no;\nLoja Beta;12.ABC.345/01DE-36;;;;;active;no;\n"
    report = imports.import_customers(people["admin"], write(tmp_path, HEADER + rows))
    assert report.added == 1 and [r.line for r in report.rejected] == [3]
    assert Customer.get(Customer.name == "Loja Alfa").doc == "12ABC34501DE35"


def test_known_document_updates_the_customer(people, tmp_path):
    imports.import_customers(people["admin"], write(tmp_path, HEADER + "Loja;52998224725;;;;;active;no;\n"))
    report = imports.import_customers(
        people["admin"], write(tmp_path, "nome,cpf_cnpj,status_conta,onboarding,franquia\n"
                                         "Loja Nova,529.982.247-25,bloqueado,sim,Rede Y\n"))
    assert (report.added, report.updated) == (0, 1)
    c = Customer.get(Customer.doc == "52998224725")
    assert (c.name, c.account_status, c.onboarding, c.franchise_group) == ("Loja Nova", "blocked", True, "Rede Y")


def test_dry_run_saves_nothing(people, tmp_path):
    report = imports.import_customers(people["admin"],
                                              write(tmp_path, HEADER + "Loja;52998224725;;;;;active;no;\n"),
                                              dry_run=True)
    assert report.added == 1 and Customer.select().count() == 0


@pytest.mark.parametrize("text,match", [
    ("nome;documento;onboardng\nX;52998224725;sim\n", "unknown columns: onboardng"),
    ("email;phone\nx@y.com;\n", "missing columns: name, doc"),
    ("name;doc;nome\nX;1;Y\n", "repeated columns: name"),
    ("", "is empty"),
])
def test_wrong_columns(people, tmp_path, text, match):
    with pytest.raises(ImportFileError, match=match):
        imports.import_customers(people["admin"], write(tmp_path, text))
    assert Customer.select().count() == 0


def test_broken_encoding_is_explained_and_cp1252_accepted(people, tmp_path):
    path = write(tmp_path, HEADER + "Padaria São João;52998224725;;;;;active;não;\n", encoding="cp1252")
    with pytest.raises(ImportFileError, match=r"not valid utf-8 text \(line 2\).*--encoding cp1252"):
        imports.import_customers(people["admin"], path)
    report = imports.import_customers(people["admin"], path, encoding="cp1252")
    assert report.added == 1 and Customer.get().name == "Padaria São João"


def test_binary_file_and_missing_file(people, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(ImportFileError, match="not a CSV text file"):
        imports.import_customers(people["admin"], path)
    with pytest.raises(ImportFileError, match="Cannot read"):
        imports.import_customers(people["admin"], tmp_path / "nope.csv")


def test_devices_pipes_and_huge_files_are_refused_without_reading_them(people, tmp_path, store, monkeypatch):
    from app import main
    from tests.unit.core.test_files import bad_paths, in_time

    for path, word in bad_paths(tmp_path, imports.MAX_BYTES).items():
        with pytest.raises(ImportFileError) as err:
            in_time(lambda path=path: imports.import_customers(people["admin"], path))
        assert word in err.value.message and "\n" not in err.value.message, path
    monkeypatch.setattr("services.store.users.os_login", lambda: people["supervisor"].login)
    fifo = next(p for p in bad_paths(tmp_path, 10) if p.endswith("pipe"))
    for path in ("/dev/zero", fifo):
        out = in_time(lambda path=path: CliRunner().invoke(main, ["--db", str(store), "import", "customers", path]))
        assert out.exit_code == 1 and len(out.output.strip().splitlines()) == 1
        assert out.output.startswith("atende: Cannot read the CSV: ") and "not a regular file" in out.output


def test_agents_may_not_import(people, tmp_path):
    with pytest.raises(PermissionDenied):
        imports.import_customers(people["agent"], write(tmp_path, HEADER))


def test_cli(store, people, tmp_path, monkeypatch):
    from app import main

    monkeypatch.setattr("services.store.users.os_login", lambda: people["supervisor"].login)
    good = write(tmp_path, HEADER + "Loja;52998224725;;;;;active;no;\n", name="good.csv")
    out = CliRunner().invoke(main, ["--db", str(store), "import", "customers", str(good)])
    assert out.exit_code == 0 and "1 added, 0 updated, 0 rejected." in out.output
    bad = write(tmp_path, HEADER + "Loja;111;;;;;active;no;\n", name="bad.csv")
    out = CliRunner().invoke(main, ["--db", str(store), "import", "customers", str(bad), "--json"])
    assert out.exit_code == 1
    assert json.loads(out.output)["rejected"][0]["line"] == 2
    wrong = write(tmp_path, "foo;bar\n1;2\n", name="wrong.csv")
    out = CliRunner().invoke(main, ["--db", str(store), "import", "customers", str(wrong)])
    assert out.exit_code == 1 and out.output.startswith("atende: Wrong columns") and "Traceback" not in out.output
