"""Value-creation profiles: how far each team gets along Wenger-Trayner and de Laat's cycles."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CYCLES", "VALUE_COLUMNS", "value_creation_table"]

#: The value-creation cycles in order, with the cop-health version-2 item that asks each.
CYCLES: tuple[tuple[str, str], ...] = (
    ("immediate", "vc_immediate"),
    ("potential", "vc_potential"),
    ("applied", "vc_applied"),
    ("realised", "vc_realised"),
    ("reframing", "vc_reframing"),
)
VALUE_COLUMNS = (
    "team",
    "wave",
    "cycle",
    "item",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "reached",
    "furthest_cycle",
)


def _row(
    team: str, wave: int, cycle: str, item: str, values: np.ndarray, reach: float
) -> dict[str, object]:
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    half = (
        float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
    )
    return {
        "team": team,
        "wave": wave,
        "cycle": cycle,
        "item": item,
        "n": n,
        "mean": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "reached": bool(n and mean >= reach),
    }


def value_creation_table(items: pd.DataFrame, *, reached: float = 5.0) -> pd.DataFrame:
    """Each team's value-creation profile at the last wave its members answered the items.

    Parameters
    ----------
    items : DataFrame
        Answers per respondent x team x wave (:func:`analysis.item_matrix`), with the
        value-creation items of cop-health version 2 (``vc_immediate`` ... ``vc_reframing``).
    reached : float, default 5.0
        A cycle is reached when the team mean is at least this ("slightly agree" on the 1-7
        scale); criteria ``propositions.value_reached``.

    Returns
    -------
    DataFrame
        Columns :data:`VALUE_COLUMNS`, one row per team and cycle: respondents ``n``, the
        team ``mean`` with its 95% t interval, ``reached``, and ``furthest_cycle``: the last
        cycle, in the order immediate, potential, applied, realised, reframing, such that it
        and every cycle before it are reached (empty when even immediate value is not).
        Empty when the instrument did not ask the items (version 1).

    Notes
    -----
    The cycles (Wenger, Trayner & de Laat, 2011) are a cascade, not a scale: immediate value
    (the activities and interactions themselves), potential value (knowledge capital:
    skills, information, contacts), applied value (changed practice), realised value
    (improved performance or outcomes) and reframing value (redefined success). A team
    "gets along the cycles" as far as the cascade holds without a gap. The team mean is
    :math:`\\bar y` over its respondents with :math:`\\bar y \\pm t_{n-1, .975}\\, s/\\sqrt n`.

    References
    ----------
    Wenger, E., Trayner, B. & de Laat, M. (2011). *Promoting and assessing value creation in
    communities and networks: a conceptual framework*. Rapport 18, Ruud de Moor Centrum,
    Open Universiteit.
    """
    asked = [item for _, item in CYCLES if item in items.columns]
    if len(asked) < len(CYCLES) or items[asked].isna().all().all():
        return pd.DataFrame(columns=list(VALUE_COLUMNS))
    answered = items.dropna(subset=asked, how="all")
    rows = []
    for team, frame in answered.groupby("team", sort=True):
        wave = int(frame["wave"].max())
        last = frame[frame["wave"] == wave]
        team_rows = [
            _row(str(team), wave, cycle, item, last[item].dropna().to_numpy(float), reached)
            for cycle, item in CYCLES
        ]
        furthest = ""
        for row in team_rows:
            if not row["reached"]:
                break
            furthest = str(row["cycle"])
        rows += [{**row, "furthest_cycle": furthest} for row in team_rows]
    return pd.DataFrame(rows, columns=list(VALUE_COLUMNS))
