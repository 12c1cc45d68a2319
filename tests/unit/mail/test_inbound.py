"""Reading mail that came in: charsets, headers, HTML, files, automatic mail."""
import pytest

from services.mail import inbound


def test_charsets_declared_wrongly_are_still_read():
    text = "Cobrança “duplicada” – ação"
    assert inbound.decode_text(text.encode("cp1252"), "iso-8859-1") == text  # Windows mail labelled Latin-1
    assert inbound.decode_text(text.encode("utf-8"), "iso-8859-1") == text  # valid UTF-8 wins over Latin-1
    assert inbound.decode_text(text.encode("cp1252"), "utf-8") == text  # a label that cannot be right
    assert inbound.decode_text("ação".encode("iso-8859-15"), "iso-8859-15") == "ação"
    assert inbound.decode_text(text.encode("utf-8"), "x-unknown-charset") == text
    assert inbound.decode_text(b"\x81\x8d", "") == "\x81\x8d"  # never fails


def test_headers_encoded_words_and_a_malformed_one():
    raw = (b"From: =?iso-8859-1?Q?Jos=E9?= <jose@Example.COM>\r\n"
           b"Subject: =?utf-8?B?w6lwaWNv?= and =?utf-8?q?broken\r\n\r\nhi\r\n")
    mail = inbound.parse(raw)
    assert (mail.sender, mail.sender_name) == ("jose@example.com", "José")
    assert mail.subject.startswith("épico and")


def test_a_message_without_message_id_gets_one_from_its_bytes():
    raw = b"From: a@example.com\r\nSubject: x\r\n\r\nhello\r\n"
    assert inbound.parse(raw).message_id == inbound.parse(raw).message_id != inbound.parse(raw + b"!").message_id
    long_id = b"<" + b"x" * 400 + b"@example.com>"
    assert len(inbound.parse(b"Message-ID: " + long_id + b"\r\n" + raw).message_id) <= inbound.MAX_MESSAGE_ID


def test_html_to_text():
    html = ("<style>p{}</style><h1>Título</h1><p>Um&nbsp;<b>dois</b> <a href='https://x.example/'>link</a></p>"
            "<table><tr><td>a</td><td>b</td></tr></table><script>evil()</script>")
    assert inbound.html_to_text(html) == "Título\n\nUm dois link (https://x.example/)\n\na b"


def test_an_attached_message_is_one_file():
    raw = (b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: text/plain\r\n\r\nsee below\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
           b"From: c@example.com\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n")
    mail = inbound.parse(raw)
    assert mail.text == "see below"
    assert [(f.name, f.content_type) for f in mail.files] == [("message.eml", "message/rfc822")]
    assert b"inner body" in mail.files[0].data


@pytest.mark.parametrize("subject,protocol", [
    ("Re: [#20261204000123] Sem conexão", "20261204000123"),
    ("RES: RE: [# ABC-7 ] x", "ABC-7"),
    ("[20261204000123] no hash", ""),
    ("nothing", ""),
])
def test_the_protocol_in_a_subject(subject, protocol):
    raw = f"From: a@example.com\r\nSubject: {subject}\r\n\r\nx\r\n".encode()
    assert inbound.parse(raw).protocol == protocol
