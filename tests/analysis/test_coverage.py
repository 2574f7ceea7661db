"""Coverage of the growth model's 95% intervals at 8 teams (a short run of bench/bench_coverage)."""

from __future__ import annotations

import pytest

from bench.bench_coverage import METHODS, TERMS, run

pytestmark = pytest.mark.slow


def test_satterthwaite_intervals_cover_near_nominal_at_eight_teams() -> None:
    # 40 seeded studies with no true change (bench/results/coverage.json has 500 per scenario:
    # Satterthwaite 0.950, 0.932, 0.946 for wave, post, since; Wald 0.930, 0.930, 0.942)
    result = run(studies=40, first_seed=1, kinds=("not_formed",))
    coverage = result["coverage"]
    for term in TERMS:
        assert coverage["satterthwaite"][term]["coverage"] >= 0.85, term
        for method in METHODS:
            assert coverage[method][term]["covered"] <= 40
    # few teams: the study-level trend rests on about 8 teams' slopes, not on every answer
    assert 3 < coverage["satterthwaite"]["wave"]["median_df"] < 20
    assert coverage["satterthwaite"]["post"]["median_df"] > 30
    # the t interval is never narrower than the z interval of the same fit
    for term in TERMS:
        assert coverage["satterthwaite"][term]["covered"] >= coverage["wald"][term]["covered"]
