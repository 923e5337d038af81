"""The demo's report PDFs laid out as a zone official reads them (issue 11, item 15), in both languages.

The demo is loaded once in an outer transaction (rolled back at the end). Each document is built the way the API
builds it (``reports.service`` → ``reports.documents``); the call to the renderer is captured and laid out
with :func:`render_document`, whose boxes show where every line of every table cell went.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bridgefund.demo import load_demo
from bridgefund.models import Bank, BridgeLoan, Enterprise
from bridgefund.reports import documents
from bridgefund.reports import service as report_service
from bridgefund.reports.render import keep_words, render_document, render_html, wan
from bridgefund.services import unit_of_work
from bridgefund.services.actor import SYSTEM
from bridgefund.services.report_data import monthly_report_data
from tests.report_support import (
    RARE_NAME,
    cell_lines,
    embedded_programs,
    pdf_text,
    table_cells,
    text_overflows,
)

TODAY = dt.date(2020, 4, 15)
RARE_LOAN = "BL-2020-000027"
DOCUMENTS = [(name, lang) for name in ("monthly", "statement", "approval") for lang in ("zh", "en")]


class Rendered:
    def __init__(self, template: str, context: dict[str, Any], lang: str) -> None:
        self.template, self.context, self.lang = template, context, lang
        self.html = render_html(template, context, lang=lang)
        self.document = render_document(template, context, lang=lang)


@pytest.fixture(scope="module")
def demo(app, engine) -> Iterator[dict[str, Any]]:  # noqa: ANN001
    """The demo's March 2020 documents: {(name, lang): Rendered}, plus the monthly report's data."""
    conn = engine.connect()
    outer = conn.begin()
    database = app.extensions["bridgefund.db"]
    saved = database.sessionmaker
    database.sessionmaker = unit_of_work.sessionmaker(conn, join_transaction_mode="create_savepoint")
    captured: list[tuple[str, dict[str, Any], str]] = []

    def capture(template: str, context: dict[str, Any], *, lang: str) -> bytes:
        captured.append((template, context, lang))
        return b"%PDF-captured"

    try:
        with pytest.MonkeyPatch.context() as mp:
            load_demo(app, echo=lambda *_: None)
            mp.setattr(documents, "render_pdf", capture)
            tz = app.config["BRIDGEFUND"].tz
            session = database.sessionmaker()
            # A real name with rare ideographs (CJK Extension B): the first loan of ICBC's March statement.
            loan27 = session.scalar(select(BridgeLoan).where(BridgeLoan.reference == RARE_LOAN))
            session.get(Enterprise, loan27.enterprise_id).name = RARE_NAME
            session.flush()
            data = monthly_report_data(session, "2020-03")
            bank = session.scalar(select(Bank.id).where(Bank.code == "ICBC-ZZGX"))
            loan = session.scalar(select(BridgeLoan.id).where(BridgeLoan.reference == "BL-2020-000003"))
            out: dict[Any, Any] = {"data": data}
            for lang in ("zh", "en"):
                generated = dt.datetime(2020, 4, 1, tzinfo=tz)
                documents.monthly_report_pdf(data, lang=lang, version=1, generated_at=generated)
                report_service.bank_statement_pdf(session, SYSTEM, bank, period="2020-03", lang=lang, today=TODAY,
                                                  tz=tz)
                report_service.approval_form_pdf(session, SYSTEM, loan, lang=lang, today=TODAY, tz=tz)
                for name, (template, context, got_lang) in zip(("monthly", "statement", "approval"), captured[-3:],
                                                               strict=True):
                    assert got_lang == lang
                    out[name, lang] = Rendered(template, context, lang)
            session.close()
        yield out
    finally:
        database.sessionmaker = saved
        outer.rollback()
        conn.close()


@pytest.mark.parametrize(("name", "lang"), DOCUMENTS)
def test_no_text_runs_out_of_its_table_cell(demo, name, lang):
    """The English banks table's "Outstanding" ran into "Live"; amounts and references must stay in their cells."""
    assert text_overflows(demo[name, lang].document) == []


@pytest.mark.parametrize(("name", "lang"), DOCUMENTS)
def test_no_table_cell_wraps_a_word(demo, name, lang):
    """No line of a cell is a lone leftover ("…12个" / "月", "…高新区支" / "行", "PL-2020-00013" / "0")."""
    lone = [(page, lines) for page, cell, _ in table_cells(demo[name, lang].document)
            if len(lines := [line.strip() for line in cell_lines(cell)]) > 1 and any(len(line) == 1 for line in lines)]
    assert lone == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bank_names_break_only_between_their_words(demo, lang):
    names = {b["name"] for b in demo["data"]["banks"]}
    pieces = {re.sub(r"<[^>]+>", "|", str(keep_words(n))).strip("|").replace("||", "|") for n in names}
    allowed = {p for joined in pieces for p in joined.split("|")} | names
    checked = 0
    for _, cell, _ in table_cells(demo["monthly", lang].document):
        lines = [line.strip() for line in cell_lines(cell)]
        if "".join(lines) in names:
            checked += 1
            assert all(line in allowed for line in lines), lines
    assert checked >= len(names)  # every bank's row in the banks table, plus the detail tables


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_repayment_method_and_term_stay_whole(demo, lang):
    months = re.compile(r"\d+个月" if lang == "zh" else r"\d+ mo")
    seen = 0
    for _, cell, _ in table_cells(demo["monthly", lang].document):
        lines = cell_lines(cell)
        whole = "".join(lines)
        for match in months.finditer(whole):
            seen += 1
            assert any(match.group() in line for line in lines), lines
    assert seen > 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_wan_figure_of_the_banks_table_has_two_decimals(demo, lang):
    html = demo["monthly", lang].html
    table = html[html.index('<table class="banks'):html.index("</table>", html.index('<table class="banks'))]
    data = demo["data"]
    for row in [*data["banks"], data["bank_totals"]]:
        for key in ("bridge_amount", "bridge_outstanding", "pool_outstanding", "pool_quota"):
            assert f">{wan(row[key])}<" in table, (key, wan(row[key]))
    assert re.search(r">\d{1,3}(,\d{3})+<", table) is None  # no 万元 figure without decimals ("30,000")


def test_total_rows_name_the_total_once(demo):
    zh, en = demo["monthly", "zh"].html, demo["monthly", "en"].html
    appendix = demo["data"]["appendix"]
    assert "合计 · 合计" not in zh
    assert f"合计 · {len(appendix['bridge_loans'])} 笔" in zh
    assert f"合计 · {len(appendix['pool_loans'])} 笔" in zh
    assert f"Total · {len(appendix['bridge_loans'])} loans" in en


def test_english_reports_use_ascii_brackets_for_units(demo):
    units = [unit for name in ("monthly", "statement", "approval")
             for unit in re.findall(r'<span class="unit">(.*?)</span>', demo[name, "en"].html)]
    assert "(10,000 yuan)" in units and "(yuan)" in units
    assert all(unit.startswith("(") and unit.endswith(")") and "，" not in unit for unit in units), units
    zh_units = re.findall(r'<span class="unit">(.*?)</span>', demo["monthly", "zh"].html)
    assert "（单位：万元）" in zh_units


@pytest.mark.parametrize(("lang", "first", "january"), [("zh", "4月\n2019年", "1月\n2020年"),
                                                        ("en", "Apr\n2019", "Jan\n2020")])
def test_the_trend_axis_says_the_year(demo, lang, first, january):
    context = demo["monthly", lang].context
    labels = [label for label, _ in context["bridge_series"]]
    assert labels[0] == first and labels[9] == january
    assert sum("\n" in label for label in labels) == 2  # the first month and January only
    html = demo["monthly", lang].html
    year = first.split("\n")[1]
    assert 'class="chart-year"' in html and f">{year}</text>" in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bank_statement_draws_the_rare_ideographs_of_a_name(demo, lang):
    rendered = demo["statement", lang]
    assert str(keep_words(RARE_NAME)) in rendered.html
    pdf = rendered.document.write_pdf()
    assert RARE_NAME in pdf_text(pdf).replace("\n", "")
    fonts = embedded_programs(pdf)
    rare = [program for name, program in fonts.items() if name.endswith("+BridgeFund-HanaMinB")]
    assert len(rare) == 1, sorted(fonts)
    cmap = rare[0].getBestCmap()
    assert all(rare[0]["glyf"][cmap[ord(c)]].numberOfContours > 0 for c in "𠀀𪚥")
    # the monthly report of the same month has no such name in it: no fallback face loaded there
    assert "𠀀" not in demo["monthly", lang].html
