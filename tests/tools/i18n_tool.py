"""Keep the gettext catalogs in step with the source.

    python tests/tools/i18n_tool.py          # extract, merge into pt_BR.po, compile .mo,
                                       # and list what still needs translating

Strings are marked with `_()`, `N_()` or `ngettext()` in app.py, screens/,
tui/ and services/. The test suite fails when a string lacks a Portuguese
translation or the .mo is older than the .po.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "data" / "locale"
LANGS = ("pt_BR",)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
SOURCES = ("services", "screens", "tui", "models")


def extract() -> Catalog:
    catalog = Catalog(project="atende", domain="atende")
    found = list(extract_from_file("python", ROOT / "app.py", keywords=KEYWORDS))
    for folder in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")],
                keywords=KEYWORDS):
            found.append((lineno, message, comments, context, f"{folder}/{filename}"))
    for item in found:
        if len(item) == 4:
            lineno, message, comments, context = item
            where = "app.py"
        else:
            lineno, message, comments, context, where = item
        catalog.add(message, locations=[(where, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / "atende.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain="atende")
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain="atende")


def mo_messages(data: bytes) -> dict:
    """What a compiled catalogue holds, read back as gettext reads it: {msgid: msgstr}.

    Plural entries are keyed (msgid, n) as GNUTranslations keeps them. The header
    entry (msgid "") is left out: its text (creation date, generator) varies with
    the tool that wrote it, not with the translations.
    """
    import gettext

    translations = gettext.GNUTranslations(io.BytesIO(data))
    # _catalog is the table gettext itself looks messages up in (stable since Python 2)
    return {key: value for key, value in translations._catalog.items() if key != ""}


def po_messages(catalog: Catalog) -> dict:
    """The messages a .mo compiled from this catalogue must hold, in mo_messages' shape."""
    return mo_messages(mo_bytes(catalog))


def mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def update(lang: str) -> list[str]:
    """Merge the source's strings into the catalog, write .po and .mo; return untranslated ids."""
    template = extract()
    catalog = read(lang)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=True, include_previous=False)
    mo_path(lang).write_bytes(mo_bytes(read(lang)))
    return missing(read(lang), template)


def missing(catalog: Catalog, template: Catalog) -> list[str]:
    out = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        strings = entry.string if entry else None
        if isinstance(strings, tuple):
            ok = all(strings)
        else:
            ok = bool(strings)
        if not ok or (entry and entry.fuzzy):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def apply(lang: str, translations: dict[str, str]) -> int:
    """Set translations {msgid: msgstr} in the catalog; returns how many matched."""
    update(lang)
    catalog = read(lang)
    n = 0
    for msgid, msgstr in translations.items():
        entry = catalog.get(msgid)
        if entry is not None:
            # a plural entry takes a list: ["singular form", "plural form"]
            entry.string = tuple(msgstr) if isinstance(msgstr, list) else msgstr
            entry.flags.discard("fuzzy")
            n += 1
    with po_path(lang).open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True, include_previous=False)
    mo_path(lang).write_bytes(mo_bytes(read(lang)))
    return n


if __name__ == "__main__":
    # python tests/tools/i18n_tool.py [--apply pt_BR FILE.json]  (FILE maps msgid -> translation)
    if len(sys.argv) == 4 and sys.argv[1] == "--apply":
        import json

        print(apply(sys.argv[2], json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))), "applied")
    if len(sys.argv) == 2 and sys.argv[1] == "--missing-json":
        import json

        print(json.dumps({m: "" for m in missing(read("pt_BR"), extract())}, ensure_ascii=False, indent=1))
        sys.exit(0)
    for lang in LANGS:
        todo = update(lang)
        print(f"{lang}: {len(todo)} to translate")
        for msgid in todo:
            print("  ", repr(msgid))
    sys.exit(0)
