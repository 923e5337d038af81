"""The demo story: spring 2020 in the zone, loaded chapter by chapter into an empty database.

Each chapter is a module with ``load(session, story)``; ``story`` is a dict the chapters share (banks by
code, users by name, enterprises…). The whole story is one transaction: it loads completely or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from bridgefund.demo import bridge, pool, registry
from bridgefund.models import Bank

#: Chapter modules, in story order. Later chapters build on the earlier ones' ``story`` entries.
CHAPTERS = (registry, bridge, pool)


def load_demo(app: Flask, *, if_empty: bool = False, echo: Callable[[str], Any] = print) -> bool:
    db = app.extensions["bridgefund.db"]
    with db.sessionmaker() as session, session.begin():
        if session.scalar(select(Bank.id).limit(1)) is not None:
            if if_empty:
                echo("demo: the database already has data; nothing loaded")
                return False
            raise SystemExit("demo: the database is not empty; the demo loads only into an empty database")
        story: dict[str, Any] = {"app": app, "logins": []}
        for chapter in CHAPTERS:
            chapter.load(session, story)
    echo("demo loaded. Logins (username / password):")
    for role, username, password in story["logins"]:
        echo(f"  {role:<13} {username:<16} {password}")
    return True
