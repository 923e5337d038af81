"""Small dependency-free SVG charts for the PDF reports (the 12-month trend of the monthly fund report).

Values are Decimal (or int) and stay Decimal: the axis range, gridlines and every coordinate are computed with
Decimal arithmetic and written with one decimal place, so no binary float ever touches a figure — and the SVG
text of a chart is the same on every machine, which keeps report PDFs reproducible. Labels are escaped.
The result is ``Markup`` to drop inline into a template (``{{ line_chart(series, value_format=wan) }}``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from markupsafe import Markup, escape

#: Font stack of chart text: the report's embedded CJK face first (declared in templates/report.css), then the
#: fallback face for CJK Extension B+ ideographs (declared by render.py when a document needs it).
CHART_FONT = "'BridgeFund Noto Sans CJK SC', 'BridgeFund HanaMinB', 'Noto Sans CJK SC', sans-serif"
_NICE = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
_PX = Decimal("0.1")
_MAX_X_LABELS = 12


def _value(v: Any) -> Decimal:
    if isinstance(v, float) or isinstance(v, bool) or not isinstance(v, Decimal | int | str):
        raise TypeError(f"chart values must be Decimal or int, not {type(v).__name__}")
    return Decimal(v)


def _px(v: Decimal) -> str:
    """A coordinate with at most one decimal: Decimal("12.345") → "12.3", Decimal("40.0") → "40"."""
    q = v.quantize(_PX, rounding=ROUND_HALF_UP)
    return f"{q:f}".removesuffix(".0")


def _nice_step(span: Decimal, ticks: int) -> Decimal:
    """The smallest 1/2/2.5/5 × 10^k step that covers ``span`` in ``ticks`` intervals."""
    raw = span / ticks
    base = Decimal(1).scaleb(raw.adjusted())
    return next(m * base for m in _NICE if m * base >= raw)


def _plain(v: Decimal) -> str:
    """Thousands separators, as many decimals as the value needs (at most 2): 2500 → "2,500", 2.5 → "2.5"."""
    v = v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    places = max(0, -v.as_tuple().exponent)
    return f"{v:,.{places}f}" if v != 0 else "0"


#: Estimated advance widths (em) of the chart face for placing value labels: Noto Sans CJK's digits are 0.555 em.
_EM_NARROW = Decimal("0.3")  # , . : and spaces
_EM_LATIN = Decimal("0.56")
_EM_WIDE = Decimal(1)  # CJK
_VALUE_SIZE = Decimal("7.5")
_GAP = Decimal(3)


def text_width(text: str, size: Decimal) -> Decimal:
    """Estimated width of ``text`` at font ``size`` (px) in the chart face."""
    em = sum((_EM_NARROW if c in ",.: '" else _EM_WIDE if ord(c) >= 0x2E80 else _EM_LATIN) for c in text)
    return Decimal(em) * size


Box = tuple[Decimal, Decimal, Decimal, Decimal]  # x0, y0, x1, y1 (y grows downwards)


def label_box(x: Decimal, baseline: Decimal, text: str, anchor: str, size: Decimal = _VALUE_SIZE) -> Box:
    """The box a value label covers: from its cap height to a little below its baseline."""
    w = text_width(text, size)
    x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
    return x0, baseline - size * Decimal("0.8"), x0 + w, baseline + size * Decimal("0.2")


def _crosses(box: Box, a: tuple[Decimal, Decimal], b: tuple[Decimal, Decimal]) -> bool:
    """Whether the segment a–b passes through ``box`` (Liang–Barsky clipping)."""
    x0, y0, x1, y1 = box
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t0, t1 = Decimal(0), Decimal(1)
    for p, q in ((-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def svg_line_chart(
    series: Sequence[tuple[Any, Any]],
    *,
    kind: str = "line",
    width: int = 640,
    height: int = 220,
    title: str | None = None,
    unit: str | None = None,
    value_format: Callable[[Decimal], str] | None = None,
    tick_format: Callable[[Decimal], str] | None = None,
    show_values: bool = True,
    ticks: int = 4,
) -> Markup:
    """Draw ``series`` — ``[(label, value), …]`` in order, e.g. 12 months — as an SVG line (or ``kind="bar"``) chart.

    The y axis always includes 0 and runs over "nice" steps; ``value_format`` writes the point labels and
    ``tick_format`` the axis labels (both default to plain thousands-separated numbers); ``unit`` (e.g. "万元")
    is written above the axis. An x label may have a second line after a newline ("4月\n2019年": the year under
    the first month and under every January). A line chart's value labels go where the line is not: above the
    point, else below, else beside it, and never over another label. Handles empty, single-point, all-zero and
    negative series.
    """
    if kind not in ("line", "bar"):
        raise ValueError(f"kind must be 'line' or 'bar', not {kind!r}")
    labels = [str(label) for label, _ in series]
    values = [_value(v) for _, v in series]
    fmt_value = value_format or _plain
    fmt_tick = tick_format or _plain
    n = len(values)

    lo = min([Decimal(0), *values])
    hi = max([Decimal(0), *values])
    step = _nice_step(hi - lo, ticks) if hi > lo else Decimal(1)
    axis_lo = (lo / step).to_integral_value(rounding=ROUND_FLOOR) * step
    axis_hi = (hi / step).to_integral_value(rounding=ROUND_CEILING) * step
    if axis_hi == axis_lo:
        axis_hi = axis_lo + step * ticks

    two_line = any("\n" in label for label in labels)
    top = Decimal(40 if title else 24)
    left, right, bottom = Decimal(62), Decimal(width - 10), Decimal(height - (34 if two_line else 24))
    plot_w, plot_h = right - left, bottom - top

    def y(v: Decimal) -> Decimal:
        return bottom - plot_h * (v - axis_lo) / (axis_hi - axis_lo)

    def x(i: int) -> Decimal:
        return left + plot_w * (2 * i + 1) / (2 * n)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{escape(CHART_FONT)}" font-size="9" role="img"'
        + (f' aria-label="{escape(title)}"' if title else "") + ">"
    ]
    if title:
        out.append(f'<text class="chart-title" x="{_px(left)}" y="14" font-size="11" font-weight="bold" '
                   f'fill="#1f3a5f">{escape(title)}</text>')
    if unit:
        out.append(f'<text class="chart-unit" x="{_px(left - 6)}" y="{_px(top - 12)}" text-anchor="end" '
                   f'fill="#595959">{escape(unit)}</text>')

    tick = axis_lo
    while tick <= axis_hi:
        ty = _px(y(tick))
        color = "#8c8c8c" if tick == 0 else "#d9d9d9"
        out.append(f'<line x1="{_px(left)}" y1="{ty}" x2="{_px(right)}" y2="{ty}" stroke="{color}" '
                   f'stroke-width="0.6"/>')
        out.append(f'<text x="{_px(left - 6)}" y="{_px(y(tick) + 3)}" text-anchor="end" fill="#595959">'
                   f"{escape(fmt_tick(tick))}</text>")
        tick += step
    out.append(f'<line x1="{_px(left)}" y1="{_px(top)}" x2="{_px(left)}" y2="{_px(bottom)}" stroke="#595959" '
               f'stroke-width="0.8"/>')

    every = -(-n // _MAX_X_LABELS) if n else 1  # ceil: thin the x labels of long series
    for i, label in enumerate(labels):
        if i % every == 0:
            first, _, second = label.partition("\n")
            out.append(f'<text x="{_px(x(i))}" y="{_px(bottom + 14)}" text-anchor="middle" fill="#333333">'
                       f"{escape(first)}</text>")
            if second:
                out.append(f'<text class="chart-year" x="{_px(x(i))}" y="{_px(bottom + 25)}" text-anchor="middle" '
                           f'font-size="8" fill="#595959">{escape(second)}</text>')

    if n and kind == "bar":
        bar_w = plot_w / n * Decimal("0.6")
        for i, v in enumerate(values):
            y0, y1 = sorted((y(v), y(Decimal(0))))
            out.append(f'<rect x="{_px(x(i) - bar_w / 2)}" y="{_px(y0)}" width="{_px(bar_w)}" '
                       f'height="{_px(y1 - y0)}" fill="#2e75b6"/>')
    elif n:
        points = " ".join(f"{_px(x(i))},{_px(y(v))}" for i, v in enumerate(values))
        out.append(f'<polyline points="{points}" fill="none" stroke="#1f4e79" stroke-width="1.6" '
                   f'stroke-linejoin="round"/>')
        out.extend(f'<circle cx="{_px(x(i))}" cy="{_px(y(v))}" r="2.2" fill="#1f4e79"/>'
                   for i, v in enumerate(values))
    if show_values:
        points = [(x(i), y(v)) for i, v in enumerate(values)]
        segments = list(zip(points, points[1:], strict=False)) if kind == "line" else []
        placed: list[Box] = []
        for i, v in enumerate(values):
            text = fmt_value(v)
            px, py = points[i]
            if kind == "bar":  # above the bar, below a negative one: a bar never covers its label
                spot = (px, py + 11 if v < 0 else py - 5, "middle")
            else:
                spot = _free_spot(text, px, py, values, i, segments, placed, (left, top - 14, right + 10, bottom))
            placed.append(label_box(*spot[:2], text, spot[2]))
            out.append(f'<text class="chart-value" x="{_px(spot[0])}" y="{_px(spot[1])}" text-anchor="{spot[2]}" '
                       f'font-size="7.5" fill="#1f3a5f">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every piece of text above went through escape()


def _free_spot(text: str, px: Decimal, py: Decimal, values: list[Decimal], i: int,
               segments: list[tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]], placed: list[Box],
               area: Box) -> tuple[Decimal, Decimal, str]:
    """Where a line chart's value label for the point (px, py) touches neither the line nor a placed label.

    Candidates in order: centred above, centred below (first for a dip), then above/below to the right and to
    the left; the first that crosses no segment, overlaps no earlier label and stays inside ``area`` wins.
    """
    n = len(values)
    dip = 0 < i < n - 1 and values[i] < values[i - 1] and values[i] < values[i + 1]
    above, below = (px, py - 5, "middle"), (px, py + 11, "middle")
    candidates = [below, above] if dip or values[i] < 0 else [above, below]
    candidates += [(px + _GAP, py - 4, "start"), (px + _GAP, py + 10, "start"),
                   (px - _GAP, py - 4, "end"), (px - _GAP, py + 10, "end")]
    for spot in candidates:
        box = label_box(*spot[:2], text, spot[2])
        inside = area[0] <= box[0] and box[2] <= area[2] and area[1] <= box[1] and box[3] <= area[3]
        if inside and not any(_crosses(box, a, b) for a, b in segments) and not any(
                _overlaps(box, other) for other in placed):
            return spot
    return candidates[0]


def svg_bar_chart(series: Sequence[tuple[Any, Any]], **options: Any) -> Markup:
    """Same as :func:`svg_line_chart` with bars."""
    return svg_line_chart(series, kind="bar", **options)
