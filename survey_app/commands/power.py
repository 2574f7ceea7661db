"""``copkit power``: simulation-based power planning for a study design."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from itertools import product
from pathlib import Path

import click
import pandas as pd

from analysis.csv_cells import write_csv
from analysis.power import power_table
from analysis.power_of_propositions import proposition_power, proposition_power_table
from analysis.simulate import KINDS
from analysis.simulate_mechanisms import Mechanisms
from reports.power import power_method, power_page
from survey_app.commands.analysis_options import ddf_option, jobs_option

_PROPOSITION_COLUMNS = [
    "teams",
    "members",
    "waves",
    "effect",
    "share",
    "ci_low",
    "ci_high",
    "supported",
    "contradicted",
    "inconclusive",
    "not_measured",
]


def _numbers(text: str, option: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise click.BadParameter(
            f"{text!r} is not a comma-separated list of numbers", param_hint=option
        ) from exc
    if not values or any(v <= 0 for v in values if option != "--effect"):
        raise click.BadParameter(f"{text!r}: give one or more positive values", param_hint=option)
    return values


def _mechanisms(specs: tuple[str, ...]) -> Mechanisms:
    """``NAME=VALUE`` pairs as :class:`Mechanisms` (a click error naming what is wrong)."""
    known = [f.name for f in dataclasses.fields(Mechanisms)]
    values: dict[str, float] = {}
    for spec in specs:
        name, _, value = spec.partition("=")
        if name.strip() not in known:
            raise click.BadParameter(
                f"{spec!r}: the mechanisms are {', '.join(known)}", param_hint="--mechanism"
            )
        try:
            values[name.strip()] = float(value)
        except ValueError as exc:
            raise click.BadParameter(
                f"{spec!r}: give NAME=NUMBER", param_hint="--mechanism"
            ) from exc
    try:
        return Mechanisms(**values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mechanism") from exc


def _proposition_grid(
    proposition: int,
    grid: list[tuple[int, int, int, float]],
    *,
    mechanisms: Mechanisms,
    kinds: tuple[str, ...],
    reps: int,
    seed: int,
    jobs: int | None,
    scheduler: str | None,
    progress: Callable[[int, int], None],
) -> pd.DataFrame:
    """One :func:`analysis.power_of_propositions.proposition_power` row per design of the grid."""
    results = []
    for k, (teams, members, waves, effect) in enumerate(grid):

        def step(done: int, _reps: int, offset: int = k * reps) -> None:
            progress(offset + done, len(grid) * reps)

        results.append(
            proposition_power(
                proposition,
                teams=teams,
                members=members,
                waves=waves,
                effect=effect,
                mechanisms=mechanisms,
                kinds=kinds,
                reps=reps,
                seed=seed,
                jobs=jobs,
                scheduler=scheduler,
                progress=step,
            )
        )
    return proposition_power_table(results)


@click.command("power")
@click.option("--teams", default="4,8,16", show_default=True, help="Team counts, comma-separated.")
@click.option(
    "--members", default="10", show_default=True, help="Members per team, comma-separated."
)
@click.option("--waves", default="6", show_default=True, help="Waves, comma-separated.")
@click.option(
    "--effect",
    default="0.5",
    show_default=True,
    help="Intervention level change(s) in scale points, comma-separated.",
)
@click.option(
    "--reps",
    default=100,
    show_default=True,
    type=click.IntRange(5, 100_000),
    help="Simulated studies per design.",
)
@click.option(
    "--alpha",
    default=0.05,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
)
@click.option(
    "--scale",
    default="mutual_engagement",
    show_default=True,
    help="Scale whose level change is tested.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@ddf_option("power tests the level change with them, as copkit analyse")
@click.option("--no-verdicts", is_flag=True, help="Skip formation verdicts (much faster).")
@jobs_option("Worker processes on this machine [default: every core].", default=None)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Run the replications on the Dask cluster whose scheduler is at ADDRESS "
    "(e.g. tcp://10.0.0.5:8786) instead of on this machine.",
)
@click.option(
    "--proposition",
    type=click.IntRange(1, 7),
    default=None,
    help="Instead of the intervention test: the share of simulated studies (cop-health "
    "version 2) in which this CLAHRC proposition comes out supported (its power with its "
    "mechanism on; with it off, how often a false claim is supported).",
)
@click.option(
    "--mechanism",
    "mechanism_specs",
    multiple=True,
    metavar="NAME=VALUE",
    help="With --proposition: a mechanism strength (e.g. enclave_spread=1.0; the fields of "
    "analysis.simulate_mechanisms.Mechanisms), repeatable.",
)
@click.option(
    "--kinds",
    default=",".join(KINDS),
    show_default=True,
    help="With --proposition: the simulated team kinds, comma-separated, assigned in turn.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the table as .csv or a page with a figure as .html (.csv only with "
    "--proposition).",
)
def power(
    teams: str,
    members: str,
    waves: str,
    effect: str,
    reps: int,
    alpha: float,
    scale: str,
    seed: int,
    ddf: str,
    no_verdicts: bool,
    jobs: int | None,
    scheduler: str | None,
    proposition: int | None,
    mechanism_specs: tuple[str, ...],
    kinds: str,
    out: Path | None,
) -> None:
    """Estimate by simulation the power to detect an intervention effect, and how often the
    formation verdicts are right, for each combination of teams, members, waves and effect.

    Replications run in parallel on every core (--jobs), or on a Dask cluster (--scheduler);
    a given --seed gives the same table whatever the number of workers.

    Example: copkit power --teams 6,10,20 --waves 4,6 --effect 0.4 --reps 200 --out power.html

    With --proposition N, each design's row is instead the share of studies in which
    proposition N is supported, e.g. copkit power --proposition 1 --teams 20 --waves 5
    --mechanism enclave_spread=1.0 --reps 100.
    """
    if out is not None and out.suffix.lower() not in {".csv", ".html"}:
        raise click.BadParameter("must end in .csv or .html", param_hint="--out")
    if proposition is None and mechanism_specs:
        raise click.BadParameter("needs --proposition", param_hint="--mechanism")
    if proposition is not None and out is not None and out.suffix.lower() != ".csv":
        raise click.BadParameter("must end in .csv with --proposition", param_hint="--out")
    mechanisms = _mechanisms(mechanism_specs)
    kind_list = tuple(k.strip() for k in kinds.split(",") if k.strip())
    team_counts = [int(v) for v in _numbers(teams, "--teams")]
    member_counts = [int(v) for v in _numbers(members, "--members")]
    wave_counts = [int(v) for v in _numbers(waves, "--waves")]
    effects = _numbers(effect, "--effect")
    designs = len(team_counts) * len(member_counts) * len(wave_counts) * len(effects)
    with click.progressbar(
        length=designs * reps, label="simulating studies", file=sys.stderr
    ) as bar:
        last = [0]

        def progress(done: int, total: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        try:
            if proposition is not None:
                grid = [
                    (int(t), int(m), int(w), float(e))
                    for t, m, w, e in product(team_counts, member_counts, wave_counts, effects)
                ]
                table = _proposition_grid(
                    proposition,
                    grid,
                    mechanisms=mechanisms,
                    kinds=kind_list,
                    reps=reps,
                    seed=seed,
                    jobs=jobs,
                    scheduler=scheduler,
                    progress=progress,
                )
            else:
                table = power_table(
                    teams=team_counts,
                    members=member_counts,
                    waves=wave_counts,
                    effect=effects,
                    reps=reps,
                    alpha=alpha,
                    seed=seed,
                    scale=scale,
                    ddf=ddf,  # type: ignore[arg-type]
                    verdicts=not no_verdicts,
                    progress=progress,
                    jobs=jobs,
                    scheduler=scheduler,
                )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    if proposition is not None:
        _show_propositions(table, out)
        return
    shown = table[
        ["teams", "members", "waves", "effect", "power", "ci_low", "ci_high", "verdict_accuracy"]
    ]
    click.echo(shown.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    click.echo(power_method(table))
    if out is not None:
        if out.suffix.lower() == ".csv":
            write_csv(table, out)
        else:
            out.write_text(power_page(table, scale=scale, alpha=alpha), encoding="utf-8")
        click.echo(f"written to {out}")


def _show_propositions(table: pd.DataFrame, out: Path | None) -> None:
    """Print the proposition table (and write it as CSV)."""
    click.echo(
        table[_PROPOSITION_COLUMNS].to_string(index=False, float_format=lambda v: f"{v:.2f}")
    )
    if out is not None:
        write_csv(table, out)
        click.echo(f"written to {out}")
