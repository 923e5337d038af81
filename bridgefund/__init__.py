"""BridgeFund: the emergency bridge-loan fund and risk-compensation pool of a high-tech zone."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

__version__ = "0.1.0"


class BoundedInt(IntegerConverter):
    """``<int:…>`` path segments: ASCII digits only (a regex ``\\d`` would take ``１`` or ``١`` too: another URL
    of record 1). A number beyond a 32-bit id column is simply not found (404, raised by :mod:`bridgefund.web`
    before any query) — not refused by routing, where werkzeug would answer 405 for a PATCH or POST because it
    checks the method before the converter (found by the contract fuzzer).
    """

    regex = r"[0-9]{1,18}"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, database, auth, request handling, API blueprints, the staff console, CLI."""
    # Imported here, not at the top: importing the package (``bridgefund.finance`` alone, the migrations) must not
    # load Flask and the whole application.
    from bridgefund import console, jobs, metrics, web
    from bridgefund.api import docs
    from bridgefund.api.app import register as register_api
    from bridgefund.api.problems import document_problems
    from bridgefund.cli import register_commands
    from bridgefund.config import load_settings
    from bridgefund.db import Database, make_engine, make_replica_engine, read_only_sessionmaker
    from bridgefund.services import unit_of_work
    from bridgefund.services.auth import AuthConfig

    config = dict(config or {})
    engine = config.pop("engine", None)
    settings = load_settings(config)
    app = Flask(__name__, instance_path=settings.instance_dir)
    app.url_map.converters["int"] = BoundedInt
    app.config.update(
        BRIDGEFUND=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        API_TITLE="BridgeFund",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=docs.SWAGGER_UI_URL,  # the vendored copy: no CDN (bridgefund/api/docs.py)
        OPENAPI_SWAGGER_UI_CONFIG=docs.SWAGGER_UI_CONFIG,
        API_SPEC_OPTIONS={
            "info": {"description": docs.API_DESCRIPTION},
            "security": [{"bearer": []}],
        },
    )
    app.json.ensure_ascii = False  # Chinese names stay readable in responses
    logging.getLogger("bridgefund").setLevel(settings.log_level)
    engine = engine or make_engine(settings.database_url)
    replica = make_replica_engine(settings.replica_database_url) if settings.replica_database_url else None
    app.extensions["bridgefund.db"] = Database(
        engine, unit_of_work.sessionmaker(engine, replica=read_only_sessionmaker(replica) if replica else None),
        replica)
    app.extensions["bridgefund.auth"] = AuthConfig.build(settings)
    web.init_app(app)
    jobs.init_app(app)
    metrics.init_app(app)
    smorest_api = register_api(app)
    document_problems(smorest_api, app)
    docs.document_operations(smorest_api, app)
    docs.init_app(app, app.config["OPENAPI_URL_PREFIX"] + app.config["OPENAPI_SWAGGER_UI_PATH"])
    console.init_app(app)
    register_commands(app)
    return app
