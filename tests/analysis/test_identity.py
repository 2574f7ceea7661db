"""Identity gaps: collaborative versus professional and organisational identification."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis as an
from analysis.simulate import simulate_study


def frame(
    collab: list[float], prof: list[float], org: list[float], team: str = "T"
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "wave": 1,
            "team": team,
            "respondent": [f"R{i}" for i in range(len(collab))],
            "collaborative_identity": collab,
            "professional_identity": prof,
            "organisational_identity": org,
        }
    )


def test_gaps_and_share_by_hand() -> None:
    data = frame([6, 5, 4, np.nan], [5, 5, 6, 4], [3, 6, 4, 4])
    gaps = an.identity_gaps(data)
    assert gaps["gap_professional"].tolist()[:3] == [1, 0, -2]
    assert gaps["gap_organisational"].tolist()[:3] == [3, -1, 0]
    assert gaps["collab_at_least_prof"].tolist()[:3] == [1.0, 1.0, 0.0]
    assert math.isnan(gaps["collab_at_least_prof"].iloc[3])
    row = an.identity_table(data).iloc[0]
    assert row["n"] == 3
    assert row["share_collab_at_least_prof"] == pytest.approx(2 / 3)
    values = np.array([1.0, 0.0, -2.0])
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
    assert row["gap_professional"] == pytest.approx(values.mean())
    assert row["gap_professional_ci_low"] == pytest.approx(values.mean() - half)
    assert row["gap_professional_ci_high"] == pytest.approx(values.mean() + half)


def test_missing_scales_and_bad_level_are_refused() -> None:
    with pytest.raises(ValueError, match="lack the identity scale"):
        an.identity_gaps(pd.DataFrame({"collaborative_identity": [5.0]}))
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        an.identity_table(frame([5], [5], [5]), level=1.5)


def test_simulated_enclaves_identify_with_profession_and_formed_teams_with_the_team() -> None:
    study = simulate_study(teams=8, members=10, waves=4, seed=5)
    scores = an.score_scales(study.bundle)
    table = an.identity_table(scores).merge(study.truth[["team", "kind"]], on="team")
    last = table[table["wave"] == table["wave"].max()]
    enclaves = last[last["kind"] == "uniprofessional_enclaves"]["gap_professional"]
    formed = last[last["kind"] == "formed"]["gap_professional"]
    assert (enclaves < 0).all() and (formed > 0).all()
    paths = an.identity_trajectories(scores)
    assert set(paths["team"]) == set(study.truth["team"])
    assert {"slope", "slope_ci_low", "slope_ci_high"} <= set(paths.columns)


def test_a_gap_nobody_varies_on_gives_no_trajectory_instead_of_a_failed_fit() -> None:
    # Everyone rates collaborative and professional identification alike at every wave: the
    # gap is 0 throughout, the residual variance is 0 and REML's criterion is undefined (it
    # used to take log(0), an error under warnings-as-errors and an infinite likelihood else).
    waves = [
        frame([5, 4, 6, 3], [5, 4, 6, 3], [2, 3, 4, 5], team=team).assign(wave=wave)
        for team in ("A", "B", "C")
        for wave in (1, 2, 3)
    ]
    scores = pd.concat(waves, ignore_index=True)
    assert an.identity_trajectories(scores).empty
    scores.loc[0, "collaborative_identity"] = 6  # one person differs once: the model is fitted
    assert set(an.identity_trajectories(scores)["team"]) == {"A", "B", "C"}
