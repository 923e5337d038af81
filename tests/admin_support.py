"""The console's admin screens (issue 13): which role gets which answer on each GET route, from the authority's
declarations (tests/console/test_console_admin.py walks it; tests/console/test_console_security.py counts its
routes as covered)."""

from __future__ import annotations

import re

ALL = ("bank_officer", "fund_manager", "admin", "auditor")
STAFF = {"bank_officer": 403, "fund_manager": 200, "admin": 200, "auditor": 200}  # fund.get_settings & co.
ADMIN_ONLY = {"bank_officer": 403, "fund_manager": 403, "admin": 200, "auditor": 403}

#: path (with {user}, {bank}, {enterprise}) → {role: status}; "other_officer" is an officer of another bank.
ADMIN_PAGES: dict[str, dict[str, int]] = {
    "/admin": STAFF,
    "/admin/fund-settings": STAFF,
    # The confirmation of an empty form: the schema names the missing fields (422) for the admin.
    "/admin/fund-settings/confirm": {**ADMIN_ONLY, "admin": 422},
    "/admin/pool-settings": STAFF,
    "/admin/pool-settings/confirm": {**ADMIN_ONLY, "admin": 422},
    "/admin/capital": ADMIN_ONLY,
    "/admin/capital/confirm": {**ADMIN_ONLY, "admin": 422},
    "/admin/calendar": {r: 200 for r in ALL},
    "/admin/users": ADMIN_ONLY,
    "/admin/users/{user}": ADMIN_ONLY,
    "/admin/banks": {r: 200 for r in ALL},
    "/admin/banks/{bank}": {**{r: 200 for r in ALL}, "other_officer": 404},
    "/admin/banks/{bank}/confirm": {**ADMIN_ONLY, "other_officer": 403},
    "/admin/guarantors": {r: 200 for r in ALL},
    "/enterprises": {r: 200 for r in ALL},
    "/enterprises/{enterprise}": {r: 200 for r in ALL},
}

_PARAMS = {"{user}": "<int:user_id>", "{bank}": "<int:bank_id>", "{enterprise}": "<int:enterprise_id>"}


def covered_rules() -> set[str]:
    """The Flask rules of :data:`ADMIN_PAGES`."""
    return {re.sub(r"\{\w+\}", lambda m: _PARAMS[m.group(0)], p) for p in ADMIN_PAGES}
