"""Tests for discontinuous growth coding and intervention effects (level and slope change)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import code_interventions, fit_growth, intervention_effects, intervention_models

TRUTH = {"Intercept": 4.0, "wave": 0.05, "post": 0.4, "since": 0.15}
N_TEAMS = 24
TEAM_SIZE = 4
N_WAVES = 7


def stepped_wedge(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A stepped-wedge study: 3 cohorts start at waves 3, 4, 5; a third of teams comparison.

    The outcome follows ``4 + 0.05 wave + 0.4 post + 0.15 since`` plus team intercepts and
    slopes, person intercepts and residual noise.
    """
    rng = np.random.default_rng(seed)
    team = np.repeat(np.arange(N_TEAMS), TEAM_SIZE * N_WAVES)
    member = np.tile(np.repeat(np.arange(TEAM_SIZE), N_WAVES), N_TEAMS)
    wave = np.tile(np.arange(1, N_WAVES + 1), N_TEAMS * TEAM_SIZE)
    start_by_team = np.array([3, 4, 5, 0] * (N_TEAMS // 4) + [0] * (N_TEAMS % 4))
    start = start_by_team[team]
    post = ((start > 0) & (wave >= start)).astype(float)
    since = np.where(post == 1, wave - start, 0)
    team_intercept = rng.normal(0, 0.4, N_TEAMS)
    team_slope = rng.normal(0, 0.05, N_TEAMS)
    person = rng.normal(0, 0.5, N_TEAMS * TEAM_SIZE)
    y = (
        TRUTH["Intercept"]
        + TRUTH["wave"] * wave
        + TRUTH["post"] * post
        + TRUTH["since"] * since
        + team_intercept[team]
        + team_slope[team] * wave
        + person[team * TEAM_SIZE + member]
        + rng.normal(0, 0.5, team.size)
    )
    data = pd.DataFrame(
        {"team": [f"T{t:02d}" for t in team], "person": member, "wave": wave, "engagement": y}
    )
    treated = np.flatnonzero(start_by_team > 0)
    plan = pd.DataFrame(
        {
            "team": [f"T{t:02d}" for t in treated],
            "wave": start_by_team[treated],
            "kind": "facilitation",
            "description": "facilitated monthly meetings",
        }
    )
    return data, plan


# ------------------------------------------------------------------------ coding --


@pytest.fixture
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.DataFrame({"team": ["A"] * 5 + ["B"] * 5 + ["C"] * 5, "wave": [1, 2, 3, 4, 5] * 3})
    plan = pd.DataFrame(
        {
            "team": ["A", "B", "B", "Z"],
            "wave": [3, 5, 2, 2],
            "kind": ["facilitation", "facilitation", "training", "facilitation"],
            "description": ["x", "y", "z", "w"],
        }
    )
    return data, plan


def test_post_and_since_for_staggered_starts_and_comparison(
    small: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    data, plan = small
    coded = code_interventions(data, plan)
    by_team = coded.groupby("team")
    # A starts at 3; B has two interventions, the earliest (wave 2) is used; C is comparison.
    assert by_team.get_group("A")["post"].tolist() == [0, 0, 1, 1, 1]
    assert by_team.get_group("A")["since"].tolist() == [0, 0, 0, 1, 2]
    assert by_team.get_group("B")["post"].tolist() == [0, 1, 1, 1, 1]
    assert by_team.get_group("B")["since"].tolist() == [0, 0, 1, 2, 3]
    assert by_team.get_group("C")["post"].tolist() == [0] * 5
    assert by_team.get_group("C")["since"].tolist() == [0] * 5
    assert coded["post"].dtype == np.int64
    assert coded.attrs["unmatched_teams"] == ["Z"]
    assert "post" not in data.columns  # the input is not modified


def test_kind_selects_interventions(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    data, plan = small
    coded = code_interventions(data, plan, kind="facilitation")
    assert coded.loc[coded["team"] == "B", "post"].tolist() == [0, 0, 0, 0, 1]
    training = code_interventions(data, plan, kind="training")
    assert training.loc[training["team"] == "A", "post"].sum() == 0
    with pytest.raises(ValueError, match="no intervention of kind 'coaching'"):
        code_interventions(data, plan, kind="coaching")


def test_missing_wave_gives_missing_codes(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    data, plan = small
    data = data.astype({"wave": float})
    data.loc[2, "wave"] = np.nan
    coded = code_interventions(data, plan)
    assert coded[["post", "since"]].iloc[2].isna().all()
    assert coded["post"].iloc[3] == 1


def test_custom_column_names() -> None:
    data = pd.DataFrame({"company": ["A", "A", "B", "B"], "time": [0, 1, 0, 1]})
    plan = pd.DataFrame({"company": ["A"], "time": [1]})
    coded = code_interventions(data, plan, team="company", wave="time")
    assert coded["post"].tolist() == [0, 1, 0, 0]


@pytest.mark.parametrize(
    ("data_columns", "plan_columns", "message"),
    [
        (["team"], ["team", "wave"], "data has no column\\(s\\) 'wave'"),
        (["team", "wave"], ["kind"], "interventions has no column\\(s\\) 'team', 'wave'"),
    ],
)
def test_missing_columns_are_named(
    data_columns: list[str], plan_columns: list[str], message: str
) -> None:
    data = pd.DataFrame({name: [1, 2] for name in data_columns})
    plan = pd.DataFrame({name: [1] for name in plan_columns})
    with pytest.raises(ValueError, match=message):
        code_interventions(data, plan)


def test_bad_values_are_reported() -> None:
    data = pd.DataFrame({"team": ["A", "A"], "wave": [1, 2]})
    with pytest.raises(ValueError, match="wave numbers"):
        code_interventions(data, pd.DataFrame({"team": ["A"], "wave": ["spring"]}))
    with pytest.raises(ValueError, match="must be numeric"):
        code_interventions(
            data.assign(wave=["one", "two"]), pd.DataFrame({"team": ["A"], "wave": [1]})
        )
    with pytest.raises(ValueError, match="kind"):
        code_interventions(data, pd.DataFrame({"team": ["A"], "wave": [1]}), kind="training")
    with pytest.raises(TypeError, match="DataFrame"):
        code_interventions(data, [("A", 1)])  # type: ignore[arg-type]


# ------------------------------------------------------------------------ effects --


def test_intervention_effects_table_per_scale() -> None:
    data, plan = stepped_wedge(0)
    data["identity"] = data["engagement"] * 0.5 + 1.0
    effects = intervention_effects(data, ["engagement", "identity"], plan, person="person")
    assert list(effects.columns[:11]) == [
        "outcome",
        "effect",
        "term",
        "estimate",
        "se",
        "df",
        "t",
        "p",
        "ci_low",
        "ci_high",
        "ddf",
    ]
    assert (effects["ddf"] == "satterthwaite").all()
    assert effects["outcome"].tolist() == ["engagement"] * 2 + ["identity"] * 2
    assert effects["effect"].tolist() == ["level_change", "slope_change"] * 2
    assert (effects["n_treated_teams"] == 18).all()
    assert (effects["n_teams"] == N_TEAMS).all()
    # A linear transform of the outcome scales the effects and keeps the tests.
    eng = effects[effects["outcome"] == "engagement"].reset_index(drop=True)
    ident = effects[effects["outcome"] == "identity"].reset_index(drop=True)
    np.testing.assert_allclose(ident["estimate"], 0.5 * eng["estimate"], rtol=1e-5)
    np.testing.assert_allclose(ident["t"], eng["t"], rtol=1e-4)
    np.testing.assert_allclose(ident["df"], eng["df"], rtol=1e-3)
    # Same numbers as fitting the coded data directly.
    direct = fit_growth(
        code_interventions(data, plan),
        "engagement",
        person="person",
        covariates=["post", "since"],
    )
    np.testing.assert_allclose(eng["estimate"], direct.fixed.loc[["post", "since"], "estimate"])
    np.testing.assert_allclose(eng["se"], direct.fixed.loc[["post", "since"], "se"])
    np.testing.assert_allclose(eng["df"], direct.fixed.loc[["post", "since"], "df"])


@pytest.mark.slow
def test_confidence_intervals_cover_the_truth_at_about_the_nominal_rate() -> None:
    seeds = range(40)
    covered: dict[str, list[bool]] = {term: [] for term in TRUTH}
    estimates: dict[str, list[float]] = {term: [] for term in TRUTH}
    for seed in seeds:
        data, plan = stepped_wedge(seed)
        result = fit_growth(
            code_interventions(data, plan),
            "engagement",
            person="person",
            covariates=["post", "since"],
        )
        assert result.converged
        for term, truth in TRUTH.items():
            low, high, estimate = result.fixed.loc[
                term, ["ci_low", "ci_high", "estimate"]
            ].to_numpy(dtype=float)
            covered[term].append(bool(low <= truth <= high))
            estimates[term].append(float(estimate))
    for term, truth in TRUTH.items():
        coverage = float(np.mean(covered[term]))
        assert 0.85 <= coverage <= 1.0, (term, coverage)
        values = np.array(estimates[term])
        assert abs(values.mean() - truth) < 3 * values.std(ddof=1) / np.sqrt(len(values)), term
    pooled = np.mean([c for term in TRUTH for c in covered[term]])
    assert 0.9 <= pooled <= 0.99


def test_effects_detect_a_real_change_and_not_a_null_one() -> None:
    data, plan = stepped_wedge(99)
    effects = intervention_effects(data, "engagement", plan, person="person").set_index("effect")
    assert (effects["p"] < 0.01).all()
    # The same study with the true effects taken out: the intervals should include 0.
    coded = code_interventions(data, plan)
    null_data = data.assign(
        engagement=data["engagement"]
        - TRUTH["post"] * coded["post"]
        - TRUTH["since"] * coded["since"]
    )
    null_effects = intervention_effects(null_data, "engagement", plan, person="person")
    assert (null_effects["ci_low"] < 0).all() and (null_effects["ci_high"] > 0).all()
    # The point estimates move by exactly the effects removed (the model is linear in y).
    np.testing.assert_allclose(
        effects["estimate"].to_numpy() - null_effects["estimate"].to_numpy(),
        [TRUTH["post"], TRUTH["since"]],
        atol=1e-4,
    )


def test_effects_errors() -> None:
    data, plan = stepped_wedge(1)
    with pytest.raises(ValueError, match="post is 0 everywhere"):
        intervention_effects(data, "engagement", plan.assign(wave=99))
    with pytest.raises(ValueError, match="since"):
        intervention_effects(data, "engagement", plan.assign(wave=N_WAVES))
    with pytest.raises(ValueError, match="must not include"):
        intervention_effects(data, "engagement", plan, covariates=["post"])
    with pytest.raises(ValueError, match="'burnout'"):
        intervention_effects(data, "burnout", plan)
    with pytest.raises(ValueError, match="no outcome"):
        intervention_effects(data, [], plan)


# ------------------------------------------------------------- team trajectories --

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def test_team_trajectories_equal_lme4_team_level_predictions() -> None:
    """Fixed effects plus each team's conditional modes, as lme4's predict(re.form = ~(wave|team))."""
    expected = json.loads((REFERENCE / "simulated_study.trajectories.json").read_text())
    data = pd.read_csv(REFERENCE / "simulated_study.csv").drop(columns=["post", "since"])
    starts = expected["interventions"]
    plan = pd.DataFrame({"team": list(starts), "wave": list(starts.values())})
    models = intervention_models(data, "score", plan, person="respondent", waves=range(1, 7))
    r = pd.DataFrame(expected["trajectories"])
    ours = models.trajectories.merge(r, on=["team", "wave"], suffixes=("", "_r"))
    assert len(ours) == len(r) == 48
    np.testing.assert_array_equal(ours["post"], ours["post_r"])
    np.testing.assert_array_equal(ours["since"], ours["since_r"])
    np.testing.assert_allclose(ours["fitted"], ours["fitted_r"], rtol=0, atol=1e-6)
    # The effects come from the same fit: the treated team's step is the level change.
    effects = models.effects.set_index("term")["estimate"]
    t1 = ours[ours["team"] == "T1"].set_index("wave")
    slope = t1.loc[1, "slope"]
    assert t1.loc[3, "fitted"] - t1.loc[2, "fitted"] == pytest.approx(slope + effects["post"])
    assert t1.loc[4, "slope"] == pytest.approx(slope + effects["since"])


def test_treated_team_line_jumps_at_its_intervention_wave() -> None:
    """A big level change shows as a step in the treated team's line, not a gentle slope."""
    data, plan = stepped_wedge(5)
    jump = 2.0
    coded = code_interventions(data, plan)
    data = data.assign(engagement=data["engagement"] + (jump - TRUTH["post"]) * coded["post"])
    lines = intervention_models(data, "engagement", plan, person="person").trajectories
    starts = plan.set_index("team")["wave"]
    for team, line in lines.groupby("team"):
        steps = line.sort_values("wave")["fitted"].diff().to_numpy()[1:]
        if team in starts.index:
            at = int(starts[team]) - 2  # the step from the wave before into the first post wave
            assert steps[at] > 1.5, (team, steps)
            assert np.all(np.delete(steps, at) < 0.8), (team, steps)
        else:
            # A comparison team keeps its straight line: equal steps.
            np.testing.assert_allclose(steps, steps[0], atol=1e-12)
            assert abs(steps[0]) < 0.5
    # The growth model without intervention terms spreads the same jump over the waves.
    growth = fit_growth(data, "engagement", person="person").team_effects
    assert (growth.loc[list(starts.index), "slope"] < 0.8).all()
