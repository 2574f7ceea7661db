"""Figures: inline SVG that is self-contained, escaped, reproducible and safe to put many on a page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import networkx as nx
import pandas as pd
import pytest
from matplotlib.figure import Figure

from reports import figures


def test_svg_is_inline_ready_escaped_and_reproducible() -> None:
    series = {"<i>practice</i> & co": [(1, 4.0), (2, None), (3, 5.5)]}
    one = figures.trend_figure(series, waves=[1, 2, 3], marks=[(3, "<b>workshop</b>")])
    two = figures.trend_figure(series, waves=[1, 2, 3], marks=[(3, "<b>workshop</b>")])
    assert one == two  # no dates, no random ids
    assert one.startswith('<svg class="figure" role="img" aria-label="Team means by wave"')
    assert "<?xml" not in one and "DOCTYPE" not in one and "xmlns" not in one
    assert "http" not in one and "<image" not in one and "<metadata" not in one
    assert "&lt;i&gt;practice&lt;/i&gt; &amp; co" in one and "<i>practice" not in one
    assert "intervention began" in one  # the mark is named in the legend, not in the plot


def test_ids_are_prefixed_per_figure_and_references_follow() -> None:
    a = figures.trend_figure({"x": [(1, 3.0), (2, 4.0)]}, waves=[1, 2], name="first")
    b = figures.trend_figure({"x": [(1, 3.0), (2, 4.0)]}, waves=[1, 2], name="second")
    ids_a = set(re.findall(r'\bid="([^"]+)"', a))
    ids_b = set(re.findall(r'\bid="([^"]+)"', b))
    assert ids_a and all(i.startswith("first-") for i in ids_a)
    assert not ids_a & ids_b
    for ref in re.findall(r'href="#([^"]+)"', a) + re.findall(r"url\(#([^)]+)\)", a):
        assert ref in ids_a


def test_sociogram_layout_is_fixed_by_its_seed() -> None:
    graph = nx.DiGraph()
    graph.add_nodes_from(
        [
            ("a", {"profession": "nurse", "responded": True}),
            ("b", {"profession": "GP", "responded": False}),
            ("c", {"profession": "nurse", "responded": True}),
        ]
    )
    graph.add_edges_from([("a", "b"), ("c", "a")])
    palette = figures.profession_colours(["nurse", "GP"])
    one = figures.sociogram_figure([("Team, wave 1", graph)], palette)
    assert one == figures.sociogram_figure([("Team, wave 1", graph)], palette)
    other = figures.sociogram_figure([("Team, wave 1", graph)], palette, seed=2)
    assert one != other
    assert palette["nurse"].lower() in one.lower()


def test_response_rates_are_vector_cells_with_counts() -> None:
    rates = pd.DataFrame(
        {"team": ["A", "A", "B"], "wave": [1, 2, 1], "invited": [8, 8, 5], "responded": [6, 8, 2]}
    )
    svg = figures.response_rate_figure(rates, uncounted={("B", 1)})
    assert "<image" not in svg  # no embedded bitmap
    for label in ("6/8", "8/8", "2/5"):
        assert label in svg
    root = ET.fromstring(svg)
    cells = [r for r in root.iter("rect") if r.get("width") != "100%"]
    assert len(cells) == 3
    # the team-wave that does not count: white, dashed edge, its count in italics
    (blank,) = [r for r in cells if r.get("stroke-dasharray")]
    assert blank.get("fill") == "#ffffff"
    (italic,) = [t for t in root.iter("text") if t.get("font-style") == "italic"]
    assert italic.text == "2/5"
    # a full wave is darker than a wave at three quarters
    shades = sorted(int(r.get("fill", "#000000")[1:3], 16) for r in cells if r is not blank)
    assert shades[0] < shades[1]


@pytest.mark.parametrize(
    ("waves", "ticks"),
    [
        (range(1, 7), [1, 2, 3, 4, 5, 6]),
        (range(1, 9), [1, 3, 5, 7]),
        (range(2, 15), [2, 5, 8, 11, 14]),
    ],
)
def test_a_panel_names_at_most_six_waves(waves: range, ticks: list[int]) -> None:
    # every tick is drawn in every panel of a 100-team figure: two a wave cost seconds
    fig = Figure()
    ax = fig.add_subplot()
    figures._int_waves(ax, list(waves))
    assert [int(t) for t in ax.get_xticks()] == ticks
    assert ax.get_xlim() == (waves[0] - 0.5, waves[-1] + 0.5)
