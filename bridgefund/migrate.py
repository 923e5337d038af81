"""Alembic, configured in code (no alembic.ini): ``bridgefund db upgrade`` and the tests use this."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config

from bridgefund.config import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(url: str | None = None, connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str | None = None, revision: str = "heads", connection: Any = None) -> None:
    command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str | None = None, revision: str = "-1", connection: Any = None) -> None:
    command.downgrade(alembic_config(url, connection), revision)
