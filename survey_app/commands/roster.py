"""``copkit import-roster``: import a roster CSV into a study, all or nothing."""

from __future__ import annotations

from pathlib import Path

import click

from survey_app.commands.runtime import app_for, refusal
from survey_app.extensions import db
from survey_app.services import roster_import
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.roster_import import RosterError
from survey_app.services.study_setup import find_study

REJECTED_EXIT = 1


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--study", "study_name", required=True, help="The study (created if it is new).")
@click.pass_context
def import_roster(ctx: click.Context, file: Path, study_name: str) -> None:
    """Import a roster CSV into a study (team, name, email, profession, organisation, organisation_type).

    An optional theme column puts teams in themes. The study, themes and teams are created
    when missing; a person in several teams (same email) becomes one member with several
    memberships. The whole file is checked first: any error imports nothing, every bad line is
    listed and the exit status is 1. Importing the same file again changes nothing.
    """
    data = file.read_bytes()
    app = app_for(ctx)
    try:
        with app.app_context():
            try:
                summary = roster_import.import_roster(db.session, study_name, data, Actor.cli())
            except RosterError as error:  # @transactional: nothing was imported
                roster_import.record_rejection(
                    db.session,
                    find_study(db.session, study_name),
                    study_name,
                    error,
                    Actor.cli(),
                )
                click.echo(f"{file}: {error}", err=True)
                raise SystemExit(REJECTED_EXIT) from None
            except ServiceError as error:
                raise click.ClickException(refusal(error)) from None
            click.echo(summary.describe())
    finally:
        db.dispose(app)
