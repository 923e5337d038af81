"""The blueprint every API module uses: flask-smorest's, with a query-string parser that says no to what it ignores.

webargs drops unknown query parameters and reads only the first of a repeated one. For a money service both hide
mistakes: ``?stauts=repaid`` would list every loan, ``?page=2&page=3`` would answer page 2. Here either is a 422
problem naming the parameter (the schema's own ``unknown = RAISE`` applies to the query string too).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint as _Blueprint
from webargs.flaskparser import FlaskParser


class StrictQueryParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def load_querystring(self, req: Any, schema: ma.Schema) -> Any:
        repeated = sorted(key for key in req.args
                          if len(req.args.getlist(key)) > 1 and not _takes_many(schema.fields.get(key)))
        if repeated:
            raise ma.ValidationError({key: ["Given more than once."] for key in repeated})
        return super().load_querystring(req, schema)


def _takes_many(field: ma.fields.Field | None) -> bool:
    return isinstance(field, ma.fields.List | ma.fields.Tuple)


class Blueprint(_Blueprint):
    ARGUMENTS_PARSER = StrictQueryParser()
