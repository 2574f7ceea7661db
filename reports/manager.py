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
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from analysis.pipeline import AnalysisResults
from analysis.scoring import item_matrix
from reports import figures
from reports.evaluator import VERDICT_TEXT
from reports.render import render_template
from reports.suppression import DEFAULT_MIN_CELL, Cell, SafeFigure, notice, suppress

__all__ = ["build_manager_brief", "manager_summaries", "manager_summary"]

#: Changes smaller than this (scale points) are described as "about the same".
STEADY = 0.25
PRACTICE = "practice"

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


def _held_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not assessed"
    return "yes" if bool(value) else "no"


def _change_line(
    label: str, before: SafeFigure, after: SafeFigure, change: SafeFigure, min_cell: int
) -> str:
    if change.suppressed:
        return f"{label}: change not shown ({notice(min_cell)})."
    if change.value is None or math.isnan(change.value):
        return f"{label}: change not shown (no data)."
    if abs(change.value) < STEADY:
        return f"{label} stayed about the same ({before.text} then {after.text})."
    verb = "rose" if change.value > 0 else "fell"
    return f"{label} {verb} from {before.text} to {after.text}."


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
        roster = self.results.bundle.roster
        return sorted(int(w) for w in roster.loc[roster["team"] == team, "wave"].unique())

    def collect(self, team: str) -> dict[str, Any]:
        """Register the team's cells; return how to assemble its summary afterwards."""
        plan: dict[str, Any] = {"team": team}
        waves = self.team_waves(team)
        latest = waves[-1]
        previous = waves[-2] if len(waves) >= 2 else None
        plan.update(waves=waves, latest=latest, previous=previous)
        scores = self.scores[self.scores["team"] == team]
        means: dict[tuple[str, int], str] = {}
        for wave in waves:
            at = scores[scores["wave"] == wave]
            for scale in self.scales:
                # practice scales on the composite's respondents: a composite over fewer
                # people than its parts would let their difference reveal the others
                rows = at[at[PRACTICE].notna()] if scale in self.practice else at
                people = _respondents(rows, scale)
                values = rows[scale].to_numpy(dtype=float)
                value = float(np.nanmean(values)) if people else float("nan")
                means[(scale, wave)] = self.add(
                    Cell(
                        f"{team}|mean|{scale}|w{wave}",
                        f"mean:{scale}:w{wave}",
                        people,
                        value,
                        priority=10,
                    )
                )
        plan["means"] = means
        changes: dict[str, str] = {}
        if previous is not None:
            for scale in self.scales:
                a, b = means[(scale, previous)], means[(scale, latest)]
                cell_a, cell_b = self.by_key[a], self.by_key[b]
                value = (
                    float(cell_b.value) - float(cell_a.value)
                    if cell_a.value is not None and cell_b.value is not None
                    else float("nan")
                )
                changes[scale] = self.add(
                    Cell(
                        f"{team}|change|{scale}",
                        f"change:{scale}:w{previous}-w{latest}",
                        cell_a.respondents | cell_b.respondents,
                        value,
                        priority=10,
                        depends_on=(a, b),
                        digits=2,
                    )
                )
        plan["changes"] = changes
        # professions at the latest wave: a breakdown of the team's practice mean
        parts: list[tuple[str, str]] = []
        if PRACTICE in self.scales:
            at = scores[(scores["wave"] == latest) & scores[PRACTICE].notna()]
            for profession, group in at.groupby("profession", sort=True):
                parts.append(
                    (
                        str(profession),
                        self.add(
                            Cell(
                                f"{team}|mean|{PRACTICE}|w{latest}|{profession}",
                                f"mean:{PRACTICE}:w{latest}",
                                _respondents(group, PRACTICE),
                                float(group[PRACTICE].mean()),
                                priority=0,
                                parent=means[(PRACTICE, latest)],
                            )
                        ),
                    )
                )
        plan["professions"] = parts
        # agreement: weakest rwg(j) over the practice scales at the latest wave
        agreement = self.results.agreement
        rows = agreement[
            (agreement["team"] == team)
            & (agreement["wave"] == latest)
            & agreement["scale"].isin(self.practice)
        ]
        plan["agreement"] = None
        if not rows.empty and rows["rwg_j"].notna().any():
            weakest = rows.sort_values("rwg_j").iloc[0]
            scale = str(weakest["scale"])
            items = self.items[(self.items["team"] == team) & (self.items["wave"] == latest)]
            item_ids = list(self.results.bundle.instrument.scale(scale).item_ids)
            complete = items.dropna(subset=item_ids)
            plan["agreement"] = (
                self.add(
                    Cell(
                        f"{team}|rwg|w{latest}",
                        f"rwg:practice:w{latest}",
                        frozenset(str(r) for r in complete["respondent"]),
                        float(weakest["rwg_j"]),
                        priority=10,
                        digits=2,
                    )
                ),
                float(weakest["rwg_j_null95"]),
            )
        # knowledge ties across professions at the latest wave
        network = self.results.network
        net = network[(network["team"] == team) & (network["wave"] == latest)]
        plan["network"] = None
        if not net.empty and bool(net["meaningful"].iloc[0]):
            roster = self.results.bundle.roster
            answered = roster[
                (roster["team"] == team) & (roster["wave"] == latest) & roster["responded"]
            ]
            plan["network"] = self.add(
                Cell(
                    f"{team}|network|w{latest}",
                    f"network:w{latest}",
                    frozenset(str(r) for r in answered["respondent"]),
                    float(net["cross_ratio_profession"].iloc[0]),
                    priority=10,
                    digits=2,
                )
            )
        # the verdict rests on those who answered every practice item at the last wave it
        # counted (the respondents the formation criteria count)
        formation = self.results.formation
        row = formation[formation["team"] == team].iloc[0].to_dict()
        plan["formation"] = row
        plan["verdict"] = None
        if row["verdict"] != "insufficient_data" and pd.notna(row.get("last_wave")):
            items = self.items[
                (self.items["team"] == team) & (self.items["wave"] == int(row["last_wave"]))
            ]
            complete = items.dropna(subset=self.practice_items)
            # the verdict's signs say on which side of each threshold that wave's means,
            # agreement and ties lie: it is withheld whenever any of those is (derived), or an
            # overlapping team's page would let a reader bracket the people the teams differ by
            verdict_wave = int(row["last_wave"])
            plan["verdict"] = self.add(
                Cell(
                    f"{team}|verdict",
                    f"verdict:{team}",
                    frozenset(str(r) for r in complete["respondent"]),
                    None,
                    priority=10,
                    depends_on=(
                        *(
                            means[(scale, verdict_wave)]
                            for scale in self.scales
                            if (scale, verdict_wave) in means
                        ),
                        *((plan["agreement"][0],) if plan["agreement"] is not None else ()),
                        *((plan["network"],) if plan["network"] is not None else ()),
                    ),
                )
            )
        # the intervention: before and after are published means; the change is derived
        interventions = self.results.bundle.interventions
        plan["interventions"] = []
        for item in _rows(interventions[interventions["team"] == team]):
            wave = int(item["wave"])
            before = max((w for w in waves if w < wave), default=None)
            entry: dict[str, Any] = {
                "wave": wave,
                "kind": str(item["kind"]),
                "description": str(item["description"]),
                "before_wave": before,
                "cells": None,
            }
            if before is not None and wave in waves and PRACTICE in self.scales:
                a, b = means[(PRACTICE, before)], means[(PRACTICE, wave)]
                cell_a, cell_b = self.by_key[a], self.by_key[b]
                change = self.add(
                    Cell(
                        f"{team}|intervention|w{wave}",
                        f"change:{PRACTICE}:w{before}-w{wave}",
                        cell_a.respondents | cell_b.respondents,
                        float(cell_b.value) - float(cell_a.value)
                        if cell_a.value is not None and cell_b.value is not None
                        else float("nan"),
                        priority=10,
                        depends_on=(a, b),
                        digits=2,
                    )
                )
                entry["cells"] = (a, b, change)
            plan["interventions"].append(entry)
        return plan

    def study_effects(self) -> list[dict[str, Any]]:
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
            clear = bool(row["ci_low"] > 0 or row["ci_high"] < 0)
            out.append(
                {
                    "key": key,
                    "scale": str(row["outcome"]),
                    "label": self.labels.get(str(row["outcome"]), str(row["outcome"])),
                    "ci_low": float(row["ci_low"]),
                    "ci_high": float(row["ci_high"]),
                    "teams": int(row["n_treated_teams"]),
                    "clear": clear,
                }
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


def _assemble(
    builder: _Builder,
    plan: dict[str, Any],
    shown: dict[str, SafeFigure],
    effects: list[dict[str, Any]],
) -> dict[str, Any]:
    team, latest, previous = plan["team"], plan["latest"], plan["previous"]
    min_cell = builder.min_cell
    labels = builder.scale_labels
    roster = builder.results.bundle.roster
    roster = roster[roster["team"] == team]
    participation = [
        {"wave": int(w), "invited": len(g), "responded": int(g["responded"].sum())}
        for w, g in roster.groupby("wave", sort=True)
    ]
    figures_out = [
        _figure_dict(shown[key], scale=scale, label=labels[scale], wave=wave, kind="team mean")
        for (scale, wave), key in plan["means"].items()
    ]
    table = []
    change_lines = []
    for scale in builder.scales:
        latest_fig = shown[plan["means"][(scale, latest)]]
        previous_fig = shown[plan["means"][(scale, previous)]] if previous is not None else None
        change_fig = shown[plan["changes"][scale]] if scale in plan["changes"] else None
        table.append(
            {
                "scale": scale,
                "label": labels[scale],
                "previous": previous_fig.text if previous_fig else "-",
                "previous_suppressed": bool(previous_fig and previous_fig.suppressed),
                "latest": latest_fig.text,
                "latest_suppressed": latest_fig.suppressed,
                "n": latest_fig.n,
                "change": (
                    "-"
                    if change_fig is None
                    else change_fig.text
                    if change_fig.suppressed or change_fig.value is None
                    else f"{round(change_fig.value, 2) + 0.0:+.2f}"
                ),
                "change_suppressed": bool(change_fig and change_fig.suppressed),
            }
        )
        if (
            change_fig is not None
            and previous_fig is not None
            and scale
            in (
                PRACTICE,
                "collaborative_identity",
            )
        ):
            change_lines.append(
                _change_line(
                    labels[scale].split(" (")[0], previous_fig, latest_fig, change_fig, min_cell
                )
            )

    row = plan["formation"]
    code = str(row["verdict"])
    label, meaning = VERDICT_TEXT.get(code, (code, ""))
    verdict: dict[str, Any]
    if plan["verdict"] is not None and shown[plan["verdict"]].suppressed:
        verdict = {
            "code": None,
            "label": "Not shown",
            "headline": notice(min_cell).capitalize() + " at the wave the verdict rests on.",
            "explanation": "",
            "suppressed": True,
            "signs": [],
        }
    else:
        signs = (
            []
            if code == "insufficient_data"
            else [
                {"sign": text, "held": _held_text(row.get(f"{name}_held"))} for name, text in _SIGNS
            ]
        )
        verdict = {
            "code": code,
            "label": label,
            "headline": _HEADLINES.get(code, label),
            "explanation": meaning[:1].upper() + meaning[1:] + "." if meaning else "",
            "suppressed": False,
            "signs": signs,
        }

    agreement: dict[str, Any] | None = None
    if plan["agreement"] is not None:
        key, null = plan["agreement"]
        fig = shown[key]
        if fig.suppressed:
            line = f"Whether members share a view: {notice(min_cell)}."
        elif fig.value is not None and fig.value >= 0.7 and fig.value > null:
            line = (
                f"Members largely share a view of how the team works "
                f"(agreement {fig.text} on a 0 to 1 scale)."
            )
        else:
            line = (
                f"Members do not yet share a view of how the team works "
                f"(agreement {fig.text} on a 0 to 1 scale; 0.70 and more than chance is shared)."
            )
        agreement = _figure_dict(fig, line=line, label="Agreement (weakest practice scale)")
    network: dict[str, Any] | None = None
    if plan["network"] is not None:
        fig = shown[plan["network"]]
        if fig.suppressed:
            line = f"Knowledge exchange across professions: {notice(min_cell)}."
        elif fig.value is not None and fig.value >= 0.7:
            line = (
                "Work knowledge is exchanged across professions "
                f"({fig.text} times what random mixing would give; 1 = as mixed as chance)."
            )
        else:
            line = (
                "Work knowledge mostly stays inside professions "
                f"({fig.text} times what random mixing would give; 1 = as mixed as chance)."
            )
        network = _figure_dict(fig, line=line, label="Knowledge ties across professions")

    interventions = []
    for entry in plan["interventions"]:
        item: dict[str, Any] = {
            "wave": entry["wave"],
            "kind": entry["kind"],
            "description": entry["description"],
        }
        if entry["cells"] is None:
            item["line"] = (
                f"{entry['kind'].capitalize()} before wave {entry['wave']}: "
                "no wave before and after it to compare yet."
            )
        else:
            a, b, c = (shown[k] for k in entry["cells"])
            item.update(before=a.text, after=b.text, change=c.text)
            if c.suppressed:
                item["line"] = (
                    f"{entry['kind'].capitalize()} before wave {entry['wave']}: "
                    f"the before-and-after comparison is {notice(min_cell)}."
                )
            else:
                item["line"] = (
                    f"{entry['kind'].capitalize()} before wave {entry['wave']}: practice "
                    f"overall went from {a.text} (wave {entry['before_wave']}) to {b.text} "
                    f"(wave {entry['wave']})."
                )
        interventions.append(item)
    study = []
    for effect in effects:
        fig = shown[effect["key"]]
        study.append(
            {
                "label": effect["label"],
                "text": fig.text,
                "suppressed": fig.suppressed,
                "interval": f"{effect['ci_low']:+.2f} to {effect['ci_high']:+.2f}",
                "plain": "a clear rise"
                if effect["clear"] and effect["ci_low"] > 0
                else "a clear fall"
                if effect["clear"]
                else "no clear change",
                "teams": effect["teams"],
            }
        )

    parts = [(p, shown[k]) for p, k in plan["professions"]]
    breakdown_shown = bool(parts) and all(not f.suppressed for _, f in parts)
    breakdown = {
        "shown": breakdown_shown,
        "rows": [{"profession": p, "text": f.text, "n": f.n} for p, f in parts]
        if breakdown_shown
        else [],
        "note": ""
        if breakdown_shown
        else "Not shown by profession: at least one professional group has fewer than "
        f"{min_cell} responses, or its figure could be worked out from the others.",
    }

    latest_part = next(p for p in participation if p["wave"] == latest)
    lines = [
        f"At wave {latest}, {latest_part['responded']} of {latest_part['invited']} members "
        "answered.",
        *change_lines,
    ]
    if agreement:
        lines.append(agreement["line"])
    if network:
        lines.append(network["line"])
    lines.extend(i["line"] for i in interventions)
    return {
        "team": team,
        "min_cell": min_cell,
        "waves": plan["waves"],
        "latest_wave": latest,
        "previous_wave": previous,
        "verdict": verdict,
        "participation": participation,
        "figures": figures_out,
        "table": table,
        "changes": change_lines,
        "agreement": agreement,
        "network": network,
        "interventions": interventions,
        "study_effects": study,
        "profession_breakdown": breakdown,
        "lines": lines,
    }


def manager_summaries(
    results: AnalysisResults, teams: Sequence[str], min_cell: int = DEFAULT_MIN_CELL
) -> list[dict[str, Any]]:
    """:func:`manager_summary` for several teams, with suppression applied across them jointly.

    Use this whenever one person sees several teams at once (a manager of two overlapping
    teams): the figures of both teams are checked against each other, so a member in both
    cannot be isolated by comparing them.
    """
    chosen = _team_check(results, list(teams), min_cell)
    builder = _Builder(results, chosen, min_cell)
    plans = [builder.collect(team) for team in chosen]
    effects = builder.study_effects()
    shown = suppress(builder.cells, min_cell)
    return [_assemble(builder, plan, shown, effects) for plan in plans]


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


def _trend(summary: dict[str, Any], name: str) -> Any:
    series: dict[str, list[tuple[int, float | None]]] = {}
    wanted = {PRACTICE: "practice overall", "collaborative_identity": "identify with team"}
    for fig in summary["figures"]:
        if fig["scale"] in wanted:
            value = None if fig["suppressed"] else fig["value"]
            if value is not None and math.isnan(value):
                value = None
            series.setdefault(wanted[fig["scale"]], []).append((fig["wave"], value))
    if not any(v is not None for points in series.values() for _, v in points):
        return None
    marks = [(i["wave"], i["kind"]) for i in summary["interventions"]]
    return figures.trend_figure(series, waves=summary["waves"], marks=marks, name=name, width=3.6)


def build_manager_brief(
    results: AnalysisResults,
    team: str | Sequence[str] | None = None,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
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
    instrument = results.bundle.instrument
    return brief_html(summaries, title=f"{instrument.title}: manager brief", min_cell=min_cell)


def brief_html(summaries: Sequence[dict[str, Any]], *, title: str, min_cell: int) -> str:
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

    Returns
    -------
    str
        HTML with inline SVG trend charts and no external resource.
    """
    pages = []
    for i, summary in enumerate(summaries):
        pages.append({"summary": summary, "chart": _trend(summary, f"trend-{i}")})
    return render_template(
        "manager.html.j2",
        title=title,
        generated=datetime.now(UTC).strftime("%d %B %Y"),
        pages=pages,
        min_cell=min_cell,
        notice=notice(min_cell),
        audience="manager",
    )
