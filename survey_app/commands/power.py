"""``copkit power``: simulation-based power planning for a study design."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from analysis.power import power_table
from reports.power import power_page


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
@click.option("--no-verdicts", is_flag=True, help="Skip formation verdicts (much faster).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the table as .csv or a page with a figure as .html.",
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
    no_verdicts: bool,
    out: Path | None,
) -> None:
    """Estimate by simulation the power to detect an intervention effect, and how often the
    formation verdicts are right, for each combination of teams, members, waves and effect.

    Example: copkit power --teams 6,10,20 --waves 4,6 --effect 0.4 --reps 200 --out power.html
    """
    if out is not None and out.suffix.lower() not in {".csv", ".html"}:
        raise click.BadParameter("must end in .csv or .html", param_hint="--out")
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
            table = power_table(
                teams=team_counts,
                members=member_counts,
                waves=wave_counts,
                effect=effects,
                reps=reps,
                alpha=alpha,
                seed=seed,
                scale=scale,
                verdicts=not no_verdicts,
                progress=progress,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    shown = table[
        ["teams", "members", "waves", "effect", "power", "ci_low", "ci_high", "verdict_accuracy"]
    ]
    click.echo(shown.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if out is not None:
        if out.suffix.lower() == ".csv":
            table.to_csv(out, index=False)
        else:
            out.write_text(power_page(table, scale=scale, alpha=alpha), encoding="utf-8")
        click.echo(f"written to {out}")
