"""CoP formation verdicts: criteria, overrides, sensitivity, and recovery of simulated truth."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import analysis as an
from analysis.formation import CRITERIA, FormationEvidence
from tests.analysis.test_bundle import small_bundle


def test_every_criterion_has_value_threshold_and_held_columns() -> None:
    table = an.assess_formation(small_bundle())
    assert list(table.columns[:5]) == ["team", "verdict", "reasons", "first_wave", "last_wave"]
    for name in CRITERIA:
        assert {f"{name}_value", f"{name}_threshold", f"{name}_held"} <= set(table.columns)
    assert set(table["verdict"]) <= set(an.VERDICTS)
    assert table["reasons"].str.len().min() > 20


def test_too_few_respondents_is_insufficient_data() -> None:
    # CKD South has only two respondents per wave: below the default minimum of three
    table = an.assess_formation(small_bundle()).set_index("team")
    assert table.loc["CKD South", "verdict"] == "insufficient_data"
    assert "respondents" in table.loc["CKD South", "reasons"]
    assert table.loc["HF North", "verdict"] != "insufficient_data"
    lenient = an.assess_formation(small_bundle(), {"coverage": {"min_respondents": 2}})
    assert lenient.set_index("team").loc["CKD South", "verdict"] != "insufficient_data"


def test_thresholds_are_configurable_and_validated(tmp_path) -> None:
    strict = an.assess_formation(small_bundle(), {"practice": {"formed_mean": 8}})
    assert (strict["practice_level_threshold"].dropna() == 8).all()
    assert "formed" not in set(strict["verdict"])
    with pytest.raises(ValueError, match=r"unknown formation criterion 'practice\.formed'"):
        an.assess_formation(small_bundle(), {"practice": {"formed": 5}})
    with pytest.raises(ValueError, match="must be a number"):
        an.assess_formation(small_bundle(), {"practice": {"formed_mean": "high"}})
    path = tmp_path / "criteria.yaml"
    path.write_text("identity:\n  collaborative_mean: 6.5\n")
    from_file = an.assess_formation(small_bundle(), path)
    assert (from_file["identity_threshold"].dropna() == 6.5).all()


def test_sensitivity_moves_each_threshold_both_ways() -> None:
    table = an.formation_sensitivity(small_bundle())
    steps = an.default_criteria()["sensitivity"]
    assert len(table) == 2 * len(steps)
    assert set(table["criterion"]) == set(steps)
    row = table[(table["criterion"] == "coverage.min_response_rate")].iloc[0]
    assert row["moved_to"] == pytest.approx(0.4)
    assert (table["changed"] >= 0).all()


def test_verdicts_are_structured_records_with_every_criterion_and_its_direction() -> None:
    from analysis.formation import DIRECTIONS, GOOD, WARNING

    study = an.simulate_study(teams=4, members=8, waves=4, seed=1)
    verdicts = an.judge_formation(study.bundle)
    table = an.assess_formation(study.bundle)
    assert [v.team for v in verdicts] == list(table["team"])
    assert DIRECTIONS["profession_split"] == WARNING
    assert all(DIRECTIONS[n] == GOOD for n in CRITERIA if n != "profession_split")
    for verdict, row in zip(verdicts, table.to_dict(orient="records"), strict=True):
        assert verdict.verdict == row["verdict"]
        assert [c.name for c in verdict.criteria] == list(CRITERIA)
        for criterion in verdict.criteria:
            assert criterion.direction == DIRECTIONS[criterion.name]
            assert row[f"{criterion.name}_direction"] == criterion.direction
            if criterion.held is None:
                assert criterion.favourable is None
            elif criterion.direction == GOOD:
                assert criterion.favourable is criterion.held
            else:
                assert criterion.favourable is (not criterion.held)
        # reasons are records tied to criteria, never a string to re-parse
        assert verdict.reasons and all(r.criterion in CRITERIA for r in verdict.reasons)
        assert row["reasons"] == "; ".join(r.text for r in verdict.reasons)
        # the study-level criterion is reported but never decides
        assert not verdict.criterion("icc1").decides


def test_an_enclave_sign_that_cannot_be_assessed_is_not_a_no() -> None:
    # HF North has one profession with two or more respondents: no split can be measured
    verdict = an.judge_formation(small_bundle(), {"coverage": {"min_respondents": 2}})[1]
    assert verdict.team == "HF North" and verdict.verdict != "insufficient_data"
    split = verdict.criterion("profession_split")
    assert split.held is None and split.favourable is None
    assert split.not_assessed == "fewer than two professions with two or more respondents"


def test_counted_team_waves_say_why_a_team_wave_does_not_count() -> None:
    bundle = small_bundle()
    evidence = an.formation_evidence(bundle)
    counted = an.counted_team_waves(evidence).set_index(["team", "wave"])
    south = counted.loc[("CKD South", 1)]
    assert not south["counted"]
    assert south["reason"] == "not counted: 2 of 2 answered (at least 3 and 50% needed)"
    assert counted.loc[("HF North", 1), "counted"] and counted.loc[("HF North", 1), "reason"] == ""
    # a criteria override moves the line, and the verdict follows the same rule
    lenient = an.counted_team_waves(evidence, {"coverage": {"min_respondents": 2}})
    assert lenient["counted"].all()
    for verdict in an.judge_formation(bundle, evidence=evidence):
        counted_waves = counted.loc[verdict.team]
        assert verdict.counted_waves == tuple(counted_waves.index[counted_waves["counted"]])


def test_a_verdict_that_rests_on_an_unassessed_criterion_says_so() -> None:
    study = an.simulate_study(teams=4, members=8, waves=4, seed=1)
    verdicts = an.judge_formation(study.bundle, {"boundaries": {"min_network_coverage": 1.0}})
    for verdict in verdicts:
        if verdict.verdict != "insufficient_data":
            assert "boundaries" in verdict.unassessed
            assert verdict.criterion("boundaries").not_assessed.endswith("(100% needed)")


def test_default_criteria_are_a_fresh_copy_each_time() -> None:
    first = an.default_criteria()
    first["practice"]["formed_mean"] = 1.0
    assert an.default_criteria()["practice"]["formed_mean"] == 5.0


# --- knowledge crossing rests on the permutation test, not only on the ratio ---------------


@pytest.fixture(scope="module")
def seven() -> tuple[an.SimulatedStudy, FormationEvidence]:
    study = an.simulate_study(seed=7)
    return study, an.formation_evidence(study.bundle)


def _with_network(
    evidence: FormationEvidence, team: str, ratio: float, p: float
) -> FormationEvidence:
    """The same evidence with one team's cross-profession ratio and its p-value replaced."""
    rows = evidence.team_waves.copy()
    rows.loc[rows["team"] == team, "cross_ratio_profession"] = ratio
    asked: list[tuple[str, int]] = []

    def ratio_p(who: str, wave: int) -> float:
        asked.append((who, wave))
        return p if who == team else evidence.ratio_p(who, wave)

    changed = dataclasses.replace(evidence, team_waves=rows, cache={}, ratio_p=ratio_p)
    changed.cache["asked"] = asked  # type: ignore[index]
    return changed


def test_the_evidence_gives_each_team_waves_permutation_p_as_network_permutation_does(
    seven: tuple[an.SimulatedStudy, FormationEvidence],
) -> None:
    """Asked lazily (one team-wave at a time) or from a table computed beforehand, the p-value
    is the one network_permutation.csv shows: the same draws for the same team-wave."""
    study, evidence = seven
    tests = an.network_permutation(study.bundle, min_coverage=0.0)
    given = an.formation_evidence(study.bundle, permutation=tests)
    for team, wave, p in zip(tests["team"], tests["wave"], tests["ratio_p"], strict=True):
        for source in (evidence, given):
            assert source.ratio_p(team, wave) == pytest.approx(p, nan_ok=True)


def test_a_low_ratio_counts_as_sticking_only_beyond_chance(
    seven: tuple[an.SimulatedStudy, FormationEvidence],
) -> None:
    """A formed team whose ratio drops to 0.5: with p = .01 knowledge sticks inside professions
    and the team is no longer formed; with p = .30 random mixing in a team of that size gives
    such ratios, so the criterion is unclear and does not block the verdict."""
    study, evidence = seven
    team = "CKD Primary Care"
    assert {v.team: v.verdict for v in an.judge_formation(study.bundle, evidence=evidence)}[
        team
    ] == "formed"

    def judged(p: float, criteria: dict[str, Any] | None = None) -> an.TeamVerdict:
        changed = _with_network(evidence, team, 0.5, p)
        verdicts = an.judge_formation(study.bundle, criteria, evidence=changed)
        return next(v for v in verdicts if v.team == team)

    sticking = judged(0.01)
    assert sticking.criterion("boundaries").held is False
    assert sticking.criterion("boundaries").p == pytest.approx(0.01)
    assert sticking.verdict != "formed"
    assert any("beyond chance, p = 0.010" in r.text for r in sticking.reasons)

    chance = judged(0.30)
    boundaries = chance.criterion("boundaries")
    assert boundaries.held is None and boundaries.p == pytest.approx(0.30)
    assert "no lower than random mixing" in boundaries.not_assessed
    assert chance.verdict == "formed"
    assert chance.unassessed == ("boundaries",)

    strict = judged(0.01, {"boundaries": {"permutation_alpha": 0.005}})
    assert strict.criterion("boundaries").held is None
    assert strict.criterion("boundaries").alpha == pytest.approx(0.005)


def test_sticking_is_decided_by_the_p_adjusted_across_the_team_waves_tested(
    seven: tuple[an.SimulatedStudy, FormationEvidence],
) -> None:
    """Raw p .01 but .20 after adjustment (the report's network table marks it not
    significant): the criterion is unclear, the team still formed, and both p are given."""
    study, evidence = seven
    team = "CKD Primary Care"
    changed = dataclasses.replace(
        _with_network(evidence, team, 0.5, 0.01),
        ratio_p_adjusted=lambda who, wave: 0.20 if who == team else None,
    )
    verdict = next(v for v in an.judge_formation(study.bundle, evidence=changed) if v.team == team)
    boundaries = verdict.criterion("boundaries")
    assert boundaries.held is None and verdict.verdict == "formed"
    assert boundaries.p == pytest.approx(0.01) and boundaries.p_adjusted == pytest.approx(0.20)
    assert "p = 0.010; 0.200 adjusted for the team-waves tested" in boundaries.not_assessed
    table = an.formation_table([verdict])
    assert table.loc[0, "boundaries_p_adjusted"] == pytest.approx(0.20)
    # and adjusted p under alpha still calls it sticking
    sticking = dataclasses.replace(changed, ratio_p_adjusted=lambda who, wave: 0.04)
    judged = next(v for v in an.judge_formation(study.bundle, evidence=sticking) if v.team == team)
    assert judged.criterion("boundaries").held is False and judged.verdict != "formed"
    assert any("p = 0.010; 0.040 adjusted" in r.text for r in judged.reasons)


@pytest.mark.slow
def test_the_pipeline_decides_sticking_by_the_p_its_network_table_shows() -> None:
    """Every tested boundaries criterion of analyse_bundle carries the adjusted p of its
    team-wave in network_permutation, and is decided by it."""
    from analysis.pipeline import analyse_bundle

    results = analyse_bundle(an.simulate_study(seed=3, teams=8).bundle, permutations=200)
    shown = results.network_permutation.set_index(["team", "wave"])["ratio_p_adjusted"]
    tested = [
        (v, v.criterion("boundaries"))
        for v in results.verdicts
        if v.criterion("boundaries").p is not None
    ]
    assert tested, "no team's ratio was low enough to be tested: choose another seed"
    for verdict, criterion in tested:
        assert criterion.p_adjusted == pytest.approx(shown[(verdict.team, verdict.last_wave)])
        assert (criterion.held is False) == (criterion.p_adjusted < criterion.alpha)


def test_a_ratio_above_the_threshold_holds_whatever_the_test_says(
    seven: tuple[an.SimulatedStudy, FormationEvidence],
) -> None:
    study, evidence = seven
    changed = _with_network(evidence, "CKD Primary Care", 0.75, 0.01)
    verdict = next(
        v
        for v in an.judge_formation(study.bundle, evidence=changed)
        if v.team == "CKD Primary Care"
    )
    assert verdict.criterion("boundaries").held is True
    assert verdict.criterion("boundaries").p is None  # not even tested: nothing rests on it
    assert ("CKD Primary Care", verdict.last_wave) not in changed.cache["asked"]  # type: ignore[index]


def test_the_formation_table_and_sensitivity_carry_the_test(
    seven: tuple[an.SimulatedStudy, FormationEvidence],
) -> None:
    study, evidence = seven
    table = an.assess_formation(study.bundle, evidence=evidence).set_index("team")
    assert table.loc["HF Medicines Optimisation", "boundaries_p"] < 0.05
    assert not table.loc["HF Medicines Optimisation", "boundaries_held"]
    sensitivity = an.formation_sensitivity(study.bundle, evidence=evidence)
    moved = sensitivity[sensitivity["criterion"] == "boundaries.permutation_alpha"]
    assert sorted(moved["moved_to"]) == pytest.approx([0.01, 0.09])
