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


def test_the_workload_agrees_with_its_number(store):
    one = " ".join(text_of(certs.issue_certificate(data(key="k:1", workload_hours=1))).split())
    two = " ".join(text_of(certs.issue_certificate(data(key="k:2", workload_hours=2))).split())
    half = " ".join(text_of(certs.issue_certificate(data(key="k:3", workload_hours=1.5))).split())
    assert "carga horária de 1 hora." in one and "1 horas" not in one
    assert "carga horária de 2 horas." in two and "carga horária de 1,5 horas." in half
    english = " ".join(text_of(certs.issue_certificate(data(key="k:4", workload_hours=1, language="en"))).split())
    assert "workload of 1 hour." in english and "CERTIFICATE" in english


def test_the_organisation_and_its_signatory_come_from_the_settings(people):
    """Issued for an event: org.name and org.signatory, not the product's name."""
    from services.events import checkin
    from services.events import registrations as er
    from services.store import settings
    from tests.unit.events.test_events import hold, mails, make_event, open_registration, person

    admin, coord = people["admin"], people["coordinator"]
    settings.set_value(admin, "org.name", "  Provedor Exemplo   Telecom Ltda ")
    settings.set_value(admin, "org.signatory", "Elisa Martins, coordenadora de treinamentos")
    event = open_registration(coord, make_event(coord, workload_hours="2"))
    reg = er.register(coord, event.id, person(1, cpf=CPF)).registration
    checkin.checkin(coord, reg.code, event.id)
    hold(coord, event)
    assert issuing.issue_event(coord, str(event.id)).issued == 1
    [mail] = mails("certificate")
    assert mail["text"].rstrip().endswith("Provedor Exemplo Telecom Ltda") and "Atende" not in mail["text"]
    assert "2 horas" in mail["text"] and "2 horas horas" not in mail["text"]
    import json

    from models.mail import Outbox
    from services.mail.transport import attachment_file

    [pdf] = json.loads(Outbox.get(Outbox.kind == "certificate").attachments)
    text = " ".join(text_of(attachment_file(pdf["path"])).split())
    assert "Provedor Exemplo Telecom Ltda" in text and "Elisa Martins, coordenadora de treinamentos" in text
    assert "Atende" not in text
    with pytest.raises(ValidationError):
        settings.set_value(admin, "org.name", "x" * 201)
