"""Defects found by probing the merged service as a hostile client (issue 11 review), one test each."""

from __future__ import annotations

import re

import pytest

from tests.pool_support import PoolWorld

API = "/api/v1"
#: A figure printed with more than two decimals or with an exponent: never in anything a client reads.
UGLY = re.compile(r"\d\.\d{3,}|\dE[-+]?\d", re.IGNORECASE)


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def test_a_suspension_reason_prints_the_npl_ratio_and_threshold_as_percentages(world):  # noqa: ANN001
    w = world
    loan = w.loan(principal="1200000.00", start_date="2020-01-15")
    assert w.repay(loan["id"], "104350.00", "2020-02-15").status_code == 201
    w.loan(principal="1000000.00", start_date="2020-02-01")  # so that the bank has principal outstanding
    r = w.post(f"/pool-loans/{loan['id']}/write-off", {"value_date": "2020-09-30", "reason": "破产核销"}, w.officer)
    assert r.status_code == 200, r.get_json()
    bank = w.get(f"/banks/{w.bank.id}", w.officer).get_json()
    assert bank["status"] == "suspended"
    reason = bank["status_reason"]
    assert not UGLY.search(reason), reason
    assert re.search(r"NPL ratio \d+(\.\d+)?% on 2020-09-30 exceeds the threshold 5%$", reason), reason


def test_a_refused_recovery_on_a_written_off_loan_names_no_code_module(world):  # noqa: ANN001
    w = world
    loan = w.loan(principal="1200000.00", start_date="2020-01-15")
    r = w.post(f"/pool-loans/{loan['id']}/write-off", {"value_date": "2020-09-30", "reason": "破产核销"}, w.officer)
    assert r.status_code == 200, r.get_json()
    r = w.post(f"/pool-loans/{loan['id']}/recoveries",
               {"amount": "10.00", "value_date": "2020-10-01", "external_ref": "RC-1"}, w.officer)
    body = r.get_json()
    assert r.status_code == 409 and "status" in body["errors"], body
    assert "services." not in body["detail"] and "written off" in body["detail"], body
