"""The power-planning page: power by design as a table and a figure, in one self-contained HTML."""

from __future__ import annotations

import html

import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from analysis.ddf import ddf_label
from reports.figures import PALETTE, svg_markup

__all__ = ["power_figure", "power_method", "power_page"]

_COLUMNS = (
    ("teams", "Teams"),
    ("members", "Members"),
    ("waves", "Waves"),
    ("effect", "Effect"),
    ("reps", "Studies"),
    ("power", "Power"),
    ("ci_low", "95% CI low"),
    ("ci_high", "95% CI high"),
    ("mean_estimate", "Mean estimate"),
    ("coverage", "CI coverage"),
    ("verdict_accuracy", "Verdicts right"),
)


def power_figure(table: pd.DataFrame) -> Markup:
    """Power against the number of teams, one line per (waves, effect), with 95% intervals."""
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    groups = table.groupby(["waves", "effect", "members"], sort=True)
    for k, ((waves, effect, members), rows) in enumerate(groups):
        rows = rows.sort_values("teams")
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(
            rows["teams"],
            rows["power"],
            marker="o",
            color=colour,
            label=f"{waves} waves, {members} members, effect {effect:g}",
        )
        ax.fill_between(rows["teams"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.15)
    ax.axhline(0.8, color="#555555", linestyle="--", linewidth=0.8)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Teams in the study")
    ax.set_ylabel("Power (share of studies detecting the effect)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    fig.tight_layout()
    return svg_markup(fig, "power", "Power to detect the intervention effect by number of teams")


def _method_words(method: str, ddf: str) -> str:
    if method == "team_means":
        if ddf == "wald":
            return "OLS on team-wave means, with a Wald z test (normal reference)"
        return (
            "OLS on team-wave means (team intercepts and slopes), with a classical t test on "
            "n - rank residual degrees of freedom, as R's lm"
        )
    return f"the growth model's test of the level change, {ddf_label(ddf)}"


def power_method(table: pd.DataFrame) -> str:
    """Which test, and which degrees of freedom, power and interval coverage rest on.

    Examples
    --------
    >>> power_method(pd.DataFrame({"method": ["growth"], "ddf": ["satterthwaite"]}))
    "Test and intervals: the growth model's test of the level change, Satterthwaite t (as R's lmerTest)."
    """
    if table.empty or "ddf" not in table.columns:
        return ""
    methods = table["method"] if "method" in table.columns else pd.Series(["growth"] * len(table))
    pairs = dict.fromkeys(zip(methods.astype(str), table["ddf"].astype(str), strict=True))
    return "Test and intervals: " + "; ".join(_method_words(m, d) for m, d in pairs) + "."


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:.2f}"
    return html.escape(str(value))


def power_page(table: pd.DataFrame, *, scale: str, alpha: float) -> str:
    """A self-contained HTML page (inline SVG, no network requests) for a power table."""
    head = "".join(f'<th scope="col">{label}</th>' for _, label in _COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(key))}</td>" for key, _ in _COLUMNS) + "</tr>"
        for row in table.to_dict(orient="records")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>copkit power planning</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;
line-height:1.5;color:#1a1a1a}}table{{border-collapse:collapse;width:100%;font-size:.9rem}}
th,td{{border-bottom:1px solid #ccc;padding:.25rem .5rem;text-align:right}}
svg.figure{{max-width:100%;height:auto}}.wrap{{overflow-x:auto}}</style></head>
<body><main>
<h1>Power planning</h1>
<p>Each design was simulated many times with a known intervention effect on
{html.escape(scale.replace("_", " "))}. Power is the share of simulated studies in which the
growth model found the level change at the {alpha:g} level; the dashed line marks 80%, the usual
target. More teams add far more power than more members per team.
{html.escape(power_method(table))}</p>
{power_figure(table)}
<div class="wrap"><table><caption>Power by design</caption><thead><tr>{head}</tr></thead>
<tbody>{body}</tbody></table></div>
</main></body></html>
"""
