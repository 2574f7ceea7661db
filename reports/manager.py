"""The manager brief: one plain-language page per team, aggregates only, small cells suppressed.

What a manager sees, per team: whether the community of practice is forming (the verdict in
plain words and which signs are present), how many members answered, the team means of each
scale at the latest and the previous wave and what changed, whether members share a view,
whether knowledge crosses professions, and what the team's intervention did. Never: an
individual answer, free text, a respondent pseudonym, or any figure resting on fewer than
``min_cell`` respondents (see :mod:`reports.suppression` for the rules; every figure on the
page, and every point of its chart, goes through one :func:`reports.suppression.suppress`
call, jointly for all teams of a brief, so overlapping teams are checked against each other).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from analysis.formation import Criterion, TeamVerdict
from analysis.pipeline import AnalysisResults
from analysis.scoring import item_matrix
from analysis.summaries import mean_change
from analysis.value_creation import CYCLES
from reports import figures
from reports.disclosure import Release, ReleasedCell, check_release, published_cells
from reports.document import DocumentIdentity, document_identity, wave_range
from reports.labels import (
    VERDICT_MEANINGS,
    criterion_tone,
    ddf_plain,
    verdict_label,
    verdict_tone,
)
from reports.render import render_template
from reports.suppression import (
    COMPLEMENTARY,
    DEFAULT_MIN_CELL,
    DERIVED,
    EARLIER,
    Cell,
    SafeFigure,
    displayed,
)

__all__ = [
    "brief_chart",
    "build_manager_brief",
    "manager_release",
    "manager_summaries",
    "manager_summary",
]

PRACTICE = "practice"

_FEW_SCALE = "people answered enough of its questions to be counted"
_FEW = {PRACTICE: "people answered enough of the practice questions to be counted"}
"""What "fewer than N ..." counts when a scale's figure rests on too few people."""

_HEADLINES = {
    "formed": "Yes: the team works as a community of practice.",
    "forming": "It is forming: practice is rising, but has not yet reached the level of a "
    "formed community.",
    "uniprofessional_enclaves": "Not as one team: members engage, but mostly within their "
    "own professions.",
    "not_formed": "Not yet: there is no clear sign of a community of practice so far.",
    "insufficient_data": "Too few responses to tell.",
}

_SIGNS = (
    ("practice_level", "Members rate how they work together highly"),
    ("practice_change", "Those ratings are rising clearly"),
    ("agreement", "Members see the team in much the same way"),
    ("identity", "Members identify with the team"),
    ("boundaries", "Knowledge is exchanged across professions"),
    ("profession_split", "Ratings split along professional lines (a warning sign)"),
)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts (column name -> value)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _team_check(results: AnalysisResults, teams: Sequence[str], min_cell: int) -> list[str]:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ValueError(f"min_cell must be a whole number of at least 1, got {min_cell!r}")
    known = results.bundle.teams
    unknown = [t for t in teams if t not in known]
    if unknown:
        raise ValueError(f"unknown team(s) {unknown}; the study has {known}")
    if not teams:
        raise ValueError("no team given")
    return list(dict.fromkeys(teams))


def _respondents(frame: pd.DataFrame, column: str) -> frozenset[str]:
    return frozenset(str(r) for r in frame.loc[frame[column].notna(), "respondent"])


def _shown_change(before: Cell, after: Cell) -> float:
    """The change from ``before`` to ``after`` as their displayed values give it.

    Computed from the rounded means, a change adds no precision to the figures it joins:
    4.2 then 4.5 is +0.3 whatever the unrounded means were.

    Examples
    --------
    >>> a = Cell("a", "m", frozenset("abcde"), 4.2143, wave=1)
    >>> b = Cell("b", "m", frozenset("abcde"), 4.5499, wave=2)
    >>> _shown_change(a, b)
    0.3
    """
    first, last = displayed(before.value, before.digits), displayed(after.value, after.digits)
    if first is None or last is None:
        return float("nan")
    return round(last - first, max(before.digits, after.digits)) + 0.0


def _held_text(criterion: Criterion) -> str:
    if criterion.held is None:  # a test that could not tell the team from chance: unclear
        return "not assessed" if criterion.p is None else "unclear"
    return "yes" if criterion.held else "no"


def _change_words(change: SafeFigure | None, clear: bool) -> str:
    """One rule for every scale: a rise or a fall only when the interval of the change
    excludes zero (:func:`analysis.summaries.mean_change`), else "about the same"."""
    if change is None or change.suppressed or change.value is None or math.isnan(change.value):
        return ""
    if not clear:
        return "about the same"
    return "a clear rise" if change.value > 0 else "a clear fall"


def _withheld(fig: SafeFigure, min_cell: int, few: str, subject: str = "it") -> str:
    """Why ``fig`` is not shown, in words a manager understands and true beside any count.

    ``few`` completes "fewer than N ..." for a figure withheld because too few people stand
    behind it (say "people answered enough practice questions to be counted"); a figure
    withheld for another reason may rest on many people and must not claim too few.

    Examples
    --------
    >>> def fig(reason):
    ...     return SafeFigure("k", None, None, True, reason, "")
    >>> _withheld(fig("primary"), 5, "people answered its questions")
    'fewer than 5 people answered its questions'
    >>> _withheld(fig("complementary"), 5, "people answered its questions")
    "it could be combined with other figures to reveal a few people's answers"
    """
    if fig.reason == COMPLEMENTARY:
        return f"{subject} could be combined with other figures to reveal a few people's answers"
    if fig.reason == EARLIER:
        return (
            f"{subject} could be combined with figures published before to reveal a few "
            "people's answers"
        )
    if fig.reason == DERIVED:
        return f"{subject} rests on a figure that is not shown"
    return f"fewer than {min_cell} {few}"


def _change_withheld(
    before: SafeFigure,
    after: SafeFigure,
    change: SafeFigure,
    waves: tuple[int, int],
    min_cell: int,
    few: str,
) -> str:
    """Why a change is not shown: its own reason, or that of the wave figure it rests on."""
    if change.reason != DERIVED:
        return _withheld(change, min_cell, few, "the change")
    for fig, wave in ((after, waves[1]), (before, waves[0])):
        if fig.suppressed:
            return f"at wave {wave}, " + _withheld(fig, min_cell, few, "that wave's figure")
    return _withheld(change, min_cell, few, "the change")


def _change_line(
    label: str,
    before: SafeFigure,
    after: SafeFigure,
    change: SafeFigure,
    min_cell: int,
    clear: bool,
    *,
    waves: tuple[int, int],
    few: str,
) -> str:
    if change.suppressed:
        why = _change_withheld(before, after, change, waves, min_cell, few)
        return f"{label}: change not shown ({why})."
    if change.value is None or math.isnan(change.value):
        return f"{label}: change not shown (no data)."
    if not clear:
        return (
            f"{label} stayed about the same ({before.text} then {after.text}; a change this "
            "size is within what chance gives with this many people)."
        )
    verb = "rose clearly" if change.value > 0 else "fell clearly"
    return f"{label} {verb} from {before.text} to {after.text}."


@dataclass
class _InterventionPlan:
    """An intervention of the team and, where a wave before and after it exist, its cells."""

    wave: int
    kind: str
    description: str
    before_wave: int | None
    cells: tuple[str, str, str] | None = None
    clear: bool = False


@dataclass
class _TeamPlan:
    """The cells of one team's page (keys into the builder), and what they rest on."""

    team: str
    waves: list[int]
    latest: int
    previous: int | None
    verdict: TeamVerdict
    means: dict[tuple[str, int], str] = field(default_factory=dict)
    changes: dict[str, str] = field(default_factory=dict)
    clear: dict[str, bool] = field(default_factory=dict)
    professions: list[tuple[str, str]] = field(default_factory=list)
    agreement: tuple[str, float] | None = None
    network: str | None = None
    verdict_cell: str | None = None
    interventions: list[_InterventionPlan] = field(default_factory=list)
    value: dict[str, str] = field(default_factory=dict)
    """Value-creation cycle -> cell key, at the latest counted wave (cop-health version 2)."""


@dataclass(frozen=True)
class _StudyEffect:
    key: str
    scale: str
    label: str
    ci_low: float
    ci_high: float
    teams: int
    clear: bool
    singular: bool = False


class _Builder:
    """Collects every figure of the brief as a cell, then suppresses them all at once."""

    def __init__(self, results: AnalysisResults, teams: list[str], min_cell: int) -> None:
        self.results = results
        self.teams = teams
        self.min_cell = min_cell
        bundle = results.bundle
        instrument = bundle.instrument
        self.labels = {s.id: s.label for s in instrument.scales}
        practice = [
            s for s in results.criteria.get("practice", {}).get("scales", []) if s in self.labels
        ]
        self.practice = practice
        scores = results.scores.copy()
        if practice:
            scores[PRACTICE] = scores[practice].mean(axis=1, skipna=False)
        self.scores = scores
        self.scales = ([PRACTICE] if practice else []) + [
            s
            for s in (
                *practice,
                "collaborative_identity",
                "professional_identity",
                "organisational_identity",
            )
            if s in self.labels
        ]
        self.scale_labels = {
            PRACTICE: "Practice overall (average of the three practice scales)",
            **self.labels,
        }
        self.items = item_matrix(bundle.responses, instrument)
        self.practice_items = [i for s in practice for i in instrument.scale(s).item_ids]
        self.cells: list[Cell] = []
        self.by_key: dict[str, Cell] = {}

    def add(self, cell: Cell) -> str:
        self.cells.append(cell)
        self.by_key[cell.key] = cell
        return cell.key

    def team_waves(self, team: str) -> list[int]:
        """The team's waves that count (the counting rule of the verdicts): a brief shows
        no figure from a team-wave that too few answered."""
        counted = self.results.team_waves
        if counted.empty:
            roster = self.results.bundle.roster
            return sorted(int(w) for w in roster.loc[roster["team"] == team, "wave"].unique())
        rows = counted[(counted["team"] == team) & counted["counted"]]
        return sorted(int(w) for w in rows["wave"])

    def collect(self, team: str) -> _TeamPlan | None:
        """Register the team's cells; None when no wave of the team counts."""
        waves = self.team_waves(team)
        if not waves:
            return None
        plan = _TeamPlan(
            team=team,
            waves=waves,
            latest=waves[-1],
            previous=waves[-2] if len(waves) >= 2 else None,
            verdict=self.results.verdict(team),
        )
        scores = self.scores[self.scores["team"] == team]
        self._means(plan, scores)
        self._changes(plan, scores)
        self._professions(plan, scores)
        self._agreement(plan)
        self._network(plan)
        self._verdict(plan)
        self._interventions(plan, scores)
        self._value(plan)
        return plan

    def _value(self, plan: _TeamPlan) -> None:
        """The team's value-creation profile at its latest counted wave, one cell per cycle
        (suppressed and checked against earlier releases like every other figure)."""
        if not all(item in self.items.columns for _, item in CYCLES):
            return
        items = self.items
        at = items[(items["team"] == plan.team) & (items["wave"] == plan.latest)]
        for cycle, item in CYCLES:
            people = _respondents(at, item)
            value = float(np.nanmean(at[item].to_numpy(dtype=float))) if people else math.nan
            plan.value[cycle] = self.add(
                Cell(
                    f"{plan.team}|value|{item}|w{plan.latest}",
                    f"value:{item}",
                    people,
                    value,
                    priority=10,
                    wave=plan.latest,
                )
            )

    def _rows_for(self, scores: pd.DataFrame, scale: str, wave: int) -> pd.DataFrame:
        # practice scales on the composite's respondents: a composite over fewer people than
        # its parts would let their difference reveal the others
        at = scores[scores["wave"] == wave]
        return at[at[PRACTICE].notna()] if scale in self.practice else at

    def _means(self, plan: _TeamPlan, scores: pd.DataFrame) -> None:
        for wave in plan.waves:
            for scale in self.scales:
                rows = self._rows_for(scores, scale, wave)
                people = _respondents(rows, scale)
                values = rows[scale].to_numpy(dtype=float)
                value = float(np.nanmean(values)) if people else float("nan")
                plan.means[(scale, wave)] = self.add(
                    Cell(
                        f"{plan.team}|mean|{scale}|w{wave}",
                        f"mean:{scale}",  # no wave: the same scale at two waves is comparable
                        people,
                        value,
                        priority=10,
                        wave=wave,
                    )
                )

    def _change(self, key: str, measure: str, before: str, after: str, wave: int) -> str:
        cell_a, cell_b = self.by_key[before], self.by_key[after]
        return self.add(
            Cell(
                key,
                measure,
                cell_a.respondents | cell_b.respondents,
                _shown_change(cell_a, cell_b),
                priority=10,
                depends_on=(before, after),
                wave=wave,
            )
        )

    def _clear(self, scores: pd.DataFrame, scale: str, before: int, after: int) -> bool:
        """Whether the change's interval (analysis.mean_change) excludes zero."""
        one = self._rows_for(scores, scale, before)[scale].to_numpy(dtype=float)
        two = self._rows_for(scores, scale, after)[scale].to_numpy(dtype=float)
        return mean_change(one, two).clear

    def _changes(self, plan: _TeamPlan, scores: pd.DataFrame) -> None:
        if plan.previous is None:
            return
        for scale in self.scales:
            plan.changes[scale] = self._change(
                f"{plan.team}|change|{scale}",
                f"change:{scale}:w{plan.previous}-w{plan.latest}",
                plan.means[(scale, plan.previous)],
                plan.means[(scale, plan.latest)],
                plan.latest,
            )
            plan.clear[scale] = self._clear(scores, scale, plan.previous, plan.latest)

    def _professions(self, plan: _TeamPlan, scores: pd.DataFrame) -> None:
        """Professions at the latest wave: a breakdown of the team's practice mean."""
        if PRACTICE not in self.scales:
            return
        at = scores[(scores["wave"] == plan.latest) & scores[PRACTICE].notna()]
        for profession, group in at.groupby("profession", sort=True):
            key = self.add(
                Cell(
                    f"{plan.team}|mean|{PRACTICE}|w{plan.latest}|{profession}",
                    f"mean:{PRACTICE}",
                    _respondents(group, PRACTICE),
                    float(group[PRACTICE].mean()),
                    priority=0,
                    parent=plan.means[(PRACTICE, plan.latest)],
                    wave=plan.latest,
                )
            )
            plan.professions.append((str(profession), key))

    def _agreement(self, plan: _TeamPlan) -> None:
        """The weakest rwg(j) over the practice scales at the latest wave."""
        agreement = self.results.agreement
        rows = agreement[
            (agreement["team"] == plan.team)
            & (agreement["wave"] == plan.latest)
            & agreement["scale"].isin(self.practice)
        ]
        if rows.empty or not rows["rwg_j"].notna().any():
            return
        weakest = rows.sort_values("rwg_j").iloc[0]
        items = self.items[(self.items["team"] == plan.team) & (self.items["wave"] == plan.latest)]
        item_ids = list(self.results.bundle.instrument.scale(str(weakest["scale"])).item_ids)
        complete = items.dropna(subset=item_ids)
        key = self.add(
            Cell(
                f"{plan.team}|rwg|w{plan.latest}",
                "rwg:practice",
                frozenset(str(r) for r in complete["respondent"]),
                float(weakest["rwg_j"]),
                priority=10,
                digits=2,
                wave=plan.latest,
            )
        )
        plan.agreement = (key, float(weakest["rwg_j_null95"]))

    def _network(self, plan: _TeamPlan) -> None:
        """Knowledge ties across professions at the latest wave, where enough answered."""
        network = self.results.network
        net = network[(network["team"] == plan.team) & (network["wave"] == plan.latest)]
        if net.empty or not bool(net["meaningful"].iloc[0]):
            return
        roster = self.results.bundle.roster
        answered = roster[
            (roster["team"] == plan.team) & (roster["wave"] == plan.latest) & roster["responded"]
        ]
        plan.network = self.add(
            Cell(
                f"{plan.team}|network|w{plan.latest}",
                "network:cross_profession",
                frozenset(str(r) for r in answered["respondent"]),
                float(net["cross_ratio_profession"].iloc[0]),
                priority=10,
                digits=2,
                wave=plan.latest,
            )
        )

    def _verdict(self, plan: _TeamPlan) -> None:
        """The verdict rests on those who answered every practice item at the last counted
        wave; its signs say on which side of each threshold that wave's means, agreement and
        ties lie, so it is withheld whenever any of those is (derived)."""
        judged = plan.verdict
        wave = judged.last_wave
        if judged.verdict == "insufficient_data" or wave is None:
            return
        items = self.items[(self.items["team"] == plan.team) & (self.items["wave"] == wave)]
        complete = items.dropna(subset=self.practice_items)
        plan.verdict_cell = self.add(
            Cell(
                f"{plan.team}|verdict",
                f"verdict:{plan.team}",
                frozenset(str(r) for r in complete["respondent"]),
                None,
                priority=10,
                depends_on=(
                    *(plan.means[(s, wave)] for s in self.scales if (s, wave) in plan.means),
                    *((plan.agreement[0],) if plan.agreement is not None else ()),
                    *((plan.network,) if plan.network is not None else ()),
                ),
            )
        )

    def _interventions(self, plan: _TeamPlan, scores: pd.DataFrame) -> None:
        """Before and after an intervention are published means; the change is derived."""
        interventions = self.results.bundle.interventions
        for item in _rows(interventions[interventions["team"] == plan.team]):
            wave = int(item["wave"])
            before = max((w for w in plan.waves if w < wave), default=None)
            entry = _InterventionPlan(wave, str(item["kind"]), str(item["description"]), before)
            if before is not None and wave in plan.waves and PRACTICE in self.scales:
                a, b = plan.means[(PRACTICE, before)], plan.means[(PRACTICE, wave)]
                change = self._change(plan.team, f"{plan.team}|intervention|w{wave}", a, b, wave)
                entry.cells = (a, b, change)
                entry.clear = self._clear(scores, PRACTICE, before, wave)
            plan.interventions.append(entry)

    def study_effects(self) -> list[_StudyEffect]:
        """Level changes after interventions across all treated teams (study-level model)."""
        effects = self.results.interventions
        if effects.empty:
            return []
        rows = effects[
            (effects["effect"] == "level_change") & effects["outcome"].isin(self.practice)
        ]
        everyone = frozenset(str(r) for r in self.scores["respondent"])
        out = []
        for row in _rows(rows):
            key = self.add(
                Cell(
                    f"study|effect|{row['outcome']}",
                    f"effect:{row['outcome']}",
                    everyone,
                    float(row["estimate"]),
                    priority=20,
                    digits=2,
                )
            )
            out.append(
                _StudyEffect(
                    key=key,
                    scale=str(row["outcome"]),
                    label=self.labels.get(str(row["outcome"]), str(row["outcome"])),
                    ci_low=float(row["ci_low"]),
                    ci_high=float(row["ci_high"]),
                    teams=int(row["n_treated_teams"]),
                    clear=bool(row["ci_low"] > 0 or row["ci_high"] < 0),
                    singular=bool(row.get("singular", False)),
                )
            )
        return out


def _figure_dict(fig: SafeFigure, **extra: Any) -> dict[str, Any]:
    return {
        "key": fig.key,
        "value": fig.value,
        "n": fig.n,
        "suppressed": fig.suppressed,
        "reason": fig.reason,
        "text": fig.text,
        **extra,
    }


def _change_text(change: SafeFigure | None) -> str:
    if change is None:
        return "-"
    if change.suppressed or change.value is None or math.isnan(change.value):
        return change.text
    return f"{change.value:+.1f}"


def _table(
    builder: _Builder, plan: _TeamPlan, shown: Mapping[str, SafeFigure]
) -> list[dict[str, Any]]:
    rows = []
    for scale in builder.scales:
        latest = shown[plan.means[(scale, plan.latest)]]
        previous = shown[plan.means[(scale, plan.previous)]] if plan.previous is not None else None
        change = shown[plan.changes[scale]] if scale in plan.changes else None
        words = _change_words(change, plan.clear.get(scale, False))
        rows.append(
            {
                "scale": scale,
                "label": builder.scale_labels[scale],
                "previous": previous.text if previous else "-",
                "previous_suppressed": bool(previous and previous.suppressed),
                "latest": latest.text,
                "latest_suppressed": latest.suppressed,
                "n": latest.n,
                "change": _change_text(change),
                "change_words": words,
                "change_suppressed": bool(change and change.suppressed),
            }
        )
    return rows


def _change_lines(builder: _Builder, plan: _TeamPlan, shown: Mapping[str, SafeFigure]) -> list[str]:
    lines: list[str] = []
    if plan.previous is None:
        return lines
    for scale in (PRACTICE, "collaborative_identity"):
        if scale not in plan.changes:
            continue
        lines.append(
            _change_line(
                builder.scale_labels[scale].split(" (")[0],
                shown[plan.means[(scale, plan.previous)]],
                shown[plan.means[(scale, plan.latest)]],
                shown[plan.changes[scale]],
                builder.min_cell,
                plan.clear.get(scale, False),
                waves=(plan.previous, plan.latest),
                few=_FEW.get(scale, _FEW_SCALE),
            )
        )
    return lines


def _withheld_reason(fig: SafeFigure, min_cell: int, wave: int | None) -> str:
    """Why the verdict is withheld, in the words a manager needs."""
    at = f" at wave {wave}" if wave is not None else ""
    if fig.reason == "derived":
        return (
            f"A figure it rests on{at} is withheld (fewer than {min_cell} "
            "responses behind it, or it could be worked out from other figures)."
        )
    if fig.reason == "complementary":
        return (
            f"With the other figures on these pages it could be worked out for "
            f"fewer than {min_cell} people{at}."
        )
    return (
        f"Fewer than {min_cell} members answered every question about how the team "
        f"works{at}, and the verdict rests on those who did."
    )


def _verdict_view(
    builder: _Builder, plan: _TeamPlan, shown: Mapping[str, SafeFigure]
) -> dict[str, Any]:
    judged = plan.verdict
    code = judged.verdict
    if plan.verdict_cell is not None and shown[plan.verdict_cell].suppressed:
        return {
            "code": None,
            "tone": "muted",
            "label": "Not shown",
            "headline": _withheld_reason(
                shown[plan.verdict_cell], builder.min_cell, judged.last_wave
            ),
            "explanation": "",
            "suppressed": True,
            "signs": [],
        }
    meaning = VERDICT_MEANINGS.get(code, "")
    signs = (
        []
        if code == "insufficient_data"
        else [
            {
                "sign": text,
                "held": _held_text(judged.criterion(name)),
                "tone": criterion_tone(judged.criterion(name)),
            }
            for name, text in _SIGNS
        ]
    )
    return {
        "code": code,
        "tone": verdict_tone(code),
        "label": verdict_label(judged),
        "headline": _HEADLINES.get(code, verdict_label(judged)),
        "explanation": meaning[:1].upper() + meaning[1:] + "." if meaning else "",
        "suppressed": False,
        "signs": signs,
    }


def _agreement_view(
    builder: _Builder, plan: _TeamPlan, shown: Mapping[str, SafeFigure]
) -> dict[str, Any] | None:
    if plan.agreement is None:
        return None
    key, null = plan.agreement
    fig = shown[key]
    needed = float(builder.results.criteria["emergence"]["rwg_j_min"])
    if fig.suppressed:
        why = _withheld(fig, builder.min_cell, "people answered every question it rests on")
        line = f"Whether members share a view: not shown ({why})."
    elif fig.value is not None and fig.value >= needed and fig.value > null:
        line = (
            f"Members largely share a view of how the team works "
            f"(agreement {fig.text} on a 0 to 1 scale; {needed:.2f} and more than chance is "
            "shared)."
        )
    else:
        line = (
            f"Members do not yet share a view of how the team works "
            f"(agreement {fig.text} on a 0 to 1 scale; {needed:.2f} and more than chance is "
            "shared)."
        )
    return _figure_dict(fig, line=line, label="Agreement (weakest practice scale)")


def _network_view(
    builder: _Builder, plan: _TeamPlan, shown: Mapping[str, SafeFigure]
) -> dict[str, Any] | None:
    if plan.network is None:
        return None
    fig = shown[plan.network]
    needed = float(builder.results.criteria["boundaries"]["cross_ratio_min"])
    if fig.suppressed:
        why = _withheld(fig, builder.min_cell, "members answered")
        line = f"Knowledge exchange across professions: not shown ({why})."
    elif fig.value is not None and fig.value >= needed:
        line = (
            "Work knowledge is exchanged across professions "
            f"({fig.text} times what random mixing would give; 1 = as mixed as chance, "
            f"{needed:.2f} needed)."
        )
    else:
        line = (
            "Work knowledge mostly stays inside professions "
            f"({fig.text} times what random mixing would give; 1 = as mixed as chance, "
            f"{needed:.2f} needed)."
        )
    return _figure_dict(fig, line=line, label="Knowledge ties across professions")


def _intervention_views(
    builder: _Builder, plan: _TeamPlan, shown: Mapping[str, SafeFigure]
) -> list[dict[str, Any]]:
    out = []
    for entry in plan.interventions:
        item: dict[str, Any] = {
            "wave": entry.wave,
            "kind": entry.kind,
            "description": entry.description,
        }
        name = entry.kind[:1].upper() + entry.kind[1:]
        if entry.cells is None:
            item["line"] = (
                f"{name} before wave {entry.wave}: no counted wave before and after it to compare yet."
            )
        else:
            a, b, c = (shown[k] for k in entry.cells)
            item.update(before=a.text, after=b.text, change=c.text)
            if c.suppressed:
                why = _change_withheld(
                    a,
                    b,
                    c,
                    (entry.before_wave or entry.wave, entry.wave),
                    builder.min_cell,
                    _FEW[PRACTICE],
                )
                item["line"] = (
                    f"{name} before wave {entry.wave}: the before-and-after comparison is "
                    f"not shown ({why})."
                )
            else:
                words = _change_words(c, entry.clear)
                item["line"] = (
                    f"{name} before wave {entry.wave}: practice overall went from {a.text} "
                    f"(wave {entry.before_wave}) to {b.text} (wave {entry.wave}): {words}."
                )
        out.append(item)
    return out


def _study_views(
    plan: _TeamPlan, shown: Mapping[str, SafeFigure], effects: Sequence[_StudyEffect]
) -> list[dict[str, Any]]:
    out = []
    for effect in effects:
        fig = shown[effect.key]
        out.append(
            {
                "label": effect.label,
                "text": fig.text,
                "suppressed": fig.suppressed,
                "interval": f"{effect.ci_low:+.2f} to {effect.ci_high:+.2f}",
                "plain": "a clear rise"
                if effect.clear and effect.ci_low > 0
                else "a clear fall"
                if effect.clear
                else "no clear change",
                "teams": effect.teams,
            }
        )
    return out


def _study_lead(effects: Sequence[_StudyEffect]) -> str:
    """How the study-wide estimate's sentence opens: which teams it rests on, counted in words a
    board reads ("Across the 4 teams ...", "For the one team ...")."""
    if not effects:
        return ""
    teams = effects[0].teams
    who = "For the one team" if teams == 1 else f"Across the {teams} teams"
    return f"{who} in the study with an intervention"


def _study_method(ddf: str, effects: Sequence[_StudyEffect]) -> str:
    """A footnote to the study-wide estimate: the df method, in words a manager reads, and
    what a singular fit means for the interval."""
    if not effects:
        return ""
    singular = [e.label for e in effects if e.singular]
    text = ddf_plain(ddf)
    if singular and ddf != "wald":
        text += (
            f" For {' and '.join(singular).lower()} the model could not tell how much teams "
            "differ (a singular fit), so its interval may allow too little for how few teams "
            "there are and be too narrow."
        )
    return text


def _team_course(
    plan: _TeamPlan, interventions: Sequence[Mapping[str, Any]], effects: Sequence[_StudyEffect]
) -> str:
    """How this team's own course relates to the study-wide estimate beside it."""
    if not effects:
        return ""
    if not plan.interventions:
        return (
            "This team had no intervention: it is one of the comparison teams the study-wide "
            "estimate is measured against."
        )
    return (
        "The study-wide figure averages the teams with an intervention, beyond each team's "
        "earlier course; one team's before-and-after (above) can differ from it by chance and "
        "by what else happened in that team."
    )


def _breakdown(plan: _TeamPlan, shown: Mapping[str, SafeFigure], min_cell: int) -> dict[str, Any]:
    parts = [(p, shown[k]) for p, k in plan.professions]
    shown_all = bool(parts) and all(not f.suppressed for _, f in parts)
    return {
        "shown": shown_all,
        "rows": [{"profession": p, "text": f.text, "n": f.n} for p, f in parts]
        if shown_all
        else [],
        "note": ""
        if shown_all
        else "Not shown by profession: at least one professional group has fewer than "
        f"{min_cell} responses, or its figure could be worked out from the others.",
    }


def _participation(builder: _Builder, plan: _TeamPlan) -> list[dict[str, Any]]:
    roster = builder.results.bundle.roster
    roster = roster[roster["team"] == plan.team]
    return [
        {
            "wave": int(str(w)),
            "invited": len(g),
            "responded": int(g["responded"].sum()),
            "counted": int(str(w)) in plan.waves,
        }
        for w, g in roster.groupby("wave", sort=True)
    ]


def _uncounted(builder: _Builder, team: str) -> dict[str, Any]:
    """The page of a team none of whose waves counts: the reason, and no figure at all."""
    roster = builder.results.bundle.roster
    roster = roster[roster["team"] == team]
    participation = [
        {
            "wave": int(str(w)),
            "invited": len(g),
            "responded": int(g["responded"].sum()),
            "counted": False,
        }
        for w, g in roster.groupby("wave", sort=True)
    ]
    coverage = builder.results.criteria["coverage"]
    line = (
        "No wave has counted yet: a wave counts once at least "
        f"{int(coverage['min_respondents'])} members and {float(coverage['min_response_rate']):.0%} "
        "of the team have answered."
    )
    return {
        "team": team,
        "min_cell": builder.min_cell,
        "waves": [],
        "latest_wave": None,
        "previous_wave": None,
        "verdict": {
            "code": "insufficient_data",
            "tone": verdict_tone("insufficient_data"),
            "label": verdict_label("insufficient_data"),
            "headline": _HEADLINES["insufficient_data"],
            "explanation": line,
            "suppressed": False,
            "signs": [],
        },
        "participation": participation,
        "figures": [],
        "table": [],
        "changes": [],
        "agreement": None,
        "network": None,
        "interventions": [],
        "study_effects": [],
        "study_effects_lead": "",
        "team_course": "",
        "profession_breakdown": {"shown": False, "rows": [], "note": ""},
        "lines": [line],
    }


def _value_view(
    builder: _Builder, plan: _TeamPlan, shown: Mapping[str, SafeFigure]
) -> tuple[list[dict[str, Any]], str]:
    """The value profile's rows and a line saying how far along the cycles the team gets,
    judged only on figures that may be shown."""
    if not plan.value:
        return [], ""
    reach = float(builder.results.criteria.get("propositions", {}).get("value_reached", 5.0))
    rows, furthest, known = [], "", True
    for cycle, key in plan.value.items():
        fig = shown[key]
        rows.append(_figure_dict(fig, cycle=cycle))
        if not known:
            continue
        if fig.suppressed or fig.value is None or math.isnan(fig.value):
            known = False
        elif fig.value >= reach:
            furthest = cycle
        else:
            known = False
    if all(row["suppressed"] for row in rows):
        first = shown[next(iter(plan.value.values()))]
        why = _withheld(first, builder.min_cell, "people answered these questions", "they")
        return rows, f"Value to members: not shown ({why})."
    line = (
        f"Value to members: the team reaches {furthest} value (members agree on average, "
        f"{reach:.0f} or more on 1 to 7, with it and every cycle before it)."
        if furthest
        else "Value to members: members do not yet agree on average that taking part is "
        "worthwhile in itself."
    )
    return rows, line


def _assemble(
    builder: _Builder,
    plan: _TeamPlan,
    shown: Mapping[str, SafeFigure],
    effects: Sequence[_StudyEffect],
) -> dict[str, Any]:
    labels = builder.scale_labels
    participation = _participation(builder, plan)
    change_lines = _change_lines(builder, plan, shown)
    agreement = _agreement_view(builder, plan, shown)
    network = _network_view(builder, plan, shown)
    interventions = _intervention_views(builder, plan, shown)
    value_rows, value_line = _value_view(builder, plan, shown)
    latest_part = next(p for p in participation if p["wave"] == plan.latest)
    lines = [
        f"At wave {plan.latest}, {latest_part['responded']} of {latest_part['invited']} members "
        "answered.",
        *change_lines,
        *([agreement["line"]] if agreement else []),
        *([network["line"]] if network else []),
        *(i["line"] for i in interventions),
        *([value_line] if value_line else []),
    ]
    return {
        "team": plan.team,
        "min_cell": builder.min_cell,
        "waves": plan.waves,
        "latest_wave": plan.latest,
        "previous_wave": plan.previous,
        "verdict": _verdict_view(builder, plan, shown),
        "participation": participation,
        "figures": [
            _figure_dict(shown[key], scale=scale, label=labels[scale], wave=wave, kind="team mean")
            for (scale, wave), key in plan.means.items()
        ],
        "table": _table(builder, plan, shown),
        "changes": change_lines,
        "agreement": agreement,
        "network": network,
        "interventions": interventions,
        "study_effects": _study_views(plan, shown, effects),
        "study_effects_lead": _study_lead(effects),
        "study_effects_method": _study_method(builder.results.ddf, effects),
        "team_course": _team_course(plan, interventions, effects),
        "profession_breakdown": _breakdown(plan, shown, builder.min_cell),
        "value_profile": value_rows,
        "value_line": value_line,
        "lines": lines,
    }


def manager_release(
    results: AnalysisResults,
    teams: Sequence[str],
    min_cell: int = DEFAULT_MIN_CELL,
    *,
    earlier: Sequence[Release] = (),
) -> tuple[list[dict[str, Any]], tuple[ReleasedCell, ...]]:
    """The teams' summaries checked against each other and every earlier release, and what
    they publish.

    Parameters
    ----------
    results : AnalysisResults
        :func:`analysis.pipeline.analyse_bundle` output (closed waves only, for a live app).
    teams : sequence of str
        Every team the audience may see (suppression is joint across them).
    min_cell : int
        The smallest number of respondents a figure may rest on.
    earlier : sequence of Release
        Every release the same audience was shown before (:mod:`reports.disclosure`): a figure
        that differs from one of them by 1 to ``min_cell - 1`` respondents is withheld.

    Returns
    -------
    tuple
        The summaries (as :func:`manager_summary` gives them) and the published figures with
        their respondents, to keep as this release (never to show).
    """
    chosen = _team_check(results, list(teams), min_cell)
    builder = _Builder(results, chosen, min_cell)
    plans = {team: builder.collect(team) for team in chosen}
    effects = builder.study_effects()
    shown = check_release(builder.cells, earlier, min_cell)
    summaries = [
        _assemble(builder, plan, shown, effects) if plan is not None else _uncounted(builder, team)
        for team, plan in plans.items()
    ]
    return summaries, published_cells(builder.cells, shown)


def manager_summaries(
    results: AnalysisResults, teams: Sequence[str], min_cell: int = DEFAULT_MIN_CELL
) -> list[dict[str, Any]]:
    """:func:`manager_summary` for several teams, with suppression applied across them jointly.

    Use this whenever one person sees several teams at once (a manager of two overlapping
    teams): the figures of both teams are checked against each other, so a member in both
    cannot be isolated by comparing them. A team none of whose waves counts gets a summary
    that says so and shows no figure. (A view published repeatedly uses
    :func:`manager_release` to be checked against what was shown before.)
    """
    return manager_release(results, teams, min_cell)[0]


def manager_summary(
    results: AnalysisResults, team: str, min_cell: int = DEFAULT_MIN_CELL
) -> dict[str, Any]:
    """A team's manager view as plain data (for the brief and the app's manager dashboard).

    Every number in it has passed small-cell suppression (:mod:`reports.suppression`): a
    suppressed figure has ``value`` and ``n`` None and ``text`` the notice ("suppressed:
    fewer than 5 responses"). It holds no free text, no individual answer and no respondent
    pseudonym, only strings and numbers (JSON-serialisable).

    Parameters
    ----------
    results : AnalysisResults
        :func:`analysis.pipeline.analyse_bundle` output. For a live dashboard, analyse closed
        waves only (see :mod:`reports.suppression` on open waves).
    team : str
        The team.
    min_cell : int
        The smallest number of respondents a figure may rest on (``COPKIT_MIN_CELL``).

    Returns
    -------
    dict
        ``team``, ``min_cell``, ``waves``, ``latest_wave``, ``previous_wave``;
        ``verdict`` (``code`` or None when suppressed, ``label``, ``headline``,
        ``explanation``, ``suppressed``, ``signs``: list of ``{sign, held}``);
        ``participation`` (per wave ``{wave, invited, responded}``);
        ``figures`` (every team mean per scale and wave: ``key, scale, label, wave, value, n,
        suppressed, reason, text``); ``table`` (per scale ``label, previous, latest, change``
        as display text, with ``*_suppressed`` flags and ``n``); ``changes`` (plain-language
        lines); ``agreement`` and ``network`` (a figure with a plain ``line``, or None);
        ``interventions`` (per intervention ``wave, kind, description, line`` and
        ``before/after/change`` texts); ``study_effects`` (the study-wide model's level
        change per practice scale: ``label, text, interval, plain, teams``);
        ``profession_breakdown`` (``shown``, ``rows``, ``note``); ``lines`` (the page's
        plain-language summary, in order).

    Raises
    ------
    ValueError
        For an unknown team or ``min_cell`` below 1.
    """
    return manager_summaries(results, [team], min_cell)[0]


def brief_chart(summary: Mapping[str, Any], name: str) -> Markup | None:
    """The brief's chart of a team from its summary: published figures only (gaps elsewhere).

    Returns None when the summary publishes no figure to draw.
    """
    series: dict[str, list[tuple[int, float | None]]] = {}
    wanted = {PRACTICE: "practice overall", "collaborative_identity": "identify with team"}
    for fig in summary["figures"]:
        if fig["scale"] in wanted:
            value = None if fig["suppressed"] else fig["value"]
            if value is not None and not math.isfinite(value):
                value = None
            series.setdefault(wanted[fig["scale"]], []).append((int(fig["wave"]), value))
    if not any(v is not None for points in series.values() for _, v in points):
        return None
    marks = [(int(i["wave"]), str(i["kind"])) for i in summary["interventions"]]
    return figures.trend_figure(series, waves=summary["waves"], marks=marks, name=name, width=3.6)


def build_manager_brief(
    results: AnalysisResults,
    team: str | Sequence[str] | None = None,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    study: str | None = None,
) -> str:
    """The manager brief as self-contained HTML: one printed page per team.

    Parameters
    ----------
    results : AnalysisResults
        :func:`analysis.pipeline.analyse_bundle` output.
    team : str, sequence of str or None
        One team, several (one page each, suppression checked across them), or None for
        every team of the study.
    min_cell : int
        The smallest number of respondents a figure may rest on.
    study : str, optional
        The study's name, for the title and metadata.

    Raises
    ------
    ValueError
        For an unknown team or ``min_cell`` below 1.
    """
    if team is None:
        teams = results.bundle.teams
    elif isinstance(team, str):
        teams = [team]
    else:
        teams = list(team)
    summaries = manager_summaries(results, teams, min_cell)
    identity = document_identity(results, "manager brief", study=study)
    return brief_html(summaries, title=identity.title, min_cell=min_cell, identity=identity)


def brief_html(
    summaries: Sequence[dict[str, Any]],
    *,
    title: str,
    min_cell: int,
    identity: DocumentIdentity | None = None,
) -> str:
    """Render manager summaries as the brief's self-contained HTML, one printed page each.

    Parameters
    ----------
    summaries : sequence of dict
        :func:`manager_summaries` output (suppression already applied jointly), or summaries
        kept from it (the app's dashboard stores them as JSON).
    title : str
        The document's title.
    min_cell : int
        The suppression threshold the summaries were made with (stated on every page).
    identity : DocumentIdentity, optional
        Title, data period and banner; by default made from ``title`` and the waves the
        summaries cover.

    Returns
    -------
    str
        HTML with inline SVG trend charts and no external resource.
    """
    pages = []
    for i, summary in enumerate(summaries):
        pages.append({"summary": summary, "chart": brief_chart(summary, f"trend-{i}")})
    if identity is None:
        waves = sorted({int(w) for summary in summaries for w in summary["waves"]})
        period = wave_range(waves)
        identity = DocumentIdentity(
            title, "", period, "", f"Manager brief, {period}, made with copkit."
        )
    return render_template(
        "manager.html.j2",
        identity=identity,
        title=title,
        generated=datetime.now(UTC).strftime("%d %B %Y"),
        pages=pages,
        min_cell=min_cell,
        audience="manager",
    )
