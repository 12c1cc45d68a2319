"""English and Brazilian Portuguese ship complete."""
import re

import pytest

from services.core import i18n
from tests.tools import i18n_tool

PLACEHOLDER = re.compile(r"\{(\w*)")


@pytest.fixture(scope="module")
def template():
    return i18n_tool.extract()


@pytest.mark.parametrize("lang", i18n_tool.LANGS)
def test_every_string_is_translated(lang, template):
    missing = i18n_tool.missing(i18n_tool.read(lang), template)
    assert missing == [], f"run: python tests/tools/i18n_tool.py  ({len(missing)} untranslated)"


@pytest.mark.parametrize("lang", i18n_tool.LANGS)
def test_placeholders_match(lang):
    for message in i18n_tool.read(lang):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        want = set(PLACEHOLDER.findall(ids[0]))
        for s in strs:
            assert set(PLACEHOLDER.findall(s)) == want, (message.id, s)


@pytest.mark.parametrize("lang", i18n_tool.LANGS)
def test_compiled_catalog_is_current(lang):
    """The committed .mo holds exactly the .po's translations.

    Compared as messages read back, not as bytes: the bytes differ between Babel
    releases (hash table, header), and a fresh install picks whichever is newest.
    """
    committed = i18n_tool.mo_messages(i18n_tool.mo_path(lang).read_bytes())
    expected = i18n_tool.po_messages(i18n_tool.read(lang))
    assert expected, "the .po holds no translation"
    stale = {k for k in expected.keys() | committed.keys() if committed.get(k) != expected.get(k)}
    assert not stale, (f"run: python tests/tools/i18n_tool.py  ({len(stale)} messages differ, "
                       f"e.g. {sorted(map(str, stale))[:3]})")


def test_language_resolution():
    assert i18n.resolve_language(None, {"LANG": "pt_BR.UTF-8"}) == "pt_BR"
    assert i18n.resolve_language(None, {"LANG": "pt_PT.UTF-8"}) == "pt_BR"
    assert i18n.resolve_language(None, {"LANG": "C.UTF-8"}) == "en"
    assert i18n.resolve_language("en", {"LANG": "pt_BR.UTF-8"}) == "en"
    assert i18n.resolve_language(None, {"LANGUAGE": "de:pt_BR", "LANG": "en_US"}) == "pt_BR"
    assert i18n.resolve_language(None, {}) == "en"


def test_portuguese_is_installed():
    i18n.set_language("pt_BR")
    assert i18n._("Quit") == "Sair"
    i18n.set_language("en")
    assert i18n._("Quit") == "Quit"
