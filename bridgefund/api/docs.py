"""The browsable API page, ``/api/docs``: Swagger UI served from the package itself, never from a CDN.

The service usually runs on an intranet without internet access, where a page that loads its scripts from another
host is blank. The Swagger UI files are a pinned, unmodified copy under ``bridgefund/static/vendor/swagger-ui``
(listed with their sha256 and licence in ``bridgefund/static/vendor/VENDORED.json``), served as the app's static
files; the page's Content-Security-Policy lets the browser load nothing from any other origin.
"""

from __future__ import annotations

from flask import Flask, Response, request

#: Where flask-smorest's Swagger UI page loads ``swagger-ui-bundle.js`` and friends from (``OPENAPI_SWAGGER_UI_URL``).
SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
#: Swagger UI settings: no ``validatorUrl`` (its default sends the document's address to an outside validator and
#: shows a badge image loaded from there).
SWAGGER_UI_CONFIG = {"validatorUrl": None, "deepLinking": True}
#: Same origin only: the page's own inline start-up script and the UI's inline styles, data: images.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def init_app(app: Flask, docs_path: str) -> None:
    """Send the same-origin policy with the docs page and the static files it loads."""

    @app.after_request
    def docs_policy(resp: Response) -> Response:
        if request.path == docs_path or request.path.startswith(app.static_url_path + "/"):
            resp.headers.setdefault("Content-Security-Policy", DOCS_CSP)
        return resp
