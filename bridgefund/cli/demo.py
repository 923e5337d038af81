"""``bridgefund demo``: the spring-2020 story, and its March 2020 monthly report."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from bridgefund.cli.report import demo_report
from bridgefund.demo import load_demo


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has banks.")
@with_appcontext
def demo(if_empty: bool) -> None:
    """Load the demo story (spring 2020) into an empty database and print the demo logins."""
    if load_demo(current_app, if_empty=if_empty, echo=click.echo):
        demo_report(current_app, echo=click.echo)  # after the story's commit: the PDF follows its record
