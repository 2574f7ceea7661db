"""The evaluator report: every analysis of a study as one self-contained HTML document."""

from __future__ import annotations

import dataclasses
import platform
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from markupsafe import Markup
from scipy import stats

from analysis.pipeline import AnalysisResults
from reports import figures
from reports.blocks import Bullets, Figure, Heading, Paragraph, Section, Table, Td
from reports.render import fmt_number, fmt_percent, render_template

__all__ = [
    "CRITERION_TEXT",
    "SECTION_IDS",
    "VERDICT_TEXT",
    "build_evaluator_report",
    "evaluator_sections",
    "split_reasons",
    "team_means",
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
    "comments",
    "methods",
    "limitations",
)

#: Verdict -> (short label, plain-English meaning).
VERDICT_TEXT: dict[str, tuple[str, str]] = {
    "formed": (
        "Formed",
        "members engage with each other, share a view of how the team works and identify with "
        "it: the team works as a community of practice",
    ),
    "forming": (
        "Forming",
        "practice is rising clearly from wave to wave, though it has not yet reached the level "
        "of a formed community",
    ),
    "uniprofessional_enclaves": (
        "Professional enclaves",
        "members engage, but within their professional groups: views and knowledge stay inside "
        "professions",
    ),
    "not_formed": (
        "Not formed",
        "no clear sign yet of a community of practice: practice is low and not rising",
    ),
    "insufficient_data": (
        "Too few responses",
        "too few people answered in enough waves to judge",
    ),
}

#: Formation criterion -> plain-English name (with the statistic beside it).
CRITERION_TEXT: dict[str, str] = {
    "coverage": "Enough responses: waves with enough respondents and roster coverage",
    "practice_level": "Practice is high: lowest practice-scale team mean at the last wave",
    "practice_change": "Practice is rising: change first to last wave, in within-team SDs",
    "agreement": "Members share a view: weakest rwg(j) on the practice scales",
    "icc1": "Teams differ: ICC(1) of practice across teams (study level; does not decide)",
    "identity": "Members identify with the team: collaborative identification mean",
    "boundaries": "Knowledge crosses professions: cross-profession ties / random mixing",
    "profession_split": "Ratings split by profession: ICC(1) by profession within the team",
}

IDENTITY_SCALES = ("collaborative_identity", "professional_identity", "organisational_identity")


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts (column name -> value)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _verdict_css(verdict: str) -> str:
    return {
        "formed": "good",
        "forming": "fair",
        "uniprofessional_enclaves": "bad",
        "not_formed": "bad",
    }.get(verdict, "muted")


def _held(value: Any) -> Td:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return Td("not assessed", "muted")
    return Td("yes", "good") if bool(value) else Td("no", "bad")


def split_reasons(text: str) -> tuple[str, ...]:
    """Split formation ``reasons`` on the ``;`` between reasons, not those inside brackets.

    Examples
    --------
    >>> split_reasons("level 2.9 (below 5.0); change -0.3 (no rise; 0.3 needed)")
    ('level 2.9 (below 5.0)', 'change -0.3 (no rise; 0.3 needed)')
    """
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth <= 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return tuple(p for p in parts if p)


def team_means(scores: pd.DataFrame, scales: Sequence[str]) -> pd.DataFrame:
    """Team means of scale scores per wave with t-based 95% intervals.

    .. math:: \\bar y \\pm t_{0.975,\\,n-1}\\, s / \\sqrt{n}

    Parameters
    ----------
    scores : DataFrame
        :func:`analysis.scale_scores` output (``team``, ``wave`` and one column per scale).
    scales : sequence of str
        The scale columns to summarise.

    Returns
    -------
    DataFrame
        ``team``, ``wave``, ``scale``, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high`` (the
        interval collapses to the mean when ``n`` is 1).

    Examples
    --------
    >>> s = pd.DataFrame({"team": "T", "wave": 1, "me": [4.0, 5.0, 6.0]})
    >>> team_means(s, ["me"])[["n", "mean", "ci_low"]].round(2).to_numpy().tolist()
    [[3.0, 5.0, 2.52]]
    """
    long = scores.melt(
        id_vars=["team", "wave"], value_vars=list(scales), var_name="scale", value_name="score"
    ).dropna(subset=["score"])
    summary = (
        long.groupby(["team", "wave", "scale"], sort=True)["score"]
        .agg(n="size", mean="mean", sd="std")
        .reset_index()
    )
    n = summary["n"].to_numpy(dtype=float)
    sd = summary["sd"].fillna(0.0).to_numpy(dtype=float)
    half = np.zeros_like(n)
    many = n >= 2
    half[many] = stats.t.ppf(0.975, n[many] - 1) * sd[many] / np.sqrt(n[many])
    summary["ci_low"] = summary["mean"] - half
    summary["ci_high"] = summary["mean"] + half
    return summary


def _software() -> list[tuple[str, str]]:
    out = [("python", platform.python_version())]
    for package in (
        "copkit",
        "numpy",
        "scipy",
        "pandas",
        "statsmodels",
        "networkx",
        "matplotlib",
        "jinja2",
        "weasyprint",
    ):
        try:
            out.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            out.append((package, "not installed"))
    return out


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
        self.draw: Any = figures if draw else _NoFigures()
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
        self.means = team_means(scores, [s for s in self.labels if s in scores.columns])
        marks: dict[str, list[tuple[int, str]]] = {}
        for row in _rows(bundle.interventions):
            marks.setdefault(str(row["team"]), []).append((int(row["wave"]), str(row["kind"])))
        self.marks = marks
        self.formation = results.formation[results.formation["team"].isin(self.teams)]

    def only(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty or "team" not in frame:
            return frame
        return frame[frame["team"].isin(self.teams)]


def _summary(ctx: _Context) -> Section:
    roster = ctx.only(ctx.bundle.roster)
    invited, responded = len(roster), int(roster["responded"].sum())
    counts = ctx.formation["verdict"].value_counts()
    parts = [f"{int(counts[v])} {VERDICT_TEXT[v][0].lower()}" for v in VERDICT_TEXT if v in counts]
    lead = (
        f"This report judges whether the {len(ctx.teams)} engineered communities of practice "
        f"(teams) in this study formed, over {len(ctx.waves)} waves of the "
        f"{ctx.instrument.title} ({ctx.instrument.key}). {responded} of {invited} invitations "
        f"were answered ({fmt_percent(responded / invited if invited else None)}).",
        "Verdicts: " + (", ".join(parts) if parts else "none") + ". Each verdict rests on "
        "stated criteria with stated thresholds (section Formation); the sections in between "
        "show the evidence, plain English first and the statistics beside it.",
    )
    rows = []
    for row in _rows(ctx.formation):
        label, meaning = VERDICT_TEXT.get(str(row["verdict"]), (str(row["verdict"]), ""))
        rows.append((str(row["team"]), Td(label, _verdict_css(str(row["verdict"]))), meaning))
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
                cells.append(
                    Td(
                        f"{int(r['responded'])}/{int(r['invited'])} ({fmt_percent(share)})",
                        "bad" if share < 0.5 else "",
                    )
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
        note="Rates below 50% (the coverage threshold of the formation criteria) are marked.",
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
        ctx.draw.response_rate_figure(rates),
        "Response rate per team and wave (darker = more of the roster answered).",
    )
    return Section(
        "study",
        "Study and response rates",
        lead,
        (response_table, figure, composition_table),
    )


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
                weak_lines.append(
                    f"{item} ({label}): “{item_text.get(item, '')}” is weak at wave(s) "
                    f"{', '.join(flagged_waves)}"
                )
    blocks.append(Heading("Item-total statistics"))
    blocks.append(
        Paragraph("Weak items: " + ("none." if not weak_lines else f"{len(weak_lines)} item(s)."))
    )
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


def _trajectories(ctx: _Context) -> Section:
    lead = (
        "How each team's practice moved from wave to wave. Points are the team's mean score "
        "with a 95% interval (wide when few answered); the line is the team's trajectory from "
        "the growth model, which borrows strength across teams and people. A dashed red line "
        "marks when an intervention began.",
    )
    blocks: list[Any] = []
    growth = ctx.results.growth
    trajectories = ctx.only(ctx.results.team_trajectories)
    for scale, label in {**ctx.practice}.items():
        means = ctx.means[ctx.means["scale"] == scale]
        if means.empty:
            continue
        lines = (
            trajectories[trajectories["scale"] == scale][["team", "intercept", "slope"]]
            if not trajectories.empty
            else None
        )
        blocks.append(
            Figure(
                ctx.draw.trajectory_figure(
                    means, label, lines=lines, interventions=ctx.marks, name=f"trajectory-{scale}"
                ),
                f"{label}: team means per wave (1-7) with 95% intervals and the growth model's "
                "team trajectories.",
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
                    f"[{fmt_number(row['ci_low'])}, {fmt_number(row['ci_high'])}]",
                    fmt_number(row["p"], 3),
                    Td(str(row["note"]) or "-", "muted" if not row["note"] else "weak"),
                )
            )
    blocks.append(
        Table(
            "Growth models: fixed effects (REML; wave in people in teams)",
            ("scale", "term", "estimate", "SE", "95% interval", "p", "note"),
            tuple(rows),
            note="Intercept is the expected score at wave 0 (one wave before the first); "
            "'wave' is the average change per wave across teams. "
            + (f"Model: {growth['model'].iloc[0]}." if not growth.empty else ""),
        )
    )
    if not trajectories.empty:
        team_rows = []
        for row in _rows(trajectories[trajectories["scale"].isin(list(ctx.practice))]):
            team_rows.append(
                (
                    str(row["team"]),
                    ctx.labels.get(str(row["scale"]), str(row["scale"])),
                    fmt_number(row["slope"]),
                    f"[{fmt_number(row['slope_ci_low'])}, {fmt_number(row['slope_ci_high'])}]",
                    Td(
                        "rising"
                        if row["slope_ci_low"] > 0
                        else "falling"
                        if row["slope_ci_high"] < 0
                        else "no clear change",
                        "good"
                        if row["slope_ci_low"] > 0
                        else "bad"
                        if row["slope_ci_high"] < 0
                        else "",
                    ),
                )
            )
        blocks.append(
            Table(
                "Team-specific slopes per wave (fixed + empirical Bayes team effect)",
                ("team", "scale", "slope per wave", "95% interval", "in plain words"),
                tuple(team_rows),
            )
        )
    return Section("trajectories", "Team trajectories", lead, tuple(blocks))


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
                ctx.draw.agreement_figure(data, ctx.practice, rwg_min=rwg_min),
                "rwg(j) per team and wave on the practice scales; grey: the 95th percentile "
                "of rwg(j) under random responding for that team size.",
            )
        )
    rows = []
    for team in ctx.teams:
        t = data[data["team"] == team]
        if t.empty:
            continue
        last = int(t["wave"].max())
        cells: list[str | Td] = [team, str(last)]
        for scale in ctx.practice:
            r = t[(t["wave"] == last) & (t["scale"] == scale)]
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
            "rwg(j) at each team's last wave (random-response 95th percentile, respondents)",
            ("team", "wave", *ctx.practice.values()),
            tuple(rows),
            note=f"Marked good when rwg(j) ≥ {rwg_min:.2f} and above the random-response null.",
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


def _identity(ctx: _Context) -> Section:
    lead = (
        "Which group members identify with. Evidence from NHS collaborations says a shared, "
        "collaborative identity is held back by strong identification with one's profession "
        "or employing organisation. Parallel items ask about the team, the profession and the "
        "organisation, so the three can be compared directly.",
    )
    blocks: list[Any] = []
    means = ctx.means[ctx.means["scale"].isin(list(ctx.identity))]
    if not means.empty:
        blocks.append(
            Figure(
                ctx.draw.identity_figure(means, ctx.identity, interventions=ctx.marks),
                "Team means of identification with the team, the profession and the "
                "organisation, per wave, with 95% intervals.",
            )
        )
    rows = []
    for team in ctx.teams:
        t = means[means["team"] == team]
        if t.empty:
            continue
        last = int(t["wave"].max())
        values = {s: t[(t["wave"] == last) & (t["scale"] == s)]["mean"] for s in ctx.identity}
        cells: list[str | Td] = [team, str(last)]
        for s in ctx.identity:
            cells.append(fmt_number(values[s].iloc[0]) if len(values[s]) else "-")
        if "collaborative_identity" in values and "professional_identity" in values:
            c, p = values["collaborative_identity"], values["professional_identity"]
            if len(c) and len(p):
                gap = float(c.iloc[0]) - float(p.iloc[0])
                cells.append(
                    Td(
                        f"{gap:+.2f} (" + ("team first" if gap >= 0 else "profession first") + ")",
                        "good" if gap >= 0 else "bad",
                    )
                )
            else:
                cells.append("-")
        rows.append(tuple(cells))
    blocks.append(
        Table(
            "Identification at each team's last wave (team means, 1-7)",
            ("team", "wave", *ctx.identity.values(), "team minus profession"),
            tuple(rows),
        )
    )
    scores = ctx.scores
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
                    "(all teams pooled)",
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


def _team_graph(bundle: Any, team: str, wave: int) -> nx.DiGraph:
    roster = bundle.roster[(bundle.roster["team"] == team) & (bundle.roster["wave"] == wave)]
    ties = bundle.ties[(bundle.ties["team"] == team) & (bundle.ties["wave"] == wave)]
    graph = nx.DiGraph()
    for row in _rows(roster):
        graph.add_node(
            str(row["respondent"]),
            profession=str(row["profession"]),
            responded=bool(row["responded"]),
        )
    for row in _rows(ties):
        if str(row["source"]) in graph and str(row["target"]) in graph:
            graph.add_edge(str(row["source"]), str(row["target"]))
    return graph


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
        f"{ratio_min:.2f} = knowledge sticking inside professions). Measures are shown only "
        f"where at least {min_cov:.0%} of the roster answered.",
    )
    blocks: list[Any] = []
    professions = sorted(str(p) for p in ctx.only(ctx.bundle.roster)["profession"].unique())
    palette = figures.colours(professions)
    graphs = []
    for team in ctx.teams:
        waves = ctx.bundle.roster.loc[ctx.bundle.roster["team"] == team, "wave"]
        if waves.empty:
            continue
        last = int(waves.max())
        graph = _team_graph(ctx.bundle, team, last)
        graphs.append((f"{team}, wave {last}", graph))
    if graphs:
        blocks.append(
            Figure(
                ctx.draw.sociogram_figure(graphs, palette),
                "Knowledge ties at each team's last wave: an arrow from A to B means A said "
                "they exchanged work knowledge with B; colour = profession; hollow = did not "
                "answer (can be named, cannot name).",
            )
        )
    if not network.empty:
        blocks.append(
            Figure(
                ctx.draw.network_trend_figure(network, cross_ratio_min=ratio_min),
                "E-I index by profession and by organisation, and the cross-profession ratio, "
                "per team and wave (gaps: too few answered the roster question).",
            )
        )
        rows = []
        for row in _rows(network.sort_values(["team", "wave"])):
            meaningful = bool(row["meaningful"])
            rows.append(
                (
                    str(row["team"]),
                    str(row["wave"]),
                    f"{int(row['responders'])}/{int(row['roster_size'])} ({fmt_percent(row['coverage'])})",
                    str(int(row["ties"])),
                    fmt_number(row["density"]) if meaningful else Td("not assessed", "muted"),
                    fmt_number(row["ei_profession"]),
                    fmt_number(row["ei_organisation"]),
                    Td(
                        fmt_number(row["cross_ratio_profession"]),
                        ""
                        if not meaningful
                        else "good"
                        if row["cross_ratio_profession"] >= ratio_min
                        else "bad",
                    ),
                    fmt_number(row["brokerage_liaison"], 0),
                )
            )
        blocks.append(
            Table(
                "Network measures per team and wave",
                (
                    "team",
                    "wave",
                    "answered",
                    "ties",
                    "density",
                    "E-I profession",
                    "E-I organisation",
                    "cross-profession ratio",
                    "liaison brokerage",
                ),
                tuple(rows),
                note="Density = ties / (responders x (roster - 1)). Liaison brokerage counts "
                "two-paths a -> b -> c with a, b, c in three different professions "
                "(Gould & Fernandez).",
            )
        )
    return Section("networks", "Knowledge networks", lead, tuple(blocks))


def _formation(ctx: _Context) -> Section:
    lead = (
        "The verdict per team, and everything it rests on. Each criterion below gives the "
        "team's value, the threshold and whether it held; the reasons say the same in words. "
        "The sensitivity table then moves each threshold down and up a step and shows which "
        "verdicts would change, so a reader can see how firm each verdict is.",
    )
    blocks: list[Any] = []
    for row in ctx.formation.to_dict(orient="records"):
        verdict = str(row["verdict"])
        label, meaning = VERDICT_TEXT.get(verdict, (verdict, ""))
        blocks.append(Heading(f"{row['team']}: {label}"))
        waves = (
            f" (waves {int(row['first_wave'])} to {int(row['last_wave'])} counted)"
            if pd.notna(row.get("first_wave"))
            else ""
        )
        blocks.append(Paragraph(f"In plain words: {meaning}{waves}."))
        reasons = split_reasons(str(row.get("reasons", "")))
        if reasons:
            blocks.append(Bullets(reasons))
        crit_rows = []
        for criterion, text in CRITERION_TEXT.items():
            if f"{criterion}_value" not in row:
                continue
            crit_rows.append(
                (
                    text,
                    fmt_number(row[f"{criterion}_value"]),
                    fmt_number(row[f"{criterion}_threshold"]),
                    _held(row[f"{criterion}_held"]),
                )
            )
        blocks.append(
            Table(
                f"Criteria for {row['team']}",
                ("criterion", "value", "threshold", "held"),
                tuple(crit_rows),
            )
        )
    sensitivity = ctx.results.sensitivity
    if not sensitivity.empty:
        rows = []
        for s in _rows(sensitivity):
            rows.append(
                (
                    str(s["criterion"]),
                    fmt_number(s["baseline"]),
                    fmt_number(s["moved_to"]),
                    Td(str(int(s["changed"])), "weak" if int(s["changed"]) else ""),
                    str(s["changes"]) or "-",
                )
            )
        blocks.append(Heading("Sensitivity of the verdicts to the thresholds"))
        blocks.append(
            Table(
                "Verdicts that change when one threshold moves (all teams)",
                ("threshold", "default", "moved to", "teams changed", "changes"),
                tuple(rows),
            )
        )
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
                    f"[{fmt_number(r['ci_low'])}, {fmt_number(r['ci_high'])}]",
                    fmt_number(r["p"], 3),
                    f"{int(r['n_treated_teams'])} of {int(r['n_teams'])}",
                    "singular" if bool(r["singular"]) else "",
                )
            )
        blocks.append(
            Table(
                "Intervention effects (all teams; REML)",
                ("scale", "effect", "estimate", "95% interval", "p", "teams treated", "fit"),
                tuple(rows),
                note="outcome ~ wave + post + since + (wave | team) + (1 | team:respondent); "
                "post = 1 from the first wave after the intervention, since = waves since it.",
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
    table = Table(f"{len(rows)} comment(s)", ("wave", "team", "question", "comment"), rows)
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
            "Reliability per scale and wave: Cronbach's alpha with the Feldt interval, omega "
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
            "and a simpler model is then shown. Interventions: discontinuous growth models."
        ),
        Paragraph(
            "Networks: directed knowledge ties from the roster question; measures only where "
            "enough of the roster answered; sociograms use a spring layout with a fixed seed."
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
    return Section(
        "methods",
        "Methods",
        lead,
        (*paragraphs, formula_table, thresholds, software),
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
            f"{missing} team-wave(s) had too few answers to the roster question for network "
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
        Called as ``progress(section_id, done, total)`` before each section.

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
    for done, (section_id, build) in enumerate(_BUILDERS):
        if progress is not None:
            progress(section_id, done, len(_BUILDERS))
        section = build(ctx)
        if not draw:
            kept = tuple(b for b in section.blocks if not isinstance(b, Figure))
            section = dataclasses.replace(section, blocks=kept)
        out[section_id] = section
    if progress is not None:
        progress("done", len(_BUILDERS), len(_BUILDERS))
    return out


def build_evaluator_report(
    results: AnalysisResults,
    *,
    title: str | None = None,
    teams: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> str:
    """The evaluator report as one self-contained HTML document.

    Everything is inline (CSS, SVG figures); the document makes no network request of any
    kind, prints cleanly (A4, figures kept whole) and renders to PDF with
    :func:`reports.pdf.html_to_pdf`. Sections (ids in :data:`SECTION_IDS`): summary, study
    and response rates, measurement quality, team trajectories, agreement and emergence,
    identity, knowledge networks, formation verdicts with the sensitivity table,
    intervention effects, free-text comments (escaped), methods and limitations.

    Parameters
    ----------
    results : AnalysisResults
        :func:`analysis.pipeline.analyse_bundle` output.
    title : str, optional
        Document title; defaults to "<instrument title>: evaluation report".
    teams : sequence of str, optional
        Restrict per-team content to these teams.
    progress : callable, optional
        ``progress(step, done, total)`` per section, for a terminal display.
    """
    sections = evaluator_sections(results, teams=teams, progress=progress)
    instrument = results.bundle.instrument
    return render_template(
        "evaluator.html.j2",
        title=title or f"{instrument.title}: evaluation report",
        subtitle=f"Evaluator report · {instrument.key} · waves "
        f"{', '.join(str(w) for w in results.bundle.waves)}",
        generated=datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
        sections=list(sections.values()),
        audience="evaluator",
    )
