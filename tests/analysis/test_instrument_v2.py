"""cop-health version 2: shared items, the roster role, value creation, exports and labels."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

import analysis as an
import instruments
from analysis.exports import codebook_table, wide_table, write_export
from analysis.value_creation import value_creation_table

V1 = instruments.load("cop-health", 1)
V2 = instruments.load("cop-health", 2)
NEW_ITEMS = {
    "vc_immediate",
    "vc_potential",
    "vc_applied",
    "vc_realised",
    "vc_reframing",
    "ic_practice",
    "ic_profession",
    "ic_clahrc",
    "ic_clinical_network",
    "ic_patients",
    "interconnection_frequency",
}


@pytest.fixture(scope="module")
def v2_bundle() -> an.Bundle:
    bundle = an.simulate_study(teams=6, members=8, waves=3, seed=5, instrument=V2).bundle
    roster = bundle.roster.copy()
    first = roster.groupby("team")["respondent"].transform("first")
    roster["role"] = np.where(roster["respondent"].eq(first), "KTA", "")
    return dataclasses.replace(bundle, roster=roster)


def test_version_2_keeps_every_version_1_item_as_it_was() -> None:
    assert V1.key == "cop-health@1" and V2.key == "cop-health@2"
    for item_id, info in V1.items.items():
        assert V2.items[item_id] == info, item_id
    assert set(V2.items) - set(V1.items) == NEW_ITEMS
    assert V2.comment_ids == ("helped", "hindered", "value_story")
    assert V2.scale("value_creation").response_scale.options == 7


def test_a_version_1_bundle_still_reads_and_scores(tmp_path: Path) -> None:
    bundle = an.simulate_study(teams=2, members=5, waves=2, seed=1).bundle
    an.write_bundle(bundle, tmp_path / "v1")
    again = an.read_bundle(tmp_path / "v1")
    assert again.instrument.key == "cop-health@1"
    assert "role" not in again.roster.columns
    assert value_creation_table(an.item_matrix(again.responses, again.instrument)).empty


def test_roster_role_round_trips_and_unknown_columns_are_still_refused(
    v2_bundle: an.Bundle, tmp_path: Path
) -> None:
    an.write_bundle(v2_bundle, tmp_path / "v2")
    assert (tmp_path / "v2" / "roster.csv").read_text().splitlines()[0].endswith(",role")
    again = an.read_bundle(tmp_path / "v2")
    assert again.instrument.key == "cop-health@2"
    assert (again.roster["role"] == v2_bundle.roster["role"]).all()
    roster = pd.read_csv(tmp_path / "v2" / "roster.csv", dtype=str).assign(grade="x")
    roster.to_csv(tmp_path / "v2" / "roster.csv", index=False)
    with pytest.raises(an.BundleError, match="column grade: unknown column"):
        an.read_bundle(tmp_path / "v2")


def test_exports_label_the_new_items_and_the_role(v2_bundle: an.Bundle, tmp_path: Path) -> None:
    wide = wide_table(v2_bundle)
    assert list(wide.columns[:6]) == [
        "wave",
        "team",
        "respondent",
        "profession",
        "organisation",
        "role",
    ]
    assert NEW_ITEMS | {"value_creation"} <= set(wide.columns)
    book = codebook_table(V2, roles=True).set_index("variable")
    assert book.loc["ic_practice", "value_labels"] == "0 = No; 1 = Yes"
    assert "role" in book.index
    _, sav = pyreadstat.read_sav(str(write_export(v2_bundle, "sav", tmp_path / "s.sav")))
    labels = dict(zip(sav.column_names, sav.column_labels, strict=True))
    assert labels["vc_applied"].startswith("I have changed something in my own work")
    assert sav.variable_value_labels["ic_patients"] == {0.0: "No", 1.0: "Yes"}
    assert labels["role"].startswith("Respondent's role")
    data, dta = pyreadstat.read_dta(str(write_export(v2_bundle, "dta", tmp_path / "s.dta")))
    assert "interconnection_frequency"[:32] in dta.column_names
    assert set(data["role"]) <= {"", "KTA"} and "KTA" in set(data["role"])


def test_value_creation_profile_stops_at_the_first_cycle_not_reached() -> None:
    answers = {
        "vc_immediate": [6, 6, 5],
        "vc_potential": [5, 6, 5],
        "vc_applied": [4, 4, 5],  # mean 4.33 < 5: the cascade stops here
        "vc_realised": [6, 6, 6],
        "vc_reframing": [2, 3, 2],
    }
    items = pd.DataFrame({"wave": 2, "team": "T", "respondent": ["a", "b", "c"], **answers})
    earlier = items.assign(wave=1, vc_immediate=1.0)
    profile = value_creation_table(pd.concat([earlier, items])).set_index("cycle")
    assert (profile["wave"] == 2).all()  # the last wave answered
    assert profile["mean"].round(2).tolist() == [5.67, 5.33, 4.33, 6.0, 2.33]
    assert profile["reached"].tolist() == [True, True, False, True, False]
    assert set(profile["furthest_cycle"]) == {"potential"}
    # t interval: mean +- t(2, .975) * sd / sqrt(3)
    assert profile.loc["immediate", "ci_high"] == pytest.approx(
        5.6667 + 4.3027 * 0.57735 / 3**0.5, abs=1e-3
    )


def test_propositions_5_and_7_are_measured_on_version_2(v2_bundle: an.Bundle) -> None:
    results = {r.proposition: r for r in an.assess_propositions(v2_bundle)}
    assert results[5].verdict != "not_measured", results[5].reason
    assert results[5].ci_low <= results[5].estimate <= results[5].ci_high
    assert "first wave" in results[5].reason
    assert results[7].verdict != "not_measured", results[7].reason
