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


def fold(text: str) -> str:
    """Lower-case, accent-free form used for searching ("São" -> "sao")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())
