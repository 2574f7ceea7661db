"""Report figures as inline, self-contained SVG (matplotlib, or written directly for panels)."""

from __future__ import annotations

import base64
import io
import math
import re
import textwrap
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
from markupsafe import Markup, escape
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from reports.panel_svg import (
    FONT_SIZE,
    PT,
    TICK,
    GridLayout,
    LegendEntry,
    Panel,
    PanelFigure,
    figure_markup,
    svg_rect,
    svg_text,
)

__all__ = [
    "PNG_DPI",
    "PROFESSION_PALETTE",
    "SVG_SETTINGS",
    "agreement_figure",
    "icc_figure",
    "identity_figure",
    "intervention_figure",
    "network_trend_figure",
    "profession_colours",
    "raster_dpi",
    "raster_figures",
    "reliability_figure",
    "response_rate_figure",
    "sociogram_figure",
    "svg_markup",
    "trajectory_figure",
    "trend_figure",
]

#: matplotlib settings every report figure is drawn with: text stays text (small, searchable,
#: no embedded glyphs), a fixed id salt so output is reproducible, a compact print style.
SVG_SETTINGS: dict[str, Any] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 8.5,
    # titles sit at the top of the axes (nothing is drawn above them): a fixed position
    # spares matplotlib measuring every panel's ticks to place its title (a third of a
    # figure's drawing time for small multiples)
    "axes.titley": 1.0,
    "axes.labelsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.4,
    "lines.markersize": 4,
}
#: Colours reserved for professions (Okabe & Ito 2008, colour-blind safe; black left out):
#: a profession has the same colour in every figure, and nothing else uses these colours.
PROFESSION_PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
#: Beyond seven professions: greys (with the profession named in the legend).
PROFESSION_EXTRA = ("#8C8C8C", "#4D4D4D", "#BDBDBD")
#: Everything that is not a profession is drawn in ink and greys, told apart by marker and
#: line style (so a colour never means one thing in one figure and another in the next).
INK = "#1D2430"
SERIES: tuple[tuple[str, str, Any], ...] = (
    (INK, "o", "-"),
    ("#5B6472", "s", "--"),
    ("#8D96A3", "^", ":"),
)
MODEL = "#5B6472"
REFERENCE = "#8D96A3"
UNCOUNTED = "#A7AFBA"
NULL_BAND = "#E4E7EB"
PALETTE = PROFESSION_PALETTE  # kept for callers that ask for "the palette"
# rcParams are process-wide; figures are drawn one at a time so settings never leak across threads.
_LOCK = threading.RLock()
_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def profession_colours(professions: Sequence[str]) -> dict[str, str]:
    """A fixed colour per profession (sorted), the same in every figure of a report.

    Pass the study's professions (not a subset), so a filtered report keeps the colours.

    Examples
    --------
    >>> profession_colours(["nurse", "GP"])["GP"]
    '#E69F00'
    """
    palette = PROFESSION_PALETTE + PROFESSION_EXTRA
    out: dict[str, str] = {}
    for i, label in enumerate(sorted(set(professions))):
        out[label] = palette[i % len(palette)]
    return out


@contextmanager
def _style(name: str) -> Iterator[None]:
    settings: Any = {**SVG_SETTINGS, "svg.hashsalt": name}
    with _LOCK, matplotlib.rc_context(settings):
        yield


PNG_DPI = 200
"""Resolution of figures drawn as images for print (:func:`raster_figures`): a full-width
figure (7.1 in) is 1,420 pixels across, sharp at 200% zoom on a screen."""

_RASTER_DPI: ContextVar[int | None] = ContextVar("report_figure_raster_dpi", default=None)


@contextmanager
def raster_figures(dpi: int = PNG_DPI) -> Iterator[None]:
    """Within this block, every figure is an ``<img>``: a PNG at ``dpi`` for a matplotlib
    figure, the SVG itself for small multiples written by :mod:`reports.panel_svg`.

    For documents rendered to PDF: WeasyPrint draws an inline SVG figure element by element
    (a matplotlib figure's hundreds of shapes and labels each get their style cascaded and
    their text laid out), which took half the time of a demo evaluator report's PDF; an image
    is placed whole (a compact SVG image is still drawn as vectors). The image keeps the
    figure's accessible name as ``alt`` (the tagged PDF's alternative text) and its size in
    inches. Context-local, so a thread drawing an HTML report meanwhile still gets SVG.
    """
    if dpi < 72:
        raise ValueError(f"dpi must be at least 72 for print, not {dpi}")
    token = _RASTER_DPI.set(dpi)
    try:
        yield
    finally:
        _RASTER_DPI.reset(token)


def raster_dpi() -> int | None:
    """The resolution figures are drawn at as images here (:func:`raster_figures`); None: SVG."""
    return _RASTER_DPI.get()


def _png_markup(fig: Figure, name: str, alt: str, dpi: int) -> Markup:
    """``fig`` as an opaque (RGB) PNG ``<img>``: the figures are drawn on white, and a PNG
    with an alpha channel costs WeasyPrint a second image (the soft mask) per figure."""
    with _style(name):
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())[..., :3]
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="RGB").save(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    width, height = fig.get_size_inches()
    return Markup(
        '<img class="figure" alt="{}" style="display:block;width:{:.3f}in;max-width:100%;'
        'height:auto" width="{}" height="{}" src="data:image/png;base64,{}">'
    ).format(alt, width, round(width * dpi), round(height * dpi), Markup(data))


def svg_markup(fig: Figure, name: str, alt: str) -> Markup:
    """Serialise ``fig`` as SVG fit for inlining in HTML, with ids unique to ``name``.

    The XML declaration, doctype, metadata and namespace declarations are dropped (an HTML
    parser puts ``<svg>`` in the SVG namespace itself), so the markup references no URL at
    all; ``xlink:href`` becomes SVG 2 ``href``. Every id gets the prefix ``name-`` so many
    figures can share one page. ``alt`` becomes the accessible name. Inside
    :func:`raster_figures` the figure is a PNG ``<img>`` with ``alt`` instead.
    """
    dpi = _RASTER_DPI.get()
    if dpi is not None:
        return _png_markup(fig, name, alt, dpi)
    prefix = _NAME.sub("-", name).strip("-") + "-"
    buffer = io.StringIO()
    with _style(name):
        fig.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    text = text.replace("<svg ", f'<svg class="figure" role="img" aria-label="{escape(alt)}" ', 1)
    return Markup(text.strip())


def _written_markup(body: str, size: tuple[float, float], name: str, alt: str) -> Markup:
    """SVG written by :mod:`reports.panel_svg` (``body``, ``size`` inches) inline, or, inside
    :func:`raster_figures`, as an image of the same SVG (vectors in the PDF, and one image
    for WeasyPrint to place instead of an element tree to lay out)."""
    return figure_markup(body, size, name, alt, image=_RASTER_DPI.get() is not None)


def _panel_markup(figure: PanelFigure, name: str, alt: str) -> Markup:
    """A :class:`~reports.panel_svg.PanelFigure` as :func:`_written_markup`."""
    return _written_markup(figure.body(), (figure.width, figure.height), name, alt)


SERIES_MORE: tuple[tuple[str, str, Any], ...] = (
    *SERIES,
    (INK, "D", "-."),
    ("#5B6472", "v", (0, (1, 1))),
    ("#8D96A3", "P", (0, (5, 1, 1, 1))),
)
"""Six ink styles for figures with up to six series (scales)."""

COLUMNS = 3
PANEL = (1.66, 1.25)
"""Small multiples: three panels a row of this size (inches), so a row fits the A4 text width
(7.1 in) at full size and no text is drawn under 8 pt in print."""


def _grid(count: int, *, title_lines: int = 1) -> tuple[Figure, list[Axes]]:
    """matplotlib's small multiples (one per scale), placed by :class:`GridLayout` as the
    panels written directly are: one draw, no layout engine."""
    layout = GridLayout(count, PANEL, COLUMNS, title_lines=title_lines)
    width, height = layout.width, layout.height
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(
        layout.rows,
        layout.columns,
        squeeze=False,
        gridspec_kw={
            "left": layout.left / width,
            "right": 1 - layout.right / width,
            "bottom": layout.bottom / height,
            "top": 1 - layout.top / height,
            "wspace": layout.gap_w / PANEL[0],
            "hspace": layout.gap_h / PANEL[1],
        },
    )
    flat = list(axes.ravel())
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


MAX_WAVE_TICKS = 6
"""A panel names at most this many waves on its axis (every other wave of 7-12, and so on):
a small panel has no room for more labels, and every tick is drawn in every panel."""


def _int_waves(ax: Axes, waves: Sequence[int]) -> None:
    """Whole-number wave ticks (at most :data:`MAX_WAVE_TICKS`, from the first wave on) and
    room for half a wave on either side."""
    if not len(waves):
        return
    limits, ticks = _wave_axis(waves)
    ax.set_xticks(ticks)
    ax.set_xlim(*limits)


def _axis_titles(ax: Axes, y: str, x: str = "wave") -> None:
    ax.set_xlabel(x)
    ax.set_ylabel(y)


def _legend(fig: Figure, handles: list[Line2D], ncol: int | None = None) -> None:
    if not handles:
        return
    columns = ncol or min(len(handles), 3)
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=columns,
        frameon=False,
    )


def _panel_title(team: str, marks: Sequence[tuple[int, str]] = (), width: int = 26) -> str:
    """A panel's title: the team, then its interventions ("KTA from wave 3"), wrapped."""
    lines = textwrap.wrap(team, width) or [""]
    for wave, kind in marks:
        lines.extend(textwrap.wrap(f"{kind} from wave {wave}", width))
    return "\n".join(lines)


def _title_lines(titles: Sequence[str]) -> int:
    return max((t.count("\n") + 1 for t in titles), default=1)


def _mark_interventions(ax: Axes, marks: Sequence[tuple[int, str]]) -> None:
    for wave, _kind in marks:
        ax.axvline(wave - 0.5, color=INK, linestyle="--", linewidth=1)


def _wave_axis(waves: Sequence[int]) -> tuple[tuple[float, float], list[float]]:
    """A wave axis's limits (half a wave either side) and its ticks (as :func:`_int_waves`)."""
    if not len(waves):
        return (0.5, 1.5), []
    step = math.ceil(len(waves) / MAX_WAVE_TICKS)
    return (min(waves) - 0.5, max(waves) + 0.5), [float(w) for w in list(waves)[::step]]


def _fitted_line(panel: Panel, line: pd.DataFrame) -> None:
    """A team's fitted line through the waves, broken at its intervention.

    With ``post`` and ``slope`` columns (a discontinuous growth model) the line before the
    intervention and the line after it are drawn apart, each carried on with its own slope to
    the dashed intervention line half a wave before the first post wave, so the jump the model
    estimates shows as a step there rather than as a steeper stretch.
    """
    if "post" not in line or line["post"].nunique() < 2:
        panel.line(line["wave"].to_numpy(float), line["fitted"].to_numpy(float), MODEL, width=1.2)
        return
    before = line[line["post"] == 0]
    after = line[line["post"] == 1]
    cut = float(after["wave"].iloc[0]) - 0.5
    has_slope = "slope" in line
    for part, edge, end in ((before, -1, True), (after, 0, False)):
        x = part["wave"].to_numpy(dtype=float)
        y = part["fitted"].to_numpy(dtype=float)
        if has_slope:
            y_cut = y[edge] + float(part["slope"].iloc[edge]) * (cut - x[edge])
            x = np.append(x, cut) if end else np.insert(x, 0, cut)
            y = np.append(y, y_cut) if end else np.insert(y, 0, y_cut)
        panel.line(x, y, MODEL, width=1.2)


def _points(
    panel: Panel,
    rows: pd.DataFrame,
    team: str,
    uncounted: set[tuple[str, int]],
    style: tuple[str, str, Any],
    *,
    offset: float = 0.0,
    interval: bool = True,
) -> None:
    """Counted team-waves as filled points (with their interval), the others hollow and grey."""
    colour, marker, line = style
    waves = rows["wave"].astype(int).to_numpy()
    counted = np.array([(team, int(w)) not in uncounted for w in waves], dtype=bool)
    x = waves.astype(float) + offset
    y = rows["mean" if "mean" in rows else "value"].to_numpy(dtype=float)
    if line not in ("none", "", None):
        panel.line(x, np.where(counted, y, np.nan), colour, width=1.0, style=line)
    if interval and "ci_low" in rows:
        panel.intervals(
            x[counted],
            rows["ci_low"].to_numpy(dtype=float)[counted],
            rows["ci_high"].to_numpy(dtype=float)[counted],
            colour,
        )
    panel.markers(x[counted], y[counted], marker, colour)
    panel.markers(x[~counted], y[~counted], marker, UNCOUNTED, face="#ffffff")


def _by_team(frame: pd.DataFrame) -> dict[Any, pd.DataFrame]:
    """Each team's rows (one pass over the table, not one per team)."""
    return {team: rows for team, rows in frame.groupby("team", sort=False)}


def _add_wave_panel(
    figure: PanelFigure, panel: Panel, title: str, xticks: Sequence[float], ylabel: str
) -> None:
    """Put ``panel`` in ``figure`` framed with waves across and ``ylabel`` up its side."""
    figure.add(
        panel,
        panel.frame(
            title, xticks=xticks, yticks=figure.y_ticks(*panel.y), xlabel="wave", ylabel=ylabel
        ),
    )


def _mark_panel(panel: Panel, marks: Sequence[tuple[int, str]]) -> None:
    for wave, _kind in marks:
        panel.vline(wave - 0.5, INK, style="--")


UNCOUNTED_KEY = LegendEntry(
    "not counted (too few answered)", UNCOUNTED, marker="o", line="none", face="#ffffff"
)
"""The legend's key for a hollow grey point: a team-wave that counts toward nothing."""
INTERVENTION_KEY = LegendEntry("intervention began", INK, line="--")


def response_rate_figure(
    rates: pd.DataFrame,
    name: str = "response-rates",
    *,
    uncounted: set[tuple[str, int]] = frozenset(),  # type: ignore[assignment]
) -> Markup:
    """Heat map of response rates, teams by waves, each cell labelled ``responded/invited``.

    ``rates`` has columns ``team``, ``wave``, ``invited``, ``responded``. Team-waves in
    ``uncounted`` are white with a dashed edge: they do not count toward any verdict.
    """
    teams = sorted(rates["team"].unique())
    waves = sorted(int(w) for w in rates["wave"].unique())
    lookup = {(str(r["team"]), int(r["wave"])): r for r in rates.to_dict(orient="records")}
    label_room = 0.3 + 0.068 * max((len(t) for t in teams), default=4)
    width = min(7.1, label_room + 0.75 * len(waves) + 0.2)
    height = 0.55 + 0.3 * len(teams)
    # the grid's box (points): a column per wave, a row per team from the top
    left, top = label_room * PT, 0.1 * PT
    column = (width - label_room - 0.15) * PT / max(1, len(waves))
    row = (height - 0.45) * PT / max(1, len(teams))
    greys = matplotlib.colormaps["Greys"]
    parts = []
    for i, team in enumerate(teams):
        middle = top + (i + 0.5) * row
        parts.append(svg_text(left - TICK, middle, team, anchor="end"))
        for j, wave in enumerate(waves):
            cell = lookup.get((team, wave))
            if cell is None:
                continue
            rate = float(cell["responded"]) / float(cell["invited"])
            counted = (team, wave) not in uncounted
            shade = 0.12 + 0.7 * rate
            box = (left + (j + 0.03) * column, top + (i + 0.05) * row, 0.94 * column, 0.9 * row)
            parts.append(
                svg_rect(box, to_hex(greys(shade)))
                if counted
                else svg_rect(box, "#ffffff", edge=INK, width=0.8, style="--")
            )
            parts.append(
                svg_text(
                    left + (j + 0.5) * column,
                    middle,
                    f"{int(cell['responded'])}/{int(cell['invited'])}",
                    fill="#ffffff" if counted and shade > 0.5 else INK,
                    italic=not counted,
                )
            )
    below = top + len(teams) * row + TICK + FONT_SIZE / 2
    parts += [svg_text(left + (j + 0.5) * column, below, f"wave {w}") for j, w in enumerate(waves)]
    return _written_markup(
        "".join(parts),
        (width, height),
        name,
        "Response rates by team and wave; not counted team-waves marked",
    )


def reliability_figure(
    reliability: pd.DataFrame, labels: Mapping[str, str], name: str = "reliability"
) -> Markup:
    """Cronbach's alpha with its Feldt interval and omega per wave, one panel per scale."""
    with _style(name):
        scales = [s for s in labels if s in set(reliability["scale"])]
        titles = [_panel_title(labels[s]) for s in scales]
        fig, axes = _grid(len(scales), title_lines=_title_lines(titles))
        waves = sorted(int(w) for w in reliability["wave"].unique())
        for ax, scale, title in zip(axes, scales, titles, strict=True):
            rows = reliability[reliability["scale"] == scale].sort_values("wave")
            wave = rows["wave"].to_numpy(dtype=float)
            alpha = rows["alpha"].to_numpy(dtype=float)
            low = alpha - rows["ci_low"].to_numpy(dtype=float)
            high = rows["ci_high"].to_numpy(dtype=float) - alpha
            ax.errorbar(wave, alpha, yerr=[low, high], fmt="o", color=INK, capsize=2, markersize=4)
            ax.plot(
                wave + 0.2, rows["omega"], "s", color=MODEL, markerfacecolor="white", markersize=4
            )
            ax.axhline(0.7, color=REFERENCE, linestyle=":", linewidth=1)
            ax.set_title(title)
            ax.set_ylim(max(0.0, min(0.5, float(np.nanmin(rows["ci_low"])) - 0.05)), 1.0)
            _int_waves(ax, waves)
            _axis_titles(ax, "reliability (0-1)")
        handles = [
            Line2D([], [], marker="o", color=INK, label="alpha (95% Feldt interval)"),
            Line2D(
                [],
                [],
                marker="s",
                color=MODEL,
                linestyle="",
                markerfacecolor="white",
                label="omega total",
            ),
            Line2D([], [], color=REFERENCE, linestyle=":", label=".70"),
        ]
        _legend(fig, handles)
        return svg_markup(fig, name, "Reliability of each scale by wave")


def trajectory_figure(
    means: pd.DataFrame,
    title: str,
    *,
    lines: pd.DataFrame | None = None,
    interventions: Mapping[str, Sequence[tuple[int, str]]] | None = None,
    uncounted: set[tuple[str, int]] = frozenset(),  # type: ignore[assignment]
    scale_range: tuple[float, float] = (1, 7),
    line_label: str = "model trajectory",
    name: str = "trajectory",
) -> Markup:
    """Team means per wave with 95% intervals, the model's fitted line and interventions.

    Parameters
    ----------
    means : DataFrame
        ``team``, ``wave``, ``mean``, ``ci_low``, ``ci_high`` (one panel per team).
    lines : DataFrame, optional
        ``team``, ``wave``, ``fitted`` and, from a discontinuous growth model, ``post`` and
        ``slope``: the model's fitted team trajectory at each wave, drawn broken at the
        intervention so its jump shows as a step (see :func:`analysis.intervention_models`).
    interventions : mapping, optional
        Team -> ``(wave, kind)`` pairs; a dashed line half a wave before ``wave`` (the first
        wave measured after the intervention began), named in the panel title.
    uncounted : set of (team, wave)
        Team-waves that do not count: hollow grey points without an interval.
    """
    teams = sorted(means["team"].unique())
    xlim, xticks = _wave_axis(sorted(int(w) for w in means["wave"].unique()))
    marks = interventions or {}
    titles = [_panel_title(t, marks.get(t, ())) for t in teams]
    figure = PanelFigure(
        len(teams), legend_rows=2, title_lines=_title_lines(titles), suptitle=title
    )
    by_team = _by_team(means)
    fitted = lines.groupby("team") if lines is not None and not lines.empty else None
    known = set(lines["team"]) if lines is not None and not lines.empty else set()
    for index, (team, panel_title) in enumerate(zip(teams, titles, strict=True)):
        panel = figure.panel(index, xlim, scale_range)
        rows = by_team[team].sort_values("wave")
        if fitted is not None and team in known:
            _fitted_line(panel, fitted.get_group(team).sort_values("wave"))
        _points(panel, rows, team, uncounted, (INK, "o", "none"))
        _mark_panel(panel, marks.get(team, ()))
        _add_wave_panel(figure, panel, panel_title, xticks, "team mean (1-7)")
    figure.legend(
        [
            LegendEntry("team mean (95% interval)", INK, marker="o", line="none"),
            UNCOUNTED_KEY,
            LegendEntry(line_label, MODEL),
            INTERVENTION_KEY,
        ],
        columns=2,
    )
    return _panel_markup(figure, name, f"{title}: team means by wave with the model's trajectories")


def agreement_figure(
    agreement: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    rwg_min: float = 0.7,
    uncounted: set[tuple[str, int]] = frozenset(),  # type: ignore[assignment]
    name: str = "agreement",
) -> Markup:
    """rwg(j) per team over waves for each scale in ``labels``, with the random-response null.

    ``agreement`` has ``team``, ``wave``, ``scale``, ``rwg_j``, ``rwg_j_null95``. The null
    (the 95th percentile of rwg(j) for random responders in a team of that size) is drawn as
    a grey band per wave (the largest over the scales, which share a team's ``n``).
    Team-waves in ``uncounted`` are hollow and grey.
    """
    data = agreement[agreement["scale"].isin(list(labels))]
    teams = sorted(data["team"].unique())
    xlim, xticks = _wave_axis(sorted(int(w) for w in data["wave"].unique()))
    ylim = (0.0, 1.02)
    style = {s: SERIES_MORE[i % len(SERIES_MORE)] for i, s in enumerate(labels)}
    titles = [_panel_title(t) for t in teams]
    figure = PanelFigure(len(teams), legend_rows=2, title_lines=_title_lines(titles))
    by_team = _by_team(data)
    for index, (team, panel_title) in enumerate(zip(teams, titles, strict=True)):
        panel = figure.panel(index, xlim, ylim)
        rows = by_team[team]
        null = rows.groupby("wave")["rwg_j_null95"].max()
        panel.steps(null.index.to_numpy(dtype=float), null.to_numpy(dtype=float), NULL_BAND)
        panel.hline(rwg_min, REFERENCE, style=":")
        for k, scale in enumerate(labels):
            line = (
                rows[rows["scale"] == scale].sort_values("wave").rename(columns={"rwg_j": "value"})
            )
            _points(
                panel, line, team, uncounted, style[scale], offset=(k - 1) * 0.08, interval=False
            )
        _add_wave_panel(figure, panel, panel_title, xticks, "rwg(j) (0-1)")
    keys = [
        LegendEntry(labels[s], style[s][0], marker=style[s][1], line=style[s][2]) for s in labels
    ]
    keys.append(LegendEntry("random-response 95%", NULL_BAND, width=6))
    keys.append(LegendEntry(f"{rwg_min:.2f}", REFERENCE, line=":"))
    keys.append(UNCOUNTED_KEY)
    figure.legend(keys, columns=3)
    return _panel_markup(figure, name, "Within-team agreement rwg(j) by team and wave")


def icc_figure(icc: pd.DataFrame, labels: Mapping[str, str], name: str = "icc") -> Markup:
    """ICC(1) and ICC(2) across teams per wave, one panel per scale (``wave, scale, icc1, icc2``)."""
    with _style(name):
        scales = [s for s in labels if s in set(icc["scale"])]
        titles = [_panel_title(labels[s]) for s in scales]
        fig, axes = _grid(len(scales), title_lines=_title_lines(titles))
        waves = sorted(int(w) for w in icc["wave"].unique())
        for ax, scale, title in zip(axes, scales, titles, strict=True):
            rows = icc[icc["scale"] == scale].sort_values("wave")
            for column, (colour, marker, line) in zip(("icc1", "icc2"), SERIES, strict=False):
                ax.plot(
                    rows["wave"],
                    rows[column],
                    marker=marker,
                    linestyle=line,
                    color=colour,
                    markersize=4,
                )
            ax.axhline(0, color=REFERENCE, linewidth=0.8)
            low, high = ax.get_ylim()
            ax.set_ylim(max(min(low, -0.05), -1.0), min(max(high, 0.1), 1.0))
            ax.set_title(title)
            _int_waves(ax, waves)
            _axis_titles(ax, "ICC")
        handles = [
            Line2D(
                [],
                [],
                color=SERIES[0][0],
                marker=SERIES[0][1],
                linestyle=SERIES[0][2],
                label="ICC(1): variance between teams",
            ),
            Line2D(
                [],
                [],
                color=SERIES[1][0],
                marker=SERIES[1][1],
                linestyle=SERIES[1][2],
                label="ICC(2): reliability of team means",
            ),
        ]
        _legend(fig, handles, ncol=2)
        return svg_markup(fig, name, "ICC(1) and ICC(2) of each scale by wave")


def identity_figure(
    means: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    interventions: Mapping[str, Sequence[tuple[int, str]]] | None = None,
    uncounted: set[tuple[str, int]] = frozenset(),  # type: ignore[assignment]
    name: str = "identity",
) -> Markup:
    """Team means of the identity scales per wave, one panel per team (``team, wave, scale,
    mean, ci_low, ci_high``); team-waves in ``uncounted`` hollow and grey."""
    teams = sorted(means["team"].unique())
    xlim, xticks = _wave_axis(sorted(int(w) for w in means["wave"].unique()))
    ylim = (1.0, 7.0)
    marks = interventions or {}
    titles = [_panel_title(t, marks.get(t, ())) for t in teams]
    figure = PanelFigure(len(teams), legend_rows=2, title_lines=_title_lines(titles))
    style = {s: SERIES[i % len(SERIES)] for i, s in enumerate(labels)}
    by_team = _by_team(means)
    for index, (team, panel_title) in enumerate(zip(teams, titles, strict=True)):
        panel = figure.panel(index, xlim, ylim)
        for k, scale in enumerate(labels):
            rows = by_team[team]
            rows = rows[rows["scale"] == scale].sort_values("wave")
            _points(panel, rows, team, uncounted, style[scale], offset=(k - 1) * 0.12)
        _mark_panel(panel, marks.get(team, ()))
        _add_wave_panel(figure, panel, panel_title, xticks, "team mean (1-7)")
    keys = [
        LegendEntry(labels[s], style[s][0], marker=style[s][1], line=style[s][2]) for s in labels
    ]
    keys += [UNCOUNTED_KEY, INTERVENTION_KEY]
    figure.legend(keys, columns=3)
    return _panel_markup(figure, name, "Identification with the team, profession, organisation")


def sociogram_figure(
    graphs: Sequence[tuple[str, nx.DiGraph]],
    profession_colours: Mapping[str, str],
    *,
    seed: int = 20240601,
    name: str = "sociograms",
) -> Markup:
    """One sociogram per (title, graph): nodes coloured by profession, non-responders hollow.

    Each graph's nodes carry ``profession`` and ``responded`` attributes; edges are directed
    knowledge ties. Layouts use networkx's spring layout with a fixed ``seed`` on the nodes in
    sorted order, so the same data always gives the same picture. ``profession_colours``
    comes from :func:`profession_colours` for the whole study.
    """
    legend_rows = math.ceil((len(profession_colours) + 1) / 4)
    titles = ["\n".join(_panel_title(part) for part in t.split(", ", 1)) for t, _ in graphs]
    figure = PanelFigure(
        len(graphs),
        (1.66, 1.6),
        legend_rows=legend_rows,
        title_lines=_title_lines(titles),
        axis_labels=False,
    )
    for index, ((_title, graph), panel_title) in enumerate(zip(graphs, titles, strict=True)):
        ordered = nx.Graph()
        ordered.add_nodes_from(sorted(graph.nodes))
        ordered.add_edges_from(sorted(graph.to_undirected().edges))
        if ordered.number_of_nodes() == 0:
            empty = figure.panel(index, (0.0, 1.0), (0.0, 1.0))
            figure.add(empty, empty.titled(panel_title))
            continue
        position = nx.spring_layout(ordered, seed=seed, k=1.2 / math.sqrt(len(ordered)))
        xy = np.array([position[node] for node in ordered.nodes], dtype=float)
        panel = figure.panel(index, _margins(xy[:, 0]), _margins(xy[:, 1]))
        for source, target in sorted(graph.edges):
            panel.arrow(tuple(position[source]), tuple(position[target]), "#9a9a9a")
        for node in sorted(graph.nodes):
            data = graph.nodes[node]
            colour = profession_colours.get(str(data.get("profession", "")), "#777777")
            responded = bool(data.get("responded", True))
            x, y = (float(v) for v in position[node])
            panel.markers(
                [x],
                [y],
                "o",
                INK if responded else colour,
                face=colour if responded else "#ffffff",
                size=6.5,
                edge=0.6 if responded else 1.4,
            )
        figure.add(panel, panel.titled(panel_title))
    keys = [
        LegendEntry(p, INK, marker="o", line="none", face=c, edge=0.6)
        for p, c in profession_colours.items()
    ]
    keys.append(LegendEntry("did not respond", "#777777", marker="o", line="none", face="#ffffff"))
    figure.legend(keys, columns=4)
    return _panel_markup(figure, name, "Knowledge-exchange networks, coloured by profession")


def _margins(values: np.ndarray, margin: float = 0.12) -> tuple[float, float]:
    """Data limits with ``margin`` of the span added either side (matplotlib's
    ``Axes.margins``); a single value gets room of its own."""
    low, high = float(np.min(values)), float(np.max(values))
    span = high - low or 1.0
    return low - margin * span, high + margin * span


def network_trend_figure(
    network: pd.DataFrame, *, cross_ratio_min: float = 0.7, name: str = "network-trends"
) -> Markup:
    """The cross-profession ratio per wave, one panel per team, against its threshold.

    ``network`` is :func:`analysis.network_table` output (NaN where coverage is too low: a
    gap). The E-I indices are in the table beside it.
    """
    teams = sorted(network["team"].unique())
    xlim, xticks = _wave_axis(sorted(int(w) for w in network["wave"].unique()))
    titles = [_panel_title(t) for t in teams]
    figure = PanelFigure(len(teams), (1.66, 1.0), title_lines=_title_lines(titles))
    top = max(
        1.6,
        float(np.nanmax(network["cross_ratio_profession"].to_numpy(dtype=float), initial=1.0))
        + 0.1,
    )
    by_team = _by_team(network)
    for index, (team, panel_title) in enumerate(zip(teams, titles, strict=True)):
        panel = figure.panel(index, xlim, (0.0, top))
        rows = by_team[team].sort_values("wave")
        panel.hline(1.0, REFERENCE, width=0.8)
        panel.hline(cross_ratio_min, REFERENCE, style=":")
        x = rows["wave"].to_numpy(dtype=float)
        y = rows["cross_ratio_profession"].to_numpy(dtype=float)
        panel.line(x, y, INK, width=1.0)
        panel.markers(x, y, "o", INK)
        _add_wave_panel(figure, panel, panel_title, xticks, "cross ratio")
    figure.legend(
        [
            LegendEntry("cross-profession ratio", INK, marker="o"),
            LegendEntry("1 = random mixing", REFERENCE),
            LegendEntry(f"{cross_ratio_min:.2f} needed", REFERENCE, line=":"),
        ],
        columns=3,
    )
    return _panel_markup(figure, name, "Cross-profession ratio of knowledge ties by team and wave")


def intervention_figure(
    effects: pd.DataFrame, labels: Mapping[str, str], name: str = "interventions"
) -> Markup:
    """Forest plot of level change (``post``) and slope change (``since``) per scale.

    ``effects`` is :func:`analysis.intervention_effects` output (``outcome``, ``effect``,
    ``estimate``, ``ci_low``, ``ci_high``).
    """
    with _style(name):
        order = [s for s in labels if s in set(effects["outcome"])]
        height = 1.1 + 0.3 * len(order)
        label_room = 0.25 + 0.068 * max((len(labels[s]) for s in order), default=5)
        width = 7.0
        fig = Figure(figsize=(width, height))
        axes = fig.subplots(1, 2, sharey=True)
        fig.subplots_adjust(
            left=label_room / width,
            right=0.98,
            top=1 - 0.35 / height,
            bottom=0.55 / height,
            wspace=0.12,
        )
        y = np.arange(len(order))[::-1]
        for ax, effect, title in zip(
            axes,
            ("level_change", "slope_change"),
            ("jump at the first wave after", "change in slope per wave after"),
            strict=True,
        ):
            rows = effects[effects["effect"] == effect].set_index("outcome").reindex(order)
            estimate = rows["estimate"].to_numpy(dtype=float)
            ax.errorbar(
                estimate,
                y,
                xerr=[
                    estimate - rows["ci_low"].to_numpy(dtype=float),
                    rows["ci_high"].to_numpy(dtype=float) - estimate,
                ],
                fmt="o",
                color=INK,
                capsize=2,
                markersize=4,
            )
            ax.axvline(0, color=REFERENCE, linewidth=0.8)
            ax.set_title(title)
            ax.set_xlabel("scale points (1-7), 95% interval")
        axes[0].set_yticks(y, [labels[s] for s in order])
        return svg_markup(fig, name, "Estimated intervention effects by scale")


def trend_figure(
    series: Mapping[str, Sequence[tuple[int, float | None]]],
    *,
    waves: Sequence[int],
    marks: Sequence[tuple[int, str]] = (),
    name: str = "trend",
    width: float = 4.2,
) -> Markup:
    """A small line chart of a few published team figures over waves (manager brief).

    ``series`` maps a label to ``(wave, value)`` pairs; ``None`` (a suppressed or missing
    figure) leaves a gap, so the chart never shows more than the page's tables. The values
    must already be at their displayed precision (the suppression module rounds them).
    """
    with _style(name):
        fig = Figure(figsize=(width, 2.1))
        ax = fig.add_axes((0.6 / width, 0.95 / 2.1, 1 - 0.75 / width, 1 - 1.1 / 2.1))
        for i, (label, points) in enumerate(series.items()):
            colour, marker, line = SERIES[i % len(SERIES)]
            x = [w for w, v in points]
            y = [np.nan if v is None else v for w, v in points]
            ax.plot(x, y, marker=marker, linestyle=line, color=colour, label=label, markersize=4)
        _mark_interventions(ax, marks)
        if marks:
            ax.plot([], [], color=INK, linestyle="--", label="intervention began")
        ax.set_ylim(1, 7)
        _int_waves(ax, list(waves))
        _axis_titles(ax, "team mean (1-7)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.42), frameon=False, ncol=2)
        return svg_markup(fig, name, "Team means by wave")
