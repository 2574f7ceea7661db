"""``copkit simulate``: a simulated study bundle with known truth."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.simulate import simulate_study, write_simulated_study


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
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Bundle folder (or a path ending in .zip) to write.",
)
def simulate(teams: int, members: int, waves: int, seed: int, effect: float, out_dir: Path) -> None:
    """Simulate a CLAHRC-like study with known truth and write it as a study bundle.

    Teams are formed, forming, uniprofessional enclaves or not formed, some with staggered
    interventions; truth.csv beside the bundle files says which. Analyse it with
    `copkit analyse OUT --out RESULTS` and compare the verdicts with truth.csv.
    """
    study = simulate_study(teams=teams, members=members, waves=waves, seed=seed, effect=effect)
    path = write_simulated_study(study, out_dir)
    rows = len(study.bundle.responses)
    click.echo(f"simulated {teams} teams x {waves} waves ({rows} answers) into {path}")
