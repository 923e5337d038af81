"""Inserting many rows of one table at once (bulk imports), the same rows a Core ``INSERT`` would write.

* **SQLite**: one Core ``executemany`` (the driver loops in C).
* **PostgreSQL**: one statement, ``INSERT INTO t (c1, …) SELECT * FROM unnest(CAST(:c1 AS type[]), …)``, with a
  column's values as one array parameter. psycopg's ``executemany`` sends a statement per row (pipelined) and
  SQLAlchemy's insertmanyvalues renders statements of thousands of parameters that psycopg re-parses; both
  cost the server and the client far more per row (measured in ``bench/bench_import.py``).

Either way every value goes through its column type's bind processing first (``Money`` fen, ``Rate``,
timestamps, JSON), and the Python-side column defaults fill the columns a row leaves out — so the stored
rows are the ones ``table.insert()`` would store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, text


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), list(rows))
        return
    dialect = conn.dialect
    given = list(rows[0])
    defaults = [c for c in table.columns if c.name not in given and c.default is not None
                and (c.default.is_scalar or c.default.is_callable)]
    columns = [table.c[name] for name in given] + defaults
    params: dict[str, list[Any]] = {}
    casts = []
    for n, column in enumerate(columns):
        if column in defaults:
            default = column.default
            values = ([default.arg] * len(rows) if default.is_scalar  # type: ignore[union-attr]
                      else [default.arg(None) for _ in rows])  # type: ignore[union-attr]
        else:
            values = [row[column.name] for row in rows]
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            first = values[0]
            if all(v is first for v in values):  # a constant (zeros, defaults, the actor): processed once
                values = [process(first)] * len(values)
            else:
                values = [process(v) for v in values]
        params[f"p{n}"] = values
        casts.append(f"CAST(:p{n} AS {column.type.compile(dialect=dialect)}[])")
    names = ", ".join(dialect.identifier_preparer.format_column(c) for c in columns)
    # (names and types come from the table's metadata, every value is a bound parameter)
    stmt = text(f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "  # noqa: S608
                f"SELECT * FROM unnest({', '.join(casts)})")
    conn.execute(stmt.bindparams(*(bindparam(f"p{n}") for n in range(len(columns)))), params)
