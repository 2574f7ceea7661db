"""The evidence beside a verdict is exactly what the verdict used, and nothing uncounted is coloured.

Checked on a demo-like study (8 teams, 6 waves, seed 7, cop-health version 2 as the demo, wave 6
still open) and on simulated
studies with a strict response threshold (so that some team-waves do not count).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import instruments
import reports
from analysis.pipeline import AnalysisResults, analyse_bundle
from analysis.simulate import simulate_study
from reports.blocks import Section, Table, Td
from reports.labels import criterion_tone
from reports.render import fmt_number

COLOURED = {"good", "bad", "fair"}


def _demo_like() -> AnalysisResults:
    bundle = simulate_study(
        teams=8, members=10, waves=6, seed=7, instrument=instruments.load("cop-health", 2)
    ).bundle
    schedule = pd.DataFrame(
        {
            "wave": list(range(1, 7)),
            "opens": [f"2025-{m:02d}-01" for m in (1, 3, 5, 7, 9, 11)],
            "closes": [f"2025-{m:02d}-28" for m in (1, 3, 5, 7, 9, 11)],
            "status": ["closed"] * 5 + ["open"],
        }
    )
    return analyse_bundle(dataclasses.replace(bundle, schedule=schedule), permutations=50)


def _strict(seed: int) -> AnalysisResults:
    bundle = simulate_study(teams=5, members=8, waves=4, seed=seed).bundle
    return analyse_bundle(
        bundle, criteria={"coverage": {"min_response_rate": 0.75}}, permutations=50
    )


@pytest.fixture(
    scope="module",
    # The demo-sized study (8 teams x 10 x 6 waves) takes several seconds to analyse.
    params=[pytest.param("demo", marks=pytest.mark.slow), "strict-2", "strict-5"],
)
def analysed(request: pytest.FixtureRequest) -> tuple[AnalysisResults, dict[str, Section]]:
    name = str(request.param)
    results = _demo_like() if name == "demo" else _strict(int(name.split("-")[1]))
    return results, reports.evaluator_sections(results, draw=False)


def _table(section: Section, starts: str) -> Table:
    found = [b for b in section.blocks if isinstance(b, Table) and b.caption.startswith(starts)]
    assert len(found) == 1, starts
    return found[0]


def _text(cell: str | Td) -> str:
    return cell.text if isinstance(cell, Td) else cell


def _counted(results: AnalysisResults) -> dict[tuple[str, int], dict[str, object]]:
    return {
        (str(r["team"]), int(r["wave"])): r for r in results.team_waves.to_dict(orient="records")
    }


@pytest.mark.slow
def test_open_waves_are_left_out_of_every_section() -> None:
    results = _demo_like()
    assert results.left_out_waves == (6,) and 6 not in results.bundle.waves
    sections = reports.evaluator_sections(results, draw=False)
    for section in sections.values():
        for block in section.blocks:
            if isinstance(block, Table):
                assert "wave 6" not in block.columns, block.caption
                if block.columns[1:2] == ("wave",):
                    assert all(_text(row[1]) != "6" for row in block.rows), block.caption


def test_the_evidence_beside_each_verdict_is_what_the_verdict_used(
    analysed: tuple[AnalysisResults, dict[str, Section]],
) -> None:
    results, sections = analysed
    practice = results.criteria["practice"]["scales"]
    agreement = {_text(r[0]): r for r in _table(sections["agreement"], "rwg(j) at").rows}
    identity = {_text(r[0]): r for r in _table(sections["identity"], "Identification at").rows}
    network = {
        (_text(r[0]), _text(r[1])): r for r in _table(sections["networks"], "Network measures").rows
    }
    judged = [v for v in results.verdicts if v.last_wave is not None]
    assert judged
    for verdict in judged:
        wave = verdict.last_wave
        # agreement: the weakest rwg(j) shown is the criterion's value, at the verdict's wave
        shown = results.agreement[
            (results.agreement["team"] == verdict.team)
            & (results.agreement["wave"] == wave)
            & results.agreement["scale"].isin(practice)
        ]
        assert shown["rwg_j"].min() == pytest.approx(verdict.criterion("agreement").value)
        row = agreement[verdict.team]
        assert _text(row[1]) == str(wave)
        for scale, cell in zip(practice, row[2:], strict=True):
            value = float(shown.loc[shown["scale"] == scale, "rwg_j"].iloc[0])
            assert _text(cell).startswith(fmt_number(value))
        # practice level: the lowest practice-scale mean at that wave
        means = results.team_means
        at = means[(means["team"] == verdict.team) & (means["wave"] == wave)]
        level = at[at["scale"].isin(practice)]["mean"].min()
        assert level == pytest.approx(verdict.criterion("practice_level").value)
        # identity: the collaborative mean shown is the criterion's, coloured as the criterion
        row = identity[verdict.team]
        assert _text(row[1]) == str(wave)
        assert _text(row[2]) == fmt_number(verdict.criterion("identity").value)
        assert isinstance(row[-2], Td)  # the criterion column, before the gap
        assert row[-2].css == criterion_tone(verdict.criterion("identity"))
        # knowledge ties: the ratio shown at that wave is the criterion's, when assessed
        ties = verdict.criterion("boundaries")
        cell = network[(verdict.team, str(wave))][7]
        assert isinstance(cell, Td)
        if ties.assessed:
            assert cell.text.startswith(fmt_number(ties.value))
            assert cell.css == ("good" if ties.held else "bad")
        else:  # not assessed, or unclear (below the threshold but not beyond chance)
            assert cell.css == "muted"


def test_no_uncounted_team_wave_is_coloured_good_or_bad(
    analysed: tuple[AnalysisResults, dict[str, Section]],
) -> None:
    results, sections = analysed
    counted = _counted(results)
    checked = 0
    for caption, network in (
        ("rwg(j) at", False),
        ("Identification at", False),
        ("Network measures", True),
    ):
        section = next(
            s
            for s in sections.values()
            if any(isinstance(b, Table) and b.caption.startswith(caption) for b in s.blocks)
        )
        for row in _table(section, caption).rows:
            team, wave = _text(row[0]), _text(row[1])
            if not wave.isdigit():
                assert all(not (isinstance(c, Td) and c.css in COLOURED) for c in row)
                continue
            info = counted[(team, int(wave))]
            ok = bool(info["network_counted" if network else "counted"])
            if not ok:
                checked += 1
                assert all(not (isinstance(c, Td) and c.css in COLOURED) for c in row), row
    response = _table(sections["study"], "Responded / invited")
    waves = [int(c.split()[1]) for c in response.columns[1:]]
    for row in response.rows[:-1]:
        for wave, cell in zip(waves, row[1:], strict=True):
            if (row[0], wave) in counted and not counted[(row[0], wave)]["counted"]:
                checked += 1
                assert isinstance(cell, Td) and cell.css == "muted"
                assert cell.text.endswith("not counted")
    if any(not r["counted"] or not r["network_counted"] for r in counted.values()):
        assert checked
