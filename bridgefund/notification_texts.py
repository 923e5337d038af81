"""What each notification says, in Chinese (the default) or English: title and body from the event's facts.

Every message names its subject (loan reference, enterprise, bank), the amount and the date that matter, and what
to do; the link into the console is added by the channel. Facts arrive as strings already formatted (money with
two decimals, shares as percentages: ``bridgefund.messages``), so a message never prints ``0E-10``.
"""

from __future__ import annotations

from typing import Any

#: kind → lang → (title, body). ``{…}`` are the event's params.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "bridge_due_in_3": {
        "zh": ("转贷资金 {reference} 将于 {due_date} 到期",
               "{bank}：{enterprise} 的应急转贷资金 {reference}（本金 {amount} 元）将于 {due_date} 到期，"
               "还有 3 个工作日。请督促续贷按期发放并归还资金。"),
        "en": ("Bridge loan {reference} falls due on {due_date}",
               "{bank}: {enterprise}'s bridge loan {reference} (principal {amount} yuan) falls due on {due_date}, "
               "in 3 working days. Make sure the renewal is disbursed and the fund repaid on time."),
    },
    "bridge_due_tomorrow": {
        "zh": ("转贷资金 {reference} 下一个工作日（{due_date}）到期",
               "{bank}：{enterprise} 的应急转贷资金 {reference}（本金 {amount} 元）将于 {due_date} 到期。"
               "请确认续贷资金已到位，按期归还。"),
        "en": ("Bridge loan {reference} falls due on the next working day ({due_date})",
               "{bank}: {enterprise}'s bridge loan {reference} (principal {amount} yuan) falls due on {due_date}. "
               "Confirm the renewal money is in place to repay it on time."),
    },
    "bridge_due_today": {
        "zh": ("转贷资金 {reference} 今日（{due_date}）到期",
               "{bank}：{enterprise} 的应急转贷资金 {reference} 今日到期，未还本金 {amount} 元。"
               "请于今日归还，逾期将按日计收违约金。"),
        "en": ("Bridge loan {reference} falls due today ({due_date})",
               "{bank}: {enterprise}'s bridge loan {reference} falls due today with {amount} yuan principal "
               "outstanding. Repay today: from tomorrow a daily penalty is charged."),
    },
    "bridge_fee_step_up": {
        "zh": ("转贷资金 {reference} 的使用费率将于 {step_date} 上调",
               "{bank}：{enterprise} 的应急转贷资金 {reference}（未还本金 {amount} 元）自 {step_date} 起"
               "日费率由 {rate_before} 上调至 {rate_after}。提前归还可节约使用费。"),
        "en": ("The fee of bridge loan {reference} steps up on {step_date}",
               "{bank}: from {step_date} {enterprise}'s bridge loan {reference} ({amount} yuan outstanding) is "
               "charged a daily rate of {rate_after} instead of {rate_before}. Repaying earlier saves the fee."),
    },
    "bridge_renewal_late": {
        "zh": ("转贷资金 {reference} 的续贷未按预计日期（{expected_date}）到位",
               "{bank}：{enterprise} 的应急转贷资金 {reference} 承诺续贷 {renewal_amount} 元，预计 "
               "{expected_date} 发放，至今未归还资金（未还本金 {amount} 元）。请尽快落实续贷并归还。"),
        "en": ("The renewal of bridge loan {reference} is late (expected {expected_date})",
               "{bank}: the renewal of {renewal_amount} yuan committed for {enterprise}'s bridge loan {reference} "
               "was expected on {expected_date} and the fund is not repaid ({amount} yuan outstanding). Disburse "
               "the renewal and repay the fund."),
    },
    "bridge_overdue": {
        "zh": ("转贷资金 {reference} 已逾期 {days_overdue} 天",
               "{bank}：{enterprise} 的应急转贷资金 {reference} 于 {due_date} 到期，已逾期 {days_overdue} 天，"
               "未还本金 {amount} 元，正按日计收违约金。请立即归还。"),
        "en": ("Bridge loan {reference} is {days_overdue} days overdue",
               "{bank}: {enterprise}'s bridge loan {reference} fell due on {due_date} and is {days_overdue} days "
               "overdue with {amount} yuan principal outstanding; a daily penalty is being charged. Repay now."),
    },
    "bridge_default_soon": {
        "zh": ("转贷资金 {reference} 将于 {default_date} 可被认定违约",
               "{bank}：{enterprise} 的应急转贷资金 {reference} 已逾期，未还本金 {amount} 元；自 {default_date} "
               "起（逾期满 {default_after_days} 天）基金可认定违约。请在此之前归还。"),
        "en": ("Bridge loan {reference} may be declared in default from {default_date}",
               "{bank}: {enterprise}'s bridge loan {reference} is overdue with {amount} yuan outstanding; from "
               "{default_date} ({default_after_days} days overdue) the fund may declare it in default. Repay "
               "before then."),
    },
    "pool_claim_eligible": {
        "zh": ("风险池贷款 {reference} 已可申请代偿",
               "{bank}：{enterprise} 的风险池贷款 {reference}（合同 {contract_no}）第 {seq} 期于 {due_date} 到期"
               "未还，已逾期 {days_overdue} 天，未还本金 {amount} 元，已满足代偿条件。可提交代偿申请。"),
        "en": ("Pool loan {reference} is eligible for a claim",
               "{bank}: installment {seq} of {enterprise}'s pool loan {reference} (contract {contract_no}) fell due "
               "on {due_date} and is {days_overdue} days overdue; {amount} yuan principal is outstanding. The loan "
               "is eligible for a claim: file it."),
    },
    "pool_npl_near_threshold": {
        "zh": ("{bank} 的不良率 {npl_ratio} 接近上限 {threshold}",
               "{bank}：截至 {date}，风险池贷款不良率 {npl_ratio}（不良本金 {npl_principal} 元 / 余额 "
               "{outstanding} 元），距暂停新增业务的上限 {threshold} 不足 1 个百分点。请加强清收。"),
        "en": ("{bank}'s NPL ratio {npl_ratio} is near the {threshold} limit",
               "{bank}: on {date} the pool NPL ratio is {npl_ratio} ({npl_principal} of {outstanding} yuan), "
               "within 1 percentage point of the {threshold} at which new pool loans stop. Step up collection."),
    },
    "pool_quota_high": {
        "zh": ("{bank} 的风险池额度已使用 {used_share}",
               "{bank}：截至 {date}，风险池贷款余额 {outstanding} 元，占额度 {quota} 元的 {used_share}。"
               "新增贷款可能超出额度，请提前与基金沟通。"),
        "en": ("{bank} has used {used_share} of its pool quota",
               "{bank}: on {date} pool loans outstanding are {outstanding} yuan, {used_share} of the {quota} yuan "
               "quota. New loans may exceed it: talk to the fund in time."),
    },
    "fund_cash_short": {
        "zh": ("资金预测：{date} 可用资金 {cash} 元低于已批未放款 {pipeline} 元",
               "截至 {date}，预计资金余额 {cash} 元（今日 {cash_today} 元加到期回款），低于届时已审批待发放的"
               "转贷资金 {pipeline} 元，缺口 {shortfall} 元。请安排注资或调整放款。"),
        "en": ("Cash forecast: {cash} yuan on {date}, below {pipeline} yuan approved to disburse",
               "By {date} the fund expects {cash} yuan in cash ({cash_today} today plus loans falling due), below "
               "the {pipeline} yuan of approved bridge loans to disburse by then: {shortfall} yuan short. Arrange "
               "capital or reschedule disbursements."),
    },
    "monthly_report_ready": {
        "zh": ("{period} 月度报告及银行对账单已生成（草稿）",
               "{period} 月度报告和 {statements} 家合作银行的对账单已于 {date} 生成并归档为草稿。请审阅，"
               "月结后定稿。"),
        "en": ("The {period} monthly report and bank statements are ready (drafts)",
               "The monthly report of {period} and {statements} partner banks' statements were generated on {date} "
               "and archived as drafts. Review them; they become final when the month is closed."),
    },
    "summaries_differ": {
        "zh": ("汇总核对发现 {count} 处差异（{date}）",
               "{date} 夜间核对：日汇总与账簿有 {count} 处差异，例如：{first}。请运行 bridgefund summaries "
               "rebuild 并排查原因。"),
        "en": ("The summaries check found {count} differences ({date})",
               "The nightly check of {date} found {count} differences between the summaries and the books, e.g. "
               "{first}. Run bridgefund summaries rebuild and find the cause."),
    },
    "renewal_unpaid": {
        "zh": ("转贷资金 {reference} 的续贷已发放但资金未归还",
               "{bank}：{enterprise} 的续贷已于 {disbursed_on} 发放，但应急转贷资金 {reference}（未还本金 {amount} "
               "元）一个工作日内未归还。请立即归还。"),
        "en": ("The renewal of bridge loan {reference} was disbursed but the fund is not repaid",
               "{bank}: {enterprise}'s renewal was disbursed on {disbursed_on} but bridge loan {reference} "
               "({amount} yuan outstanding) was not repaid within one working day. Repay now."),
    },
}
KINDS = tuple(TEXTS)
LANGS = ("zh", "en")


class _Missing(dict):
    def __missing__(self, key: str) -> str:  # a fact the event lacks prints as a dash, never a KeyError
        return "—"


def render(kind: str, lang: str, params: dict[str, Any]) -> tuple[str, str]:
    """The title and body of a ``kind`` message in ``lang`` (Chinese when the language is unknown)."""
    title, body = TEXTS[kind].get(lang) or TEXTS[kind]["zh"]
    facts = _Missing({k: str(v) for k, v in params.items()})
    return title.format_map(facts)[:200], body.format_map(facts)[:2000]


def with_link(body: str, link: str, base_url: str, lang: str) -> str:
    """The body as sent outside the app: the console link appended."""
    label = "查看详情" if lang != "en" else "Open in the console"
    return f"{body}\n{label}: {base_url.rstrip('/')}{link}"
