"""Shared by the race tests: real threads, each with its own client (and so its own connection), released at once."""

from __future__ import annotations

import threading
from typing import Any

from bridgefund.services.actor import Actor


def actor_of(user: Any) -> Actor:
    return Actor(id=user.id, username=user.username, role=user.role, bank_id=user.bank_id)


def race(w: dict, calls: list[tuple[str, dict, Any]]) -> list[int]:
    """Run each (path, body, user) POST in its own thread with its own client, all released at once."""
    headers = [w["factory"].headers(user) for _, _, user in calls]
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        path, body, _ = calls[i]
        try:
            client = w["app"].test_client()
            barrier.wait(timeout=30)
            results[i] = client.post("/api/v1" + path, json=body, headers=headers[i]).status_code
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results
