"""CoP formation assessment: a verdict per team with every criterion, its value and threshold."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.agreement import agreement_table, icc1
from analysis.bundle import Bundle
from analysis.network import network_table
from analysis.rwg_null import rwg_null_quantile
from analysis.scoring import item_matrix, scale_scores

__all__ = [
    "CRITERIA",
    "VERDICTS",
    "FormationEvidence",
    "assess_formation",
    "default_criteria",
    "formation_evidence",
    "formation_sensitivity",
]

VERDICTS = ("formed", "forming", "uniprofessional_enclaves", "not_formed", "insufficient_data")
CRITERIA = (
    "coverage",
    "practice_level",
    "practice_change",
    "agreement",
    "icc1",
    "identity",
    "boundaries",
    "profession_split",
)
DEFAULTS_PATH = Path(__file__).with_name("formation.yaml")
_PRACTICE = "practice"


def default_criteria() -> dict[str, Any]:
    """The default thresholds (``analysis/formation.yaml``) as a nested dict."""
    loaded: dict[str, Any] = yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8"))
    return loaded


def _merge(base: dict[str, Any], override: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if key not in out:
            known = ", ".join(sorted(out))
            raise ValueError(f"unknown formation criterion {where!r} (known here: {known})")
        if isinstance(out[key], dict):
            if not isinstance(value, Mapping):
                raise ValueError(f"formation criterion {where!r} must be a mapping")
            out[key] = _merge(out[key], value, f"{where}.")
        elif isinstance(out[key], list):
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"formation criterion {where!r} must be a list of names")
            out[key] = list(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
                raise ValueError(f"formation criterion {where!r} must be a number, got {value!r}")
            out[key] = float(value)
    return out


def _criteria(criteria: Mapping[str, Any] | str | Path | None) -> dict[str, Any]:
    if criteria is None:
        return default_criteria()
    if isinstance(criteria, str | Path):
        loaded = yaml.safe_load(Path(criteria).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, Mapping):
            raise ValueError(f"{criteria}: formation criteria must be a YAML mapping")
        criteria = loaded
    return _merge(default_criteria(), criteria)


@dataclass(frozen=True)
class FormationEvidence:
    """Everything the verdicts rest on, computed once and reused for every threshold setting.

    Attributes
    ----------
    team_waves : DataFrame
        One row per team x wave: ``roster_size``, ``respondents`` (with a practice score),
        ``n_<scale>`` (respondents with every item of a practice scale, whom its rwg(j) uses),
        ``response_rate``, the team
        mean of every scale, ``practice`` (mean of the practice scales), ``rwg_j_<scale>`` for
        each practice scale, ``rwg_j_practice`` (all practice items) and
        ``profession_icc1`` (ICC(1) of practice with profession as the group, within the team),
        ``identity_gap`` (collaborative minus professional), ``network_coverage`` and
        ``cross_ratio_profession``.
    respondents : DataFrame
        Scale scores per respondent x team x wave, with ``practice`` and ``identity_gap``.
    icc1_by_wave : Series
        ICC(1) of ``practice`` across teams per wave.
    """

    team_waves: pd.DataFrame
    respondents: pd.DataFrame
    icc1_by_wave: pd.Series
    practice_scales: tuple[str, ...]
    n_items: dict[str, int]
    options: int
    cache: dict[tuple[str, tuple[int, ...], float], Any] = field(
        default_factory=dict, compare=False, repr=False
    )


def formation_evidence(
    bundle: Bundle,
    criteria: Mapping[str, Any] | None = None,
    *,
    network: pd.DataFrame | None = None,
) -> FormationEvidence:
    """Compute the per team-wave evidence that :func:`assess_formation` judges.

    Parameters
    ----------
    bundle : Bundle
        A validated study bundle.
    criteria : mapping, optional
        Only ``practice.scales`` is used here (which scales count as practice).
    network : DataFrame, optional
        :func:`analysis.network_table` of the bundle made with ``min_coverage=0`` (coverage is
        judged here against ``boundaries.min_network_coverage``), when already computed.
    """
    settings = _criteria(criteria)
    instrument = bundle.instrument
    practice_scales = tuple(settings["practice"]["scales"])
    for scale_id in (*practice_scales, "collaborative_identity", "professional_identity"):
        instrument.scale(scale_id)  # KeyError naming the known scales
    items = item_matrix(bundle.responses, instrument)
    scores = scale_scores(items, instrument)
    scores[_PRACTICE] = scores[list(practice_scales)].mean(axis=1, skipna=False)
    scores["identity_gap"] = scores["collaborative_identity"] - scores["professional_identity"]

    options = instrument.scale(practice_scales[0]).response_scale.options
    by_scale = {s: list(instrument.scale(s).item_ids) for s in practice_scales}
    all_practice = [i for s in practice_scales for i in by_scale[s]]
    table = agreement_table(items, {**by_scale, _PRACTICE: all_practice}, options)
    rwg = table.pivot_table(index=["team", "wave"], columns="scale", values="rwg_j", dropna=False)
    rwg.columns = [f"rwg_j_{c}" for c in rwg.columns]
    complete = table.pivot_table(index=["team", "wave"], columns="scale", values="n")

    scale_columns = [s.id for s in instrument.scales]
    means = scores.groupby(["team", "wave"])[[*scale_columns, _PRACTICE, "identity_gap"]].mean()
    roster = bundle.roster.groupby(["team", "wave"]).agg(roster_size=("respondent", "size"))
    if network is None:
        network = network_table(bundle, min_coverage=0.0)
    network = network.set_index(["team", "wave"])
    team_waves = roster.join(means).join(rwg)
    scored = scores.groupby(["team", "wave"])[_PRACTICE].count()
    team_waves["respondents"] = scored.reindex(team_waves.index).fillna(0).astype(int)
    for scale_id in practice_scales:
        team_waves[f"n_{scale_id}"] = complete[scale_id].reindex(team_waves.index).fillna(0)
    team_waves["response_rate"] = team_waves["respondents"] / team_waves["roster_size"]
    team_waves["network_coverage"] = network["coverage"].reindex(team_waves.index)
    team_waves["cross_ratio_profession"] = network["cross_ratio_profession"].reindex(
        team_waves.index
    )

    icc_by_wave = pd.Series(
        {
            wave: icc1(frame.dropna(subset=[_PRACTICE]), _PRACTICE, "team")
            for wave, frame in scores.groupby("wave")
            if frame["team"].nunique() >= 2
        },
        dtype=float,
        name="icc1",
    )
    profession_icc = {
        key: _profession_icc1(frame) for key, frame in scores.groupby(["team", "wave"])
    }
    team_waves["profession_icc1"] = pd.Series(profession_icc, dtype=float).reindex(team_waves.index)
    return FormationEvidence(
        team_waves=team_waves.reset_index(),
        respondents=scores,
        icc1_by_wave=icc_by_wave,
        practice_scales=practice_scales,
        n_items={s: len(by_scale[s]) for s in practice_scales},
        options=options,
    )


def _profession_icc1(frame: pd.DataFrame) -> float:
    """ICC(1) of practice by profession, over professions with two or more respondents."""
    data = frame.dropna(subset=[_PRACTICE])
    sizes = data["profession"].map(data["profession"].value_counts())
    data = data[sizes >= 2]
    if data["profession"].nunique() < 2:
        return float("nan")
    return icc1(data, _PRACTICE, "profession")


def _pooled_sd(scores: pd.DataFrame, column: str) -> float:
    """Standard deviation of ``column`` within waves, pooled over the waves given."""
    data = scores.dropna(subset=[column])
    groups = data.groupby("wave")[column]
    dof = len(data) - groups.ngroups
    if dof <= 0:
        return float("nan")
    return float(np.sqrt(((data[column] - groups.transform("mean")) ** 2).sum() / dof))


def _change(frame: pd.DataFrame, column: str) -> tuple[float, float]:
    """Change first-to-last wave in within-team SDs, and its z against sampling noise.

    With :math:`s` the team's within-wave SD pooled over its waves, the slope :math:`b` is
    estimated within persons (respondent fixed effects, so stable differences between members
    do not count as noise): :math:`b = \\sum \\tilde t \\tilde y / \\sum \\tilde t^2` with
    :math:`\\tilde t, \\tilde y` deviations from each respondent's own means, and
    :math:`\\operatorname{SE}(b) = \\hat\\sigma_e / \\sqrt{\\sum \\tilde t^2}`. Where fewer than
    three respondents answered twice, the weighted least-squares slope of the wave means
    (weights :math:`n_w / s^2`) is used instead. The change is :math:`b (t_{last} -
    t_{first}) / s` and :math:`z = b / \\operatorname{SE}(b)`.
    """
    data = frame.dropna(subset=[column])
    sd = _pooled_sd(data, column)
    waves = np.sort(data["wave"].unique()).astype(float)
    if len(waves) < 2 or not sd > 0:
        return float("nan"), float("nan")
    span = float(waves[-1] - waves[0])
    repeated = data[data.groupby("respondent")["wave"].transform("nunique") >= 2]
    persons = repeated["respondent"].nunique()
    if persons >= 3 and len(repeated) - persons - 1 > 0:
        t = repeated["wave"].astype(float)
        y = repeated[column].astype(float)
        t_dev = (t - t.groupby(repeated["respondent"]).transform("mean")).to_numpy()
        y_dev = (y - y.groupby(repeated["respondent"]).transform("mean")).to_numpy()
        sxx = float((t_dev**2).sum())
        slope = float((t_dev * y_dev).sum() / sxx)
        residual = float(((y_dev - slope * t_dev) ** 2).sum()) / (len(repeated) - persons - 1)
        se = float(np.sqrt(residual / sxx)) if residual > 0 else float("nan")
    else:
        cells = data.groupby("wave")[column].agg(["mean", "size"])
        tw = cells.index.to_numpy(dtype=float)
        weight = cells["size"].to_numpy(dtype=float) / sd**2
        centre = (weight * tw).sum() / weight.sum()
        sxx = float((weight * (tw - centre) ** 2).sum())
        slope = float((weight * (tw - centre) * cells["mean"].to_numpy(dtype=float)).sum() / sxx)
        se = 1 / float(np.sqrt(sxx))
    z = slope / se if se > 0 else float("inf") * np.sign(slope)
    return slope * span / sd, float(z)


def _fmt(value: float, digits: int = 2) -> str:
    return (
        "n/a"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.{digits}f}"
    )


@dataclass(frozen=True)
class _TeamFacts:
    """What one team's verdict rests on, given which of its waves count (no thresholds)."""

    first_wave: int
    last_wave: int
    respondents: int
    level: float
    practice: float
    change: float
    change_z: float
    rwgs: dict[str, float]
    nulls: dict[str, float]
    icc_last: float
    icc_first: float
    collab: float
    prof: float
    gap_change: float
    gap_z: float
    gap_t: float
    coverage: float
    ratio: float
    split: float


def _team_facts(
    team: str, waves: tuple[int, ...], evidence: FormationEvidence, quantile: float
) -> _TeamFacts:
    key = (team, waves, quantile)
    cached = evidence.cache.get(key)
    if cached is not None:
        return cached
    rows = evidence.team_waves
    last = rows[(rows["team"] == team) & (rows["wave"] == waves[-1])].iloc[0]
    people = evidence.respondents
    people = people[(people["team"] == team) & people["wave"].isin(waves)]
    change, change_z = _change(people, _PRACTICE)
    gap_change, gap_z = _change(people, "identity_gap")
    gaps = people.loc[people["wave"] == waves[-1], "identity_gap"].dropna()
    gap_se = float(gaps.std(ddof=1) / np.sqrt(len(gaps))) if len(gaps) >= 2 else float("nan")
    n = int(last["respondents"])
    rwg_n = {s: int(last[f"n_{s}"]) for s in evidence.practice_scales}
    facts = _TeamFacts(
        first_wave=waves[0],
        last_wave=waves[-1],
        respondents=n,
        level=min(float(last[s]) for s in evidence.practice_scales),
        practice=float(last[_PRACTICE]),
        change=change,
        change_z=change_z,
        rwgs={s: float(last[f"rwg_j_{s}"]) for s in evidence.practice_scales},
        nulls={
            s: rwg_null_quantile(rwg_n[s], evidence.n_items[s], evidence.options, quantile)
            if rwg_n[s] >= 2
            else 1.0
            for s in evidence.practice_scales
        },
        icc_last=float(evidence.icc1_by_wave.get(waves[-1], float("nan"))),
        icc_first=float(evidence.icc1_by_wave.get(waves[0], float("nan"))),
        collab=float(last["collaborative_identity"]),
        prof=float(last["professional_identity"]),
        gap_change=gap_change,
        gap_z=gap_z,
        gap_t=float(gaps.mean()) / gap_se if gap_se > 0 else float("nan"),
        coverage=float(last["network_coverage"]),
        ratio=float(last["cross_ratio_profession"]),
        split=float(last["profession_icc1"]),
    )
    evidence.cache[key] = facts
    return facts


def _judge_team(
    team: str, evidence: FormationEvidence, settings: Mapping[str, Any]
) -> dict[str, Any]:
    cov, prac, emer = settings["coverage"], settings["practice"], settings["emergence"]
    ident, bound, encl = settings["identity"], settings["boundaries"], settings["enclaves"]
    rows = evidence.team_waves[evidence.team_waves["team"] == team].sort_values("wave")
    ok = rows[
        (rows["respondents"] >= cov["min_respondents"])
        & (rows["response_rate"] >= cov["min_response_rate"])
    ]
    result: dict[str, Any] = {"team": team}
    crit: dict[str, tuple[float, float, bool | None]] = {}
    reasons: list[str] = []
    crit["coverage"] = (float(len(ok)), float(cov["min_waves"]), len(ok) >= cov["min_waves"])
    if len(ok) == 0:
        reasons.append(
            f"no wave had at least {int(cov['min_respondents'])} respondents and "
            f"{cov['min_response_rate']:.0%} of the roster"
        )
        return _finish(result, "insufficient_data", crit, reasons)
    waves = tuple(int(w) for w in ok["wave"])
    f = _team_facts(team, waves, evidence, float(emer["null_quantile"]))
    result["first_wave"], result["last_wave"] = f.first_wave, f.last_wave

    crit["practice_level"] = (f.level, prac["formed_mean"], f.level >= prac["formed_mean"])
    rose = bool(f.change >= prac["forming_change_sd"] and f.change_z >= prac["change_z"])
    crit["practice_change"] = (f.change, prac["forming_change_sd"], rose)

    floor = max(emer["rwg_j_min"], *f.nulls.values())
    agreed = all(f.rwgs[s] >= emer["rwg_j_min"] and f.rwgs[s] > f.nulls[s] for s in f.rwgs)
    crit["agreement"] = (min(f.rwgs.values()), floor, agreed)

    icc_rising = math.isnan(f.icc_first) or f.last_wave == f.first_wave or f.icc_last > f.icc_first
    crit["icc1"] = (
        f.icc_last,
        emer["icc1_min"],
        bool(f.icc_last > emer["icc1_min"] and icc_rising),
    )

    not_below = f.collab >= f.prof or bool(f.gap_t > -prac["change_z"])
    rising = bool(f.gap_change >= ident["gap_rise"] and f.gap_z >= prac["change_z"])
    identity_held = f.collab >= ident["collaborative_mean"] and (not_below or rising)
    crit["identity"] = (f.collab, ident["collaborative_mean"], identity_held)

    assessed = f.coverage >= bound["min_network_coverage"] and not math.isnan(f.ratio)
    crit["boundaries"] = (
        f.ratio if assessed else float("nan"),
        bound["cross_ratio_min"],
        bool(f.ratio >= bound["cross_ratio_min"]) if assessed else None,
    )
    crit["profession_split"] = (
        f.split,
        encl["profession_icc1_min"],
        bool(f.split >= encl["profession_icc1_min"]),
    )

    def held(name: str) -> bool | None:
        return crit[name][2]

    if not held("coverage"):
        reasons.append(
            f"only {len(ok)} wave(s) had enough respondents; {int(cov['min_waves'])} are needed"
        )
        return _finish(result, "insufficient_data", crit, reasons)
    formed = bool(
        held("practice_level")
        and held("agreement")
        and held("identity")
        and held("boundaries") is not False
    )
    inward = held("boundaries") is False or f.prof - f.collab >= encl["identity_gap"]
    engaged = f.practice >= encl["practice_min"]
    enclaves = not formed and engaged and bool(held("profession_split")) and inward
    if formed:
        verdict = "formed"
    elif enclaves:
        verdict = "uniprofessional_enclaves"
    elif held("practice_change"):
        verdict = "forming"
    else:
        verdict = "not_formed"
    reasons.extend(_reasons(crit, f.collab, f.prof, f.last_wave))
    return _finish(result, verdict, crit, reasons)


def _reasons(
    crit: Mapping[str, tuple[float, float, bool | None]],
    collab: float,
    prof: float,
    last_wave: int,
) -> list[str]:
    level, level_min, level_ok = crit["practice_level"]
    change, change_min, change_ok = crit["practice_change"]
    rwg, rwg_min, rwg_ok = crit["agreement"]
    out = [
        f"practice at wave {last_wave}: lowest scale mean {_fmt(level)} "
        f"({'at or above' if level_ok else 'below'} {_fmt(level_min)})",
        f"change since the first wave: {_fmt(change)} within-team SDs "
        f"({'a real rise' if change_ok else 'no clear rise'}; {_fmt(change_min)} needed)",
        f"agreement on practice: weakest rwg(j) {_fmt(rwg)} "
        f"({'shared view' if rwg_ok else 'no shared view yet'}; needs {_fmt(rwg_min)} and above random responding)",
        f"identification with the team {_fmt(collab)} versus with one's profession {_fmt(prof)}",
    ]
    ratio, ratio_min, ratio_ok = crit["boundaries"]
    if ratio_ok is None:
        out.append("knowledge ties not assessed: too few members answered the roster question")
    else:
        out.append(
            f"knowledge ties across professions at {_fmt(ratio)} of the random-mixing level "
            f"({'crossing boundaries' if ratio_ok else 'sticking inside professions'}; {_fmt(ratio_min)} needed)"
        )
    if crit["profession_split"][2]:
        out.append(
            f"practice ratings split along professional lines (ICC(1) by profession {_fmt(crit['profession_split'][0])})"
        )
    return out


def _finish(
    result: dict[str, Any],
    verdict: str,
    crit: Mapping[str, tuple[float, float, bool | None]],
    reasons: list[str],
) -> dict[str, Any]:
    result["verdict"] = verdict
    result["reasons"] = "; ".join(reasons)
    for name in CRITERIA:
        value, threshold, held = crit.get(name, (float("nan"), float("nan"), None))
        result[f"{name}_value"] = value
        result[f"{name}_threshold"] = threshold
        result[f"{name}_held"] = held
    return result


def assess_formation(
    bundle: Bundle,
    criteria: Mapping[str, Any] | str | Path | None = None,
    *,
    evidence: FormationEvidence | None = None,
) -> pd.DataFrame:
    """Judge, per team, whether its community of practice formed.

    Verdicts, in the order they are decided:

    - ``insufficient_data``: fewer than ``coverage.min_waves`` waves with at least
      ``coverage.min_respondents`` respondents and ``coverage.min_response_rate`` of the roster.
    - ``formed``: at the last such wave every practice scale's team mean is at least
      ``practice.formed_mean``; every practice scale's :math:`r_{wg(J)}` is at least
      ``emergence.rwg_j_min`` and above the ``emergence.null_quantile`` quantile of
      :math:`r_{wg(J)}` for random responders in a team of that size; collaborative
      identification is at least ``identity.collaborative_mean`` and not below professional
      identification beyond sampling noise (the members' mean gap collaborative minus
      professional has :math:`z = \\bar d / (s_d/\\sqrt n) > -` ``practice.change_z``), or
      that gap rose by at least ``identity.gap_rise`` SDs (with :math:`z \\ge`
      ``practice.change_z``); and, where roster coverage is at least
      ``boundaries.min_network_coverage``, the cross-profession share of knowledge ties is at
      least ``boundaries.cross_ratio_min`` of its random-mixing expectation.
    - ``uniprofessional_enclaves``: not formed, yet members engage (practice composite at
      least ``enclaves.practice_min``), practice ratings split along professional lines
      (ICC(1) of the practice composite with profession as the group, within the team, over
      professions with two or more respondents, at least ``enclaves.profession_icc1_min``),
      and either knowledge ties stay inside professions (below ``boundaries.cross_ratio_min``)
      or professional identification exceeds collaborative by ``enclaves.identity_gap``: the
      pattern Kislov describes. Judged before ``forming``: a siloed team whose scores rise is
      still siloed.
    - ``forming``: otherwise, if practice rose by at least ``practice.forming_change_sd``
      within-team SDs (the team's within-wave SD pooled over its waves) from the first to
      the last wave and beyond sampling noise
      (:math:`z \\ge` ``practice.change_z``):
      :math:`\\Delta = b \\,(t_{last} - t_{first}) / s_{pooled}` with :math:`b` the weighted
      least-squares slope of the team's wave means on wave (weights :math:`n_w / s^2_{pooled}`)
      and :math:`z = b / \\operatorname{SE}(b)`.
    - ``not_formed``: the rest.

    ICC(1) of practice across teams (``emergence.icc1_min``, and rising) is reported as a
    study-level criterion but does not gate a team's verdict: in a study where every team
    formed equally, between-team variance is small by design.

    Parameters
    ----------
    bundle : Bundle
        The validated study bundle.
    criteria : mapping, path or None
        Overrides of the defaults in ``analysis/formation.yaml`` (nested, e.g.
        ``{"practice": {"formed_mean": 5.5}}``) or a YAML file of them.
    evidence : FormationEvidence, optional
        Precomputed evidence (see :func:`formation_evidence`) to judge again cheaply.

    Returns
    -------
    DataFrame
        One row per team: ``team``, ``verdict``, ``reasons`` (plain English), ``first_wave``,
        ``last_wave``, then ``<criterion>_value``, ``<criterion>_threshold`` and
        ``<criterion>_held`` (True, False, or None where not assessed) for every criterion in
        :data:`CRITERIA`.

    References
    ----------
    Wenger, E. (1998). *Communities of Practice*. Cambridge University Press.
    Kislov, R. et al. (2011). Rethinking capacity building for knowledge mobilisation:
    developing multilevel capabilities in healthcare organisations. *Implementation Science*.
    LeBreton, J. M. & Senter, J. L. (2008). Answers to 20 questions about interrater
    reliability and interrater agreement. *Organizational Research Methods*, 11, 815-852.
    """
    settings = _criteria(criteria)
    if evidence is None:
        evidence = formation_evidence(bundle, settings)
    rows = [_judge_team(team, evidence, settings) for team in bundle.teams]
    frame = pd.DataFrame(rows)
    leading = ["team", "verdict", "reasons", "first_wave", "last_wave"]
    for column in leading:
        if column not in frame:
            frame[column] = np.nan
    return frame[leading + [c for c in frame.columns if c not in leading]]


def formation_sensitivity(
    bundle: Bundle,
    criteria: Mapping[str, Any] | str | Path | None = None,
    *,
    evidence: FormationEvidence | None = None,
) -> pd.DataFrame:
    """Move each threshold down and up by its stated step and report which verdicts change.

    The steps are in the ``sensitivity`` section of the criteria (e.g.
    ``practice.formed_mean: 0.25``). The evidence is computed once; only the judgement is
    repeated.

    Returns
    -------
    DataFrame
        One row per threshold x direction: ``criterion`` (dotted name), ``baseline``,
        ``moved_to``, ``changed`` (number of teams whose verdict changes) and ``changes``
        (``team: old -> new`` list).
    """
    settings = _criteria(criteria)
    if evidence is None:
        evidence = formation_evidence(bundle, settings)
    base = dict(
        assess_formation(bundle, settings, evidence=evidence)[["team", "verdict"]].to_numpy()
    )
    rows = []
    for dotted, step in settings["sensitivity"].items():
        section, key = dotted.split(".")
        baseline = float(settings[section][key])
        for sign in (-1, 1):
            moved = copy.deepcopy(settings)
            moved[section][key] = baseline + sign * float(step)
            verdicts = assess_formation(bundle, moved, evidence=evidence)[["team", "verdict"]]
            diff = {team: v for team, v in verdicts.to_numpy() if base[team] != v}
            rows.append(
                {
                    "criterion": dotted,
                    "baseline": baseline,
                    "moved_to": baseline + sign * float(step),
                    "changed": len(diff),
                    "changes": ", ".join(f"{t}: {base[t]} -> {v}" for t, v in diff.items()),
                }
            )
    return pd.DataFrame(rows)
