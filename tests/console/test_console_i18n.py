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
