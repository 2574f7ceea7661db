"""The measurement-invariance table of the evaluator report and the identity comparison's wording."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.invariance import MIN_GROUP_SIZE
from reports.blocks import Block, Bullets, Heading, Paragraph, Table, Td
from reports.render import fmt_number

__all__ = ["LEVEL_TONE", "identity_comparison", "invariance_blocks"]

#: Invariance level reached -> table cell tone (scalar is what comparing means needs).
LEVEL_TONE = {"scalar": "good", "metric": "fair", "configural": "bad"}

_COMPARISONS = (
    ("waves", "waves"),
    ("professions", "professions"),
    ("identity targets", "the three targets"),
)

_MEANING = {
    "scalar": "the items work alike, so means can be compared",
    "metric": "the items weigh alike but are answered at different levels, so changes and "
    "relations can be compared, means only with caution",
    "configural": "the items do not relate to the construct alike, so the figures are not on "
    "one scale",
}


def _signed(value: Any) -> str:
    """A change to three decimals with its sign (none for a change that rounds to zero)."""
    text = fmt_number(value, 3)
    if text == "n/a":
        return text
    if float(text) == 0:
        return "0.000"
    return text if text.startswith("-") else f"+{text}"


def _step(rows: pd.DataFrame, level: str) -> str | Td:
    """The change in fit at one step; muted once an earlier step failed (it no longer counts)."""
    row = rows[rows["level"] == level]
    if row.empty:
        return Td("-", "muted")
    r = row.iloc[0]
    holds = r["holds"]
    text = f"ΔCFI {_signed(r['delta_cfi'])}, ΔRMSEA {_signed(r['delta_rmsea'])}"
    metric = rows[rows["level"] == "metric"]["holds"]
    metric_failed = level == "scalar" and len(metric) > 0 and _decided(metric.iloc[0]) is False
    if _decided(holds) is None or metric_failed:
        return Td(text, "muted")
    return Td(text, "good" if bool(holds) else "bad")


def _given(text: Any) -> bool:
    return text is not None and not (isinstance(text, float) and pd.isna(text)) and bool(str(text))


def _decided(holds: Any) -> bool | None:
    return None if holds is None or pd.isna(holds) else bool(holds)


def _configural(rows: pd.DataFrame) -> str:
    r = rows[rows["level"] == "configural"].iloc[0]
    return f"CFI {fmt_number(r['cfi'], 3)}, RMSEA {fmt_number(r['rmsea'], 3)}"


def _reached(rows: pd.DataFrame) -> str | None:
    value = rows["reached"].iloc[0]
    return None if value is None or pd.isna(value) else str(value)


def _summary(invariance: pd.DataFrame, labels: Mapping[str, str]) -> list[str]:
    lines = []
    for comparison, _ in _COMPARISONS[:2]:
        block = invariance[invariance["comparison"] == comparison]
        if block.empty:
            continue
        reached = {str(scale): _reached(rows) for scale, rows in block.groupby("scale", sort=False)}
        tested = {s: level for s, level in reached.items() if level is not None}
        scalar = [labels.get(s, s) for s, level in tested.items() if level == "scalar"]
        short = [
            f"{labels.get(s, s)} ({level})" for s, level in tested.items() if level != "scalar"
        ]
        untested = [labels.get(s, s) for s, level in reached.items() if level is None]
        text = (
            f"Across {comparison}: {len(scalar)} of {len(reached)} scales reach scalar invariance"
        )
        if short:
            text += "; not " + ", ".join(short)
        if untested:
            text += "; not tested: " + ", ".join(untested)
        lines.append(text + ".")
    identity = invariance[invariance["comparison"] == "identity targets"]
    if not identity.empty:
        level = _reached(identity)
        lines.append(
            f"Across the three identity targets: {level} (see the identity section)."
            if level
            else "Across the three identity targets: not tested (see the identity section)."
        )
    return lines


def invariance_blocks(invariance: pd.DataFrame, labels: Mapping[str, str]) -> tuple[Block, ...]:
    """Heading, summary, the table of :func:`analysis.invariance_table` and its notes.

    One row per scale and comparison: the configural model's fit, the change in CFI and RMSEA
    when loadings (metric) and then intercepts (scalar) are held equal, coloured by whether
    the step holds, and the level reached.
    """
    if invariance.empty:
        return ()
    blocks: list[Block] = [
        Heading("Does each scale measure the same thing across waves and professions?"),
        Paragraph(
            "A change in a scale's mean means a change in what it measures only when the items "
            "work alike for everyone compared: equal loadings (metric invariance) and equal "
            "intercepts (scalar invariance). Each level holds when CFI falls by no more than "
            ".010 and RMSEA rises by no more than .015 from the level before (Cheung & "
            "Rensvold 2002; Chen 2007). " + " ".join(_summary(invariance, labels))
        ),
    ]
    rows: list[tuple[str | Td, ...]] = []
    notes: list[str] = []
    left_out: list[str] = []
    for comparison, across in _COMPARISONS:
        block = invariance[invariance["comparison"] == comparison]
        for scale, scale_rows in block.groupby("scale", sort=False):
            label = (
                "Identification (team, profession, organisation)"
                if comparison == "identity targets"
                else labels.get(str(scale), str(scale))
            )
            first = scale_rows.iloc[0]
            if _given(first.get("left_out")):
                left_out.append(f"{label}: {first['left_out']}")
            if _given(first.get("note")):
                notes.append(f"{label} across {across}: {first['note']}")
            if scale_rows["level"].isna().all():
                rows.append((label, across, Td("not tested", "muted"), "-", "-", "-", "-"))
                continue
            reached = _reached(scale_rows)
            groups = str(scale_rows["groups"].iloc[0])
            rows.append(
                (
                    label,
                    f"{across} ({groups})" if comparison != "identity targets" else across,
                    str(int(scale_rows["n"].iloc[0])),
                    _configural(scale_rows),
                    _step(scale_rows, "metric"),
                    _step(scale_rows, "scalar"),
                    Td(reached, LEVEL_TONE[reached])
                    if reached
                    else Td("no level (a model did not converge)", "muted"),
                )
            )
    blocks.append(
        Table(
            "Measurement invariance per scale (maximum likelihood with a mean structure, as "
            "lavaan)",
            ("scale", "compared across", "n", "configural fit", "metric", "scalar", "reached"),
            tuple(rows),
            note="n counts responses: a member answering at several waves counts once per "
            "wave, and members are nested in teams, which the chi-square does not allow for. "
            "Scalar: " + _MEANING["scalar"] + "; metric: " + _MEANING["metric"] + "; "
            "configural: " + _MEANING["configural"] + ".",
        )
    )
    if left_out:
        blocks.append(
            Paragraph(
                f"Left out of the comparisons, with fewer than {MIN_GROUP_SIZE} complete "
                "responses on the scale: " + "; ".join(left_out) + "."
            )
        )
    if notes:
        blocks.append(Bullets(tuple(notes)))
    return tuple(blocks)


def identity_comparison(invariance: pd.DataFrame) -> tuple[str | None, str]:
    """The invariance level the identity items reached across their three targets, and how the
    report may word the comparison of team, profession and organisation identification.

    Returns
    -------
    tuple
        ``(level, text)``: ``level`` is ``"scalar"``, ``"metric"``, ``"configural"`` or None
        (not tested); ``text`` is the plain-English reading the identity section shows.
    """
    rows = (
        invariance[invariance["comparison"] == "identity targets"]
        if not invariance.empty
        else invariance
    )
    if rows.empty or rows["level"].isna().all():
        reason = str(rows["note"].iloc[0]) if not rows.empty else "no invariance test was run"
        return None, (
            "Whether the identity items work alike for the team, the profession and the "
            f"organisation was not tested ({reason}): the three means below are shown side by "
            "side, but whether they lie on one scale is unknown."
        )
    level = _reached(rows)
    scalar = rows[rows["level"] == "scalar"].iloc[0]
    metric = rows[rows["level"] == "metric"].iloc[0]
    if level == "scalar":
        return level, (
            "The identity items work alike for the three targets (scalar invariance: equal "
            "loadings and intercepts held, CFI changed by "
            f"{_signed(scalar['delta_cfi'])}), so the three means lie on one scale and the "
            "gap between identification with the team and with the profession can be read "
            "directly."
        )
    if level == "metric":
        return level, (
            "The identity items weigh alike for the three targets (metric invariance) but are "
            "answered at different levels for each (scalar invariance not reached: CFI changed "
            f"by {_signed(scalar['delta_cfi'])}). Part of the gap between the three means may "
            "come from how the items read for each target rather than from identification "
            "itself: compare how the gaps change between waves, not their size."
        )
    return level, (
        "The identity items do not relate to identification alike for the three targets "
        f"(metric invariance not reached: CFI changed by {_signed(metric['delta_cfi'])}, "
        f"RMSEA by {_signed(metric['delta_rmsea'])}), so the three means are not on one scale: "
        "the gaps below describe answers, not differences in identification."
    )
