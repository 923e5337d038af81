"""Report rendering: the CJK font, the URL fetcher, escaping, the filters and the SVG chart (no app, no database)."""

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from bridgefund.reports import render
from bridgefund.reports.charts import svg_bar_chart, svg_line_chart
from bridgefund.reports.render import (
    TEMPLATES_DIR,
    FontMissing,
    ReportURLFetcher,
    ResourceRefused,
    date_en,
    date_zh,
    find_cjk_font,
    pct,
    render_html,
    render_pdf,
    wan,
    wan_axis,
    yuan,
)
from tests.pdf_support import embedded_fonts

EVIL = "<script>alert(1)</script></td></tr></table>"


def check_context(rows: int = 30) -> dict:
    return {
        "title": "应急转贷资金月度运行报告",
        "subtitle": "2024年3月",
        "org": "高新区应急转贷资金管理中心",
        "version": 2,
        "generated_at": dt.datetime(2024, 4, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "as_of": dt.date(2024, 3, 31),
        "kpis": [
            {"label": "资金规模", "value": Decimal("620450000"), "sub": "实到资本"},
            {"label": "在贷余额", "value": Decimal("98000000.50"), "sub": "12 笔"},
        ],
        "rows": [
            {
                "name": EVIL if i == 0 else f"连云港骨直写新材料科技有限公司{i}",
                "bank": "中国工商银行",
                "amount": Decimal("1000000.50") + i,
                "date": dt.date(2024, 3, 1 + i % 28),
                "status": "已还清",
            }
            for i in range(rows)
        ],
        "trend": [(f"{m}月", Decimal(m * 3_000_000)) for m in range(1, 13)],
    }


@pytest.fixture(scope="module")
def zh_pdf() -> bytes:
    return render_pdf("_render_check.html", check_context(), lang="zh")


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# ------------------------------------------------------------------------------------------------- font


def test_the_cjk_font_is_installed_and_has_the_sc_face():
    for weight in ("regular", "bold"):
        path = find_cjk_font(weight)
        assert path.is_file()
        assert render._sc_face_index(path) is not None
    face = TTFont(io.BytesIO(render.cjk_font_bytes("regular")), lazy=True)
    assert face["name"].getDebugName(1) == "Noto Sans CJK SC"


def test_a_missing_font_fails_loudly_with_install_instructions(monkeypatch, tmp_path):
    monkeypatch.setitem(render.KNOWN_FONT_PATHS, "regular", (str(tmp_path / "none.ttc"),))
    monkeypatch.setattr(render, "_fontconfig_files", lambda weight: [])
    with pytest.raises(FontMissing, match="apt-get install -y fonts-noto-cjk"):
        find_cjk_font("regular")


# ---------------------------------------------------------------------------------------------- the PDF


def test_chinese_text_extracts_as_chinese(zh_pdf):
    text = pdf_text(zh_pdf)
    for words in ("应急转贷资金月度运行报告", "企业名称", "合作银行", "连云港骨直写新材料科技有限公司", "2024年3月31日",
                  "62,045.00", "1,000,001.50"):
        assert words in text
    assert re.search(r"第 2 页 / 共 \d+ 页", text)
    assert "第 2 版 · 生成于 2024-04-02 09:30" in text


def test_the_pdf_embeds_the_simplified_chinese_face_of_noto_sans_cjk(zh_pdf):
    fonts = embedded_fonts(zh_pdf)
    assert fonts, "no fonts in the PDF"
    # Subset names: "ABCDEF+BridgeFund-Noto-Sans-CJK-SC" (-Bold): our @font-face, nothing fontconfig chose.
    assert all(re.fullmatch(r"/[A-Z]{6}\+BridgeFund-Noto-Sans-CJK-SC(-Bold)?", name) for name in fonts), fonts
    assert len(fonts) == 2  # regular and a real bold face, not a synthetic one
    for program in fonts.values():
        assert program is not None
        # The font program itself is the SC face (not the JP face that leads the collection).
        assert program["name"].getDebugName(1) == "Noto Sans CJK SC"


def test_english_reports_number_pages_in_english_and_keep_chinese_names():
    pdf = render_pdf("_render_check.html", {**check_context(3), "title": "Monthly report"}, lang="en")
    text = pdf_text(pdf)
    assert re.search(r"Page 2 of \d+", text)
    assert "Version 2 · Generated 2024-04-02 09:30" in text
    assert "31 March 2024" in text and "连云港骨直写新材料科技有限公司1" in text
    assert PdfReader(io.BytesIO(pdf)).pages[0]  # and it is a PDF


def test_the_same_inputs_give_the_same_bytes():
    first = render_pdf("_render_check.html", check_context(3))
    assert render_pdf("_render_check.html", check_context(3)) == first
    info = PdfReader(io.BytesIO(first)).metadata
    assert info["/CreationDate"].startswith("D:20240402093000+08'00")  # from generated_at, not the clock
    assert info["/Title"] == "应急转贷资金月度运行报告"


def test_unknown_lang_is_refused():
    with pytest.raises(ValueError, match="lang"):
        render_html("_render_check.html", check_context(1), lang="fr")


# ---------------------------------------------------------------------------------------------- escaping


def test_user_text_is_escaped(zh_pdf):
    html = render_html("_render_check.html", check_context(1))
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;" in html
    assert "<script" not in html
    # ...and prints as the text it is, the table still whole.
    assert "<script>alert(1)</script></td>" in pdf_text(zh_pdf).replace("\n", "")


# ------------------------------------------------------------------------------------------ URL fetcher


@pytest.fixture
def fetcher():
    return ReportURLFetcher(fonts=lambda weight: b"font:" + weight.encode())


def test_fetcher_serves_template_files_data_urls_and_the_font(fetcher):
    css = fetcher((TEMPLATES_DIR / "report.css").as_uri())
    assert b"@font-face" in css.read()
    assert css.content_type == "text/css"
    assert fetcher("data:text/plain;base64,aGk=").read() == b"hi"
    assert fetcher("bridgefund-font:noto-sans-cjk-sc-bold").read() == b"font:bold"


@pytest.mark.parametrize("url", [
    "http://example.com/report.css",
    "https://example.com/logo.png",
    "ftp://example.com/x",
    "file:///etc/passwd",
    (TEMPLATES_DIR / "..").as_uri() + "/pyproject.toml",
    TEMPLATES_DIR.as_uri() + "/../pyproject.toml",
    TEMPLATES_DIR.as_uri() + "/%2e%2e/pyproject.toml",
    TEMPLATES_DIR.as_uri() + "/missing.css",
    TEMPLATES_DIR.as_uri(),
    "file://evil.example.com/share/x.css",
    "bridgefund-font:other",
    "javascript:alert(1)",
])
def test_fetcher_refuses_everything_else(fetcher, url):
    with pytest.raises(ResourceRefused):
        fetcher(url)


def test_fetcher_refuses_a_symlink_out_of_the_templates_folder(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (templates / "innocent.css").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ResourceRefused):
        ReportURLFetcher(templates)((templates / "innocent.css").as_uri())


@pytest.mark.parametrize("tag", [
    '<link rel="stylesheet" href="http://example.com/x.css">',
    '<img src="../secret.png">',
    '<img src="file:///etc/passwd">',
])
def test_rendering_stops_when_a_template_reaches_outside(tmp_path, tag):
    templates = tmp_path / "templates"
    templates.mkdir()
    (tmp_path / "secret.png").write_bytes(b"\x89PNG")
    (templates / "evil.html").write_text(f"<html><body><p>报告</p>{tag}</body></html>")
    with pytest.raises(ResourceRefused):
        render_pdf("evil.html", {}, templates_dir=templates)


# ---------------------------------------------------------------------------------------------- filters


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("1234567.891"), "1,234,567.89"),
    (Decimal("1234567.895"), "1,234,567.90"),  # half-up, as the fund rounds
    (Decimal("-1234.5"), "-1,234.50"),
    (Decimal("-0.001"), "0.00"),
    (0, "0.00"),
    (Decimal("0"), "0.00"),
    (123, "123.00"),
    ("1000", "1,000.00"),
    (None, "—"),
])
def test_yuan(value, expected):
    assert yuan(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (620450000, "62,045.00"),
    (Decimal("620450000"), "62,045.00"),
    (Decimal("12345"), "1.23"),
    (Decimal("12350"), "1.24"),
    (Decimal("-98765432.10"), "-9,876.54"),
    (Decimal("0"), "0.00"),
])
def test_wan(value, expected):
    assert wan(value) == expected


def test_wan_axis_writes_only_the_decimals_needed():
    assert wan_axis(Decimal("60000000")) == "6,000"
    assert wan_axis(Decimal("25000")) == "2.5"
    assert wan_axis(0) == "0"


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("0.1234"), "12.34%"),
    (Decimal("0.123456"), "12.35%"),
    (Decimal("-0.05"), "-5.00%"),
    (Decimal("0"), "0.00%"),
    (1, "100.00%"),
])
def test_pct(value, expected):
    assert pct(value) == expected


@pytest.mark.parametrize("formatter", [yuan, wan, pct])
def test_money_filters_refuse_floats(formatter):
    with pytest.raises(TypeError, match="float"):
        formatter(0.1)


def test_dates():
    assert date_zh(dt.date(2020, 3, 31)) == "2020年3月31日"
    assert date_zh(dt.date(2024, 12, 1)) == "2024年12月1日"
    assert date_zh(dt.datetime(2020, 3, 31, 23, 59)) == "2020年3月31日"
    assert date_zh("2020-03-31") == "2020年3月31日"
    assert date_en(dt.date(2020, 3, 31)) == "31 March 2020"
    assert date_en(dt.date(2024, 1, 5)) == "5 January 2024"
    assert date_zh(None) == date_en(None) == "—"


# ----------------------------------------------------------------------------------------------- charts

COORD = re.compile(r"^-?\d+(\.\d)?$")


def parse_svg(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    for element in root.iter():
        for name in ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height"):
            if name in element.attrib:
                assert COORD.match(element.attrib[name]), (element.tag, name, element.attrib[name])
        for point in element.attrib.get("points", "").split():
            assert all(COORD.match(c) for c in point.split(",")), point
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_line_chart_of_twelve_months():
    series = [(f"{m}月", Decimal(m * 3_000_000) + Decimal("0.37")) for m in range(1, 13)]
    root = parse_svg(svg_line_chart(series, value_format=wan, tick_format=wan_axis, unit="万元", title="发放"))
    labels = texts(root)
    assert "1月" in labels and "12月" in labels and "万元" in labels and "发放" in labels
    assert "3,600.00" in labels  # December's value in 万元
    assert "4,000" in labels  # the top gridline: 36,000,000 rounded up to a nice step
    points = root.find("{http://www.w3.org/2000/svg}polyline").attrib["points"].split()
    assert len(points) == 12
    ys = [Decimal(p.split(",")[1]) for p in points]
    assert ys == sorted(ys, reverse=True)  # rising values go up the page


def test_chart_of_all_zeros_single_point_empty_and_negative_series():
    zeros = parse_svg(svg_line_chart([(f"{m}月", Decimal(0)) for m in range(1, 13)]))
    assert texts(zeros).count("0") >= 12
    single = parse_svg(svg_line_chart([("3月", Decimal("1234.5"))]))
    assert len(single.findall("{http://www.w3.org/2000/svg}circle")) == 1
    parse_svg(svg_line_chart([]))
    negative = parse_svg(svg_bar_chart([("1月", Decimal(-500)), ("2月", Decimal(1500))]))
    assert len(negative.findall("{http://www.w3.org/2000/svg}rect")) == 2
    assert "-500" in texts(negative)


def test_chart_escapes_labels_and_refuses_floats():
    root = parse_svg(svg_line_chart([("<b>&amp;</b>", 1)], title="a < b & c", unit="</svg>"))
    assert "<b>&amp;</b>" in texts(root) and "a < b & c" in texts(root) and "</svg>" in texts(root)
    with pytest.raises(TypeError):
        svg_line_chart([("1月", 1.5)])


def test_templates_dir_is_the_repos(tmp_path):
    assert TEMPLATES_DIR == Path(render.__file__).resolve().parents[2] / "templates"
    assert (TEMPLATES_DIR / "base.html").is_file()
    (tmp_path / "t.html").write_text("{{ amount | yuan }} {{ name }}")
    env = render.make_environment(tmp_path)
    assert env.get_template("t.html").render(amount=Decimal("1234.5"), name="<i>") == "1,234.50 &lt;i&gt;"
