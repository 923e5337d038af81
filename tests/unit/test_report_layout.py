"""Report PDFs as a zone official reads them (issue 11, item 15): rare ideographs, labels, figures, line breaks,
charts. Layout is checked on WeasyPrint's boxes (no cell's text runs out of its cell, short labels stay on one
line); the words on the text pypdf extracts; the fonts on the font programs embedded in the PDF."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from bridgefund.reports import render
from bridgefund.reports.render import FontMissing, render_pdf

RARE_NAME = "郑州𠀀𪚥新材料科技有限公司"  # U+20000 (CJK Extension B, first) and U+2A6A5 (Extension B)


def check_context(rows: int = 3) -> dict:
    return {
        "title": "应急转贷资金月度运行报告", "subtitle": "2024年3月", "org": "高新区应急转贷资金管理中心", "version": 1,
        "generated_at": dt.datetime(2024, 4, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "as_of": dt.date(2024, 3, 31),
        "kpis": [{"label": "资金规模", "value": Decimal("620450000"), "sub": "实到资本"}],
        "rows": [{"name": RARE_NAME if i == 1 else f"连云港新材料科技有限公司{i}", "bank": "中国工商银行",
                  "amount": Decimal("1000000.50") + i, "date": dt.date(2024, 3, 1 + i), "status": "已还清"}
                 for i in range(rows)],
        "trend": [(f"{m}月", Decimal(m * 3_000_000)) for m in range(1, 13)],
    }


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_programs(pdf: bytes) -> dict[str, TTFont]:
    """BaseFont name → parsed font program (CFF or TrueType) of every font embedded in the PDF."""
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            key = next(k for k in descriptor if k.startswith("/FontFile"))
            fonts[str(font["/BaseFont"])] = TTFont(io.BytesIO(descriptor[key].get_object().get_data()))
    return fonts


# --------------------------------------------------------------------------------- rare ideographs (Ext B+)


def test_the_fallback_face_is_installed_and_covers_extensions_b_to_f():
    face = TTFont(io.BytesIO(render.rare_font_bytes()), lazy=True)
    cmap = face.getBestCmap()
    for char in "𠀀𪚥𪜀𫝀𫠠𬺰":  # Ext B first and U+2A6A5, Ext C, D, E, F
        assert ord(char) in cmap, f"U+{ord(char):X}"


def test_rare_ideographs_of_a_name_are_embedded_as_real_glyphs_not_tofu():
    pdf = render_pdf("_render_check.html", check_context(), lang="zh")
    assert RARE_NAME in pdf_text(pdf)
    fonts = embedded_programs(pdf)
    rare = [program for name, program in fonts.items() if name.endswith("+BridgeFund-HanaMinB")]
    assert len(rare) == 1, sorted(fonts)
    program = rare[0]
    cmap = program.getBestCmap()
    for char in "𠀀𪚥":
        glyph_name = cmap[ord(char)]
        assert glyph_name != ".notdef"
        assert program["glyf"][glyph_name].numberOfContours > 0, f"U+{ord(char):X} has no outline"
    # Every other character still comes from the SC face (the fallback only fills the gaps).
    assert sum(1 for name in fonts if "Noto-Sans-CJK-SC" in name) == 2


def test_a_document_without_rare_ideographs_does_not_load_the_fallback_face():
    ctx = check_context()
    ctx["rows"][1]["name"] = "郑州新材料科技有限公司"
    fonts = embedded_programs(render_pdf("_render_check.html", ctx, lang="en"))
    assert not any("HanaMin" in name for name in fonts), sorted(fonts)


def test_a_missing_fallback_face_fails_loudly_only_when_a_name_needs_it(monkeypatch, tmp_path):
    monkeypatch.setattr(render, "KNOWN_RARE_FONT_PATHS", (str(tmp_path / "none.ttf"),))
    monkeypatch.setattr(render, "_fontconfig_family_files", lambda family: [])
    render.rare_font_bytes.cache_clear()
    try:
        with pytest.raises(FontMissing, match="fonts-hanazono"):
            render_pdf("_render_check.html", check_context(), lang="zh")
        ctx = check_context()
        ctx["rows"][1]["name"] = "郑州新材料科技有限公司"
        assert render_pdf("_render_check.html", ctx, lang="zh").startswith(b"%PDF")
    finally:
        render.rare_font_bytes.cache_clear()


# ------------------------------------------------------------------------------------- layout, on the boxes


def _descendants(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _descendants(child)


def table_cells(document, table_class: str | None = None):
    """(page number, cell box, table box) of every table cell; only of tables with ``table_class`` if given."""
    for number, page in enumerate(document.pages, 1):
        for table in _descendants(page._page_box):
            if type(table).__name__ not in ("TableBox", "InlineTableBox"):
                continue
            if table_class and table_class not in (table.element.get("class") or "").split():
                continue
            for cell in _descendants(table):
                if type(cell).__name__ == "TableCellBox":
                    yield number, cell, table


def cell_lines(cell) -> list[str]:
    """The text of each line of a table cell, as laid out."""
    return ["".join(t.text for t in _descendants(line) if type(t).__name__ == "TextBox")
            for line in _descendants(cell) if type(line).__name__ == "LineBox"]


def text_overflows(document, slack: float = 0.5) -> list[str]:
    """Every piece of text that runs out of its table cell (it would overlap the neighbour), as readable strings."""
    found = []
    for number, cell, _ in table_cells(document):
        left = cell.content_box_x()
        right = left + cell.width
        for box in _descendants(cell):
            if type(box).__name__ == "TextBox" and box.text.strip() and (
                    box.position_x < left - slack or box.position_x + box.width > right + slack):
                found.append(f"page {number}: {box.text!r} spans {box.position_x:.1f}–{box.position_x + box.width:.1f}"
                             f", its cell {left:.1f}–{right:.1f}")
    return found
