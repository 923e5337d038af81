"""The words the console shows for the domain's codes (roles, statuses, audit actions), translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLES = {"admin": _l("Administrator"), "fund_manager": _l("Fund manager"), "bank_officer": _l("Bank officer"),
         "auditor": _l("Auditor"), "system": _l("System"), "anonymous": _l("Anonymous")}
STATUSES = {"submitted": _l("Submitted"), "approved": _l("Approved"), "rejected": _l("Rejected"),
            "withdrawn": _l("Withdrawn"), "cancelled": _l("Cancelled"), "disbursed": _l("Disbursed"),
            "repaid": _l("Repaid"), "defaulted": _l("Defaulted"), "written_off": _l("Written off"),
            # pool loans and claims
            "active": _l("Active"), "claimed": _l("Claimed"), "filed": _l("Filed"), "paid": _l("Paid"),
            # the five-grade classification of a pool loan
            "normal": _l("Normal"), "special_mention": _l("Special mention"), "substandard": _l("Substandard"),
            "doubtful": _l("Doubtful"), "loss": _l("Loss")}
ACTIONS = {"submit": _l("Submitted"), "approve": _l("Approved"), "reject": _l("Rejected"), "withdraw": _l("Withdrawn"),
           "cancel": _l("Cancelled"), "disburse": _l("Disbursed"), "repay": _l("Repayment recorded"),
           "default": _l("Declared in default"), "write_off": _l("Written off"), "recover": _l("Recovery recorded"),
           "file": _l("Claim filed"), "pay": _l("Paid"), "confirm": _l("Confirmed"),
           "renewal_approved": _l("Bank's renewal approval recorded"),
           "renewal_disbursed": _l("Renewal disbursement recorded")}
DOCUMENT_KINDS = {"renewal_commitment": _l("Renewal commitment letter"), "application": _l("Bridge loan application"),
                  "tripartite_agreement": _l("Three-party agreement"), "claim_application": _l("Claim application"),
                  "overdue_evidence": _l("Overdue evidence"), "other": _l("Other document")}


def role_name(code: str) -> str:
    return str(ROLES.get(code, code))


def status_name(code: str) -> str:
    return str(STATUSES.get(code, code))


def action_name(code: str) -> str:
    return str(ACTIONS.get(code, code))


def document_kind_name(code: str) -> str:
    return str(DOCUMENT_KINDS.get(code, code))

#: The schemas' commonest field messages, shown in the page's language (any other message is shown as it is).
MESSAGES = {
    "Missing data for required field.": _l("Required."),
    "Not a valid date.": _l("Not a valid date (YYYY-MM-DD)."),
    "Not a valid integer.": _l("Not a whole number."),
    'Not a valid amount: ASCII digits with exactly two decimals, such as "1500000.00".':
        _l("Not a valid amount, e.g. 1,500,000.00."),
    "Must be greater than 0.00.": _l("Must be more than 0.00."),
    "At most 2 decimal places.": _l("At most 2 decimal places."),
    # the user service's refusals of a role change (services.registry.update_user)
    "required for a bank_officer": _l("A bank officer needs a bank."),
    "only a bank_officer is bound to a bank": _l("Only a bank officer has a bank: leave it empty."),
    "admins may not demote or deactivate themselves": _l("You cannot change your own role or deactivate yourself."),
}


def message(text: str) -> str:
    known = MESSAGES.get(text)
    return str(known) if known is not None else text
