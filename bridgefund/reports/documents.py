"""The three report documents: report data (``services.report_data``) + words of one language → PDF bytes.

One template per document serves both languages: every label goes through ``t("key")``, which looks the key
up in :data:`LABELS` (a ``(中文, English)`` pair per key), and status words through ``word("kind", value)``.
A missing key raises ``KeyError`` (a report with a blank label is a wrong report). Figures are formatted by
the filters of ``reports.render`` (``wan`` for 万元 summaries, ``yuan`` for detail tables).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bridgefund.reports.render import date_en, date_zh, render_pdf

#: The fund's name and operator, printed on every cover and page header.
FUND_NAME = {"zh": "高新区应急转贷资金及风险补偿资金池",
             "en": "High-tech Zone Bridge-Loan Fund and Risk-Compensation Pool"}
OPERATOR = {"zh": "高新区产业投资集团 · 基金管理办公室", "en": "Zone Industrial Investment Group · Fund Office"}

LABELS: dict[str, tuple[str, str]] = {
    # monthly report
    "monthly_title": ("应急转贷资金月度运行报告", "Monthly Fund Report"),
    "as_of": ("报告期末", "As of"),
    "version": ("版本", "Version"),
    "version_n": ("第 {} 版", "Version {}"),
    "generated": ("生成时间", "Generated"),
    "prepared_by": ("编制单位", "Prepared by"),
    "basis": ("数据口径", "Basis"),
    "basis_text": ("全部数字取自起息日不晚于报告期末的台账记录；本月数字为期末数与上月末数之差。",
                   "Every figure sums ledger entries with a value date on or before the last day of the month; "
                   "month figures are the difference between this and last month-end."),
    "s_key": ("一、主要指标", "1. Key figures"),
    "s_flows": ("资金运行情况", "Fund activity"),
    "s_banks": ("三、合作银行情况", "3. Partner banks"),
    "s_pool": ("四、风险补偿资金池", "4. Risk-compensation pool"),
    "s_risk": ("五、逾期与违约", "5. Overdue and defaulted loans"),
    "s_trend": ("二、近12个月趋势", "2. The last 12 months"),
    "s_appendix": ("附表", "Appendix"),
    "a_bridge": ("附表1　本月发放的应急转贷", "Table A1. Bridge loans disbursed this month"),
    "a_pool": ("附表2　本月新增的风险补偿池贷款", "Table A2. Pool loans started this month"),
    "unit_wan": ("单位：万元", "10,000 yuan"),
    "unit_yuan": ("单位：元", "yuan"),
    "in_unit": ("（{}）", "({})"),
    "span_unit": ("（{}，{}）", "({}, {})"),
    "k_capital": ("资金规模", "Capital"),
    "k_cash": ("资金余额", "Cash"),
    "k_outstanding": ("在贷余额", "Outstanding"),
    "k_utilization": ("资金使用率", "Utilization"),
    "k_month_disbursed": ("本月发放", "Disbursed this month"),
    "k_cum_disbursed": ("累计发放", "Disbursed to date"),
    "k_month_repaid": ("本月收回本金", "Principal repaid this month"),
    "k_month_income": ("本月费用收入", "Income this month"),
    "k_cum_income": ("累计费用收入", "Income to date"),
    "k_turnover": ("周转次数", "Turnover"),
    "k_avg_days": ("平均使用天数", "Average days used"),
    "k_overdue": ("逾期（含违约）", "Overdue (incl. default)"),
    "k_pool_outstanding": ("补偿池在保余额", "Pool loans outstanding"),
    "k_pool_balance": ("资金池余额", "Pool balance"),
    "k_leverage": ("放大倍数（已用）", "Leverage used"),
    "k_npl": ("补偿池不良率", "Pool NPL ratio"),
    "n_loans": ("{} 笔", "{} loan{s}"),
    "n_loans_firms": ("{} 笔 · {} 户企业", "{} loan{s} · {} firms"),
    "n_repaid_loans": ("{} 笔还清", "{} loan{s} repaid"),
    "n_times": ("{} 次", "{}×"),
    "n_days": ("{} 天", "{} days"),
    "fee_penalty": ("使用费 {} · 罚息 {}", "fee {} · penalty {}"),
    "of_capital": ("占资金规模 {}", "{} of capital"),
    "cum_over_capital": ("累计发放 ÷ 资金规模", "disbursed ÷ capital"),
    "over_repaid": ("已还清 {} 笔", "over {} repaid loans"),
    "item": ("项目", "Item"),
    "this_month": ("本月", "This month"),
    "to_date": ("累计", "To date"),
    "f_count": ("发放笔数", "Loans disbursed"),
    "f_amount": ("发放金额", "Amount disbursed"),
    "f_firms": ("服务企业（户）", "Enterprises served"),
    "f_repaid": ("收回本金", "Principal repaid"),
    "f_fee": ("资金使用费收入", "Usage fees"),
    "f_penalty": ("罚息收入", "Penalties"),
    "f_capital_in": ("资本金注入", "Capital paid in"),
    "f_losses": ("核销损失", "Written off"),
    "f_recoveries": ("核销后回收", "Recovered"),
    "f_outstanding": ("期末在贷余额", "Outstanding at month end"),
    "f_cash": ("期末资金余额", "Cash at month end"),
    "bank": ("合作银行", "Partner bank"),
    "g_bridge": ("应急转贷", "Bridge loans"),
    "g_pool": ("风险补偿池", "Pool loans"),
    "c_count": ("笔数", "Count"),
    "c_cum_amount": ("累计金额", "Disbursed"),
    "c_outstanding": ("余额", "Balance"),  # "Outstanding" does not fit the banks table's narrow columns
    "c_live": ("在贷笔数", "Live"),
    "c_quota": ("授信额度", "Quota"),
    "c_quota_used": ("额度使用率", "Quota used"),
    "c_npl": ("不良率", "NPL"),
    "c_claims": ("代偿", "Claims paid"),
    "c_status": ("状态", "Status"),
    "total": ("合计", "Total"),
    "s_renewals": ("合作银行续贷履约", "Partner banks' renewal record"),
    "c_committed": ("承诺续贷", "Committed"),
    "c_on_time": ("按期续贷", "Renewed on time"),
    "c_late": ("逾期续贷", "Renewed late"),
    "c_failed": ("未续贷（违约）", "Failed (defaulted)"),
    "renewals_note": ("截至月末：承诺续贷 = 基金已放款的过桥贷款笔数；按期 / 逾期以银行承诺的续贷日期为准；"
                      "未续贷 = 已认定违约的笔数。",
                      "To month end: committed = bridge loans the fund disbursed; on time or late against the date "
                      "the bank committed; failed = loans declared in default."),
    "banks_note": ("转贷金额、余额、额度、代偿金额为万元；代偿列为“笔数 / 金额”；"
                   "不良率 = 逾期90天以上及已申请代偿的本金 ÷ 在保余额；授信额度为当前额度。",
                   "Amounts in 10,000 yuan; claims paid as count / amount. "
                   "NPL = principal ≥ 90 days past due or claimed ÷ outstanding; quotas are the current ones."),
    "p_contributions": ("财政出资", "Contributions"),
    "p_balance": ("资金池余额", "Pool balance"),
    "p_quota": ("合作银行授信总额", "Banks' quotas"),
    "p_outstanding": ("在保贷款余额", "Covered loans outstanding"),
    "p_quota_used": ("授信额度使用率", "Quota used"),
    "p_leverage": ("放大倍数（在保余额 ÷ 财政出资）", "Leverage used (outstanding ÷ contributions)"),
    "p_new_loans": ("新增在保贷款", "New covered loans"),
    "p_live": ("在保贷款笔数", "Covered loans live"),
    "p_enterprises": ("累计服务企业（户）", "Enterprises served"),
    "p_claims_filed": ("代偿申请", "Claims filed"),
    "p_claims_paid": ("代偿支付", "Claims paid"),
    "p_pending": ("待审批/待支付代偿", "Claims awaiting approval or payment"),
    "p_recoveries": ("追偿回收（资金池分成）", "Recoveries (pool share)"),
    "p_npl": ("不良率", "NPL ratio"),
    "p_stopped": ("资金池熔断", "Pool stopped"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "r_overdue": ("逾期未还的应急转贷（未宣告违约）", "Overdue bridge loans (not in default)"),
    "r_defaults": ("已宣告违约的应急转贷", "Bridge loans in default"),
    "r_npl": ("风险补偿池不良贷款", "Non-performing pool loans"),
    "r_none": ("无", "None"),
    "r_more": ("另有 {} 笔未列出（合计数含全部）。", "{} more not listed (the totals include them)."),
    "r_summary": ("共 {} 笔，余额 {} 元", "{} loan{s}, {} yuan outstanding"),
    "no_": ("序号", "No."),
    "reference": ("编号", "Reference"),
    "enterprise": ("企业名称", "Enterprise"),
    "amount": ("金额", "Amount"),
    "principal": ("本金", "Principal"),
    "disbursed_on": ("放款日", "Disbursed"),
    "due_date": ("到期日", "Due"),
    "days_overdue": ("逾期天数", "Days overdue"),
    "defaulted_on": ("违约日", "Defaulted"),
    "outstanding": ("未还本金", "Outstanding"),
    "term": ("期限", "Term"),
    "status": ("状态", "Status"),
    "start_date": ("起息日", "Start"),
    "rate": ("年利率", "Rate"),
    "method": ("还款方式", "Method"),
    "share": ("池分担", "Pool share"),
    "days_past_due": ("逾期天数", "Days past due"),
    "claim": ("代偿", "Claim"),
    "t_chart_bridge": ("应急转贷：每月发放金额（万元）", "Bridge loans disbursed per month (10,000 yuan)"),
    "t_chart_pool": ("风险补偿池：月末在保余额（万元）", "Pool loans outstanding at month end (10,000 yuan)"),
    "t_month": ("月份", "Month"),
    "t_bridge_count": ("转贷笔数", "Bridge loans"),
    "t_bridge_amount": ("转贷发放", "Bridge disbursed"),
    "t_bridge_out": ("转贷月末余额", "Bridge outstanding"),
    "t_pool_count": ("新增池贷款", "New pool loans"),
    "t_pool_amount": ("池贷款发放", "Pool lent"),
    "t_pool_out": ("池贷款月末余额", "Pool outstanding"),
    "days_n": ("{}天", "{} d"),
    "months_n": ("{}个月", "{} mo"),
    "appendix_total": ("{} 笔", "{} loan{s}"),  # after "合计 · " / "Total · "
    # bank statement
    "statement_title": ("合作银行月度对账单", "Bank Monthly Statement"),
    "st_bank": ("银行", "Bank"),
    "st_code": ("银行代码", "Bank code"),
    "st_period": ("对账期间", "Period"),
    "st_status": ("合作状态", "Status"),
    "st_s_bridge": ("一、应急转贷", "1. Bridge loans"),
    "st_s_pool": ("二、风险补偿池", "2. Risk-compensation pool"),
    "st_s_sign": ("三、确认", "3. Confirmation"),
    "st_loans": ("本月在贷及发生变动的转贷", "Bridge loans live during the month"),
    "st_repayments": ("本月收到的还款", "Repayments received this month"),
    "st_disbursed": ("本月发放", "Disbursed this month"),
    "st_month_principal": ("本月还本", "Principal this month"),
    "st_month_income": ("本月费用", "Fees this month"),
    "st_end_outstanding": ("月末余额", "Month-end outstanding"),
    "st_external_ref": ("银行流水号", "Bank reference"),
    "st_received": ("收款金额", "Received"),
    "st_renewals": ("续贷履约（截至月末）", "Renewal record (to month end)"),
    "st_fee": ("使用费", "Fee"),
    "st_penalty": ("罚息", "Penalty"),
    "st_interest": ("利息", "Interest"),
    "st_quota": ("授信额度", "Quota"),
    "st_out_start": ("月初在保余额", "Outstanding at start"),
    "st_out_end": ("月末在保余额", "Outstanding at end"),
    "st_available": ("剩余可用额度", "Quota available"),
    "st_npl": ("不良率 / 熔断阈值", "NPL ratio / threshold"),
    "st_live": ("在保贷款笔数", "Live loans"),
    "st_new_pool": ("本月新增在保贷款", "Pool loans started this month"),
    "st_pool_repayments": ("本月还款", "Repayments this month"),
    "st_claims": ("代偿", "Claims"),
    "st_recoveries": ("本月追偿回收", "Recoveries this month"),
    "st_pool_amount": ("返还资金池", "Back to the pool"),
    "st_claim_filed": ("申请日", "Filed"),
    "st_unpaid": ("未还本金", "Unpaid principal"),
    "st_claim_amount": ("代偿金额", "Claim"),
    "st_paid_on": ("支付日", "Paid"),
    "value_date": ("入账日", "Value date"),
    "st_guarantor": ("担保机构", "Guarantor"),
    "st_sign_bank": ("银行经办人 / 日期", "Bank officer / date"),
    "st_sign_bank2": ("银行复核人（盖章）", "Bank checker (seal)"),
    "st_sign_fund": ("基金管理人 / 日期", "Fund manager / date"),
    "st_note": ("请核对本对账单与贵行账务记录；如有不符，请于收到后10个工作日内书面反馈。",
                "Please reconcile this statement with your books and report any difference in writing within "
                "10 working days."),
    # approval form
    "form_title": ("应急转贷资金审批表", "Bridge Loan Approval Form"),
    "fm_reference": ("转贷编号：", "Reference: "),
    "fm_status": ("当前状态：", "Status: "),
    "fm_s_enterprise": ("一、申请企业", "1. Enterprise"),
    "fm_s_loan": ("二、到期贷款与续贷承诺", "2. Maturing loan and renewal commitment"),
    "fm_s_request": ("三、转贷申请", "3. Bridge loan requested"),
    "fm_s_terms": ("四、费用标准（审批时快照）", "4. Fee settings (snapshot at approval)"),
    "fm_s_approvals": ("五、审批记录", "5. Approvals"),
    "fm_s_money": ("六、放款与还款", "6. Disbursement and repayments"),
    "fm_name": ("企业名称", "Name"),
    "fm_uscc": ("统一社会信用代码", "USCC"),
    "fm_size": ("企业规模", "Size"),
    "fm_industry": ("所属行业", "Industry"),
    "fm_in_zone": ("注册于园区", "In the zone"),
    "fm_bank": ("合作银行", "Partner bank"),
    "fm_submitted": ("申请人 / 申请日", "Submitted"),
    "fm_contract": ("到期贷款合同号", "Maturing contract"),
    "fm_maturing_amount": ("到期贷款金额", "Maturing amount"),
    "fm_maturing_due": ("到期日", "Maturing on"),
    "fm_renewal_amount": ("承诺续贷金额", "Renewal committed"),
    "fm_renewal_date": ("预计续贷日", "Renewal expected"),
    "fm_renewal_share": ("转贷金额 ÷ 续贷金额", "Bridge ÷ renewal"),
    "fm_amount": ("转贷金额", "Amount"),
    "fm_amount_upper": ("金额大写", "Amount in words"),
    "fm_term": ("使用期限", "Term"),
    "fm_purpose": ("用途", "Purpose"),
    "fm_tiers": ("资金使用费", "Usage fee"),
    "fm_tier": ("第 {} 天起 日费率 {}", "from day {}: {} a day"),
    "fm_penalty": ("逾期罚息（日）", "Penalty (a day)"),
    "fm_default_after": ("宣告违约", "Default after"),
    "fm_default_after_days": ("逾期 {} 天后", "{} days overdue"),
    "fm_required": ("所需审批人数", "Approvals required"),
    "fm_not_approved": ("尚未审批", "Not approved yet"),
    "fm_manager": ("审批人", "Manager"),
    "fm_at": ("录入时间", "Recorded at"),
    "fm_decided_on": ("审批日期", "Approved on"),
    "fm_comment": ("审批意见", "Comment"),
    "fm_disbursed": ("放款日 / 到期日", "Disbursed / due"),
    "fm_disbursed_by": ("放款经办", "Disbursed by"),
    "fm_not_disbursed": ("尚未放款", "Not disbursed"),
    "fm_repayments": ("还款记录", "Repayments"),
    "fm_repaid": ("已还本金 / 使用费 / 罚息", "Repaid: principal / fee / penalty"),
    "fm_outstanding": ("未还本金", "Outstanding"),
    "fm_reason": ("状态说明", "Reason"),
    "fm_sign_officer": ("银行客户经理", "Bank officer"),
    "fm_sign_manager": ("基金管理人（审批）", "Fund manager (approval)"),
    "fm_sign_head": ("负责人", "Head of fund office"),
}

WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "loan_state": {
        "outstanding": ("在贷", "outstanding"), "overdue": ("逾期", "overdue"), "repaid": ("已还清", "repaid"),
        "defaulted": ("违约", "defaulted"), "written_off": ("已核销", "written off"),
        "not_disbursed": ("未放款", "not disbursed"),
        "submitted": ("已提交", "submitted"), "approved": ("已审批", "approved"), "rejected": ("已拒绝", "rejected"),
        "withdrawn": ("已撤回", "withdrawn"), "cancelled": ("已取消", "cancelled"),
        "disbursed": ("已放款", "disbursed"),
    },
    "bank_status": {"active": ("正常", "active"), "suspended": ("暂停", "suspended")},
    "claim": {"filed": ("待审批", "pending"), "paid": ("已支付", "paid"), "rejected": ("已驳回", "rejected"),
              "approved": ("已批准", "approved")},
    "method": {"equal_installment": ("等额本息", "annuity"), "equal_principal": ("等额本金", "equal principal"),
               "interest_only": ("按月付息", "interest only"), "bullet": ("到期还本付息", "bullet")},
    "size": {"micro": ("微型", "micro"), "small": ("小型", "small"), "medium": ("中型", "medium"),
             "large": ("大型", "large")},
}

MONTHS_EN_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _index(lang: str) -> int:
    return 0 if lang == "zh" else 1


def translator(lang: str) -> Callable[..., str]:
    """``t("key", *args)``: the label in ``lang``, with ``{}`` filled from ``args`` (already formatted)."""
    i = _index(lang)

    def t(key: str, *args: Any) -> str:
        text = LABELS[key][i]
        if "{s}" in text:  # English plural of the first number: "1 loan", "2 loans"
            text = text.replace("{s}", "" if args and str(args[0]) == "1" else "s")
        return text.format(*args) if args else text

    return t


def word_of(lang: str) -> Callable[[str, Any], str]:
    """``word("loan_state", "repaid")`` → "已还清" / "repaid"; an unknown value prints as itself."""
    i = _index(lang)

    def word(kind: str, value: Any) -> str:
        pair = WORDS[kind].get(str(value))
        return pair[i] if pair else str(value)

    return word


def _date(lang: str) -> Callable[[Any], str]:
    return date_zh if lang == "zh" else date_en


def short_date(value: Any) -> str:
    """A compact date for table cells: 2020-03-31 (the same in both languages)."""
    return "—" if value is None else value.isoformat()


def rate(value: Any, places: int = 2) -> str:
    """An annual rate or share as a percentage with up to ``places`` decimals: 0.0435 → "4.35%"."""
    if value is None:
        return "—"
    q = (Decimal(value) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q:f}%"


def daily_rate(value: Any) -> str:
    """A daily rate in per mille, exact: 0.0002 → "0.2‰"."""
    q = (Decimal(value) * 1000).normalize()
    return f"{q:f}‰"


def ratio2(value: Any) -> str:
    """A multiple with two decimals: 4.1363 → "4.14"."""
    return "—" if value is None else f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,f}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def rmb_upper(amount: Decimal) -> str:
    """An amount in Chinese financial capitals (金额大写): 9300000.00 → "人民币玖佰叁拾万元整"."""
    fen_total = int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if fen_total < 0:
        raise ValueError("negative amounts have no 大写 form here")
    yuan_part, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    out = ""
    if yuan_part:
        groups = []
        n = yuan_part
        while n:
            groups.append(n % 10000)
            n //= 10000
        zero_pending = False
        for gi in range(len(groups) - 1, -1, -1):
            g = groups[gi]
            if g == 0:
                zero_pending = True
                continue
            text = ""
            for pos in range(3, -1, -1):
                d = g // 10**pos % 10
                if d == 0:
                    if text:
                        zero_pending = True
                    continue
                if zero_pending and (text or out):
                    text += "零"
                zero_pending = False
                text += _DIGITS[d] + _SMALL_UNITS[pos]
            if g < 1000 and out:
                text = ("零" if not text.startswith("零") else "") + text
            out += text + _BIG_UNITS[gi]
            zero_pending = False
        out = out.replace("零零", "零") + "元"
    if jiao == 0 and fen == 0:
        return "人民币" + (out or "零元") + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif out:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return "人民币" + out


def _context(lang: str, generated_at: dt.datetime, title_key: str, **extra: Any) -> dict[str, Any]:
    t = translator(lang)
    return {
        "t": t, "word": word_of(lang), "date": _date(lang), "short_date": short_date, "rate": rate,
        "daily_rate": daily_rate, "ratio2": ratio2, "title": t(title_key), "org": FUND_NAME[lang],
        "operator": OPERATOR[lang], "fund_name": FUND_NAME[lang], "generated_at": generated_at, **extra,
    }


def period_label(first: dt.date, lang: str) -> str:
    return f"{first.year}年{first.month}月" if lang == "zh" else f"{date_en(first).split(' ', 1)[1]}"


def month_axis_label(year: int, number: int, lang: str, *, with_year: bool) -> str:
    """A chart's x label for month ``number`` of ``year``: "1月" / "Jan", with the year on a second line where asked
    (the first month and every January): "1月\n2020年" / "Jan\n2020"."""
    label = f"{number}月" if lang == "zh" else MONTHS_EN_SHORT[number - 1]
    if with_year:
        label += f"\n{year}年" if lang == "zh" else f"\n{year}"
    return label


def monthly_report_html_context(data: Mapping[str, Any], *, lang: str, version: int,
                                generated_at: dt.datetime) -> dict[str, Any]:
    """The template context of the monthly report (also used by the benchmark to render the HTML alone)."""
    label = period_label(data["first_day"], lang)
    trend = data["trend"]
    axis = [month_axis_label(m["year"], m["month_number"], lang, with_year=i == 0 or m["month_number"] == 1)
            for i, m in enumerate(trend)]
    return _context(lang, generated_at, "monthly_title", data=data, version=version, subtitle=label,
                    period_label=label,
                    trend_span=f"{trend[0]['month']} — {trend[-1]['month']}" if trend else "",
                    bridge_series=[(a, m["bridge_amount"]) for a, m in zip(axis, trend, strict=True)],
                    pool_series=[(a, m["pool_outstanding"]) for a, m in zip(axis, trend, strict=True)])


def monthly_report_pdf(data: Mapping[str, Any], *, lang: str, version: int, generated_at: dt.datetime) -> bytes:
    """The monthly fund report of ``data`` (``services.report_data.monthly_report_data``) as PDF bytes."""
    ctx = monthly_report_html_context(data, lang=lang, version=version, generated_at=generated_at)
    return render_pdf("monthly_report.html", ctx, lang=lang)


def bank_statement_pdf(data: Mapping[str, Any], *, lang: str, generated_at: dt.datetime) -> bytes:
    """One bank's monthly statement (``services.report_data.bank_statement_data``) as PDF bytes."""
    label = period_label(data["first_day"], lang)
    ctx = _context(lang, generated_at, "statement_title", data=data, subtitle=f"{data['bank']['name']} · {label}",
                   period_label=label)
    return render_pdf("bank_statement.html", ctx, lang=lang)


def approval_form_pdf(data: Mapping[str, Any], *, lang: str, generated_at: dt.datetime) -> bytes:
    """A bridge loan's approval form (``services.report_data.approval_form_data``) as PDF bytes."""
    tz = generated_at.tzinfo

    def local(value: dt.datetime | None) -> str:
        return "—" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    ctx = _context(lang, generated_at, "form_title", data=data, subtitle=data["loan"]["reference"] or "",
                   local=local, amount_upper=rmb_upper(data["loan"]["amount"]))
    return render_pdf("approval_form.html", ctx, lang=lang)
