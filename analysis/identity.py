"""Identity: collaborative versus professional and organisational identification, per member and team."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.growth import fit_growth_simplified

__all__ = ["identity_gaps", "identity_table", "identity_trajectories"]

COLLABORATIVE = "collaborative_identity"
TARGETS = {"professional": "professional_identity", "organisational": "organisational_identity"}


def identity_gaps(scores: pd.DataFrame) -> pd.DataFrame:
    """Per respondent x team x wave: collaborative minus professional and minus organisational.

    .. math:: g^{prof}_{itw} = C_{itw} - P_{itw}, \\qquad g^{org}_{itw} = C_{itw} - O_{itw}

    with :math:`C, P, O` the scale scores of collaborative, professional and organisational
    identification. The three scales use parallel wording (only the target changes), so the
    differences are interpretable: a positive gap means the member identifies more with the
    team than with their profession (or employer).

    Parameters
    ----------
    scores : DataFrame
        Scale scores (:func:`analysis.scale_scores`) with ``collaborative_identity``,
        ``professional_identity`` and ``organisational_identity``.

    Returns
    -------
    DataFrame
        The key columns plus ``gap_professional``, ``gap_organisational`` and
        ``collab_at_least_prof`` (True, False, or NaN where a score is missing).

    Examples
    --------
    >>> frame = pd.DataFrame({"wave": [1], "team": ["T"], "respondent": ["R1"],
    ...     "collaborative_identity": [5.0], "professional_identity": [6.0],
    ...     "organisational_identity": [4.5]})
    >>> identity_gaps(frame)[["gap_professional", "gap_organisational"]].iloc[0].tolist()
    [-1.0, 0.5]
    """
    needed = [COLLABORATIVE, *TARGETS.values()]
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        raise ValueError(f"scores lack the identity scale(s): {', '.join(missing)}")
    keys = [c for c in ("wave", "team", "respondent", "profession", "organisation") if c in scores]
    out = scores[keys].copy()
    for name, column in TARGETS.items():
        out[f"gap_{name}"] = scores[COLLABORATIVE] - scores[column]
    at_least = scores[COLLABORATIVE] >= scores[TARGETS["professional"]]
    known = scores[[COLLABORATIVE, TARGETS["professional"]]].notna().all(axis=1)
    out["collab_at_least_prof"] = at_least.where(known).astype("float")
    return out


def identity_table(scores: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Team x wave summary of identity: mean gaps with t intervals and the share at least as
    attached to the team as to their profession.

    For a team-wave with :math:`n` members with both scores, the mean gap
    :math:`\\bar g` has the interval :math:`\\bar g \\pm t_{n-1, (1+level)/2}\\, s_g/\\sqrt n`;
    ``share_collab_at_least_prof`` is the share of those members with
    :math:`C_i \\ge P_i`.

    Returns
    -------
    DataFrame
        ``team, wave, n, collaborative, professional, organisational`` (means),
        ``gap_professional``, ``gap_professional_ci_low``, ``gap_professional_ci_high``, the same
        for ``gap_organisational``, and ``share_collab_at_least_prof``.

    Examples
    --------
    >>> frame = pd.DataFrame({"wave": 1, "team": "T", "respondent": ["a", "b", "c"],
    ...     "collaborative_identity": [5.0, 6.0, 4.0], "professional_identity": [5.0, 5.0, 6.0],
    ...     "organisational_identity": [4.0, 4.0, 4.0]})
    >>> row = identity_table(frame).iloc[0]
    >>> round(float(row["gap_professional"]), 3), round(float(row["share_collab_at_least_prof"]), 3)
    (-0.333, 0.667)
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    gaps = identity_gaps(scores)
    data = pd.concat([gaps, scores[[COLLABORATIVE, *TARGETS.values()]]], axis=1)
    rows = []
    for (team, wave), group in data.groupby(["team", "wave"], sort=True):
        row: dict[str, object] = {
            "team": team,
            "wave": wave,
            "n": int(group["gap_professional"].notna().sum()),
            "collaborative": group[COLLABORATIVE].mean(),
            "professional": group[TARGETS["professional"]].mean(),
            "organisational": group[TARGETS["organisational"]].mean(),
        }
        for name in TARGETS:
            values = group[f"gap_{name}"].dropna().to_numpy(dtype=float)
            mean = float(values.mean()) if len(values) else float("nan")
            if len(values) >= 2:
                half = float(stats.t.ppf((1 + level) / 2, len(values) - 1)) * float(
                    values.std(ddof=1) / np.sqrt(len(values))
                )
            else:
                half = float("nan")
            row[f"gap_{name}"] = mean
            row[f"gap_{name}_ci_low"] = mean - half
            row[f"gap_{name}_ci_high"] = mean + half
        row["share_collab_at_least_prof"] = group["collab_at_least_prof"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def identity_trajectories(
    scores: pd.DataFrame, *, person: str | None = "respondent", ddf: str = "satterthwaite"
) -> pd.DataFrame:
    """Each team's trajectory of the gap collaborative minus professional identification.

    Fits :func:`analysis.growth.fit_growth_simplified` to ``gap_professional`` (waves in members
    in teams, with a team-specific slope, by REML; the simpler model when that fit is
    singular) and returns the team-specific intercepts and slopes with df and intervals
    (``team_effects`` of the fit; ``ddf`` names the df method, see
    :func:`analysis.fit_growth`). A positive slope means the team is becoming more of a
    collaborative identity relative to professional ones.

    Returns an empty table when no trajectory can be estimated: fewer than two teams or
    waves, or a gap that is the same for everyone at every wave (no residual variance, so
    the REML criterion is undefined; lme4 cannot fit it either).
    """
    gaps = identity_gaps(scores).dropna(subset=["gap_professional"])
    if (
        gaps["team"].nunique() < 2
        or gaps["wave"].nunique() < 2
        or gaps["gap_professional"].nunique() < 2
    ):
        return pd.DataFrame()
    fit, note = fit_growth_simplified(gaps, "gap_professional", person=person, ddf=ddf)
    table = fit.team_effects.reset_index()
    table.insert(1, "model", fit.formula)
    table["note"] = note
    table["ddf"] = fit.ddf
    return table
