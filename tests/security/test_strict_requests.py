"""Query strings say exactly what they mean, and a retried JSON body is the same request whatever its member order.

Found by probing the merged service (issue 11 review): unknown query parameters were ignored (``?stauts=repaid``
listed every loan), a repeated one answered by its first value, and a retry whose body listed the same members in
another order was refused as "a different request".
"""

from __future__ import annotations

import json

import pytest

from tests.api_support import assert_problem
from tests.pool_support import PoolWorld


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


@pytest.mark.parametrize("path", ["/api/v1/pool-loans", "/api/v1/bridge-loans", "/api/v1/banks", "/api/v1/claims",
                                  "/api/v1/audit-events", "/api/v1/enterprises"])
def test_an_unknown_query_parameter_is_422_naming_it(world, client, path):  # noqa: ANN001
    r = client.get(path, headers=world.admin, query_string={"stauts": "repaid"})
    body = assert_problem(r, 422, "query.stauts")
    assert body["errors"]["query.stauts"] == ["Unknown field."]


def test_a_repeated_query_parameter_is_422_naming_it(world, client):  # noqa: ANN001
    r = client.get("/api/v1/pool-loans?page=2&page=3", headers=world.admin)
    assert_problem(r, 422, "query.page")
    assert client.get("/api/v1/pool-loans?page=1", headers=world.admin).status_code == 200


def test_the_documented_filters_still_work(world, client):  # noqa: ANN001
    loan = world.loan(principal="500000.00", start_date="2020-03-02")
    r = client.get("/api/v1/pool-loans", headers=world.admin,
                   query_string={"status": "active", "bank_id": world.bank.id, "page_size": 10})
    assert r.status_code == 200, r.get_json()
    assert [i["id"] for i in r.get_json()["items"]] == [loan["id"]]


def test_a_retried_body_with_its_members_in_another_order_is_the_same_request(world, client, db):  # noqa: ANN001
    loan = world.loan(principal="500000.00", start_date="2020-03-02")
    first = {"amount": "1000.00", "value_date": "2020-04-02", "external_ref": "ORDER-1"}
    headers = {**world.officer, "Idempotency-Key": "order-1", "Content-Type": "application/json"}
    a = client.post(f"/api/v1/pool-loans/{loan['id']}/repayments", headers=headers, data=json.dumps(first))
    assert a.status_code == 201, a.get_json()
    reordered = json.dumps(dict(reversed(list(first.items()))), indent=2)
    b = client.post(f"/api/v1/pool-loans/{loan['id']}/repayments", headers=headers, data=reordered)
    assert b.status_code == 201 and b.get_json() == a.get_json()
    view = client.get(f"/api/v1/pool-loans/{loan['id']}", headers=world.officer).get_json()
    assert [r["external_ref"] for r in view["repayments"]] == ["ORDER-1"]
    # a different amount under the same key is still a different request
    changed = client.post(f"/api/v1/pool-loans/{loan['id']}/repayments", headers=headers,
                          data=json.dumps({**first, "amount": "1000.01"}))
    assert_problem(changed, 422, "Idempotency-Key")


def test_a_retried_upload_with_a_nameless_form_part_is_a_problem_not_a_500(world, client):  # noqa: ANN001
    """A multipart part whose name werkzeug cannot read is keyed None; the retry fingerprint sorts the parts."""
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"]\"\r\n\r\n{{}}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"a\rb\"\r\n\r\nnull\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"file\"\r\n\r\n\x16\x18\r\n"
            f"--{boundary}--\r\n").encode()
    headers = {**world.manager, "Idempotency-Key": "nameless-1",
               "Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = client.post("/api/v1/pool-loans/import", headers=headers, data=body)
    assert 400 <= r.status_code < 500 and r.content_type == "application/problem+json", r.get_data(as_text=True)


@pytest.mark.parametrize(("literal", "status"), [("1.7976931348623157e308", 422), ("1.8e308", 400), ("-2e308", 400),
                                                 ("1e-400", 422)])
def test_numbers_are_read_exactly_and_refused_only_beyond_a_double(world, client, literal, status):  # noqa: ANN001
    """JSON numbers are parsed as exact decimals: one just inside a double's range reaches the schema (422, money is
    a string), one beyond it is a 400 before any view runs."""
    body = '{"amount": ' + literal + ', "value_date": "2020-03-02", "note": "n"}'
    r = client.post("/api/v1/pool/contributions", headers={**world.admin, "Content-Type": "application/json"},
                    data=body)
    assert_problem(r, status)
