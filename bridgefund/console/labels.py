"""The words the console shows for the domain's codes (roles, statuses, audit actions), translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLES = {"admin": _l("Administrator"), "fund_manager": _l("Fund manager"), "bank_officer": _l("Bank officer"),
         "auditor": _l("Auditor"), "system": _l("System"), "anonymous": _l("Anonymous")}
STATUSES = {"submitted": _l("Submitted"), "approved": _l("Approved"), "rejected": _l("Rejected"),
            "withdrawn": _l("Withdrawn"), "cancelled": _l("Cancelled"), "disbursed": _l("Disbursed"),
            "repaid": _l("Repaid"), "defaulted": _l("Defaulted"), "written_off": _l("Written off")}
ACTIONS = {"submit": _l("Submitted"), "approve": _l("Approved"), "reject": _l("Rejected"), "withdraw": _l("Withdrawn"),
           "cancel": _l("Cancelled"), "disburse": _l("Disbursed"), "repay": _l("Repayment recorded"),
           "default": _l("Declared in default"), "write_off": _l("Written off"), "recover": _l("Recovery recorded")}


def role_name(code: str) -> str:
    return str(ROLES.get(code, code))


def status_name(code: str) -> str:
    return str(STATUSES.get(code, code))


def action_name(code: str) -> str:
    return str(ACTIONS.get(code, code))
