"""CoP formation assessment: a verdict per team with every criterion, its value and threshold."""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.agreement import _icc_from_anova, _oneway_from_codes, agreement_table, icc1
from analysis.bundle import Bundle
from analysis.network import network_table
from analysis.network_inference import team_wave_test
from analysis.rwg_null import rwg_null_quantile
from analysis.scoring import item_matrix, scale_scores

__all__ = [
    "CRITERIA",
    "DIRECTIONS",
    "GOOD",
    "VERDICTS",
    "WARNING",
    "Criterion",
    "FormationEvidence",
    "Reason",
    "TeamVerdict",
    "assess_formation",
    "counted_team_waves",
    "default_criteria",
    "formation_evidence",
    "formation_sensitivity",
    "formation_table",
    "judge_formation",
    "resolve_criteria",
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


@functools.cache
def _defaults() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8"))
    return loaded


def default_criteria() -> dict[str, Any]:
    """The default thresholds (``analysis/formation.yaml``) as a nested dict (a fresh copy:
    the file is read once per process)."""
    return copy.deepcopy(_defaults())


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


def resolve_criteria(criteria: Mapping[str, Any] | str | Path | None = None) -> dict[str, Any]:
    """The formation criteria: the defaults with ``criteria`` (a mapping or YAML file) applied.

    Raises
    ------
    ValueError
        For an unknown criterion, a value of the wrong kind, or a file that is not a mapping.
    """
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
        ``identity_gap`` (collaborative minus professional), ``network_coverage``,
        ``network_responders`` and ``cross_ratio_profession``.
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
    counted_cache: dict[tuple[str, float, float, float], pd.DataFrame] = field(
        default_factory=dict, compare=False, repr=False
    )
    ratio_p: Callable[[str, int], float] = field(
        default=lambda team, wave: float("nan"), compare=False, repr=False
    )
    """One-sided permutation p-value of a team-wave's cross-profession ratio against random
    mixing (:func:`analysis.network_permutation`), asked only where a verdict needs it."""
    ratio_p_adjusted: Callable[[str, int], float | None] = field(
        default=lambda team, wave: None, compare=False, repr=False
    )
    """The same p adjusted for multiplicity across the team-waves tested beside it (the
    ``ratio_p_adjusted`` column of the permutation table the evidence was given), or None
    when the table has no adjusted p (each team-wave then stands alone). Where it is known,
    the knowledge-crossing criterion is decided by it, so a verdict never calls sticking on a
    p that the report's network table shows as not significant after adjustment."""


def formation_evidence(
    bundle: Bundle,
    criteria: Mapping[str, Any] | None = None,
    *,
    network: pd.DataFrame | None = None,
    permutation: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
    agreement: pd.DataFrame | None = None,
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
    permutation : DataFrame, optional
        :func:`analysis.network_permutation` of the bundle made with ``min_coverage=0``, when
        already computed (else each team-wave a verdict needs is tested here with the default
        draws and seed). With a ``ratio_p_adjusted`` column
        (:func:`analysis.multiplicity.adjust_claims`, as :func:`analysis.analyse_bundle` makes
        it) the knowledge-crossing criterion is decided by the adjusted p.
    items, scores : DataFrame, optional
        :func:`analysis.item_matrix` (reverse keyed) and :func:`analysis.scale_scores` of the
        bundle, when already computed (``scores`` is not changed).
    agreement : DataFrame, optional
        :func:`analysis.agreement_table` of the bundle's scales (at least the practice
        scales), when already computed; only the practice scales taken together are added.
    """
    settings = resolve_criteria(criteria)
    instrument = bundle.instrument
    practice_scales = tuple(settings["practice"]["scales"])
    for scale_id in (*practice_scales, "collaborative_identity", "professional_identity"):
        instrument.scale(scale_id)  # KeyError naming the known scales
    if items is None:
        items = item_matrix(bundle.responses, instrument)
    scores = scale_scores(items, instrument) if scores is None else scores.copy()
    scores[_PRACTICE] = scores[list(practice_scales)].mean(axis=1, skipna=False)
    scores["identity_gap"] = scores["collaborative_identity"] - scores["professional_identity"]

    options = instrument.scale(practice_scales[0]).response_scale.options
    by_scale = {s: list(instrument.scale(s).item_ids) for s in practice_scales}
    all_practice = [i for s in practice_scales for i in by_scale[s]]
    table = _practice_agreement(items, by_scale, all_practice, options, agreement)
    rwg = table.pivot_table(index=["team", "wave"], columns="scale", values="rwg_j", dropna=False)
    rwg.columns = [f"rwg_j_{c}" for c in rwg.columns]
    complete = table.pivot_table(index=["team", "wave"], columns="scale", values="n")

    scale_columns = [s.id for s in instrument.scales]
    means = scores.groupby(["team", "wave"])[[*scale_columns, _PRACTICE, "identity_gap"]].mean()
    roster = bundle.roster.groupby(["team", "wave"]).agg(roster_size=("respondent", "size"))
    if network is None:
        network = network_table(bundle, min_coverage=0.0, brokerage_roles=False)
    network = network.set_index(["team", "wave"])
    team_waves = roster.join(means).join(rwg)
    scored = scores.groupby(["team", "wave"])[_PRACTICE].count()
    team_waves["respondents"] = scored.reindex(team_waves.index).fillna(0).astype(int)
    for scale_id in practice_scales:
        team_waves[f"n_{scale_id}"] = complete[scale_id].reindex(team_waves.index).fillna(0)
    team_waves["response_rate"] = team_waves["respondents"] / team_waves["roster_size"]
    team_waves["network_coverage"] = network["coverage"].reindex(team_waves.index)
    team_waves["network_responders"] = network["responders"].reindex(team_waves.index)
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
    team_waves["profession_icc1"] = _profession_icc1(scores).reindex(team_waves.index)
    return FormationEvidence(
        ratio_p=_ratio_p(bundle, permutation),
        ratio_p_adjusted=_adjusted_p(permutation),
        team_waves=team_waves.reset_index(),
        respondents=scores,
        icc1_by_wave=icc_by_wave,
        practice_scales=practice_scales,
        n_items={s: len(by_scale[s]) for s in practice_scales},
        options=options,
    )


def _practice_agreement(
    items: pd.DataFrame,
    by_scale: Mapping[str, list[str]],
    all_practice: list[str],
    options: int,
    agreement: pd.DataFrame | None,
) -> pd.DataFrame:
    """Agreement of each practice scale and of all practice items together: the scales' rows
    from ``agreement`` when given (each scale's rows depend on that scale's items only)."""
    if agreement is None:
        return agreement_table(items, {**by_scale, _PRACTICE: all_practice}, options)
    known = agreement[agreement["scale"].isin(list(by_scale))]
    together = agreement_table(items, {_PRACTICE: all_practice}, options)
    return pd.concat([known, together], ignore_index=True)


def _ratio_p(bundle: Bundle, permutation: pd.DataFrame | None) -> Callable[[str, int], float]:
    """Look up a team-wave's permutation p, or test that team-wave when first asked (cached:
    formation needs it only for a team's last counted wave when its ratio is low)."""
    if permutation is not None:
        return _lookup(permutation, "ratio_p")
    cache: dict[tuple[str, int], float] = {}

    def tested(team: str, wave: int) -> float:
        if (team, wave) not in cache:
            cache[(team, wave)] = team_wave_test(bundle, team, wave).ratio_p
        return cache[(team, wave)]

    return tested


def _adjusted_p(permutation: pd.DataFrame | None) -> Callable[[str, int], float | None]:
    """Look up a team-wave's multiplicity-adjusted permutation p (None: no adjusted p known)."""
    if permutation is None or "ratio_p_adjusted" not in permutation.columns:
        return lambda team, wave: None
    return _lookup(permutation, "ratio_p_adjusted")


def _lookup(permutation: pd.DataFrame, column: str) -> Callable[[str, int], float]:
    """Look up a team-wave's value of ``column`` in the permutation table (NaN where absent)."""
    known = dict(
        zip(
            zip(permutation["team"], permutation["wave"], strict=True),
            permutation[column],
            strict=True,
        )
    )
    return lambda team, wave: float(known.get((team, wave), float("nan")))


def _profession_icc1(scores: pd.DataFrame) -> pd.Series:
    """ICC(1) of practice by profession per team and wave, over professions with two or more
    respondents in that team-wave (NaN where fewer than two such professions remain)."""
    data = scores.dropna(subset=[_PRACTICE, "profession"])
    sizes = data.groupby(["team", "wave", "profession"])[_PRACTICE].transform("size")
    data = data[sizes.to_numpy() >= 2]
    professions = pd.factorize(data["profession"])[0]
    practice = data[_PRACTICE].to_numpy(dtype=float)
    out: dict[Any, float] = {}
    for key, rows in data.groupby(["team", "wave"]).indices.items():
        codes = np.unique(professions[rows], return_inverse=True)[1]
        if codes.max() < 1:
            continue
        out[key] = _icc_from_anova(*_oneway_from_codes(practice[rows], codes))
    index = pd.MultiIndex.from_tuples(list(out), names=["team", "wave"]) if out else None
    return pd.Series(list(out.values()), index=index, dtype=float)


def _within_sd(values: np.ndarray, groups: np.ndarray) -> float:
    """Standard deviation of ``values`` within ``groups`` (integer codes), pooled."""
    counts = np.bincount(groups)
    dof = len(values) - int((counts > 0).sum())
    if dof <= 0:
        return float("nan")
    means = np.bincount(groups, weights=values) / np.maximum(counts, 1)
    return float(np.sqrt(((values - means[groups]) ** 2).sum() / dof))


def _pooled_sd(scores: pd.DataFrame, column: str) -> float:
    """Standard deviation of ``column`` within waves, pooled over the waves given."""
    data = scores.dropna(subset=[column])
    waves = pd.factorize(data["wave"])[0]
    return _within_sd(data[column].to_numpy(dtype=float), waves)


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
    y = frame[column].to_numpy(dtype=float)
    kept = ~np.isnan(y)
    y = y[kept]
    wave = frame["wave"].to_numpy(dtype=float)[kept]
    wave_values, wave_codes = np.unique(wave, return_inverse=True)
    sd = _within_sd(y, wave_codes)
    if len(wave_values) < 2 or not sd > 0:
        return float("nan"), float("nan")
    span = float(wave_values[-1] - wave_values[0])
    person = pd.factorize(frame["respondent"].to_numpy()[kept])[0]
    waves_of = np.bincount(np.unique(np.column_stack([person, wave_codes]), axis=0)[:, 0])
    repeated = waves_of[person] >= 2
    persons = int((waves_of >= 2).sum())
    if persons >= 3 and int(repeated.sum()) - persons - 1 > 0:
        t, y_r = wave[repeated], y[repeated]
        who = np.unique(person[repeated], return_inverse=True)[1]
        sizes = np.bincount(who)
        t_dev = t - (np.bincount(who, weights=t) / sizes)[who]
        y_dev = y_r - (np.bincount(who, weights=y_r) / sizes)[who]
        sxx = float((t_dev**2).sum())
        slope = float((t_dev * y_dev).sum() / sxx)
        residual = float(((y_dev - slope * t_dev) ** 2).sum()) / (len(t) - persons - 1)
        se = float(np.sqrt(residual / sxx)) if residual > 0 else float("nan")
    else:
        sizes = np.bincount(wave_codes).astype(float)
        cell_means = np.bincount(wave_codes, weights=y) / sizes
        weight = sizes / sd**2
        centre = (weight * wave_values).sum() / weight.sum()
        sxx = float((weight * (wave_values - centre) ** 2).sum())
        slope = float((weight * (wave_values - centre) * cell_means).sum() / sxx)
        se = 1 / float(np.sqrt(sxx))
    z = slope / se if se > 0 else float("inf") * np.sign(slope)
    return slope * span / sd, float(z)


def _fmt(value: float | None, digits: int = 2) -> str:
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
    rwg_n: dict[str, int]
    nulls: dict[str, float]
    icc_last: float
    icc_first: float
    collab: float
    prof: float
    gap_change: float
    gap_z: float
    gap_t: float
    coverage: float
    responders: int
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
        rwg_n=rwg_n,
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
        responders=int(last["network_responders"]) if pd.notna(last["network_responders"]) else 0,
        ratio=float(last["cross_ratio_profession"]),
        split=float(last["profession_icc1"]),
    )
    evidence.cache[key] = facts
    return facts


GOOD = "good"
"""Direction of a criterion whose holding is good for the community (e.g. practice is high)."""
WARNING = "warning"
"""Direction of a criterion whose holding is a warning sign (e.g. ratings split by profession)."""

#: Per criterion: whether holding it is good for the community or a warning sign.
DIRECTIONS: dict[str, str] = {
    "coverage": GOOD,
    "practice_level": GOOD,
    "practice_change": GOOD,
    "agreement": GOOD,
    "icc1": GOOD,
    "identity": GOOD,
    "boundaries": GOOD,
    "profession_split": WARNING,
}
#: Criteria reported for the study as a whole, which do not decide a team's verdict.
STUDY_LEVEL = frozenset({"icc1"})


@dataclass(frozen=True)
class Criterion:
    """One formation criterion as judged for one team.

    Attributes
    ----------
    name : str
        One of :data:`CRITERIA`.
    value : float
        The team's value (NaN when not assessed).
    threshold : float
        The threshold it is compared with (from the criteria).
    held : bool or None
        Whether the value meets the threshold; None when it could not be assessed.
    direction : str
        :data:`GOOD` when holding is good for the community, :data:`WARNING` when holding
        is a warning sign (the enclave pattern).
    decides : bool
        False for study-level criteria reported beside the verdict but not deciding it.
    wave : int or None
        The wave whose data the value is taken from (None: a change across waves).
    n : int or None
        Respondents the value rests on.
    not_assessed : str
        Why ``held`` is None (plain words), else empty.
    p, alpha : float or None
        For a criterion that also rests on a test (``boundaries``: the permutation test of
        mixing), its p-value and the level below which it counts; None otherwise.
    p_adjusted : float or None
        That p adjusted for multiplicity across the team-waves tested beside it, when known;
        the criterion is then decided by it (``p_adjusted < alpha``).
    """

    name: str
    value: float
    threshold: float
    held: bool | None
    direction: str = GOOD
    decides: bool = True
    wave: int | None = None
    n: int | None = None
    not_assessed: str = ""
    p: float | None = None
    alpha: float | None = None
    p_adjusted: float | None = None

    @property
    def assessed(self) -> bool:
        """Whether the criterion could be judged."""
        return self.held is not None

    @property
    def favourable(self) -> bool | None:
        """Whether the outcome is good for the community (None when not assessed).

        Examples
        --------
        >>> Criterion("profession_split", 0.4, 0.3, True, WARNING).favourable
        False
        """
        if self.held is None:
            return None
        return self.held if self.direction == GOOD else not self.held


@dataclass(frozen=True)
class Reason:
    """One plain-English reason for a verdict, tied to the criterion it explains (or None)."""

    criterion: str | None
    text: str


@dataclass(frozen=True)
class TeamVerdict:
    """A team's formation verdict with every criterion and reason, as structured data.

    Attributes
    ----------
    team, verdict : str
        The team and its verdict (one of :data:`VERDICTS`).
    criteria : tuple of Criterion
        Every criterion of :data:`CRITERIA`, in that order.
    reasons : tuple of Reason
        Plain-English reasons, in order.
    counted_waves : tuple of int
        The waves whose data counted for the verdict (see :func:`counted_team_waves`).
    """

    team: str
    verdict: str
    criteria: tuple[Criterion, ...]
    reasons: tuple[Reason, ...]
    counted_waves: tuple[int, ...] = ()

    @property
    def first_wave(self) -> int | None:
        """The first counted wave (None when no wave counted)."""
        return self.counted_waves[0] if self.counted_waves else None

    @property
    def last_wave(self) -> int | None:
        """The last counted wave: the one the level criteria are judged at."""
        return self.counted_waves[-1] if self.counted_waves else None

    def criterion(self, name: str) -> Criterion:
        """The criterion called ``name`` (KeyError naming the known ones)."""
        for item in self.criteria:
            if item.name == name:
                return item
        raise KeyError(f"no criterion {name!r}; known: {', '.join(CRITERIA)}")

    @property
    def unassessed(self) -> tuple[str, ...]:
        """Criteria that could have changed the verdict but could not be assessed.

        ``formed`` is decided before the enclave signs, so an unmeasurable split by
        profession does not qualify it; every other verdict could have been
        ``uniprofessional_enclaves`` had the split or the knowledge ties been measured.
        """
        if self.verdict == "insufficient_data":
            return ()
        skip = {"profession_split"} if self.verdict == "formed" else set()
        return tuple(
            c.name for c in self.criteria if c.decides and not c.assessed and c.name not in skip
        )


def _not_counted(respondents: int, roster: int, settings: Mapping[str, Any]) -> str:
    """Why a team-wave does not count, or empty when it does."""
    need_n = int(settings["min_respondents"])
    need_rate = float(settings["min_response_rate"])
    if respondents >= need_n and roster and respondents / roster >= need_rate:
        return ""
    return (
        f"not counted: {respondents} of {roster} answered "
        f"(at least {need_n} and {need_rate:.0%} needed)"
    )


def counted_team_waves(
    evidence: FormationEvidence, criteria: Mapping[str, Any] | str | Path | None = None
) -> pd.DataFrame:
    """Which team-waves count toward the verdicts, and why the others do not.

    A team-wave counts when at least ``coverage.min_respondents`` respondents have a practice
    score and they are at least ``coverage.min_response_rate`` of the roster. Its network
    counts when, in addition, at least ``boundaries.min_network_coverage`` of the roster
    answered (the share who can name knowledge ties). Every report, brief and dashboard shows
    evidence only from counted team-waves, or greys the others with ``reason``.

    Returns
    -------
    DataFrame
        One row per team x wave: ``team``, ``wave``, ``roster_size``, ``respondents``,
        ``response_rate``, ``counted`` (bool), ``reason`` (plain words, empty when counted),
        ``network_coverage``, ``network_counted`` (bool) and ``network_reason``.
    """
    settings = resolve_criteria(criteria)
    cov, min_network = settings["coverage"], float(settings["boundaries"]["min_network_coverage"])
    rows = []
    for row in evidence.team_waves.sort_values(["team", "wave"]).to_dict(orient="records"):
        respondents, roster = int(row["respondents"]), int(row["roster_size"])
        reason = _not_counted(respondents, roster, cov)
        coverage = float(row["network_coverage"])
        network_reason = reason
        if not reason and not (coverage >= min_network):
            network_reason = (
                f"network not assessed: {coverage:.0%} of the roster answered "
                f"({min_network:.0%} needed)"
            )
        rows.append(
            {
                "team": str(row["team"]),
                "wave": int(row["wave"]),
                "roster_size": roster,
                "respondents": respondents,
                "response_rate": respondents / roster if roster else float("nan"),
                "counted": not reason,
                "reason": reason,
                "network_coverage": coverage,
                "network_counted": not network_reason,
                "network_reason": network_reason,
            }
        )
    return pd.DataFrame(rows)


def _coverage_criteria(
    team: str, counted: pd.DataFrame, settings: Mapping[str, Any]
) -> tuple[Criterion, tuple[int, ...]]:
    cov = settings["coverage"]
    waves = tuple(int(w) for w in counted.loc[counted["team"] == team, "wave"])
    need = float(cov["min_waves"])
    return Criterion("coverage", float(len(waves)), need, len(waves) >= need), waves


def _practice_criteria(f: _TeamFacts, settings: Mapping[str, Any]) -> list[Criterion]:
    prac, emer = settings["practice"], settings["emergence"]
    rose = bool(f.change >= prac["forming_change_sd"] and f.change_z >= prac["change_z"])
    floor = max(emer["rwg_j_min"], *f.nulls.values())
    agreed = all(f.rwgs[s] >= emer["rwg_j_min"] and f.rwgs[s] > f.nulls[s] for s in f.rwgs)
    icc_rising = math.isnan(f.icc_first) or f.last_wave == f.first_wave or f.icc_last > f.icc_first
    return [
        Criterion(
            "practice_level",
            f.level,
            prac["formed_mean"],
            bool(f.level >= prac["formed_mean"]),
            wave=f.last_wave,
            n=f.respondents,
        ),
        Criterion("practice_change", f.change, prac["forming_change_sd"], rose),
        Criterion(
            "agreement",
            min(f.rwgs.values()),
            floor,
            agreed,
            wave=f.last_wave,
            n=min(f.rwg_n.values()),
        ),
        Criterion(
            "icc1",
            f.icc_last,
            emer["icc1_min"],
            bool(f.icc_last > emer["icc1_min"] and icc_rising),
            decides=False,
            wave=f.last_wave,
        ),
    ]


def _identity_criterion(f: _TeamFacts, settings: Mapping[str, Any]) -> Criterion:
    prac, ident = settings["practice"], settings["identity"]
    not_below = f.collab >= f.prof or bool(f.gap_t > -prac["change_z"])
    rising = bool(f.gap_change >= ident["gap_rise"] and f.gap_z >= prac["change_z"])
    held = bool(f.collab >= ident["collaborative_mean"] and (not_below or rising))
    return Criterion(
        "identity", f.collab, ident["collaborative_mean"], held, wave=f.last_wave, n=f.respondents
    )


def _boundary_criteria(
    f: _TeamFacts,
    settings: Mapping[str, Any],
    ratio_p: Callable[[], float],
    adjusted_p: Callable[[], float | None] = lambda: None,
) -> list[Criterion]:
    bound, encl = settings["boundaries"], settings["enclaves"]
    min_coverage = float(bound["min_network_coverage"])
    alpha = float(bound["permutation_alpha"])
    if f.coverage >= min_coverage and not math.isnan(f.ratio):
        above = bool(f.ratio >= bound["cross_ratio_min"])
        # the test only matters below the threshold; adjusted for multiplicity where known
        p, adjusted = (float("nan"), None) if above else (ratio_p(), adjusted_p())
        deciding = p if adjusted is None else adjusted
        beyond_chance = bool(deciding < alpha)  # NaN p (no test possible) is not beyond chance
        boundaries = Criterion(
            "boundaries",
            f.ratio,
            bound["cross_ratio_min"],
            True if above else (False if beyond_chance else None),
            wave=f.last_wave,
            n=f.responders,
            not_assessed=""
            if above or beyond_chance
            else f"below {_fmt(bound['cross_ratio_min'])}, but no lower than random mixing "
            f"gives a team of this size and make-up (p = {_fmt(p, 3)}"
            f"{_adjusted_words(adjusted)}, {_fmt(alpha)} needed to call it sticking)",
            p=None if above else p,
            alpha=alpha,
            p_adjusted=adjusted,
        )
    else:
        boundaries = Criterion(
            "boundaries",
            float("nan"),
            bound["cross_ratio_min"],
            None,
            wave=f.last_wave,
            n=f.responders,
            not_assessed=f"{_fmt(f.coverage * 100, 0)}% of the roster answered the roster "
            f"question ({min_coverage:.0%} needed)",
        )
    threshold = encl["profession_icc1_min"]
    if math.isnan(f.split):
        split = Criterion(
            "profession_split",
            f.split,
            threshold,
            None,
            WARNING,
            wave=f.last_wave,
            not_assessed="fewer than two professions with two or more respondents",
        )
    else:
        split = Criterion(
            "profession_split",
            f.split,
            threshold,
            bool(f.split >= threshold),
            WARNING,
            wave=f.last_wave,
        )
    return [boundaries, split]


def _adjusted_words(adjusted: float | None) -> str:
    """`` adjusted 0.380`` after a p, or nothing when no adjusted p is known."""
    return "" if adjusted is None else f"; {_fmt(adjusted, 3)} adjusted for the team-waves tested"


def _decide(f: _TeamFacts, crit: Mapping[str, Criterion], settings: Mapping[str, Any]) -> str:
    """The verdict from judged criteria, in the order :func:`assess_formation` documents."""
    encl = settings["enclaves"]
    formed = bool(
        crit["practice_level"].held
        and crit["agreement"].held
        and crit["identity"].held
        and crit["boundaries"].held is not False
    )
    if formed:
        return "formed"
    inward = crit["boundaries"].held is False or f.prof - f.collab >= encl["identity_gap"]
    engaged = f.practice >= encl["practice_min"]
    if engaged and bool(crit["profession_split"].held) and inward:
        return "uniprofessional_enclaves"
    if crit["practice_change"].held:
        return "forming"
    return "not_formed"


def _unjudged(name: str, direction: str, threshold: float) -> Criterion:
    return Criterion(name, float("nan"), threshold, None, direction, name not in STUDY_LEVEL)


def _judge_team(
    team: str, evidence: FormationEvidence, counted: pd.DataFrame, settings: Mapping[str, Any]
) -> TeamVerdict:
    cov = settings["coverage"]
    coverage, waves = _coverage_criteria(team, counted, settings)
    thresholds = _thresholds(settings)
    if not waves:
        reason = Reason(
            "coverage",
            f"no wave had at least {int(cov['min_respondents'])} respondents and "
            f"{cov['min_response_rate']:.0%} of the roster",
        )
        rest = tuple(
            _unjudged(n, DIRECTIONS[n], thresholds[n]) for n in CRITERIA if n != "coverage"
        )
        return TeamVerdict(team, "insufficient_data", (coverage, *rest), (reason,), waves)
    f = _team_facts(team, waves, evidence, float(settings["emergence"]["null_quantile"]))
    judged = [
        coverage,
        *_practice_criteria(f, settings),
        _identity_criterion(f, settings),
        *_boundary_criteria(
            f,
            settings,
            lambda: evidence.ratio_p(team, f.last_wave),
            lambda: evidence.ratio_p_adjusted(team, f.last_wave),
        ),
    ]
    crit = {c.name: c for c in judged}
    ordered = tuple(crit[name] for name in CRITERIA)
    if not coverage.held:
        reason = Reason(
            "coverage",
            f"only {len(waves)} wave(s) had enough respondents; {int(cov['min_waves'])} are needed",
        )
        return TeamVerdict(team, "insufficient_data", ordered, (reason,), waves)
    verdict = _decide(f, crit, settings)
    return TeamVerdict(team, verdict, ordered, _reasons(crit, f), waves)


def _thresholds(settings: Mapping[str, Any]) -> dict[str, float]:
    """Each criterion's threshold as stated in the criteria (before any team's data)."""
    return {
        "coverage": float(settings["coverage"]["min_waves"]),
        "practice_level": float(settings["practice"]["formed_mean"]),
        "practice_change": float(settings["practice"]["forming_change_sd"]),
        "agreement": float(settings["emergence"]["rwg_j_min"]),
        "icc1": float(settings["emergence"]["icc1_min"]),
        "identity": float(settings["identity"]["collaborative_mean"]),
        "boundaries": float(settings["boundaries"]["cross_ratio_min"]),
        "profession_split": float(settings["enclaves"]["profession_icc1_min"]),
    }


def _reasons(crit: Mapping[str, Criterion], f: _TeamFacts) -> tuple[Reason, ...]:
    level, change, rwg = crit["practice_level"], crit["practice_change"], crit["agreement"]
    out = [
        Reason(
            "practice_level",
            f"practice at wave {f.last_wave}: lowest scale mean {_fmt(level.value)} "
            f"({'at or above' if level.held else 'below'} {_fmt(level.threshold)})",
        ),
        Reason(
            "practice_change",
            f"change since the first wave: {_fmt(change.value)} within-team SDs "
            f"({'a real rise' if change.held else 'no clear rise'}; "
            f"{_fmt(change.threshold)} needed)",
        ),
        Reason(
            "agreement",
            f"agreement on practice: weakest rwg(j) {_fmt(rwg.value)} "
            f"({'shared view' if rwg.held else 'no shared view yet'}; needs "
            f"{_fmt(rwg.threshold)} and above random responding)",
        ),
        Reason(
            "identity",
            f"identification with the team {_fmt(f.collab)} versus with one's profession "
            f"{_fmt(f.prof)}",
        ),
    ]
    ties = crit["boundaries"]
    if ties.held is None and ties.p is None:
        out.append(Reason("boundaries", f"knowledge ties not assessed: {ties.not_assessed}"))
    elif ties.held is None:
        out.append(
            Reason(
                "boundaries",
                f"knowledge ties across professions at {_fmt(ties.value)} of the random-mixing "
                f"level: {ties.not_assessed}",
            )
        )
    else:
        finding = (
            "crossing boundaries"
            if ties.held
            else "sticking inside professions beyond chance, "
            f"p = {_fmt(ties.p, 3)}{_adjusted_words(ties.p_adjusted)}"
        )
        out.append(
            Reason(
                "boundaries",
                f"knowledge ties across professions at {_fmt(ties.value)} of the random-mixing "
                f"level ({finding}; {_fmt(ties.threshold)} needed)",
            )
        )
    split = crit["profession_split"]
    if split.held:
        out.append(
            Reason(
                "profession_split",
                "practice ratings split along professional lines "
                f"(ICC(1) by profession {_fmt(split.value)})",
            )
        )
    return tuple(out)


def judge_formation(
    bundle: Bundle,
    criteria: Mapping[str, Any] | str | Path | None = None,
    *,
    evidence: FormationEvidence | None = None,
) -> tuple[TeamVerdict, ...]:
    """Judge, per team, whether its community of practice formed, as structured records.

    The same judgement as :func:`assess_formation` (which flattens these records into a
    table); see there for the rules.

    Returns
    -------
    tuple of TeamVerdict
        One per team of the bundle, in the bundle's team order.
    """
    settings = resolve_criteria(criteria)
    if evidence is None:
        evidence = formation_evidence(bundle, settings)
    counted = _counted_only(evidence, settings)
    return tuple(_judge_team(team, evidence, counted, settings) for team in bundle.teams)


def _counted_only(evidence: FormationEvidence, settings: Mapping[str, Any]) -> pd.DataFrame:
    """The counted team-waves under ``settings``, kept with the evidence for the next judgement
    with the same coverage thresholds (the sensitivity analysis judges many times)."""
    cov = settings["coverage"]
    key = (
        "counted",
        float(cov["min_respondents"]),
        float(cov["min_response_rate"]),
        float(settings["boundaries"]["min_network_coverage"]),
    )
    if key not in evidence.counted_cache:
        counted = counted_team_waves(evidence, settings)
        evidence.counted_cache[key] = counted[counted["counted"]]
    return evidence.counted_cache[key]


def formation_table(verdicts: Sequence[TeamVerdict]) -> pd.DataFrame:
    """Flatten verdicts into one row per team (the ``formation.csv`` layout).

    Columns: ``team``, ``verdict``, ``reasons`` (the reasons joined by ``"; "``, for people
    reading the CSV), ``first_wave``, ``last_wave``, ``counted_waves`` (space-separated), then
    per criterion of :data:`CRITERIA` ``<name>_value``, ``<name>_threshold``, ``<name>_held``
    (True, False or None where not assessed) and ``<name>_direction``; ``boundaries_p``, the
    permutation p-value the knowledge-crossing criterion rests on.
    """
    rows = []
    for item in verdicts:
        row: dict[str, Any] = {
            "team": item.team,
            "verdict": item.verdict,
            "reasons": "; ".join(r.text for r in item.reasons),
            "first_wave": item.first_wave if item.first_wave is not None else np.nan,
            "last_wave": item.last_wave if item.last_wave is not None else np.nan,
            "counted_waves": " ".join(str(w) for w in item.counted_waves),
        }
        for criterion in item.criteria:
            row[f"{criterion.name}_value"] = criterion.value
            row[f"{criterion.name}_threshold"] = criterion.threshold
            row[f"{criterion.name}_held"] = criterion.held
            row[f"{criterion.name}_direction"] = criterion.direction
            if criterion.p is not None:
                row[f"{criterion.name}_p"] = criterion.p
            if criterion.p_adjusted is not None:
                row[f"{criterion.name}_p_adjusted"] = criterion.p_adjusted
        rows.append(row)
    return pd.DataFrame(rows)


def assess_formation(
    bundle: Bundle,
    criteria: Mapping[str, Any] | str | Path | None = None,
    *,
    evidence: FormationEvidence | None = None,
) -> pd.DataFrame:
    """Judge, per team, whether its community of practice formed.

    Verdicts, in the order they are decided:

    - ``insufficient_data``: fewer than ``coverage.min_waves`` waves with at least
      ``coverage.min_respondents`` respondents and ``coverage.min_response_rate`` of the roster
      (the counted team-waves of :func:`counted_team_waves`; every later criterion uses those
      waves only).
    - ``formed``: at the last counted wave every practice scale's team mean is at least
      ``practice.formed_mean``; every practice scale's :math:`r_{wg(J)}` is at least
      ``emergence.rwg_j_min`` and above the ``emergence.null_quantile`` quantile of
      :math:`r_{wg(J)}` for random responders in a team of that size; collaborative
      identification is at least ``identity.collaborative_mean`` and not below professional
      identification beyond sampling noise (the members' mean gap collaborative minus
      professional has :math:`z = \\bar d / (s_d/\\sqrt n) > -` ``practice.change_z``), or
      that gap rose by at least ``identity.gap_rise`` SDs (with :math:`z \\ge`
      ``practice.change_z``); and, where roster coverage is at least
      ``boundaries.min_network_coverage``, the cross-profession share of knowledge ties is not
      below ``boundaries.cross_ratio_min`` of its random-mixing expectation beyond chance: a
      ratio under the threshold counts as knowledge sticking inside professions only when the
      permutation test (:func:`analysis.network_permutation`, professions shuffled within the
      team) gives :math:`p <` ``boundaries.permutation_alpha``; otherwise the criterion is
      unclear (``held`` None with ``p`` set) and does not block the verdict. Where coverage is
      lower the criterion is not assessed, and the verdict says so.
    - ``uniprofessional_enclaves``: not formed, yet members engage (practice composite at
      least ``enclaves.practice_min``), practice ratings split along professional lines
      (ICC(1) of the practice composite with profession as the group, within the team, over
      professions with two or more respondents, at least ``enclaves.profession_icc1_min``),
      and either knowledge ties stay inside professions (below ``boundaries.cross_ratio_min``
      beyond chance)
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

    Every criterion states its direction (:data:`DIRECTIONS`): holding is good for the
    community, except ``profession_split``, a warning sign of professional enclaves.

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
        :func:`formation_table` of :func:`judge_formation`: one row per team with ``team``,
        ``verdict``, ``reasons`` (plain English), ``first_wave``, ``last_wave``,
        ``counted_waves``, then ``<criterion>_value``, ``<criterion>_threshold``,
        ``<criterion>_held`` (True, False, or None where not assessed) and
        ``<criterion>_direction`` for every criterion in :data:`CRITERIA`.

    References
    ----------
    Wenger, E. (1998). *Communities of Practice*. Cambridge University Press.
    Kislov, R. et al. (2011). Rethinking capacity building for knowledge mobilisation:
    developing multilevel capabilities in healthcare organisations. *Implementation Science*.
    LeBreton, J. M. & Senter, J. L. (2008). Answers to 20 questions about interrater
    reliability and interrater agreement. *Organizational Research Methods*, 11, 815-852.
    """
    return formation_table(judge_formation(bundle, criteria, evidence=evidence))


def formation_sensitivity(
    bundle: Bundle,
    criteria: Mapping[str, Any] | str | Path | None = None,
    *,
    evidence: FormationEvidence | None = None,
    verdicts: Sequence[TeamVerdict] | None = None,
) -> pd.DataFrame:
    """Move each threshold down and up by its stated step and report which verdicts change.

    The steps are in the ``sensitivity`` section of the criteria (e.g.
    ``practice.formed_mean: 0.25``). The evidence is computed once; only the judgement is
    repeated. ``verdicts``, the verdicts of ``criteria`` on that evidence
    (:func:`judge_formation`) when already made, are the baseline the moves are compared with.

    Returns
    -------
    DataFrame
        One row per threshold x direction: ``criterion`` (dotted name), ``baseline``,
        ``moved_to``, ``changed`` (number of teams whose verdict changes) and ``changes``
        (``team: old -> new`` list).
    """
    settings = resolve_criteria(criteria)
    if evidence is None:
        evidence = formation_evidence(bundle, settings)
    if verdicts is None:
        verdicts = judge_formation(bundle, settings, evidence=evidence)
    base = {v.team: v.verdict for v in verdicts}
    rows = []
    for dotted, step in settings["sensitivity"].items():
        section, key = dotted.split(".")
        baseline = float(settings[section][key])
        for sign in (-1, 1):
            moved = copy.deepcopy(settings)
            moved[section][key] = baseline + sign * float(step)
            moved_verdicts = judge_formation(bundle, moved, evidence=evidence)
            diff = {v.team: v.verdict for v in moved_verdicts if base[v.team] != v.verdict}
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
