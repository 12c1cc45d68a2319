import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core import validation as v
from services.core.errors import ValidationError
from services.core.text import clean, fold


def test_cpf_cnpj():
    assert v.cpf("529.982.247-25") == "52998224725"
    assert v.cnpj("11.222.333/0001-81") == "11222333000181"
    assert v.cpf_or_cnpj("11.222.333/0001-81") == ("11222333000181", "cnpj")
    for bad in ("529.982.247-24", "111.111.111-11", "123"):
        with pytest.raises(ValidationError, match="CPF"):
            v.cpf(bad)
    assert v.cpf("", required=False) == ""


def test_alphanumeric_cnpj_keeps_its_letters():
    assert v.cnpj("12.abc.345/01de-35") == "12ABC34501DE35"
    assert v.cpf_or_cnpj(" 12.ABC.345/01DE-35 ") == ("12ABC34501DE35", "cnpj")
    for bad in ("12.ABC.345/01DE-36", "12.ABC.345/01DE-3X", "00.000.000/0000-00"):
        with pytest.raises(ValidationError, match="CNPJ") as err:
            v.cnpj(bad)
        assert err.value.errors == {"cnpj": "Invalid CNPJ: check the digits"}
    with pytest.raises(ValidationError, match="11 digits"):
        v.cpf_or_cnpj("529.982.247-2A")  # letters never make a CPF


def test_email_and_phone():
    assert v.email(" Joao@Example.COM ") == "Joao@example.com"
    with pytest.raises(ValidationError, match="e-mail"):
        v.email("joao@")
    assert v.phone("(11) 91234-5678") == "+55 11 91234-5678"
    with pytest.raises(ValidationError, match="phone"):
        v.phone("12345")


def test_dates_times_and_numbers():
    assert v.date("31/12/2026") == dt.date(2026, 12, 31)
    assert v.date("2026-12-31") == dt.date(2026, 12, 31)
    with pytest.raises(ValidationError):
        v.date("31/02/2026")
    assert v.time("14:30") == dt.time(14, 30)
    with pytest.raises(ValidationError):
        v.time("25:00")
    assert v.positive_int("12", "seats") == 12
    for bad in ("0", "-3", "x", "9" * 12):
        with pytest.raises(ValidationError) as err:
            v.positive_int(bad, "seats")
        assert "seats" in err.value.errors


def test_long_text_limit_keeps_a_clear_message():
    with pytest.raises(ValidationError, match="Too long"):
        v.long_text("x" * 1_000_001, "problem")


def test_clean_removes_escapes_and_nul():
    assert clean("a\x1b[31mred\x1b[0m\x00b") == "aredb"
    assert clean("x\x1b]0;title\x07y") == "xy"
    assert clean("  two\n lines ") == "two lines"
    assert clean("keep\nlines", multiline=True) == "keep\nlines"
    assert clean("[bold]x[/") == "[bold]x[/"


def test_fold():
    assert fold("São João ÇÃ") == "sao joao ca"


@given(st.text())
def test_clean_never_leaves_control_characters(text):
    out = clean(text, multiline=True)
    assert "\x00" not in out and "\x1b" not in out
    assert all(c in "\n\t" or ord(c) >= 0x20 for c in out if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f)


def test_record_id_is_a_whole_number_the_store_can_hold():
    from services.core.validation import MAX_ID, record_id

    assert MAX_ID == 2**63 - 1
    assert [record_id(v) for v in (1, "12", "#12", " 7 ", str(MAX_ID), MAX_ID)] == [1, 12, 12, 7, MAX_ID, MAX_ID]
    for bad in (0, -1, "0", "-1", str(MAX_ID + 1), MAX_ID + 1, "99999999999999999999", "²", "١٢", "1e3", "",
                None, True, "12a", "1 2"):
        assert record_id(bad) is None, bad
