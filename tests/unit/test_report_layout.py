"""Report PDFs as a zone official reads them (issue 11, item 15): rare ideographs, labels, figures, line breaks,
charts. Layout is checked on WeasyPrint's boxes (no cell's text runs out of its cell, short labels stay on one
line); the words on the text pypdf extracts; the fonts on the font programs embedded in the PDF."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from fontTools.ttLib import TTFont

from bridgefund.reports import charts, render
from bridgefund.reports.render import FontMissing, render_pdf
from tests.report_support import RARE_NAME, embedded_programs, pdf_text


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


# ------------------------------------------------------------------------------------------ names, charts


@pytest.mark.parametrize(("name", "pieces"), [
    ("中国工商银行郑州高新技术开发区支行", ["中国工商银行", "郑州高新技术开发区支行"]),
    ("郑州银行高新技术开发区支行", ["郑州银行", "高新技术开发区支行"]),
    ("中国银行", ["中国银行"]),
    ("郑州中科信息技术有限公司", ["郑州中科信息技术", "有限公司"]),
    ("郑州𠀀𪚥新材料科技股份有限公司", ["郑州𠀀𪚥新材料科技", "股份有限公司"]),
    ("郑州中科信息技术有限责任公司", ["郑州中科信息技术", "有限责任公司"]),
])
def test_keep_words_marks_the_words_of_a_name(name, pieces):
    assert str(render.keep_words(name)) == "".join(f'<span class="kw">{p}</span>' for p in pieces)


def test_keep_words_escapes_and_leaves_long_pieces_breakable():
    assert str(render.keep_words("<b>A&B</b> Co")) == (
        '<span class="kw">&lt;b&gt;A&amp;B&lt;/b&gt; </span><span class="kw">Co</span>')
    long = "超长名称" * 5  # 20 characters without a word boundary: may wrap anywhere rather than leave its cell
    assert str(render.keep_words(long)) == long
    assert str(render.keep_words(None)) == "—"
    assert str(render.keep_words("equal principal\u00a0·")) == (
        '<span class="kw">equal </span><span class="kw">principal\u00a0·</span>')


def _chart(markup: str):
    import xml.etree.ElementTree as ET
    return ET.fromstring(str(markup))


def _value_labels(root) -> list:
    ns = "{http://www.w3.org/2000/svg}"
    return [charts.label_box(Decimal(t.get("x")), Decimal(t.get("y")), t.text, t.get("text-anchor"))
            for t in root.iter(f"{ns}text") if t.get("class") == "chart-value"]


def _segments(root) -> list:
    ns = "{http://www.w3.org/2000/svg}"
    points = [tuple(Decimal(v) for v in p.split(",")) for p in root.find(f"{ns}polyline").get("points").split()]
    return list(zip(points, points[1:], strict=False))


# The demo's pool: flat near zero for nine months, then a steep climb (the labels of January and February sat on
# the line), and a zig-zag.
SERIES = [
    [Decimal(v) for v in ("0", "0", "0", "7400000", "6783300", "6166700", "5550000", "4933300", "4933300",
                          "4933300", "1524933300", "1935047600")],
    [Decimal(v) for v in ("100", "900", "50", "1000", "20", "800", "0", "950", "30", "700", "10", "600")],
    [Decimal(v) for v in ("0", "500", "1000", "1500", "2000", "2500", "3000", "3500", "4000", "4500", "5000", "5500")],
]


@pytest.mark.parametrize("values", SERIES)
def test_line_chart_value_labels_are_off_the_line_and_off_each_other(values):
    series = [(f"{m}月", v) for m, v in zip(range(1, 13), values, strict=True)]
    root = _chart(charts.svg_line_chart(series, width=640, height=165, value_format=render.wan,
                                       tick_format=render.wan_axis, title="风险补偿池"))
    boxes = _value_labels(root)
    assert len(boxes) == 12
    for i, box in enumerate(boxes):
        crossing = [s for s in _segments(root) if charts._crosses(box, *s)]
        assert not crossing, (i, box, crossing)
        assert not any(charts._overlaps(box, other) for other in boxes[:i]), i


def test_month_axis_labels_carry_the_year_where_it_changes():
    from bridgefund.reports.documents import month_axis_label

    assert month_axis_label(2019, 4, "zh", with_year=True) == "4月\n2019年"
    assert month_axis_label(2019, 5, "zh", with_year=False) == "5月"
    assert month_axis_label(2020, 1, "en", with_year=True) == "Jan\n2020"
    root = _chart(charts.svg_bar_chart([("Dec\n2019", Decimal(1)), ("Jan\n2020", Decimal(2)), ("Feb", Decimal(3))]))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [(t.get("class"), t.text) for t in root.iter(f"{ns}text")]
    assert ("chart-year", "2019") in texts and ("chart-year", "2020") in texts
    assert (None, "Dec") in texts and (None, "Feb") in texts
