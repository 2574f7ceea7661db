"""The evaluator report explains missing intervention effects instead of failing."""

from __future__ import annotations

import pytest

import reports
from analysis.pipeline import analyse_bundle
from analysis.simulate import simulate_study


@pytest.mark.slow
def test_the_report_says_why_intervention_effects_are_missing() -> None:
    study = simulate_study(teams=4, members=8, waves=4, seed=2)
    bundle = study.bundle
    late = bundle.interventions.assign(wave=bundle.waves[-1])
    results = analyse_bundle(
        type(bundle)(bundle.responses, bundle.ties, bundle.roster, late, bundle.instrument)
    )
    html = reports.build_evaluator_report(results)
    assert "Effects are not estimated yet: no team has been surveyed twice" in html
