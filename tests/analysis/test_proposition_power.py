"""The power of a proposition's test by simulation, and assessing chosen propositions only."""

from __future__ import annotations

import pytest

import analysis as an
import instruments
from analysis.propositions import assess_propositions
from analysis.simulate_mechanisms import Mechanisms

V2 = instruments.load("cop-health", 2)


def test_chosen_propositions_are_those_of_the_full_assessment() -> None:
    bundle = an.simulate_study(teams=6, members=6, waves=4, seed=2, instrument=V2).bundle
    every = assess_propositions(bundle)
    chosen = assess_propositions(bundle, numbers=[7, 2, 1])
    assert [r.proposition for r in chosen] == [1, 2, 7]
    assert chosen == (every[0], every[1], every[6])
    with pytest.raises(ValueError, match="numbered 1-7"):
        assess_propositions(bundle, numbers=[8])


@pytest.mark.slow
def test_proposition_power_counts_verdicts_reproducibly() -> None:
    design = {"teams": 6, "members": 5, "waves": 4, "reps": 3, "seed": 4}
    mechanisms = Mechanisms(limited_control=1.0)
    first = an.proposition_power(3, **design, mechanisms=mechanisms)  # type: ignore[arg-type]
    again = an.proposition_power(3, **design, mechanisms=mechanisms)  # type: ignore[arg-type]
    assert first.verdicts == again.verdicts
    assert sum(first.verdicts.values()) == 3
    assert first.share == first.verdicts["supported"] / 3
    assert first.ci_low <= first.share <= first.ci_high
    assert first.mechanisms["limited_control"] == 1.0
    with pytest.raises(ValueError, match="numbered 1-7"):
        an.proposition_power(0, teams=6, members=5, waves=4)
