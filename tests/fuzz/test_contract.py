"""Contract fuzzing: schemathesis generates requests from the app's own OpenAPI document and checks every answer.

For every operation and every role (a real token each), valid and invalid requests are sent in-process (WSGI);
path ids are often swapped for ids of seeded rows of both banks, so the fuzzer reaches real loans, claims and
users and not only 404s. Each example runs in a savepoint that is rolled back, so one example's changes
(a revoked token, new settings) never leak into the next.

Checks: no server error, the status code is documented for the operation, the content type is the documented
one, the body matches the documented schema, and no error body leaks a stack trace or SQL.

``BRIDGEFUND_FUZZ_EXAMPLES`` sets the examples per operation, role and mode (``make test``: a few; ``make
fuzz``: many more).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz import seed as seeding

EXAMPLES = int(os.environ.get("BRIDGEFUND_FUZZ_EXAMPLES", "2"))
ROLES = ("admin", "fund_manager", "bank_officer", "auditor")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
LEAKS = re.compile(r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|SELECT |INSERT |UPDATE |DELETE FROM", re.I)


@pytest.fixture
def seed(factory, db, settings):  # noqa: ANN001, ANN201
    settings.today = seeding.TODAY.isoformat()
    return seeding.build(factory, db)


@pytest.fixture(scope="module")
def api_schema(app):  # noqa: ANN001, ANN201
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def _summary(exc: BaseException) -> str:
    """The failure's title(s) without the request details: one finding per kind, not per example."""
    subs = getattr(exc, "exceptions", None) or [exc]
    return "; ".join(sorted({(getattr(e, "title", None) or str(e).strip().splitlines()[0])[:100] for e in subs}))


def _leak_check(response: Any) -> str | None:
    if response.status_code >= 400 and LEAKS.search(response.text or ""):
        return f"error body leaks internals: {response.text[:300]}"
    return None


def _fuzz_operation(op: Any, role: str, seed: seeding.Seed, connection: Any, findings: dict[str, str],
                    statuses: Counter[int]) -> int:
    """Run the bounded fuzz of one operation as one role; record distinct findings; return examples run."""
    headers = seed.headers[role]
    ran = [0]
    # every operation has a negative strategy (a failure to build one is a finding, not something to skip)
    strategies = [op.as_strategy(GenerationMode.POSITIVE), op.as_strategy(GenerationMode.NEGATIVE)]

    @settings(max_examples=EXAMPLES * len(strategies), deadline=None, database=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: Any) -> None:
        case = data.draw(st.one_of(strategies))
        for name in list(case.path_parameters or {}):
            if name in seed.ids and data.draw(st.integers(0, 3)) > 0:
                case.path_parameters[name] = data.draw(st.sampled_from(seed.ids[name]))
        sp = connection.begin_nested()
        try:
            ran[0] += 1
            try:
                response = case.call(headers=headers)
                statuses[response.status_code] += 1
            except Exception as exc:  # noqa: BLE001 - an exception escaping the app is a server error
                findings.setdefault(f"{op.label} as {role}: exception {type(exc).__name__}",
                                    f"{exc!r}\n{case.as_curl_command()}")
                return
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every finding, keep fuzzing
                first = _summary(exc)
                findings.setdefault(f"{op.label} as {role}: {response.status_code} {first}",
                                    f"{str(exc)[:1500]}\n{case.as_curl_command()}")
            leak = _leak_check(response)
            if leak:
                findings.setdefault(f"{op.label} as {role}: leak", leak)
        finally:
            if sp.is_active:
                sp.rollback()

    run()
    return ran[0]


@pytest.mark.parametrize("role", ROLES)
def test_contract(role, api_schema, seed, connection, db):  # noqa: ANN001
    """Every documented operation, as ``role``: zero server errors, schema violations, undocumented codes."""
    findings: dict[str, str] = {}
    statuses: Counter[int] = Counter()
    n_ops = examples = reached = 0
    for op in _operations(api_schema):
        n_ops += 1
        db.expire_all()
        before = sum(n for code, n in statuses.items() if code < 300)
        examples += _fuzz_operation(op, role, seed, connection, findings, statuses)
        reached += sum(n for code, n in statuses.items() if code < 300) > before
    print(f"\ncontract fuzz as {role}: {n_ops} operations ({reached} answered 2xx at least once), {examples} "
          f"examples, statuses {dict(sorted(statuses.items()))}, {len(findings)} findings")
    assert not findings, f"{len(findings)} contract findings:\n\n" + "\n\n".join(
        f"* {k}\n{v}" for k, v in sorted(findings.items()))
