"""Reverse keying and scale scores with the minimum share of answered items."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis as an
import instruments

COP = instruments.load("cop-health", 1)


def answers(values: dict[str, float | None], respondent: str = "R1", wave: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "wave": wave,
                "team": "T",
                "respondent": respondent,
                "profession": "nurse",
                "organisation": "Trust",
                "item": item,
                "value": np.nan if v is None else v,
            }
            for item, v in values.items()
        ]
    )


def test_reverse_keying_is_min_plus_max_minus_x() -> None:
    wide = an.item_matrix(answers({"me1": 7, "me4": 7, "sr5": 1, "contact_frequency": 2}), COP)
    assert wide.loc[0, ["me1", "me4", "sr5", "contact_frequency"]].tolist() == [7, 1, 7, 2]
    raw = an.item_matrix(answers({"me4": 7}), COP, reverse=False)
    assert raw.loc[0, "me4"] == 7


def test_scale_score_needs_two_thirds_of_items() -> None:
    four = {"me1": 6, "me2": 5, "me3": 7, "me4": 2}  # me4 reversed -> 6
    three = {"je1": 6, "je2": 5, "je3": 7}
    frame = pd.concat([answers(four), answers(three)])
    scores = an.scale_scores(an.item_matrix(frame, COP), COP)
    assert scores.loc[0, "mutual_engagement"] == pytest.approx(6.0)
    assert np.isnan(scores.loc[0, "joint_enterprise"])  # 3 of 5 < 2/3
    lenient = an.scale_scores(an.item_matrix(frame, COP), COP, min_share=0.6)
    assert lenient.loc[0, "joint_enterprise"] == pytest.approx(6.0)
    with pytest.raises(ValueError, match="min_share must be in"):
        an.scale_scores(an.item_matrix(frame, COP), COP, min_share=0)


def test_one_row_per_respondent_team_wave_and_blank_rows_dropped() -> None:
    frame = pd.concat(
        [
            answers({"me1": 5}, "R1", 1),
            answers({"me1": 4}, "R1", 2),
            answers({"me1": 3}, "R2", 1),
            answers({"me1": None}, "R3", 1),
        ]
    )
    wide = an.item_matrix(frame, COP)
    assert list(zip(wide["wave"], wide["respondent"], strict=True)) == [
        (1, "R1"),
        (1, "R2"),
        (2, "R1"),
    ]
    assert list(wide.columns[:5]) == ["wave", "team", "respondent", "profession", "organisation"]
