"""``copkit export-links``: a wave's personal survey links as CSV, for a mail merge."""

from __future__ import annotations

from pathlib import Path

import click

from survey_app.commands.runtime import app_for, refusal, require_study, require_wave
from survey_app.extensions import db
from survey_app.services import distribution
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.invitations import MailingSettings


@click.command("export-links")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option(
    "--wave", "number", required=True, type=click.IntRange(min=1), help="The wave number."
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The CSV file to write (name,email,team,wave,link).",
)
@click.option(
    "--not-submitted",
    is_flag=True,
    help="Only those who have not answered yet (for a reminder by mail merge).",
)
@click.pass_context
def export_links(
    ctx: click.Context, study_name: str, number: int, out: Path, not_submitted: bool
) -> None:
    """Write every personal survey link of a wave to a CSV file, for a mail merge (NHSmail,
    Outlook) or messages, when copkit does not send the e-mail itself.

    Invitations are created first for every current member of every team, as sending does.
    The people in the file count as invited from now on, and the export is written to the
    audit log (never the links). Each link is one person's credential: keep the file safe and
    delete it once the messages are sent. Cells a spreadsheet would run as a formula are
    neutralised. Links use COPKIT_BASE_URL. Refused (exit status 1) once the wave has closed.
    """
    if not out.parent.is_dir():
        raise click.ClickException(f"the folder {out.parent} does not exist")
    app = app_for(ctx)
    try:
        with app.app_context():
            study = require_study(db.session, study_name)
            wave = require_wave(db.session, study, number)
            try:
                settings = MailingSettings.from_config(app.config)
                links = distribution.export_links(
                    db.session,
                    wave,
                    settings,
                    Actor.cli(),
                    who="not_submitted" if not_submitted else "everyone",
                    via="cli",
                )
            except ServiceError as error:
                raise click.ClickException(refusal(error, f'study "{study.name}"')) from None
            except ValueError as error:
                raise click.ClickException(f'study "{study.name}": {error}') from None
            out.write_bytes(distribution.links_csv(links))
            click.echo(f'Wrote {len(links)} links of wave {number} of "{study.name}" to {out}.')
    finally:
        db.dispose(app)
