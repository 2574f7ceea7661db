"""The evaluator report's sections on the CLAHRC findings and on value to members."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import instruments
from analysis.pipeline import AnalysisResults, analyse_bundle
from analysis.simulate import simulate_study
from analysis.simulate_mechanisms import Mechanisms
from reports.blocks import Heading, Paragraph, Section, Table
from reports.evaluator import SECTION_IDS, evaluator_sections
from reports.propositions import PROPOSITIONS_TITLE, VALUE_TITLE

# Its tests share a whole study analysed first (about 2 CPU seconds): not for the fast loop.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def v2_sections() -> dict[str, Section]:
    study = simulate_study(
        teams=6,
        members=8,
        waves=3,
        seed=2,
        instrument=instruments.load("cop-health", 2),
        mechanisms=Mechanisms(broker_effect=0.5),
    )
    return evaluator_sections(analyse_bundle(study.bundle, permutations=200), draw=False)


def _tables(section: Section) -> list[Table]:
    return [b for b in section.blocks if isinstance(b, Table)]


def test_the_sections_sit_after_the_interventions() -> None:
    at = SECTION_IDS.index("interventions")
    assert SECTION_IDS[at + 1 : at + 3] == ("propositions", "value")


def test_one_row_and_one_paragraph_per_proposition(v2_sections: dict[str, Section]) -> None:
    section = v2_sections["propositions"]
    assert section.title == PROPOSITIONS_TITLE
    (table,) = _tables(section)
    assert table.columns == ("finding", "verdict", "estimate", "95% interval")
    assert [str(row[0]).split(".")[0] for row in table.rows] == [str(n) for n in range(1, 8)]
    headings = [b for b in section.blocks if isinstance(b, Heading)]
    paragraphs = [b.text for b in section.blocks if isinstance(b, Paragraph)]
    assert len(headings) == len(paragraphs) == 7
    assert all("Rule: " in text and "Statistic: " in text for text in paragraphs)
    # version 2 with roles: interconnection and brokers are measured
    verdicts = {str(row[0]).split(".")[0]: row[1].text for row in table.rows}  # type: ignore[union-attr]
    assert verdicts["5"] != "not measured" and verdicts["7"] != "not measured"


def test_value_profiles_per_team(v2_sections: dict[str, Section]) -> None:
    section = v2_sections["value"]
    assert section.title == VALUE_TITLE
    tables = _tables(section)
    assert len(tables) == 6
    assert all("furthest cycle reached" in t.caption for t in tables)
    assert [row[0] for row in tables[0].rows] == [
        "immediate",
        "potential",
        "applied",
        "realised",
        "reframing",
    ]


def test_a_version_1_study_says_what_is_not_measured(sections: dict[str, Section]) -> None:
    (table,) = _tables(sections["propositions"])
    verdicts = {str(row[0]).split(".")[0]: row[1].text for row in table.rows}  # type: ignore[union-attr]
    assert verdicts["5"] == verdicts["7"] == "not measured"
    (paragraph,) = sections["value"].blocks
    assert isinstance(paragraph, Paragraph) and paragraph.text.startswith("Not measured")


def test_results_without_propositions_still_render(results: AnalysisResults) -> None:
    bare = dataclasses.replace(results, propositions=pd.DataFrame())
    section = evaluator_sections(bare, draw=False)["propositions"]
    assert isinstance(section.blocks[0], Paragraph)
