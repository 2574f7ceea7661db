"""The pipeline computes each intermediate once and passes it on: its verdicts, sensitivity and
counted team-waves are exactly what the stand-alone functions give when each computes its own."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.agreement import agreement_table
from analysis.formation import (
    assess_formation,
    counted_team_waves,
    formation_evidence,
    formation_sensitivity,
    resolve_criteria,
)
from analysis.multiplicity import adjust_claims
from analysis.network import network_table
from analysis.network_inference import mask_untested, network_permutation
from analysis.pipeline import AnalysisResults, analyse_bundle
from analysis.scoring import item_matrix, scale_scores
from analysis.simulate import simulate_study

DRAWS = 50
# a response-rate floor that leaves some team-waves out, so that the sensitivity analysis's
# move of coverage.min_response_rate changes which team-waves count
CRITERIA = {"coverage": {"min_response_rate": 0.7}}

# Its tests share a whole study analysed first (about 2 CPU seconds): not for the fast loop.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def analysed() -> AnalysisResults:
    bundle = simulate_study(teams=6, members=8, waves=4, seed=3).bundle
    return analyse_bundle(bundle, criteria=CRITERIA, permutations=DRAWS)


@pytest.fixture(scope="module")
def alone(analysed: AnalysisResults) -> dict[str, pd.DataFrame]:
    """Each table as its own function makes it from the bundle, sharing nothing."""
    bundle = analysed.bundle
    settings = resolve_criteria(CRITERIA)
    evidence = formation_evidence(
        bundle,
        settings,
        network=network_table(bundle, min_coverage=0.0),
        permutation=adjust_claims(
            mask_untested(
                network_permutation(bundle, draws=DRAWS, min_coverage=0.0),
                settings["boundaries"]["min_network_coverage"],
            ),
            "ratio_p",
        ),
    )
    return {
        "formation": assess_formation(bundle, settings, evidence=evidence),
        "sensitivity": formation_sensitivity(bundle, settings, evidence=evidence),
        "team_waves": counted_team_waves(evidence, settings),
        "evidence": evidence.team_waves,
    }


def test_some_team_waves_are_left_out_and_moving_the_floor_changes_verdicts(
    analysed: AnalysisResults,
) -> None:
    assert not analysed.team_waves["counted"].all()
    moved = analysed.sensitivity.loc[analysed.sensitivity["changed"] > 0, "criterion"]
    assert {"coverage.min_response_rate", "practice.formed_mean"} <= set(moved)


@pytest.mark.parametrize("table", ["formation", "sensitivity", "team_waves"])
def test_tables_are_those_of_the_stand_alone_functions(
    analysed: AnalysisResults, alone: dict[str, pd.DataFrame], table: str
) -> None:
    assert_frame_equal(getattr(analysed, table), alone[table])


def test_evidence_from_the_pipelines_items_scores_and_agreement_is_the_same(
    analysed: AnalysisResults, alone: dict[str, pd.DataFrame]
) -> None:
    bundle = analysed.bundle
    instrument = bundle.instrument
    items = item_matrix(bundle.responses, instrument)
    scores = scale_scores(items, instrument)
    options = instrument.scales[0].response_scale.options
    by_scale = {s.id: list(s.item_ids) for s in instrument.scales}
    given = formation_evidence(
        bundle,
        resolve_criteria(CRITERIA),
        network=network_table(bundle, min_coverage=0.0),
        items=items,
        scores=scores,
        agreement=agreement_table(items, by_scale, options),
    )
    assert_frame_equal(given.team_waves, alone["evidence"], check_like=True)
    assert "practice" not in scores.columns  # the caller's scores are left as they were
