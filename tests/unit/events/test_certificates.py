"""Certificates read back with pypdf; verification; bad input."""
import datetime as dt

import pytest
from pypdf import PdfReader

from services.core.errors import NotFound, ValidationError
from services.events import certificates as certs
from services.events import issuing

CPF = "529.982.247-25"


def data(name="Júlia Ñandú", key="registration:1", **kw):
    base = dict(participant_name=name, cpf=CPF, event_title="Treinamento Módulo Fiscal", workload_hours=8,
                start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 3), key=key, signer="Elisa Martins")
    base.update(kw)
    return certs.CertificateData(**base)


def text_of(path):
    reader = PdfReader(path)
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert width > height  # landscape
    assert abs(width - 841.89) < 1 and abs(height - 595.28) < 1  # A4
    return page.extract_text()


def test_mask_cpf():
    assert certs.mask_cpf("123.456.789-09") == "***.456.789-**"
    assert certs.mask_cpf("123") == ""


@pytest.mark.parametrize("name", ["Júlia Ñandú da Conceição", "Юрий Алексеевич Гагарин", "Ωμέγα Straße Øster"])
def test_pdf_holds_name_event_masked_cpf_and_code(store, name):
    path = certs.issue_certificate(data(name))
    text = text_of(path)
    info = certs.verify(path.stem)
    assert name in text
    assert "Treinamento Módulo Fiscal" in text
    assert "***.982.247-**" in text and "529.982" not in text
    assert info.code in text
    assert info.participant_name == name and info.cpf_masked == "***.982.247-**"


def test_same_key_keeps_its_code_and_verify_accepts_sloppy_input(store):
    first = certs.issue_certificate(data())
    again = certs.issue_certificate(data(name="Júlia Ñandú Silva"))
    assert first == again
    code = first.stem
    info = certs.verify(code.lower().replace("-", " "))
    assert info.participant_name == "Júlia Ñandú Silva"
    with pytest.raises(NotFound):
        certs.verify("XXXX-XXXX-XXXX")


def test_bad_input_is_a_clear_error(store):
    with pytest.raises(ValidationError) as exc:
        certs.issue_certificate(data(cpf="529.982.247-24"))  # wrong check digit
    assert "cpf" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        certs.issue_certificate(data(name="x" * 301))
    assert "participant_name" in exc.value.errors
    with pytest.raises(ValidationError):
        certs.issue_certificate(data(end=dt.date(2026, 3, 1)))


def test_a_300_character_name_and_characters_outside_the_fast_font(store):
    long_name = ("Maria " * 60)[:300].strip()
    text = text_of(certs.issue_certificate(data(long_name, key="k-long")))
    assert "Maria Maria" in text
    mixed = "Արամ ნინო Maria"  # Armenian and Georgian: outside the pre-subset repertoire
    text = text_of(certs.issue_certificate(data(mixed, key="k-mixed")))
    assert mixed in text


def test_certificate_mail_attaches_the_pdf(store):
    from models import write_tx
    from models.mail import Outbox

    d = data(email="julia@example.com")
    path = certs.issue_certificate(d)
    with write_tx():
        first = certs.mail_certificate(d, path)
        again = certs.mail_certificate(d, path)
    row = Outbox.get_by_id(first)
    assert first == again and row.kind == "certificate"
    assert path.name in row.attachments and path.stem in row.body_text


def test_issue_for_an_unknown_event(people):
    from services.core.errors import NotFound

    with pytest.raises(NotFound):
        issuing.issue_event(people["coordinator"], "12")
