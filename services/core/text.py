"""Cleaning and normalising text typed or pasted by people."""
from __future__ import annotations

import re
import unicodedata

# CSI / OSC / other ESC sequences, then any C0/C1 control but tab and newline.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str | None, *, multiline: bool = False) -> str:
    """Remove escape sequences, NUL and control characters; trim the ends.

    Single-line fields also fold newlines and tabs into spaces.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ANSI.sub("", text)
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


# What a terminal must never be handed from data: C0 controls but tab and
# newline (ESC starts the sequences that retitle, clear or rewrite a screen),
# DEL, the C1 controls (0x9b is a CSI on its own) and the bidi overrides and
# isolates that reorder what is shown ("Trojan source"). Each becomes one
# visible character: its Unicode "control picture" (ESC -> "␛"), or U+FFFD.
DISPLAY_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)}
DISPLAY_TABLE[0x7F] = "\u2421"
DISPLAY_TABLE.update(dict.fromkeys(range(0x80, 0xA0), "\ufffd"))
DISPLAY_TABLE.update(dict.fromkeys((*range(0x202A, 0x202F), *range(0x2066, 0x206A)), "\ufffd"))
_ONE_LINE_TABLE = {**DISPLAY_TABLE, 0x0A: "\u240a"}


def shown(text: str, *, multiline: bool = True) -> str:
    """`text` made safe to write to a terminal: every character of
    DISPLAY_TABLE becomes a visible one, so data written by another program
    never drives the terminal; the length stays the same. Multi-line text
    keeps its newlines, tabs and CR LF line ends; one-line text shows a
    newline too ("␊")."""
    if not text:
        return ""
    if not multiline:
        return text.translate(_ONE_LINE_TABLE)
    if "\r\n" in text:
        return "\r\n".join(part.translate(DISPLAY_TABLE) for part in text.split("\r\n"))
    return text.translate(DISPLAY_TABLE)


class ShownStream:
    """A text stream writing `shown()` text to the one it wraps: the command
    line's standard output, which every command's data goes through (echo,
    the CSV and JSON exports). Its `buffer` is hidden so nothing (click
    included) writes around it."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._stream.write(shown(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._stream, name)


def fold(text: str) -> str:
    """Lower-case, accent-free form used for searching ("São" -> "sao")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def doc_chars(text: str) -> str:
    """A CPF/CNPJ as stored: its ASCII letters and digits, letters upper-cased
    (from July 2026 a CNPJ may hold letters: 12.ABC.345/01DE-35)."""
    return "".join(c for c in text.upper() if c.isascii() and c.isalnum())
