"""The evaluator report: every analysis of a study as one self-contained HTML document."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from markupsafe import Markup

from analysis.formation import Criterion, TeamVerdict
from analysis.multiplicity import adjustment_label
from analysis.network import team_graph
from analysis.pipeline import AnalysisResults, software_versions
from analysis.summaries import fitted_trajectories
from reports import figures
from reports.blocks import Bullets, Figure, Heading, Paragraph, Section, Table, Td
from reports.document import document_identity
from reports.figure_batch import FigureBatch
from reports.invariance import identity_comparison, invariance_blocks
from reports.labels import (
    CRITERION_LABELS,
    VERDICT_MEANINGS,
    counts_text,
    criterion_outcome,
    criterion_tone,
    ddf_sentence,
    verdict_counts,
    verdict_label,
    verdict_tone,
)
from reports.network_tests import ALPHA, mixing_cells, persistence_blocks
from reports.propositions import propositions_section, value_creation_section
from reports.render import (
    fmt_count,
    fmt_counted,
    fmt_number,
    fmt_p,
    fmt_percent,
    fmt_signed,
    render_template,
)

__all__ = [
    "SECTION_IDS",
    "build_evaluator_report",
    "evaluator_document",
    "evaluator_sections",
]

Progress = Callable[[str, int, int], None]

#: Section ids of the evaluator report, in order (the HTML anchors).
SECTION_IDS = (
    "summary",
    "study",
    "measurement",
    "trajectories",
    "agreement",
    "identity",
    "networks",
    "formation",
    "interventions",
    "propositions",
    "value",
    "comments",
    "methods",
    "limitations",
)

IDENTITY_SCALES = ("collaborative_identity", "professional_identity", "organisational_identity")


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts (column name -> value)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _software() -> list[tuple[str, str]]:
    return list(software_versions("matplotlib", "jinja2", "weasyprint").items())


class _NoFigures:
    """Stands in for :mod:`reports.figures` when figures are not wanted: draws nothing."""

    def __getattr__(self, name: str) -> Callable[..., Markup]:
        return lambda *args, **kwargs: Markup("")


class _Context:
    """What every section builder needs: the results, labels, the teams shown."""

    def __init__(
        self, results: AnalysisResults, teams: Sequence[str] | None, draw: bool = True
    ) -> None:
        self.results = results
        self.figures = FigureBatch()
        self.draw: Any = self.figures if draw else _NoFigures()
        bundle = results.bundle
        self.bundle = bundle
        self.instrument = bundle.instrument
        known = bundle.teams
        if teams is None:
            self.teams = list(known)
        else:
            unknown = [t for t in teams if t not in known]
            if unknown:
                raise ValueError(f"unknown team(s) {unknown}; the study has {known}")
            self.teams = list(teams)
        self.waves = bundle.waves
        self.labels = {s.id: s.label for s in self.instrument.scales}
        practice = results.criteria.get("practice", {}).get("scales", [])
        self.practice = {s: self.labels[s] for s in practice if s in self.labels}
        self.identity = {s: self.labels[s] for s in IDENTITY_SCALES if s in self.labels}
        scores = results.scores[results.scores["team"].isin(self.teams)]
        self.scores = scores
        means = results.team_means
        self.means = means[means["team"].isin(self.teams)] if not means.empty else means
        marks: dict[str, list[tuple[int, str]]] = {}
        for row in _rows(bundle.interventions):
            marks.setdefault(str(row["team"]), []).append((int(row["wave"]), str(row["kind"])))
        self.marks = marks
        self.formation = results.formation[results.formation["team"].isin(self.teams)]
        self.verdicts = [v for v in results.verdicts if v.team in self.teams]
        counted = results.team_waves
        self.counted: dict[tuple[str, int], dict[str, Any]] = (
            {(str(r["team"]), int(r["wave"])): r for r in _rows(counted)}
            if not counted.empty
            else {}
        )
        self.verdict_wave = {v.team: v.last_wave for v in self.verdicts}
        self.min_network = float(
            results.criteria.get("boundaries", {}).get("min_network_coverage", 0.7)
        )
        self.alpha = float(results.criteria.get("boundaries", {}).get("permutation_alpha", ALPHA))
        professions = sorted(str(p) for p in bundle.roster["profession"].unique())
        self.profession_colours = figures.profession_colours(professions)
        coverage = results.criteria.get("coverage", {})
        self.rule = (
            f"at least {int(coverage.get('min_respondents', 3))} respondents and "
            f"{float(coverage.get('min_response_rate', 0.5)):.0%} of the roster"
        )

    def counts(self, team: str, wave: int) -> bool:
        """Whether the team-wave counts toward the verdicts (see analysis.counted_team_waves)."""
        row = self.counted.get((team, wave))
        return bool(row is not None and row["counted"])

    def reason(self, team: str, wave: int, *, network: bool = False) -> str:
        """Why the team-wave (or its network) does not count; empty when it does."""
        row = self.counted.get((team, wave))
        if row is None:
            return "not counted: no data"
        return str(row["network_reason" if network else "reason"])

    def uncounted(self) -> set[tuple[str, int]]:
        """Team-waves that do not count: figures draw them hollow and grey."""
        return {key for key, row in self.counted.items() if not row["counted"]}

    def only(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty or "team" not in frame:
            return frame
        return frame[frame["team"].isin(self.teams)]


def _summary(ctx: _Context) -> Section:
    roster = ctx.only(ctx.bundle.roster)
    invited, responded = len(roster), int(roster["responded"].sum())
    counts = counts_text(verdict_counts(ctx.verdicts))
    lead = (
        f"This report judges whether the {len(ctx.teams)} engineered communities of practice "
        f"(teams) in this study formed, over {len(ctx.waves)} waves of the "
        f"{ctx.instrument.title} ({ctx.instrument.key}). {responded} of {invited} invitations "
        f"were answered ({fmt_percent(responded / invited if invited else None)}).",
        "Verdicts: " + (counts or "none") + ". Each verdict rests on "
        "stated criteria with stated thresholds (section Formation); the sections in between "
        "show the evidence, plain English first and the statistics beside it.",
    )
    rows = []
    for verdict in ctx.verdicts:
        rows.append(
            (
                verdict.team,
                Td(verdict_label(verdict), verdict_tone(verdict.verdict)),
                VERDICT_MEANINGS.get(verdict.verdict, ""),
            )
        )
    table = Table("Verdict per team", ("team", "verdict", "what it means"), tuple(rows))
    return Section("summary", "Summary", lead, (table,))


def _study(ctx: _Context) -> Section:
    roster = ctx.only(ctx.bundle.roster)
    rates = (
        roster.groupby(["team", "wave"])
        .agg(invited=("respondent", "size"), responded=("responded", "sum"))
        .reset_index()
    )
    lead = (
        "Who was asked and who answered. Every team member on the roster of a wave was "
        "invited; the share who answered decides how far a team's figures speak for the team. "
        "Low response at a wave weakens every later statistic for that team-wave.",
    )
    waves = ctx.waves
    rows: list[tuple[str | Td, ...]] = []
    lookup = {(str(r["team"]), int(r["wave"])): r for r in _rows(rates)}
    for team in ctx.teams:
        cells: list[str | Td] = [team]
        for wave in waves:
            if (team, wave) in lookup:
                r = lookup[(team, wave)]
                share = float(r["responded"]) / float(r["invited"])
                text = f"{int(r['responded'])}/{int(r['invited'])} ({fmt_percent(share)})"
                counted = ctx.counts(team, wave)
                cells.append(
                    Td(text if counted else f"{text} not counted", "" if counted else "muted")
                )
            else:
                cells.append(Td("-", "muted"))
        rows.append(tuple(cells))
    sums = rates.groupby("wave")[["invited", "responded"]].sum().reset_index()
    totals = {int(t["wave"]): t for t in _rows(sums)}
    total_row: list[str | Td] = [Td("all teams", "strong")]
    for wave in waves:
        if wave in totals:
            t = totals[wave]
            total_row.append(
                Td(
                    f"{int(t['responded'])}/{int(t['invited'])} "
                    f"({fmt_percent(float(t['responded']) / float(t['invited']))})",
                    "strong",
                )
            )
        else:
            total_row.append("-")
    rows.append(tuple(total_row))
    response_table = Table(
        "Responded / invited (response rate) per team and wave",
        ("team", *[f"wave {w}" for w in waves]),
        tuple(rows),
        note=f"Grey, not counted: a team-wave counts toward the verdicts with {ctx.rule} "
        "(the formation criteria); the others are left out of every verdict and greyed in "
        "every table and figure of this report.",
    )
    last = roster[roster["wave"] == roster.groupby("team")["wave"].transform("max")]
    composition = []
    for name, members in last.groupby("team", sort=True):
        professions = members["profession"].value_counts().sort_index()
        composition.append(
            (
                str(name),
                str(int(members["wave"].iloc[0])),
                str(len(members)),
                ", ".join(f"{p} {c}" for p, c in professions.items()),
                str(members["organisation"].nunique()),
            )
        )
    composition_table = Table(
        "Team composition at each team's last wave",
        ("team", "wave", "members", "professions", "organisations"),
        tuple(composition),
    )
    figure = Figure(
        ctx.draw.response_rate_figure(rates, uncounted=ctx.uncounted()),
        "Response rate per team and wave (darker = more of the roster answered; white with a "
        "dashed edge: not counted).",
    )
    return Section(
        "study",
        "Study and response rates",
        lead,
        (response_table, figure, composition_table),
    )


def _weak_item_line(
    item: str, label: str, item_text: Mapping[str, str], waves: Sequence[str]
) -> str:
    """One weak item, its wording and the waves at which it is weak, as a sentence."""
    at = f"{'wave' if len(waves) == 1 else 'waves'} {', '.join(waves)}"
    return f"{item} ({label}): “{item_text.get(item, '')}” is weak at {at}"


def _measurement(ctx: _Context) -> Section:
    rel = ctx.results.reliability
    items = ctx.results.item_total
    lead = (
        "Whether each scale measures one thing consistently. Cronbach's alpha and omega total "
        "near 1 mean the items of a scale move together; .70 is the usual floor for research "
        "on groups. An item whose corrected item-total correlation falls below .30 does not "
        "hang together with the rest of its scale and is flagged as weak.",
    )
    waves = sorted(int(w) for w in rel["wave"].unique()) if not rel.empty else []
    rows = []
    for scale, label in ctx.labels.items():
        cells: list[str | Td] = [label]
        for wave in waves:
            r = rel[(rel["scale"] == scale) & (rel["wave"] == wave)]
            if r.empty:
                cells.append(Td("-", "muted"))
                continue
            a = r.iloc[0]
            cells.append(
                Td(
                    f"α {fmt_number(a['alpha'])} [{fmt_number(a['ci_low'])}, "
                    f"{fmt_number(a['ci_high'])}]; ω {fmt_number(a['omega'])}; n {int(a['n'])}",
                    "bad" if float(a["alpha"]) < 0.7 else "",
                )
            )
        rows.append(tuple(cells))
    alpha_table = Table(
        "Cronbach's alpha [Feldt 95% interval] and omega total per scale and wave",
        ("scale", *[f"wave {w}" for w in waves]),
        tuple(rows),
        note="Alpha below .70 is marked. Omega total from a one-factor model fitted by maximum "
        "likelihood (as lavaan).",
    )
    blocks: list[Any] = [alpha_table]
    if not rel.empty:
        blocks.append(
            Figure(
                ctx.draw.reliability_figure(rel, ctx.labels),
                "Alpha with its 95% interval (filled) and omega total (hollow) per wave; "
                "dotted line at .70.",
            )
        )
    blocks.extend(invariance_blocks(ctx.results.invariance, ctx.labels))
    item_text = {i: info.text for i, info in ctx.instrument.items.items()}
    weak_lines = []
    item_rows = []
    for scale, label in ctx.labels.items():
        block = items[items["scale"] == scale]
        for item in dict.fromkeys(block["item"]):
            cells = [Td(f"{item}", "strong"), label]
            flagged_waves = []
            for wave in waves:
                r = block[(block["item"] == item) & (block["wave"] == wave)]
                if r.empty:
                    cells.append(Td("-", "muted"))
                    continue
                weak = bool(r["weak"].iloc[0])
                if weak:
                    flagged_waves.append(str(wave))
                cells.append(Td(fmt_number(r["r_drop"].iloc[0]), "weak" if weak else ""))
            item_rows.append(tuple(cells))
            if flagged_waves:
                weak_lines.append(_weak_item_line(item, label, item_text, flagged_waves))
    blocks.append(Heading("Item-total statistics"))
    weak_count = fmt_counted(len(weak_lines), "item")
    blocks.append(Paragraph(f"Weak items: {weak_count}." if weak_lines else "Weak items: none."))
    if weak_lines:
        blocks.append(Bullets(tuple(weak_lines)))
    blocks.append(
        Table(
            "Corrected item-total correlation (r.drop) per item and wave",
            ("item", "scale", *[f"wave {w}" for w in waves]),
            tuple(item_rows),
            note="Weak items (r.drop < .30) are marked. Reverse-keyed items are scored "
            "min + max - x before every statistic.",
        )
    )
    return Section("measurement", "Measurement quality", lead, tuple(blocks))


def _fitted_lines(ctx: _Context, scale: str) -> tuple[pd.DataFrame, bool]:
    """Each team's fitted line for ``scale`` and whether it has the intervention terms.

    The discontinuous growth model whose effects section Intervention effects quotes, when it
    was fitted; otherwise the straight lines of the growth model (no intervention recorded or
    none estimable yet, so no effects are quoted).
    """
    lines = ctx.only(ctx.results.intervention_trajectories)
    if not lines.empty and scale in set(lines["scale"]):
        chosen = lines[lines["scale"] == scale]
        return chosen[chosen["wave"].isin(ctx.waves)], True
    trajectories = ctx.only(ctx.results.team_trajectories)
    if trajectories.empty:
        return trajectories, False
    return fitted_trajectories(trajectories[trajectories["scale"] == scale], ctx.waves), False


def _trajectories(ctx: _Context) -> Section:
    with_terms = not ctx.only(ctx.results.intervention_trajectories).empty
    model = (
        "The line is the team's fitted trajectory from the discontinuous growth model whose "
        "effects section Intervention effects quotes: it borrows strength across teams and "
        "people, and after a team's intervention it breaks at the dashed line by the "
        "estimated jump and continues with the changed slope; a team without an intervention "
        "keeps a straight line."
        if with_terms
        else "The line is the team's straight trajectory from the growth model, which borrows "
        "strength across teams and people (no intervention effects are estimated yet)."
    )
    lead = (
        "How each team's practice moved from wave to wave. Points are the team's mean score "
        "with a 95% interval (wide when few answered); hollow grey points are team-waves that "
        f"do not count (too few answered) and carry no interval. {model} A dashed line marks "
        "when an intervention began.",
    )
    blocks: list[Any] = []
    growth = ctx.results.growth
    trajectories = ctx.only(ctx.results.team_trajectories)
    for scale, label in {**ctx.practice}.items():
        means = ctx.means[ctx.means["scale"] == scale]
        if means.empty:
            continue
        lines, jumps = _fitted_lines(ctx, scale)
        blocks.append(
            Figure(
                ctx.draw.trajectory_figure(
                    means,
                    label,
                    lines=lines,
                    interventions=ctx.marks,
                    uncounted=ctx.uncounted(),
                    line_label="fitted (intervention model)" if jumps else "fitted (growth model)",
                    name=f"trajectory-{scale}",
                ),
                f"{label}: team means per wave (1-7) with 95% intervals and each team's fitted "
                + (
                    "trajectory from the discontinuous growth model (the jump and change of "
                    "slope after an intervention as estimated in Intervention effects)."
                    if jumps
                    else "trajectory from the growth model."
                ),
            )
        )
    rows = []
    if not growth.empty:
        for row in _rows(growth):
            rows.append(
                (
                    ctx.labels.get(str(row["scale"]), str(row["scale"])),
                    str(row["term"]),
                    fmt_number(row["estimate"]),
                    fmt_number(row["se"]),
                    _fmt_df(row.get("df"), row.get("ddf_note")),
                    Td(f"[{fmt_number(row['ci_low'])}, {fmt_number(row['ci_high'])}]", "nowrap"),
                    Td(fmt_p(row["p"]), "nowrap"),
                    Td(
                        "singular fit: a simpler model is reported (see Methods)"
                        if row["note"]
                        else "-",
                        "weak" if row["note"] else "muted",
                    ),
                )
            )
    blocks.append(
        Table(
            "Growth models: fixed effects (REML; wave in people in teams)",
            ("scale", "term", "estimate", "SE", "df", "95% interval", "p", "note"),
            tuple(rows),
            note="Intercept is the expected score at wave 0 (one wave before the first); "
            "'wave' is the average change per wave across teams. "
            + ddf_sentence(ctx.results.ddf)
            + " The model is written out in Methods."
            + _singular_df_note(growth, ctx.labels),
        )
    )
    if not trajectories.empty:
        team_rows = []
        for row in _rows(trajectories[trajectories["scale"].isin(list(ctx.practice))]):
            rise = _team_change(row)
            team_rows.append(
                (
                    str(row["team"]),
                    ctx.labels.get(str(row["scale"]), str(row["scale"])),
                    fmt_number(row["slope"]),
                    _fmt_df(row.get("slope_df")),
                    Td(
                        f"[{fmt_number(row['slope_ci_low'])}, {fmt_number(row['slope_ci_high'])}]",
                        "nowrap",
                    ),
                    fmt_p(row.get("slope_p_adjusted", row.get("slope_p", float("nan")))),
                    Td(rise, {"rising": "good", "falling": "bad"}.get(rise, "")),
                )
            )
        blocks.append(
            Table(
                "Team-specific slopes per wave (fixed + empirical Bayes team effect)",
                (
                    "team",
                    "scale",
                    "slope per wave",
                    "df",
                    "95% interval",
                    "p (adjusted)",
                    "in plain words",
                ),
                tuple(team_rows),
                note="Each slope is the team's straight growth line over the whole study (the "
                "growth model above); the figures draw the intervention model's line, which steps "
                "at an intervention. Each team's slope is one claim among all teams x scales of "
                "the growth "
                f"models; p is adjusted for them all by {adjustment_label(ctx.results.adjust)}, "
                "and a team is called rising or falling only when its adjusted p is below .05. "
                "Intervals are not adjusted. " + ddf_sentence(ctx.results.ddf),
            )
        )
    return Section("trajectories", "Team trajectories", lead, tuple(blocks))


def _fmt_df(value: Any, singular_note: Any = "") -> str:
    """A t's denominator df to one decimal, starred where a singular fit qualifies it; "-"
    for Wald z (no df) or when missing.

    Examples
    --------
    >>> _fmt_df(2.97), _fmt_df(76.98, "Singular fit: ..."), _fmt_df(float("inf"))
    ('3.0', '77.0*', '-')
    """
    text = fmt_number(value, 1)
    if text == "n/a":
        return "-"
    return text + ("*" if isinstance(singular_note, str) and singular_note else "")


def _singular_df_note(frame: pd.DataFrame, labels: dict[str, str]) -> str:
    """What df mean for the singular fits of ``frame`` (their ``ddf_note``, said once), as a
    sentence for the table's note; empty when no fit is singular."""
    if "ddf_note" not in frame.columns:
        return ""
    notes = frame["ddf_note"].fillna("").astype(str)
    singular = frame[notes != ""]
    if singular.empty:
        return ""
    column = "scale" if "scale" in singular.columns else "outcome"
    scales = ", ".join(dict.fromkeys(labels.get(str(s), str(s)) for s in singular[column]))
    return f" * df of a singular fit ({scales}): {notes[notes != ''].iloc[0]}"


def _team_change(row: dict[str, Any]) -> str:
    """A team's slope in plain words: rising or falling when its adjusted p is below .05."""
    p = row.get("slope_p_adjusted", row.get("slope_p"))
    if p is None or pd.isna(p) or float(p) >= 0.05:
        return "no clear change"
    return "rising" if float(row["slope"]) > 0 else "falling"


def _not_counted_row(team: str, width: int) -> tuple[str | Td, ...]:
    """A team with no counted wave: one grey cell with the reason, dashes after it."""
    cells: list[str | Td] = [team, Td("-", "muted"), Td("no wave counted", "muted")]
    cells.extend(Td("-", "muted") for _ in range(width - 1))
    return tuple(cells)


def _agreement(ctx: _Context) -> Section:
    agreement = ctx.results.agreement
    rwg_min = float(ctx.results.criteria.get("emergence", {}).get("rwg_j_min", 0.7))
    lead = (
        "Whether members of a team see their team the same way. A community of practice is a "
        "shared thing, so members' ratings should agree (rwg(j) near 1) and teams should "
        "differ from each other (ICC(1) above 0). Small teams agree by chance more often, so "
        "each team's rwg(j) is judged against what random answering would give in a team of "
        f"that size (grey band), as well as against the usual {rwg_min:.2f}.",
    )
    blocks: list[Any] = []
    data = ctx.only(agreement)
    if not data.empty and ctx.practice:
        blocks.append(
            Figure(
                ctx.draw.agreement_figure(
                    data, ctx.practice, rwg_min=rwg_min, uncounted=ctx.uncounted()
                ),
                "rwg(j) per team and wave on the practice scales; grey band: the 95th "
                "percentile of rwg(j) under random responding for that team size; hollow "
                "grey points: team-waves that do not count.",
            )
        )
    rows = []
    for team in ctx.teams:
        wave = ctx.verdict_wave.get(team)
        if wave is None:
            rows.append(_not_counted_row(team, len(ctx.practice)))
            continue
        t = data[(data["team"] == team) & (data["wave"] == wave)]
        cells: list[str | Td] = [team, str(wave)]
        for scale in ctx.practice:
            r = t[t["scale"] == scale]
            if r.empty:
                cells.append(Td("-", "muted"))
                continue
            value, null = float(r["rwg_j"].iloc[0]), float(r["rwg_j_null95"].iloc[0])
            ok = value >= rwg_min and value > null
            cells.append(
                Td(
                    f"{fmt_number(value)} (null {fmt_number(null)}, n {int(r['n'].iloc[0])})",
                    "good" if ok else "bad",
                )
            )
        rows.append(tuple(cells))
    blocks.append(
        Table(
            "rwg(j) at the wave each verdict rests on (random-response 95th percentile, "
            "respondents)",
            ("team", "wave", *ctx.practice.values()),
            tuple(rows),
            note=f"Green when rwg(j) ≥ {rwg_min:.2f} and above the random-response null (what "
            "the verdict needs), red otherwise; the wave is each team's last counted wave.",
        )
    )
    icc = agreement.drop_duplicates(["wave", "scale"])[["wave", "scale", "icc1", "icc2"]]
    if not icc.empty:
        blocks.append(
            Figure(
                ctx.draw.icc_figure(icc, ctx.labels),
                "ICC(1) and ICC(2) of each scale across teams, per wave.",
            )
        )
        icc_rows = []
        for scale, label in ctx.labels.items():
            cells = [label]
            for wave in ctx.waves:
                r = icc[(icc["scale"] == scale) & (icc["wave"] == wave)]
                cells.append(
                    f"{fmt_number(r['icc1'].iloc[0])} / {fmt_number(r['icc2'].iloc[0])}"
                    if not r.empty
                    else "-"
                )
            icc_rows.append(tuple(cells))
        blocks.append(
            Table(
                "ICC(1) / ICC(2) per scale and wave (all teams)",
                ("scale", *[f"wave {w}" for w in ctx.waves]),
                tuple(icc_rows),
            )
        )
    return Section("agreement", "Agreement and emergence", lead, tuple(blocks))


def _counted_scores(ctx: _Context) -> pd.DataFrame:
    """Scale scores of the team-waves that count (pooled tables use only these)."""
    scores = ctx.scores
    if scores.empty:
        return scores
    keep = [ctx.counts(str(t), int(w)) for t, w in zip(scores["team"], scores["wave"], strict=True)]
    return scores[keep]


def _identity(ctx: _Context) -> Section:
    lead = (
        "Which group members identify with. Evidence from NHS collaborations says a shared, "
        "collaborative identity is held back by strong identification with one's profession "
        "or employing organisation. Parallel items ask about the team, the profession and the "
        "organisation, so the three can be compared directly if the items work alike for each "
        "target, which the measurement check tests.",
    )
    level, reading = identity_comparison(ctx.results.invariance)
    blocks: list[Any] = [Paragraph(f"Measurement check: {reading}")]
    means = ctx.means[ctx.means["scale"].isin(list(ctx.identity))]
    if not means.empty:
        blocks.append(
            Figure(
                ctx.draw.identity_figure(
                    means, ctx.identity, interventions=ctx.marks, uncounted=ctx.uncounted()
                ),
                "Team means of identification with the team, the profession and the "
                "organisation, per wave, with 95% intervals; hollow grey points: team-waves "
                "that do not count.",
            )
        )
    rows = []
    for team in ctx.teams:
        wave = ctx.verdict_wave.get(team)
        if wave is None:
            rows.append(_not_counted_row(team, len(ctx.identity) + 2))
            continue
        t = means[(means["team"] == team) & (means["wave"] == wave)].set_index("scale")["mean"]
        cells: list[str | Td] = [team, str(wave)]
        cells.extend(fmt_number(t.get(s)) for s in ctx.identity)
        gap = t.get("collaborative_identity", float("nan")) - t.get(
            "professional_identity", float("nan")
        )
        criterion = ctx.results.verdict(team).criterion("identity")
        cells.append(Td(criterion_outcome(criterion), criterion_tone(criterion)))
        if gap != gap:
            cells.append("-")
        elif level == "scalar":
            side = "team first" if gap >= 0 else "profession first"
            cells.append(Td(f"{fmt_signed(gap)} ({side})", "good" if gap >= 0 else "bad"))
        else:  # the gap is not on one scale: no colour claims a difference
            side = "team items higher" if gap >= 0 else "profession items higher"
            cells.append(Td(f"{fmt_signed(gap)} ({side})", "muted"))
        rows.append(tuple(cells))
    blocks.append(
        Table(
            "Identification at the wave each verdict rests on (team means, 1-7)",
            ("team", "wave", *ctx.identity.values(), "criterion", "team minus profession"),
            tuple(rows),
            note="The criterion: identification with the team at least "
            f"{fmt_number(ctx.results.criteria['identity']['collaborative_mean'])} and not "
            "below identification with the profession beyond sampling noise (or the gap "
            "rising); green when met, red when not.",
        )
    )
    scores = _counted_scores(ctx)
    if not scores.empty and ctx.identity:
        last = scores[scores["wave"] == scores["wave"].max()]
        for group, title in (("profession", "profession"), ("organisation", "organisation")):
            table_rows = []
            for name, frame in last.groupby(group, sort=True):
                table_rows.append(
                    (
                        str(name),
                        str(len(frame)),
                        *[fmt_number(frame[s].mean()) for s in ctx.identity],
                    )
                )
            blocks.append(
                Table(
                    f"Identification by {title} at wave {int(last['wave'].iloc[0])} "
                    "(counted teams pooled)",
                    (title, "n", *ctx.identity.values()),
                    tuple(table_rows),
                )
            )
    return Section(
        "identity",
        "Identity: collaborative versus professional and organisational",
        lead,
        tuple(blocks),
    )


def _network_row(
    ctx: _Context, row: dict[str, Any], ratio_min: float, test: Any
) -> tuple[str | Td, ...]:
    team, wave = str(row["team"]), int(row["wave"])
    answered = (
        f"{int(row['responders'])}/{int(row['roster_size'])} ({fmt_percent(row['coverage'])})"
    )
    reason = ctx.reason(team, wave, network=True)
    if reason:
        short = "not counted" if ctx.reason(team, wave) else "not assessed"
        return (
            team,
            str(wave),
            answered,
            fmt_count(row["ties"]),
            Td(short, "muted"),
            *(Td("-", "muted"),) * 5,
        )
    ratio = float(row["cross_ratio_profession"])
    null_range, p_cell = mixing_cells(test)
    p = (
        float(test.get("ratio_p_adjusted", test["ratio_p"]))
        if test is not None and bool(test["meaningful"])
        else float("nan")
    )
    # as the criterion reads it: below the threshold counts against only beyond chance, by the
    # p adjusted across the team-waves tested (the p the criterion is decided by)
    tone = "good" if ratio >= ratio_min else "bad" if p < ctx.alpha else "muted"
    return (
        team,
        str(wave),
        answered,
        fmt_count(row["ties"]),
        fmt_number(row["density"]),
        fmt_number(row["ei_profession"]),
        fmt_number(row["ei_organisation"]),
        Td(fmt_number(ratio) + null_range, tone),
        p_cell,
        fmt_count(row["brokerage_liaison"]),
    )


def _network_table(ctx: _Context, network: pd.DataFrame, ratio_min: float) -> Table:
    permuted = ctx.only(ctx.results.network_permutation)
    tests = {(str(r["team"]), int(r["wave"])): r for r in _rows(permuted)}
    rows = tuple(
        _network_row(ctx, row, ratio_min, tests.get((str(row["team"]), int(row["wave"]))))
        for row in _rows(network.sort_values(["team", "wave"]))
    )
    return Table(
        "Network measures per team and wave",
        (
            "team",
            "wave",
            "answered",
            "ties",
            "density",
            "E-I profession",
            "E-I organisation",
            "cross-profession ratio [random mixing]",
            "p (inside)",
            "liaison brokerage",
        ),
        rows,
        note="Density = ties / (responders x (roster - 1)). Random mixing: the 95% range of the "
        "ratio when the team's professions are shuffled among its members "
        f"({_draws(permuted)} seeded draws, ties kept as they are); p (inside): the share of "
        f"shuffles with a ratio as low as the team's, then adjusted for all team-waves tested by "
        f"{adjustment_label(ctx.results.adjust)}, marked when the adjusted p is below "
        f"{ALPHA:.2f}. The ratio is "
        f"green at {ratio_min:.2f} or above, red below it when p is below {ALPHA:.2f} "
        "(knowledge sticking inside professions beyond chance), grey when unclear. Liaison "
        "brokerage counts two-paths a -> b -> c with a, b, c in three different professions "
        "(Gould & Fernandez). Grey rows do not count: too few answered the survey (not "
        f"counted) or the roster question (not assessed: under {ctx.min_network:.0%}).",
    )


def _networks(ctx: _Context) -> Section:
    network = ctx.only(ctx.results.network)
    bound = ctx.results.criteria.get("boundaries", {})
    min_cov = float(bound.get("min_network_coverage", 0.7))
    ratio_min = float(bound.get("cross_ratio_min", 0.7))
    lead = (
        "Who exchanges work knowledge with whom. Knowledge tends to flow inside professions "
        "and to stick at their boundaries; a community of practice that spans professions "
        "should show ties across them. The E-I index runs from -1 (all ties inside groups) "
        "to +1 (all ties across); the cross-profession ratio compares the share of ties that "
        "cross professions with what random mixing would give (1 = as random, below "
        f"{ratio_min:.2f} = knowledge sticking inside professions). In a team of a dozen, "
        "chance alone moves that ratio a long way, so each team's ratio is set beside the "
        "range that shuffling its members' professions gives, with the chance of a ratio as "
        f"low as the team's. Measures are shown only where at least {min_cov:.0%} of the roster "
        "answered.",
    )
    blocks: list[Any] = []
    graphs, left_out = [], []
    for team in ctx.teams:
        wave = ctx.verdict_wave.get(team)
        if wave is None:
            left_out.append(f"{team}: no wave counted")
        elif not ctx.reason(team, wave, network=True):
            graphs.append((f"{team}, wave {wave}", team_graph(ctx.bundle, team, wave)))
        else:
            left_out.append(f"{team}, wave {wave}: {ctx.reason(team, wave, network=True)}")
    if graphs:
        blocks.append(
            Figure(
                ctx.draw.sociogram_figure(graphs, ctx.profession_colours),
                "Knowledge ties at the wave each verdict rests on: an arrow from A to B means "
                "A said they exchanged work knowledge with B; colour = profession (the same "
                "colours in every figure); hollow = did not answer (can be named, cannot name).",
            )
        )
    if left_out:
        blocks.append(
            Paragraph("Not drawn (the network does not count): " + "; ".join(left_out) + ".")
        )
    if not network.empty:
        blocks.append(
            Figure(
                ctx.draw.network_trend_figure(network, cross_ratio_min=ratio_min),
                "E-I index by profession and by organisation, and the cross-profession ratio, "
                "per team and wave (gaps: too few answered the roster question).",
            )
        )
        blocks.append(_network_table(ctx, network, ratio_min))
    blocks.extend(persistence_blocks(ctx.results.tie_persistence, ctx.teams))
    return Section("networks", "Knowledge networks", lead, tuple(blocks))


def _draws(permuted: pd.DataFrame) -> str:
    draws = sorted({int(d) for d in permuted["draws"]}) if "draws" in permuted else []
    return " or ".join(f"{d:,}" for d in draws) if draws else "no"


def _threshold_text(criterion: Criterion) -> str:
    if criterion.name == "agreement":
        return f"≥ {fmt_number(criterion.threshold)} and above chance"
    if criterion.name == "coverage":
        return f"≥ {fmt_count(criterion.threshold)} waves"
    if criterion.name == "icc1":
        return f"> {fmt_number(criterion.threshold)} and rising"
    if criterion.alpha is not None:  # below the threshold counts only beyond chance
        return f"≥ {fmt_number(criterion.threshold)}, or below it by chance (p ≥ {criterion.alpha:.2f})"
    return f"≥ {fmt_number(criterion.threshold)}"


def _criterion_value(criterion: Criterion) -> str:
    if criterion.name == "coverage":
        return fmt_count(criterion.value)
    return fmt_number(criterion.value)


def _criterion_basis(criterion: Criterion) -> str:
    if criterion.wave is None:
        return "-"
    tested = "" if criterion.p is None else f", p {fmt_number(criterion.p, 3)}"
    if criterion.p is not None and criterion.p_adjusted is not None:
        tested += f" (adj. {fmt_number(criterion.p_adjusted, 3)})"
    if criterion.n is None:
        return f"wave {criterion.wave}{tested}"
    return f"wave {criterion.wave}, n {criterion.n}{tested}"


def _criteria_table(verdict: TeamVerdict) -> Table:
    rows = tuple(
        (
            CRITERION_LABELS.get(c.name, c.name),
            _criterion_value(c),
            _threshold_text(c),
            _criterion_basis(c),
            Td(criterion_outcome(c), criterion_tone(c)),
        )
        for c in verdict.criteria
    )
    return Table(
        f"Criteria for {verdict.team}",
        ("criterion", "value", "needed", "evidence", "result"),
        rows,
    )


def _sensitivity(sensitivity: pd.DataFrame) -> list[Any]:
    """The threshold moves that change a verdict, or one sentence when none does."""
    blocks: list[Any] = [Heading("Sensitivity of the verdicts to the thresholds")]
    if sensitivity.empty:
        return [*blocks, Paragraph("No sensitivity run was made.")]
    moving = sensitivity[sensitivity["changed"] > 0]
    if moving.empty:
        steps = len(sensitivity)
        return [
            *blocks,
            Paragraph(
                f"No verdict changes when any of the {steps // 2} thresholds moves a step down "
                "or up: the verdicts do not hang on the exact thresholds chosen."
            ),
        ]
    rows = tuple(
        (
            str(s["criterion"]),
            fmt_number(s["baseline"]),
            fmt_number(s["moved_to"]),
            fmt_count(s["changed"]),
            str(s["changes"]),
        )
        for s in _rows(moving)
    )
    kept = len(sensitivity) - len(moving)
    return [
        *blocks,
        Table(
            "Threshold moves that change a verdict (all teams)",
            ("threshold", "default", "moved to", "teams changed", "changes"),
            rows,
            note=f"The other {kept} moves (each threshold a step down and up) change no verdict.",
        ),
    ]


def _formation(ctx: _Context) -> Section:
    lead = (
        "The verdict per team, and everything it rests on. Each criterion below gives the "
        "team's value, what is needed, the wave and respondents it rests on and the result; "
        "the colour says whether that is good (green) or bad (red) for the community, amber "
        "marks a warning sign that is present, grey a criterion not assessed. The sensitivity "
        "table then moves each threshold a step and shows which verdicts would change.",
    )
    blocks: list[Any] = []
    for verdict in ctx.verdicts:
        blocks.append(Heading(f"{verdict.team}: {verdict_label(verdict)}"))
        waves = (
            f" (waves {verdict.first_wave} to {verdict.last_wave} counted)"
            if verdict.counted_waves
            else ""
        )
        meaning = VERDICT_MEANINGS.get(verdict.verdict, "")
        blocks.append(Paragraph(f"In plain words: {meaning}{waves}."))
        if verdict.reasons:
            blocks.append(Bullets(tuple(r.text for r in verdict.reasons)))
        blocks.append(_criteria_table(verdict))
    blocks.extend(_sensitivity(ctx.results.sensitivity))
    return Section("formation", "Formation verdicts", lead, tuple(blocks))


def _interventions(ctx: _Context) -> Section:
    bundle = ctx.bundle
    effects = ctx.results.interventions
    listed = ctx.only(bundle.interventions)
    lead = (
        "What the interventions did. An intervention (a facilitated workshop, a knowledge "
        "transfer associate, co-location, ...) is judged by whether a team's scores jumped "
        "at the first wave after it began (level change) or climbed faster afterwards (slope "
        "change), relative to the team's own earlier course and to teams without one.",
    )
    blocks: list[Any] = []
    if listed.empty:
        blocks.append(Paragraph("No intervention was recorded for these teams."))
    else:
        blocks.append(
            Table(
                "Interventions",
                ("team", "first wave after", "kind", "description"),
                tuple(
                    (str(r["team"]), str(r["wave"]), str(r["kind"]), str(r["description"]))
                    for r in _rows(listed.sort_values(["team", "wave"]))
                ),
            )
        )
    note = ctx.results.intervention_note
    if effects.empty and note and not listed.empty:
        blocks.append(Paragraph(f"Effects are not estimated yet: {note}."))
    if not effects.empty:
        labels = {s: ctx.labels[s] for s in ctx.labels if s in set(effects["outcome"])}
        blocks.append(
            Figure(
                ctx.draw.intervention_figure(effects, labels),
                "Estimated level and slope change after an intervention, per scale, with "
                "95% intervals (discontinuous growth model).",
            )
        )
        rows = []
        for r in _rows(effects):
            significant = r["ci_low"] > 0 or r["ci_high"] < 0
            rows.append(
                (
                    ctx.labels.get(str(r["outcome"]), str(r["outcome"])),
                    "level change" if r["effect"] == "level_change" else "slope change",
                    Td(fmt_number(r["estimate"]), "strong" if significant else ""),
                    _fmt_df(r.get("df"), r.get("ddf_note")),
                    f"[{fmt_number(r['ci_low'])}, {fmt_number(r['ci_high'])}]",
                    fmt_p(r["p"]),
                    f"{int(r['n_treated_teams'])} of {int(r['n_teams'])}",
                    "singular" if bool(r["singular"]) else "",
                )
            )
        blocks.append(
            Table(
                "Intervention effects (all teams; REML)",
                ("scale", "effect", "estimate", "df", "95% interval", "p", "teams treated", "fit"),
                tuple(rows),
                note="Discontinuous growth model (written out in Methods): post = 1 from the "
                "first wave after the intervention, since = waves since it. "
                + ddf_sentence(ctx.results.ddf)
                + _singular_df_note(effects, ctx.labels),
            )
        )
    return Section("interventions", "Intervention effects", lead, tuple(blocks))


def _comments(ctx: _Context) -> Section:
    comments = ctx.only(ctx.bundle.comments)
    questions = {c.id: c.text for c in ctx.instrument.comments}
    lead = (
        "What members wrote in the free-text questions, as written. Free text is shown to "
        "evaluators only, never to managers, and may identify its author: quote with care.",
    )
    if comments.empty:
        return Section("comments", "Free-text comments", lead, (Paragraph("No comments."),))
    rows = tuple(
        (
            str(r["wave"]),
            str(r["team"]),
            questions.get(str(r["item"]), str(r["item"])),
            str(r["text"]),
        )
        for r in _rows(comments.sort_values(["team", "wave", "item"]))
    )
    table = Table(fmt_counted(len(rows), "comment"), ("wave", "team", "question", "comment"), rows)
    return Section("comments", "Free-text comments", lead, (table,))


_FORMULAS = (
    (
        "Scale score",
        "mean of the answered items after reverse keying x' = min + max - x; missing if fewer "
        "than 2/3 of the items are answered",
        "",
    ),
    (
        "Cronbach's alpha",
        "α = k/(k-1) · (1 - Σ s²ᵢ / s²ₓ), Feldt interval from the F distribution",
        "Feldt, Woodruff & Salih (1987)",
    ),
    (
        "Omega total",
        "ω = (Σλᵢ)² / ((Σλᵢ)² + Σψᵢ), one-factor model by maximum likelihood",
        "McDonald (1999)",
    ),
    (
        "Corrected item-total r",
        "correlation of an item with the sum of the other items of its scale",
        "",
    ),
    (
        "rwg(j)",
        "J(1 - s̄²/σ²ₑ) / (J(1 - s̄²/σ²ₑ) + s̄²/σ²ₑ), σ²ₑ = (A² - 1)/12; s̄² truncated at σ²ₑ",
        "James, Demaree & Wolf (1984); LeBreton & Senter (2008)",
    ),
    (
        "rwg(j) null",
        "95th percentile of rwg(j) for random (uniform) answers in a team of the same size",
        "simulated, cached",
    ),
    (
        "ICC(1), ICC(2)",
        "ICC(1) = (MSB - MSW) / (MSB + (k̄ - 1) MSW); ICC(2) = (MSB - MSW) / MSB",
        "Bliese (2000)",
    ),
    (
        "Growth model",
        "y ~ wave + (wave | team) + (1 | team:respondent), REML, multi-start",
        "lme4 parametrisation",
    ),
    (
        "Discontinuous growth",
        "y ~ wave + post + since + (wave | team) + (1 | team:respondent)",
        "Bliese & Lang (2016)",
    ),
    (
        "E-I index",
        "(E - I) / (E + I) over ties crossing (E) or inside (I) groups",
        "Krackhardt & Stern (1988)",
    ),
    (
        "Cross-profession ratio",
        "observed cross share / mean over responders of (N - N_g(i)) / (N - 1)",
        "random-mixing expectation",
    ),
    (
        "Brokerage",
        "Gould-Fernandez roles of every two-path a -> b -> c without a -> c",
        "Gould & Fernandez (1989)",
    ),
    (
        "Measurement invariance",
        "ML fit of Σg = ΛgΦgΛg' + Θg, μg = νg + Λgκg; metric: Λ equal, scalar: Λ and ν "
        "equal; holds if ΔCFI ≥ -.010 and ΔRMSEA ≤ .015",
        "Cheung & Rensvold (2002); Chen (2007); lavaan (Rosseel 2012)",
    ),
    (
        "E-I permutation test",
        "p = (1 + #{shuffles with ratio* ≤ ratio}) / (1 + draws), professions shuffled "
        "within the team",
        "Krackhardt & Stern (1988)",
    ),
    (
        "Tie persistence",
        "Jaccard J = N11 / (N01 + N10 + N11) over ties observed at both waves; below .3 flagged",
        "Snijders, van de Bunt & Steglich (2010); RSiena manual",
    ),
)


_GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "KTA",
        "knowledge transfer associate: a person placed in a team to broker research evidence "
        "and connect members across organisations",
    ),
    (
        "rwg(j)",
        "within-team agreement on a multi-item scale, from 0 (no more agreement than "
        "random answers) to 1 (everyone gave the same answers)",
    ),
    (
        "ICC(1)",
        "the share of the variation in members' scores that lies between teams rather "
        "than within them",
    ),
    ("ICC(2)", "how reliably a team's mean score tells that team apart from the others"),
    (
        "E-I index",
        "(ties across groups minus ties within) divided by all ties: -1 all inside, +1 all across",
    ),
    (
        "cross-profession ratio",
        "the share of knowledge ties that cross professions divided by "
        "the share random mixing would give: 1 as mixed as chance, below 1 sticking inside",
    ),
    (
        "counted",
        "a team-wave with enough respondents and roster coverage for its figures to "
        "enter a verdict",
    ),
    (
        "p",
        "the probability of a result at least this far from no effect if there were none; "
        "shown as < 0.001 below that",
    ),
)


def _flatten(criteria: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in criteria.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            out.append((name, ", ".join(str(v) for v in value)))
        else:
            out.append((name, str(value)))
    return out


def _methods(ctx: _Context) -> Section:
    growth = ctx.results.growth
    model = str(growth["model"].iloc[0]) if not growth.empty else "not fitted"
    lead = (
        "How the figures were made, so that another analyst can reproduce them from the same "
        "study bundle with copkit's analysis package.",
    )
    paragraphs = (
        Paragraph(
            f"Data: the pseudonymous study bundle {ctx.bundle.source}, instrument "
            f"{ctx.instrument.key}, waves {', '.join(str(w) for w in ctx.waves)}. Answers are "
            "reverse keyed where the instrument says so and scored as item means."
        ),
        Paragraph(
            "Reliability per scale and wave: Cronbach's alpha (pingouin) with the Feldt "
            "interval, omega "
            "total (maximum likelihood one-factor model) and corrected item-total correlations; "
            "values reproduce R's psych and lavaan on reference data."
        ),
        Paragraph(
            "Agreement per team, wave and scale: rwg(j) with the uniform null and the observed "
            "variance truncated at the null variance (as R's multilevel package), judged "
            "against the simulated team-size-specific 95th percentile under random "
            "responding; ICC(1) and ICC(2) from a one-way ANOVA across teams."
        ),
        Paragraph(
            f"Growth: three-level linear mixed models fitted by REML ({model}); fits are "
            "multi-start and keep the best likelihood; singular fits are reported as such "
            "and a simpler model is then shown. Interventions: discontinuous growth models. "
            + ddf_sentence(ctx.results.ddf)
            + " Change it with copkit report --ddf (satterthwaite, kenward-roger or wald)."
        ),
        Paragraph(
            "Measurement invariance per scale across waves and professions (groups with at "
            "least 30 complete responses), and of the identity items across their three "
            "targets as repeated measures: multi-group and longitudinal confirmatory factor "
            "models fitted by maximum likelihood with a mean structure (first loading fixed to "
            "1), at the configural, metric and scalar levels; fit measures reproduce "
            "lavaan::fitMeasures on reference data. A level holds when CFI falls by at most "
            ".010 and RMSEA rises by at most .015."
        ),
        Paragraph(
            "Networks: directed knowledge ties from the roster question; measures only where "
            "enough of the roster answered; sociograms use a spring layout with a fixed seed. "
            "The E-I index and the cross-profession ratio are tested against random mixing by "
            "shuffling professions among each team's members (seeded permutations, one-sided "
            "p); tie persistence between waves is the Jaccard index of ties kept."
        ),
        Paragraph(
            "Many teams, many scales: each team's slope (every team x scale of the growth "
            "models) and each team-wave's knowledge-sticking test (every team-wave tested) are "
            f"claims made many times over, so their p-values are adjusted by "
            f"{adjustment_label(ctx.results.adjust)} within each of these two families "
            "(statsmodels' multipletests, which gives R's p.adjust); the formation criteria "
            "judge each team on its own test."
        ),
    )
    formula_table = Table(
        "Statistics and formulas", ("statistic", "formula", "reference"), _FORMULAS
    )
    thresholds = Table(
        "Formation thresholds used",
        ("threshold", "value"),
        tuple(_flatten({k: v for k, v in ctx.results.criteria.items() if k != "sensitivity"})),
    )
    software = Table("Software", ("package", "version"), tuple(_software()))
    glossary = Table("Glossary", ("term", "meaning"), _GLOSSARY)
    return Section(
        "methods",
        "Methods",
        lead,
        (*paragraphs, formula_table, thresholds, software, glossary),
    )


def _limitations(ctx: _Context) -> Section:
    lines = [
        "Surveys measure what members say about their team, not what they do; the network "
        "question relies on recall of knowledge exchange since the last wave.",
        "Teams are few, so between-team statistics (ICC, growth model variance components, "
        "intervention effects) are imprecise; the intervals say how imprecise.",
        "Interventions were not randomised; a level change after one may reflect anything "
        "else that happened to the team at the same time.",
        "Formation verdicts rest on thresholds chosen in advance; the sensitivity table shows "
        "which verdicts depend on them.",
        "People who did not respond may differ from those who did; low response rates make "
        "a team's figures less representative.",
        "The invariance tests count each response as one observation, though members answer "
        "at several waves and sit in teams; with few respondents per profession they can only "
        "detect large differences, and professions too small to test are named beside the "
        "table.",
        "In a small team few distinct arrangements of its professions exist, so the "
        "permutation test of mixing cannot reach a small p-value: a team of six in two "
        "professions of three has only 20.",
    ]
    growth = ctx.results.growth
    if not growth.empty and bool(growth["singular"].any()):
        lines.append(
            "Some growth models were singular (a variance component at zero): their random "
            "effects structure was simplified, as noted in the trajectories table."
        )
    low = ctx.formation[ctx.formation["verdict"] == "insufficient_data"]
    if not low.empty:
        lines.append(
            "No verdict for " + ", ".join(str(t) for t in low["team"]) + ": too few responses."
        )
    network = ctx.only(ctx.results.network)
    if not network.empty and not bool(network["meaningful"].all()):
        missing = int((~network["meaningful"].astype(bool)).sum())
        lines.append(
            f"{fmt_counted(missing, 'team-wave')} had too few answers to the roster question for network "
            "measures; their sociograms are incomplete."
        )
    return Section(
        "limitations",
        "Limitations",
        ("What the figures in this report cannot tell you.",),
        (Bullets(tuple(lines)),),
    )


_BUILDERS: tuple[tuple[str, Callable[[_Context], Section]], ...] = (
    ("summary", _summary),
    ("study", _study),
    ("measurement", _measurement),
    ("trajectories", _trajectories),
    ("agreement", _agreement),
    ("identity", _identity),
    ("networks", _networks),
    ("formation", _formation),
    ("interventions", _interventions),
    ("propositions", lambda ctx: propositions_section(ctx.results)),
    ("value", lambda ctx: value_creation_section(ctx.results, ctx.teams)),
    ("comments", _comments),
    ("methods", _methods),
    ("limitations", _limitations),
)


def evaluator_sections(
    results: AnalysisResults,
    *,
    teams: Sequence[str] | None = None,
    draw: bool = True,
    progress: Progress | None = None,
    jobs: int | None = 1,
) -> dict[str, Section]:
    """The evaluator report's content as plain data, for the report and the app's dashboard.

    Parameters
    ----------
    results : AnalysisResults
        :func:`analysis.pipeline.analyse_bundle` output.
    teams : sequence of str, optional
        Restrict the per-team content to these teams (study-level statistics stay).
    draw : bool
        Draw the figures (the slow part); with False the sections hold text and tables
        only, e.g. for a dashboard that shows figures on demand.
    progress : callable, optional
        Called as ``progress(section_id, done, total)`` before each section and before
        the figures are drawn (``"figures"``).
    jobs : int or None
        Worker processes drawing the figures, which are drawn after the sections are built
        (:class:`reports.figure_batch.FigureBatch`): 1 draws them in this process, None on
        every core. The figures are the same whatever the number.

    Returns
    -------
    dict of str to Section
        By section id, in :data:`SECTION_IDS` order. A :class:`reports.blocks.Section` has
        ``id``, ``title``, ``lead`` (plain-English paragraphs) and ``blocks``
        (:class:`~reports.blocks.Paragraph`, ``Heading``, ``Bullets``, ``Table`` with rows
        of strings or ``Td(text, css)``, and ``Figure`` with inline ``svg`` markup). Every
        string is plain text to be escaped by the template; only ``Figure.svg`` is markup.
        The ``comments`` section holds free text: never show it to managers.

    Raises
    ------
    ValueError
        For a team that is not in the study.
    """
    ctx = _Context(results, teams, draw=draw)
    out: dict[str, Section] = {}
    steps = len(_BUILDERS) + 1
    for done, (section_id, build) in enumerate(_BUILDERS):
        if progress is not None:
            progress(section_id, done, steps)
        section = build(ctx)
        if not draw:
            kept = tuple(b for b in section.blocks if not isinstance(b, Figure))
            section = dataclasses.replace(section, blocks=kept)
        out[section_id] = section
    if draw and len(ctx.figures):
        if progress is not None:
            progress("figures", len(_BUILDERS), steps)
        out = _with_figures(out, ctx.figures.draw(jobs))
    if progress is not None:
        progress("done", steps, steps)
    return out


def _with_figures(sections: dict[str, Section], drawn: Mapping[str, Markup]) -> dict[str, Section]:
    """The sections with each figure placeholder replaced by the figure drawn for it."""
    placed: set[str] = set()
    out: dict[str, Section] = {}
    for section_id, section in sections.items():
        blocks: list[Any] = []
        for block in section.blocks:
            if isinstance(block, Figure) and str(block.svg) in drawn:
                placed.add(str(block.svg))
                block = dataclasses.replace(block, svg=drawn[str(block.svg)])
            blocks.append(block)
        out[section_id] = dataclasses.replace(section, blocks=tuple(blocks))
    if placed != set(drawn):
        raise RuntimeError("a figure was drawn outside a Figure block of its section")
    return out


def evaluator_document(
    results: AnalysisResults,
    sections: Sequence[Section],
    *,
    study: str | None = None,
    title: str | None = None,
) -> str:
    """Render evaluator sections as the self-contained report document (HTML)."""
    identity = document_identity(results, "evaluation report", study=study, title=title)
    instrument = results.bundle.instrument
    return render_template(
        "evaluator.html.j2",
        identity=identity,
        title=identity.title,
        subtitle=f"Evaluator report · {identity.period} · {instrument.title} ({instrument.key})",
        generated=datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
        sections=list(sections),
        audience="evaluator",
    )


def build_evaluator_report(
    results: AnalysisResults,
    *,
    study: str | None = None,
    title: str | None = None,
    teams: Sequence[str] | None = None,
    progress: Progress | None = None,
    jobs: int | None = 1,
) -> str:
    """The evaluator report as one self-contained HTML document.

    Everything is inline (CSS, SVG figures); the document makes no network request of any
    kind, prints cleanly (A4, figures kept whole) and renders to PDF with
    :func:`reports.pdf.html_to_pdf`. Sections (ids in :data:`SECTION_IDS`): summary, study
    and response rates, measurement quality, team trajectories, agreement and emergence,
    identity, knowledge networks, formation verdicts with the sensitivity table,
    intervention effects, free-text comments (escaped), methods and limitations. The title,
    the document's metadata and its first page name the study and the data period (the
    waves counted and their dates); a banner on every page says when still-open waves were
    included.

    Parameters
    ----------
    results : AnalysisResults
        :func:`analysis.pipeline.analyse_bundle` output.
    study : str, optional
        The study's name, for the title ("<study>: evaluation report").
    title : str, optional
        A title of your own instead.
    teams : sequence of str, optional
        Restrict per-team content to these teams.
    progress : callable, optional
        ``progress(step, done, total)`` per section, for a terminal display.
    jobs : int or None
        Worker processes drawing the figures (1: this process; None: every core); the
        document is the same whatever the number.
    """
    sections = evaluator_sections(results, teams=teams, progress=progress, jobs=jobs)
    return evaluator_document(results, list(sections.values()), study=study, title=title)
