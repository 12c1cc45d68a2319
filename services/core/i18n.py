"""Translations through gettext catalogs kept in ``data/locale``.

`_` translates at call time; `N_` only marks a string for extraction (for
class-level texts such as key-binding descriptions, translated when shown).
"""
from __future__ import annotations

import gettext
import os
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

DOMAIN = "atende"
LANGUAGES = {"en": "English", "pt_BR": "Português (Brasil)"}

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def locale_dir() -> str:
    import data

    return str(Path(data.__file__).parent / "locale")


def resolve_language(configured: str | None = None, environ: dict | None = None) -> str:
    """Pick a shipped language from the config value, else LANGUAGE/LC_ALL/LC_MESSAGES/LANG."""
    env = os.environ if environ is None else environ
    candidates = [configured] if configured else []
    candidates += [env.get(k) for k in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")]
    for raw in candidates:
        if not raw:
            continue
        for part in raw.split(":"):
            code = part.split(".")[0].split("@")[0].replace("-", "_")
            if code in ("C", "POSIX", ""):
                continue
            if code.lower().startswith("pt"):
                return "pt_BR"
            if code.lower().startswith("en"):
                return "en"
    return "en"


def set_language(language: str) -> str:
    """Install `language` ("en" or "pt_BR"); returns the one installed."""
    global _translation, _language
    if language not in LANGUAGES:
        language = resolve_language(language)
    _translation = _catalog(language)
    _language = language
    return language


_catalogs: dict[str, gettext.NullTranslations] = {}


def _catalog(language: str) -> gettext.NullTranslations:
    """The translations of a shipped language, read once."""
    if language not in _catalogs:
        _catalogs[language] = (gettext.NullTranslations() if language == "en" else
                               gettext.translation(DOMAIN, locale_dir(), languages=[language], fallback=True))
    return _catalogs[language]


_request_language: ContextVar[str | None] = ContextVar("atende_language", default=None)
"""A language for this thread or task only (a web request), over the process's."""


def current_language() -> str:
    return _request_language.get() or _language


@contextmanager
def language_for(language: str):
    """Translate in `language` ("en", "pt_BR" or anything resolve_language
    reads) within the block, in this thread or task only: each request of a
    web server is answered in its own language while others are."""
    if language not in LANGUAGES:
        language = resolve_language(language)
    token = _request_language.set(language)
    try:
        yield language
    finally:
        _request_language.reset(token)


def _active() -> gettext.NullTranslations:
    override = _request_language.get()
    return _translation if override is None else _catalog(override)


def _(message: str) -> str:
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active().ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message
