"""The sheets (台账) of the lists: what each list's export shows, and the writer that streams a list's rows into an
XLSX file — shared by the API (``format=xlsx`` on every list, :mod:`bridgefund.api.export`) and the console (the
"Export to Excel" button on every list, :mod:`bridgefund.console.export`), so both write the same columns with the
same labels from the same service calls.

What each list shows is a :class:`Table`: the dumped fields as columns with their Chinese labels and kinds. Money
is written as an exact number (the dumped decimal string, never a float) formatted ``#,##0.00``; rates as
percentages; dates as dates; timestamps in the fund's timezone. Text that a spreadsheet would take for a formula
(``= + - @``, tab, CR, and their full-width forms) gets a leading apostrophe (OWASP "CSV injection"). The console
in English writes English headers (:attr:`Column.english`) and the raw codes; the API always writes Chinese.

:func:`write` fetches pages of :data:`CHUNK` rows from the list's own service call (keyset by ``after_id`` where
the list has it, else by page number), dumps each page by the list's item schema and streams its rows as sheet XML
to a temporary file (:class:`_Sheet`). Memory holds one page, whatever the number of rows: 100,000 rows of the
widest list (bridge loans, 30 columns) take about 6 s of CPU for the sheet and a flat ~110 MB process. More than
:data:`MAX_ROWS` matching rows raise :class:`~bridgefund.errors.ExportTooLarge` naming the limit (nothing is
written); the limit is checked from the list's count before any row is read, and again while writing.

This module sits at the schemas' layer (tests/test_layers.py): it knows nothing of the request; the caller passes
the timezone, the date stamped on the file name and the language.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Response, send_file
from marshmallow import Schema
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bridgefund.errors import ExportTooLarge
from bridgefund.schemas.common import Dumped

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Most rows one export may hold (API.md: 100,000; more → 413).
MAX_ROWS = 100_000
#: Rows fetched and written per service call.
CHUNK = 1000
#: Longest text a cell holds (Excel's limit is 32,767 characters).
MAX_CELL_TEXT = 32_000
#: First characters that make a spreadsheet read text as a formula (or a DDE command), ASCII and full-width.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00##%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass(frozen=True)
class Column:
    """One column of a sheet: ``key`` is the dumped field (``a.b`` for a nested one), ``kind`` how it is written:
    ``text``, ``int``, ``money``, ``rate``, ``date``, ``datetime`` (shown in the fund's timezone), ``bool``
    (是/否) or ``json``. ``labels`` turns codes (statuses, kinds) into their Chinese names. ``en`` is the English
    header (by default the key in words)."""

    key: str
    label: str
    kind: str = "text"
    labels: dict[str, str] = field(default_factory=dict)
    width: int | None = None
    en: str | None = None

    @property
    def english(self) -> str:
        """The header in English: ``maturing_loan.amount`` → ``Maturing loan amount (CNY)``."""
        if self.en:
            return self.en
        words = [_EN_WORDS.get(w, w) for w in re.split(r"[._]", self.key) if w]
        text = " ".join(words)
        text = text[:1].upper() + text[1:]
        return f"{text} (CNY)" if self.kind == "money" else text


@dataclass(frozen=True)
class Table:
    """A list's sheet: its file name (ASCII, and Chinese for ``filename*``), sheet title and columns."""

    name: str
    title: str
    columns: tuple[Column, ...]

    @property
    def english(self) -> str:
        """The sheet's title in English: ``bridge-loans`` → ``Bridge loans``."""
        text = self.name.replace("-", " ")
        return text[:1].upper() + text[1:]


#: Words of the keys written otherwise in English headers.
_EN_WORDS = {"id": "ID", "uscc": "USCC", "ip": "IP", "npl": "NPL", "sha256": "SHA-256", "on": "date", "at": "time"}


def write(table: Table, fetch: Callable[[dict[str, Any]], Any], schema: Schema, filters: dict[str, Any], *,
          tz: Any, stamp: str, lang: str = "zh") -> Response:
    """Every row of a list as an XLSX download (``attachment``, named ``<table>-<stamp>.xlsx``).

    ``fetch(args)`` is the list's service call for one page: ``args`` are ``filters`` with ``page``, ``page_size``,
    ``count_limit`` and, for a keyset list past its first page, ``after_id``; it answers a ``Page``
    (services.common) whose items ``schema`` dumps. ``lang`` ``en`` writes English headers and raw codes."""
    book = _Sheet(table, tz, lang)
    try:
        return _fill(book, fetch, schema, filters, stamp)
    except BaseException:
        book.close()
        raise


def export_too_large(count: int, *, exact: bool) -> ExportTooLarge:
    about = "" if exact else "about "
    return ExportTooLarge(
        f"{about}{count:,} rows match; an XLSX export holds at most {MAX_ROWS:,} rows — narrow the filters "
        "(dates, status, bank) or page through the JSON list",
        {"query.format": [f"at most {MAX_ROWS:,} rows can be exported; {about}{count:,} match"]},
        max_rows=MAX_ROWS, matching_rows=count,
    )


def _fill(book: _Sheet, fetch: Callable[[dict[str, Any]], Any], schema: Schema, filters: dict[str, Any],
          stamp: str) -> Response:
    """Write every matching row into ``book``, a page of :data:`CHUNK` rows at a time; answer the file."""
    page_no, after_id, written = 1, None, 0
    while True:
        first = page_no == 1 and after_id is None
        chunk_args = {**filters, "page": page_no, "page_size": CHUNK,
                      # the first call counts up to the limit (exactly there); later ones need no count
                      "count_limit": MAX_ROWS if first else 0}
        if after_id is not None:
            chunk_args["after_id"] = after_id
        page = fetch(chunk_args)
        if first and page.total > MAX_ROWS:
            raise export_too_large(page.total, exact=page.total_exact)
        # items a view has dumped already (its hand-written dump, equal to the schema's) go in as they are
        rows = [item if isinstance(item, Dumped) else schema.dump(item) for item in page.items]
        written += len(rows)
        if written > MAX_ROWS:
            raise export_too_large(written, exact=False)
        for row in rows:
            book.append(row)
        if len(page.items) < CHUNK:
            break
        if page.next_after_id is not None:  # a keyset list: on by after_id
            after_id = page.next_after_id
        elif after_id is not None:  # a keyset list at its end
            break
        else:  # a list paged by number
            page_no += 1
    return book.response(written, stamp)


class _Sheet:
    """The workbook, written in two parts so that a large export stays fast and small in memory.

    openpyxl makes the skeleton — styles, the header row, column widths, the frozen first row — and one sample row
    whose cells carry the number formats, from which the style ids are read. The rows themselves are streamed as
    sheet XML (inline strings, numbers, date serials) into a temporary file as they come, and spliced into the
    skeleton's sheet in place of the sample row when the workbook is zipped: openpyxl's own cell-by-cell writer
    costs several times more per row.
    """

    def __init__(self, table: Table, tz: Any, lang: str = "zh") -> None:
        self.table = table
        self.tz = tz
        self.english = lang == "en"
        self.rows = tempfile.TemporaryFile()
        self.count = 0
        self.letters = [get_column_letter(i) for i in range(1, len(table.columns) + 1)]
        self.file: Any = None
        self.skeleton, self.styles = self._skeleton()

    def append(self, row: dict[str, Any]) -> None:
        r = self.count + 2
        parts = [f'<row r="{r}">']
        for letter, col in zip(self.letters, self.table.columns, strict=True):
            value = _cell_value(_pick(row, col.key), col, self.tz, english=self.english)
            if value is not None:
                parts.append(_cell_xml(f"{letter}{r}", value, col.kind, self.styles))
        parts.append("</row>")
        self.rows.write("".join(parts).encode())
        self.count += 1

    def response(self, rows: int, stamp: str) -> Response:
        self.file = self._zip()
        ascii_name = f"{self.table.name}-{stamp}.xlsx"
        utf8_name = f"{self.title}-{stamp}.xlsx"
        resp = send_file(self.file, mimetype=XLSX, max_age=0, conditional=False, etag=False)
        resp.headers["Content-Disposition"] = content_disposition(ascii_name, utf8_name)
        resp.headers["X-Total-Count"] = str(rows)
        resp.headers["Cache-Control"] = "no-store"  # bank data: never kept by a browser or proxy
        return resp

    @property
    def title(self) -> str:
        return self.table.english if self.english else self.table.title

    def close(self) -> None:
        """Drop an export that will not be answered."""
        self.rows.close()

    def _skeleton(self) -> tuple[bytes, dict[str, str]]:
        book = Workbook()
        ws = book.active
        ws.title = re.sub(r"[\\/?*\[\]:]", "_", self.title)[:31]
        ws.freeze_panes = "A2"
        for i, col in enumerate(self.table.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col.width or _width(col, self.english)
            cell = ws.cell(row=1, column=i, value=col.english if self.english else col.label)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for i, number_format in enumerate(_FORMATS.values(), start=1):
            ws.cell(row=2, column=i, value=1).number_format = number_format
        out = io.BytesIO()
        book.save(out)
        with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
            sheet = z.read(_SHEET).decode()
        styles = {}
        for i, kind in enumerate(_FORMATS, start=1):
            found = re.search(rf'<c r="{get_column_letter(i)}2" s="(\d+)"', sheet)
            assert found is not None, "openpyxl wrote the sample row as expected"
            styles[kind] = found.group(1)
        return out.getvalue(), styles

    def _zip(self) -> Any:
        skeleton = self.skeleton
        target = tempfile.TemporaryFile(suffix=".xlsx")
        last = f"{self.letters[-1]}{self.count + 1}"
        with zipfile.ZipFile(io.BytesIO(skeleton)) as src, \
                zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename != _SHEET:
                    dst.writestr(info, data)
                    continue
                sheet = data.decode()
                head, rest = sheet.split('<row r="2"', 1)
                tail = rest.split("</row>", 1)[1]
                head = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:{last}"', head)
                with dst.open(_SHEET, "w") as out:
                    out.write(head.encode())
                    self.rows.seek(0)
                    while chunk := self.rows.read(1 << 20):
                        out.write(chunk)
                    out.write(tail.encode())
        self.rows.close()
        target.seek(0)
        return target


_SHEET = "xl/worksheets/sheet1.xml"
_FORMATS = {"money": MONEY_FORMAT, "rate": RATE_FORMAT, "date": DATE_FORMAT, "datetime": DATETIME_FORMAT}
#: Day 0 of spreadsheet date serials (the 1900 system, as Excel counts from March 1900 on).
_EPOCH = dt.date(1899, 12, 30)


def _cell_xml(ref: str, value: Any, kind: str, styles: dict[str, str]) -> str:
    """One ``<c>`` of the sheet: numbers and date serials with their style, text as an inline string."""
    if kind in ("money", "rate"):
        return f'<c r="{ref}" s="{styles[kind]}"><v>{value:f}</v></c>'
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if kind == "date":
        return f'<c r="{ref}" s="{styles[kind]}"><v>{(value - _EPOCH).days}</v></c>'
    if kind == "datetime":
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        serial = Decimal((value.date() - _EPOCH).days) + Decimal(seconds) / Decimal(86400)
        return f'<c r="{ref}" s="{styles[kind]}"><v>{serial:.10f}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def content_disposition(ascii_name: str, utf8_name: str) -> str:
    """``attachment`` with a safe ASCII ``filename`` and the real name as RFC 5987 ``filename*`` (RFC 6266)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_name) or "export.xlsx"
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(utf8_name, safe='')}"


def _pick(row: dict[str, Any], key: str) -> Any:
    value: Any = row
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cell_value(value: Any, col: Column, tz: Any, *, english: bool = False) -> Any:
    if value is None:
        return None
    kind = col.kind
    if kind in ("money", "rate"):
        return Decimal(value) if isinstance(value, str) else value
    if kind == "int":
        return value
    if kind == "date":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if kind == "datetime":
        at = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if at.tzinfo is not None:
            at = at.astimezone(tz).replace(tzinfo=None)
        return at.replace(microsecond=0)
    if kind == "bool":
        return ("yes" if value else "no") if english else ("是" if value else "否")
    if kind == "json":
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if not isinstance(value, str):
        text = str(value)
    else:
        text = value if english else col.labels.get(value, value)
    return safe_text(text)


def safe_text(text: str) -> str:
    """Text a spreadsheet shows as text: no formula (leading apostrophe), no characters XLSX cannot hold."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)[:MAX_CELL_TEXT]
    if text.startswith(FORMULA_START):
        text = "'" + text
    return text


def _width(col: Column, english: bool = False) -> int:
    base = {"money": 16, "rate": 10, "date": 12, "datetime": 20, "int": 10, "bool": 8, "json": 40}.get(col.kind, 18)
    return max(base, len(col.english) + 2) if english else max(base, 2 * len(col.label) + 2)


# --- what each list shows ------------------------------------------------------------------------------------

_BRIDGE_STATUS = {"submitted": "待审批", "approved": "已审批待放款", "rejected": "已拒绝", "withdrawn": "已撤回",
                  "cancelled": "已取消", "disbursed": "已放款", "repaid": "已结清", "defaulted": "已违约",
                  "written_off": "已核销"}
_POOL_STATUS = {"active": "正常还款", "repaid": "已结清", "claimed": "已代偿", "written_off": "已核销"}
_CLAIM_STATUS = {"filed": "待审核", "approved": "已批准待支付", "rejected": "已拒绝", "paid": "已支付"}
_BANK_STATUS = {"active": "正常", "suspended": "已暂停（熔断）"}
_ROLES = {"admin": "管理员", "fund_manager": "基金管理人", "bank_officer": "银行客户经理", "auditor": "审计"}
_SIZES = {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型"}
_FUND_KINDS = {"capital_in": "资本金注入", "capital_out": "资本金撤出", "disbursement": "放款",
               "principal_repaid": "本金回收", "fee": "资金使用费", "penalty": "逾期费", "write_off": "核销损失",
               "recovery": "追偿回收"}
_POOL_KINDS = {"contribution": "资金注入", "claim_payout": "代偿支付", "recovery_share": "追偿分成"}
_METHODS = {"equal_installment": "等额本息", "equal_principal": "等额本金", "interest_only": "按月付息到期还本",
            "bullet": "到期一次还本付息"}
_GRADES = {"normal": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑", "loss": "损失"}
_LANGS = {"zh": "中文", "en": "英文"}

C = Column
BRIDGE_LOANS = Table("bridge-loans", "应急转贷台账", (
    C("reference", "业务编号"), C("status", "状态", labels=_BRIDGE_STATUS), C("enterprise.name", "企业名称", width=28),
    C("enterprise.uscc", "统一社会信用代码", width=22), C("bank_id", "合作银行ID", "int"),
    C("submitted_on", "申请日期", "date"), C("maturing_loan.contract_no", "到期贷款合同号"),
    C("maturing_loan.amount", "到期贷款金额（元）", "money"), C("maturing_loan.due_date", "到期贷款到期日", "date"),
    C("renewal.amount", "续贷承诺金额（元）", "money"), C("renewal.expected_date", "预计续贷日期", "date"),
    C("amount", "转贷金额（元）", "money"), C("term_days", "期限（天）", "int"),
    C("disbursed_on", "放款日", "date"), C("due_date", "到期日", "date"), C("repaid_on", "结清日", "date"),
    C("principal_repaid", "已还本金（元）", "money"), C("fee_paid", "已收资金使用费（元）", "money"),
    C("penalty_paid", "已收逾期费（元）", "money"), C("as_of", "计算日", "date"),
    C("principal_outstanding", "未还本金（元）", "money"), C("fee_accrued", "应计资金使用费（元）", "money"),
    C("penalty_accrued", "应计逾期费（元）", "money"), C("amount_due", "应还合计（元）", "money"),
    C("overdue", "是否逾期", "bool"), C("days_overdue", "逾期天数", "int"),
    C("written_off_amount", "核销金额（元）", "money"), C("recovered", "追偿回收（元）", "money"),
    C("status_reason", "备注/原因", width=30), C("id", "ID", "int"),
))
POOL_LOANS = Table("pool-loans", "风险补偿池贷款台账", (
    C("reference", "业务编号"), C("status", "状态", labels=_POOL_STATUS), C("bank_id", "合作银行ID", "int"),
    C("enterprise_id", "企业ID", "int"), C("contract_no", "合同编号"), C("principal", "本金（元）", "money"),
    C("annual_rate", "年利率", "rate"), C("start_date", "起始日", "date"), C("term_months", "期限（月）", "int"),
    C("repayment_method", "还款方式", labels=_METHODS), C("maturity_date", "到期日", "date"),
    C("guarantor_id", "担保机构ID", "int"), C("pool_share", "补偿比例", "rate"),
    C("guarantor_share", "担保比例", "rate"), C("as_of", "计算日", "date"),
    C("classification", "五级分类", labels=_GRADES), C("principal_outstanding", "未还本金（元）", "money"),
    C("days_past_due", "逾期天数", "int"), C("amount_due", "应还金额（元）", "money"),
    C("penalty_accrued", "应计罚息（元）", "money"), C("payoff_amount", "结清金额（元）", "money"),
    C("repaid_on", "结清日", "date"), C("written_off_principal", "核销本金（元）", "money"),
    C("written_off_on", "核销日", "date"), C("recovered", "追偿回收（元）", "money"), C("id", "ID", "int"),
))
CLAIMS = Table("claims", "代偿台账", (
    C("reference", "业务编号"), C("status", "状态", labels=_CLAIM_STATUS), C("pool_loan_id", "池贷款ID", "int"),
    C("bank_id", "合作银行ID", "int"), C("filed_on", "申请日", "date"), C("days_past_due", "逾期天数", "int"),
    C("unpaid_principal", "未还本金（元）", "money"), C("pool_share", "补偿比例", "rate"),
    C("amount", "代偿金额（元）", "money"), C("approved_on", "批准日", "date"), C("rejected_on", "拒绝日", "date"),
    C("reason", "拒绝原因", width=30), C("paid_on", "支付日", "date"), C("id", "ID", "int"),
))
FUND_LEDGER = Table("fund-ledger", "应急转贷资金流水", (
    C("value_date", "起息日", "date"), C("kind", "类型", labels=_FUND_KINDS), C("amount", "金额（元）", "money"),
    C("cash_delta", "现金变动（元）", "money"), C("balance_after", "余额（元）", "money"),
    C("bridge_loan_id", "转贷ID", "int"), C("note", "摘要", width=30), C("created_at", "记账时间", "datetime"),
    C("created_by", "记账人ID", "int"), C("id", "流水ID", "int"),
))
POOL_LEDGER = Table("pool-ledger", "风险补偿池资金流水", (
    C("value_date", "起息日", "date"), C("kind", "类型", labels=_POOL_KINDS), C("amount", "金额（元）", "money"),
    C("balance_after", "余额（元）", "money"), C("claim_id", "代偿ID", "int"), C("recovery_id", "追偿ID", "int"),
    C("note", "摘要", width=30), C("created_at", "记账时间", "datetime"), C("created_by", "记账人ID", "int"),
    C("id", "流水ID", "int"),
))
BANKS = Table("banks", "合作银行", (
    C("code", "银行代码"), C("name", "银行名称", width=28), C("status", "状态", labels=_BANK_STATUS),
    C("partner_since", "合作起始日", "date"), C("pool_quota", "授信额度（元）", "money"),
    C("pool_quota_used", "已用额度（元）", "money"), C("pool_share", "补偿比例", "rate"),
    C("npl_ratio", "不良率", "rate"), C("suspended_on", "暂停日", "date"), C("status_reason", "原因", width=30),
    C("terms_effective_from", "条款生效日", "date"), C("id", "ID", "int"),
))
GUARANTORS = Table("guarantors", "担保机构", (
    C("name", "担保机构名称", width=32), C("guarantee_share", "担保比例", "rate"),
    C("created_at", "创建时间", "datetime"), C("id", "ID", "int"),
))
ENTERPRISES = Table("enterprises", "企业名录", (
    C("name", "企业名称", width=32), C("uscc", "统一社会信用代码", width=22), C("size", "企业规模", labels=_SIZES),
    C("industry", "所属行业", width=24), C("in_zone", "是否区内注册", "bool"), C("created_at", "创建时间", "datetime"),
    C("id", "ID", "int"),
))
USERS = Table("users", "用户", (
    C("username", "用户名"), C("role", "角色", labels=_ROLES), C("bank_id", "合作银行ID", "int"),
    C("active", "是否启用", "bool"), C("created_at", "创建时间", "datetime"), C("id", "ID", "int"),
))
REPORTS = Table("reports", "月度报告", (
    C("period", "期间"), C("lang", "语言", labels=_LANGS), C("version", "版本", "int"),
    C("sha256", "SHA-256", width=66),
    C("created_at", "生成时间", "datetime"), C("id", "ID", "int"),
))
PERIODS = Table("periods", "已结账期间", (
    C("period", "期间"), C("last_day", "最后一日", "date"), C("closed_by", "结账人ID", "int"),
    C("closed_at", "结账时间", "datetime"),
))
AUDIT_EVENTS = Table("audit-events", "审计日志", (
    C("at", "时间", "datetime"), C("actor_id", "操作人ID", "int"), C("actor_role", "角色", labels=_ROLES),
    C("action", "操作"), C("entity_type", "对象类型"), C("entity_id", "对象ID", "int"),
    C("before", "变更前", "json"), C("after", "变更后", "json"), C("request_id", "请求ID", width=24),
    C("ip", "IP"), C("id", "ID", "int"),
))
_DELIVERY_STATUS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}
_CHANNELS = {"email": "电子邮件", "wecom": "企业微信", "sms": "短信"}
NOTIFICATIONS = Table("notifications", "我的通知", (
    C("business_date", "业务日期", "date"), C("kind", "类型"), C("title", "标题", width=40),
    C("body", "内容", width=80), C("subject_type", "对象类型"), C("subject_id", "对象ID", "int"),
    C("link", "链接", width=30), C("created_at", "生成时间", "datetime"), C("read_at", "已读时间", "datetime"),
    C("id", "ID", "int"),
))
NOTIFICATION_DELIVERIES = Table("notification-deliveries", "通知发送记录", (
    C("channel", "渠道", labels=_CHANNELS), C("status", "状态", labels=_DELIVERY_STATUS),
    C("attempts", "尝试次数", "int"), C("last_error", "最近错误", width=40),
    C("next_attempt_at", "下次尝试时间", "datetime"), C("sent_at", "发送时间", "datetime"),
    C("created_at", "生成时间", "datetime"), C("notification_id", "通知ID", "int"), C("id", "ID", "int"),
))
_DOCUMENT_KINDS = {"renewal_commitment": "续贷承诺函", "application": "转贷申请书", "tripartite_agreement": "三方协议",
                   "claim_application": "代偿申请书", "overdue_evidence": "逾期证明", "other": "其他材料"}
_SUBJECTS = {"bridge_loan": "转贷业务", "pool_loan": "资金池贷款", "claim": "代偿", "enterprise": "企业"}
#: A record's documents (the four ``…/{id}/documents`` lists share it).
DOCUMENTS = Table("documents", "材料清单", (
    C("kind", "材料类型", labels=_DOCUMENT_KINDS), C("version", "版本", "int"), C("filename", "文件名", width=40),
    C("content_type", "文件类型", width=24), C("size", "大小（字节）", "int"), C("sha256", "SHA-256", width=66),
    C("note", "备注", width=40), C("uploaded_at", "上传时间", "datetime"), C("uploaded_by", "上传人ID", "int"),
    C("subject_type", "对象类型", labels=_SUBJECTS), C("subject_id", "对象ID", "int"), C("id", "ID", "int"),
))

#: Every table, for the documentation and the tests.
TABLES: Sequence[Table] = (BRIDGE_LOANS, POOL_LOANS, CLAIMS, FUND_LEDGER, POOL_LEDGER, BANKS, GUARANTORS,
                           ENTERPRISES, USERS, REPORTS, PERIODS, AUDIT_EVENTS, NOTIFICATIONS,
                           NOTIFICATION_DELIVERIES, DOCUMENTS)
