"""Kislov's CLAHRC findings as testable propositions, each with an estimate, interval and verdict."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.bundle import Bundle
from analysis.formation import (
    FormationEvidence,
    counted_team_waves,
    formation_evidence,
    resolve_criteria,
)
from analysis.growth import fit_growth_simplified
from analysis.interventions import intervention_effects

__all__ = [
    "CLAIMS",
    "PROPOSITION_COLUMNS",
    "PROPOSITION_VERDICTS",
    "PooledMixing",
    "PropositionResult",
    "assess_propositions",
    "baseline_identification_moderation",
    "broker_proposition",
    "cross_profession_ties",
    "enclave_proposition",
    "identification_proposition",
    "interconnection_proposition",
    "limited_control_proposition",
    "organisational_span",
    "pooled_mixing_test",
    "propositions_table",
    "span_proposition",
    "sticky_knowledge_proposition",
    "tost",
]

PROPOSITION_VERDICTS = ("supported", "contradicted", "inconclusive", "not_measured")
PROPOSITION_COLUMNS = (
    "proposition",
    "claim",
    "statistic",
    "estimate",
    "ci_low",
    "ci_high",
    "verdict",
    "reason",
    "rule",
    "p",
)
#: Kislov's findings (2014, 2018), numbered as in issue 18.
CLAIMS: dict[int, str] = {
    1: "Engineered CoPs are mainly uniprofessional and unidisciplinary, with strong boundaries.",
    2: "Knowledge flows easily within CoPs but is sticky at the boundaries between them.",
    3: "Managerial control over CoPs is limited: engineering them does not reliably produce them.",
    4: "Strong professional and organisational identification hampers a collaborative identity.",
    5: "New multiprofessional CoPs develop more readily when interconnected with existing "
    "communities and networks.",
    6: "Supra-organisational CoPs spanning several practices are problematic.",
    7: "Brokers (knowledge transfer associates) carry knowledge across boundaries.",
}
#: cop-health version-2 items the interconnection proposition needs.
INTERCONNECTION_ITEM = "interconnection_frequency"
#: The roster column naming a member's role (cop-health version-2 bundles).
ROLE_COLUMN = "role"
_PRACTICE = "practice"
_NAN = float("nan")


@dataclass(frozen=True)
class PropositionResult:
    """The test of one proposition on one study.

    Attributes
    ----------
    proposition : int
        1-7, as numbered in :data:`CLAIMS`.
    claim : str
        The finding in plain words.
    statistic : str
        What ``estimate`` is (its units and how it was computed).
    estimate, ci_low, ci_high : float
        The estimate and its 95% interval (NaN when not measured).
    verdict : str
        One of :data:`PROPOSITION_VERDICTS`.
    rule : str
        The rule that turned estimate, interval and test into the verdict.
    reason : str
        Why this verdict, in plain words with the figures.
    p : float
        The p-value the rule used, where it used one (else NaN).
    """

    proposition: int
    claim: str
    statistic: str
    estimate: float
    ci_low: float
    ci_high: float
    verdict: str
    rule: str
    reason: str
    p: float = _NAN


def _not_measured(number: int, statistic: str, rule: str, reason: str) -> PropositionResult:
    return PropositionResult(
        number, CLAIMS[number], statistic, _NAN, _NAN, _NAN, "not_measured", rule, reason
    )


def _interval_verdict(low: float, high: float, *, expected: Literal["above", "below"]) -> str:
    """``supported`` when the 95% interval lies on the ``expected`` side of 0,
    ``contradicted`` when it lies on the other side, otherwise ``inconclusive``."""
    agrees, disagrees = (low > 0, high < 0) if expected == "above" else (high < 0, low > 0)
    return "supported" if agrees else "contradicted" if disagrees else "inconclusive"


def _estimate_and_interval(term: Mapping[str, float]) -> tuple[float, float, float]:
    """A model term's estimate and the bounds of its 95% interval."""
    return float(term["estimate"]), float(term["ci_low"]), float(term["ci_high"])


def _term(fixed: pd.DataFrame, name: str) -> dict[str, float]:
    """One row of a fixed-effects table (indexed by term) as numbers."""
    row = fixed.to_dict(orient="index")[name]
    numbers = ("estimate", "se", "df", "t", "p", "ci_low", "ci_high")
    return {str(key): float(value) for key, value in row.items() if key in numbers}


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.{digits}f}"


def _p(value: float) -> str:
    return "n/a" if not math.isfinite(value) else ("< .001" if value < 0.001 else f"{value:.3f}")


# --------------------------------------------------------------------------- mixing, pooled
@dataclass(frozen=True)
class PooledMixing:
    """The E-I index pooled over teams against random mixing (:func:`pooled_mixing_test`).

    Attributes
    ----------
    teams, ties : int
        Team-waves pooled; ties in them.
    ei, ei_null_mean : float
        Pooled E-I index :math:`(\\sum E - \\sum I) / \\sum T` and its mean under random mixing.
    excess, ci_low, ci_high : float
        ``ei - ei_null_mean`` (negative: ties stay inside groups beyond chance) and its 95%
        percentile interval by resampling teams.
    p : float
        One-sided permutation p of the pooled E-I index, :math:`P(EI^* \\le EI)`.
    """

    teams: int
    ties: int
    ei: float
    ei_null_mean: float
    excess: float
    ci_low: float
    ci_high: float
    p: float


def _team_crossings(
    ties: pd.DataFrame, roster: pd.DataFrame, attribute: str, draws: int, rng: np.random.Generator
) -> tuple[int, int, np.ndarray] | None:
    """Observed cross-group ties, all ties and the crossings of ``draws`` label shuffles."""
    position = {person: index for index, person in enumerate(roster["respondent"])}
    kept = ties["source"].isin(position) & ties["target"].isin(position)
    source = ties.loc[kept, "source"].map(position).to_numpy(dtype=int)
    target = ties.loc[kept, "target"].map(position).to_numpy(dtype=int)
    codes = pd.factorize(roster[attribute].astype(str))[0]
    if len(source) == 0 or codes.max(initial=0) < 1:
        return None
    shuffled = rng.permuted(np.tile(codes, (draws, 1)), axis=1)
    null = (shuffled[:, source] != shuffled[:, target]).sum(axis=1)
    return int((codes[source] != codes[target]).sum()), len(source), null


def pooled_mixing_test(
    bundle: Bundle,
    team_waves: pd.DataFrame,
    attribute: str = "profession",
    *,
    draws: int = 2000,
    seed: int = 0,
) -> PooledMixing:
    """Permutation test of the E-I index pooled over teams (Krackhardt & Stern, 1988).

    Parameters
    ----------
    bundle : Bundle
        A validated study bundle.
    team_waves : DataFrame
        ``team``, ``wave``: the team-waves to pool (one per team, usually its last counted
        wave with enough network coverage).
    attribute : {"profession", "organisation"}
        The boundary.
    draws : int
        Permutations (group labels shuffled within each team's roster independently, so each
        team keeps its size, composition and tie structure).
    seed : int
        Seed of the permutations and of the team resampling.

    Returns
    -------
    PooledMixing
        NaN throughout when no team-wave has ties and two groups.

    Notes
    -----
    With :math:`E_j` the cross-group ties of team :math:`j`, :math:`T_j` all its ties and
    :math:`E^*_{jd}` the cross-group ties under the :math:`d`-th shuffle of the labels,

    .. math:: EI = \\frac{2\\sum_j E_j - \\sum_j T_j}{\\sum_j T_j}, \\qquad
              EI^*_d = \\frac{2\\sum_j E^*_{jd} - \\sum_j T_j}{\\sum_j T_j}, \\qquad
              p = \\frac{1 + \\#\\{d : EI^*_d \\le EI\\}}{1 + D}

    (a stratified permutation test: shuffles stay within teams). The excess
    :math:`EI - \\overline{EI^*}` = :math:`2\\sum_j (E_j - \\bar E^*_j) / \\sum_j T_j` gets a
    95% percentile interval from 2,000 resamples of teams (Efron & Tibshirani, 1993), so
    it reflects differences between teams, not only within them.

    References
    ----------
    Krackhardt, D. & Stern, R. N. (1988). Informal networks and organizational crises: an
    experimental simulation. *Social Psychology Quarterly*, 51(2), 123-140.
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
    """
    rng = np.random.default_rng([seed, zlib.crc32(attribute.encode())])
    rosters = dict(iter(bundle.roster.groupby(["team", "wave"], sort=False)))
    ties = dict(iter(bundle.ties.groupby(["team", "wave"], sort=False)))
    observed, totals, nulls = [], [], []
    for team, wave in team_waves[["team", "wave"]].itertuples(index=False):
        key = (team, int(wave))
        if key not in rosters:
            continue
        found = _team_crossings(
            ties.get(key, bundle.ties.iloc[0:0]), rosters[key], attribute, draws, rng
        )
        if found is not None:
            observed.append(found[0])
            totals.append(found[1])
            nulls.append(found[2])
    if not observed:
        return PooledMixing(0, 0, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN)
    e, t, null = np.array(observed), np.array(totals), np.vstack(nulls)
    total = int(t.sum())
    ei = (2 * e.sum() - total) / total
    ei_null = (2 * null.sum(axis=0) - total) / total
    p = (1 + int(np.sum(ei_null <= ei + 1e-12))) / (1 + draws)
    gap = e - null.mean(axis=1)
    picks = rng.integers(0, len(e), size=(2000, len(e)))
    boot = 2 * gap[picks].sum(axis=1) / t[picks].sum(axis=1)
    low, high = np.quantile(boot, [0.025, 0.975])
    return PooledMixing(
        teams=len(e),
        ties=total,
        ei=float(ei),
        ei_null_mean=float(ei_null.mean()),
        excess=float(ei - ei_null.mean()),
        ci_low=float(low),
        ci_high=float(high),
        p=float(p),
    )


def _last_counted(team_waves: pd.DataFrame, column: str) -> pd.DataFrame:
    """Each team's last team-wave where ``column`` (a bool) holds."""
    counted = team_waves[team_waves[column].astype(bool)]
    return counted.sort_values(["team", "wave"]).groupby("team", as_index=False).tail(1)


def _t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its t interval (NaN bounds with fewer than two values)."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return _NAN, _NAN, _NAN
    mean = float(values.mean())
    if len(values) < 2:
        return mean, _NAN, _NAN
    half = float(stats.t.ppf((1 + level) / 2, len(values) - 1) * values.std(ddof=1))
    half /= math.sqrt(len(values))
    return mean, mean - half, mean + half


# --------------------------------------------------------------------------- 1 and 2
def enclave_proposition(
    evidence: FormationEvidence,
    counted: pd.DataFrame,
    mixing: PooledMixing,
    settings: Mapping[str, Any],
) -> PropositionResult:
    """Proposition 1: engineered CoPs are mainly uniprofessional enclaves.

    Parameters
    ----------
    evidence : FormationEvidence
        :func:`analysis.formation_evidence` of the study (``profession_icc1`` per team-wave).
    counted : DataFrame
        :func:`analysis.counted_team_waves` (``counted``, ``network_counted``).
    mixing : PooledMixing
        The pooled profession E-I test at each team's last network-counted wave.
    settings : mapping
        The resolved criteria (``enclaves.profession_icc1_min``, ``propositions.alpha``).

    Returns
    -------
    PropositionResult
        Estimate: the mean over teams of the profession ICC(1) of practice at each team's
        last counted wave, with a t interval over teams.

    Notes
    -----
    Within team :math:`j`, :math:`ICC(1)_j = (MSB - MSW) / (MSB + (k - 1) MSW)` of the
    practice composite with profession as the group (Bliese, 2000): how far members of one
    profession see the team's practice alike and differently from the other professions.
    With :math:`\\bar c` its mean over :math:`J` teams and :math:`s` their SD, the interval is
    :math:`\\bar c \\pm t_{J-1, .975}\\, s / \\sqrt J`. Rule, with :math:`c_0` =
    ``enclaves.profession_icc1_min``: **supported** when the interval lies above 0,
    :math:`\\bar c \\ge c_0` and the pooled profession E-I index is below random mixing
    (permutation :math:`p < \\alpha`); **contradicted** when the interval lies below
    :math:`c_0` and the E-I index is not below random mixing; otherwise **inconclusive**.
    Kislov (2014) found the Greater Manchester CoPs mostly uniprofessional, with practice
    and knowledge kept within professions.

    References
    ----------
    Kislov, R. (2014). Boundary discontinuity in a constellation of interconnected practices.
    *Public Administration*, 92(2), 307-323.
    Kislov, R., Harvey, G. & Walshe, K. (2011). Collaborations for leadership in applied
    health research and care: lessons from the theory of communities of practice.
    *Implementation Science*, 6, 64.
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability. In
    Klein & Kozlowski (Eds.), *Multilevel theory, research, and methods in organizations*.
    """
    statistic = "profession ICC(1) of practice within teams, mean over teams"
    threshold = float(settings["enclaves"]["profession_icc1_min"])
    alpha = float(settings["propositions"]["alpha"])
    rule = (
        f"supported when the interval is above 0, the mean reaches {threshold:.2f} and the "
        f"pooled profession E-I index is below random mixing (p < {alpha}); contradicted when "
        f"the interval is below {threshold:.2f} and the E-I index is not below random mixing"
    )
    last = _last_counted(counted, "counted")[["team", "wave"]]
    icc = last.merge(evidence.team_waves, on=["team", "wave"])["profession_icc1"]
    values = icc.to_numpy(dtype=float)
    teams = int(np.isfinite(values).sum())
    if teams < 2:
        return _not_measured(
            1,
            statistic,
            rule,
            f"{teams} team(s) have two professions with two or more respondents at a counted "
            "wave; two teams are needed",
        )
    mean, low, high = _t_interval(values)
    sticky = math.isfinite(mixing.p) and mixing.p < alpha
    if low > 0 and mean >= threshold and sticky:
        verdict = "supported"
    elif high < threshold and not sticky:
        verdict = "contradicted"
    else:
        verdict = "inconclusive"
    reason = (
        f"Across {teams} teams, professions split the team's view of its practice by ICC(1) "
        f"{_fmt(mean)} (95% CI {_fmt(low)} to {_fmt(high)}; an enclave splits by "
        f"{threshold:.2f} or more); knowledge ties crossed professions "
        + (
            f"less than random mixing would make them (pooled E-I {_fmt(mixing.ei)} against "
            f"{_fmt(mixing.ei_null_mean)} by chance, p {_p(mixing.p)})."
            if sticky
            else (
                f"about as often as random mixing would (pooled E-I {_fmt(mixing.ei)} against "
                f"{_fmt(mixing.ei_null_mean)}, p {_p(mixing.p)})."
                if math.isfinite(mixing.p)
                else "in no team-wave with enough of the roster answering to tell."
            )
        )
    )
    return PropositionResult(1, CLAIMS[1], statistic, mean, low, high, verdict, rule, reason)


def sticky_knowledge_proposition(
    profession: PooledMixing, organisation: PooledMixing, settings: Mapping[str, Any]
) -> PropositionResult:
    """Proposition 2: knowledge is sticky at professional (and organisational) boundaries.

    Parameters
    ----------
    profession, organisation : PooledMixing
        :func:`pooled_mixing_test` by profession and by organisation at each team's last
        network-counted wave.
    settings : mapping
        The resolved criteria (``propositions.alpha``, ``propositions.boundary_margin``).

    Returns
    -------
    PropositionResult
        Estimate: the pooled profession E-I index minus its random-mixing expectation, with
        the interval from resampling teams; the organisational figures are in the reason.

    Notes
    -----
    The E-I index (Krackhardt & Stern, 1988) is :math:`(E - I)/(E + I)` for ties crossing
    (:math:`E`) and staying inside (:math:`I`) a boundary; random mixing gives a team of a
    given composition its own expected value, so the estimate is the excess over chance
    (:func:`pooled_mixing_test`). Rule, with margin :math:`m` = ``boundary_margin``:
    **contradicted** when the interval lies above :math:`-m` (any stickiness is smaller than
    the smallest that matters, even where it is beyond chance: a large study detects
    negligible stickiness); else **supported** when the interval lies below 0 and the
    permutation :math:`p < \\alpha` (knowledge crosses professions less than chance, and
    stickiness that matters is not ruled out); otherwise **inconclusive**. Kislov (2014)
    described knowledge flowing within communities but sticking at their professional and
    organisational boundaries (boundary discontinuity).

    References
    ----------
    Kislov, R. (2014). Boundary discontinuity in a constellation of interconnected practices.
    *Public Administration*, 92(2), 307-323.
    Krackhardt, D. & Stern, R. N. (1988). Informal networks and organizational crises.
    *Social Psychology Quarterly*, 51(2), 123-140.
    """
    statistic = "pooled profession E-I index minus its random-mixing expectation"
    alpha = float(settings["propositions"]["alpha"])
    margin = float(settings["propositions"]["boundary_margin"])
    rule = (
        f"contradicted when the interval is above -{margin:g} (negligible stickiness); "
        f"otherwise supported when the interval is below 0 and the permutation p < {alpha}"
    )
    if profession.teams == 0:
        return _not_measured(
            2,
            statistic,
            rule,
            "no team-wave had enough of its roster answering, ties named and two professions",
        )
    if profession.ci_low > -margin:  # negligible, however significant: judged first
        verdict = "contradicted"
    elif profession.ci_high < 0 and profession.p < alpha:
        verdict = "supported"
    else:
        verdict = "inconclusive"
    organisational = (
        f" Across organisations the excess was {_fmt(organisation.excess)} "
        f"(95% CI {_fmt(organisation.ci_low)} to {_fmt(organisation.ci_high)}, "
        f"p {_p(organisation.p)})."
        if organisation.teams
        else ""
    )
    reason = (
        f"Over {profession.teams} teams and {profession.ties} knowledge ties the E-I index by "
        f"profession was {_fmt(profession.ei)}, {_fmt(profession.excess)} from the "
        f"{_fmt(profession.ei_null_mean)} random mixing gives (95% CI "
        f"{_fmt(profession.ci_low)} to {_fmt(profession.ci_high)}, permutation p "
        f"{_p(profession.p)}); below zero means ties stay inside professions." + organisational
    )
    return PropositionResult(
        2,
        CLAIMS[2],
        statistic,
        profession.excess,
        profession.ci_low,
        profession.ci_high,
        verdict,
        rule,
        reason,
        profession.p,
    )


# --------------------------------------------------------------------------- 3
def tost(estimate: float, se: float, df: float, margin: float) -> float:
    """p-value of the two one-sided tests of equivalence within ``(-margin, margin)``.

    Notes
    -----
    .. math:: p_{TOST} = \\max\\left(1 - F_{df}\\left(\\frac{b + \\Delta}{se}\\right),\\;
              F_{df}\\left(\\frac{b - \\Delta}{se}\\right)\\right)

    with :math:`F_{df}` the t distribution (the normal for infinite df). Equivalence at
    level :math:`\\alpha` (:math:`p_{TOST} < \\alpha`) is the same as the
    :math:`1 - 2\\alpha` interval lying inside :math:`(-\\Delta, \\Delta)`.

    References
    ----------
    Schuirmann, D. J. (1987). A comparison of the two one-sided tests procedure and the
    power approach for assessing the equivalence of average bioavailability. *Journal of
    Pharmacokinetics and Biopharmaceutics*, 15(6), 657-680.
    Lakens, D. (2017). Equivalence tests: a practical primer for t tests, correlations, and
    meta-analyses. *Social Psychological and Personality Science*, 8(4), 355-362.

    Examples
    --------
    >>> round(tost(0.1, 0.1, 30, 0.3), 4)  # R: pt((0.1 - 0.3) / 0.1, 30)
    0.0273
    """
    if not (se > 0 and margin > 0):
        return _NAN
    lower = 1 - stats.t.cdf((estimate + margin) / se, df)
    upper = stats.t.cdf((estimate - margin) / se, df)
    return float(max(lower, upper))


def limited_control_proposition(
    scores: pd.DataFrame, interventions: pd.DataFrame, settings: Mapping[str, Any], ddf: str
) -> PropositionResult:
    """Proposition 3: managers' interventions do not reliably produce a community.

    Parameters
    ----------
    scores : DataFrame
        Scale scores per respondent x team x wave with ``practice`` (the practice composite).
    interventions : DataFrame
        The bundle's interventions.
    settings : mapping
        Resolved criteria (``propositions.alpha``, ``propositions.control_sesoi``).
    ddf : str
        Denominator df of the growth model (see :func:`analysis.fit_growth`).

    Returns
    -------
    PropositionResult
        Estimate: the level change of the practice composite after an intervention
        (``post`` of the discontinuous growth model) with its 95% interval; ``p`` is the
        TOST p.

    Notes
    -----
    The model is ``practice ~ wave + post + since + (wave | team) + (1 | team:respondent)``
    (:func:`analysis.intervention_effects`; Bliese & Lang, 2016) with Satterthwaite df.
    With :math:`\\Delta` = ``control_sesoi`` (the smallest effect of interest, scale
    points), the rule is: **supported** when the two one-sided tests (:func:`tost`) show
    the effect lies within :math:`\\pm\\Delta` (:math:`p_{TOST} < \\alpha`), or the 95%
    interval lies below 0 (interventions lowered practice); **contradicted** when the 95%
    interval lies above 0 and the effect is not shown equivalent (interventions reliably
    raised practice); otherwise **inconclusive** (Lakens, Scheel & Isager, 2018).

    References
    ----------
    Kislov, R., Walshe, K. & Harvey, G. (2012). Managing boundaries in primary care service
    improvement: a developmental approach to communities of practice. *Implementation
    Science*, 7, 97.
    Schuirmann, D. J. (1987). *J Pharmacokinet Biopharm*, 15(6), 657-680.
    Lakens, D., Scheel, A. M. & Isager, P. M. (2018). Equivalence testing for psychological
    research: a tutorial. *Advances in Methods and Practices in Psychological Science*,
    1(2), 259-269.
    """
    statistic = "level change of the practice composite after an intervention (scale points)"
    alpha = float(settings["propositions"]["alpha"])
    margin = float(settings["propositions"]["control_sesoi"])
    rule = (
        f"supported when two one-sided tests put the effect within +-{margin:g} "
        f"(p < {alpha}) or the interval is below 0; contradicted when the interval is above 0 "
        "and equivalence is not shown"
    )
    if interventions.empty:
        return _not_measured(3, statistic, rule, "the study recorded no interventions")
    data = scores.dropna(subset=[_PRACTICE])
    try:
        effects = intervention_effects(data, _PRACTICE, interventions, person="respondent", ddf=ddf)
    except ValueError as error:
        return _not_measured(
            3, statistic, rule, f"the intervention effect is not estimable: {error}"
        )
    row = _term(effects.set_index("term"), "post")
    b, se, df = float(row["estimate"]), float(row["se"]), float(row["df"])
    low, high = float(row["ci_low"]), float(row["ci_high"])
    p_tost = tost(b, se, df, margin)
    if p_tost < alpha or high < 0:
        verdict = "supported"
    elif low > 0:
        verdict = "contradicted"
    else:
        verdict = "inconclusive"
    reason = (
        f"After an intervention practice changed by {_fmt(b)} points (95% CI {_fmt(low)} to "
        f"{_fmt(high)}, {_fmt(df, 1)} df); the equivalence test against +-{margin:g} gives "
        f"p {_p(p_tost)}"
        + (
            ", so any effect is smaller than the smallest that matters."
            if p_tost < alpha
            else (": interventions raised practice." if verdict == "contradicted" else ".")
        )
    )
    return PropositionResult(3, CLAIMS[3], statistic, b, low, high, verdict, rule, reason, p_tost)


# --------------------------------------------------------------------------- 4
def baseline_identification_moderation(scores: pd.DataFrame, ddf: str) -> pd.DataFrame:
    """Fixed effects of collaborative identification's growth moderated by baseline identification.

    Parameters
    ----------
    scores : DataFrame
        Scale scores (``collaborative_identity``, ``professional_identity``,
        ``organisational_identity``) per respondent x team x wave.
    ddf : str
        Denominator df method (see :func:`analysis.fit_growth`).

    Returns
    -------
    DataFrame
        :attr:`analysis.GrowthResult.fixed` of the model, indexed by term.

    Notes
    -----
    With :math:`P_i`, :math:`O_i` person :math:`i`'s professional and organisational
    identification at their first answered wave, centred on the mean of team :math:`j`'s
    members (so the moderation is estimated within teams, free of differences between
    teams in both identification and growth),

    .. math:: CI_{tij} = b_0 + b_1 t + b_2 P_i + b_3 t P_i + b_4 O_i + b_5 t O_i
              + u_{0j} + u_{1j} t + v_{ij} + e_{tij}

    fitted by REML (:func:`analysis.fit_growth`, simplified once when singular). :math:`b_3`
    and :math:`b_5` (``wave_x_professional``, ``wave_x_organisational``) are how much a point
    of baseline identification changes the per-wave growth of collaborative identification.
    """
    data = scores.dropna(
        subset=["collaborative_identity", "professional_identity", "organisational_identity"]
    ).sort_values(["respondent", "wave"])
    targets = ["professional_identity", "organisational_identity"]
    baseline = data.groupby("respondent")[targets].transform("first")
    # centred on the mean baseline of the team's members (each member once): the moderation is
    # estimated within teams, so teams that differ in both identification and growth (an
    # enclave against a forming team) cannot produce it
    members = pd.concat([data[["team", "respondent"]], baseline], axis=1).drop_duplicates(
        ["team", "respondent"]
    )
    team_mean = data[["team"]].join(members.groupby("team")[targets].mean(), on="team")
    data = data.assign(
        professional=baseline["professional_identity"] - team_mean["professional_identity"],
        organisational=baseline["organisational_identity"] - team_mean["organisational_identity"],
    )
    data["wave_x_professional"] = data["wave"] * data["professional"]
    data["wave_x_organisational"] = data["wave"] * data["organisational"]
    fit, _ = fit_growth_simplified(
        data,
        "collaborative_identity",
        person="respondent",
        covariates=[
            "professional",
            "wave_x_professional",
            "organisational",
            "wave_x_organisational",
        ],
        ddf=ddf,
    )
    return fit.fixed


def identification_proposition(
    scores: pd.DataFrame, settings: Mapping[str, Any], ddf: str
) -> PropositionResult:
    """Proposition 4: strong professional identification hampers collaborative identity.

    Notes
    -----
    The model of :func:`baseline_identification_moderation`. Estimate: :math:`b_3`, the
    change in the per-wave growth of collaborative identification per point of baseline
    professional identification (Satterthwaite df). **Supported** when its 95% interval lies
    below 0 (the more strongly members identified with their profession at the start, the
    more slowly they came to identify with the team); **contradicted** when it lies above
    0; otherwise **inconclusive**. The organisational term :math:`b_5` is in the reason.

    References
    ----------
    Kislov, R. (2018). Selective permeability of boundaries in a knowledge brokering team.
    *Public Administration*, 96(4), 817-836.
    Kislov, R., Harvey, G. & Walshe, K. (2011). *Implementation Science*, 6, 64.
    Kuznetsova, A., Brockhoff, P. B. & Christensen, R. H. B. (2017). lmerTest package.
    *Journal of Statistical Software*, 82(13).
    """
    statistic = (
        "wave x baseline professional identification on collaborative identification "
        "(points per wave per point)"
    )
    rule = "supported when the interval is below 0; contradicted when it is above 0"
    needed = {"collaborative_identity", "professional_identity", "organisational_identity"}
    missing = sorted(needed - set(scores.columns))
    if missing:
        return _not_measured(4, statistic, rule, f"the instrument has no {', '.join(missing)}")
    if scores["wave"].nunique() < 2:
        return _not_measured(4, statistic, rule, "growth needs two or more waves")
    try:
        fixed = baseline_identification_moderation(scores, ddf)
    except ValueError as error:
        return _not_measured(4, statistic, rule, f"the growth model could not be fitted: {error}")
    prof, org = _term(fixed, "wave_x_professional"), _term(fixed, "wave_x_organisational")
    b, low, high = _estimate_and_interval(prof)
    verdict = _interval_verdict(low, high, expected="below")
    reason = (
        f"Each point of professional identification at a member's first wave changed the "
        f"growth of their identification with the team by {_fmt(b, 3)} points per wave "
        f"(95% CI {_fmt(low, 3)} to {_fmt(high, 3)}, p {_p(float(prof['p']))}); for "
        f"organisational identification {_fmt(float(org['estimate']), 3)} "
        f"(95% CI {_fmt(float(org['ci_low']), 3)} to {_fmt(float(org['ci_high']), 3)})."
    )
    return PropositionResult(
        4, CLAIMS[4], statistic, b, low, high, verdict, rule, reason, float(prof["p"])
    )


# --------------------------------------------------------------------------- 6 (and 5)
def organisational_span(roster: pd.DataFrame) -> pd.DataFrame:
    """Per team, the organisations its members come from and Blau's index of them.

    Returns
    -------
    DataFrame
        ``team``, ``organisations`` (distinct organisations on the roster over all waves)
        and ``blau`` (:math:`1 - \\sum_k p_k^2` over the people on the roster, each counted
        once; Blau, 1977).
    """
    people = roster.drop_duplicates(["team", "respondent"])
    rows = []
    for team, members in people.groupby("team", sort=True):
        shares = members["organisation"].value_counts(normalize=True).to_numpy()
        rows.append(
            {
                "team": str(team),
                "organisations": len(shares),
                "blau": float(1 - (shares**2).sum()),
            }
        )
    return pd.DataFrame(rows, columns=["team", "organisations", "blau"])


def _growth_moderation(
    scores: pd.DataFrame, team_values: pd.Series, name: str, ddf: str
) -> dict[str, float]:
    """The ``wave x name`` fixed effect of practice growth on a centred team-level covariate."""
    data = scores.dropna(subset=[_PRACTICE]).copy()
    value = data["team"].map(team_values).astype(float)
    data[name] = value - float(team_values.mean())
    data = data.dropna(subset=[name])
    data[f"wave_x_{name}"] = data["wave"] * data[name]
    fit, _ = fit_growth_simplified(
        data, _PRACTICE, person="respondent", covariates=[name, f"wave_x_{name}"], ddf=ddf
    )
    return _term(fit.fixed, f"wave_x_{name}")


def span_proposition(
    scores: pd.DataFrame, roster: pd.DataFrame, settings: Mapping[str, Any], ddf: str
) -> PropositionResult:
    """Proposition 6: teams spanning several organisations develop their practice less.

    Notes
    -----
    :math:`S_j`, the number of organisations on team :math:`j`'s roster
    (:func:`organisational_span`), centred, moderates practice growth:

    .. math:: \\text{practice}_{tij} = b_0 + b_1 t + b_2 S_j + b_3 t S_j + u_{0j} + u_{1j} t
              + v_{ij} + e_{tij}

    (REML, Satterthwaite df). Estimate :math:`b_3`: the change in practice growth per wave
    for each further organisation a team spans. **Supported** when its 95% interval lies
    below 0; **contradicted** when above 0; otherwise **inconclusive**. Kislov found CoPs
    spanning several general practices problematic because practices are loosely coupled
    business units (Kislov, Walshe & Harvey, 2012).

    References
    ----------
    Kislov, R., Walshe, K. & Harvey, G. (2012). Managing boundaries in primary care service
    improvement. *Implementation Science*, 7, 97.
    Blau, P. M. (1977). *Inequality and Heterogeneity*. Free Press.
    """
    statistic = "wave x organisations spanned on practice (points per wave per organisation)"
    rule = "supported when the interval is below 0; contradicted when it is above 0"
    span = organisational_span(roster).set_index("team")["organisations"]
    if span.nunique() < 2:
        return _not_measured(
            6,
            statistic,
            rule,
            "every team spans the same number of organisations, so span cannot be compared",
        )
    if scores["wave"].nunique() < 2:
        return _not_measured(6, statistic, rule, "growth needs two or more waves")
    try:
        term = _growth_moderation(scores, span, "span", ddf)
    except ValueError as error:
        return _not_measured(6, statistic, rule, f"the growth model could not be fitted: {error}")
    b, low, high = _estimate_and_interval(term)
    verdict = _interval_verdict(low, high, expected="below")
    reason = (
        f"Teams spanned {int(span.min())} to {int(span.max())} organisations; each further "
        f"organisation changed practice growth by {_fmt(b, 3)} points per wave (95% CI "
        f"{_fmt(low, 3)} to {_fmt(high, 3)}, p {_p(float(term['p']))})."
    )
    return PropositionResult(
        6, CLAIMS[6], statistic, b, low, high, verdict, rule, reason, float(term["p"])
    )


def interconnection_proposition(
    scores: pd.DataFrame, settings: Mapping[str, Any], ddf: str
) -> PropositionResult:
    """Proposition 5: interconnection with existing communities raises formation.

    Notes
    -----
    Team interconnection :math:`C_j` is the team's mean answer, at the first wave it was
    asked, to how often members bring ideas, information or contacts from other groups into
    the team (``interconnection_frequency``, cop-health version 2), centred; measured before
    the growth it should predict, it moderates practice growth as span does in
    :func:`span_proposition`, estimate :math:`b_3` of :math:`t C_j`. **Supported** when the
    95% interval lies above 0, **contradicted** when below 0, otherwise **inconclusive**;
    **not_measured** when the instrument does not ask it (version 1).

    References
    ----------
    Kislov, R., Harvey, G. & Walshe, K. (2011). *Implementation Science*, 6, 64.
    Wenger, E., McDermott, R. & Snyder, W. M. (2002). *Cultivating Communities of Practice*.
    Harvard Business School Press.
    """
    statistic = "wave x team interconnection on practice (points per wave per point)"
    rule = "supported when the interval is above 0; contradicted when it is below 0"
    if INTERCONNECTION_ITEM not in scores.columns or scores[INTERCONNECTION_ITEM].isna().all():
        return _not_measured(
            5,
            statistic,
            rule,
            "the instrument does not ask how members bring knowledge from existing groups "
            "(cop-health version 2 does)",
        )
    if scores["wave"].nunique() < 2:
        return _not_measured(5, statistic, rule, "growth needs two or more waves")
    answered = scores.dropna(subset=[INTERCONNECTION_ITEM])
    first = answered.groupby("team")["wave"].transform("min")
    level = answered[answered["wave"] == first].groupby("team")[INTERCONNECTION_ITEM].mean()
    if len(level) < 2:
        return _not_measured(5, statistic, rule, "fewer than two teams answered it")
    try:
        term = _growth_moderation(scores, level, "interconnection", ddf)
    except ValueError as error:
        return _not_measured(5, statistic, rule, f"the growth model could not be fitted: {error}")
    b, low, high = _estimate_and_interval(term)
    verdict = _interval_verdict(low, high, expected="above")
    reason = (
        f"Team interconnection at the first wave ranged {_fmt(float(level.min()))} to "
        f"{_fmt(float(level.max()))} (1-6); each point changed practice growth by {_fmt(b, 3)} points per wave (95% CI "
        f"{_fmt(low, 3)} to {_fmt(high, 3)}, p {_p(float(term['p']))})."
    )
    return PropositionResult(
        5, CLAIMS[5], statistic, b, low, high, verdict, rule, reason, float(term["p"])
    )


# --------------------------------------------------------------------------- 7
def cross_profession_ties(bundle: Bundle, team_waves: pd.DataFrame) -> pd.DataFrame:
    """Per person and counted team-wave, knowledge ties with members of another profession.

    Returns
    -------
    DataFrame
        ``team``, ``wave``, ``respondent``, ``role`` (empty for none) and ``cross_ties``: ties
        named by or naming the person (both directions counted) whose other end is of
        another profession, for everyone on the roster of the team-waves given.
    """
    keys = team_waves[["team", "wave"]].astype({"wave": "int64"})
    roster = bundle.roster.merge(keys, on=["team", "wave"])
    if ROLE_COLUMN not in roster.columns:
        roster = roster.assign(**{ROLE_COLUMN: ""})
    profession = roster.set_index(["team", "wave", "respondent"])["profession"]
    ties = bundle.ties.merge(keys, on=["team", "wave"])
    source = profession.reindex(list(zip(ties["team"], ties["wave"], ties["source"], strict=True)))
    target = profession.reindex(list(zip(ties["team"], ties["wave"], ties["target"], strict=True)))
    crossing = ties[source.to_numpy() != target.to_numpy()]
    ends = pd.concat(
        [
            crossing[["team", "wave", "source"]].rename(columns={"source": "respondent"}),
            crossing[["team", "wave", "target"]].rename(columns={"target": "respondent"}),
        ]
    )
    counts = ends.groupby(["team", "wave", "respondent"]).size().rename("cross_ties")
    out = roster[["team", "wave", "respondent", ROLE_COLUMN]].join(
        counts, on=["team", "wave", "respondent"]
    )
    out["cross_ties"] = out["cross_ties"].fillna(0).astype(int)
    out[ROLE_COLUMN] = out[ROLE_COLUMN].fillna("").astype(str)
    return out.reset_index(drop=True)


def broker_proposition(
    bundle: Bundle, counted: pd.DataFrame, settings: Mapping[str, Any]
) -> PropositionResult:
    """Proposition 7: brokers (knowledge transfer associates) carry knowledge across professions.

    Parameters
    ----------
    bundle : Bundle
        A study bundle whose roster has a ``role`` column (cop-health version-2 studies).
    counted : DataFrame
        :func:`analysis.counted_team_waves` (``network_counted``).
    settings : mapping
        Resolved criteria (``propositions.broker_roles``: the roles that broker).

    Notes
    -----
    For each team-wave whose network counts, :math:`d_{jt}` is the mean number of
    cross-profession ties (named or received, :func:`cross_profession_ties`) of the members
    holding a broker role minus that of the other members; :math:`D_j` averages
    :math:`d_{jt}` over team :math:`j`'s waves, so each team counts once, and the estimate is
    the mean of :math:`D_j` over the :math:`J` teams with a broker, with the interval
    :math:`\\bar D \\pm t_{J-1, .975}\\, s_D / \\sqrt J`. **Supported** when the interval lies
    above 0; **contradicted** when below 0; otherwise **inconclusive**; **not_measured**
    without roles (version-1 bundles) or with fewer than two teams with a broker.

    References
    ----------
    Kislov, R. (2018). Selective permeability of boundaries in a knowledge brokering team.
    *Public Administration*, 96(4), 817-836.
    Gould, R. V. & Fernandez, R. M. (1989). Structures of mediation: a formal approach to
    brokerage in transaction networks. *Sociological Methodology*, 19, 89-126.
    """
    statistic = "cross-profession ties per broker minus per other member (mean over teams)"
    rule = "supported when the interval is above 0; contradicted when it is below 0"
    if ROLE_COLUMN not in bundle.roster.columns:
        return _not_measured(
            7, statistic, rule, "the roster names no roles (cop-health version 2 bundles do)"
        )
    named = [str(r) for r in settings["propositions"]["broker_roles"]]
    roles = {r.casefold() for r in named}
    people = cross_profession_ties(bundle, counted[counted["network_counted"].astype(bool)])
    people["broker"] = people[ROLE_COLUMN].str.casefold().isin(roles)
    means = people.groupby(["team", "wave", "broker"])["cross_ties"].mean().unstack("broker")
    if True not in means.columns or False not in means.columns:
        differences = pd.Series(dtype=float)
    else:
        differences = (means[True] - means[False]).dropna().groupby(level="team").mean()
    if len(differences) < 2:
        return _not_measured(
            7,
            statistic,
            rule,
            f"{len(differences)} team(s) had a member in a broker role "
            f"({', '.join(named)}) at a wave whose network counts; two are needed",
        )
    mean, low, high = _t_interval(differences.to_numpy(dtype=float))
    verdict = _interval_verdict(low, high, expected="above")
    reason = (
        f"In {len(differences)} teams members in a broker role had {_fmt(mean)} more "
        f"knowledge ties with other professions than the other members (95% CI {_fmt(low)} "
        f"to {_fmt(high)})."
    )
    return PropositionResult(7, CLAIMS[7], statistic, mean, low, high, verdict, rule, reason)


# --------------------------------------------------------------------------- all
def assess_propositions(
    bundle: Bundle,
    criteria: Mapping[str, Any] | str | Path | None = None,
    *,
    evidence: FormationEvidence | None = None,
    counted: pd.DataFrame | None = None,
    ddf: str = "satterthwaite",
    seed: int = 0,
    numbers: Collection[int] | None = None,
) -> tuple[PropositionResult, ...]:
    """Test each of Kislov's seven propositions on a study bundle.

    Parameters
    ----------
    bundle : Bundle
        A validated study bundle (closed waves, as :func:`analysis.analyse_bundle` passes it).
    criteria : mapping or path, optional
        Overrides of ``analysis/formation.yaml`` (section ``propositions`` and the enclave
        threshold).
    evidence, counted : optional
        :func:`analysis.formation_evidence` and :func:`analysis.counted_team_waves`, when
        already computed.
    ddf : str
        Denominator df of the growth models.
    seed : int
        Seed of the permutation tests and team resampling.
    numbers : collection of int, optional
        Test only these propositions (1-7; default all): the others' statistics are not
        computed (simulation studies of one proposition's power use it).

    Returns
    -------
    tuple of PropositionResult
        One result per proposition asked for (all seven by default), in order; a measure the
        bundle lacks gives ``not_measured``, never an error.
    """
    wanted = sorted(set(CLAIMS) if numbers is None else set(numbers))
    unknown = [n for n in wanted if n not in CLAIMS]
    if unknown:
        raise ValueError(f"propositions are numbered 1-7, got {unknown}")
    settings = resolve_criteria(criteria)
    if evidence is None:
        evidence = formation_evidence(bundle, settings)
    if counted is None:
        counted = counted_team_waves(evidence, settings)
    draws = int(settings["propositions"]["draws"])
    network_waves = _last_counted(counted, "network_counted")
    mixing: dict[str, PooledMixing] = {}

    def mixed(attribute: str) -> PooledMixing:
        if attribute not in mixing:
            mixing[attribute] = pooled_mixing_test(
                bundle, network_waves, attribute, draws=draws, seed=seed
            )
        return mixing[attribute]

    scores = evidence.respondents
    steps: dict[int, Callable[[], PropositionResult]] = {
        1: lambda: enclave_proposition(evidence, counted, mixed("profession"), settings),
        2: lambda: sticky_knowledge_proposition(
            mixed("profession"), mixed("organisation"), settings
        ),
        3: lambda: limited_control_proposition(scores, bundle.interventions, settings, ddf),
        4: lambda: identification_proposition(scores, settings, ddf),
        5: lambda: interconnection_proposition(scores, settings, ddf),
        6: lambda: span_proposition(scores, bundle.roster, settings, ddf),
        7: lambda: broker_proposition(bundle, counted, settings),
    }
    return tuple(steps[n]() for n in wanted)


def propositions_table(results: tuple[PropositionResult, ...]) -> pd.DataFrame:
    """One row per proposition with the columns of :data:`PROPOSITION_COLUMNS`."""
    rows = [{name: getattr(r, name) for name in PROPOSITION_COLUMNS} for r in results]
    return pd.DataFrame(rows, columns=list(PROPOSITION_COLUMNS))
