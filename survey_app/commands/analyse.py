"""``copkit analyse``: every analysis of a study bundle, written as tables and results.json."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.bundle import BundleError
from analysis.network_inference import DRAWS
from analysis.pipeline import run_analysis
from analysis.reproduce_r import write_r_script
from reports.labels import counts_text, verdict_counts
from survey_app.commands.analysis_options import adjust_option, ddf_option, jobs_option
from survey_app.commands.progress import step_printer


@click.command("analyse")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the result tables (created if missing).",
)
@click.option(
    "--criteria",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file overriding formation thresholds (see analysis/formation.yaml).",
)
@click.option(
    "--permutations",
    type=click.IntRange(min=1),
    default=DRAWS,
    show_default=True,
    help="Draws of the permutation null of each team's knowledge network (seeded).",
)
@ddf_option()
@adjust_option
@click.option(
    "--r-script",
    is_flag=True,
    help="Also write reproduce.R: an R script that recomputes the key numbers from the bundle "
    "(psych, multilevel, lmerTest, lavaan) into reproduce.json.",
)
@jobs_option(
    "Processes doing the analysis: with more than one the model fits run beside the other "
    "tables (the results are the same whatever the number; each worker holds its own memory)."
)
@click.option(
    "--include-open-waves",
    is_flag=True,
    help="Also analyse waves the bundle's waves.csv says were still open.",
)
def analyse(
    bundle: Path,
    out_dir: Path,
    criteria: Path | None,
    permutations: int,
    ddf: str,
    adjust: str,
    r_script: bool,
    jobs: int,
    include_open_waves: bool,
) -> None:
    """Analyse a study bundle (folder or .zip): scores, reliability, agreement, growth and
    intervention models, knowledge networks and CoP formation verdicts.

    Writes scores.csv, reliability.csv, item_total.csv, invariance.csv, agreement.csv,
    growth.csv, team_trajectories.csv, interventions.csv, intervention_trajectories.csv,
    network.csv, network_permutation.csv, tie_persistence.csv, formation.csv, sensitivity.csv,
    team_waves.csv, identity.csv, identity_trajectories.csv and results.json into --out; with
    --r-script also reproduce.R, which recomputes the key numbers in R. Waves
    still open when the bundle was exported are left out unless --include-open-waves is given.
    """
    try:
        results = run_analysis(
            bundle,
            out_dir,
            criteria=criteria,
            progress=step_printer("analyse"),
            permutations=permutations,
            ddf=ddf,
            include_open_waves=include_open_waves,
            adjust=adjust,
            jobs=jobs,
        )
    except BundleError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.ClickException(f"{criteria}: {exc}" if criteria else str(exc)) from exc
    if r_script:
        click.echo(f"R script written to {write_r_script(results, out_dir)}")
    summary = counts_text(verdict_counts(results.verdicts))
    click.echo(
        f"analysed {len(results.formation)} teams over {len(results.bundle.waves)} waves: {summary}"
    )
    if results.left_out_waves:
        listed = ", ".join(str(w) for w in results.left_out_waves)
        click.echo(f"wave {listed} is still open and was left out (--include-open-waves)")
    click.echo(f"results written to {out_dir}")
