"""The manager brief's value profile: shown per team only where suppression allows, no stories."""

from __future__ import annotations

import dataclasses
import html

import pandas as pd
import pytest

import instruments
import reports
from analysis.pipeline import AnalysisResults, analyse_bundle
from analysis.simulate import simulate_study

STORY = "Our huddle changed the discharge letters for every heart failure patient"

# Its tests share a whole study analysed first (about 2 CPU seconds): not for the fast loop.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def v2_results() -> AnalysisResults:
    study = simulate_study(
        teams=4, members=12, waves=3, seed=6, instrument=instruments.load("cop-health", 2)
    )
    bundle = study.bundle
    first = bundle.roster[bundle.roster["responded"]].iloc[0]
    story = pd.DataFrame(
        [
            {
                "wave": first["wave"],
                "team": first["team"],
                "respondent": first["respondent"],
                "item": "value_story",
                "text": STORY,
            }
        ]
    )
    bundle = dataclasses.replace(bundle, comments=pd.concat([bundle.comments, story]))
    return analyse_bundle(bundle, permutations=200)


def test_each_team_gets_its_profile_with_every_figure_on_enough_people(
    v2_results: AnalysisResults,
) -> None:
    for team in v2_results.bundle.teams:
        summary = reports.manager_summary(v2_results, team, min_cell=5)
        rows = summary["value_profile"]
        assert [r["cycle"] for r in rows] == [
            "immediate",
            "potential",
            "applied",
            "realised",
            "reframing",
        ]
        for row in rows:
            assert row["suppressed"] or row["n"] >= 5
        assert summary["value_line"].startswith("Value to members")


def test_too_few_people_withhold_the_profile(v2_results: AnalysisResults) -> None:
    team = v2_results.bundle.teams[0]
    summary = reports.manager_summary(v2_results, team, min_cell=40)
    assert (
        all(row["suppressed"] for row in summary["value_profile"]) or not summary["value_profile"]
    )
    assert all(row["value"] is None for row in summary["value_profile"])


def test_the_brief_shows_the_profile_but_never_a_story(v2_results: AnalysisResults) -> None:
    brief = reports.build_manager_brief(v2_results)
    assert "Value to members" in brief
    assert STORY not in brief and html.escape(STORY) not in brief


def test_a_version_1_study_has_no_value_profile(results: AnalysisResults) -> None:
    team = results.bundle.teams[0]
    summary = reports.manager_summary(results, team)
    assert summary["value_profile"] == [] and summary["value_line"] == ""
