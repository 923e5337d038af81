"""Hostile input gets an RFC 9457 problem (400/413/415/422), never a 500, and changes nothing (issue 11, items
2–5 and 7–10): periods with a trailing newline, JSON nested 100,000 deep, integer literals of 5,000 digits, lone
surrogates, oversized bodies and wrong content types, money in non-ASCII digits or with spaces, text with control,
zero-width or bidi characters, and tokens that must stay revoked when a user is reactivated.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bridgefund.finance.uscc import demo_uscc
from tests.conftest import audit_count

API = "/api/v1"


@pytest.fixture
def admin(factory):  # noqa: ANN001, ANN201
    return factory.as_role("admin")


@pytest.fixture
def officer(factory):  # noqa: ANN001, ANN201
    return factory.as_role("bank_officer", factory.make_bank())


def _problem(r: Any, *statuses: int, field: str | None = None) -> dict:
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.mimetype == "application/problem+json", r.mimetype
    body = r.get_json()
    assert body["status"] == r.status_code
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


def _enterprise(name: str = "示例科技有限公司", **kw: Any) -> dict:
    return {"uscc": demo_uscc(20_000_000 + len(name)), "name": name, "size": "small", "in_zone": True, **kw}


# --- item 2: periods match in full ---------------------------------------------------------------------


@pytest.mark.parametrize("period", ["2020-03\n", "2020-03%0A", "２０２０-03", "٢٠٢٠-٠٣", " 2020-03", "2020-3"])
def test_a_period_that_is_not_exactly_yyyy_mm_is_422(client, db, factory, admin, period):  # noqa: ANN001
    bank = factory.make_bank()
    raw = period.replace("\n", "%0A")
    r = client.get(f"{API}/banks/{bank.id}/statement.pdf?period={raw}", headers=admin)
    _problem(r, 422, field="query.period")
    r = client.post(f"{API}/reports/monthly", json={"period": period.replace("%0A", "\n")}, headers=admin)
    _problem(r, 422, field="period")
    r = client.get(f"{API}/reports?period={raw}", headers=admin)
    _problem(r, 422, field="query.period")
    n = audit_count(db)
    r = client.post(f"{API}/periods/{raw}/close", headers=admin)
    _problem(r, 404, 422)
    assert audit_count(db) == n


# --- items 3, 4, 5: bodies the JSON decoder chokes on -----------------------------------------------------


def test_json_nested_100000_deep_is_a_problem_not_a_500(client, officer):  # noqa: ANN001
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000,
                 '{"name": ' + "[" * 200 + "]" * 200 + "}"):
        r = client.post(f"{API}/enterprises", data=body, content_type="application/json", headers=officer)
        _problem(r, 400, 422)


def test_an_integer_of_5000_digits_is_a_problem_not_a_500(client, officer):  # noqa: ANN001
    for literal in ("9" * 5000, "-" + "9" * 5000, "1e400", "-1e400", "1" + "0" * 400 + ".5"):
        body = '{"uscc": "x", "name": "n", "size": "small", "in_zone": true, "industry": ' + literal + "}"
        r = client.post(f"{API}/enterprises", data=body, content_type="application/json", headers=officer)
        _problem(r, 400, 422)
    r = client.post(f"{API}/bridge-loans", data='{"term_days": ' + "9" * 5000 + "}",
                    content_type="application/json", headers=officer)
    _problem(r, 400, 422)


def test_a_lone_surrogate_in_any_text_field_is_422(client, db, officer, admin):  # noqa: ANN001
    n = audit_count(db)
    cases = [
        (f"{API}/enterprises", officer, '{"uscc": "91350200776049653A", "name": "a\\ud800b", "size": "small", '
                                        '"in_zone": true}', "name"),
        (f"{API}/enterprises", officer, '{"uscc": "91350200776049653A", "name": "ok", "size": "small", '
                                        '"in_zone": true, "industry": "\\udfff"}', "industry"),
        (f"{API}/banks", admin, '{"code": "SUR1", "name": "\\ud83d"}', "name"),
        (f"{API}/users", admin, '{"username": "sur-1", "password": "Surrogate-2020-\\ud800", "role": "auditor"}',
         "password"),
        (f"{API}/auth/token", {}, '{"username": "x\\ud800", "password": "whatever-it-is"}', "username"),
        (f"{API}/enterprises", officer, '{"\\ud800": 1}', None),
    ]
    for url, h, body, field in cases:
        r = client.post(url, data=body, content_type="application/json", headers=h)
        _problem(r, 422, field=field)
    assert audit_count(db) == n


# --- item 7: body size and content type ----------------------------------------------------------------


def test_a_json_body_over_1_mib_is_413(client, db, officer):  # noqa: ANN001
    big = json.dumps(_enterprise(industry="x" * (1024 * 1024)))
    r = client.post(f"{API}/enterprises", data=big, content_type="application/json", headers=officer)
    _problem(r, 413)
    # just under the limit is read (and refused for its field, not its size)
    fits = json.dumps(_enterprise(industry="x" * (1024 * 1024 - 200)))
    _problem(client.post(f"{API}/enterprises", data=fits, content_type="application/json", headers=officer), 422,
             field="industry")


def test_a_chunked_json_body_over_1_mib_is_413_not_cut_off(client, officer):  # noqa: ANN001
    import io

    body = json.dumps(_enterprise(industry="x" * (2 * 1024 * 1024))).encode()
    r = client.post(f"{API}/enterprises", input_stream=io.BytesIO(body), content_type="application/json",
                    headers={**officer, "Transfer-Encoding": "chunked"},
                    environ_overrides={"wsgi.input_terminated": True})
    _problem(r, 413)
    fits = json.dumps(_enterprise("分块公司")).encode()
    r = client.post(f"{API}/enterprises", input_stream=io.BytesIO(fits), content_type="application/json",
                    headers={**officer, "Transfer-Encoding": "chunked"},
                    environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 201, r.get_json()


def test_an_upload_over_20_mib_is_413(client, officer):  # noqa: ANN001
    import io

    data = {"file": (io.BytesIO(b"x" * (20 * 1024 * 1024 + 1)), "loans.csv")}
    r = client.post(f"{API}/pool-loans/import", data=data, content_type="multipart/form-data", headers=officer)
    _problem(r, 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None, "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_json_endpoint_sent_another_content_type_is_415(client, db, officer, content_type):  # noqa: ANN001
    n = audit_count(db)
    body = json.dumps(_enterprise())
    headers = dict(officer)
    if content_type is not None:
        headers["Content-Type"] = content_type
    r = client.post(f"{API}/enterprises", data=body.encode(), headers=headers)
    _problem(r, 415)
    assert audit_count(db) == n
    # the public login endpoint too
    login = {"Content-Type": content_type} if content_type else {}
    _problem(client.post(f"{API}/auth/token", data=b'{"username": "a", "password": "b"}', headers=login), 415)


def test_json_with_a_charset_or_a_problem_type_is_still_json(client, officer):  # noqa: ANN001
    body = json.dumps(_enterprise("字符集公司"))
    r = client.post(f"{API}/enterprises", data=body.encode(), headers=officer,
                    content_type="application/json; charset=utf-8")
    assert r.status_code == 201, r.get_json()


# --- item 8: money strings are ASCII --------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["１００.００", "١٠٠.٠٠", " 100.00", "100.00 ", "100.00\n", "+100.00", "1_000.00",
                                    "१००.००", "100.0０"])
def test_money_in_other_digits_or_with_spaces_is_422(client, db, admin, amount):  # noqa: ANN001
    n = audit_count(db)
    r = client.post(f"{API}/banks", json={"code": "ASCII1", "name": "数字银行", "pool_quota": amount}, headers=admin)
    _problem(r, 422, field="pool_quota")
    r = client.post(f"{API}/fund/capital", json={"amount": amount, "value_date": "2020-02-07", "direction": "in"},
                    headers=admin)
    _problem(r, 422, field="amount")
    assert audit_count(db) == n


# --- item 9: text fields --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["   ", "\t\n", "a\x07b", "a\x1bb", "a\u200bb", "\u202eRTL公司", "a\u2066b\u2069",
                                  "\ufeffname", "a\u200fb", "a\x7fb", "a\x85b"])
def test_text_blank_or_with_control_zero_width_or_bidi_characters_is_422(client, db, officer, name):  # noqa: ANN001
    n = audit_count(db)
    r = client.post(f"{API}/enterprises", json=_enterprise(name), headers=officer)
    _problem(r, 422, field="name")
    assert audit_count(db) == n


def test_text_is_trimmed_and_nfc_normalised(client, officer):  # noqa: ANN001
    decomposed = "Cafe\u0301 科技"  # e + combining acute
    r = client.post(f"{API}/enterprises", json=_enterprise(f"  {decomposed}  "), headers=officer)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["name"] == "Caf\u00e9 科技"


def test_a_blank_reason_is_422_everywhere_a_reason_is_text(client, factory, admin):  # noqa: ANN001
    bank = factory.make_bank()
    r = client.patch(f"{API}/banks/{bank.id}", json={"name": " \u200b "}, headers=admin)
    _problem(r, 422, field="name")


def test_passwords_are_not_trimmed(client, factory, admin):  # noqa: ANN001
    r = client.post(f"{API}/users", json={"username": "spaces-pw", "password": " Spaces-2020-ok ", "role": "auditor"},
                    headers=admin)
    assert r.status_code == 201, r.get_json()
    ok = client.post(f"{API}/auth/token", json={"username": "spaces-pw", "password": " Spaces-2020-ok "})
    assert ok.status_code == 200, ok.get_json()
    _problem(client.post(f"{API}/auth/token", json={"username": "spaces-pw", "password": "Spaces-2020-ok"}), 401)


# --- item 10: reactivation does not bring old tokens back ----------------------------------------------


def test_reactivating_a_user_does_not_revive_their_old_tokens(client, factory, admin):  # noqa: ANN001
    user = factory.make_user("auditor", password="Old-token-2020")
    old = factory.headers(user)
    assert client.get(f"{API}/me", headers=old).status_code == 200
    assert client.patch(f"{API}/users/{user.id}", json={"active": False}, headers=admin).status_code == 200
    _problem(client.get(f"{API}/me", headers=old), 401)
    assert client.patch(f"{API}/users/{user.id}", json={"active": True}, headers=admin).status_code == 200
    _problem(client.get(f"{API}/me", headers=old), 401)
    # a fresh login works
    r = client.post(f"{API}/auth/token", json={"username": user.username, "password": "Old-token-2020"})
    assert r.status_code == 200
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {r.get_json()['token']}"}).status_code == 200


def test_changing_a_password_or_role_revokes_the_old_tokens(client, factory, admin):  # noqa: ANN001
    user = factory.make_user("auditor")
    old = factory.headers(user)
    assert client.patch(f"{API}/users/{user.id}", json={"password": "Brand-new-2020-pw"}, headers=admin).status_code \
        == 200
    _problem(client.get(f"{API}/me", headers=old), 401)
    old = factory.headers(user)
    assert client.patch(f"{API}/users/{user.id}", json={"role": "fund_manager"}, headers=admin).status_code == 200
    _problem(client.get(f"{API}/me", headers=old), 401)


def test_oversized_request_heads_are_problems_below_gunicorns_own_limits(client, officer):  # noqa: ANN001
    from bridgefund import gunicorn_conf, web

    _problem(client.get(f"{API}/enterprises?x={'a' * 5000}", headers=officer), 414)
    _problem(client.get(f"{API}/me", headers={**officer, "X-Big": "b" * 9000}), 431)
    _problem(client.get(f"{API}/me", headers={**officer, **{f"X-H{i}": "1" for i in range(80)}}), 431)
    assert client.get(f"{API}/enterprises?x={'a' * 3000}", headers=officer).status_code in (200, 422)
    # gunicorn's limits lie above the app's, so the app answers (problem+json) first
    assert gunicorn_conf.limit_request_line > web.MAX_URL_BYTES + 100
    assert gunicorn_conf.limit_request_field_size > web.MAX_HEADER_BYTES
    assert gunicorn_conf.limit_request_fields > web.MAX_HEADER_FIELDS


def test_the_contract_documents_413_and_415_on_json_bodies(client):  # noqa: ANN001
    spec = client.get("/api/openapi.json").get_json()
    op = spec["paths"][f"{API}/enterprises"]["post"]["responses"]
    assert {"413", "415"} <= set(op)
    assert "413" in spec["paths"][f"{API}/pool-loans/import"]["post"]["responses"]


@pytest.mark.parametrize(("principal", "term"), [("１０００.００", "6"), ("١٠٠٠.٠٠", "6"), ("1000.00", "６")])
def test_an_imported_row_with_non_ascii_digits_is_refused(client, factory, settings, principal, term):  # noqa: ANN001
    import io

    from tests.pool_support import PoolWorld

    settings.today = "2020-12-31"
    w = PoolWorld(client, factory)
    csv = ("企业信用代码,合同编号,本金,年利率,起始日,期限(月),还款方式\n"
           f"{w.enterprise.uscc},CSV-DIGITS,{principal},0.04,2020-02-10,{term},bullet\n").encode()
    r = client.post(f"{API}/pool-loans/import", data={"file": (io.BytesIO(csv), "loans.csv")}, headers=w.officer,
                    content_type="multipart/form-data")
    body = _problem(r, 422)
    assert any(k.startswith("row ") for k in body["errors"]), body


@pytest.mark.parametrize("contract_no", ["\u202eLTR-1", "A\u200bB", "A\x07B"])
def test_an_imported_text_cell_with_control_or_bidi_characters_is_refused(client, factory, settings,  # noqa: ANN001
                                                                          contract_no):
    import io

    from tests.pool_support import PoolWorld

    settings.today = "2020-12-31"
    w = PoolWorld(client, factory)
    csv = ("企业信用代码,合同编号,本金,年利率,起始日,期限(月),还款方式\n"
           f"{w.enterprise.uscc},{contract_no},1000.00,0.04,2020-02-10,6,bullet\n").encode()
    r = client.post(f"{API}/pool-loans/import", data={"file": (io.BytesIO(csv), "loans.csv")}, headers=w.officer,
                    content_type="multipart/form-data")
    body = _problem(r, 422)
    assert any("contract_no" in k for k in body["errors"]), body
