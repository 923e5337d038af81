"""The ``bridgefund`` command: database migrations, summaries, users, the demo story, pool tools, reports, background
jobs, serving.

One module per group of commands (``database``, ``summaries``, ``users``, ``demo``, ``pool``, ``report``,
``jobs``); they share ``common`` (one transaction per service call, the business date, errors as messages) and
sit on top of the services, the figures, the reports and the jobs — nothing below imports them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.cli import FlaskGroup

from bridgefund import create_app
from bridgefund.cli.database import db_group
from bridgefund.cli.demo import demo
from bridgefund.cli.jobs import jobs_group
from bridgefund.cli.pool import import_pool_loans, pool_sweep
from bridgefund.cli.report import export_files, report_group
from bridgefund.cli.summaries import summaries_group
from bridgefund.cli.users import create_user


def register_commands(app: Flask) -> None:
    for command in (db_group, summaries_group, create_user, demo, report_group, import_pool_loans, pool_sweep,
                    jobs_group, export_files):
        app.cli.add_command(command)


def _create_app(*_args: Any, **_kwargs: Any) -> Flask:
    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=True, help="BridgeFund administration.")
