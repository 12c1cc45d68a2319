"""Reading an e-mail that came in (RFC 5322 bytes): who sent it, its subject,
its text, its files, its place in a thread, and whether a person wrote it.

What the desk does with it is `services.tickets.mail_in`'s; this module only
reads. Mail is written in every way: the text is the plain part, or the HTML
part turned into text (stdlib `html.parser`); a part's declared charset is
tried first, then UTF-8 and Windows-1252 (what "iso-8859-1" mail from Windows
really is); headers' encoded-words are decoded by the standard library's
parser, with a lenient fallback for malformed ones.

Mail no person wrote never opens a ticket (`Inbound.automatic` says why):
`Auto-Submitted` other than "no", `Precedence: bulk/junk/list`,
`X-Autoreply`/`X-Autorespond`, delivery reports and mailer-daemon senders
(bounces), and our own mail coming back (our sender address, or the
`X-Atende-Outbox` header every mail we send carries).
"""
from __future__ import annotations

import email
import hashlib
import mimetypes
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from services.core.i18n import N_
from services.core.text import clean
from services.mail.outbox import message_ids

MAX_MESSAGE_ID = 250
"""The stored Message-ID's length (models.desk.MailIn); a longer one is kept as its digest."""
PROTOCOL_IN_SUBJECT = re.compile(r"\[#\s*([^\[\]\s]{1,40})\s*\]")
"""A ticket's protocol in a subject: "[#20261204000123]" (what our replies carry)."""
DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")

AUTO_SUBMITTED = N_("automatic message (Auto-Submitted: {value})")
PRECEDENCE = N_("bulk or list mail (Precedence: {value})")
AUTOREPLY = N_("automatic reply ({header})")
BOUNCE = N_("delivery report (bounce)")
LOOP = N_("our own e-mail came back (loop)")


@dataclass(frozen=True)
class InboundFile:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Inbound:
    message_id: str
    sender: str  # the address, as written (the domain lower-case)
    sender_name: str
    subject: str
    text: str
    files: tuple[InboundFile, ...]
    in_reply_to: str
    references: tuple[str, ...]
    automatic: str = ""
    """Why no person wrote it (a msgid of this module, untranslated; `automatic_args` fill it), or ""."""
    automatic_args: tuple[tuple[str, str], ...] = ()

    @property
    def protocol(self) -> str:
        """The ticket protocol the subject names, or ""."""
        found = PROTOCOL_IN_SUBJECT.search(self.subject)
        return found.group(1) if found else ""


# ---------------------------------------------------------------- headers


def header(msg: Message, name: str) -> str:
    """One header as clean text, encoded-words decoded; never raises on a malformed one."""
    try:
        value = msg.get(name)
        return clean(str(value)) if value is not None else ""
    except Exception:  # a header the strict parser refuses: decode it leniently
        for key, raw in msg.raw_items():
            if key.lower() == name.lower():
                return clean(_lenient(raw))
        return ""


def _lenient(raw: str) -> str:
    try:
        return str(make_header(decode_header(raw)))
    except Exception:
        return raw


def _message_id(msg: Message, raw: bytes) -> str:
    found = message_ids([header(msg, "Message-ID")])
    if not found:  # none (or nothing like one): the same bytes always give the same one
        return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.atende>"
    value = found[0]
    if len(value) > MAX_MESSAGE_ID:
        return f"<{hashlib.sha256(value.encode('utf-8')).hexdigest()[:40]}@long-message-id.atende>"
    return value


def _sender(msg: Message) -> tuple[str, str]:
    for name in ("From", "Sender", "Reply-To"):
        pairs = getaddresses([header(msg, name)])
        for display, addr in pairs:
            addr = clean(addr)
            if "@" in addr:
                local, _at, domain = addr.rpartition("@")
                return f"{local}@{domain.lower()}", clean(display)
    return "", ""


def _automatic(msg: Message, sender: str, own: Iterable[str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    auto = header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return AUTO_SUBMITTED, (("value", auto[:60]),)
    precedence = header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list"):
        return PRECEDENCE, (("value", precedence),)
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if msg.get(name) is not None:
            return AUTOREPLY, (("header", name),)
    local = sender.rpartition("@")[0].lower()
    return_path = header(msg, "Return-Path")
    if (local in DAEMONS or msg.get_content_type() == "multipart/report"
            or return_path.replace(" ", "") == "<>" or not sender):
        return BOUNCE, ()
    own_addresses = {parseaddr(a)[1].lower() for a in own if a}
    if sender.lower() in own_addresses or msg.get("X-Atende-Outbox") is not None:
        return LOOP, ()
    return "", ()


# ---------------------------------------------------------------- body


def decode_text(data: bytes, charset: str = "") -> str:
    """Bytes of a text part as str: the declared charset first, then UTF-8,
    then Windows-1252; Latin-1 last, which never fails. A Latin-1 or ASCII
    label (often wrong) yields to UTF-8 when the bytes are valid UTF-8, and
    is read as Windows-1252, its superset, otherwise."""
    declared = (charset or "").strip().strip('"').lower()
    order = [declared, "utf-8", "cp1252"]
    if declared in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1", "windows-1252", "cp1252"):
        order = ["utf-8", "cp1252"]
    for candidate in order:
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = str(part.get_payload() or "").encode("utf-8", "replace")
    return decode_text(payload, part.get_content_charset() or "")


class _HtmlText(HTMLParser):
    BLOCKS = {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
              "blockquote", "pre", "hr", "section", "article", "header", "footer", "dt", "dd"}
    SKIP = {"script", "style", "head", "title", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")
            if tag == "li":
                self.out.append("- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self.BLOCKS and tag != "li":
            self.out.append("\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http://", "https://")) and href not in self.out[-1:]:
                self.out.append(f" ({href})")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: blocks on their own lines, list items
    dashed, links' addresses kept, scripts and styles dropped."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; whatever it still chokes on is shown as it is
        return clean(html, multiline=True)
    lines = [" ".join(line.split()) for line in "".join(parser.out).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _walk(part: Message) -> Iterator[Message]:
    """Every leaf part, an attached message as one part (never its insides)."""
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for sub in part.get_payload():
            yield from _walk(sub)
    else:
        yield part


def _is_file(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return (disposition == "attachment" or part.get_filename() is not None
            or part.get_content_type() not in ("text/plain", "text/html"))


def _file(part: Message, n: int) -> InboundFile:
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner else part.as_bytes()
        name = "message.eml"
    else:
        data = part.get_payload(decode=True) or b""
        name = ""
    try:
        name = part.get_filename() or name
    except Exception:
        name = name or ""
    name = clean(_lenient(name) if "=?" in name else name) or f"attachment-{n}"
    return InboundFile(name=name, content_type=ctype, data=data)


def _body_and_files(msg: Message) -> tuple[str, tuple[InboundFile, ...]]:
    plain = html = None
    files = []
    for part in _walk(msg):
        if _is_file(part):
            files.append(_file(part, len(files) + 1))
        elif part.get_content_type() == "text/plain" and plain is None:
            plain = _part_text(part)
        elif part.get_content_type() == "text/html" and html is None:
            html = _part_text(part)
        else:  # a second text part (a mail client's signature, a forwarded piece): kept as it is
            ext = "html" if part.get_content_type() == "text/html" else "txt"
            files.append(InboundFile(f"part-{len(files) + 1}.{ext}", part.get_content_type(),
                                     part.get_payload(decode=True) or b""))
    if plain is not None and clean(plain, multiline=True):
        text = plain
    elif html is not None:
        text = html_to_text(html)
    else:
        text = plain or ""
    return _unwrap_tnef(clean(text, multiline=True), files)


def _is_tnef(f: InboundFile) -> bool:
    return f.content_type == "application/ms-tnef" or f.name.lower() == "winmail.dat"


def _unwrap_tnef(text: str, files: list[InboundFile]) -> tuple[str, tuple[InboundFile, ...]]:
    """Outlook's winmail.dat (TNEF) opened: its files become the message's
    own, and its body the text when the mail had none (an RTF-only body is
    kept as message.rtf). One that cannot be read stays as it came."""
    out: list[InboundFile] = []
    for f in files:
        if not _is_tnef(f):
            out.append(f)
            continue
        try:
            from tnefparse import TNEF

            tnef = TNEF(f.data, do_checksum=False)
            inner = [InboundFile(clean(a.long_filename() or a.name or "") or f"attachment-{len(out) + i + 1}",
                                 mimetypes.guess_type(a.long_filename() or "")[0] or "application/octet-stream",
                                 bytes(a.data or b"")) for i, a in enumerate(tnef.attachments)]
            body = tnef.body if isinstance(tnef.body, str) else (tnef.body or b"").decode("utf-8", "replace")
            html = tnef.htmlbody if isinstance(tnef.htmlbody, str) else (tnef.htmlbody or b"").decode("utf-8",
                                                                                                     "replace")
            rtf = tnef.rtfbody
        except Exception:  # noqa: BLE001 - a damaged or unknown TNEF is kept as the file it is
            out.append(f)
            continue
        out.extend(inner)
        if not text.strip():
            text = clean(body, multiline=True) or (clean(html_to_text(html), multiline=True) if html else "")
        if rtf and not text.strip():
            out.append(InboundFile("message.rtf", "application/rtf", bytes(rtf)))
    return text, tuple(out)


# ---------------------------------------------------------------- the message


def parse(raw: bytes, own: Iterable[str] = ()) -> Inbound:
    """Read one message. `own`: our sender addresses (mail from them is a loop)."""
    msg: EmailMessage = email.message_from_bytes(raw, policy=policy.default)
    sender, name = _sender(msg)
    automatic, args = _automatic(msg, sender, own)
    text, files = _body_and_files(msg)
    return Inbound(
        message_id=_message_id(msg, raw), sender=sender, sender_name=name,
        subject=header(msg, "Subject"), text=text, files=files,
        in_reply_to=next(iter(message_ids([header(msg, "In-Reply-To")])), ""),
        references=tuple(message_ids([header(msg, "References")])),
        automatic=automatic, automatic_args=args)
