"""Knowledge-network measures: E-I index, cross-boundary mixing, brokerage, coverage rule."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

import analysis as an
from tests.analysis.test_bundle import small_bundle


def bundle_with(ties: list[tuple[str, str]], responded: dict[str, bool] | None = None) -> an.Bundle:
    base = small_bundle()
    roster = base.roster.copy()
    if responded:
        roster["responded"] = roster["respondent"].map(lambda r: responded.get(r, True))
    tie_frame = pd.DataFrame(
        [(1, "HF North", s, t) for s, t in ties], columns=["wave", "team", "source", "target"]
    )
    return an.Bundle(base.responses, tie_frame, roster, base.interventions, base.instrument)


def test_ei_index_bounds_and_empty() -> None:
    assert an.ei_index(0, 4) == -1.0
    assert an.ei_index(4, 0) == 1.0
    assert math.isnan(an.ei_index(0, 0))


def test_hand_computed_team() -> None:
    # HF North: R01 nurse/Trust A, R02 gp/Practice B, R03 pharmacist/Trust A
    table = an.network_table(
        bundle_with([("R01", "R02"), ("R02", "R03"), ("R03", "R01"), ("R01", "R03")])
    )
    row = table[(table["team"] == "HF North") & (table["wave"] == 1)].iloc[0]
    assert row["coverage"] == 1.0 and bool(row["meaningful"])
    assert row["ties"] == 4
    assert row["density"] == pytest.approx(4 / (3 * 2))
    assert row["ei_profession"] == 1.0  # three professions: every tie crosses
    # organisation: R01-R03 share Trust A; ties R01->R02, R02->R03 cross; R03->R01, R01->R03 inside
    assert row["ei_organisation"] == 0.0
    assert row["cross_expected_profession"] == pytest.approx(1.0)
    assert row["cross_expected_organisation"] == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    assert row["cross_ratio_organisation"] == pytest.approx(0.5 / (2 / 3))


def test_low_coverage_is_not_meaningful() -> None:
    table = an.network_table(bundle_with([("R01", "R02")], {"R02": False, "R03": False}))
    row = table[(table["team"] == "HF North") & (table["wave"] == 1)].iloc[0]
    assert row["coverage"] == pytest.approx(1 / 3)
    assert not row["meaningful"]
    assert math.isnan(row["density"]) and math.isnan(row["ei_profession"])
    assert row["ties"] == 1
    with pytest.raises(ValueError, match="min_coverage"):
        an.network_table(small_bundle(), min_coverage=1.5)


def test_brokerage_roles() -> None:
    g = nx.DiGraph()
    groups = {"a": "x", "b": "x", "c": "x", "d": "y", "e": "z"}
    g.add_nodes_from((n, {"grp": v}) for n, v in groups.items())
    g.add_edges_from(
        [
            ("a", "b"),
            ("b", "c"),  # coordinator b
            ("d", "b"),  # d->b->c: gatekeeper b
            ("b", "e"),  # a->b->e representative; d->b->e liaison
            ("c", "d"),
            ("d", "a"),
        ]
    )  # c->d->a consultant (c, a in x, d in y)
    roles = an.brokerage(g, "grp")
    assert roles.loc["b", ["coordinator", "gatekeeper", "representative", "liaison"]].tolist() == [
        1,
        1,
        1,
        1,
    ]
    assert roles.loc["d", "consultant"] == 2  # c->d->a and c->d->b
    g.add_edge("a", "c")  # a direct tie removes the a->b->c brokerage
    assert an.brokerage(g, "grp").loc["b", "coordinator"] == 0


def test_network_table_without_brokerage_roles_keeps_every_other_measure() -> None:
    bundle = an.simulate_study(teams=4, members=8, waves=3, seed=2).bundle
    full = an.network_table(bundle, min_coverage=0.0)
    mixing_only = an.network_table(bundle, min_coverage=0.0, brokerage_roles=False)
    assert not [c for c in mixing_only.columns if c.startswith("brokerage_")]
    assert [c for c in full.columns if c.startswith("brokerage_")]
    pd.testing.assert_frame_equal(mixing_only, full[list(mixing_only.columns)])
