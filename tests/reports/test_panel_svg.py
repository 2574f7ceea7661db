"""Small multiples written as SVG: what a panel shows, where, and that it is safe to inline."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import networkx as nx
import pandas as pd
import pytest

from reports import figures
from reports.svg import svg_presentation_attributes
from tests.reports.svg_marks import legend_labels, read_panels


def _means(teams: list[str], waves: range) -> pd.DataFrame:
    rows = [
        {"team": t, "wave": w, "mean": 4.0 + 0.1 * w, "ci_low": 3.5, "ci_high": 5.0}
        for t in teams
        for w in waves
    ]
    return pd.DataFrame(rows)


def test_a_panel_per_team_in_team_order_with_its_interventions_in_the_title() -> None:
    svg = figures.trajectory_figure(
        _means(["B team", "A team"], range(1, 4)),
        "Practice",
        interventions={"B team": [(3, "facilitation")]},
    )
    panels = read_panels(svg)
    assert [p.title for p in panels] == ["A team", "B team\nfacilitation from wave 3"]
    # the intervention is a dashed ink line half a wave before wave 3, in B's panel only
    dashed = [(stroke, dash) for stroke, dash in panels[1].lines if stroke == figures.INK and dash]
    assert len(dashed) == 1 and not any(dash for _s, dash in panels[0].lines)
    assert {panels[1].wave(p.x) for p in panels[1].points} == {1, 2, 3}


def test_points_sit_where_their_values_are() -> None:
    means = _means(["A"], range(1, 4)).assign(mean=[2.0, 4.0, 6.0])
    (panel,) = read_panels(figures.trajectory_figure(means, "Practice"))
    ys = [p.y for p in sorted(panel.points, key=lambda p: p.x)]
    # SVG's y grows downwards: equal steps up the scale are equal steps up the page
    assert ys[0] > ys[1] > ys[2]
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2], abs=0.02)


@pytest.mark.parametrize(
    ("waves", "named"),
    [(range(1, 7), [1, 2, 3, 4, 5, 6]), (range(1, 9), [1, 3, 5, 7])],
)
def test_a_panel_names_at_most_six_waves_in_svg_too(waves: range, named: list[int]) -> None:
    (panel,) = read_panels(figures.trajectory_figure(_means(["A"], waves), "Practice"))
    assert sorted(panel.wave_x) == named


def test_figures_inline_under_the_apps_csp_unchanged_and_ids_stay_apart() -> None:
    one = str(figures.trajectory_figure(_means(["A", "B"], range(1, 3)), "P", name="one"))
    two = str(figures.trajectory_figure(_means(["A", "B"], range(1, 3)), "P", name="two"))
    for svg in (one, two):
        assert "style=" not in svg and "<style" not in svg
        assert svg_presentation_attributes(svg) == svg  # nothing to rewrite, nothing refused
        ids = set(re.findall(r'id="([^"]+)"', svg))
        assert set(re.findall(r"url\(#([^)]+)\)", svg)) <= ids  # every clip is its own
    assert not set(re.findall(r'id="([^"]+)"', one)) & set(re.findall(r'id="([^"]+)"', two))


def test_a_printed_panel_figure_is_a_vector_image_with_its_alt_text() -> None:
    with figures.raster_figures():
        markup = str(figures.trajectory_figure(_means(["A"], range(1, 3)), "Practice"))
    assert markup.startswith('<img class="figure" alt="Practice: team means by wave')
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', markup)
    assert data is not None
    root = ET.fromstring(base64.b64decode(data.group(1)))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"  # a standalone SVG document
    assert re.search(r"width:[\d.]+in", markup)


def test_text_is_escaped() -> None:
    svg = figures.trajectory_figure(_means(["<A & B>"], range(1, 3)), "Practice <1>")
    (panel,) = read_panels(svg)  # well-formed XML
    assert panel.title == "<A & B>"
    assert "&lt;A &amp; B&gt;" in svg


def test_a_sociogram_draws_every_person_and_hollows_who_did_not_answer() -> None:
    graph = nx.DiGraph()
    graph.add_node("p1", profession="nurse", responded=True)
    graph.add_node("p2", profession="GP", responded=False)
    graph.add_node("p3", profession="nurse", responded=True)
    graph.add_edges_from([("p1", "p2"), ("p3", "p1")])
    colours = figures.profession_colours(["GP", "nurse"])
    svg = figures.sociogram_figure([("Team A, wave 2", graph)], colours)
    (panel,) = read_panels(svg)
    assert panel.title == "Team A\nwave 2"
    fills = sorted(p.fill for p in panel.points)
    assert fills == sorted([colours["nurse"], colours["nurse"], "#ffffff"])
    hollow = next(p for p in panel.points if p.fill == "#ffffff")
    assert hollow.stroke == colours["GP"]
    assert svg.count('fill="#9a9a9a"') == 2  # an arrowhead per tie
    assert legend_labels(svg) == ["GP", "nurse", "did not respond"]
