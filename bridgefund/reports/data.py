"""The reports' figures moved to ``bridgefund.services.report_data`` (issue 16: a period's close, a service, computes
its month snapshots from them). This name stays for the code that imports it from here."""

from bridgefund.services.report_data import (
    LIST_LIMIT,
    TREND_MONTHS,
    approval_form_data,
    bank_statement_data,
    bridge_status_on,
    compute_bank_statement_data,
    compute_monthly_report_data,
    monthly_report_data,
    parse_period,
    trend,
    without_jit,
)

__all__ = [
    "LIST_LIMIT",
    "TREND_MONTHS",
    "approval_form_data",
    "bank_statement_data",
    "bridge_status_on",
    "compute_bank_statement_data",
    "compute_monthly_report_data",
    "monthly_report_data",
    "parse_period",
    "trend",
    "without_jit",
]
