"""/api/docs works on an intranet: Swagger UI comes from the package, and no page references another host."""

from __future__ import annotations

import configparser
import fnmatch
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "bridgefund" / "static" / "vendor"
LOOPBACK = re.compile(r"^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$", re.I)
# Where a page or a style sheet makes the browser (or WeasyPrint) fetch something.
_ATTR = re.compile(r"""\b(?:src|href|action|poster|data|srcset|formaction)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
                   re.I)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*?))\s*\)""", re.I)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
_ANY_URL = re.compile(r"""(?:\b[a-z][a-z0-9+.-]*:)?//([^/\s"'<>)\\]+)""", re.I)


def references(text: str) -> list[str]:
    """Every address in src/href/…=, url(…) and @import of an HTML page or a style sheet."""
    out: list[str] = []
    for pattern in (_ATTR, _CSS_URL, _CSS_IMPORT):
        for m in pattern.finditer(text):
            out.append(next(g for g in m.groups() if g is not None).strip())
    return out


def external(ref: str) -> bool:
    """True when ``ref`` names another host: ``http(s)://…``, ``//…`` or any ``scheme://…`` but loopback."""
    if ref.lower().startswith("data:"):
        return False
    if not re.match(r"^([a-z][a-z0-9+.-]*:)?//", ref, re.I):
        return False
    return not LOOPBACK.match(urlsplit(ref if "://" in ref else "http:" + ref).netloc)


def external_hosts_anywhere(text: str) -> list[str]:
    """Every ``//host`` in the text (scripts and JSON included) that is not loopback."""
    return [m.group(0) for m in _ANY_URL.finditer(text) if not LOOPBACK.match(m.group(1))]


def test_the_reference_finder_sees_external_hosts() -> None:
    page = """<link href="https://cdn.example/x.css"><script src='//cdn.example/x.js'></script>
              <img src=http://10.0.0.1/a.png><a href="/api/v1">ok</a><style>b{background:url(https://x.example/i)}</style>
              <style>@import "http://x.example/a.css"; i{background:url(data:image/png;base64,AAA)}</style>
              <script src="http://127.0.0.1:5000/a.js"></script><a href="http://localhost/">local</a>"""
    refs = references(page)
    assert [r for r in refs if external(r)] == [
        "https://cdn.example/x.css", "//cdn.example/x.js", "http://10.0.0.1/a.png", "https://x.example/i",
        "http://x.example/a.css"]
    assert external_hosts_anywhere('x = {url: "https://cdn.example/"}; y = "http://127.0.0.1/"') == [
        "https://cdn.example"]


def test_the_docs_page_loads_swagger_ui_from_the_package(client) -> None:  # noqa: ANN001
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert external_hosts_anywhere(page) == []
    refs = references(page)
    assert {r.rsplit("/", 1)[-1] for r in refs} >= {
        "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"}
    listed = json.loads((VENDOR / "VENDORED.json").read_text(encoding="utf-8"))["packages"][0]["files"]
    for ref in refs:
        assert ref.startswith("/static/vendor/swagger-ui/"), ref
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        body = asset.get_data()
        assert hashlib.sha256(body).hexdigest() == listed[ref.rsplit("/", 1)[-1]], f"{ref} is not the vendored file"
        asset.close()
        if ref.endswith(".css"):
            assert [r for r in references(body.decode()) if external(r)] == []
    # The start-up script turns off the outside validator (its badge image would be fetched from its host).
    config = json.loads(re.search(r"var override_config = (\{.*?\});", page, re.S).group(1))
    assert config["validatorUrl"] is None
    assert "url: \"/api/openapi.json\"" in page
    # And the browser is told to load nothing from another origin.
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert not re.search(r"https?:|//|\*", csp)


def test_no_page_or_template_of_the_service_references_an_external_host(app, client) -> None:  # noqa: ANN001
    """Every argument-free GET page outside the JSON API, every report template and style sheet, the docs assets."""
    checked: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments or rule.rule.startswith("/api/v1"):
            continue
        resp = client.get(rule.rule)
        text = resp.get_data(as_text=True)
        if resp.mimetype in ("text/html", "text/css"):
            bad = [r for r in references(text) if external(r)]
            assert bad == [], f"{rule.rule} references {bad}"
        if resp.mimetype in ("text/html", "application/json") and rule.rule != "/api/openapi.json":
            assert external_hosts_anywhere(text) == [], rule.rule
        checked.append(rule.rule)
    assert {"/api/docs", "/api/openapi.json", "/healthz"} <= set(checked)
    files = [p for p in (ROOT / "templates").rglob("*") if p.suffix in (".html", ".css", ".svg")]
    files += [p for p in (ROOT / "bridgefund").rglob("*") if p.suffix in (".html", ".css", ".svg")]
    assert any(p.name == "report.css" for p in files) and any(p.name == "swagger-ui.css" for p in files)
    for path in files:
        text = path.read_text(encoding="utf-8")
        bad = [r for r in references(text) if external(r)]
        assert bad == [], f"{path.relative_to(ROOT)} references {bad}"


def test_the_openapi_document_names_no_server_elsewhere(client) -> None:  # noqa: ANN001
    """The document's links that a client would follow (servers, externalDocs) stay on this host."""
    spec = client.get("/api/openapi.json").get_json()
    assert [s for s in spec.get("servers", []) if external(s.get("url", ""))] == []
    assert "externalDocs" not in spec


def _vendored() -> list[dict]:
    return json.loads((VENDOR / "VENDORED.json").read_text(encoding="utf-8"))["packages"]


@pytest.mark.parametrize("package", _vendored(), ids=lambda p: p["name"])
def test_the_vendored_files_are_the_listed_ones(package: dict) -> None:
    """Pinned, complete, unmodified: the files on disk are exactly those listed, with the listed sha256."""
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), "pin an exact version"
    assert package["version"] in package["source"]
    assert package["license"] and package["license_files"]
    folder = VENDOR / package["directory"]
    on_disk = {p.name for p in folder.iterdir() if p.is_file()}
    assert on_disk == set(package["files"]), "every vendored file is listed, every listed file is there"
    assert set(package["license_files"]) <= on_disk
    for name, digest in package["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{name} changed"
    if package["name"] == "swagger-ui-dist":  # the bundle states its own version
        bundle = (folder / "swagger-ui-bundle.js").read_text(encoding="utf-8")
        assert f'PACKAGE_VERSION:"{package["version"]}"' in bundle


def test_the_vendored_files_are_package_data() -> None:
    """An installed (non-editable) package carries them: setup.cfg's package_data and MANIFEST.in name them."""
    setup_cfg = configparser.ConfigParser()
    setup_cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    assert setup_cfg.getboolean("options", "include_package_data")
    patterns = setup_cfg["options.package_data"]["bridgefund"].split()
    for package in _vendored():
        for name in package["files"]:
            assert any(fnmatch.fnmatch(f"static/vendor/{package['directory']}/{name}", p) for p in patterns), name
    assert any(fnmatch.fnmatch("static/vendor/VENDORED.json", p) for p in patterns)
    assert "bridgefund/static" in (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
