"""Rules of issue 14 pinned by their own tests: the brief's change wording follows the interval,
the open-waves banner is on every page, and points that do not count are drawn hollow."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

import reports
from analysis.pipeline import AnalysisResults, analyse_bundle
from analysis.simulate import SimulatedStudy
from reports import figures
from tests.reports.svg_marks import legend_labels, read_panels

# --- the brief's wording rule: "rose/fell clearly" only when the interval excludes zero ---


def _set_practice(
    results: AnalysisResults, team: str, centre: dict[int, float], spread: float
) -> AnalysisResults:
    """The team's practice scores at the waves in ``centre`` set to that mean exactly, spread
    symmetrically by up to ``spread`` (so every mean, and its rounding, is the same whatever
    the spread; only the interval of the change differs)."""
    scores = results.scores.copy()
    practice = results.criteria["practice"]["scales"]
    for wave, mean in centre.items():
        rows = scores.index[
            (scores["team"] == team)
            & (scores["wave"] == wave)
            & scores[practice].notna().all(axis=1)
        ]
        n = len(rows)
        offsets = np.linspace(-spread, spread, n) if n > 1 else np.zeros(n)
        for scale in practice:
            scores.loc[rows, scale] = mean + offsets
    return dataclasses.replace(results, scores=scores)


def _shown_change_team(results: AnalysisResults) -> tuple[str, int, int]:
    """A team whose practice change is shown in the brief, with its two waves."""
    for summary in reports.manager_summaries(results, results.bundle.teams):
        rows = [r for r in summary["table"] if r["scale"] == "practice"]
        if rows and not rows[0]["change_suppressed"] and summary["previous_wave"] is not None:
            return summary["team"], summary["previous_wave"], summary["latest_wave"]
    pytest.fail("no team of the shared study shows its practice change")


def _practice(summary: dict[str, Any]) -> tuple[str, str]:
    line = next(x for x in summary["lines"] if x.startswith("Practice overall"))
    row = next(r for r in summary["table"] if r["scale"] == "practice")
    return line, row["change_words"]


@pytest.mark.slow
def test_the_brief_words_a_change_by_its_interval_not_its_size(results: AnalysisResults) -> None:
    team, before, after = _shown_change_team(results)
    tight = _set_practice(results, team, {before: 4.0, after: 4.3}, spread=0.05)
    loose = _set_practice(results, team, {before: 4.0, after: 4.3}, spread=2.5)
    tight_line, tight_words = _practice(reports.manager_summary(tight, team))
    loose_line, loose_words = _practice(reports.manager_summary(loose, team))
    # the same +0.3 between the same displayed means ...
    assert tight_line == "Practice overall rose clearly from 4.0 to 4.3."
    assert tight_words == "a clear rise"
    # ... is "about the same" when the people disagree so widely that chance explains it
    assert loose_line.startswith("Practice overall stayed about the same (4.0 then 4.3;")
    assert loose_words == "about the same"
    falling = _set_practice(results, team, {before: 4.3, after: 4.0}, spread=0.05)
    line, words = _practice(reports.manager_summary(falling, team))
    assert line == "Practice overall fell clearly from 4.3 to 4.0." and words == "a clear fall"


# --- --include-open-waves: a banner on every page ---


@pytest.fixture(scope="module")
def with_open_wave(study: SimulatedStudy) -> AnalysisResults:
    bundle = study.bundle
    last = max(bundle.waves)
    schedule = pd.DataFrame(
        {
            "wave": bundle.waves,
            "opens": [f"2026-0{w}-01" for w in bundle.waves],
            "closes": [f"2026-0{w}-20" for w in bundle.waves],
            "status": ["open" if w == last else "closed" for w in bundle.waves],
        }
    )
    opened = dataclasses.replace(bundle, schedule=schedule)
    assert opened.open_waves == [last]
    return analyse_bundle(opened, include_open_waves=True)


@pytest.mark.slow
def test_open_waves_included_put_a_banner_on_every_page(
    with_open_wave: AnalysisResults, evaluator_html: str
) -> None:
    last = max(with_open_wave.bundle.waves)
    assert with_open_wave.open_waves == (last,)
    banner = (
        f"Includes wave {last}, still open: its figures will change as more people answer, "
        "and no verdict should rest on them yet."
    )
    team = with_open_wave.bundle.teams[0]
    for html in (
        reports.build_evaluator_report(with_open_wave),
        reports.build_manager_brief(with_open_wave, team),
    ):
        assert f'<p class="banner" role="note">{banner}</p>' in html
        # the print stylesheet repeats it at the top of every PDF page
        assert f'@top-center {{ content: "{banner}"' in html
    # closed waves only (the default): no banner
    assert 'class="banner"' not in evaluator_html and "@top-center" not in evaluator_html


# --- figures: team-waves that do not count are hollow grey points without an interval ---


def test_uncounted_team_waves_are_hollow_grey_points_without_an_interval() -> None:
    means = pd.DataFrame(
        {
            "team": ["A"] * 3,
            "wave": [1, 2, 3],
            "mean": [4.0, 4.5, 5.0],
            "ci_low": [3.5, 3.0, 4.5],
            "ci_high": [4.5, 6.0, 5.5],
        }
    )
    identity = pd.concat(
        [means.assign(scale="collaborative_identity"), means.assign(scale="professional_identity")]
    )
    drawn = [
        figures.trajectory_figure(means, "Practice", uncounted={("A", 2)}),
        figures.identity_figure(
            identity,
            {"collaborative_identity": "Team", "professional_identity": "Profession"},
            uncounted={("A", 2)},
        ),
    ]
    for svg in drawn:
        (panel,) = read_panels(svg)
        hollow = [p for p in panel.points if p.fill == "#ffffff"]
        filled = [p for p in panel.points if p.fill != "#ffffff"]
        assert {panel.wave(p.x) for p in hollow} == {2}
        assert {panel.wave(p.x) for p in filled} == {1, 3}
        assert {p.stroke for p in hollow} == {figures.UNCOUNTED}
        intervals = {panel.wave(x) for x in panel.interval_xs}
        assert intervals == {1, 3}  # none drawn for wave 2
        # the legend says what a hollow point is
        assert "not counted (too few answered)" in legend_labels(svg)
