"""Power of a proposition's test: how often simulated studies with its mechanism call it supported."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from analysis.power import (
    Progress,
    _replication_seeds,
    _workers,
    binomial_interval,
    run_replications,
)
from analysis.propositions import PROPOSITION_VERDICTS, assess_propositions
from analysis.simulate import KINDS, simulate_study
from analysis.simulate_mechanisms import Mechanisms
from instruments import Instrument, load

__all__ = [
    "PropositionPower",
    "proposition_power",
    "proposition_power_table",
    "proposition_verdict",
]


@dataclass(frozen=True)
class PropositionPower:
    """How often one proposition came out ``supported`` in simulated studies of one design.

    Attributes
    ----------
    proposition : int
        1-7 (:data:`analysis.propositions.CLAIMS`).
    teams, members, waves : int
        The design simulated.
    mechanisms : dict
        The strengths of :class:`analysis.simulate_mechanisms.Mechanisms` simulated.
    effect : float
        The simulator's intervention level change (before ``limited_control``).
    reps : int
        Simulated studies.
    supported : int
        Studies whose verdict was ``supported``.
    share, ci_low, ci_high : float
        ``supported / reps`` and its Clopper-Pearson 95% interval: the power of the test when
        the mechanism is on, its false-support rate when the mechanism is off.
    verdicts : dict
        Studies per verdict (``supported``, ``contradicted``, ``inconclusive``,
        ``not_measured``).
    seconds : float
        Wall-clock time of the run.
    """

    proposition: int
    teams: int
    members: int
    waves: int
    mechanisms: dict[str, float]
    effect: float
    reps: int
    supported: int
    share: float
    ci_low: float
    ci_high: float
    verdicts: dict[str, int]
    seconds: float


@dataclass(frozen=True)
class _Study:
    """Everything one simulated study needs (sent to the workers)."""

    proposition: int
    teams: int
    members: int
    waves: int
    kinds: tuple[str, ...]
    effect: float
    mechanisms: Mechanisms
    instrument: Instrument
    criteria: Mapping[str, Any] | None


def proposition_verdict(study: _Study, rep_seed: int) -> str:
    """Simulate one study with ``rep_seed`` and return the proposition's verdict.

    A pure function of its arguments, so replications may run in any process, in any order.
    """
    simulated = simulate_study(
        teams=study.teams,
        members=study.members,
        waves=study.waves,
        seed=rep_seed,
        kinds=study.kinds,
        effect=study.effect,
        instrument=study.instrument,
        mechanisms=study.mechanisms,
    )
    (result,) = assess_propositions(
        simulated.bundle, study.criteria, numbers=[study.proposition], seed=rep_seed
    )
    return result.verdict


def proposition_power(
    proposition: int,
    *,
    teams: int,
    members: int,
    waves: int,
    mechanisms: Mechanisms | None = None,
    kinds: Sequence[str] | None = None,
    effect: float = 0.5,
    reps: int = 100,
    seed: int = 0,
    instrument: Instrument | None = None,
    criteria: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    jobs: int | None = 1,
    scheduler: str | None = None,
) -> PropositionPower:
    """Share of simulated studies in which a proposition's test says ``supported``.

    Simulates ``reps`` studies of the design with :func:`analysis.simulate.simulate_study`
    (with the given mechanisms, :mod:`analysis.simulate_mechanisms`) and tests the proposition
    on each with :func:`analysis.propositions.assess_propositions`. With the proposition's
    mechanism on, the share is the power of its test at that design and strength; with it
    off, the rate at which the test supports a claim that is false in the simulated world.

    Parameters
    ----------
    proposition : int
        1-7.
    teams, members, waves : int
        The planned design (``members`` is the typical team size).
    mechanisms : Mechanisms, optional
        Mechanism strengths (default all off).
    kinds : sequence of str, optional
        Team kinds, assigned in turn (default all four of :data:`analysis.simulate.KINDS`).
    effect : float
        The simulator's intervention level change (proposition 3's ``limited_control``
        decides whether it takes).
    reps : int
        Simulated studies.
    seed : int
        Seed; replication ``r`` simulates from the ``r``-th child of
        ``numpy.random.SeedSequence(seed)`` (as :func:`analysis.power.power_analysis`), so the
        result is the same whatever the number of workers.
    instrument : Instrument, optional
        Default ``cop-health`` version 2 (propositions 5 and 7 need it).
    criteria : mapping, optional
        Overrides of the criteria file (``propositions`` section).
    progress : callable, optional
        Called as ``progress(done, reps)`` after each study.
    jobs, scheduler :
        Workers, as in :func:`analysis.power.power_analysis` (joblib; a Dask scheduler).

    Returns
    -------
    PropositionPower

    Notes
    -----
    With :math:`s` supported verdicts in :math:`R` studies the share is :math:`s / R` with a
    Clopper-Pearson interval (:func:`analysis.power.binomial_interval`); its Monte Carlo
    standard error is :math:`\\sqrt{p (1 - p) / R}`.

    References
    ----------
    Arnold, B. F., Hogan, D. R., Colford, J. M. & Hubbard, A. E. (2011). Simulation methods to
    estimate design power: an overview for applied research. *BMC Medical Research
    Methodology*, 11, 94.

    Examples
    --------
    >>> result = proposition_power(3, teams=6, members=5, waves=4, reps=2,
    ...                            mechanisms=Mechanisms(limited_control=1.0))
    >>> result.reps, sum(result.verdicts.values())
    (2, 2)
    """
    if proposition not in range(1, 8):
        raise ValueError(f"propositions are numbered 1-7, got {proposition!r}")
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    mech = mechanisms or Mechanisms()
    study = _Study(
        proposition=proposition,
        teams=teams,
        members=members,
        waves=waves,
        kinds=tuple(kinds) if kinds is not None else KINDS,
        effect=float(effect),
        mechanisms=mech,
        instrument=instrument if instrument is not None else load("cop-health", 2),
        criteria=criteria,
    )
    started = time.perf_counter()
    with _workers(jobs, scheduler) as parallel:
        seeds = _replication_seeds(seed, reps)
        [(verdicts, _finished)] = run_replications(
            parallel, proposition_verdict, [study], seeds, progress
        )
    counts = Counter(verdicts)
    supported = counts["supported"]
    low, high = binomial_interval(supported, reps)
    return PropositionPower(
        proposition=proposition,
        teams=teams,
        members=members,
        waves=waves,
        mechanisms=asdict(mech),
        effect=float(effect),
        reps=reps,
        supported=supported,
        share=supported / reps,
        ci_low=low,
        ci_high=high,
        verdicts={v: counts[v] for v in PROPOSITION_VERDICTS},
        seconds=time.perf_counter() - started,
    )


def proposition_power_table(results: Sequence[PropositionPower]) -> pd.DataFrame:
    """One row per result, mechanism strengths and verdict counts as columns."""
    rows = []
    for result in results:
        row = {k: v for k, v in asdict(result).items() if k not in ("mechanisms", "verdicts")}
        rows.append({**row, **result.mechanisms, **result.verdicts})
    return pd.DataFrame(rows)
