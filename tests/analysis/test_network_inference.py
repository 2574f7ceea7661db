"""Network inference: the permutation null of mixing against exact enumeration and on Zachary's
karate club, its agreement with network_table, seeding; tie persistence as RSiena counts it."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import analysis as an
from analysis.network_inference import mixing_permutation_test, network_permutation, tie_persistence
from tests.analysis.test_bundle import small_bundle


def _small_network() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Eight people in three professions, one of them silent, twelve ties mostly inside."""
    roster = pd.DataFrame(
        {
            "respondent": list("abcdefgh"),
            "profession": ["gp"] * 3 + ["nurse"] * 3 + ["kta"] * 2,
            "responded": [True] * 7 + [False],
        }
    )
    pairs = ["ab", "ba", "bc", "ca", "de", "ef", "fd", "ed", "gh", "ad", "dg", "cf"]
    ties = pd.DataFrame({"source": [p[0] for p in pairs], "target": [p[1] for p in pairs]})
    return ties, roster


def _exact_null(ties: pd.DataFrame, roster: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """E-I and ratio over every permutation of the professions (each labelling equally likely)."""
    position = {p: i for i, p in enumerate(roster["respondent"])}
    source = ties["source"].map(position).to_numpy()
    target = ties["target"].map(position).to_numpy()
    labels = roster["profession"].tolist()
    responders = np.flatnonzero(roster["responded"].to_numpy())
    n = len(labels)
    sizes = pd.Series(labels).value_counts()
    eis, ratios = [], []
    for order in set(itertools.permutations(labels)):
        crossing = sum(order[s] != order[t] for s, t in zip(source, target, strict=True))
        expected = np.mean([(n - sizes[order[i]]) / (n - 1) for i in responders])
        eis.append((2 * crossing - len(source)) / len(source))
        ratios.append(crossing / len(source) / expected)
    return np.array(eis), np.array(ratios)


def test_the_permutation_null_agrees_with_exact_enumeration() -> None:
    """560 distinct labellings: the Monte Carlo null mean, p-value and 95% range agree with the
    exact permutation distribution within Monte Carlo error."""
    ties, roster = _small_network()
    exact_ei, exact_ratio = _exact_null(ties, roster)
    assert len(exact_ei) == 560
    draws = 20000
    test = mixing_permutation_test(ties, roster, draws=draws, seed=5)
    crossing = 3  # a-d, d-g, c-f cross professions; the other nine stay inside
    assert test.ei == pytest.approx((2 * crossing - 12) / 12)
    for observed, null, mean, p, low, high in (
        (test.ei, exact_ei, test.ei_null_mean, test.ei_p, test.ei_null_low, test.ei_null_high),
        (
            test.cross_ratio,
            exact_ratio,
            test.ratio_null_mean,
            test.ratio_p,
            test.ratio_null_low,
            test.ratio_null_high,
        ),
    ):
        exact_p = float(np.mean(null <= observed + 1e-12))
        assert p == pytest.approx(exact_p, abs=4 * math.sqrt(exact_p * (1 - exact_p) / draws))
        assert mean == pytest.approx(null.mean(), abs=4 * null.std() / math.sqrt(draws))
        assert np.mean(null < low) <= 0.025 + 0.01 and np.mean(null > high) <= 0.025 + 0.01
    assert test.ei_p < 0.05  # the ties do stick inside professions


def test_zacharys_karate_club_splits_along_its_factions_beyond_chance() -> None:
    """Real data: 78 friendships in 34 members of a university karate club, 11 of them across
    the two factions that later split the club (Zachary, 1977): E-I = (11 - 67) / 78."""
    graph = nx.karate_club_graph()
    club = nx.get_node_attributes(graph, "club")
    roster = pd.DataFrame(
        {"respondent": list(club), "profession": list(club.values()), "responded": True}
    )
    ties = pd.DataFrame(list(graph.edges()), columns=["source", "target"])
    test = mixing_permutation_test(ties, roster, draws=2000, seed=0)
    assert test.ties == 78 and test.groups == 2
    assert test.ei == pytest.approx((11 - 67) / 78)
    assert test.ei_p == pytest.approx(1 / 2001)  # no shuffle is as split as the real club
    assert test.ei_null_low < 0 < test.ei_null_high
    assert test.cross_ratio < test.ratio_null_low


def test_random_labels_are_not_called_sticky() -> None:
    """Under the null itself (professions drawn at random) the p-value is roughly uniform: about
    5% of networks fall below .05."""
    rng = np.random.default_rng(2)
    graph = nx.gnp_random_graph(12, 0.3, seed=3, directed=True)
    ties = pd.DataFrame(list(graph.edges()), columns=["source", "target"])
    p_values = []
    for _ in range(200):
        roster = pd.DataFrame(
            {
                "respondent": range(12),
                "profession": rng.choice(["gp", "nurse", "kta"], size=12),
                "responded": True,
            }
        )
        p_values.append(mixing_permutation_test(ties, roster, draws=200, seed=rng).ei_p)
    assert 0.01 <= np.mean(np.array(p_values) < 0.05) <= 0.10


def test_the_same_seed_gives_the_same_null_and_another_seed_another() -> None:
    ties, roster = _small_network()
    first = mixing_permutation_test(ties, roster, draws=300, seed=11)
    assert mixing_permutation_test(ties, roster, draws=300, seed=11) == first
    other = mixing_permutation_test(ties, roster, draws=300, seed=12)
    assert other.ei == first.ei and other.ei_null_mean != first.ei_null_mean


def test_no_ties_or_one_profession_gives_no_test() -> None:
    ties, roster = _small_network()
    empty = mixing_permutation_test(ties.iloc[0:0], roster)
    assert empty.ties == 0 and math.isnan(empty.ei) and math.isnan(empty.ei_p)
    single = mixing_permutation_test(ties, roster.assign(profession="gp"))
    assert single.groups == 1 and math.isnan(single.ratio_p)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"draws": 0}, "draws must be at least 1"),
        ({"attribute": "grade"}, "columns not in the data: grade"),
    ],
)
def test_bad_arguments_are_refused(change: dict[str, object], message: str) -> None:
    ties, roster = _small_network()
    with pytest.raises(ValueError, match=message):
        mixing_permutation_test(ties, roster, **change)  # type: ignore[arg-type]


def test_ties_to_people_not_on_the_roster_are_refused() -> None:
    ties, roster = _small_network()
    stray = pd.concat([ties, pd.DataFrame({"source": ["a"], "target": ["zz"]})])
    with pytest.raises(ValueError, match="not on the roster: zz"):
        mixing_permutation_test(stray, roster)


# --- per team and wave on a study -----------------------------------------------------------


@pytest.fixture(scope="module")
def study() -> an.SimulatedStudy:
    return an.simulate_study(seed=7)


def test_network_permutation_tests_the_figures_network_table_shows(
    study: an.SimulatedStudy,
) -> None:
    bundle = study.bundle
    tests = network_permutation(bundle, draws=200)
    table = an.network_table(bundle)
    merged = tests.merge(table, on=["team", "wave"], suffixes=("", "_table"))
    assert len(merged) == len(table)
    assert (merged["meaningful"] == merged["meaningful_table"]).all()
    shown = merged[merged["meaningful"]]
    np.testing.assert_allclose(shown["ei"], shown["ei_profession"])
    np.testing.assert_allclose(shown["cross_ratio"], shown["cross_ratio_profession"])
    assert merged.loc[~merged["meaningful"], "ei_p"].isna().all()
    assert (shown["ei_null_low"] <= shown["ei_null_high"]).all()


def test_each_team_draws_its_own_stream(study: an.SimulatedStudy) -> None:
    """Leaving a team out (or adding one) does not change any other team's null."""
    bundle = study.bundle
    full = network_permutation(bundle, draws=300, seed=4)
    kept = bundle.roster["team"] != bundle.teams[0]
    fewer = an.Bundle(
        bundle.responses,
        bundle.ties[bundle.ties["team"] != bundle.teams[0]],
        bundle.roster[kept],
        bundle.interventions,
        bundle.instrument,
    )
    part = network_permutation(fewer, draws=300, seed=4)
    same = full[full["team"] != bundle.teams[0]].reset_index(drop=True)
    pd.testing.assert_frame_equal(same, part)
    assert not network_permutation(bundle, draws=300, seed=5).equals(full)


def test_enclave_teams_keep_knowledge_inside_professions_beyond_chance(
    study: an.SimulatedStudy,
) -> None:
    """The simulated uniprofessional enclaves name their own profession 25 times as often:
    at the last wave their cross-profession ratio is below the random-mixing range."""
    tests = network_permutation(study.bundle)
    kinds = dict(zip(study.truth["team"], study.truth["kind"], strict=True))
    last = tests[(tests["wave"] == tests["wave"].max()) & tests["meaningful"]]
    enclaves = last[last["team"].map(kinds) == "uniprofessional_enclaves"]
    formed = last[last["team"].map(kinds) == "formed"]
    assert len(enclaves) and len(formed)
    assert (enclaves["ratio_p"] < 0.05).all()
    assert (enclaves["cross_ratio"] < enclaves["ratio_null_low"]).all()
    assert (formed["ratio_p"] > 0.05).all()


def test_organisation_is_the_other_boundary_and_nothing_else_is(study: an.SimulatedStudy) -> None:
    by_org = network_permutation(study.bundle, attribute="organisation", draws=100)
    table = an.network_table(study.bundle)
    shown = by_org.merge(table, on=["team", "wave"])
    shown = shown[shown["meaningful_x"]]
    np.testing.assert_allclose(shown["ei"], shown["ei_organisation"])
    with pytest.raises(ValueError, match="'profession' or 'organisation'"):
        network_permutation(study.bundle, attribute="grade")


# --- tie persistence ------------------------------------------------------------------------


def _two_waves(ties: list[tuple[int, str, str]], silent: dict[int, set[str]]) -> an.Bundle:
    roster_rows = []
    for wave, people in ((1, "abcde"), (2, "abcdf")):  # e leaves, f joins
        for person in people:
            roster_rows.append(
                (wave, "T", person, "gp", "x", person not in silent.get(wave, set()))
            )
    roster = pd.DataFrame(
        roster_rows,
        columns=["wave", "team", "respondent", "profession", "organisation", "responded"],
    )
    frame = pd.DataFrame(
        [(w, "T", s, t) for w, s, t in ties], columns=["wave", "team", "source", "target"]
    )
    base = small_bundle()
    return an.Bundle(base.responses, frame, roster, base.interventions, base.instrument)


def test_tie_persistence_counts_only_tie_variables_observed_at_both_waves() -> None:
    """RSiena's rule: a tie a -> b counts when a answered at both waves and b is on both rosters.
    e leaves and f joins, so ties with them do not count; d is silent at wave 2, so d's own
    ties do not count (ties naming d do)."""
    ties = [
        (1, "a", "b"), (1, "b", "c"), (1, "c", "a"), (1, "a", "d"), (1, "d", "a"), (1, "a", "e"),
        (2, "a", "b"), (2, "c", "a"), (2, "b", "a"), (2, "c", "d"), (2, "a", "f"),
    ]  # fmt: skip
    row = tie_persistence(_two_waves(ties, {2: {"d"}}), min_coverage=0.5).iloc[0]
    # counted at wave 1: ab bc ca ad ; at wave 2: ab ca ba cd
    assert (row["from_wave"], row["to_wave"]) == (1, 2)
    assert row["dyads"] == 3 * 3  # a, b, c answered both times; alters a, b, c, d
    assert (row["kept"], row["dropped"], row["new"]) == (2, 2, 2)
    assert row["distance"] == 4
    assert row["jaccard"] == pytest.approx(2 / 6)
    assert row["mean_degree_from"] == pytest.approx(4 / 3)
    assert row["low"] is not None and not row["low"]  # 1/3 is above .3


def test_low_persistence_is_flagged_below_point_three() -> None:
    ties = [
        (1, "a", "b"),
        (1, "b", "c"),
        (1, "c", "a"),
        (2, "a", "b"),
        (2, "a", "c"),
        (2, "b", "a"),
    ]
    row = tie_persistence(_two_waves(ties, {})).iloc[0]
    assert row["jaccard"] == pytest.approx(1 / 5)
    assert row["low"]
    lenient = tie_persistence(_two_waves(ties, {}), low=0.2).iloc[0]
    assert lenient["low"] is not None and not lenient["low"]


def test_persistence_is_not_judged_where_too_few_answered() -> None:
    ties = [(1, "a", "b"), (2, "a", "b")]
    row = tie_persistence(_two_waves(ties, {2: {"b", "c", "d"}})).iloc[0]
    assert not row["meaningful"]
    assert math.isnan(row["jaccard"]) and row["low"] is None
