"""Kislov's propositions: each test's statistic, interval and verdict rule, and not_measured."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import analysis as an
from analysis.bundle import restrict_to_waves
from analysis.propositions import (
    PROPOSITION_COLUMNS,
    PROPOSITION_VERDICTS,
    PooledMixing,
    baseline_identification_moderation,
    broker_proposition,
    cross_profession_ties,
    organisational_span,
    pooled_mixing_test,
    sticky_knowledge_proposition,
    tost,
)
from analysis.simulate import simulate_study


@pytest.fixture(scope="module")
def study() -> an.Bundle:
    return simulate_study(teams=8, waves=4, seed=11).bundle


@pytest.fixture(scope="module")
def results(study: an.Bundle) -> tuple[an.PropositionResult, ...]:
    return an.assess_propositions(study)


def test_tost_matches_r() -> None:
    # R: max(1 - pt((b + d) / se, df), pt((b - d) / se, df))
    assert tost(0.1, 0.1, 30, 0.3) == pytest.approx(0.02731252248, abs=1e-10)
    assert tost(-0.25, 0.1, 12, 0.3) == pytest.approx(0.3130587381, abs=1e-9)
    assert math.isnan(tost(0.1, 0.0, 30, 0.3))


def test_seven_rows_with_verdicts_and_v1_leaves_5_and_7_unmeasured(
    results: tuple[an.PropositionResult, ...],
) -> None:
    table = an.propositions_table(results)
    assert list(table.columns[:8]) == [
        "proposition",
        "claim",
        "statistic",
        "estimate",
        "ci_low",
        "ci_high",
        "verdict",
        "reason",
    ]
    assert tuple(table.columns) == PROPOSITION_COLUMNS
    assert table["proposition"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert set(table["verdict"]) <= set(PROPOSITION_VERDICTS)
    verdicts = dict(zip(table["proposition"], table["verdict"], strict=True))
    assert verdicts[5] == verdicts[7] == "not_measured"
    for number in (2, 3, 4, 6):
        row = table.set_index("proposition").loc[number]
        assert row["verdict"] != "not_measured", row["reason"]
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
        assert row["rule"] and row["reason"]
    assert "version 2" in table.set_index("proposition").loc[5, "reason"]


def test_identification_moderation_matches_lmertest(study: an.Bundle) -> None:
    # lmerTest 3.1-3 on the same scores: baseline = first answered wave, centred on the mean
    # of the team's members; the full model is singular in both, so the simplified one:
    # lmer(ci ~ wave + professional + wave:professional + organisational + wave:organisational
    #      + (1 | team) + (1 | team:respondent))
    fixed = baseline_identification_moderation(an.score_scales(study), "satterthwaite")
    prof = fixed.loc["wave_x_professional"]
    assert prof["estimate"] == pytest.approx(0.05024949978, abs=1e-6)
    assert prof["se"] == pytest.approx(0.04336379083, abs=1e-6)
    assert prof["df"] == pytest.approx(185.334826009, rel=1e-4)
    org = fixed.loc["wave_x_organisational"]
    assert org["estimate"] == pytest.approx(0.01391741696, abs=1e-6)
    assert org["df"] == pytest.approx(181.510886998, rel=1e-4)


def _two_team_bundle(within_only: bool) -> an.Bundle:
    """Two teams of six (three nurses, three GPs), everyone answering, a ring of ties."""
    rows, ties = [], []
    for team in ("A", "B"):
        people = [f"{team}{i}" for i in range(6)]
        for i, person in enumerate(people):
            rows.append(
                {
                    "wave": 1,
                    "team": team,
                    "respondent": person,
                    "profession": "nurse" if i < 3 else "GP",
                    "organisation": "Trust" if i % 2 else "Practice",
                    "responded": True,
                }
            )
        pairs = (
            [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)]
            if within_only
            else [(0, 3), (1, 4), (2, 5), (3, 1), (4, 2), (5, 0)]
        )
        ties += [
            {"wave": 1, "team": team, "source": people[a], "target": people[b]} for a, b in pairs
        ]
    roster = pd.DataFrame(rows)
    return an.Bundle(
        responses=pd.DataFrame(columns=[*roster.columns[:5], "item", "value"]),
        ties=pd.DataFrame(ties),
        roster=roster,
        interventions=pd.DataFrame(columns=["team", "wave", "kind", "description"]),
        instrument=simulate_study(teams=2, waves=2, seed=0).bundle.instrument,
    )


def test_pooled_ei_counts_ties_across_teams_and_tests_against_shuffles() -> None:
    waves = pd.DataFrame({"team": ["A", "B"], "wave": [1, 1]})
    inside = pooled_mixing_test(_two_team_bundle(True), waves, draws=999, seed=2)
    assert (inside.teams, inside.ties) == (2, 12)
    assert inside.ei == -1.0  # (E - I) / T with E = 0
    # Random mixing of 3 + 3 labels: a tie crosses with probability 3/5, so E-I = 0.2.
    assert inside.ei_null_mean == pytest.approx(0.2, abs=0.03)
    assert inside.excess == pytest.approx(-1.2, abs=0.03)
    assert inside.p < 0.01
    across = pooled_mixing_test(_two_team_bundle(False), waves, draws=999, seed=2)
    assert across.ei == 1.0 and across.p > 0.5


def test_sticky_knowledge_rule() -> None:
    settings = an.default_criteria()

    def verdict(excess: float, low: float, high: float, p: float) -> str:
        mixing = PooledMixing(6, 80, 0.0, 0.0, excess, low, high, p)
        return sticky_knowledge_proposition(mixing, mixing, settings).verdict

    assert verdict(-0.3, -0.5, -0.1, 0.001) == "supported"
    assert verdict(-0.3, -0.5, -0.1, 0.2) == "inconclusive"  # the permutation test disagrees
    assert verdict(0.02, -0.05, 0.1, 0.6) == "contradicted"  # inside the 0.1 margin
    # beyond chance but negligible (a large study detects it): the claim of stickiness that
    # matters is contradicted, not supported
    assert verdict(-0.05, -0.08, -0.02, 0.001) == "contradicted"
    assert verdict(-0.1, -0.3, 0.1, 0.2) == "inconclusive"
    unmeasured = sticky_knowledge_proposition(
        PooledMixing(0, 0, *[float("nan")] * 6), PooledMixing(0, 0, *[float("nan")] * 6), settings
    )
    assert unmeasured.verdict == "not_measured" and math.isnan(unmeasured.estimate)


def test_margins_come_from_the_criteria_file(study: an.Bundle) -> None:
    strict = an.assess_propositions(study, {"propositions": {"control_sesoi": 5.0}})
    assert strict[2].verdict == "supported"  # any intervention effect is below 5 points
    assert "+-5" in strict[2].rule


def test_missing_measures_give_not_measured_never_an_error(study: an.Bundle) -> None:
    one_wave = restrict_to_waves(study, [1])
    no_interventions = an.Bundle(
        responses=one_wave.responses,
        ties=one_wave.ties.iloc[0:0],
        roster=one_wave.roster,
        interventions=one_wave.interventions.iloc[0:0],
        instrument=one_wave.instrument,
    )
    results = {r.proposition: r for r in an.assess_propositions(no_interventions)}
    assert results[3].verdict == "not_measured" and "no interventions" in results[3].reason
    assert results[4].verdict == "not_measured" and "two or more waves" in results[4].reason
    assert results[2].verdict == "not_measured"
    assert all(math.isnan(results[n].estimate) for n in (2, 3, 4, 5, 6, 7))


def test_span_counts_each_person_once() -> None:
    roster = pd.DataFrame(
        {
            "wave": [1, 2, 1, 1, 1],
            "team": ["A", "A", "A", "B", "B"],
            "respondent": ["a", "a", "b", "c", "d"],
            "organisation": ["P1", "P1", "P2", "Trust", "Trust"],
        }
    )
    span = organisational_span(roster).set_index("team")
    assert span.loc["A", "organisations"] == 2 and span.loc["A", "blau"] == pytest.approx(0.5)
    assert span.loc["B", "organisations"] == 1 and span.loc["B", "blau"] == 0
    assert np.issubdtype(span["organisations"].dtype, np.integer)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("uniprofessional_enclaves", "supported"), ("formed", "contradicted")],
)
def test_enclaves_supported_in_enclave_teams_and_contradicted_in_formed_ones(
    kind: str, expected: str
) -> None:
    bundle = simulate_study(teams=8, waves=4, seed=2, kinds=[kind]).bundle
    enclaves = an.assess_propositions(bundle)[0]
    assert enclaves.verdict == expected, enclaves.reason


def test_brokers_with_more_cross_profession_ties_support_proposition_7() -> None:
    bundle = _two_team_bundle(True)  # ties only inside professions ...
    extra = pd.DataFrame(
        [
            {"wave": 1, "team": t, "source": f"{t}0", "target": f"{t}{k}"}
            for t in "AB"
            for k in (3, 4, 5)
        ]
    )  # ... but the KTA (person 0, a nurse) also names the three GPs
    roster = bundle.roster.assign(
        role=np.where(bundle.roster["respondent"].str.endswith("0"), "KTA", "")
    )
    bundle = dataclasses.replace(bundle, ties=pd.concat([bundle.ties, extra]), roster=roster)
    counted = pd.DataFrame({"team": ["A", "B"], "wave": [1, 1], "network_counted": True})
    ties = cross_profession_ties(bundle, counted).set_index("respondent")["cross_ties"]
    assert ties["A0"] == 3 and ties["A3"] == 1 and ties["A1"] == 0
    result = broker_proposition(bundle, counted, an.default_criteria())
    assert result.estimate == pytest.approx(3 - 3 / 5)  # 3 against (0 + 0 + 1 + 1 + 1) / 5
    assert result.verdict == "supported"
    no_roles = broker_proposition(_two_team_bundle(True), counted, an.default_criteria())
    assert no_roles.verdict == "not_measured" and "roles" in no_roles.reason
