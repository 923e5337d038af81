"""What the commands share: one transaction per service call, the business date, domain errors as messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask, current_app

from bridgefund.errors import DomainError

T = TypeVar("T")


def in_transaction(fn: Callable[..., T], *args: Any, app: Flask | None = None, **kwargs: Any) -> T:
    """Run one service call in one transaction (a unit of work of the app), as the request boundary does."""
    db = (app or current_app).extensions["bridgefund.db"]
    with db.sessionmaker() as session, session.begin():
        return fn(session, *args, **kwargs)


def today(app: Flask | None = None) -> dt.date:
    """The business date in the fund's timezone (``BRIDGEFUND_TODAY`` pins it)."""
    return (app or current_app).config["BRIDGEFUND"].business_date()


def fail(exc: DomainError) -> click.ClickException:
    """A refused operation as the command's error: the detail, then each field's problems."""
    lines = [exc.detail] + [f"  {k}: {'; '.join(v)}" for k, v in sorted(exc.errors.items())]
    return click.ClickException("\n".join(lines))
