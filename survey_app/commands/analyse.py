"""``copkit analyse``: every analysis of a study bundle, written as tables and results.json."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.bundle import BundleError
from analysis.pipeline import run_analysis
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
def analyse(bundle: Path, out_dir: Path, criteria: Path | None) -> None:
    """Analyse a study bundle (folder or .zip): scores, reliability, agreement, growth and
    intervention models, knowledge networks and CoP formation verdicts.

    Writes scores.csv, reliability.csv, item_total.csv, agreement.csv, growth.csv,
    team_trajectories.csv, interventions.csv, network.csv, formation.csv, sensitivity.csv and
    results.json into --out.
    """
    try:
        results = run_analysis(bundle, out_dir, criteria=criteria, progress=step_printer("analyse"))
    except BundleError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.ClickException(f"{criteria}: {exc}" if criteria else str(exc)) from exc
    verdicts = results.formation["verdict"].value_counts()
    summary = ", ".join(f"{count} {verdict}" for verdict, count in verdicts.items())
    click.echo(
        f"analysed {len(results.formation)} teams over {len(results.bundle.waves)} waves: {summary}"
    )
    click.echo(f"results written to {out_dir}")
