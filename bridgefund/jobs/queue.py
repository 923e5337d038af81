"""The Huey instance of an app, from its settings.

* ``BRIDGEFUND_REDIS_URL`` set → :class:`huey.RedisHuey`: any number of consumers on any number of hosts.
* otherwise → :class:`huey.SqliteHuey` on ``BRIDGEFUND_HUEY_SQLITE`` (default ``instance/huey.sqlite3``): the
  embedded default of ``make run``, one host.
* ``huey_immediate`` (the tests) → tasks run inline where they are enqueued, in memory, without a consumer.

Huey keeps no results (``results=False``): a job's outcome lives in its ``jobs`` row, which any web process reads.
"""

from __future__ import annotations

from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from bridgefund.config import Settings

NAME = "bridgefund"


def make_huey(settings: Settings) -> Huey:
    if settings.huey_immediate:
        return MemoryHuey(NAME, immediate=True, results=False)
    if settings.redis_url:
        return RedisHuey(NAME, url=settings.redis_url, results=False)
    Path(settings.huey_sqlite).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(NAME, filename=settings.huey_sqlite, results=False)


def backend(huey: Huey) -> str:
    """``immediate``, ``redis`` or ``sqlite`` (for ``/healthz`` and the logs)."""
    if huey.immediate:
        return "immediate"
    return "redis" if isinstance(huey, RedisHuey) else "sqlite"
