"""One small simulated study, its analysis and its rendered reports, shared by the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.pipeline import AnalysisResults, analyse_bundle
from analysis.simulate import SimulatedStudy, simulate_study
from reports.blocks import Section


@pytest.fixture(scope="session")
def study() -> SimulatedStudy:
    """4 teams x 8 members x 4 waves (one of each CoP kind), two with interventions."""
    return simulate_study(teams=4, members=8, waves=4, seed=1)


@pytest.fixture(scope="session")
def results(study: SimulatedStudy) -> AnalysisResults:
    return analyse_bundle(study.bundle)


@pytest.fixture(scope="session")
def evaluator_html(results: AnalysisResults) -> str:
    import reports

    return reports.build_evaluator_report(results)


@pytest.fixture(scope="session")
def sections(results: AnalysisResults) -> dict[str, Section]:
    """The evaluator report's content without figures (fast)."""
    import reports

    return reports.evaluator_sections(results, draw=False)


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reports")
