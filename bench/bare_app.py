"""The bare baseline of ``bench/bench_ratio.py``: Flask + SQLAlchemy Core and nothing else.

Served by the same gunicorn settings as the service (``bench_ratio.py`` starts both) against the same PostgreSQL
database (``BENCH_BARE_DATABASE_URL``), so a ratio of the two measures what BridgeFund adds on top of the stack:

* ``GET /hello`` — a constant JSON body: routing, WSGI and gunicorn's HTTP handling;
* ``GET /page`` — the newest 25 rows read with Core and rendered as an HTML table by a Jinja template: the floor of
  a console page (``bench/bench_console.py`` times it in the same rounds as the console's pages);
* ``POST /insert`` — one row inserted with Core and committed (a pool checkout with the same liveness check as the
  service's engine — ``bridgefund.db.check_liveness_on_checkout``, which replaced ``pool_pre_ping`` in issue 16 —
  BEGIN, INSERT … RETURNING, COMMIT): the floor of any durable write.

No authentication, validation, audit or ORM: this is the stack's floor, not a competitor.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, create_engine, func, insert, select

from bridgefund.db import check_liveness_on_checkout

metadata = MetaData()

#: The one table the baseline writes; created by ``bench_ratio.py`` (``create_table``) before the app starts.
rows = Table("bench_bare_rows", metadata,
             Column("id", Integer, primary_key=True),
             Column("n", Integer, nullable=False),
             Column("note", Text, nullable=False),
             Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()))


#: ``GET /page``'s template: a heading and a table of the rows, escaped like any Jinja page.
PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>rows</title></head><body>
<h1>Rows</h1><table><thead><tr><th>id</th><th>n</th><th>note</th><th>created</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.id }}</td><td>{{ r.n }}</td><td>{{ r.note }}</td><td>{{ r.created_at }}</td></tr>
{% endfor %}</tbody></table></body></html>"""


def create_table(url: str) -> None:
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = create_engine(url or os.environ["BENCH_BARE_DATABASE_URL"])
    if engine.dialect.name != "sqlite":
        check_liveness_on_checkout(engine)  # as bridgefund.db's engines

    @app.get("/hello")
    def hello():
        return {"hello": "world"}

    template = app.jinja_env.from_string(PAGE)  # compiled once, as Flask's template loader caches a file's

    @app.get("/page")
    def page():
        with engine.connect() as conn:
            found = conn.execute(select(rows).order_by(rows.c.id.desc()).limit(25)).all()
        return template.render(rows=found)

    @app.post("/insert")
    def insert_one():
        body = request.get_json(silent=True) or {}
        with engine.begin() as conn:
            new_id = conn.scalar(insert(rows).values(n=int(body.get("n", 0)), note=str(body.get("note", "")))
                                 .returning(rows.c.id))
        return jsonify(id=new_id), 201

    return app


app = create_app() if "BENCH_BARE_DATABASE_URL" in os.environ else None
