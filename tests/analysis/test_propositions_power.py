"""Each proposition finds its simulated mechanism: supported in most seeds when on, rarely when off.

Slow (minutes): every seed simulates and analyses a study (cop-health version 2).

Propositions 4-7 (20 teams of about 10 members, 5 waves, the four team kinds in turn), measured
with 20 seeds each (seeds 0-19), supported with the mechanism on / off: identification damping
0.15: 20/20 and 0/20; interconnection 0.2: 19/20 and 0/20; practice span 0.15: 19/20 and 0/20;
brokers 0.5: 20/20 and 0/20.

Propositions 1-3 go through the power tool (:func:`analysis.power_of_propositions.proposition_power`,
replication seeds spawned from ``SeedSequence(0)``), at designs it gives adequate power; measured
with 20 replications each, supported with the mechanism on / off:

- 1, uniprofessional enclaves (``enclave_spread`` 1.0), 20 teams x 10 members x 5 waves, the
  four kinds: 19/20 and 1/20 (off, the simulator's enclave teams are a quarter of the teams, so
  the mean profession ICC(1) stays below 0.30 and the verdict is inconclusive).
- 2, knowledge sticky at boundaries (``knowledge_stickiness`` 1.0), 6 teams x 8 members x
  4 waves, formed teams only: 20/20 and 1/20. Every other kind names its own profession 2 to
  25 times as readily (the kinds themselves carry the claim), so only formed teams give a world
  where it is false: there own-profession ties are 1.3 times as likely, a pooled E-I excess of
  about -0.07 (200 teams), inside the 0.1 the analysis calls negligible stickiness.
- 3, limited managerial control (``limited_control`` 1.0: no intervention takes), 12 teams x
  10 members x 5 waves, the four kinds, intervention effect 0.5 when off (above the 0.3
  margin): 18/20 and 0/20 (off, all 20 contradicted).

``COPKIT_POWER_SEEDS`` (default 10) runs more or fewer seeds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

import analysis as an
import instruments
from analysis.formation import counted_team_waves, formation_evidence
from analysis.power_of_propositions import proposition_power
from analysis.propositions import (
    PropositionResult,
    broker_proposition,
    identification_proposition,
    interconnection_proposition,
    span_proposition,
)
from analysis.simulate_mechanisms import Mechanisms

pytestmark = pytest.mark.slow

V2 = instruments.load("cop-health", 2)
SEEDS = int(os.environ.get("COPKIT_POWER_SEEDS", "10"))
DESIGN = {"teams": 20, "members": 10, "waves": 5}
SETTINGS = an.default_criteria()


def _judge(bundle: an.Bundle, which: str) -> PropositionResult:
    evidence = formation_evidence(bundle, SETTINGS)
    scores = evidence.respondents
    judges: dict[str, Callable[[], PropositionResult]] = {
        "identification_damping": lambda: identification_proposition(
            scores, SETTINGS, "satterthwaite"
        ),
        "interconnection_effect": lambda: interconnection_proposition(
            scores, SETTINGS, "satterthwaite"
        ),
        "span_effect": lambda: span_proposition(scores, bundle.roster, SETTINGS, "satterthwaite"),
        "broker_effect": lambda: broker_proposition(
            bundle, counted_team_waves(evidence, SETTINGS), SETTINGS
        ),
    }
    return judges[which]()


def _supported(which: str, strength: float) -> float:
    hits = 0
    for seed in range(SEEDS):
        study = an.simulate_study(
            **DESIGN, seed=seed, instrument=V2, mechanisms=Mechanisms(**{which: strength})
        )
        hits += _judge(study.bundle, which).verdict == "supported"
    return hits / SEEDS


@pytest.mark.parametrize(
    ("which", "strength"),
    [
        ("identification_damping", 0.15),
        ("interconnection_effect", 0.2),
        ("span_effect", 0.15),
        ("broker_effect", 0.5),
    ],
)
def test_supported_with_the_mechanism_and_rarely_without(which: str, strength: float) -> None:
    assert _supported(which, strength) >= 0.8
    assert _supported(which, 0.0) <= 0.1


#: Proposition -> (mechanism, strength, design) at which the power tool gives adequate power.
DESIGNS_1_TO_3: dict[int, tuple[str, float, dict[str, Any]]] = {
    1: ("enclave_spread", 1.0, {"teams": 20, "members": 10, "waves": 5}),
    2: ("knowledge_stickiness", 1.0, {"teams": 6, "members": 8, "waves": 4, "kinds": ("formed",)}),
    3: ("limited_control", 1.0, {"teams": 12, "members": 10, "waves": 5}),
}


@pytest.mark.parametrize("proposition", sorted(DESIGNS_1_TO_3))
def test_propositions_1_to_3_supported_with_the_mechanism_and_rarely_without(
    proposition: int,
) -> None:
    which, strength, design = DESIGNS_1_TO_3[proposition]
    on = proposition_power(
        proposition,
        **design,
        mechanisms=Mechanisms(**{which: strength}),
        reps=SEEDS,
    )
    off = proposition_power(proposition, **design, mechanisms=Mechanisms(), reps=SEEDS)
    assert on.share >= 0.8, on.verdicts
    assert off.share <= 0.1, off.verdicts
