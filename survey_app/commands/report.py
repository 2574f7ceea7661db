"""``copkit report``: the evaluator report or a manager brief, from a bundle or a study."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from analysis.bundle import Bundle, BundleError, read_bundle
from analysis.pipeline import analyse_bundle
from reports import write_report
from survey_app.commands.progress import step_printer
from survey_app.commands.runtime import app_for
from survey_app.extensions import db
from survey_app.services.audit import CLI_ACTOR, record
from survey_app.services.errors import ServiceError
from survey_app.services.export import export_bundle, find_study


def _bundle_from_study(app: Flask, name: str) -> Bundle:
    with app.app_context():
        session = db.session
        try:
            study = find_study(session, name or None)
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from exc
        bundle = export_bundle(session, study)
        record(
            session,
            "study.report",
            actor=CLI_ACTOR,
            study_id=study.id,
            object_type="study",
            object_id=study.id,
            detail={"waves": bundle.waves},
        )
        session.commit()
        return bundle


@click.command("report")
@click.argument("source", required=False, default="")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="report.html or report.pdf (the format follows the suffix).",
)
@click.option(
    "--audience",
    type=click.Choice(["evaluator", "manager"]),
    default="evaluator",
    show_default=True,
    help="The full report, or the one-page-per-team manager brief.",
)
@click.option(
    "--team",
    "teams",
    multiple=True,
    help="Team(s) to cover (repeatable); a manager brief needs at least one.",
)
@click.option(
    "--min-cell",
    type=click.IntRange(2, 100),
    default=None,
    help="Manager brief: suppress figures resting on fewer respondents "
    "(default COPKIT_MIN_CELL, 5).",
)
@click.option("--title", default=None, help="Title of the evaluator report.")
@click.pass_context
def report(
    ctx: click.Context,
    source: str,
    out_path: Path,
    audience: str,
    teams: tuple[str, ...],
    min_cell: int | None,
    title: str | None,
) -> None:
    """Write the evaluator report or a manager brief as self-contained HTML or PDF.

    SOURCE is a study bundle (folder or .zip) or the name of a study in the database (it may
    be left out when the database holds one study). Manager briefs show aggregates only and
    suppress every figure resting on fewer than --min-cell respondents, including figures
    that could be recovered by subtracting two others.
    """
    if out_path.suffix.lower() not in {".html", ".htm", ".pdf"}:
        raise click.BadParameter("must end in .html or .pdf", param_hint="--out")
    if audience == "manager" and not teams:
        raise click.BadParameter(
            "a manager brief is for named teams: give --team", param_hint="--team"
        )
    app = app_for(ctx)
    try:
        if source and Path(source).exists():
            bundle = read_bundle(source)
        else:
            bundle = _bundle_from_study(app, source)
    except BundleError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose(app)
    unknown = [t for t in teams if t not in bundle.teams]
    if unknown:
        raise click.BadParameter(
            f"unknown team(s) {', '.join(unknown)} (teams: {', '.join(bundle.teams)})",
            param_hint="--team",
        )
    results = analyse_bundle(bundle, progress=step_printer("analyse"))
    write_report(
        results,
        out_path,
        audience=audience,
        team=list(teams) or None,
        min_cell=min_cell or int(app.config["MIN_CELL"]),
        title=title,
        progress=step_printer("report") if audience == "evaluator" else None,
    )
    click.echo(f"{audience} report written to {out_path}")
