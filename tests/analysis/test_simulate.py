"""Tests of the simulated CLAHRC study: bundle contract, determinism, shapes and kind signatures."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.bundle import COLUMNS, read_bundle
from analysis.simulate import (
    KINDS,
    PROFESSIONS,
    THEMES,
    SimulatedStudy,
    simulate_study,
    write_simulated_study,
)

FRAMES = ("responses", "ties", "roster", "interventions", "comments")


@pytest.fixture(scope="module")
def study() -> SimulatedStudy:
    return simulate_study(teams=24, members=10, waves=6, seed=11)


@pytest.fixture(scope="module")
def scores(study: SimulatedStudy) -> pd.DataFrame:
    """Scale scores (reverse-keyed item means, computed here independently) with the kind."""
    instrument = study.bundle.instrument
    items = instrument.items
    rows = study.bundle.responses.copy()
    reverse = rows["item"].map({k: v.reverse for k, v in items.items()}).astype(bool)
    rows.loc[reverse, "value"] = 8 - rows.loc[reverse, "value"]
    rows["scale"] = rows["item"].map({k: v.scale_id for k, v in items.items()})
    rows = rows.dropna(subset=["scale"])
    wide = (
        rows.groupby(["wave", "team", "respondent", "profession", "scale"])["value"]
        .mean()
        .unstack("scale")
        .reset_index()
    )
    wide["kind"] = wide["team"].map(study.truth.set_index("team")["kind"])
    return wide


def test_bundle_round_trips_through_read_bundle(study: SimulatedStudy, tmp_path: Path) -> None:
    path = write_simulated_study(study, tmp_path / "study")
    back = read_bundle(path)
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(study.bundle, name))
    assert back.instrument.key == "cop-health@1"
    truth = pd.read_csv(path / "truth.csv")
    assert list(truth["team"]) == list(study.truth["team"])
    assert not (path / "people.csv").exists()  # bundles are pseudonymous


def test_zip_bundle_and_people_flag(study: SimulatedStudy, tmp_path: Path) -> None:
    path = write_simulated_study(study, tmp_path / "study.zip", people=True)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
    assert {"truth.csv", "people.csv", "responses.csv", "instrument.yaml"} <= names
    back = read_bundle(path)
    pd.testing.assert_frame_equal(back.responses, study.bundle.responses)
    pd.testing.assert_frame_equal(back.roster, study.bundle.roster)


def test_columns_are_the_bundle_contract(study: SimulatedStudy) -> None:
    for name in FRAMES:
        assert tuple(getattr(study.bundle, name).columns) == COLUMNS[f"{name}.csv"]


def test_deterministic_for_a_seed() -> None:
    one = simulate_study(teams=6, members=8, waves=5, seed=3)
    two = simulate_study(teams=6, members=8, waves=5, seed=3)
    other = simulate_study(teams=6, members=8, waves=5, seed=4)
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(one.bundle, name), getattr(two.bundle, name))
    pd.testing.assert_frame_equal(one.truth, two.truth)
    pd.testing.assert_frame_equal(one.people, two.people)
    assert not one.bundle.responses["value"].equals(other.bundle.responses["value"])


def test_teams_themes_waves_and_truth(study: SimulatedStudy) -> None:
    truth = study.truth
    assert len(truth) == 24 and truth["team"].is_unique
    assert study.bundle.teams == sorted(truth["team"])
    assert study.bundle.waves == [1, 2, 3, 4, 5, 6]
    assert list(truth["kind"]) == [KINDS[j % 4] for j in range(24)]
    assert (truth["expected_verdict"] == truth["kind"]).all()
    assert truth["theme"].value_counts().to_dict() == {THEMES[0]: 12, THEMES[1]: 12}
    assert truth.loc[truth["theme"] == "Heart Failure", "team"].str.startswith("HF ").all()
    assert truth.loc[truth["theme"] == THEMES[1], "team"].str.startswith("CKD ").all()
    assert truth["size"].between(7, 13).all()
    assert list(study.teams.columns) == [
        "team",
        "theme",
        "kind",
        "intervention_wave",
        "intervention_kind",
    ]


def test_interventions_staggered_in_about_half_the_teams(study: SimulatedStudy) -> None:
    truth = study.truth
    plan = study.bundle.interventions
    treated = truth.dropna(subset=["intervention_wave"])
    assert len(treated) == 12
    assert sorted(plan["team"]) == sorted(treated["team"])
    starts = plan.set_index("team")["wave"]
    assert (starts == treated.set_index("team")["intervention_wave"].reindex(starts.index)).all()
    assert starts.nunique() == 3 and starts.between(3, 5).all()  # waves 3..W-1, staggered
    assert (treated["level_change"] == 0.5).all()
    assert (truth.loc[truth["intervention_wave"].isna(), "level_change"] == 0).all()
    assert plan["description"].str.len().gt(20).all()


def test_people_directory(study: SimulatedStudy) -> None:
    people = study.people
    assert people["respondent"].is_unique and people["email"].is_unique
    assert people["respondent"].str.fullmatch(r"R\d{4}").all()
    assert set(people["profession"]) <= set(PROFESSIONS)
    assert set(people["organisation_type"]) == {"university", "acute trust", "general practice"}
    uni = people["organisation_type"] == "university"
    assert people.loc[uni, "email"].str.endswith("@example.ac.uk").all()
    assert people.loc[~uni, "email"].str.endswith("@example.nhs.uk").all()
    assert people["name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][A-Za-z']+").all()
    # every roster pseudonym is in the directory with the same profession
    roster = study.bundle.roster.drop_duplicates("respondent").set_index("respondent")
    directory = people.set_index("respondent")
    assert (roster["profession"] == directory.loc[roster.index, "profession"]).all()


def test_members_in_two_teams_attrition_and_late_joiners(study: SimulatedStudy) -> None:
    roster = study.bundle.roster
    teams_per_person = roster.groupby("respondent")["team"].nunique()
    share_two = float((teams_per_person > 1).mean())
    assert 0.04 <= share_two <= 0.2
    first, last = roster["wave"].min(), roster["wave"].max()
    at_first = set(roster.loc[roster["wave"] == first, "respondent"])
    at_last = set(roster.loc[roster["wave"] == last, "respondent"])
    assert at_first - at_last, "no one left"
    assert at_last - at_first, "no one joined late"
    members = study.memberships
    assert members["left_wave"].notna().sum() > 0 and (members["joined_wave"] > 1).sum() > 0
    # a member who left is not on the roster from that wave on
    left = members.dropna(subset=["left_wave"]).iloc[0]
    rows = roster[(roster["respondent"] == left["respondent"]) & (roster["team"] == left["team"])]
    assert rows["wave"].max() == left["left_wave"] - 1


def test_response_rate_and_missing_answers(study: SimulatedStudy) -> None:
    roster = study.bundle.roster
    assert 0.7 <= roster["responded"].mean() <= 0.88
    responses = study.bundle.responses
    responders = roster[roster["responded"]]
    assert responses.groupby(["wave", "team", "respondent"]).ngroups == len(responders)
    missing = responses["value"].isna().mean()
    assert 0.01 <= missing <= 0.03
    values = responses["value"].dropna()
    assert (values == values.round()).all() and values.between(1, 7).all()
    contact = responses.loc[responses["item"] == "contact_frequency", "value"].dropna()
    assert contact.between(1, 6).all() and contact.nunique() >= 4


def test_reverse_items_are_written_reversed(study: SimulatedStudy) -> None:
    wide = study.bundle.responses.pivot_table(
        index=["wave", "team", "respondent"], columns="item", values="value"
    )
    assert wide["me1"].corr(wide["me4"]) < -0.3  # me4 raw runs against me1
    assert wide["me1"].corr(wide["me2"]) > 0.3


def test_ties_and_comments(study: SimulatedStudy) -> None:
    ties = study.bundle.ties
    roster = study.bundle.roster
    responded = set(
        zip(
            roster.loc[roster["responded"], "wave"],
            roster.loc[roster["responded"], "team"],
            roster.loc[roster["responded"], "respondent"],
            strict=True,
        )
    )
    sources = set(zip(ties["wave"], ties["team"], ties["source"], strict=True))
    assert sources <= responded  # only respondents name ties
    assert (ties["source"] != ties["target"]).all()
    comments = study.bundle.comments
    assert set(comments["item"]) <= {"helped", "hindered"}
    assert comments["text"].str.contains("<b>", regex=False).any()
    assert comments["text"].str.contains("&", regex=False).any()


def test_practice_signatures_by_kind(scores: pd.DataFrame) -> None:
    last = scores[scores["wave"] == scores["wave"].max()]
    means = last.groupby("kind")["mutual_engagement"].mean()
    assert means["formed"] > 5.0 > means["not_formed"] + 1.0
    assert means["uniprofessional_enclaves"] > 5.0
    first = scores[scores["wave"] == 1].groupby("kind")["mutual_engagement"].mean()
    assert means["forming"] - first["forming"] > 0.8  # forming rises
    assert abs(means["not_formed"] - first["not_formed"]) < 0.5  # not formed stays flat
    # agreement: within-team SD small in formed teams, large in not-formed ones
    spread = last.groupby(["kind", "team"])["mutual_engagement"].std().groupby("kind").mean()
    assert spread["formed"] < 0.75 < 1.1 < spread["not_formed"]
    # enclaves: agree within professions, not across the team
    within = (
        last[last["kind"] == "uniprofessional_enclaves"]
        .groupby(["team", "profession"])["mutual_engagement"]
        .std()
        .mean()
    )
    assert within < 0.7 < spread["uniprofessional_enclaves"]


def test_identity_signatures_by_kind(scores: pd.DataFrame) -> None:
    by_kind = scores.groupby("kind")[["collaborative_identity", "professional_identity"]].mean()
    enclaves = by_kind.loc["uniprofessional_enclaves"]
    assert enclaves["professional_identity"] - enclaves["collaborative_identity"] > 1.0
    formed = by_kind.loc["formed"]
    assert formed["collaborative_identity"] >= formed["professional_identity"]
    assert formed["collaborative_identity"] > 5.0


def test_tie_signatures_by_kind(study: SimulatedStudy) -> None:
    ties = study.bundle.ties
    profession = study.people.set_index("respondent")["profession"]
    kind = study.truth.set_index("team")["kind"]
    cross = ties["source"].map(profession) != ties["target"].map(profession)
    share = cross.groupby(ties["team"].map(kind)).mean()
    assert share["uniprofessional_enclaves"] < 0.3 < share["formed"]
    # density: ties over the possible (respondent, other roster member) pairs
    roster = study.bundle.roster
    sizes = roster.groupby(["wave", "team"]).agg(
        n=("respondent", "size"), responders=("responded", "sum")
    )
    team_kind = kind.to_dict()
    possible = (
        (sizes["responders"] * (sizes["n"] - 1))
        .groupby(sizes.index.get_level_values("team").map(team_kind))
        .sum()
    )
    density = ties.groupby(ties["team"].map(kind)).size() / possible
    assert density["formed"] > 0.35 and density["formed"] > 1.5 * density["forming"]
    assert density["forming"] > density["not_formed"]
    assert density["not_formed"] < 0.1


def test_effect_is_visible_in_team_means() -> None:
    def level_jump(effect: float) -> float:
        sim = simulate_study(
            teams=40,
            members=10,
            waves=6,
            seed=5,
            effect=effect,
            slope_effect=0.0,
            kinds=["not_formed"],
        )
        me = sim.bundle.responses[sim.bundle.responses["item"].isin(["me1", "me2", "me3"])]
        start = sim.bundle.interventions.set_index("team")["wave"]
        post = me["wave"] >= me["team"].map(start)
        treated = me["team"].isin(start.index)
        return float(
            me.loc[treated & post, "value"].mean() - me.loc[treated & ~post, "value"].mean()
        )

    assert level_jump(1.0) - level_jump(0.0) == pytest.approx(1.0, abs=0.25)


def test_kinds_cycle_and_options() -> None:
    sim = simulate_study(
        teams=5,
        members=6,
        waves=4,
        kinds=["formed", "not_formed"],
        seed=2,
        intervention_share=0.0,
        overlap=0.0,
        attrition=0.0,
    )
    assert list(sim.truth["kind"]) == ["formed", "not_formed"] * 2 + ["formed"]
    assert sim.bundle.interventions.empty and sim.truth["intervention_wave"].isna().all()
    assert sim.memberships["left_wave"].isna().all()
    assert (sim.bundle.roster.groupby("respondent")["team"].nunique() == 1).all()
    few_waves = simulate_study(teams=4, members=6, waves=3, seed=2)
    assert few_waves.bundle.interventions.empty  # W < 4: no room for a pre and post period


def test_many_teams_get_unique_names() -> None:
    sim = simulate_study(teams=60, members=4, waves=2, seed=1)
    assert sim.truth["team"].is_unique
    assert "HF Community Nursing Salford" in set(sim.truth["team"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"teams": 0}, "teams"),
        ({"members": 2}, "members"),
        ({"waves": 1}, "waves"),
        ({"kinds": ["formed", "thriving"]}, "unknown team kind"),
        ({"kinds": []}, "at least one"),
        ({"kinds": "formed"}, "not one string"),
        ({"response_rate": 1.0}, "response_rate"),
        ({"attrition": -0.1}, "attrition"),
        ({"effect": float("nan")}, "finite"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_study(**kwargs)  # type: ignore[arg-type]


def test_large_study_is_fast() -> None:
    started = time.perf_counter()
    sim = simulate_study(teams=100, members=12, waves=8, seed=0)
    elapsed = time.perf_counter() - started
    assert len(sim.truth) == 100 and sim.bundle.waves == list(range(1, 9))
    assert len(sim.bundle.responses) > 150_000
    assert elapsed < 5.0, f"100 teams x 12 members x 8 waves took {elapsed:.2f} s"
    assert np.isfinite(sim.bundle.responses["value"].dropna()).all()
