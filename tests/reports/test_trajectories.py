"""Team trajectories come from the model whose intervention effects the report quotes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import reports
from analysis.pipeline import AnalysisResults, analyse_bundle
from analysis.simulate import SimulatedStudy, simulate_study
from reports import figures
from reports.figures import MODEL
from tests.reports.svg_marks import read_panels

JUMP = 2.0

# Its tests share a whole study analysed first (about 2 CPU seconds): not for the fast loop.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def jumped() -> tuple[SimulatedStudy, AnalysisResults]:
    """4 teams x 8 members x 5 waves; two teams' practice jumps by 2 points at their intervention."""
    study = simulate_study(teams=4, members=8, waves=5, seed=2, effect=JUMP, slope_effect=0.0)
    return study, analyse_bundle(study.bundle, permutations=99)


def test_a_treated_teams_line_jumps_at_its_intervention_wave(
    jumped: tuple[SimulatedStudy, AnalysisResults],
) -> None:
    study, results = jumped
    starts = study.truth.set_index("team")["intervention_wave"].dropna()
    assert len(starts) == 2
    lines = results.intervention_trajectories
    practice = results.criteria["practice"]["scales"]
    for scale in practice:
        level = results.interventions.query("outcome == @scale and term == 'post'")["estimate"]
        assert float(level.iloc[0]) > 1.0  # the quoted effect the line must show
        for team, line in lines[lines["scale"] == scale].groupby("team"):
            steps = line.sort_values("wave")["fitted"].diff().to_numpy()[1:]
            if team in starts.index:
                at = int(starts[team]) - 2  # from the last wave before into the first after
                assert steps[at] > 1.0, (scale, team, steps)
                assert np.all(np.abs(np.delete(steps, at)) < 0.5), (scale, team, steps)
            else:
                np.testing.assert_allclose(steps, steps[0], atol=1e-9)


def test_the_report_says_which_model_draws_the_lines(
    jumped: tuple[SimulatedStudy, AnalysisResults],
) -> None:
    _study, results = jumped
    section = reports.evaluator_sections(results, draw=False)["trajectories"]
    text = " ".join(section.lead) + " ".join(
        str(getattr(block, "caption", "")) for block in section.blocks
    )
    assert "discontinuous growth model" in text
    assert "no intervention terms" not in text


def _model_lines(svg: str) -> int:
    return sum(stroke == MODEL for panel in read_panels(svg) for stroke, _dash in panel.lines)


def test_the_line_breaks_at_the_intervention() -> None:
    """Before and after the intervention are two lines (the jump is a step, not a slope)."""
    means = pd.DataFrame(
        {
            "team": ["A"] * 4 + ["B"] * 4,
            "wave": [1, 2, 3, 4] * 2,
            "mean": [3.0, 3.1, 5.0, 5.1, 3.0, 3.1, 3.2, 3.3],
            "ci_low": 2.5,
            "ci_high": 5.5,
        }
    )
    lines = means.rename(columns={"mean": "fitted"})[["team", "wave", "fitted"]].assign(
        post=[0, 0, 1, 1, 0, 0, 0, 0], slope=0.1
    )
    marks = {"A": [(3, "facilitation")]}
    broken = figures.trajectory_figure(means, "Practice", lines=lines, interventions=marks)
    joined = figures.trajectory_figure(
        means, "Practice", lines=lines.drop(columns=["post", "slope"]), interventions=marks
    )
    assert _model_lines(joined) == 2  # a line per team
    assert _model_lines(broken) == _model_lines(joined) + 1  # A's in two pieces
