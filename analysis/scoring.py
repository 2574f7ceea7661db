"""Scoring: reverse keying and scale scores (item means) per respondent x team x wave."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.bundle import Bundle
from instruments import Instrument

KEYS = ("wave", "team", "respondent", "profession", "organisation")
MIN_ANSWERED_SHARE = 2 / 3
"""The share of a scale's items a respondent must answer for a scale score (4 of 5, 3 of 4)."""
__all__ = ["item_matrix", "scale_scores", "score_scales"]


def item_matrix(
    responses: pd.DataFrame, instrument: Instrument, *, reverse: bool = True
) -> pd.DataFrame:
    """Answers as a wide table: one row per respondent x team x wave, one column per item.

    Reverse-keyed items are rescored as :math:`x' = \\min + \\max - x` on their response
    scale when ``reverse`` is true, so that a high value always means more of the construct.

    Parameters
    ----------
    responses : DataFrame
        Long answers with columns ``wave, team, respondent, profession, organisation, item,
        value`` (the bundle's ``responses.csv``).
    instrument : Instrument
        Gives each item's keying and response scale.
    reverse : bool
        Apply reverse keying (default) or return raw values.

    Returns
    -------
    DataFrame
        Columns ``wave, team, respondent, profession, organisation`` and then every scored
        item of the instrument in instrument order (NaN where not answered).

    Examples
    --------
    >>> import pandas as pd, instruments
    >>> cop = instruments.load("cop-health")
    >>> long = pd.DataFrame({"wave": [1, 1], "team": "T", "respondent": "R1",
    ...                      "profession": "nurse", "organisation": "Trust",
    ...                      "item": ["me1", "me4"], "value": [6.0, 2.0]})
    >>> item_matrix(long, cop)[["me1", "me4"]].iloc[0].tolist()   # me4 is reverse keyed
    [6.0, 6.0]
    """
    items = instrument.items
    indexed = responses.set_index([*KEYS, "item"])["value"].astype(float)
    indexed = indexed[~indexed.index.duplicated(keep="first")]
    wide = indexed.unstack("item")
    wide = wide.reindex(columns=list(items))
    wide.columns.name = None
    if reverse:
        for item_id, info in items.items():
            if info.reverse:
                wide[item_id] = info.response_scale.min + info.response_scale.max - wide[item_id]
    wide = wide.reset_index()
    answered = wide[list(items)].notna().any(axis=1)
    return wide.loc[answered].sort_values(["wave", "team", "respondent"]).reset_index(drop=True)


def scale_scores(
    items: pd.DataFrame, instrument: Instrument, *, min_share: float = MIN_ANSWERED_SHARE
) -> pd.DataFrame:
    """Scale scores as item means, given a reverse-keyed item matrix.

    .. math:: S_{s} = \\frac{1}{|A_s|} \\sum_{i \\in A_s} x'_i \\quad\\text{if}\\quad
              |A_s| \\ge \\lceil m \\cdot k_s \\rceil,\\ \\text{else missing}

    with :math:`A_s` the answered items of scale :math:`s`, :math:`k_s` its number of items and
    :math:`m` = ``min_share`` (default 2/3, so 4 of 5 items, 3 of 4). Single items are copied
    as they are.

    Parameters
    ----------
    items : DataFrame
        The output of :func:`item_matrix` (reverse-keyed).
    min_share : float
        Smallest share of a scale's items that must be answered for a score, in (0, 1].

    Returns
    -------
    DataFrame
        The key columns, one column per scale id and per single item.

    Examples
    --------
    >>> import pandas as pd, instruments
    >>> cop = instruments.load("cop-health")
    >>> wide = pd.DataFrame([{"wave": 1, "team": "T", "respondent": "R1", "profession": "nurse",
    ...                       "organisation": "Trust", "me1": 6, "me2": 5, "me3": 7, "me4": 6}])
    >>> scale_scores(wide, cop)["mutual_engagement"].tolist()   # 4 of 5 answered: scored
    [6.0]
    """
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    keys = [c for c in KEYS if c in items.columns]
    out = items[keys].copy()
    for scale in instrument.scales:
        block = items.reindex(columns=list(scale.item_ids)).astype(float)
        needed = math.ceil(min_share * len(scale.items) - 1e-9)
        enough = block.notna().sum(axis=1) >= needed
        out[scale.id] = block.mean(axis=1, skipna=True).where(enough, np.nan)
    for single in instrument.single_items:
        out[single.id] = items[single.id].astype(float) if single.id in items else np.nan
    return out


def score_scales(bundle: Bundle, *, min_share: float = MIN_ANSWERED_SHARE) -> pd.DataFrame:
    """Scale scores for every respondent x team x wave of a bundle.

    Reverse keying (:math:`\\min + \\max - x`) then item means with at least ``min_share`` of a
    scale's items answered: :func:`item_matrix` followed by :func:`scale_scores`.
    """
    return scale_scores(
        item_matrix(bundle.responses, bundle.instrument), bundle.instrument, min_share=min_share
    )
