"""What managers and team members see carries only its displayed precision: the stored summary's
values and the chart's SVG coordinates cannot tell two means apart that print the same (the
issue's attack read 4.214286 off a chart whose table said 4.2)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pandas as pd
import pytest

from analysis.bundle import Bundle
from analysis.scoring import score_scales
from analysis.simulate import simulate_study
from survey_app.services.dashboard_content import release_content

PRACTICE = ["mutual_engagement", "joint_enterprise", "shared_repertoire"]


def _team_means(bundle: Bundle) -> pd.DataFrame:
    scores = score_scales(bundle)
    scores["practice"] = scores[PRACTICE].mean(axis=1, skipna=False)
    return scores.groupby(["team", "wave"])[["practice", "collaborative_identity"]].mean()


def _published(content: dict[str, Any]) -> set[tuple[str, int]]:
    """The (team, wave) whose practice mean the content publishes (and charts)."""
    return {
        (team, int(figure["wave"]))
        for team, summary in content["teams"].items()
        for figure in summary["figures"]
        if figure["scale"] == "practice" and not figure["suppressed"]
    }


def _nudged(bundle: Bundle, published: set[tuple[str, int]]) -> Bundle:
    """The bundle with one answer moved by one point so that a published practice mean changes,
    but not at its displayed precision (one decimal)."""
    before = _team_means(bundle)
    responses = bundle.responses
    shown = [
        (team, wave) in published
        for team, wave in zip(responses["team"], responses["wave"], strict=True)
    ]
    candidates = responses.index[
        (responses["item"] == "me1")
        & responses["value"].between(2, 6)
        & pd.Series(shown, index=responses.index)
    ]
    for index in candidates:
        for step in (1.0, -1.0):
            changed = responses.copy()
            changed.loc[index, "value"] = responses.loc[index, "value"] + step
            candidate = dataclasses.replace(bundle, responses=changed)
            after = _team_means(candidate)
            moved = (after - before).abs().to_numpy().max()
            if moved > 1e-9 and (after.round(1) == before.round(1)).all().all():
                return candidate
    raise AssertionError("no answer moves a published mean without moving its rounded value")


def _values(content: dict[str, Any]) -> list[float]:
    return [
        figure["value"]
        for summary in content["teams"].values()
        for figure in summary["figures"]
        if figure["value"] is not None
    ]


@pytest.mark.slow
def test_charts_and_stored_figures_cannot_tell_apart_means_that_print_the_same() -> None:
    bundle = simulate_study(teams=2, members=12, waves=2, seed=11, response_rate=0.95).bundle
    first, _ = release_content(bundle, min_cell=5, draw=True)
    nudged = _nudged(bundle, _published(first))
    second, _ = release_content(nudged, min_cell=5, draw=True)
    assert any(svg for svg in first["charts"].values())
    values = _values(first)
    assert values and all(value == round(value, 2) for value in values)
    assert all(re.fullmatch(r"-?\d+\.\d", f"{value}") for value in values if abs(value) > 1)
    assert first["charts"] == second["charts"]  # byte for byte: no coordinate carries more
    assert _values(first) == _values(second)
