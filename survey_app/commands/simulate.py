"""``copkit simulate``: a simulated study bundle with known truth."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from analysis.simulate import simulate_study, write_simulated_study
from analysis.simulate_mechanisms import Mechanisms
from instruments import available, load

_COP_HEALTH = "cop-health"
_VERSIONS = [str(version) for name, version in available() if name == _COP_HEALTH]

_Command = TypeVar("_Command", bound=Callable[..., Any])

_MECHANISMS: tuple[tuple[str, str, click.ParamType, str], ...] = (
    (
        "--interconnection",
        "interconnection_effect",
        click.FLOAT,
        "Proposition 5: practice growth per wave per SD of team interconnection (0: off).",
    ),
    (
        "--identification-damping",
        "identification_damping",
        click.FLOAT,
        "Proposition 4: slower growth of collaborative identification per point of "
        "professional identification (0: off).",
    ),
    (
        "--span",
        "span_effect",
        click.FLOAT,
        "Proposition 6: slower practice growth per organisation spanned beyond the mean (0: off).",
    ),
    (
        "--brokers",
        "broker_effect",
        click.FloatRange(0.0, 1.0),
        "Proposition 7: probability that the KTA names each colleague of another profession "
        "(0: off).",
    ),
    (
        "--enclaves",
        "enclave_spread",
        click.FloatRange(0.0, None),
        "Proposition 1: SD (scale points) of profession effects within teams on practice and "
        "collaborative identification; cross-profession ties thinned to exp(-2 x this) (0: off).",
    ),
    (
        "--stickiness",
        "knowledge_stickiness",
        click.FloatRange(0.0, None),
        "Proposition 2: log odds ratio by which knowledge ties crossing a professional or "
        "organisational boundary are thinned (0: off).",
    ),
    (
        "--limited-control",
        "limited_control",
        click.FloatRange(0.0, 1.0),
        "Proposition 3: probability that a team's intervention does not take (0: off, every "
        "intervention has --effect; 1: none changes anything).",
    ),
)
"""Each proposition's mechanism option: its flag, the field of Mechanisms it sets, its type
and its help."""


def _mechanism_options(command: _Command) -> _Command:
    """The options of :data:`_MECHANISMS`, in that order, each 0 (off) unless given."""
    for flag, field, kind, text in reversed(_MECHANISMS):
        command = click.option(flag, field, default=0.0, show_default=True, type=kind, help=text)(
            command
        )
    return command


@click.command("simulate")
@click.option(
    "--teams",
    default=8,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Number of teams (half Heart Failure, half Chronic Kidney Disease).",
)
@click.option(
    "--members",
    default=10,
    show_default=True,
    type=click.IntRange(3, 200),
    help="Typical team size at the first wave.",
)
@click.option(
    "--waves",
    default=6,
    show_default=True,
    type=click.IntRange(2, 20),
    help="Number of survey waves.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option(
    "--effect",
    default=0.5,
    show_default=True,
    type=float,
    help="Level change of practice scores after an intervention (scale points).",
)
@click.option(
    "--instrument-version",
    default="1",
    show_default=True,
    type=click.Choice(_VERSIONS),
    help="cop-health version the simulated members answer (2 adds interconnection, "
    "value creation and roster roles).",
)
@_mechanism_options
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Bundle folder (or a path ending in .zip) to write.",
)
def simulate(
    teams: int,
    members: int,
    waves: int,
    seed: int,
    effect: float,
    instrument_version: str,
    out_dir: Path,
    **strengths: float,
) -> None:
    """Simulate a CLAHRC-like study with known truth and write it as a study bundle.

    Teams are formed, forming, uniprofessional enclaves or not formed, some with staggered
    interventions; truth.csv beside the bundle files says which. Analyse it with
    `copkit analyse OUT --out RESULTS` and compare the verdicts with truth.csv. The mechanism
    options switch on the propositions' mechanisms (analysis/simulate_mechanisms.py); their
    strengths and each team's values go to truth.csv.
    """
    try:
        mechanisms = Mechanisms(**strengths)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    study = simulate_study(
        teams=teams,
        members=members,
        waves=waves,
        seed=seed,
        effect=effect,
        instrument=load(_COP_HEALTH, int(instrument_version)),
        mechanisms=mechanisms,
    )
    path = write_simulated_study(study, out_dir)
    rows = len(study.bundle.responses)
    click.echo(f"simulated {teams} teams x {waves} waves ({rows} answers) into {path}")
