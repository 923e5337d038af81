"""Regenerate the console's Chinese catalogue: ``python -m bridgefund.console.translations.build``.

Extracts the messages of ``bridgefund/console`` and ``templates/console`` (babel.cfg), fills them from
:data:`zh_terms.ZH`, writes ``zh/LC_MESSAGES/messages.po`` and compiles ``messages.mo`` — both committed, so a fresh
clone needs no build step. ``tests/console/test_console_i18n.py`` fails when a message has no translation or the
committed files are stale.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from bridgefund.console.translations.zh_terms import ZH

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}


def extract() -> list[str]:
    """Every message id the console uses, in a stable order."""
    ids: list[str] = []
    method_map = [("bridgefund/console/**.py", "python"), ("templates/console/**.html", "jinja2")]
    for _fn, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=KEYWORDS,
            options_map={"templates/console/**.html": {"extensions": "jinja2.ext.i18n"}}):
        if isinstance(message, str) and message not in ids:
            ids.append(message)
    return ids


def catalog() -> Catalog:
    cat = Catalog(locale="zh", project="BridgeFund console", fuzzy=False)
    for message in sorted(extract()):
        cat.add(message, ZH.get(message, ""))
    return cat


def po_bytes(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, cat, omit_header=True, sort_output=True, width=0)
    return buf.getvalue()


def mo_bytes(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, cat)
    return buf.getvalue()


def main() -> None:
    cat = catalog()
    missing = [m.id for m in cat if m.id and not m.string]
    if missing:
        raise SystemExit(f"messages without a Chinese translation (add them to zh_terms.ZH): {missing}")
    out = HERE / "zh" / "LC_MESSAGES"
    out.mkdir(parents=True, exist_ok=True)
    (out / "messages.po").write_bytes(po_bytes(cat))
    (out / "messages.mo").write_bytes(mo_bytes(cat))


if __name__ == "__main__":
    main()
