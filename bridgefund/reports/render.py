"""Rendering of report PDFs: Jinja templates from ``templates/`` → HTML → WeasyPrint → PDF bytes.

This module knows nothing about the database: callers build the report data as plain dicts first (so the
figures are testable without rendering) and hand them to :func:`render_pdf`.

Fonts. Every PDF embeds the Simplified Chinese face of Noto Sans CJK ("Noto Sans CJK SC", Debian package
``fonts-noto-cjk``), Regular and Bold. :func:`find_cjk_font` locates the installed files at run time and raises
:class:`FontMissing` if they are absent, so a machine without the font fails loudly instead of printing tofu.
Debian ships the font as an OpenType *collection* (JP, KR, SC, TC, HK in one file); handed the whole collection,
WeasyPrint takes its first (JP) face and only gets Chinese glyph forms through ``lang="zh-CN"``, so English
reports would print Chinese names in Japanese forms. We therefore extract the SC face from the collection once per
process and serve it to ``@font-face`` under the private URL scheme ``bridgefund-font:`` (see ``report.css``).
Rare ideographs of names (CJK Extension B–F, e.g. 𠀀 U+20000) that the SC face lacks come from HanaMinB (Debian
``fonts-hanazono``), declared the same way but only for documents that contain such a character.
Subsetting that 16 MB font is fast only with HarfBuzz's subsetter (Debian ``libharfbuzz-subset0``); without it
WeasyPrint falls back to fontTools, about 20× slower — we log a warning. Timings are in ``docs/rendering.md``.

Resources. WeasyPrint fetches stylesheets, images and fonts through :class:`ReportURLFetcher`, which serves
``file:`` URLs that resolve (after symlinks and ``..``) inside the templates folder, ``data:`` URLs (self-contained)
and the CJK font; anything else — ``http(s):``, ``file:`` outside the folder — raises :class:`ResourceRefused`,
and rendering stops (a report with a silently missing stylesheet or image is worse than none).

Reproducibility. The same template and context give byte-identical PDFs: WeasyPrint writes no dates of its own
(``/CreationDate`` and ``/ModDate`` come only from ``<meta name="dcterms.created|modified">``, which ``base.html``
fills from the context's ``generated_at``), font subset tags are derived from the glyphs used, and we ask for
a content-hash ``/ID`` (``pdf_identifier=True``). What still varies: the ``/Producer`` string names the
WeasyPrint version, and a different font file or HarfBuzz version changes the embedded subsets — so a report is
reproducible on the same machine image, not across upgrades. ``uncompressed_pdf=True`` helps to diff two PDFs.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import mimetypes
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from fontTools.ttLib import TTCollection, TTFont, TTLibError
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.text.ffi import harfbuzz, harfbuzz_subset
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from bridgefund.reports.charts import svg_bar_chart, svg_line_chart

log = logging.getLogger(__name__)

#: The repository's ``templates/`` folder (Jinja templates, CSS, images of the PDFs).
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

#: The installed face the reports embed (its name in the font files).
CJK_FAMILY = "Noto Sans CJK SC"
#: The ``@font-face`` family that ``report.css`` declares for it and names first. Distinct from CJK_FAMILY so the
#: face comes from the file we located and served, never from whatever fontconfig would pick for the name.
FONT_FACE_FAMILY = "BridgeFund Noto Sans CJK SC"
#: Private URL scheme under which the fetcher serves the located font (``bridgefund-font:<key>``).
FONT_SCHEME = "bridgefund-font"
#: ``@font-face`` URL → weight of the face it serves.
FONT_URLS = {
    f"{FONT_SCHEME}:noto-sans-cjk-sc-regular": "regular",
    f"{FONT_SCHEME}:noto-sans-cjk-sc-bold": "bold",
}
#: Where distributions put the files (Debian/Ubuntu ``fonts-noto-cjk`` first); fontconfig is asked after these.
KNOWN_FONT_PATHS = {
    "regular": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    ),
    "bold": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
    ),
}
#: The fallback face for the rare ideographs of CJK Extensions B–F (U+20000–U+2EBEF, e.g. 𠀀 U+20000, 𪚥 U+2A6A5)
#: that Noto Sans CJK SC lacks: HanaMinB of Debian's ``fonts-hanazono`` (a Mincho design; it holds only those
#: planes). Served like the SC face under its own family name, and only to documents that contain such a character
#: (:data:`RARE_FONT_CSS`): embedding it costs nothing when no name needs it.
RARE_FAMILY = "HanaMinB"
RARE_FACE_FAMILY = "BridgeFund HanaMinB"
RARE_FONT_URL = f"{FONT_SCHEME}:hanamin-b"
KNOWN_RARE_FONT_PATHS = (
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
    "/usr/share/fonts/hanazono/HanaMinB.ttf",
    "/usr/share/fonts/TTF/HanaMinB.ttf",
)
#: First code point of the Supplementary Ideographic Plane: characters from here on need the fallback face.
RARE_FIRST = 0x20000
RARE_FONT_CSS = f"""@font-face {{
  font-family: "{RARE_FACE_FAMILY}";
  src: url("{RARE_FONT_URL}");
  font-weight: 400;
  font-style: normal;
}}
"""
INSTALL_HINT = (
    "install it with `apt-get install -y fonts-noto-cjk fonts-hanazono libharfbuzz-subset0` (Debian/Ubuntu; "
    "`make install` does it)"
)
LANGS = {"zh": "zh-CN", "en": "en"}


class RenderError(RuntimeError):
    """A report PDF cannot be rendered on this machine or from this template."""


class FontMissing(RenderError):
    """The Simplified Chinese font that every report embeds is not installed."""


class ResourceRefused(RenderError):
    """A template asked for a resource outside the templates folder, or one that does not exist."""


# --------------------------------------------------------------------------------------------------- fonts


def find_cjk_font(weight: str = "regular") -> Path:
    """Return the installed font file holding the "Noto Sans CJK SC" face of ``weight`` ("regular" or "bold").

    Known install paths are tried first, then fontconfig (``fc-list``), so a copy under ``/usr/local/share/fonts``
    or ``~/.fonts`` is found too. Raise :class:`FontMissing`, saying how to install it, when there is none.
    """
    if weight not in KNOWN_FONT_PATHS:
        raise ValueError(f"weight must be one of {sorted(KNOWN_FONT_PATHS)}, not {weight!r}")
    candidates = [Path(p) for p in KNOWN_FONT_PATHS[weight]] + _fontconfig_files(weight)
    for path in candidates:
        if path.is_file() and _sc_face_index(path) is not None:
            return path
    raise FontMissing(
        f"No {weight} '{CJK_FAMILY}' font found (looked in {', '.join(KNOWN_FONT_PATHS[weight])} and asked "
        f"fontconfig); report PDFs would print boxes instead of Chinese: {INSTALL_HINT}."
    )


def _fontconfig_files(weight: str) -> list[Path]:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    style = "Bold" if weight == "bold" else "Regular"
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [fc_list, f"{CJK_FAMILY}:style={style}", "file"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(Path(line.strip().rstrip(":")) for line in out.splitlines() if line.strip())


def _sc_face_index(path: Path) -> int | None:
    """Index of the "Noto Sans CJK SC" face in ``path`` (0 for a single font), or None if it has none."""
    try:
        with path.open("rb") as f:
            is_collection = f.read(4) == b"ttcf"
        fonts = TTCollection(str(path), lazy=True).fonts if is_collection else [TTFont(str(path), lazy=True)]
        for index, font in enumerate(fonts):
            if font["name"].getDebugName(1) == CJK_FAMILY:
                return index
    except (OSError, TTLibError, KeyError):
        return None
    return None


@functools.cache
def cjk_font_bytes(weight: str) -> bytes:
    """The SC face of ``weight`` as a single OpenType font, cut out of the installed collection (cached)."""
    path = find_cjk_font(weight)
    index = _sc_face_index(path)
    _warn_if_slow_subsetting()
    with path.open("rb") as f:
        if f.read(4) != b"ttcf":
            return path.read_bytes()
    out = io.BytesIO()
    # lazy: tables are copied as raw bytes, so cutting the 16 MB face out takes well under a second.
    # recalcTimestamp=False: keep head.modified, else every process would embed a different font (and PDF).
    TTFont(str(path), fontNumber=index, lazy=True, recalcTimestamp=False).save(out)
    return out.getvalue()


def find_rare_font() -> Path:
    """Return the installed HanaMinB file (CJK Extensions B–F); raise :class:`FontMissing` when there is none."""
    candidates = [Path(p) for p in KNOWN_RARE_FONT_PATHS] + _fontconfig_family_files(RARE_FAMILY)
    for path in candidates:
        if path.is_file() and _has_family(path, RARE_FAMILY):
            return path
    raise FontMissing(
        f"No '{RARE_FAMILY}' font found (looked in {', '.join(KNOWN_RARE_FONT_PATHS)} and asked fontconfig); "
        f"rare characters of names (CJK Extension B and beyond) would print as boxes: {INSTALL_HINT}."
    )


def _fontconfig_family_files(family: str) -> list[Path]:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [fc_list, family, "file"], capture_output=True, text=True, timeout=10, check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(Path(line.strip().rstrip(":")) for line in out.splitlines() if line.strip())


def _has_family(path: Path, family: str) -> bool:
    try:
        return TTFont(str(path), lazy=True)["name"].getDebugName(1) == family
    except (OSError, TTLibError, KeyError):
        return False


@functools.cache
def rare_font_bytes() -> bytes:
    """The HanaMinB font file's bytes (cached; 30 MB, read once per process and only when a report needs it)."""
    return find_rare_font().read_bytes()


def needs_rare_font(text: str) -> bool:
    """Whether ``text`` holds a character at U+20000 or above (CJK Extension B and the later ideograph planes)."""
    return any(ord(c) >= RARE_FIRST for c in text)


def _warn_if_slow_subsetting() -> None:
    if not harfbuzz_subset or not harfbuzz.hb_version_atleast(4, 1, 0):
        log.warning(
            "HarfBuzz's subsetter (libharfbuzz-subset0) is missing: WeasyPrint subsets the CJK font with fontTools, "
            "about 20x slower (a 500-row table takes ~19 s instead of ~3 s): %s", INSTALL_HINT,
        )


# ----------------------------------------------------------------------------------------- URL fetcher


class ReportURLFetcher(URLFetcher):
    """WeasyPrint's URL fetcher for reports: templates-folder files, ``data:`` URLs and the CJK font, nothing else.

    Serves ``file:`` URLs that resolve (symlinks and ``..`` followed) to a file inside ``templates_dir``, ``data:``
    URLs (they carry their content, so they reach nothing), and the located CJK font under ``bridgefund-font:``.
    Anything else — http, https, ftp, a file outside the folder, a missing file — raises :class:`ResourceRefused`.
    """

    def __init__(self, templates_dir: Path | None = None, fonts: Callable[[str], bytes] = cjk_font_bytes,
                 rare_font: Callable[[], bytes] = rare_font_bytes):
        # fail_on_errors: a refused or missing resource stops the rendering instead of leaving a warning in a log.
        super().__init__(fail_on_errors=True)
        self.root = (templates_dir or TEMPLATES_DIR).resolve()
        self._fonts = fonts
        self._rare_font = rare_font

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        if url in FONT_URLS:
            return URLFetcherResponse(url, self._fonts(FONT_URLS[url]), {"Content-Type": "font/otf"})
        if url == RARE_FONT_URL:
            return URLFetcherResponse(url, self._rare_font(), {"Content-Type": "font/ttf"})
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            with DataHandler().data_open(Request(url)) as response:  # noqa: S310 - data: only, reaches nothing
                return URLFetcherResponse(url, response.read(), {"Content-Type": response.headers["Content-Type"]})
        if scheme == "file":
            path = self.resolve_file(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})
        raise ResourceRefused(f"refused to fetch {url[:200]!r}: reports may use only files under {self.root}")

    def resolve_file(self, url: str) -> Path:
        """The file a ``file:`` URL names if it lies inside the templates folder; else raise ResourceRefused."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"refused to fetch {url[:200]!r}: remote file URL")
        try:
            path = Path(unquote(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise ResourceRefused(f"refused to fetch {url[:200]!r}: {exc}") from exc
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ResourceRefused(f"refused to fetch {url[:200]!r}: not a file under {self.root}")
        return path


# ------------------------------------------------------------------------------------------------ filters

FEN = Decimal("0.01")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money and ratios must be Decimal, int or str — never float")
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"expected a Decimal, int or numeric str, got {type(value).__name__}")
    return Decimal(value)


def _grouped(value: Decimal, places: int) -> str:
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)  # no "-0.00"
    return f"{q:,.{places}f}"


def yuan(value: Any, places: int = 2) -> str:
    """Amount in yuan with thousands separators and 2 decimals: Decimal("1234567.891") → "1,234,567.89"."""
    if value is None:
        return "—"
    return _grouped(_decimal(value), places)


def wan(value: Any, places: int = 2) -> str:
    """Amount in yuan shown in 万元 (ten thousands): 620450000 → "62,045.00"."""
    if value is None:
        return "—"
    return _grouped(_decimal(value).scaleb(-4), places)


def wan_axis(value: Any) -> str:
    """万元 for chart axis ticks, with only the decimals needed: 60000000 → "6,000", 25000 → "2.5"."""
    q = _decimal(value).scaleb(-4).quantize(FEN, rounding=ROUND_HALF_UP).normalize()
    return _grouped(q, max(0, -q.as_tuple().exponent))


def pct(value: Any, places: int = 2) -> str:
    """Ratio as a percentage: Decimal("0.1234") → "12.34%"."""
    if value is None:
        return "—"
    return _grouped(_decimal(value).scaleb(2), places) + "%"


def num(value: Any) -> str:
    """Count with thousands separators: 12345 → "12,345"."""
    if value is None:
        return "—"
    return _grouped(_decimal(value), 0)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.date):  # datetime is a date too
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def date_zh(value: Any) -> str:
    """2020-03-31 → "2020年3月31日"."""
    if value is None:
        return "—"
    d = _as_date(value)
    return f"{d.year}年{d.month}月{d.day}日"


def date_en(value: Any) -> str:
    """2020-03-31 → "31 March 2020" (month names fixed, not taken from the machine's locale)."""
    if value is None:
        return "—"
    d = _as_date(value)
    return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"


def timestamp(value: dt.datetime) -> str:
    """A generation time for footers: "2020-03-31 14:05" (the time as given; callers pass the fund's local time)."""
    return value.strftime("%Y-%m-%d %H:%M")


def w3cdtf(value: dt.datetime) -> str:
    """A W3C date-time for ``<meta name="dcterms.created">``: "2020-03-31T14:05:00+08:00" (no microseconds)."""
    return value.replace(microsecond=0).isoformat()


#: Where a Chinese name may wrap: after the bank ("中国工商银行|郑州高新技术开发区支行"), before the company form
#: ("郑州中科信息技术|有限公司"), and at (breaking) spaces. Nowhere else: "…高新区支" / "行" is no line to read.
_NAME_BREAKS = re.compile(r"(?<=银行)(?=.)|(?<!股份)(?=(?:股份)?有限(?:责任)?公司$)|(?=集团)|(?<= )")
#: Longer pieces stay breakable anywhere, so that an unusual name can never run out of its cell: every column that
#: shows names is at least 11 characters of its font wide ("郑州高新技术开发区支行" is 11).
KEEP_MAX_CHARS = 11


def keep_words(value: Any) -> Markup:
    """A name as HTML whose lines break only between its words: each piece of up to 11 characters in a nowrap span.

    "中国工商银行郑州高新技术开发区支行" → ``<span class="kw">中国工商银行</span>`` +
    ``<span class="kw">郑州高新技术开发区支行</span>``. Escaped; ``None`` → "—".
    """
    if value is None:
        return Markup("—")
    pieces = [p for p in _NAME_BREAKS.split(str(value)) if p]
    return Markup("").join(
        Markup('<span class="kw">{}</span>').format(p) if len(p.strip()) <= KEEP_MAX_CHARS else escape(p)
        for p in pieces
    )


FILTERS: dict[str, Callable[..., str]] = {
    "keep_words": keep_words, "yuan": yuan, "wan": wan, "wan_axis": wan_axis, "pct": pct, "num": num,
    "date_zh": date_zh, "date_en": date_en, "timestamp": timestamp, "w3cdtf": w3cdtf,
}


def make_environment(templates_dir: Path | None = None) -> Environment:
    """A Jinja environment over ``templates_dir`` (default: the repo's ``templates/``) with the report filters.

    Autoescape is on for .html/.xml/.svg; undefined names raise (a report with a blank figure is a wrong report).
    """
    env = Environment(
        loader=FileSystemLoader(templates_dir or TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "htm", "xml", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(FILTERS)  # also as functions, e.g. line_chart(trend, value_format=wan)
    env.globals.update(line_chart=svg_line_chart, bar_chart=svg_bar_chart, FONT_FACE_FAMILY=FONT_FACE_FAMILY,
                       RARE_FACE_FAMILY=RARE_FACE_FAMILY)
    return env


@functools.cache
def _default_environment() -> Environment:
    return make_environment()


# ------------------------------------------------------------------------------------------------- render


def render_html(template_name: str, context: Mapping[str, Any], *, lang: str = "zh",
                templates_dir: Path | None = None) -> str:
    """Render ``template_name`` to an HTML string; adds ``lang`` ("zh"/"en") and ``html_lang`` to the context."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {sorted(LANGS)}, not {lang!r}")
    env = make_environment(templates_dir) if templates_dir else _default_environment()
    return env.get_template(template_name).render({**context, "lang": lang, "html_lang": LANGS[lang]})


def render_document(template_name: str, context: Mapping[str, Any], *, lang: str = "zh",
                    base_url: str | None = None, templates_dir: Path | None = None) -> Document:
    """Render ``templates/<template_name>`` with ``context`` to a laid-out WeasyPrint document (pages and boxes).

    What :func:`render_pdf` writes; the tests read its boxes to check the layout (no text out of its cell).
    Raises :class:`FontMissing` before any work when the CJK font is not installed (or, for a document with
    CJK Extension B+ characters, the fallback face), and :class:`ResourceRefused` when the template refers to
    anything the fetcher does not serve.
    """
    for weight in ("regular", "bold"):
        cjk_font_bytes(weight)  # fail loudly (FontMissing) before rendering anything
    root = templates_dir or TEMPLATES_DIR
    html = render_html(template_name, context, lang=lang, templates_dir=templates_dir)
    fetcher = ReportURLFetcher(root)
    font_config = FontConfiguration()
    rare = needs_rare_font(html)
    if rare:
        rare_font_bytes()  # FontMissing before rendering, as for the SC face
    try:
        # The fallback face is declared only when a character needs it: loading 30 MB costs time per document.
        stylesheets = [CSS(string=RARE_FONT_CSS, url_fetcher=fetcher, font_config=font_config)] if rare else []
        document = HTML(string=html, base_url=base_url or root.resolve().as_uri() + "/", url_fetcher=fetcher)
        return document.render(stylesheets=stylesheets, font_config=font_config)
    except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint: turn it back into our error
        cause = exc.__cause__
        if isinstance(cause, ResourceRefused):
            raise ResourceRefused(str(cause)) from cause
        raise ResourceRefused(f"{exc}: {cause}") from cause


def render_pdf(template_name: str, context: Mapping[str, Any], *, lang: str = "zh", base_url: str | None = None,
               templates_dir: Path | None = None) -> bytes:
    """Render ``templates/<template_name>`` with ``context`` to PDF bytes (see :func:`render_document`).

    The same inputs give the same bytes (see the module docstring).
    """
    document = render_document(template_name, context, lang=lang, base_url=base_url, templates_dir=templates_dir)
    return document.write_pdf(pdf_identifier=True)
