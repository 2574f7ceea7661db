"""Every interval and p from a growth model says which degrees of freedom it uses (issue 17)."""

from __future__ import annotations

import dataclasses
import math

import reports
from analysis.pipeline import AnalysisResults
from reports.blocks import Paragraph, Section, Table, Td


def _tables(section: Section) -> dict[str, Table]:
    return {b.caption: b for b in section.blocks if isinstance(b, Table)}


def _text(cell: str | Td) -> str:
    return cell.text if isinstance(cell, Td) else cell


def _table(section: Section, start: str) -> Table:
    return next(t for caption, t in _tables(section).items() if caption.startswith(start))


def test_growth_slope_and_intervention_tables_show_df_and_name_the_method(
    results: AnalysisResults, sections: dict[str, Section]
) -> None:
    assert results.ddf == "satterthwaite"
    checked = {
        "Growth models": (sections["trajectories"], results.growth, "df"),
        "Team-specific slopes": (
            sections["trajectories"],
            results.team_trajectories[
                results.team_trajectories["scale"].isin(results.criteria["practice"]["scales"])
            ],
            "slope_df",
        ),
        "Intervention effects": (sections["interventions"], results.interventions, "df"),
    }
    for start, (section, frame, column) in checked.items():
        table = _table(section, start)
        assert "df" in table.columns, start
        assert "Satterthwaite t (as R's lmerTest)" in table.note, start
        at = table.columns.index("df")
        shown = [_text(row[at]).rstrip("*") for row in table.rows]
        expected = [f"{v:.1f}" for v in frame[column]]
        assert shown == expected, start
    methods = " ".join(b.text for b in sections["methods"].blocks if isinstance(b, Paragraph))
    assert "Satterthwaite t (as R's lmerTest)" in methods and "--ddf" in methods


def test_a_singular_fit_says_what_its_df_mean(
    results: AnalysisResults, sections: dict[str, Section]
) -> None:
    effects = results.interventions
    singular = effects[effects["ddf_note"] != ""]
    assert not singular.empty  # the shared study has singular identity fits
    table = _table(sections["interventions"], "Intervention effects")
    at = table.columns.index("df")
    starred = [_text(row[at]).endswith("*") for row in table.rows]
    assert starred == list(effects["ddf_note"] != "")
    assert table.note.count("* df of a singular fit") == 1
    assert singular["ddf_note"].iloc[0] in table.note
    label = {s.id: s.label for s in results.bundle.instrument.scales}[singular["outcome"].iloc[0]]
    assert label in table.note.split("* df of a singular fit")[1]
    growth = _table(sections["trajectories"], "Growth models")
    plain = results.growth["ddf_note"] == ""
    assert ("* df of a singular fit" in growth.note) == (not plain.all())


def test_wald_results_say_no_df_apply(results: AnalysisResults) -> None:
    growth = results.growth.assign(df=math.inf, ddf="wald", ddf_note="")
    wald = dataclasses.replace(results, growth=growth, ddf="wald")
    table = _table(reports.evaluator_sections(wald, draw=False)["trajectories"], "Growth models")
    at = table.columns.index("df")
    assert {_text(row[at]) for row in table.rows} == {"-"}
    assert "Wald z" in table.note and "no df apply" in table.note


def test_the_brief_names_the_method_of_the_study_wide_effect(results: AnalysisResults) -> None:
    treated = str(results.bundle.interventions["team"].iloc[0])
    summary = reports.manager_summary(results, treated)
    assert summary["study_effects"]
    assert summary["study_effects_method"].startswith(
        "The interval allows for how few teams there are (Satterthwaite degrees of freedom)."
    )
    assert summary["study_effects_method"] in reports.build_manager_brief(results, [treated])
    wald = reports.manager_summary(dataclasses.replace(results, ddf="wald"), treated)
    assert "no allowance for how few teams there are (Wald z)" in wald["study_effects_method"]
