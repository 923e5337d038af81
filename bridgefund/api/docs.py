"""The API's documentation: the OpenAPI document a newcomer can work from, and its page ``/api/docs``.

:func:`document_operations` completes the document after every blueprint is registered: an introduction, who may
call each operation and its errors (appended to the view docstring's own text), an example of every request body
(:data:`EXAMPLES`) and the ``Idempotency-Key`` header on the POSTs that honour it.

The page is Swagger UI served from the package itself, never from a CDN. The service usually runs on an intranet
without internet access, where a page that loads its scripts from another host is blank. The Swagger UI files are a
pinned, unmodified copy under ``bridgefund/static/vendor/swagger-ui`` (listed with their sha256 and licence in
``bridgefund/static/vendor/VENDORED.json``), served as the app's static files; the page's Content-Security-Policy
lets the browser load nothing from any other origin.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from bridgefund.api import brief_item_schema
from bridgefund.api.export import MAX_ROWS, XLSX, export_table
from bridgefund.api.problems import PROBLEM_MEDIA_TYPE, spec_operations
from bridgefund.models import Role
from bridgefund.schemas.common import page_of
from bridgefund.web import ANY, PUBLIC, access_rule, view_permission

#: Where flask-smorest's Swagger UI page loads ``swagger-ui-bundle.js`` and friends from (``OPENAPI_SWAGGER_UI_URL``).
SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
#: Swagger UI settings: no ``validatorUrl`` (its default sends the document's address to an outside validator and
#: shows a badge image loaded from there).
SWAGGER_UI_CONFIG = {"validatorUrl": None, "deepLinking": True}
#: Same origin only: the page's own inline start-up script and the UI's inline styles, data: images.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


def init_app(app: Flask, docs_path: str) -> None:
    """Send the same-origin policy with the docs page and the static files it loads."""

    @app.after_request
    def docs_policy(resp: Response) -> Response:
        if request.path == docs_path or request.path.startswith(app.static_url_path + "/"):
            resp.headers.setdefault("Content-Security-Policy", DOCS_CSP)
        return resp


# --- the OpenAPI document: self-sufficient for a newcomer ----------------------------------------------------------

#: The ``Idempotency-Key`` request header, declared on every POST that a signed-in user makes (see
#: :func:`bridgefund.web._idempotency_begin`, which honours it on exactly those).
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe. The same key with the same method, path, query and body, from the same user within "
        "24 hours, answers the first successful response again (with `Idempotent-Replayed: true`) and changes "
        "nothing twice. The same key with another request → 422; while the first request with the key is still "
        "running → 409. Failed answers are not stored: a retry after a 4xx does the work anew. 1 to 128 characters."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
    "example": "7d3c6a1e-boc-renewal-75",
}

#: Who may call an operation, from its service operation's permission (``bridgefund.authority``).
ROLE_NAMES = {
    Role.admin: "admin",
    Role.fund_manager: "fund manager",
    Role.bank_officer: "bank officer",
    Role.auditor: "auditor",
}

_S = "2020-03-02"  # a business date of the demo's spring 2020
#: An example request body for every operation that takes one, keyed by ``"METHOD /path"`` as in the document.
#: ``tests/api/test_openapi_document.py`` loads each through the operation's own schema, so they stay valid.
EXAMPLES: dict[str, Any] = {
    "POST /api/v1/auth/token": {"username": "officer-boc-hn", "password": "Bank-2020-Renew"},
    "POST /api/v1/users": {"username": "officer-hxb", "password": "Huaxia-2020-ok", "role": "bank_officer",
                           "bank_id": 13},
    "PATCH /api/v1/users/{user_id}": {"active": False},
    "POST /api/v1/banks": {"code": "HXB-ZZ", "name": "华夏银行郑州分行", "pool_quota": "50000000.00",
                           "pool_share": "0.50"},
    "PATCH /api/v1/banks/{bank_id}": {"status": "active", "reason": "NPL ratio back under the threshold"},
    "POST /api/v1/guarantors": {"name": "郑州中小企业融资担保有限公司", "guarantee_share": "0.30"},
    "PATCH /api/v1/guarantors/{guarantor_id}": {"guarantee_share": "0.25"},
    "POST /api/v1/enterprises": {"uscc": "91350200776049653A", "name": "示例科技有限公司", "size": "small",
                                 "industry": "软件和信息技术服务业", "in_zone": True},
    "PATCH /api/v1/enterprises/{enterprise_id}": {"size": "medium"},
    "POST /api/v1/fund/capital": {"amount": "50000000.00", "value_date": _S, "direction": "in",
                                  "note": "second tranche of the zone's budget"},
    "PUT /api/v1/fund/settings": {
        "fee_tiers": [{"from_day": 1, "daily_rate": "0.0002"}, {"from_day": 6, "daily_rate": "0.0004"}],
        "penalty_daily_rate": "0.001", "max_term_days": 10, "per_enterprise_cap": "10000000.00",
        "max_share_of_renewal": "0.95", "dual_approval_threshold": "5000000.00", "default_after_days": 30,
        "market_bridge_daily_rate": "0.001"},
    "POST /api/v1/bridge-loans": {
        "enterprise_id": 169, "amount": "2800000.00", "term_days": 8,
        "maturing_loan": {"contract_no": "BOC-2025-0117", "amount": "3000000.00", "due_date": _S},
        "renewal": {"amount": "3000000.00", "expected_date": _S},
        "purpose": "repay the maturing working-capital loan"},
    "POST /api/v1/bridge-loans/{loan_id}/approve": {"comment": "renewal commitment letter on file"},
    "POST /api/v1/bridge-loans/{loan_id}/reject": {"reason": "the bank has not committed to the renewal"},
    "POST /api/v1/bridge-loans/{loan_id}/withdraw": {"reason": "the enterprise repaid from its own funds"},
    "POST /api/v1/bridge-loans/{loan_id}/cancel": {"reason": "the bank withdrew its renewal commitment"},
    "POST /api/v1/bridge-loans/{loan_id}/disburse": {"value_date": _S},
    "POST /api/v1/bridge-loans/{loan_id}/repayments": {"amount": "2800000.00", "value_date": "2020-03-09",
                                                       "external_ref": "BOC-RN-1"},
    "POST /api/v1/bridge-loans/{loan_id}/default": {"value_date": "2020-05-15"},
    "POST /api/v1/bridge-loans/{loan_id}/write-off": {"reason": "enterprise in bankruptcy proceedings",
                                                      "value_date": "2020-06-30"},
    "POST /api/v1/bridge-loans/{loan_id}/recoveries": {"amount": "500000.00", "value_date": "2020-09-30",
                                                       "note": "first distribution from the bankruptcy estate"},
    "PUT /api/v1/pool/settings": {
        "leverage": "10.00", "default_pool_share": "0.50", "claim_after_days_overdue": 90,
        "bank_npl_threshold": "0.05", "pool_loss_threshold": "0.30", "max_loan_amount": "50000000.00",
        "max_annual_rate": "0.06525", "penalty_rate_markup": "0.50"},
    "POST /api/v1/pool/contributions": {"amount": "5000000.00", "value_date": _S, "note": "district budget 2020"},
    "POST /api/v1/pool-loans": {
        "enterprise_id": 169, "contract_no": "BOC-HN-2020-0150", "principal": "3000000.00", "annual_rate": "0.0435",
        "start_date": _S, "term_months": 12, "repayment_method": "equal_installment", "guarantor_id": 1},
    "POST /api/v1/pool-loans/{pool_loan_id}/repayments": {"amount": "256000.00", "value_date": "2020-04-02",
                                                          "external_ref": "BOC-PL-0150-01"},
    "POST /api/v1/pool-loans/{pool_loan_id}/claims": {"claimed_on": "2020-11-02"},
    "POST /api/v1/pool-loans/{pool_loan_id}/write-off": {"value_date": "2021-06-30",
                                                         "reason": "borrower bankrupt, collateral sold"},
    "POST /api/v1/pool-loans/{pool_loan_id}/recoveries": {"amount": "400000.00", "value_date": "2021-03-31",
                                                          "external_ref": "BOC-REC-0150-1"},
    "POST /api/v1/pool-loans/import": {
        "file": "企业信用代码,合同编号,本金,年利率,起始日,期限(月),还款方式,担保机构,补偿比例\n"
                "91350200776049653A,BOC-HN-2020-0151,3000000.00,0.0435,2020-03-02,12,等额本息,,0.50\n",
        "bank_id": 1},
    "POST /api/v1/claims/{claim_id}/approve": {"comment": "overdue evidence and collection record checked"},
    "POST /api/v1/claims/{claim_id}/reject": {"reason": "the loan was not past due long enough on the claim date"},
    "POST /api/v1/claims/{claim_id}/pay": {"value_date": "2020-11-20"},
    "POST /api/v1/reports/monthly": {"period": "2020-03", "lang": "zh"},
    "PUT /api/v1/calendar/days/{date}": {"kind": "holiday", "name": "国庆节"},
    "PUT /api/v1/me/notification-settings": {
        "email": "li.na@hz-fund.example.cn", "lang": "zh",
        "wecom_webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
        "channels": {"in_app": True, "email": True, "wecom": False}},
    "POST /api/v1/bridge-loans/{loan_id}/renewal/approved": {"decided_on": "2020-03-05", "amount": "3000000.00"},
    "POST /api/v1/bridge-loans/{loan_id}/renewal/disbursed": {"value_date": "2020-03-09", "amount": "3000000.00",
                                                              "contract_no": "BOC-2020-0117-R"},
    "POST /api/v1/bridge-loans/{loan_id}/documents": {"file": "(the bytes of 续贷承诺函.pdf)",
                                                      "kind": "renewal_commitment", "note": "signed and stamped"},
    "POST /api/v1/pool-loans/{pool_loan_id}/documents": {"file": "(the bytes of 借款合同.pdf)", "kind": "other"},
    "POST /api/v1/claims/{claim_id}/documents": {"file": "(the bytes of 逾期证明.pdf)", "kind": "overdue_evidence"},
    "POST /api/v1/enterprises/{enterprise_id}/documents": {"file": "(the bytes of 营业执照.png)", "kind": "other",
                                                           "note": "business licence"},
}


#: The document's introduction (``info.description``, Markdown): what holds for every operation.
API_DESCRIPTION = """The zone's emergency bridge-loan fund (应急转贷资金) and risk-compensation pool (风险补偿池).

**Signing in.** `POST /api/v1/auth/token` with a username and password answers a bearer token; send it as
`Authorization: Bearer <token>` (the *Authorize* button here). Roles: `admin` sets the rules and manages users,
banks and capital; `fund_manager` approves and disburses bridge loans and pays claims; `bank_officer` submits a
partner bank's loans, repayments and claims and sees only that bank's records (another bank's record answers 404,
never 403); `auditor` reads everything, including the audit log. Each operation says who may call it.

**Money** travels as a JSON string with two decimals (`"1500000.00"`), never a number; shares and rates are decimal
strings too (`"0.50"`). Dates are `YYYY-MM-DD` business dates in the fund's timezone (Asia/Shanghai by default); a
value date may not be in the future nor inside a closed month.

**Bodies** are JSON (`Content-Type: application/json`) except the pool-loan import (multipart).

**Errors** are RFC 9457 problems (`application/problem+json`) with `type`, `title`, `status`, `detail` and, for
invalid fields, `errors: {field: [messages]}`; a refused request changes nothing. Every change and money movement
writes one audit event in the same transaction.

**Retries.** Every POST by a signed-in user accepts an `Idempotency-Key` header: the same key and request within 24
hours answers the first successful response again (`Idempotent-Replayed: true`) and does nothing twice.

**Long work.** `POST /reports/monthly`, `POST /pool-loans/import` and `POST /periods/{period}/close` accept
`Prefer: respond-async`: they answer 202
with `Location: /api/v1/jobs/{id}` and do the work in the background; `GET /jobs/{id}` shows its status, progress and
result (or its problem). Bad input is refused at once, as without the header.

**Lists** answer `{items, page, page_size, total, total_exact, next_after_id}`; pass `after_id=<next_after_id>` for
the next page at any depth (lists ordered newest first), or `page`/`page_size`."""


def who_may_call(rule: tuple[str, ...] | None) -> str:
    if rule is None:
        return "nobody (the endpoint has no access rule)"
    if PUBLIC in rule:
        return "anyone, without a token"
    if ANY in rule:
        return "any signed-in user (bearer token)"
    return ", ".join(ROLE_NAMES.get(r, r) for r in rule) + " (bearer token)"


def document_operations(api: Any, app: Flask) -> None:
    """Complete every operation of the document: who may call it, its errors, its example body, the
    ``Idempotency-Key`` header on the POSTs that honour it.

    The hand-written part of a description is the view's docstring after its first line (flask-smorest's
    summary); an operation without one keeps no description, and ``tests/api/test_openapi_document.py`` fails.
    Runs after :func:`bridgefund.api.problems.document_problems`, whose error responses it summarises.
    """
    spec = api.spec
    spec.components.parameter("IdempotencyKey", "header", IDEMPOTENCY_KEY)
    for path, method, op, view in spec_operations(app, spec):
        rule = access_rule(view)
        permission = view_permission(view)
        if permission is not None:  # machine-readable: the roles that may call it, and the service operation asked
            op["x-roles"] = [r.value for r in Role if permission.allows(r)] if PUBLIC not in rule else []
            op["x-public"] = PUBLIC in rule
            op["x-operation"] = permission.operation
        if method == "post" and path.startswith("/api/v1/") and rule is not None and PUBLIC not in rule:
            op.setdefault("parameters", []).append({"$ref": "#/components/parameters/IdempotencyKey"})
        table = export_table(view)
        if table is not None:
            _document_export(op, table)
        brief = brief_item_schema(view)
        if brief is not None:
            _document_brief(spec, op, brief)
        example = EXAMPLES.get(f"{method.upper()} {path}")
        if example is not None and "requestBody" in op:
            for media in op["requestBody"].get("content", {}).values():
                media.setdefault("example", example)
        # Docstrings use reST ``code``: Markdown's `code` in descriptions, plain text in the one-line summaries.
        if op.get("summary"):
            op["summary"] = op["summary"].replace("``", "").replace("`", "")
        if op.get("description"):
            op["description"] = op["description"].replace("``", "`")
        text = (op.get("description") or "").strip()
        if not text:
            continue
        if table is not None:
            text += ("\n\n**Excel (台账):** `format=xlsx` answers every row matching the filters (not one page; at "
                     f"most {MAX_ROWS:,}, else 413) as `{table.title}-<date>.xlsx`, scoped like the JSON list, with "
                     "these Chinese headers: " + "、".join(c.label for c in table.columns) + ".")
        errors = sorted(int(s) for s in op.get("responses", {}) if s.isdigit() and int(s) >= 400)
        lines = [text, "", f"**Who may call:** {who_may_call(rule)}."]
        if errors:
            lines += ["", "**Errors:** " + ", ".join(map(str, errors))
                      + " — RFC 9457 problems (`application/problem+json`), each status explained under Responses."]
        op["description"] = "\n".join(lines)


def _document_brief(spec: Any, op: dict[str, Any], item_schema: type[Any]) -> None:
    """With ``view=brief`` a list answers its page of ``item_schema``: a component of its own, named by the 200
    answer's ``x-brief-schema`` and its description. The answer's ``schema`` stays the full page (add-only: clients
    generated from the document read the default answer as before)."""
    envelope = page_of(item_schema, keyset=True)
    name = envelope.__name__.removesuffix("Schema")
    if name not in spec.components.schemas:
        spec.components.schema(name, schema=envelope)
    ok = op.get("responses", {}).get("200")
    if ok is not None:
        ok["x-brief-schema"] = {"$ref": f"#/components/schemas/{name}"}
        ok["description"] = (ok.get("description") or "OK") + f" (with `view=brief`: `{name}`)"


def _document_export(op: dict[str, Any], table: Any) -> None:
    """A list's XLSX answer (``format=xlsx``, api.export) and its 413 in the document."""
    ok = op.setdefault("responses", {}).setdefault("200", {})
    ok.setdefault("content", {})[XLSX] = {
        "schema": {"type": "string", "format": "binary"},
        "example": f"(the bytes of {table.name}-2020-12-31.xlsx)",
    }
    ok.setdefault("headers", {})["Content-Disposition"] = {
        "description": "with `format=xlsx`: `attachment; filename=\"<ascii>.xlsx\"; filename*=UTF-8''<Chinese name>`",
        "schema": {"type": "string"},
    }
    op["responses"]["413"] = {
        "description": f"With `format=xlsx`: more than {MAX_ROWS:,} rows match the filters; the problem names the "
                       "limit (`max_rows`) and the count (`matching_rows`). Narrow the filters or page the JSON.",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    op["responses"] = dict(sorted(op["responses"].items()))
