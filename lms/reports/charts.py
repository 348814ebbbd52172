"""Charts as SVG made on the server: pure functions from numbers and labels to markup.

No script, no external reference, no inline style or event handler (the CSP allows none):
colours come from classes of app.css. Every text is escaped; ids and class names must be
simple identifiers. Each chart is `<svg role="img">` labelled by its <title> and a <desc>
that says the data in words, and scales with its viewBox; pages show a table beside it.
"""

from __future__ import annotations

import gettext as _gettext
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

IDENT = re.compile(r"^[a-z][a-z0-9-]{0,60}$")
CSS_CLASS = re.compile(r"^[a-z][a-z0-9_-]{0,60}$")

WIDTH = 640
HEIGHT = 300
PAD_LEFT = 64
PAD_RIGHT = 16
PAD_TOP = 44  # room for the legend
PAD_BOTTOM = 36
MAX_X_LABELS = 12
ROW_HEIGHT = 34  # horizontal bars
LABEL_WIDTH = 150

_null = _gettext.NullTranslations()
Format = Callable[[float], str]


def plain_number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


@dataclass(frozen=True)
class Series:
    """One row of values, one per label; `css` is the class that colours it."""

    name: str
    values: tuple[float, ...]
    css: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    css: str


def _ident(value: str) -> str:
    if not IDENT.match(value):
        raise ValueError(f"chart id {value!r}: lower-case letters, digits and hyphens")
    return value


def _css(value: str) -> str:
    if not CSS_CLASS.match(value):
        raise ValueError(f"chart class {value!r}: lower-case letters, digits, - and _")
    return value


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no exponent."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _number(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) and value > 0 else 0.0


def nice_ticks(maximum: float, steps: int = 4, integer: bool = True) -> tuple[float, ...]:
    """Round gridline values from 0 to at least `maximum` (0 and 1 when there is nothing)."""
    maximum = _number(maximum)
    if maximum == 0:
        return (0.0, 1.0)
    raw = maximum / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = 10 * magnitude
    for multiple in (1, 2, 2.5, 5, 10):
        candidate = multiple * magnitude
        if integer and not float(candidate).is_integer():
            continue
        if candidate * steps >= maximum:
            step = candidate
            break
    if integer:
        step = max(1.0, step)
    count = max(1, math.ceil(maximum / step - 1e-9))
    return tuple(step * i for i in range(count + 1))


def _text_width(text: str, size: float = 12) -> float:
    """A rough width: CJK characters are about twice as wide as Latin ones."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.58 for ch in text)


def _open(chart_id: str, title: str, desc: str, width: float, height: float,
          kind: str) -> list[str]:
    ident = _ident(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'id="{ident}" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
    ]


def _legend(series: Sequence[Series], y: float = 14) -> list[str]:
    parts = ['<g class="chart-legend" aria-hidden="true">']
    x = float(PAD_LEFT)
    for item in series:
        parts.append(f'<rect class="swatch {_css(item.css)}" x="{_n(x)}" y="{_n(y - 10)}" '
                     'width="12" height="12" rx="2"/>')
        parts.append(f'<text x="{_n(x + 18)}" y="{_n(y)}">{escape(item.name)}</text>')
        x += 18 + _text_width(item.name) + 20
    parts.append("</g>")
    return parts


def _y_axis(ticks: Sequence[float], top: float, bottom: float, left: float, right: float,
            format_value: Format) -> tuple[list[str], Callable[[float], float]]:
    high = ticks[-1] or 1.0

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * min(_number(value), high) / high

    parts = ['<g class="chart-axis" aria-hidden="true">']
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line class="chart-grid" x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" '
                     f'y2="{_n(y)}"/>')
        parts.append(f'<text class="chart-tick" x="{_n(left - 8)}" y="{_n(y + 4)}" '
                     f'text-anchor="end">{escape(format_value(tick))}</text>')
    parts.append("</g>")
    return parts, y_of


def _x_labels(labels: Sequence[str], centre: Callable[[int], float], y: float) -> list[str]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    parts = ['<g class="chart-axis" aria-hidden="true">']
    for index, label in enumerate(labels):
        # The last label always shows: it is the current month.
        if index % every and index != len(labels) - 1:
            continue
        if index != len(labels) - 1 and len(labels) - 1 - index < every and every > 1:
            continue
        parts.append(f'<text class="chart-label" x="{_n(centre(index))}" y="{_n(y)}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</g>")
    return parts


def _empty_note(text: str, x: float, y: float) -> str:
    return f'<text class="chart-empty" x="{_n(x)}" y="{_n(y)}" text-anchor="middle">' \
           f'{escape(text)}</text>'


def bar_chart(chart_id: str, title: str, desc: str, labels: Sequence[str],
              series: Sequence[Series], *, stacked: bool = False,
              format_value: Format = plain_number, empty_text: str = "",
              integer: bool = True) -> Markup:
    """Vertical bars, one group per label (side by side, or stacked)."""
    for item in series:
        if len(item.values) != len(labels):
            raise ValueError(f"series {item.name!r}: one value per label")
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    if stacked:
        highest = max((sum(_number(s.values[i]) for s in series) for i in range(len(labels))),
                      default=0)
    else:
        highest = max((_number(v) for s in series for v in s.values), default=0)
    ticks = nice_ticks(highest, integer=integer)
    parts = _open(chart_id, title, desc, WIDTH, HEIGHT, "bar")
    parts += _legend(series)
    axis, y_of = _y_axis(ticks, top, bottom, left, right, format_value)
    parts += axis
    slot = (right - left) / max(1, len(labels))
    group = slot * 0.72
    bar = group if stacked else group / max(1, len(series))

    def centre(index: int) -> float:
        return left + slot * (index + 0.5)

    parts.append('<g class="chart-bars">')
    for index, label in enumerate(labels):
        x = centre(index) - group / 2
        base: float = bottom
        for number, item in enumerate(series):
            value = _number(item.values[index])
            height = bottom - y_of(value)
            y = base - height if stacked else bottom - height
            bx = x if stacked else x + number * bar
            parts.append(
                f'<rect class="bar {_css(item.css)}" x="{_n(bx)}" y="{_n(y)}" '
                f'width="{_n(max(bar - 1, 1))}" height="{_n(height)}">'
                f'<title>{escape(label)} · {escape(item.name)}: '
                f'{escape(format_value(item.values[index]))}</title></rect>')
            if stacked:
                base = y
    parts.append("</g>")
    parts.append(f'<line class="chart-baseline" x1="{_n(left)}" y1="{_n(bottom)}" '
                 f'x2="{_n(right)}" y2="{_n(bottom)}"/>')
    parts += _x_labels(labels, centre, bottom + 20)
    if highest == 0 and empty_text:
        parts.append(_empty_note(empty_text, (left + right) / 2, (top + bottom) / 2))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def line_chart(chart_id: str, title: str, desc: str, labels: Sequence[str],
               series: Sequence[Series], *, format_value: Format = plain_number,
               empty_text: str = "", integer: bool = True) -> Markup:
    """Lines with a dot per value, from a zero baseline."""
    for item in series:
        if len(item.values) != len(labels):
            raise ValueError(f"series {item.name!r}: one value per label")
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    highest = max((_number(v) for s in series for v in s.values), default=0)
    ticks = nice_ticks(highest, integer=integer)
    parts = _open(chart_id, title, desc, WIDTH, HEIGHT, "line")
    parts += _legend(series)
    axis, y_of = _y_axis(ticks, top, bottom, left, right, format_value)
    parts += axis
    slot = (right - left) / max(1, len(labels))

    def centre(index: int) -> float:
        return left + slot * (index + 0.5)

    parts.append(f'<line class="chart-baseline" x1="{_n(left)}" y1="{_n(bottom)}" '
                 f'x2="{_n(right)}" y2="{_n(bottom)}"/>')
    for item in series:
        css = _css(item.css)
        points = [(centre(i), y_of(v)) for i, v in enumerate(item.values)]
        parts.append(f'<g class="chart-series {css}">')
        if len(points) > 1:
            joined = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
            parts.append(f'<polyline class="line" fill="none" points="{joined}"/>')
        for (x, y), label, value in zip(points, labels, item.values, strict=True):
            parts.append(f'<circle class="dot" cx="{_n(x)}" cy="{_n(y)}" r="3.5">'
                         f'<title>{escape(label)} · {escape(item.name)}: '
                         f'{escape(format_value(value))}</title></circle>')
        parts.append("</g>")
    parts += _x_labels(labels, centre, bottom + 20)
    if highest == 0 and empty_text:
        parts.append(_empty_note(empty_text, (left + right) / 2, (top + bottom) / 2))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def hbar_chart(chart_id: str, title: str, desc: str, bars: Sequence[Bar], *,
               format_value: Format = plain_number, empty_text: str = "") -> Markup:
    """One horizontal bar per item (shares of a whole: tiers, health bands)."""
    top = 12
    height = top + ROW_HEIGHT * max(1, len(bars)) + 12
    left, right = LABEL_WIDTH, WIDTH - 72
    highest = max((_number(b.value) for b in bars), default=0)
    scale = (right - left) / (highest or 1.0)
    parts = _open(chart_id, title, desc, WIDTH, height, "hbar")
    parts.append('<g class="chart-bars">')
    for index, item in enumerate(bars):
        y = top + index * ROW_HEIGHT
        width = _number(item.value) * scale
        value = escape(format_value(item.value))
        parts.append(f'<text class="chart-label" x="{_n(left - 10)}" y="{_n(y + 19)}" '
                     f'text-anchor="end">{escape(item.label)}</text>')
        parts.append(f'<rect class="bar {_css(item.css)}" x="{_n(left)}" y="{_n(y + 4)}" '
                     f'width="{_n(width)}" height="{_n(ROW_HEIGHT - 10)}" rx="3">'
                     f'<title>{escape(item.label)}: {value}</title></rect>')
        parts.append(f'<text class="chart-value" x="{_n(left + width + 8)}" '
                     f'y="{_n(y + 19)}">{value}</text>')
    parts.append("</g>")
    parts.append(f'<line class="chart-baseline" x1="{_n(left)}" y1="{_n(top)}" '
                 f'x2="{_n(left)}" y2="{_n(height - 12)}"/>')
    if highest == 0 and empty_text:
        parts.append(_empty_note(empty_text, (left + right) / 2, height / 2 + 4))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


# --- Text alternatives -------------------------------------------------------------------


def flow_summary(name: str, labels: Sequence[str], values: Sequence[float],
                 format_value: Format = plain_number,
                 gettext: Callable[..., str] = _null.gettext) -> str:
    """Counts or amounts per month in words: the total and the highest month."""
    if not values or not any(_number(v) for v in values):
        return gettext("%(name)s: none in this period.") % {"name": name}
    high = max(range(len(values)), key=lambda i: (_number(values[i]), -i))
    return gettext("%(name)s: %(total)s in total, the most in %(month)s (%(high)s).") % {
        "name": name, "total": format_value(sum(_number(v) for v in values)),
        "month": labels[high], "high": format_value(values[high])}


def level_summary(name: str, labels: Sequence[str], values: Sequence[float],
                  format_value: Format = plain_number,
                  gettext: Callable[..., str] = _null.gettext) -> str:
    """A level over time in words: where it started and where it is."""
    if not values:
        return gettext("%(name)s: no data.") % {"name": name}
    return gettext("%(name)s: %(first)s at the end of %(start)s, %(last)s at the end of "
                   "%(end)s.") % {"name": name, "first": format_value(values[0]),
                                  "start": labels[0], "last": format_value(values[-1]),
                                  "end": labels[-1]}


def parts_summary(bars: Sequence[Bar], format_value: Format = plain_number,
                  separator: str = ", ") -> str:
    """Each item and its value: "Bronze 9, Silver 7, Gold 3, Platinum 1"."""
    return separator.join(f"{bar.label} {format_value(bar.value)}" for bar in bars)
