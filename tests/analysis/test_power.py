"""Tests of simulation-based power planning: monotone in teams, nominal size at zero effect."""

from __future__ import annotations

import math
import time
from typing import Any

import pandas as pd
import pytest

import analysis.power as power_module
from analysis.bundle import Bundle
from analysis.power import PowerResult, binomial_interval, power_analysis, power_table


def test_binomial_interval_matches_r_binom_test() -> None:
    # R: binom.test(8, 10)$conf.int -> 0.4439045 0.9747893; binom.test(0, 20) -> 0 0.1684335
    assert binomial_interval(8, 10) == pytest.approx((0.4439045, 0.9747893), abs=1e-6)
    assert binomial_interval(0, 20) == pytest.approx((0.0, 0.1684335), abs=1e-6)
    assert binomial_interval(20, 20)[1] == 1.0
    with pytest.raises(ValueError, match="successes"):
        binomial_interval(3, 2)


@pytest.mark.slow
def test_more_teams_more_power() -> None:
    table = power_table(
        teams=[4, 8, 16],
        members=8,
        waves=5,
        effect=0.6,
        reps=24,
        method="team_means",
        verdicts=False,
    )
    assert list(table["teams"]) == [4, 8, 16]
    power = table["power"].to_list()
    assert power[0] < power[1] < power[2]
    assert power[2] > 0.5
    assert (table["ci_low"] <= table["power"]).all() and (table["power"] <= table["ci_high"]).all()
    assert (table["method"] == "team_means").all() and (table["failures"] == 0).all()


@pytest.mark.slow
def test_zero_effect_detected_about_alpha_of_the_time() -> None:
    result = power_analysis(
        teams=8, members=8, waves=5, effect=0.0, reps=60, method="team_means", verdicts=False
    )
    assert isinstance(result, PowerResult)
    assert result.reps == 60 and result.failures == 0
    assert result.power <= 0.15
    assert abs(result.mean_estimate) < 0.15
    assert result.coverage >= 0.85


def test_same_seed_same_result_and_progress_reported() -> None:
    calls: list[tuple[int, int]] = []
    one = power_analysis(
        teams=4,
        members=6,
        waves=4,
        effect=0.5,
        reps=5,
        seed=9,
        method="team_means",
        verdicts=False,
        progress=lambda done, total: calls.append((done, total)),
    )
    two = power_analysis(
        teams=4, members=6, waves=4, effect=0.5, reps=5, seed=9, method="team_means", verdicts=False
    )
    assert calls == [(k, 5) for k in range(1, 6)]
    assert one.detections == two.detections and one.mean_estimate == two.mean_estimate


def test_power_table_progress_spans_the_grid() -> None:
    calls: list[tuple[int, int]] = []
    table = power_table(
        teams=[4, 5],
        members=6,
        waves=4,
        effect=[0.0, 1.0],
        reps=2,
        method="team_means",
        verdicts=False,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(table) == 4
    assert table[["teams", "effect"]].to_numpy().tolist() == [
        [4, 0.0],
        [4, 1.0],
        [5, 0.0],
        [5, 1.0],
    ]
    assert calls[-1] == (8, 8) and [c[0] for c in calls] == list(range(1, 9))


def test_a_grids_rows_share_out_its_run_time() -> None:
    # the grid runs as one stream: each row's seconds run from the previous design's last
    # result, so the rows add up to the run and none is counted twice
    started = time.perf_counter()
    table = power_table(
        teams=[4, 5, 6],
        members=6,
        waves=4,
        effect=1.0,
        reps=3,
        method="team_means",
        verdicts=False,
    )
    elapsed = time.perf_counter() - started
    assert (table["seconds"] > 0).all()
    assert 0.5 * elapsed < table["seconds"].sum() <= elapsed


def test_verdict_accuracy_nan_without_formation() -> None:
    result = power_analysis(
        teams=4, members=6, waves=4, effect=0.5, reps=2, method="team_means", verdicts=False
    )
    assert math.isnan(result.verdict_accuracy)


def test_verdict_accuracy_counts_correct_teams(monkeypatch: pytest.MonkeyPatch) -> None:
    def half_right(bundle: Bundle) -> pd.DataFrame:
        # a fake assessor that calls every team "formed": right for 1 of the 4 kinds
        return pd.DataFrame({"team": bundle.teams, "verdict": "formed"})

    monkeypatch.setattr(power_module, "assess_formation", half_right)
    result = power_analysis(teams=8, members=6, waves=4, effect=0.5, reps=2, method="team_means")
    assert result.verdict_accuracy == pytest.approx(0.25)


def test_method_resolution() -> None:
    assert power_module._resolve_method("team_means") == "team_means"
    assert power_module._resolve_method("auto") == "growth"
    assert power_module._resolve_method("growth") == "growth"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reps": 0}, "reps"),
        ({"alpha": 1.5}, "alpha"),
        ({"teams": 2}, "at least 3 teams"),
        ({"waves": 3}, "at least 4 waves"),
        ({"scale": "happiness"}, "unknown scale"),
        ({"method": "bayes"}, "method"),
        ({"ddf": "f"}, "ddf"),
        ({"intervention_share": 0.0}, "no team gets an intervention"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"teams": 4, "members": 6, "waves": 4, "effect": 0.5, "reps": 2}
    with pytest.raises(ValueError, match=message):
        power_analysis(**(arguments | kwargs))


@pytest.mark.slow
def test_growth_model_path_size_and_power() -> None:
    null = power_analysis(
        teams=8, members=8, waves=5, effect=0.0, reps=30, method="growth", verdicts=False
    )
    assert null.method == "growth" and null.failures == 0
    assert null.power <= 0.15
    strong = power_analysis(
        teams=8, members=8, waves=5, effect=0.8, reps=12, method="growth", verdicts=False
    )
    assert strong.power >= 0.75
    assert strong.mean_estimate == pytest.approx(0.8, abs=0.2)
