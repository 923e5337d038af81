"""The console's Chinese catalogue is complete, and the committed .po and .mo are what the sources produce."""

from __future__ import annotations

from babel.messages.mofile import read_mo

from bridgefund.console.translations import build


def test_every_console_message_has_a_chinese_translation() -> None:
    cat = build.catalog()
    ids = [m.id for m in cat if m.id]
    assert len(ids) > 150
    assert [m.id for m in cat if m.id and not m.string] == []
    assert set(build.ZH) >= set(ids)


def test_the_committed_catalogue_is_up_to_date() -> None:
    """Regenerate with ``python -m bridgefund.console.translations.build`` when this fails."""
    cat = build.catalog()
    folder = build.HERE / "zh" / "LC_MESSAGES"
    assert (folder / "messages.po").read_bytes() == build.po_bytes(cat)
    with (folder / "messages.mo").open("rb") as f:
        compiled = read_mo(f)
    assert {m.id: m.string for m in compiled if m.id} == {m.id: m.string for m in cat if m.id}


def test_no_message_is_given_two_translations() -> None:
    """The Chinese terms are written in several blocks (one per group of screens); a message id given twice with two
    different translations would silently take the later one on every screen (a pool loan's "Active" status became
    a user account's "启用")."""
    import ast

    given: dict[str, set[str]] = {}
    for source in sorted(build.HERE.glob("zh_terms*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(value, ast.Constant):
                        given.setdefault(key.value, set()).add(value.value)
    assert {k: v for k, v in given.items() if len(v) > 1} == {}
    assert build.ZH["Active"] == "正常还款中"
