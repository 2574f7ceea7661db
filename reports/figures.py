"""Report figures drawn with matplotlib (no pyplot) and returned as inline, self-contained SVG."""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
from markupsafe import Markup, escape
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = [
    "SVG_SETTINGS",
    "agreement_figure",
    "icc_figure",
    "identity_figure",
    "intervention_figure",
    "network_trend_figure",
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
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.4,
    "lines.markersize": 4,
}
# Colour-blind-safe palette (Okabe & Ito 2008), then tab10 for more categories.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
    "#8C564B",
)
# rcParams are process-wide; figures are drawn one at a time so settings never leak across threads.
_LOCK = threading.RLock()
_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def colours(labels: Sequence[str]) -> dict[str, str]:
    """A fixed colour per label (sorted), the same in every figure of a report.

    Examples
    --------
    >>> colours(["nurse", "GP"])["GP"]
    '#0072B2'
    """
    out: dict[str, str] = {}
    for i, label in enumerate(sorted(set(labels))):
        out[label] = PALETTE[i % len(PALETTE)]
    return out


@contextmanager
def _style(name: str) -> Iterator[None]:
    settings: Any = {**SVG_SETTINGS, "svg.hashsalt": name}
    with _LOCK, matplotlib.rc_context(settings):
        yield


def svg_markup(fig: Figure, name: str, alt: str) -> Markup:
    """Serialise ``fig`` as SVG fit for inlining in HTML, with ids unique to ``name``.

    The XML declaration, doctype, metadata and namespace declarations are dropped (an HTML
    parser puts ``<svg>`` in the SVG namespace itself), so the markup references no URL at
    all; ``xlink:href`` becomes SVG 2 ``href``. Every id gets the prefix ``name-`` so many
    figures can share one page. ``alt`` becomes the accessible name.
    """
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


def _grid(
    count: int,
    columns: int,
    panel: tuple[float, float],
    *,
    legend_rows: int = 1,
    suptitle: bool = False,
    share: bool = True,
) -> tuple[Figure, list[Axes]]:
    """Small multiples with fixed margins in inches (no layout engine: one draw, not two).

    ``panel`` is the size of one axes; titles, tick labels and the legend below get fixed
    room, so the figure grows with the number of panels and stays legible.
    """
    columns = max(1, min(columns, count))
    rows = max(1, math.ceil(count / columns))
    left, right, gap_w = 0.42, 0.1, 0.14 if share else 0.3
    top, gap_h = 0.3 + (0.25 if suptitle else 0.0), 0.45
    bottom = 0.32 + 0.2 * legend_rows
    width = left + columns * panel[0] + (columns - 1) * gap_w + right
    height = top + rows * panel[1] + (rows - 1) * gap_h + bottom
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(
        rows,
        columns,
        squeeze=False,
        sharex=share,
        sharey=share,
        gridspec_kw={
            "left": left / width,
            "right": 1 - right / width,
            "bottom": bottom / height,
            "top": 1 - top / height,
            "wspace": gap_w / panel[0],
            "hspace": gap_h / panel[1],
        },
    )
    flat = list(axes.ravel())
    for ax in flat[count:]:
        ax.set_visible(False)
    for index in range(max(0, count - columns), count):
        flat[index].xaxis.set_tick_params(labelbottom=True)  # above an empty slot
    return fig, flat[:count]


def _int_waves(ax: Axes, waves: Sequence[int]) -> None:
    """Whole-number wave ticks; axes sharing x with one already set are left alone (setting
    shared axes again re-propagates to every panel, which made big grids quadratic)."""
    if not len(waves):
        return
    ticks = [float(w) for w in waves]
    limits = (min(waves) - 0.4, max(waves) + 0.4)
    if [float(t) for t in ax.get_xticks()] == ticks and tuple(ax.get_xlim()) == limits:
        return
    ax.set_xticks(ticks)
    ax.set_xlim(*limits)


def _legend(fig: Figure, handles: list[Line2D], ncol: int | None = None) -> None:
    if not handles:
        return
    columns = ncol or min(len(handles), 6)
    if fig.get_layout_engine() is not None:
        fig.legend(handles=handles, loc="outside lower center", ncol=columns, frameon=False)
    else:
        fig.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=columns,
            frameon=False,
        )


def _mark_interventions(ax: Axes, marks: Sequence[tuple[int, str]], top: float) -> None:
    for wave, kind in marks:
        ax.axvline(wave - 0.5, color="#B22222", linestyle="--", linewidth=1)
        ax.text(wave - 0.45, top, kind, color="#B22222", fontsize=6, va="top", ha="left")


def response_rate_figure(rates: pd.DataFrame, name: str = "response-rates") -> Markup:
    """Heat map of response rates, teams by waves, each cell labelled ``responded/invited``.

    ``rates`` has columns ``team``, ``wave``, ``invited``, ``responded``.
    """
    with _style(name):
        teams = sorted(rates["team"].unique())
        waves = sorted(int(w) for w in rates["wave"].unique())
        share = rates.assign(rate=rates["responded"] / rates["invited"]).pivot_table(
            index="team", columns="wave", values="rate"
        )
        share = share.reindex(index=teams, columns=waves)
        fig = Figure(
            figsize=(1.6 + 0.75 * len(waves), 0.6 + 0.3 * len(teams)), layout="constrained"
        )
        ax = fig.add_subplot()
        ax.grid(False)
        values = np.ma.masked_invalid(share.to_numpy(dtype=float))
        # pcolormesh draws vector cells (imshow would embed a bitmap)
        ax.pcolormesh(
            np.arange(len(waves) + 1) - 0.5,
            np.arange(len(teams) + 1) - 0.5,
            values,
            cmap="Blues",
            vmin=0,
            vmax=1,
            edgecolors="white",
            linewidth=1,
        )
        ax.invert_yaxis()
        lookup = {(str(r["team"]), int(r["wave"])): r for r in rates.to_dict(orient="records")}
        for i, team in enumerate(teams):
            for j, wave in enumerate(waves):
                if (team, wave) not in lookup:
                    continue
                row = lookup[(team, wave)]
                rate = float(row["responded"]) / float(row["invited"])
                ax.text(
                    j,
                    i,
                    f"{int(row['responded'])}/{int(row['invited'])}",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if rate > 0.6 else "black",
                )
        ax.set_xticks(range(len(waves)), [f"Wave {w}" for w in waves])
        ax.set_yticks(range(len(teams)), teams)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        return svg_markup(fig, name, "Response rates by team and wave")


def reliability_figure(
    reliability: pd.DataFrame, labels: Mapping[str, str], name: str = "reliability"
) -> Markup:
    """Cronbach's alpha with its Feldt interval and omega per wave, one panel per scale."""
    with _style(name):
        scales = [s for s in labels if s in set(reliability["scale"])]
        fig, axes = _grid(len(scales), 3, (2.1, 1.3))
        waves = sorted(int(w) for w in reliability["wave"].unique())
        for ax, scale in zip(axes, scales, strict=True):
            rows = reliability[reliability["scale"] == scale].sort_values("wave")
            wave = rows["wave"].to_numpy(dtype=float)
            alpha = rows["alpha"].to_numpy(dtype=float)
            low = alpha - rows["ci_low"].to_numpy(dtype=float)
            high = rows["ci_high"].to_numpy(dtype=float) - alpha
            ax.errorbar(wave, alpha, yerr=[low, high], fmt="o", color=PALETTE[0], capsize=2)
            ax.plot(wave + 0.15, rows["omega"], "s", color=PALETTE[1], markerfacecolor="none")
            ax.axhline(0.7, color="#888888", linestyle=":", linewidth=1)
            ax.set_title(labels[scale])
            ax.set_ylim(max(0.0, min(0.5, float(np.nanmin(rows["ci_low"])) - 0.05)), 1.0)
            _int_waves(ax, waves)
        for ax in axes[-3:]:
            ax.set_xlabel("wave")
        handles = [
            Line2D([], [], marker="o", color=PALETTE[0], label="alpha (95% Feldt interval)"),
            Line2D(
                [],
                [],
                marker="s",
                color=PALETTE[1],
                linestyle="",
                markerfacecolor="none",
                label="omega total",
            ),
            Line2D([], [], color="#888888", linestyle=":", label=".70"),
        ]
        _legend(fig, handles)
        return svg_markup(fig, name, "Reliability of each scale by wave")


def trajectory_figure(
    means: pd.DataFrame,
    title: str,
    *,
    lines: pd.DataFrame | None = None,
    interventions: Mapping[str, Sequence[tuple[int, str]]] | None = None,
    scale_range: tuple[float, float] = (1, 7),
    name: str = "trajectory",
) -> Markup:
    """Team means per wave with 95% intervals, the model trajectory and intervention markers.

    Parameters
    ----------
    means : DataFrame
        ``team``, ``wave``, ``mean``, ``ci_low``, ``ci_high`` (one panel per team).
    lines : DataFrame, optional
        ``team``, ``intercept``, ``slope``: the growth model's team trajectory
        ``intercept + slope * wave``.
    interventions : mapping, optional
        Team -> ``(wave, kind)`` pairs; a dashed line is drawn half a wave before ``wave``
        (the first wave measured after the intervention began).
    """
    with _style(name):
        teams = sorted(means["team"].unique())
        waves = sorted(int(w) for w in means["wave"].unique())
        fig, axes = _grid(len(teams), 4, (1.55, 1.2), suptitle=True)
        model = lines.set_index("team") if lines is not None and not lines.empty else None
        for ax, team in zip(axes, teams, strict=True):
            rows = means[means["team"] == team].sort_values("wave")
            ax.errorbar(
                rows["wave"],
                rows["mean"],
                yerr=[rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]],
                fmt="o",
                color=PALETTE[0],
                capsize=2,
                linewidth=1,
            )
            if model is not None and team in model.index:
                grid = np.linspace(min(waves), max(waves), 20)
                fit = model.loc[team]
                ax.plot(
                    grid, float(fit["intercept"]) + float(fit["slope"]) * grid, color=PALETTE[1]
                )
            _mark_interventions(ax, (interventions or {}).get(team, ()), scale_range[1] - 0.1)
            ax.set_title(team)
            ax.set_ylim(*scale_range)
            _int_waves(ax, waves)
        handles = [
            Line2D([], [], marker="o", color=PALETTE[0], label="team mean (95% interval)"),
            Line2D([], [], color=PALETTE[1], label="growth model trajectory"),
            Line2D([], [], color="#B22222", linestyle="--", label="intervention"),
        ]
        _legend(fig, handles)
        fig.suptitle(title, fontsize=9, y=1 - 0.08 / fig.get_figheight())
        return svg_markup(fig, name, f"{title}: team means by wave")


def agreement_figure(
    agreement: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    rwg_min: float = 0.7,
    name: str = "agreement",
) -> Markup:
    """rwg(j) per team over waves for each scale in ``labels``, with the random-response null.

    ``agreement`` has ``team``, ``wave``, ``scale``, ``rwg_j``, ``rwg_j_null95``. The null
    (the 95th percentile of rwg(j) for random responders in a team of that size) is drawn as
    a grey band top per wave (the largest over the scales, which share a team's ``n``).
    """
    with _style(name):
        data = agreement[agreement["scale"].isin(list(labels))]
        teams = sorted(data["team"].unique())
        waves = sorted(int(w) for w in data["wave"].unique())
        scale_colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(labels)}
        fig, axes = _grid(len(teams), 4, (1.55, 1.15), legend_rows=2)
        for ax, team in zip(axes, teams, strict=True):
            rows = data[data["team"] == team]
            null = rows.groupby("wave")["rwg_j_null95"].max()
            ax.fill_between(
                null.index.to_numpy(dtype=float),
                0,
                null.to_numpy(dtype=float),
                color="#dddddd",
                step="mid",
                linewidth=0,
            )
            ax.axhline(rwg_min, color="#888888", linestyle=":", linewidth=1)
            for scale in labels:
                line = rows[rows["scale"] == scale].sort_values("wave")
                ax.plot(line["wave"], line["rwg_j"], "o-", color=scale_colour[scale], markersize=3)
            ax.set_title(team)
            ax.set_ylim(0, 1.02)
            _int_waves(ax, waves)
        handles = [
            Line2D([], [], color=scale_colour[s], marker="o", label=labels[s]) for s in labels
        ]
        handles.append(Line2D([], [], color="#cccccc", linewidth=6, label="random-response 95%"))
        handles.append(Line2D([], [], color="#888888", linestyle=":", label=f"{rwg_min:.2f}"))
        _legend(fig, handles, ncol=3)
        return svg_markup(fig, name, "Within-team agreement rwg(j) by team and wave")


def icc_figure(icc: pd.DataFrame, labels: Mapping[str, str], name: str = "icc") -> Markup:
    """ICC(1) and ICC(2) across teams per wave, one line per scale (``wave, scale, icc1, icc2``)."""
    with _style(name):
        fig = Figure(figsize=(7.0, 2.5))
        axes = fig.subplots(1, 2, sharex=True)
        fig.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.33, wspace=0.2)
        waves = sorted(int(w) for w in icc["wave"].unique())
        for ax, column, title in zip(
            axes,
            ("icc1", "icc2"),
            ("ICC(1): share of variance between teams", "ICC(2): reliability of team means"),
            strict=True,
        ):
            for i, scale in enumerate(labels):
                rows = icc[icc["scale"] == scale].sort_values("wave")
                ax.plot(
                    rows["wave"],
                    rows[column],
                    "o-",
                    color=PALETTE[i % len(PALETTE)],
                    markersize=3,
                    label=labels[scale],
                )
            ax.set_title(title)
            ax.set_xlabel("wave")
            _int_waves(ax, waves)
        for ax in axes:  # negative ICCs mean no between-team variance; keep the scale readable
            low, high = ax.get_ylim()
            ax.set_ylim(max(low, -1.0), min(max(high, 0.1), 1.0))
        axes[0].axhline(0, color="#888888", linewidth=0.8)
        axes[1].axhline(0.7, color="#888888", linestyle=":", linewidth=1)
        handles = [
            Line2D([], [], color=PALETTE[i % len(PALETTE)], marker="o", label=labels[s])
            for i, s in enumerate(labels)
        ]
        _legend(fig, handles, ncol=3)
        return svg_markup(fig, name, "ICC(1) and ICC(2) by wave")


def identity_figure(
    means: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    interventions: Mapping[str, Sequence[tuple[int, str]]] | None = None,
    name: str = "identity",
) -> Markup:
    """Team means of the identity scales per wave, one panel per team (``team, wave, scale,
    mean, ci_low, ci_high``)."""
    with _style(name):
        teams = sorted(means["team"].unique())
        waves = sorted(int(w) for w in means["wave"].unique())
        fig, axes = _grid(len(teams), 4, (1.55, 1.2))
        colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(labels)}
        for ax, team in zip(axes, teams, strict=True):
            for k, scale in enumerate(labels):
                rows = means[(means["team"] == team) & (means["scale"] == scale)]
                rows = rows.sort_values("wave")
                offset = (k - 1) * 0.1
                ax.errorbar(
                    rows["wave"] + offset,
                    rows["mean"],
                    yerr=[rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]],
                    fmt="o-",
                    color=colour[scale],
                    markersize=3,
                    capsize=1.5,
                    linewidth=1,
                )
            _mark_interventions(ax, (interventions or {}).get(team, ()), 6.9)
            ax.set_title(team)
            ax.set_ylim(1, 7)
            _int_waves(ax, waves)
        handles = [Line2D([], [], color=colour[s], marker="o", label=labels[s]) for s in labels]
        _legend(fig, handles, ncol=3)
        return svg_markup(fig, name, "Identification with the team, profession, organisation")


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
    sorted order, so the same data always gives the same picture.
    """
    with _style(name):
        legend_rows = math.ceil((len(profession_colours) + 1) / 5)
        fig, axes = _grid(len(graphs), 4, (1.6, 1.6), legend_rows=legend_rows, share=False)
        for ax, (title, graph) in zip(axes, graphs, strict=True):
            ax.grid(False)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.set_title(title, fontsize=7.5)
            ordered = nx.Graph()
            ordered.add_nodes_from(sorted(graph.nodes))
            ordered.add_edges_from(sorted(graph.to_undirected().edges))
            if ordered.number_of_nodes() == 0:
                continue
            position = nx.spring_layout(ordered, seed=seed, k=1.2 / math.sqrt(len(ordered)))
            for source, target in sorted(graph.edges):
                ax.annotate(
                    "",
                    xy=position[target],
                    xytext=position[source],
                    arrowprops={
                        "arrowstyle": "-|>",
                        "color": "#9a9a9a",
                        "linewidth": 0.6,
                        "shrinkA": 4,
                        "shrinkB": 4,
                        "mutation_scale": 6,
                    },
                )
            for node in sorted(graph.nodes):
                data = graph.nodes[node]
                colour = profession_colours.get(str(data.get("profession", "")), "#777777")
                responded = bool(data.get("responded", True))
                ax.plot(
                    *position[node],
                    "o",
                    markersize=6,
                    color=colour,
                    markerfacecolor=colour if responded else "white",
                    markeredgewidth=1.2,
                )
            ax.margins(0.12)
        handles = [
            Line2D([], [], marker="o", linestyle="", color=c, label=p)
            for p, c in profession_colours.items()
        ]
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color="#777777",
                markerfacecolor="white",
                label="did not respond",
            )
        )
        _legend(fig, handles, ncol=5)
        return svg_markup(fig, name, "Knowledge-exchange networks, coloured by profession")


def network_trend_figure(
    network: pd.DataFrame, *, cross_ratio_min: float = 0.7, name: str = "network-trends"
) -> Markup:
    """E-I index by profession and by organisation and the cross-profession ratio over waves.

    ``network`` is :func:`analysis.network_table` output (NaN where coverage is too low);
    one line per team.
    """
    with _style(name):
        teams = sorted(network["team"].unique())
        colour = colours(teams)
        waves = sorted(int(w) for w in network["wave"].unique())
        legend_rows = math.ceil(len(teams) / 4)
        fig = Figure(figsize=(7.0, 2.2 + 0.2 * legend_rows))
        axes = fig.subplots(1, 3, sharex=True)
        fig.subplots_adjust(
            left=0.06,
            right=0.98,
            top=0.9,
            bottom=(0.5 + 0.2 * legend_rows) / (2.2 + 0.2 * legend_rows),
            wspace=0.3,
        )
        panels = (
            ("ei_profession", "E-I index by profession", (-1.05, 1.05), 0.0),
            ("ei_organisation", "E-I index by organisation", (-1.05, 1.05), 0.0),
            ("cross_ratio_profession", "cross-profession ratio", None, 1.0),
        )
        for ax, (column, title, limits, reference) in zip(axes, panels, strict=True):
            for team in teams:
                rows = network[network["team"] == team].sort_values("wave")
                ax.plot(rows["wave"], rows[column], "o-", color=colour[team], markersize=3)
            ax.axhline(reference, color="#888888", linewidth=0.8)
            if column == "cross_ratio_profession":
                ax.axhline(cross_ratio_min, color="#B22222", linestyle=":", linewidth=1)
            if limits:
                ax.set_ylim(*limits)
            ax.set_title(title)
            ax.set_xlabel("wave")
            _int_waves(ax, waves)
        handles = [Line2D([], [], color=colour[t], marker="o", label=t) for t in teams]
        _legend(fig, handles, ncol=4)
        return svg_markup(fig, name, "E-I index and cross-boundary ratio by wave")


def intervention_figure(
    effects: pd.DataFrame, labels: Mapping[str, str], name: str = "interventions"
) -> Markup:
    """Forest plot of level change (``post``) and slope change (``since``) per scale.

    ``effects`` is :func:`analysis.intervention_effects` output (``outcome``, ``effect``,
    ``estimate``, ``ci_low``, ``ci_high``).
    """
    with _style(name):
        height = 0.9 + 0.28 * len(labels)
        label_room = 0.25 + 0.065 * max((len(v) for v in labels.values()), default=5)
        fig = Figure(figsize=(7.0, height))
        axes = fig.subplots(1, 2, sharey=True)
        fig.subplots_adjust(
            left=label_room / 7.0, right=0.98, top=1 - 0.3 / height, bottom=0.5 / height, wspace=0.1
        )
        order = [s for s in labels if s in set(effects["outcome"])]
        y = np.arange(len(order))[::-1]
        for ax, effect, title in zip(
            axes,
            ("level_change", "slope_change"),
            ("change in level at the first wave after", "change in slope per wave after"),
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
                color=PALETTE[0],
                capsize=2,
            )
            ax.axvline(0, color="#888888", linewidth=0.8)
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
    figure) leaves a gap, so the chart never shows more than the page's tables.
    """
    with _style(name):
        fig = Figure(figsize=(width, 1.9), layout="constrained")
        ax = fig.add_subplot()
        for i, (label, points) in enumerate(series.items()):
            x = [w for w, v in points]
            y = [np.nan if v is None else v for w, v in points]
            ax.plot(x, y, "o-", color=PALETTE[i % len(PALETTE)], label=label, markersize=4)
        _mark_interventions(ax, marks, 6.9)
        ax.set_ylim(1, 7)
        ax.set_ylabel("team mean (1-7)")
        ax.set_xlabel("wave")
        _int_waves(ax, list(waves))
        ax.legend(loc="lower left", frameon=False, ncol=2)
        return svg_markup(fig, name, "Team means by wave")
