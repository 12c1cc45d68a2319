"""Translations through gettext catalogs kept in ``data/locale``.

`_` translates at call time; `N_` only marks a string for extraction (for
class-level texts such as key-binding descriptions, translated when shown).
"""
from __future__ import annotations

import gettext
import os
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


def current_language() -> str:
    return _language


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message
