"""Figures with a part per team written directly as SVG, without matplotlib.

Small multiples (a panel per team) and the response-rate grid (a row per team). A 100-team
report draws seven hundred panels. Through matplotlib each panel is an Axes with
its own tick, text and line objects, built, laid out and serialised one by one: most of the
report's time. Here a panel is a handful of SVG elements written from the data: the grid
lines, ticks and intervals of a panel are one path each, a marker is one shape, and no text
is measured (titles are wrapped by characters, as before). The look follows the matplotlib
figures of :mod:`reports.figures` (same fonts, sizes, colours, line styles and margins), so
the report reads the same whichever way a figure was drawn.

Everything is written as SVG presentation attributes (no ``style``), so a figure passes a
``default-src 'self'`` Content-Security-Policy as it is, and text stays text (searchable,
sharp at any zoom, in print as well: :meth:`PanelFigure.markup` gives an ``<img>`` of the
same SVG inside :func:`reports.figures.raster_figures`, drawn by WeasyPrint as vectors).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from markupsafe import Markup, escape
from matplotlib.ticker import MaxNLocator

__all__ = [
    "GridLayout",
    "LegendEntry",
    "Panel",
    "PanelFigure",
    "dash_array",
    "figure_markup",
    "panel_ticks",
    "svg_document",
    "svg_rect",
    "svg_text",
    "tick_labels",
]

PT = 72.0
"""Points per inch: the figure's user unit is the point, as in matplotlib's SVG."""
FONT = "DejaVu Sans, Bitstream Vera Sans, Arial, sans-serif"
TEXT = "#000000"
GRID = "#e3e3e3"
TICK = 3.5
"""Tick length and the gap between a tick and its label (points)."""
FONT_SIZE = 8.0
TITLE_SIZE = 8.5
LINE_HEIGHT = 1.2

# matplotlib's dash patterns (lines.*_pattern), in multiples of the line width
_DASHES: dict[str, tuple[float, ...]] = {
    "--": (3.7, 1.6),
    ":": (1.0, 1.65),
    "-.": (6.4, 1.6, 1.0, 1.6),
}
_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")


def _n(value: float) -> str:
    """A coordinate, to a hundredth of a point (compact, and finer than print)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def dash_array(style: Any, width: float) -> str | None:
    """SVG ``stroke-dasharray`` for a matplotlib line style at ``width`` points; None: solid.

    Named styles (``"--"``, ``":"``, ``"-."``) scale with the line width as in matplotlib;
    an ``(offset, (on, off, ...))`` tuple is in multiples of the width too.

    Examples
    --------
    >>> dash_array("--", 1.0)
    '3.7 1.6'
    >>> dash_array("-", 1.0) is None
    True
    """
    if isinstance(style, tuple):
        pattern: tuple[float, ...] = tuple(style[1])
    elif style in _DASHES:
        pattern = _DASHES[style]
    else:
        return None
    return " ".join(_n(p * width) for p in pattern)


def panel_ticks(low: float, high: float, length: float) -> list[float]:
    """Round tick values within ``[low, high]`` for an axis ``length`` points long: as
    matplotlib's own axis would choose them (``MaxNLocator`` with its default steps and a
    bin for every two label heights of 8 pt).

    Examples
    --------
    >>> panel_ticks(1, 7, 90)
    [2.0, 4.0, 6.0]
    """
    bins = max(1, math.floor(length / (2 * FONT_SIZE)))
    values = MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    span = high - low
    return [float(v) for v in values if low - 1e-9 * span <= v <= high + 1e-9 * span]


def tick_labels(values: Sequence[float]) -> list[str]:
    """Tick labels with the same number of decimals, the fewest that show every value (as
    matplotlib's ``ScalarFormatter``), negatives with a minus sign.

    Examples
    --------
    >>> tick_labels([0.0, 0.25, 0.5])
    ['0.00', '0.25', '0.50']
    """
    decimals = 0
    while decimals < 4 and any(abs(round(v, decimals) - v) > 1e-9 for v in values):
        decimals += 1
    labels = [f"{v:.{decimals}f}" for v in values]
    return [
        (text.lstrip("-") if float(text) == 0 else text).replace("-", "\N{MINUS SIGN}")
        for text in labels
    ]


def _marker(x: float, y: float, marker: str, size: float) -> str:
    """An SVG subpath for a matplotlib marker of ``size`` points: it moves to the centre
    (x, y) first and draws from there in relative steps."""
    r = size / 2
    at = f"M{_n(x)} {_n(y)}"
    if marker == "s":
        return f"{at}m{_n(-r)} {_n(-r)}h{_n(size)}v{_n(size)}h{_n(-size)}z"
    if marker in ("^", "v"):
        sign = -1 if marker == "^" else 1
        return f"{at}m0 {_n(sign * r)}l{_n(-r)} {_n(-2 * sign * r)}h{_n(size)}z"
    if marker == "D":
        d = r * 0.8
        return f"{at}m0 {_n(-d)}l{_n(d)} {_n(d)}l{_n(-d)} {_n(d)}l{_n(-d)} {_n(-d)}z"
    if marker == "P":
        a, b = r, r / 3
        arm, bar = _n(a - b), _n(2 * b)
        return (
            f"{at}m{_n(-b)} {_n(-a)}h{bar}v{arm}h{arm}v{bar}h-{arm}v{arm}h-{bar}v-{arm}"
            f"h-{arm}v-{bar}h{arm}z"
        )
    # "o": a circle as two arcs (one path, like the other markers)
    return (
        f"{at}m{_n(-r)} 0a{_n(r)} {_n(r)} 0 1 0 {_n(size)} 0a{_n(r)} {_n(r)} 0 1 0 {_n(-size)} 0z"
    )


def svg_text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "middle",
    fill: str | None = None,
    italic: bool = False,
) -> str:
    """A line of text (escaped) centred vertically on ``y``, anchored at ``x`` (``"start"``,
    ``"middle"`` or ``"end"``), in the figure's font unless told otherwise."""
    extra = (f' fill="{fill}"' if fill else "") + (' font-style="italic"' if italic else "")
    return (
        f'<text x="{_n(x)}" y="{_n(y + FONT_SIZE * 0.36)}" text-anchor="{anchor}"{extra}>'
        f"{escape(text)}</text>"
    )


def svg_rect(
    box: tuple[float, float, float, float],
    fill: str,
    *,
    edge: str | None = None,
    width: float = 1.0,
    style: Any = "-",
) -> str:
    """A rectangle ``(x, y, width, height)`` in points, with an edge in a line style if given."""
    x, y, w, h = box
    out = f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}"'
    if edge:
        dashes = dash_array(style, width)
        out += f' stroke="{edge}" stroke-width="{_n(width)}"'
        out += f' stroke-dasharray="{dashes}"' if dashes else ""
    return out + "/>"


def _stroke(colour: str, width: float, style: Any = "-") -> str:
    dashes = dash_array(style, width)
    out = f'fill="none" stroke="{colour}" stroke-width="{_n(width)}"'
    return out + (f' stroke-dasharray="{dashes}"' if dashes else "")


@dataclass(frozen=True)
class LegendEntry:
    """One key of a figure's legend: a short line and/or a marker, then the label."""

    label: str
    colour: str
    marker: str | None = None
    line: Any = "-"
    face: str | None = None
    width: float = 1.4
    edge: float = 1.0


@dataclass
class Panel:
    """One panel of a :class:`PanelFigure`: data coordinates mapped onto its box (points).

    ``x`` and ``y`` are the data limits; drawing methods take data values and skip NaN.
    """

    left: float
    top: float
    width: float
    height: float
    x: tuple[float, float]
    y: tuple[float, float]
    clip: str
    parts: list[str] = field(default_factory=list)

    def px(self, value: float) -> float:
        """The horizontal position of data ``value`` in points."""
        low, high = self.x
        return self.left + (value - low) / (high - low) * self.width

    def py(self, value: float) -> float:
        """The vertical position of data ``value`` in points (SVG's y grows downwards)."""
        low, high = self.y
        return self.top + (high - value) / (high - low) * self.height

    def _clipped(self, body: str) -> None:
        self.parts.append(f'<g clip-path="url(#{self.clip})">{body}</g>')

    def line(
        self,
        xs: Iterable[float],
        ys: Iterable[float],
        colour: str,
        *,
        width: float = 1.4,
        style: Any = "-",
    ) -> None:
        """A polyline through the points, broken where a value is missing (NaN)."""
        path = []
        pen_down = False
        for x, y in zip(xs, ys, strict=True):
            if not (math.isfinite(x) and math.isfinite(y)):
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{_n(self.px(x))} {_n(self.py(y))}")
            pen_down = True
        if any(p.startswith("L") for p in path):
            self._clipped(f'<path d="{"".join(path)}" {_stroke(colour, width, style)}/>')

    def markers(
        self,
        xs: Iterable[float],
        ys: Iterable[float],
        marker: str,
        colour: str,
        *,
        face: str | None = None,
        size: float = 4.0,
        edge: float = 1.0,
    ) -> None:
        """Markers at the points (filled with ``face``, by default their own colour)."""
        shapes = [
            _marker(self.px(x), self.py(y), marker, size)
            for x, y in zip(xs, ys, strict=True)
            if math.isfinite(x) and math.isfinite(y)
        ]
        if shapes:
            self._clipped(
                f'<path d="{"".join(shapes)}" fill="{face or colour}" stroke="{colour}" '
                f'stroke-width="{_n(edge)}"/>'
            )

    def intervals(
        self,
        xs: Iterable[float],
        low: Iterable[float],
        high: Iterable[float],
        colour: str,
        *,
        width: float = 1.0,
        cap: float = 2.0,
    ) -> None:
        """Vertical interval bars with caps ``cap`` points either side (matplotlib's capsize)."""
        path = []
        for x, a, b in zip(xs, low, high, strict=True):
            if not all(math.isfinite(v) for v in (x, a, b)):
                continue
            left, right = self.px(x) - cap, self.px(x) + cap
            ya, yb = self.py(a), self.py(b)
            path.append(
                f"M{_n(self.px(x))} {_n(ya)}V{_n(yb)}"
                f"M{_n(left)} {_n(ya)}H{_n(right)}M{_n(left)} {_n(yb)}H{_n(right)}"
            )
        if path:
            self._clipped(f'<path d="{"".join(path)}" {_stroke(colour, width)}/>')

    def vline(self, x: float, colour: str, *, width: float = 1.0, style: Any = "-") -> None:
        """A line across the panel at data ``x``."""
        at = _n(self.px(x))
        self._clipped(
            f'<path d="M{at} {_n(self.top)}V{_n(self.top + self.height)}" '
            f"{_stroke(colour, width, style)}/>"
        )

    def hline(self, y: float, colour: str, *, width: float = 1.0, style: Any = "-") -> None:
        """A line across the panel at data ``y``."""
        at = _n(self.py(y))
        self._clipped(
            f'<path d="M{_n(self.left)} {at}H{_n(self.left + self.width)}" '
            f"{_stroke(colour, width, style)}/>"
        )

    def steps(self, xs: Iterable[float], tops: Iterable[float], colour: str) -> None:
        """A band from 0 up to ``tops``, a step centred on each x (matplotlib's
        ``fill_between(..., step="mid")``)."""
        points = [(x, t) for x, t in zip(xs, tops, strict=True) if math.isfinite(t)]
        if not points:
            return
        edges = [points[0][0]]
        edges += [(a[0] + b[0]) / 2 for a, b in pairwise(points)]
        edges.append(points[-1][0])
        path = [f"M{_n(self.px(edges[0]))} {_n(self.py(0))}"]
        for (_x, top), (start, end) in zip(points, pairwise(edges), strict=True):
            path.append(f"L{_n(self.px(start))} {_n(self.py(top))}")
            path.append(f"L{_n(self.px(end))} {_n(self.py(top))}")
        path.append(f"L{_n(self.px(edges[-1]))} {_n(self.py(0))}z")
        self._clipped(f'<path d="{"".join(path)}" fill="{colour}" stroke="none"/>')

    def arrow(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        colour: str,
        *,
        width: float = 0.6,
        shrink: float = 4.0,
        head: float = 6.0,
    ) -> None:
        """An arrow from ``start`` to ``end`` (data), both ends pulled in by ``shrink``
        points, with a filled head (matplotlib's ``-|>`` at ``mutation_scale=head``)."""
        x0, y0 = self.px(start[0]), self.py(start[1])
        x1, y1 = self.px(end[0]), self.py(end[1])
        length = math.hypot(x1 - x0, y1 - y0)
        if length <= 2 * shrink:
            return
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        x0, y0 = x0 + ux * shrink, y0 + uy * shrink
        x1, y1 = x1 - ux * shrink, y1 - uy * shrink
        back, half = 0.4 * head, 0.2 * head
        bx, by = x1 - ux * back, y1 - uy * back
        self.parts.append(
            f'<path d="M{_n(x0)} {_n(y0)}L{_n(bx)} {_n(by)}" {_stroke(colour, width)}/>'
            f'<path d="M{_n(x1)} {_n(y1)}L{_n(bx - uy * half)} {_n(by + ux * half)}'
            f'L{_n(bx + uy * half)} {_n(by - ux * half)}z" fill="{colour}" '
            f'stroke="{colour}" stroke-width="{_n(width)}"/>'
        )

    def frame(
        self,
        title: str,
        *,
        xticks: Sequence[float],
        yticks: Sequence[float],
        xlabel: str,
        ylabel: str,
    ) -> str:
        """The panel's grid, left and bottom axes with ticks and labels, and its title; its
        marks (drawn before) come on top of the grid. Returns the whole panel."""
        bottom = self.top + self.height
        right = self.left + self.width
        grid = "".join(f"M{_n(self.px(x))} {_n(self.top)}V{_n(bottom)}" for x in xticks)
        grid += "".join(f"M{_n(self.left)} {_n(self.py(y))}H{_n(right)}" for y in yticks)
        ticks = "".join(f"M{_n(self.px(x))} {_n(bottom)}v{_n(TICK)}" for x in xticks)
        ticks += "".join(f"M{_n(self.left)} {_n(self.py(y))}h{_n(-TICK)}" for y in yticks)
        spines = f"M{_n(self.left)} {_n(self.top)}V{_n(bottom)}H{_n(right)}"
        label_y = bottom + 2 * TICK + FONT_SIZE * 0.76
        text = [
            f'<text x="{_n(self.px(x))}" y="{_n(label_y)}" text-anchor="middle">{label}</text>'
            for x, label in zip(xticks, tick_labels(xticks), strict=True)
        ]
        y_labels = tick_labels(yticks)
        text += [
            svg_text(self.left - 2 * TICK, self.py(y), label, anchor="end")
            for y, label in zip(yticks, y_labels, strict=True)
        ]
        widest = max((len(label) for label in y_labels), default=1)
        text.append(
            f'<text x="{_n(self.left + self.width / 2)}" y="{_n(label_y + FONT_SIZE * 1.25)}" '
            f'text-anchor="middle">{escape(xlabel)}</text>'
        )
        ylabel_x = self.left - 2 * TICK - widest * FONT_SIZE * 0.64 - 4
        middle = self.top + self.height / 2
        text.append(
            f'<text transform="translate({_n(ylabel_x)} {_n(middle)}) rotate(-90)" '
            f'text-anchor="middle">{escape(ylabel)}</text>'
        )
        return self.titled(
            title,
            under=f'<path d="{grid}" fill="none" stroke="{GRID}" stroke-width="0.6"/>',
            over=f'<path d="{ticks}{spines}" fill="none" stroke="{TEXT}" stroke-width="0.8" '
            'stroke-linecap="square"/>' + "".join(text),
        )

    def titled(self, title: str, *, under: str = "", over: str = "") -> str:
        """The panel with its title (lines split at newlines) above it, its marks between
        ``under`` and ``over``. Returns the whole panel."""
        lines = title.split("\n")
        first = self.top - 6 - TITLE_SIZE * 0.24 - (len(lines) - 1) * TITLE_SIZE * LINE_HEIGHT
        centre_x = self.left + self.width / 2
        spans = "".join(
            f'<tspan x="{_n(centre_x)}" y="{_n(first + i * TITLE_SIZE * LINE_HEIGHT)}">'
            f"{escape(line)}</tspan>"
            for i, line in enumerate(lines)
        )
        return (
            f'<g class="panel">{under}'
            + "".join(self.parts)
            + over
            + f'<text font-size="{_n(TITLE_SIZE)}" text-anchor="middle">{spans}</text></g>'
        )


@dataclass(frozen=True)
class GridLayout:
    """Where the panels of small multiples go: fixed margins in inches, no layout engine.

    Every panel gets room for its own axis titles (``axis_labels``) and a title of
    ``title_lines`` lines, so labels never run into the next panel; ``legend_rows`` of legend
    go under the grid, and ``suptitle`` makes room for a title over all. The same layout
    places matplotlib's axes (:func:`reports.figures._grid`) and the panels written here.
    """

    count: int
    panel: tuple[float, float] = (1.66, 1.25)
    columns_wanted: int = 3
    legend_rows: int = 1
    title_lines: int = 1
    suptitle: bool = False
    axis_labels: bool = True

    @property
    def columns(self) -> int:
        """Panels in a row."""
        return max(1, min(self.columns_wanted, self.count))

    @property
    def rows(self) -> int:
        """Rows of panels."""
        return max(1, math.ceil(self.count / self.columns))

    @property
    def left(self) -> float:
        """Room left of the first column (its tick labels and axis title)."""
        return 0.62 if self.axis_labels else 0.1

    right = 0.12
    """Room right of the last column."""

    @property
    def gap_w(self) -> float:
        """Room between columns."""
        return self.left + 0.04

    @property
    def _title_h(self) -> float:
        return 0.18 * self.title_lines + 0.06

    @property
    def top(self) -> float:
        """Room above the first row (panel titles, and the title over all)."""
        return self._title_h + (0.3 if self.suptitle else 0.0)

    @property
    def gap_h(self) -> float:
        """Room between rows (the lower panel's title, the upper's tick labels)."""
        return self._title_h + (0.38 if self.axis_labels else 0.12)

    @property
    def bottom(self) -> float:
        """Room under the last row (tick labels, axis title and legend)."""
        return (0.4 if self.axis_labels else 0.12) + 0.22 * self.legend_rows

    @property
    def width(self) -> float:
        """The figure's width in inches."""
        columns = self.columns
        return self.left + columns * self.panel[0] + (columns - 1) * self.gap_w + self.right

    @property
    def height(self) -> float:
        """The figure's height in inches."""
        return self.top + self.rows * self.panel[1] + (self.rows - 1) * self.gap_h + self.bottom

    def origin(self, index: int) -> tuple[float, float]:
        """The top-left corner (inches) of the ``index``-th panel, row by row."""
        row, column = divmod(index, self.columns)
        return (
            self.left + column * (self.panel[0] + self.gap_w),
            self.top + row * (self.panel[1] + self.gap_h),
        )


class PanelFigure:
    """A grid of panels (:class:`GridLayout`), a legend underneath and an optional title over
    all, written as SVG.

    Parameters
    ----------
    count : int
        Number of panels, ``columns`` to a row.
    panel : (float, float)
        A panel's width and height in inches.
    legend_rows, title_lines : int
        Room for the legend under the grid and for each panel's title.
    suptitle : str, optional
        A title over the whole figure.
    axis_labels : bool
        Room for tick labels and axis titles round each panel (none for a network drawing).
    """

    def __init__(
        self,
        count: int,
        panel: tuple[float, float] = (1.66, 1.25),
        *,
        columns: int = 3,
        legend_rows: int = 1,
        title_lines: int = 1,
        suptitle: str | None = None,
        axis_labels: bool = True,
    ) -> None:
        self.layout = GridLayout(
            count, panel, columns, legend_rows, title_lines, bool(suptitle), axis_labels
        )
        self.width, self.height = self.layout.width, self.layout.height
        self.suptitle = suptitle
        self._panels: list[str] = []
        self._legend: list[LegendEntry] = []
        self._legend_columns = 1

    def panel(self, index: int, x: tuple[float, float], y: tuple[float, float]) -> Panel:
        """The ``index``-th panel (row by row) with data limits ``x`` and ``y``."""
        left, top = self.layout.origin(index)
        width, height = self.layout.panel
        return Panel(left * PT, top * PT, width * PT, height * PT, x, y, clip=f"clip{index}")

    def y_ticks(self, low: float, high: float) -> list[float]:
        """Ticks for a panel's vertical axis from ``low`` to ``high`` (:func:`panel_ticks`)."""
        return panel_ticks(low, high, self.layout.panel[1] * PT)

    def add(self, panel: Panel, markup: str) -> None:
        """Place a finished panel (``Panel.frame``'s markup) in the figure."""
        self._panels.append(
            f'<clipPath id="{panel.clip}"><rect x="{_n(panel.left)}" y="{_n(panel.top)}" '
            f'width="{_n(panel.width)}" height="{_n(panel.height)}"/></clipPath>{markup}'
        )

    def legend(self, entries: Sequence[LegendEntry], columns: int | None = None) -> None:
        """The keys under the grid, ``columns`` to a row (at most three by default)."""
        self._legend = list(entries)
        self._legend_columns = columns or min(len(entries), 3)

    def _legend_markup(self) -> str:
        if not self._legend:
            return ""
        rows = math.ceil(len(self._legend) / self._legend_columns)
        columns = math.ceil(len(self._legend) / rows)
        key, gap, char = 20.0, 8.0, FONT_SIZE * 0.6
        widths = [
            max(key + 6 + len(e.label) * char for e in self._legend[c * rows : (c + 1) * rows])
            for c in range(columns)
        ]
        total = sum(widths) + gap * (columns - 1)
        x0 = (self.width * PT - total) / 2
        row_h = FONT_SIZE * 1.4
        y0 = self.height * PT - rows * row_h - 4
        out = []
        for i, entry in enumerate(self._legend):
            column, row = divmod(i, rows)  # down each column first, as matplotlib does
            x = x0 + sum(widths[:column]) + gap * column
            y = y0 + row * row_h + row_h / 2
            if entry.line not in ("", "none", "None", None):
                out.append(
                    f'<path d="M{_n(x)} {_n(y)}h{_n(key)}" '
                    f"{_stroke(entry.colour, entry.width, entry.line)}/>"
                )
            if entry.marker:
                out.append(
                    f'<path d="{_marker(x + key / 2, y, entry.marker, 4.0)}" '
                    f'fill="{entry.face or entry.colour}" stroke="{entry.colour}" '
                    f'stroke-width="{_n(entry.edge)}"/>'
                )
            out.append(
                f'<text x="{_n(x + key + 6)}" y="{_n(y + FONT_SIZE * 0.36)}">'
                f"{escape(entry.label)}</text>"
            )
        return "".join(out)

    def body(self) -> str:
        """The panels, the title over all and the legend, as SVG elements."""
        body = "".join(self._panels)
        if self.suptitle:
            body += (
                f'<text x="{_n(self.width * PT / 2)}" y="{_n(0.06 * PT + 9 * 0.8)}" '
                f'font-size="9" text-anchor="middle">{escape(self.suptitle)}</text>'
            )
        return body + self._legend_markup()

    def markup(self, name: str, alt: str, *, image: bool = False) -> Markup:
        """The figure (:func:`figure_markup`)."""
        return figure_markup(self.body(), (self.width, self.height), name, alt, image=image)


def svg_document(
    body: str, size: tuple[float, float], name: str, alt: str, *, standalone: bool = False
) -> str:
    """An ``<svg>`` of ``size`` inches around ``body`` (points as user units) on white, its
    ids prefixed with ``name-`` so figures can share a page, ``alt`` its accessible name;
    ``standalone`` adds the namespace a document on its own (an image) needs."""
    prefix = _SAFE_ID.sub("-", name).strip("-") + "-"
    width, height = size[0] * PT, size[1] * PT
    head = (
        f'<svg class="figure" role="img" aria-label="{escape(alt)}" '
        f'width="{_n(width)}pt" height="{_n(height)}pt" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" version="1.1"'
    )
    if standalone:
        head += ' xmlns="http://www.w3.org/2000/svg"'
    body = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', body)
    body = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", body)
    return (
        f'{head}><rect width="100%" height="100%" fill="#ffffff"/>'
        f'<g font-family="{FONT}" font-size="{_n(FONT_SIZE)}" fill="{TEXT}">{body}</g></svg>'
    )


def figure_markup(
    body: str, size: tuple[float, float], name: str, alt: str, *, image: bool = False
) -> Markup:
    """Inline SVG for a web page, or (``image``) an ``<img>`` of the same SVG for print, with
    ``alt`` as its alternative text (the tagged PDF's) and its width in inches."""
    if not image:
        return Markup(svg_document(body, size, name, alt))
    document = svg_document(body, size, name, alt, standalone=True)
    data = base64.b64encode(document.encode("utf-8")).decode("ascii")
    return Markup(
        '<img class="figure" alt="{}" style="display:block;width:{:.3f}in;max-width:100%;'
        'height:auto" src="data:image/svg+xml;base64,{}">'
    ).format(alt, size[0], Markup(data))
