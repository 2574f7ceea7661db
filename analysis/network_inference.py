"""Inference for knowledge networks: a permutation null for mixing across groups, tie persistence."""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.bundle import Bundle, network_answered

__all__ = [
    "DRAWS",
    "LOW_JACCARD",
    "MixingTest",
    "mask_untested",
    "mixing_permutation_test",
    "network_permutation",
    "team_wave_test",
    "tie_persistence",
]

#: Permutations drawn per team and wave by default.
DRAWS = 2000
#: Jaccard index of tie persistence below which the RSiena manual warns (".3 and higher are good").
LOW_JACCARD = 0.3


@dataclass(frozen=True)
class MixingTest:
    """The E-I index and cross-group ratio of one network against random mixing.

    Attributes
    ----------
    ties, groups : int
        Ties tested; groups on the roster.
    ei, ei_null_mean, ei_null_low, ei_null_high, ei_p : float
        Observed E-I index; the mean, 2.5% and 97.5% quantiles of its permutation
        distribution (the range random mixing gives a team of this composition and this
        many ties); and the one-sided p-value :math:`P(EI^* \\le EI)` (small: ties stay
        inside groups beyond chance).
    cross_ratio, ratio_null_mean, ratio_null_low, ratio_null_high, ratio_p : float
        The same for the cross-group share of ties divided by its random-mixing expectation.
    draws : int
        Permutations drawn.
    """

    ties: int
    groups: int
    ei: float
    ei_null_mean: float
    ei_null_low: float
    ei_null_high: float
    ei_p: float
    cross_ratio: float
    ratio_null_mean: float
    ratio_null_low: float
    ratio_null_high: float
    ratio_p: float
    draws: int


def _expected_cross(labels: np.ndarray, responders: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Random-mixing share of cross-group ties, per row of group ``labels`` (draws x N)."""
    n = labels.shape[-1]
    return ((n - sizes[labels[..., responders]]) / (n - 1)).mean(axis=-1)


def mixing_permutation_test(
    ties: pd.DataFrame,
    roster: pd.DataFrame,
    attribute: str = "profession",
    *,
    draws: int = DRAWS,
    seed: int | np.random.Generator = 0,
) -> MixingTest:
    """Permutation test of the E-I index and the cross-group ratio of one network.

    The tie structure is kept and the group labels (professions) are shuffled among the
    people on the roster, ``draws`` times; each shuffle gives the E-I index and the
    cross-group ratio that random mixing would give a team of this size, composition and
    number of ties (the conditional uniform null of QAP-style node-label permutation).

    Parameters
    ----------
    ties : DataFrame
        ``source``, ``target``: directed ties between people on the roster.
    roster : DataFrame
        ``respondent``, ``attribute`` and ``responded`` (who could name ties): everyone who
        could be named.
    attribute : str, default "profession"
        The grouping column of ``roster``.
    draws : int, default 2000
        Permutations.
    seed : int or numpy Generator
        Seed of the permutations (the same seed gives the same result).

    Returns
    -------
    MixingTest
        Observed values, the null mean, the 95% range under random mixing and one-sided
        p-values (NaN throughout when there are no ties or fewer than two groups).

    Raises
    ------
    ValueError
        For fewer than one draw, missing columns, or ties naming people not on the roster.

    Notes
    -----
    With :math:`E` the ties between members of different groups, :math:`I` those inside
    groups, :math:`T = E + I`, :math:`N` the roster and :math:`N_g` the size of group
    :math:`g`:

    .. math:: EI = \\frac{E - I}{T}, \\qquad
              \\text{ratio} = \\frac{E / T}{\\frac{1}{n}\\sum_{i \\in \\text{responders}}
              \\frac{N - N_{g(i)}}{N - 1}}

    and for each permutation :math:`\\pi` of the labels the same statistics
    :math:`EI^*_\\pi`, :math:`\\text{ratio}^*_\\pi`. The p-value counts the observed value
    among the draws (so it is never 0):

    .. math:: p = \\frac{1 + \\#\\{\\pi : EI^*_\\pi \\le EI\\}}{1 + \\text{draws}}.

    Shuffling labels keeps every structural feature of the network (density, reciprocity,
    who is central) and asks only whether the groups sit where they sit by chance, the
    permutation test of the E-I index that UCINET reports (Krackhardt & Stern, 1988; Hanneman
    & Riddle, 2005). In a small team few distinct labellings exist and the null is coarse:
    the p-value is then exact up to Monte Carlo error, but cannot be small.

    References
    ----------
    Krackhardt, D. & Stern, R. N. (1988). Informal networks and organizational crises: an
    experimental simulation. *Social Psychology Quarterly*, 51(2), 123-140.
    Hanneman, R. A. & Riddle, M. (2005). *Introduction to Social Network Methods*, ch. 7.
    University of California, Riverside.
    Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be zero.
    *Statistical Applications in Genetics and Molecular Biology*, 9(1), 39.

    Examples
    --------
    >>> roster = pd.DataFrame({"respondent": list("abcdef"), "responded": True,
    ...                        "profession": ["gp"] * 3 + ["nurse"] * 3})
    >>> ties = pd.DataFrame({"source": list("abcdef"), "target": list("bcaefd")})
    >>> test = mixing_permutation_test(ties, roster, draws=500, seed=1)
    >>> test.ei, round(test.ei_null_mean, 2), round(test.ei_p, 3)  # exact: 0.2 and 2/20
    (-1.0, 0.22, 0.088)
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    for frame, columns in (
        (ties, ("source", "target")),
        (roster, ("respondent", attribute, "responded")),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"columns not in the data: {', '.join(missing)}")
    position = {person: index for index, person in enumerate(roster["respondent"])}
    unknown = sorted({str(p) for p in (*ties["source"], *ties["target"]) if p not in position})
    if unknown:
        raise ValueError(f"ties name people not on the roster: {', '.join(unknown)}")
    codes, names = pd.factorize(roster[attribute].astype(str))
    source = ties["source"].map(position).to_numpy(dtype=int)
    target = ties["target"].map(position).to_numpy(dtype=int)
    responders = np.flatnonzero(network_answered(roster).to_numpy(dtype=bool))
    if len(source) == 0 or len(names) < 2 or len(responders) == 0:
        return _untested(len(source), len(names), draws)
    sizes = np.bincount(codes)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(codes, (draws, 1)), axis=1)
    total = len(source)

    def statistics(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        crossing = (labels[..., source] != labels[..., target]).sum(axis=-1)
        ratio = crossing / total / _expected_cross(labels, responders, sizes)
        return (2 * crossing - total) / total, ratio

    ei, ratio = (float(v) for v in statistics(codes))
    ei_null, ratio_null = statistics(shuffled)

    def summary(observed: float, null: np.ndarray) -> tuple[float, float, float, float]:
        low, high = np.quantile(null, [0.025, 0.975])
        p = (1 + int(np.sum(null <= observed + 1e-12))) / (1 + draws)
        return float(null.mean()), float(low), float(high), p

    ei_mean, ei_low, ei_high, ei_p = summary(ei, ei_null)
    ratio_mean, ratio_low, ratio_high, ratio_p = summary(ratio, ratio_null)
    return MixingTest(
        ties=total,
        groups=len(names),
        ei=ei,
        ei_null_mean=ei_mean,
        ei_null_low=ei_low,
        ei_null_high=ei_high,
        ei_p=ei_p,
        cross_ratio=ratio,
        ratio_null_mean=ratio_mean,
        ratio_null_low=ratio_low,
        ratio_null_high=ratio_high,
        ratio_p=ratio_p,
        draws=draws,
    )


def _untested(ties: int, groups: int, draws: int) -> MixingTest:
    nan = float("nan")
    return MixingTest(ties, groups, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, draws)


def network_permutation(
    bundle: Bundle,
    *,
    attribute: str = "profession",
    draws: int = DRAWS,
    seed: int = 0,
    min_coverage: float = 0.7,
) -> pd.DataFrame:
    """The permutation test of mixing (:func:`mixing_permutation_test`) per team and wave.

    Parameters
    ----------
    bundle : Bundle
        A validated study bundle.
    attribute : {"profession", "organisation"}, default "profession"
        The boundary tested (shuffled within each team's roster of the wave).
    draws : int, default 2000
        Permutations per team and wave.
    seed : int, default 0
        Each team-wave draws from its own stream, seeded by ``seed``, the team's name and
        the wave, so adding a team or a wave leaves the other results unchanged.
    min_coverage : float, default 0.7
        Share of the roster that must have answered for the test to be made (as
        :func:`analysis.network_table`).

    Returns
    -------
    DataFrame
        One row per team and wave: ``team``, ``wave``, ``attribute``, ``draws``,
        ``coverage``, ``meaningful`` (coverage reached, two or more responders, at least
        one tie and two groups on the roster), then the fields of :class:`MixingTest`
        (``ties``, ``groups``, ``ei`` ... ``ratio_p``), NaN where not meaningful. ``ei`` and
        ``cross_ratio`` equal ``ei_<attribute>`` and ``cross_ratio_<attribute>`` of
        :func:`analysis.network_table`.
    """
    if attribute not in ("profession", "organisation"):
        raise ValueError(f"attribute must be 'profession' or 'organisation', got {attribute!r}")
    if not 0 <= min_coverage <= 1:
        raise ValueError(f"min_coverage must be between 0 and 1, got {min_coverage}")
    ties = dict(iter(bundle.ties.groupby(["team", "wave"], sort=False)))
    no_ties = bundle.ties.iloc[0:0]
    rows = []
    for key, roster in bundle.roster.groupby(["team", "wave"], sort=True):
        edges = ties.get(key, no_ties)
        team, wave = str(roster["team"].iloc[0]), int(roster["wave"].iloc[0])
        answered = network_answered(roster)
        coverage = float(answered.mean())
        test = mixing_permutation_test(
            edges, roster, attribute, draws=draws, seed=_stream(seed, team, wave)
        )
        meaningful = bool(
            coverage >= min_coverage and int(answered.sum()) >= 2 and not np.isnan(test.ei)
        )
        row: dict[str, object] = {
            "team": team,
            "wave": wave,
            "attribute": attribute,
            "draws": draws,
            "coverage": coverage,
            "meaningful": meaningful,
            "ties": test.ties,
            "groups": test.groups,
        }
        for name in MixingTest.__dataclass_fields__:
            if name not in row:
                value = getattr(test, name)
                row[name] = value if meaningful else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def tie_persistence(
    bundle: Bundle, *, low: float = LOW_JACCARD, min_coverage: float = 0.7
) -> pd.DataFrame:
    """How many knowledge ties persist from one wave to the next, per team (Jaccard index).

    Parameters
    ----------
    bundle : Bundle
        A validated study bundle.
    low : float, default .3
        Jaccard index below which ``low`` is set: the RSiena manual calls values of .3 and
        higher good and warns that below .2 estimation of network dynamics may run into
        difficulties.
    min_coverage : float, default 0.7
        Both waves must reach this roster coverage (as :func:`analysis.network_table`).

    Returns
    -------
    DataFrame
        One row per team and pair of consecutive waves it was surveyed at: ``team``,
        ``from_wave``, ``to_wave``, ``dyads`` (tie variables observed at both waves),
        ``ties_from``, ``ties_to`` (ties among those), ``kept`` (:math:`N_{11}`),
        ``dropped`` (:math:`N_{10}`), ``new`` (:math:`N_{01}`), ``distance`` (Hamming,
        :math:`N_{10} + N_{01}`), ``jaccard``, ``mean_degree_from``, ``mean_degree_to``
        (ties per sender), ``meaningful`` and ``low`` (Jaccard below ``low``; None where not
        meaningful or without ties).

    Notes
    -----
    As RSiena counts it: a tie variable :math:`i \\to j` is observed at a wave when
    :math:`i` answered the roster question and :math:`j` was on the roster; only variables
    observed at both waves count. With :math:`N_{hk}` the variables with value :math:`h`
    at the first wave and :math:`k` at the second,

    .. math:: J = \\frac{N_{11}}{N_{01} + N_{10} + N_{11}}.

    A low :math:`J` means most ties are replaced between waves: change is not gradual, so
    wave-to-wave network comparisons (and stochastic actor-oriented models) rest on little
    continuity. Growing networks (ties mostly added) and very sparse ones (fewer than two
    ties per person) can have a low :math:`J` without that problem, which is why the mean
    degrees are given beside it.

    References
    ----------
    Snijders, T. A. B., van de Bunt, G. G. & Steglich, C. E. G. (2010). Introduction to
    stochastic actor-based models for network dynamics. *Social Networks*, 32(1), 44-60.
    Ripley, R. M., Snijders, T. A. B., Boda, Z., Voros, A. & Preciado, P. *Manual for
    RSiena*, University of Oxford: section "Getting started", on the tie changes between
    subsequent observations.

    Examples
    --------
    >>> roster = pd.DataFrame({"wave": [1] * 3 + [2] * 3, "team": "T",
    ...     "respondent": list("abc") * 2, "profession": "gp", "organisation": "x",
    ...     "responded": True})
    >>> ties = pd.DataFrame({"wave": [1, 1, 2, 2], "team": "T",
    ...     "source": ["a", "b", "a", "c"], "target": ["b", "c", "b", "a"]})
    >>> import instruments
    >>> bundle = Bundle(responses=pd.DataFrame(), ties=ties, roster=roster,
    ...     interventions=pd.DataFrame(), instrument=instruments.load("cop-health"))
    >>> row = tie_persistence(bundle).iloc[0]
    >>> int(row["kept"]), int(row["dropped"]), int(row["new"]), round(float(row["jaccard"]), 3)
    (1, 1, 1, 0.333)
    """
    rows = []
    ties = dict(iter(bundle.ties.groupby(["team", "wave"], sort=False)))
    no_ties = bundle.ties.iloc[0:0]
    for team in bundle.teams:
        team_roster = bundle.roster[bundle.roster["team"] == team]
        waves = sorted({int(w) for w in team_roster["wave"]})
        for first, second in itertools.pairwise(waves):
            row = _persistence(
                (team_roster[team_roster["wave"] == first], ties.get((team, first), no_ties)),
                (team_roster[team_roster["wave"] == second], ties.get((team, second), no_ties)),
                low=low,
                min_coverage=min_coverage,
            )
            rows.append({"team": team, "from_wave": first, "to_wave": second, **row})
    return pd.DataFrame(rows)


def _stream(seed: int, team: str, wave: int) -> np.random.Generator:
    """The random stream of one team-wave's permutations (independent of the other teams)."""
    return np.random.default_rng([seed, zlib.crc32(team.encode()), wave])


def team_wave_test(
    bundle: Bundle,
    team: str,
    wave: int,
    *,
    attribute: str = "profession",
    draws: int = DRAWS,
    seed: int = 0,
) -> MixingTest:
    """The permutation test of one team-wave, with the draws :func:`network_permutation` makes
    for it (the same ``seed`` gives the same result), for when only a few are needed."""
    roster = bundle.roster[(bundle.roster["team"] == team) & (bundle.roster["wave"] == wave)]
    ties = bundle.ties[(bundle.ties["team"] == team) & (bundle.ties["wave"] == wave)]
    return mixing_permutation_test(
        ties, roster, attribute, draws=draws, seed=_stream(seed, team, wave)
    )


def mask_untested(table: pd.DataFrame, min_coverage: float) -> pd.DataFrame:
    """Blank the tests of team-waves whose roster coverage is below ``min_coverage``.

    Applied to :func:`network_permutation` made with ``min_coverage=0`` it gives the table made
    with the stricter threshold (the same draws: each team-wave's stream does not depend on
    the threshold).
    """
    out = table.copy()
    if out.empty:
        return out
    out["meaningful"] = out["meaningful"].astype(bool) & (out["coverage"] >= min_coverage)
    tested = [
        name for name in MixingTest.__dataclass_fields__ if name not in ("ties", "groups", "draws")
    ]
    out[tested] = out[tested].astype(float).where(out["meaningful"], axis=0)
    return out


def _persistence(
    before: tuple[pd.DataFrame, pd.DataFrame],
    after: tuple[pd.DataFrame, pd.DataFrame],
    *,
    low: float,
    min_coverage: float,
) -> dict[str, object]:
    """Tie changes between two waves of one team (``(roster, ties)`` of each)."""
    (roster_a, ties_a), (roster_b, ties_b) = before, after
    alters = set(roster_a["respondent"]) & set(roster_b["respondent"])
    senders = alters & (
        set(roster_a.loc[network_answered(roster_a), "respondent"])
        & set(roster_b.loc[network_answered(roster_b), "respondent"])
    )

    def observed(ties: pd.DataFrame) -> set[tuple[str, str]]:
        pairs = zip(ties["source"], ties["target"], strict=True)
        return {(s, t) for s, t in pairs if s in senders and t in alters}

    a, b = observed(ties_a), observed(ties_b)
    kept, dropped, new = len(a & b), len(a - b), len(b - a)
    meaningful = bool(
        network_answered(roster_a).mean() >= min_coverage
        and network_answered(roster_b).mean() >= min_coverage
        and len(senders) >= 2
    )
    union = kept + dropped + new
    jaccard = kept / union if union and meaningful else float("nan")
    per_sender = (lambda count: count / len(senders)) if senders else (lambda count: float("nan"))
    return {
        "dyads": len(senders) * (len(alters) - 1),
        "ties_from": len(a),
        "ties_to": len(b),
        "kept": kept,
        "dropped": dropped,
        "new": new,
        "distance": dropped + new,
        "jaccard": jaccard,
        "mean_degree_from": per_sender(len(a)),
        "mean_degree_to": per_sender(len(b)),
        "meaningful": meaningful,
        "low": None if np.isnan(jaccard) else bool(jaccard < low),
    }
