"""Helpers shared by the report-layout tests: the text, fonts and laid-out table cells of a rendered document.

Tests import helpers from here (or from the other ``*_support`` modules), never from another test module.
"""

import io

from fontTools.ttLib import TTFont
from pypdf import PdfReader

RARE_NAME = "郑州𠀀𪚥新材料科技有限公司"  # U+20000 (CJK Extension B, first) and U+2A6A5 (Extension B)



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
