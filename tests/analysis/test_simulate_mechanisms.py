"""The propositions' simulator mechanisms: off changes nothing, on moves what it should."""

from __future__ import annotations

import numpy as np
import pytest

import analysis as an
import instruments
from analysis.simulate_mechanisms import Mechanisms

V2 = instruments.load("cop-health", 2)


def test_switched_off_mechanisms_leave_the_study_unchanged() -> None:
    plain = an.simulate_study(teams=4, members=6, waves=3, seed=2)
    off = an.simulate_study(teams=4, members=6, waves=3, seed=2, mechanisms=Mechanisms())
    assert plain.bundle.responses.equals(off.bundle.responses)
    assert plain.truth.equals(off.truth)
    assert "role" not in off.bundle.roster.columns


def test_mechanisms_are_checked() -> None:
    with pytest.raises(ValueError, match="broker_effect is a probability"):
        Mechanisms(broker_effect=2.0)
    with pytest.raises(ValueError, match="span_effect must be a finite number"):
        Mechanisms(span_effect=float("nan"))


def test_version_2_answers_interconnection_from_the_team_and_names_roles() -> None:
    study = an.simulate_study(teams=10, members=10, waves=2, seed=3, instrument=V2)
    truth = study.truth.set_index("team")
    assert {"interconnection", "broker"} <= set(truth.columns)
    items = an.item_matrix(study.bundle.responses, V2)
    first = items[items["wave"] == 1].groupby("team")["interconnection_frequency"].mean()
    # team means follow c_j (3.5 + c_j + noise): a strong correlation over ten teams
    assert np.corrcoef(first, truth.loc[first.index, "interconnection"])[0, 1] > 0.8
    assert set(items["ic_practice"].dropna()) <= {0.0, 1.0}
    roster = study.bundle.roster
    kta = roster[roster["role"] == "KTA"].groupby("team")["respondent"].unique()
    assert all(len(people) == 1 for people in kta)
    assert dict(zip(kta.index, (p[0] for p in kta), strict=True)) == truth["broker"].to_dict()


def test_brokers_name_more_colleagues_of_other_professions() -> None:
    def cross_ties(effect: float) -> int:
        study = an.simulate_study(
            teams=6, waves=3, seed=4, instrument=V2, mechanisms=Mechanisms(broker_effect=effect)
        )
        kta = study.bundle.roster[study.bundle.roster["role"] == "KTA"]
        ties = study.bundle.ties.merge(
            kta[["wave", "team", "respondent"]].rename(columns={"respondent": "source"})
        )
        return len(ties)

    assert cross_ties(0.9) > cross_ties(0.0) + 10


def test_truth_records_the_mechanisms_and_each_team_s_span() -> None:
    mechanisms = Mechanisms(span_effect=0.2, identification_damping=0.1)
    study = an.simulate_study(teams=4, members=6, waves=3, seed=1, mechanisms=mechanisms)
    truth = study.truth
    assert (truth["span_effect"] == 0.2).all() and (truth["identification_damping"] == 0.1).all()
    spans = study.bundle.roster.drop_duplicates(["team", "organisation"]).groupby("team").size()
    assert truth.set_index("team")["organisations"].to_dict() == spans.to_dict()


def _cross_share(study: an.SimulatedStudy, attribute: str) -> float:
    """Share of knowledge ties whose two ends differ in ``attribute``."""
    roster = study.bundle.roster.set_index(["wave", "team", "respondent"])[attribute]
    ties = study.bundle.ties
    source = roster.reindex(list(zip(ties["wave"], ties["team"], ties["source"], strict=True)))
    target = roster.reindex(list(zip(ties["wave"], ties["team"], ties["target"], strict=True)))
    return float((source.to_numpy() != target.to_numpy()).mean())


def test_new_mechanisms_are_checked() -> None:
    with pytest.raises(ValueError, match="limited_control is a probability"):
        Mechanisms(limited_control=1.5)
    with pytest.raises(ValueError, match="enclave_spread must not be negative"):
        Mechanisms(enclave_spread=-0.1)
    with pytest.raises(ValueError, match="knowledge_stickiness must not be negative"):
        Mechanisms(knowledge_stickiness=-1.0)


def test_enclaves_split_practice_by_profession_and_keep_ties_inside_professions() -> None:
    design = {"teams": 8, "members": 10, "waves": 3, "seed": 6, "kinds": ("formed",)}
    off = an.simulate_study(**design)  # type: ignore[arg-type]
    on = an.simulate_study(**design, mechanisms=Mechanisms(enclave_spread=1.0))  # type: ignore[arg-type]
    evidence_off = an.formation_evidence(off.bundle)
    evidence_on = an.formation_evidence(on.bundle)
    assert (
        evidence_on.team_waves["profession_icc1"].mean()
        > evidence_off.team_waves["profession_icc1"].mean() + 0.3
    )
    assert _cross_share(on, "profession") < _cross_share(off, "profession") - 0.15
    assert (on.truth["enclave_spread"] == 1.0).all()
    assert (on.truth["profession_practice_sd"] > 0).all()
    assert "enclave_spread" not in off.truth.columns


def test_sticky_knowledge_thins_only_ties_across_boundaries() -> None:
    design = {"teams": 8, "members": 10, "waves": 3, "seed": 6, "kinds": ("formed",)}
    off = an.simulate_study(**design)  # type: ignore[arg-type]
    on = an.simulate_study(**design, mechanisms=Mechanisms(knowledge_stickiness=1.5))  # type: ignore[arg-type]
    kept = on.bundle.ties.merge(off.bundle.ties, how="left", indicator=True)
    assert (kept["_merge"] == "both").all()  # thinning only: no tie is invented
    for attribute in ("profession", "organisation"):
        assert _cross_share(on, attribute) < _cross_share(off, attribute) - 0.1
    assert on.bundle.responses.equals(off.bundle.responses)


def test_limited_control_switches_the_intervention_effect_off() -> None:
    design = {"teams": 8, "members": 6, "waves": 5, "seed": 3, "effect": 0.8}
    off = an.simulate_study(**design)  # type: ignore[arg-type]
    on = an.simulate_study(**design, mechanisms=Mechanisms(limited_control=1.0))  # type: ignore[arg-type]
    intervened = off.truth["intervention_kind"] != ""
    assert (off.truth.loc[intervened, "level_change"] == 0.8).all()
    assert (on.truth["level_change"] == 0).all() and (on.truth["slope_change"] == 0).all()
    assert not on.truth["intervention_took"].any()
    assert on.bundle.interventions.equals(off.bundle.interventions)  # still recorded
    half = an.simulate_study(**design, mechanisms=Mechanisms(limited_control=0.5))  # type: ignore[arg-type]
    took = half.truth["intervention_took"]
    assert (half.truth.loc[took, "level_change"] == 0.8).all()
    assert (half.truth.loc[~took, "level_change"] == 0).all()
