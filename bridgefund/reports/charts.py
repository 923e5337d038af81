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
    is written above the axis. Handles empty, single-point, all-zero and negative series.
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

    top = Decimal(40 if title else 24)
    left, right, bottom = Decimal(62), Decimal(width - 10), Decimal(height - 24)
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
            out.append(f'<text x="{_px(x(i))}" y="{_px(bottom + 14)}" text-anchor="middle" fill="#333333">'
                       f"{escape(label)}</text>")

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
        for i, v in enumerate(values):
            # Below the point for negative bars and for a line's dips (a label above a dip sits on the line).
            dip = kind == "line" and 0 < i < n - 1 and v < values[i - 1] and v < values[i + 1]
            label_y = y(v) + 11 if v < 0 or dip else y(v) - 5
            out.append(f'<text class="chart-value" x="{_px(x(i))}" y="{_px(label_y)}" text-anchor="middle" '
                       f'font-size="7.5" fill="#1f3a5f">{escape(fmt_value(v))}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every piece of text above went through escape()


def svg_bar_chart(series: Sequence[tuple[Any, Any]], **options: Any) -> Markup:
    """Same as :func:`svg_line_chart` with bars."""
    return svg_line_chart(series, kind="bar", **options)
