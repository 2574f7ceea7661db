"""The knowledge-network tests of the evaluator report: mixing against chance, tie persistence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from reports.blocks import Block, Heading, Paragraph, Table, Td
from reports.render import fmt_number

__all__ = ["ALPHA", "mixing_cells", "persistence_blocks"]

#: Significance level at which knowledge is said to stick inside professions beyond chance.
ALPHA = 0.05


def _p(value: float) -> str:
    return "n/a" if pd.isna(value) else ("< .001" if value < 0.001 else f"{value:.3f}")


def mixing_cells(test: Any) -> tuple[str, str | Td]:
    """The random-mixing range of a team-wave's cross-profession ratio, to follow the ratio in
    its cell (``" [0.67, 1.22]"``), and the p-value's cell, with the p adjusted across the
    team-waves tested beside it (``ratio_p_adjusted``) and marked by it; from a row of
    :func:`analysis.network_permutation` (or None)."""
    if test is None or not bool(test["meaningful"]):
        return "", Td("-", "muted")
    interval = f" [{fmt_number(test['ratio_null_low'])}, {fmt_number(test['ratio_null_high'])}]"
    p = float(test["ratio_p"])
    adjusted = float(test.get("ratio_p_adjusted", p))
    if adjusted == p:
        return interval, Td(_p(p), "bad" if p < ALPHA else "")
    return interval, Td(f"{_p(p)} (adj. {_p(adjusted)})", "bad" if adjusted < ALPHA else "")


def persistence_blocks(persistence: pd.DataFrame, teams: Sequence[str]) -> tuple[Block, ...]:
    """Heading, reading and table of :func:`analysis.tie_persistence` for ``teams``."""
    shown = (
        persistence[persistence["team"].isin(list(teams))] if not persistence.empty else persistence
    )
    if shown.empty:
        return ()
    pairs = sorted(
        {(int(a), int(b)) for a, b in zip(shown["from_wave"], shown["to_wave"], strict=True)}
    )
    judged = shown[shown["meaningful"].astype(bool) & shown["jaccard"].notna()]
    low = judged[judged["low"].astype(bool)]
    rows = []
    for team in teams:
        team_rows = shown[shown["team"] == team]
        if team_rows.empty:
            continue
        cells: list[str | Td] = [team]
        for first, second in pairs:
            r = team_rows[(team_rows["from_wave"] == first) & (team_rows["to_wave"] == second)]
            if r.empty:
                cells.append(Td("-", "muted"))
                continue
            row = r.iloc[0]
            if not bool(row["meaningful"]) or pd.isna(row["jaccard"]):
                cells.append(Td("not assessed", "muted"))
                continue
            text = f"{fmt_number(row['jaccard'])} ({int(row['kept'])} of {int(row['kept'] + row['dropped'] + row['new'])})"
            cells.append(Td(text, "weak" if bool(row["low"]) else ""))
        rows.append(tuple(cells))
    reading = (
        f"{len(low)} of {len(judged)} assessed pairs of waves keep fewer than 30% of their "
        "ties (Jaccard index below .3): there, most knowledge ties are replaced from one wave "
        "to the next, so comparing a team's network between those waves compares different "
        "sets of relationships rather than one network changing. RSiena's manual calls values "
        "of .3 and higher good and warns below .2; a growing network (ties mostly added) or a "
        "very sparse one (under two ties per member) can score low without that problem."
        if len(judged)
        else "No pair of waves had enough members answering the roster question at both."
    )
    return (
        Heading("Do knowledge ties last from one wave to the next?"),
        Paragraph(reading),
        Table(
            "Tie persistence between consecutive waves: Jaccard index (ties kept of ties at "
            "either wave)",
            ("team", *[f"wave {a} to {b}" for a, b in pairs]),
            tuple(rows),
            note="Counted as RSiena counts it: only ties between members on both rosters, "
            "named by members who answered at both waves. Below .3 is marked (Snijders, van de "
            "Bunt & Steglich 2010; the RSiena manual).",
        ),
    )
