"""``copkit export``: a study's pseudonymous data as a bundle, CSV, Excel, SPSS, Stata or codebook."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.exports import EXPORT_FORMATS
from survey_app.commands.runtime import app_for, refusal
from survey_app.extensions import db
from survey_app.services import export as export_service
from survey_app.services.audit import CLI_ACTOR
from survey_app.services.errors import ServiceError


@click.command("export")
@click.option(
    "--study",
    "study_name",
    help="The study to export (may be left out when the database holds one study).",
)
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(EXPORT_FORMATS),
    help="bundle (folder or .zip), long-csv, wide-csv, xlsx, sav (SPSS), dta (Stata) or "
    "codebook (.md or .csv).",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write: a new folder or a .zip for a bundle, else a file with the format's "
    "ending (.csv, .xlsx, .sav, .dta, .md).",
)
@click.pass_context
def export(ctx: click.Context, study_name: str | None, fmt: str, out: Path) -> None:
    """Export a study's pseudonymous data (bundle, CSV, Excel, SPSS, Stata, codebook).

    No names or emails leave the database, only stable respondent pseudonyms (an HMAC of the
    member id keyed with the study's secret). Only submitted responses are exported. The
    wide formats (wide-csv, xlsx, sav, dta) have one row per respondent x team x wave with the
    raw item values and the scale scores; long-csv has one row per item with raw and
    reverse-keyed values; the codebook documents every variable. Every export is recorded in
    the audit log.
    """
    app = app_for(ctx)
    try:
        with app.app_context():
            session = db.session
            try:
                study = export_service.find_study(session, study_name)
                done = export_service.write_study_export(session, study, fmt, out, actor=CLI_ACTOR)
            except ServiceError as error:
                raise click.ClickException(refusal(error)) from None
            click.echo(
                f'exported study "{done.study_name}" as {fmt}: {done.responses} responses '
                f"from {done.respondents} respondents in {len(done.bundle.teams)} teams over "
                f"{len(done.bundle.waves)} waves"
            )
            for note in done.notes:
                if note.startswith(("Left out", "Set to missing")):
                    click.echo(f"note: {note}", err=True)
            click.echo(f"written to {out}")
    finally:
        db.dispose(app)
