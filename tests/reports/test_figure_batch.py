"""Figures drawn together after the sections, in worker processes: the same whatever the number."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.pipeline import AnalysisResults
from reports import evaluator_sections, figures
from reports.blocks import Figure
from reports.figure_batch import FigureBatch

RATES = pd.DataFrame(
    {"team": ["A", "A", "B", "B"], "wave": [1, 2, 1, 2], "invited": 10, "responded": [8, 7, 9, 6]}
)


def test_a_batch_answers_with_placeholders_and_draws_each_figure_as_drawn_alone() -> None:
    batch = FigureBatch()
    first = batch.response_rate_figure(RATES, name="one")
    second = batch.response_rate_figure(RATES.iloc[:2], name="two")
    assert first != second and "<svg" not in first
    drawn = batch.draw(jobs=2)
    assert drawn[str(first)] == figures.response_rate_figure(RATES, name="one")
    assert drawn[str(second)] == figures.response_rate_figure(RATES.iloc[:2], name="two")


def test_a_batch_keeps_the_resolution_figures_were_asked_at() -> None:
    batch = FigureBatch()
    with figures.raster_figures(dpi=100):
        image = batch.response_rate_figure(RATES)
    vector = batch.response_rate_figure(RATES)
    drawn = batch.draw(jobs=2)
    assert drawn[str(image)].startswith('<img class="figure"')
    assert drawn[str(vector)].startswith('<svg class="figure"')


def test_only_figures_are_batched_and_jobs_must_be_a_positive_whole_number() -> None:
    batch = FigureBatch()
    with pytest.raises(AttributeError):
        batch.profession_colours(["GP"])
    for jobs in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="whole number"):
            batch.draw(jobs=jobs)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_report_is_the_same_drawn_on_one_or_two_workers(results: AnalysisResults) -> None:
    one = evaluator_sections(results, jobs=1)
    two = evaluator_sections(results, jobs=2)
    drawn = [b for s in one.values() for b in s.blocks if isinstance(b, Figure)]
    assert len(drawn) >= 8 and all(str(b.svg).startswith("<svg") for b in drawn)
    assert one == two
