"""Migrations: upgrade to head leaves nothing for autogenerate to find; every step goes up, down and up again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bridgefund.db import Base, make_engine
from bridgefund.migrate import alembic_config, downgrade, upgrade


@pytest.fixture
def scratch_url(db_url: str, tmp_path) -> Iterator[str]:  # noqa: ANN001
    """An empty database of the same kind as the test database."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'stairway.sqlite3'}"
        return
    name = f"bf_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(db_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_models_and_migrations_agree(engine):  # noqa: ANN001
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"the models differ from the migrations: {diff}"


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"merge the migration heads: {heads}"


def test_stairway_up_down_up(scratch_url: str):
    """Each revision upgrades, downgrades back and upgrades again cleanly."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(reversed(list(script.walk_revisions("base", "heads"))))
    for rev in revisions:
        upgrade(scratch_url, rev.revision)
        # to a parent explicitly: with branches "-1" is ambiguous (a merge steps back to its first parent)
        down = rev.down_revision
        downgrade(scratch_url, "base" if down is None else down if isinstance(down, str) else down[0])
        upgrade(scratch_url, rev.revision)
    upgrade(scratch_url, "heads")
    eng = make_engine(scratch_url)
    try:
        tables = set(inspect(eng).get_table_names())
    finally:
        eng.dispose()
    assert set(Base.metadata.tables) <= tables
    downgrade(scratch_url, "base")
    eng = make_engine(scratch_url)
    try:
        assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    finally:
        eng.dispose()
