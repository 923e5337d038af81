"""The pool-loan import file: reading a CSV or XLSX upload, mapping its header row, parsing its cells.

Nothing here touches the database: :func:`read_sheet` turns the bytes into a :class:`Sheet` (its columns and data
rows) and :func:`parse_row` turns one row into the keyword arguments of ``services.pool_loans.plan_pool_loan``,
with the enterprises and guarantors the service looked up. ``services.pool_import`` runs the import.

Columns (English names or the Chinese headers of the template, in any order): ``enterprise_uscc``
(企业信用代码; or ``enterprise_id``), ``contract_no`` (合同编号), ``principal`` (本金), ``annual_rate``
(年利率, a fraction such as 0.0435 or a percentage such as 4.35%), ``start_date`` (起始日), ``term_months``
(期限(月)), ``repayment_method`` (还款方式: the English values or 等额本息 / 等额本金 / 按月付息到期还本 /
到期一次还本付息), optional ``guarantor`` (担保机构, by name) and ``pool_share`` (补偿比例).

Guards: at most :data:`MAX_BYTES` of file, :data:`MAX_UNZIPPED` of XLSX content (:data:`MAX_PART` per part)
and :data:`MAX_ROWS` data rows (413 beyond); anything unreadable is a 422 naming ``file`` — never a 500.
Spreadsheet numbers arrive from openpyxl as binary floats; they are converted once, by their shortest repr,
into ``Decimal`` and then held to the same two/eight-decimal rules as JSON input.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bridgefund.errors import DomainError, PayloadTooLarge, RuleViolation
from bridgefund.finance.schedule import RepaymentMethod
from bridgefund.models import Enterprise
from bridgefund.text import BadText, clean

MAX_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED = 100 * 1024 * 1024
#: The most one part of a workbook (a sheet, its shared strings) may unpack to: openpyxl parses about 2 MB of
#: sheet XML a second, and a 10,000-row sheet of the template is about 4.5 MB, so this keeps every accepted
#: upload well inside gunicorn's 30 s worker timeout (a 300 KB upload of 95 MB of blank cells took 60 s).
MAX_PART = 16 * 1024 * 1024
MAX_ROWS = 10_000


#: Canonical column → accepted headers (compared after :func:`_norm`).
COLUMNS: dict[str, tuple[str, ...]] = {
    "enterprise_uscc": ("enterprise_uscc", "uscc", "企业信用代码", "统一社会信用代码"),
    "enterprise_id": ("enterprise_id",),
    "contract_no": ("contract_no", "合同编号"),
    "principal": ("principal", "本金", "本金(元)"),
    "annual_rate": ("annual_rate", "年利率"),
    "start_date": ("start_date", "起始日", "起始日期"),
    "term_months": ("term_months", "期限(月)"),
    "repayment_method": ("repayment_method", "还款方式"),
    "guarantor": ("guarantor", "担保机构"),
    "pool_share": ("pool_share", "补偿比例"),
}
REQUIRED = ("contract_no", "principal", "annual_rate", "start_date", "term_months", "repayment_method")
#: Template header row (Chinese, as banks' staff know them).
TEMPLATE_HEADERS = [
    "企业信用代码", "合同编号", "本金", "年利率", "起始日", "期限(月)", "还款方式", "担保机构", "补偿比例",
]
CHINESE_METHODS = {
    "等额本息": RepaymentMethod.EQUAL_INSTALLMENT.value,
    "等额本金": RepaymentMethod.EQUAL_PRINCIPAL.value,
    "按月付息到期还本": RepaymentMethod.INTEREST_ONLY.value,
    "到期一次还本付息": RepaymentMethod.BULLET.value,
}


def _norm(header: Any) -> str:
    text = "" if header is None else str(header)
    return text.strip().lower().replace("（", "(").replace("）", ")").replace(" ", "")


_HEADER_INDEX = {_norm(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


# --- reading files ---------------------------------------------------------------------------------


@dataclass
class Sheet:
    """A file's header mapped to the template's columns, and its data rows (sheet row number, cells)."""

    #: canonical column name → its index in a row
    columns: dict[str, int]
    rows: list[tuple[int, list[Any]]]

    def cell(self, cells: list[Any], name: str) -> Any:
        """The row's value in column ``name``: None when the column is absent or the cell blank."""
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return None
        value = cells[index]
        return None if value is None or (isinstance(value, str) and not value.strip()) else value

    def usccs(self) -> set[str]:
        """The credit codes the rows name (upper-cased), to look their enterprises up at once."""
        return {str(c[self.columns["enterprise_uscc"]]).strip().upper() for _, c in self.rows
                if "enterprise_uscc" in self.columns and self.columns["enterprise_uscc"] < len(c)
                and c[self.columns["enterprise_uscc"]] is not None}

    def contract_nos(self) -> list[str]:
        """The contract numbers the rows name (stripped), in file order."""
        index = self.columns["contract_no"]
        return [str(c[index]).strip() for _, c in self.rows if index < len(c) and c[index] is not None]


def read_sheet(data: bytes, filename: str | None = None) -> Sheet:
    """The file's header mapped to the template's columns and its data rows; 422 naming ``file`` when the header
    is not the template's or there are no rows, 413 beyond :data:`MAX_ROWS` rows."""
    rows = read_rows(data, filename)
    header = next(rows, None)
    if header is None:
        raise RuleViolation.on("file", "the file has no header row")
    columns = _map_header(header[1])
    body: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        body.append((number, cells))
        if len(body) > MAX_ROWS:
            raise PayloadTooLarge(f"more than {MAX_ROWS} rows; split the file", {"file": ["too many rows"]})
    if not body:
        raise RuleViolation.on("file", "the file has no data rows")
    return Sheet(columns, body)


def _map_header(cells: list[Any]) -> dict[str, int]:
    """Canonical column → index; 422 naming ``file`` for a repeated, unknown or missing column."""
    columns: dict[str, int] = {}
    unknown = []
    for index, cell in enumerate(cells):
        if cell is None or not str(cell).strip():
            continue
        name = _HEADER_INDEX.get(_norm(cell))
        if name is None:
            unknown.append(str(cell)[:40])
        elif name in columns:
            raise RuleViolation.on("file", f"column {name} appears twice")
        else:
            columns[name] = index
    missing = [c for c in REQUIRED if c not in columns]
    if "enterprise_uscc" not in columns and "enterprise_id" not in columns:
        missing.insert(0, "enterprise_uscc")
    if unknown or missing:
        errors = {}
        if missing:
            errors["file"] = ["missing column(s): " + ", ".join(missing)]
        if unknown:
            errors.setdefault("file", []).append("unknown column(s): " + ", ".join(unknown))
        raise RuleViolation("the file's header row is not the template's", errors)
    return columns


def read_rows(data: bytes, filename: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """(sheet row number, cells) of a CSV or XLSX file, header first; empty rows skipped."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"the file is {len(data)} bytes; at most {MAX_BYTES} are accepted",
                              {"file": ["file too large"]})
    if not data:
        raise RuleViolation.on("file", "the file is empty")
    if data[:4] == b"PK\x03\x04" or (filename or "").lower().endswith((".xlsx", ".xlsm")):
        yield from _xlsx_rows(data)
    else:
        yield from _csv_rows(data)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_UNZIPPED:
                raise PayloadTooLarge("the workbook unpacks to more than 100 MB", {"file": ["workbook too large"]})
            if any(i.file_size > MAX_PART for i in zf.infolist()):
                raise PayloadTooLarge(f"a part of the workbook unpacks to more than {MAX_PART // (1024 * 1024)} MB "
                                      f"(a sheet of {MAX_ROWS} rows needs about 5 MB)",
                                      {"file": ["workbook too large"]})
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable upload is the client's problem, never a 500
        raise RuleViolation.on("file", f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        ws = wb.worksheets[0]
        # The sheet's stated <dimension> is the writer's claim, often stale: read the rows that are there.
        ws.reset_dimensions()
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = list(row)
            if any(c is not None and str(c).strip() for c in cells):
                yield number, cells
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise RuleViolation.on("file", f"the workbook could not be read ({type(exc).__name__})") from None
    finally:
        wb.close()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost anything
        raise RuleViolation.on("file", "not UTF-8 or GB18030 text, nor an XLSX workbook")
    if "\x00" in text:
        raise RuleViolation.on("file", "not a CSV text file (binary content)")
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if any(c.strip() for c in row):
                yield number, row
    except csv.Error as exc:
        raise RuleViolation.on("file", f"not a valid CSV file ({exc})") from None


# --- cell parsing ----------------------------------------------------------------------------------


class CellError(ValueError):
    pass


def _decimal(value: Any, places: int) -> Decimal:
    if isinstance(value, bool):
        raise CellError("not a number")
    if isinstance(value, float):
        value = repr(value)  # the spreadsheet's float, by its shortest round-trip form
    text = str(value).strip().replace(",", "")
    if not re.fullmatch(r"-?[0-9]{1,15}(\.[0-9]+)?", text):  # ASCII digits only (issue 11, item 8)
        raise CellError("not a decimal number")
    try:
        d = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex guards
        raise CellError("not a decimal number") from None
    if d.as_tuple().exponent < -places:  # type: ignore[operator]
        raise CellError(f"at most {places} decimal places")
    if d < 0:
        raise CellError("must not be negative")
    return d.quantize(Decimal(1).scaleb(-places))


def _money(value: Any) -> Decimal:
    d = _decimal(value, 2)
    if d <= 0:
        raise CellError("must be greater than 0")
    return d


def _rate(value: Any, *, allow_percent: bool = True) -> Decimal:
    text = value if not isinstance(value, str) else value.strip()
    if allow_percent and isinstance(text, str) and text.endswith("%"):
        d = _decimal(text[:-1], 6) / 100
    else:
        d = _decimal(text, 8)
    if d > 1:
        raise CellError("write rates as a fraction (0.0435) or a percentage (4.35%)")
    return d


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip().replace("/", "-").replace(".", "-")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise CellError("not a date (YYYY-MM-DD)") from None
    if not dt.date(1900, 1, 1) <= day <= dt.date(2199, 12, 31):
        raise CellError("not a plausible date")
    return day


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("not a whole number")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,6}", text):
        raise CellError("not a whole number")
    return int(text)


def _method(value: Any) -> str:
    text = str(value).strip()
    if text in CHINESE_METHODS:
        return CHINESE_METHODS[text]
    if text.lower() in RepaymentMethod.__members__.values():
        return text.lower()
    raise CellError("one of " + ", ".join(m.value for m in RepaymentMethod) + " or " + "/".join(CHINESE_METHODS))


def _text(value: Any, max_length: int) -> str:
    try:
        text = clean(str(value)) if value is not None else ""  # trimmed, NFC, no control/bidi (issue 11, item 9)
    except BadText as exc:
        raise CellError(str(exc)) from None
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not text:
        raise CellError("required")
    if len(text) > max_length:
        raise CellError(f"at most {max_length} characters")
    return text


# --- rows ------------------------------------------------------------------------------------------


def parse_row(
    sheet: Sheet, cells: list[Any], enterprises: dict[str, Enterprise], guarantors: dict[str, int],
) -> tuple[dict[str, Any], dict[str, str]]:
    """One data row as the keyword arguments of ``plan_pool_loan``, and its errors (column → message).

    ``enterprises`` maps credit codes to the registered enterprises, ``guarantors`` names to ids.
    """
    def cell(name: str) -> Any:
        return sheet.cell(cells, name)

    parsers = {
        "contract_no": lambda v: _text(v, 64),
        "principal": _money,
        "annual_rate": _rate,
        "start_date": _date,
        "term_months": _int,
        "repayment_method": _method,
    }
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, parse in parsers.items():
        raw = cell(name)
        if raw is None:
            errors[name] = "required"
            continue
        try:
            values[name] = parse(raw)
        except CellError as exc:
            errors[name] = str(exc)
    if "enterprise_uscc" in sheet.columns and cell("enterprise_uscc") is not None:
        uscc = str(cell("enterprise_uscc")).strip().upper()
        if uscc in enterprises:
            values["enterprise"] = enterprises[uscc]
        else:
            errors["enterprise_uscc"] = f"no enterprise with credit code {uscc[:18]} is registered"
    elif "enterprise_id" in sheet.columns and cell("enterprise_id") is not None:
        try:
            values["enterprise_id"] = _int(cell("enterprise_id"))
        except CellError as exc:
            errors["enterprise_id"] = str(exc)
    else:
        errors["enterprise_uscc"] = "required"
    if cell("guarantor") is not None:
        name = str(cell("guarantor")).strip()
        if name in guarantors:
            values["guarantor_id"] = guarantors[name]
        else:
            errors["guarantor"] = f"no guarantee institution named {name[:60]}"
    if cell("pool_share") is not None:
        try:
            values["pool_share"] = _rate(cell("pool_share"))
        except CellError as exc:
            errors["pool_share"] = str(exc)
    if values.get("term_months") is not None and not 1 <= values["term_months"] <= 360:
        errors["term_months"] = "must be 1 to 360"
    return values, errors


def template_xlsx() -> bytes:
    """The import template: the Chinese header row, a method drop-down, and an instructions sheet."""
    import openpyxl
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "贷款"
    ws.append(TEMPLATE_HEADERS)
    for col, width in zip("ABCDEFGHI", (22, 18, 14, 10, 12, 10, 18, 28, 10), strict=True):
        ws.column_dimensions[col].width = width
    dv = DataValidation(type="list", formula1='"' + ",".join(CHINESE_METHODS) + '"', allow_blank=False)
    ws.add_data_validation(dv)
    dv.add("G2:G10001")
    help_ws = wb.create_sheet("说明")
    help_ws.append(["列", "field", "说明 / meaning"])
    notes = [
        ("企业信用代码", "enterprise_uscc", "18位统一社会信用代码 (registered enterprise)"),
        ("合同编号", "contract_no", "本行贷款合同编号，行内唯一 (unique per bank)"),
        ("本金", "principal", "元，最多两位小数, e.g. 1500000.00"),
        ("年利率", "annual_rate", "0.0435 或 4.35%"),
        ("起始日", "start_date", "YYYY-MM-DD"),
        ("期限(月)", "term_months", "1–360"),
        ("还款方式", "repayment_method", "等额本息 / 等额本金 / 按月付息到期还本 / 到期一次还本付息"),
        ("担保机构", "guarantor", "可空; 担保机构全称 (optional)"),
        ("补偿比例", "pool_share", "可空; 默认为银行的补偿比例 (optional, e.g. 0.50)"),
    ]
    for note in notes:
        help_ws.append(list(note))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
