"""Report sections on Kislov's CLAHRC findings and on the value teams create for their members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.pipeline import AnalysisResults
from reports.blocks import Heading, Paragraph, Section, Table, Td
from reports.render import fmt_number

__all__ = [
    "PROPOSITIONS_TITLE",
    "VALUE_TITLE",
    "propositions_section",
    "value_creation_section",
    "value_profile_rows",
]

PROPOSITIONS_TITLE = "What this study says about the CLAHRC findings"
VALUE_TITLE = "Value to members"
_VERDICT_WORDS = {
    "supported": "supported",
    "contradicted": "contradicted",
    "inconclusive": "inconclusive",
    "not_measured": "not measured",
}


def _interval(low: Any, high: Any) -> str:
    return (
        "n/a" if pd.isna(low) or pd.isna(high) else f"[{fmt_number(low, 3)}, {fmt_number(high, 3)}]"
    )


def propositions_section(results: AnalysisResults) -> Section:
    """One row per proposition (verdict, estimate, interval) and a short paragraph on each.

    The verdicts are neither good nor bad for the community, so no colour says so; a
    proposition this study cannot judge is greyed.
    """
    lead = (
        "Kislov's study of the Greater Manchester CLAHRC found its engineered communities "
        "mostly uniprofessional, knowledge sticking at professional and organisational "
        "boundaries, managers' control limited and collaborative identity held back by "
        "professional identification. Each finding is a claim this study can support or "
        "contradict. Every row states the statistic, its estimate with a 95% interval and "
        "the rule that turned them into the verdict; 'not measured' means the study did not "
        "ask what the claim needs.",
    )
    table = results.propositions
    if table.empty:
        return Section("propositions", PROPOSITIONS_TITLE, lead, (Paragraph("Not assessed."),))
    rows = []
    paragraphs: list[Any] = []
    for row in table.to_dict(orient="records"):
        verdict = str(row["verdict"])
        muted = verdict in ("not_measured", "inconclusive")
        rows.append(
            (
                f"{int(row['proposition'])}. {row['claim']}",
                Td(_VERDICT_WORDS.get(verdict, verdict), "muted" if muted else "strong"),
                fmt_number(row["estimate"], 3),
                _interval(row["ci_low"], row["ci_high"]),
            )
        )
        paragraphs.append(Heading(f"{int(row['proposition'])}. {row['claim']}"))
        paragraphs.append(
            Paragraph(
                f"{_VERDICT_WORDS.get(verdict, verdict).capitalize()}. {row['reason']} "
                f"Statistic: {row['statistic']}. Rule: {row['rule']}."
            )
        )
    summary = Table(
        "The CLAHRC findings in this study",
        ("finding", "verdict", "estimate", "95% interval"),
        tuple(rows),
        note="Statistics, rules and references: analysis/propositions.py and Methods; margins "
        "and levels in the propositions section of the criteria.",
    )
    return Section("propositions", PROPOSITIONS_TITLE, lead, (summary, *paragraphs))


def value_profile_rows(profile: pd.DataFrame, team: str) -> tuple[tuple[str | Td, ...], ...]:
    """One team's value-creation profile as table rows: cycle, mean, interval, n, reached."""
    rows = profile[profile["team"] == team]
    return tuple(
        (
            str(r["cycle"]),
            fmt_number(r["mean"]),
            _interval(r["ci_low"], r["ci_high"]),
            str(int(r["n"])),
            Td("reached", "strong") if bool(r["reached"]) else Td("not reached", "muted"),
        )
        for r in rows.to_dict(orient="records")
    )


def value_creation_section(results: AnalysisResults, teams: Sequence[str]) -> Section:
    """Each team's profile along the value-creation cycles (cop-health version 2)."""
    lead = (
        "What the team is worth to its members, along Wenger, Trayner and de Laat's value-"
        "creation cycles: the activities themselves (immediate), knowledge, skills and "
        "contacts (potential), changed practice (applied), improved results (realised) and "
        "a new view of success (reframing). A team gets as far along the cycles as its "
        "members agree, on average, with each step and every step before it.",
    )
    profile = results.value_creation
    if profile.empty:
        return Section(
            "value",
            VALUE_TITLE,
            lead,
            (
                Paragraph(
                    "Not measured: the waves used an instrument without the value-creation "
                    "questions (cop-health version 2 asks them)."
                ),
            ),
        )
    blocks: list[Any] = []
    for team in teams:
        team_rows = profile[profile["team"] == team]
        if team_rows.empty:
            continue
        furthest = str(team_rows["furthest_cycle"].iloc[0]) or "none (not even immediate value)"
        wave = int(team_rows["wave"].iloc[0])
        blocks.append(
            Table(
                f"{team}: furthest cycle reached {furthest} (wave {wave})",
                ("cycle", "team mean (1-7)", "95% interval", "n", "reached"),
                value_profile_rows(profile, team),
            )
        )
    return Section("value", VALUE_TITLE, lead, tuple(blocks))
