"""``copkit erase-member`` and ``copkit purge-expired``: deleting personal data for good."""

from __future__ import annotations

import click

from survey_app.commands.runtime import database_session, require_study
from survey_app.services import erasure
from survey_app.services.audit import Actor


@click.command("erase-member")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option("--email", required=True, help="The member's e-mail address on the roster.")
@click.option("--yes", is_flag=True, help="Erase without asking for confirmation.")
@click.pass_context
def erase_member(ctx: click.Context, study_name: str, email: str, yes: bool) -> None:
    """Erase a member of a study: their answers, comments, knowledge ties (theirs and those
    naming them), invitations, team memberships and roster record.

    For a request to have one's data deleted. It cannot be undone. Released figures that
    included the member are withheld in the next release wherever the difference would reveal
    them. The erasure is written to the audit log with counts only, never the name or e-mail.
    An address that is not on the study's roster (or was erased already) is refused (exit
    status 1).
    """
    with database_session(ctx, write=False) as (_, session):
        study = require_study(session, study_name)
        member = erasure.find_member_to_erase(session, study, email)
        counts = erasure.erasure_counts(session, member)
        name = study.name
    click.echo(f'Erasing this member of study "{name}" deletes {counts.describe()}.')
    if not yes and not click.confirm("This cannot be undone. Erase?", default=False):
        raise click.ClickException("nothing was erased")
    with database_session(ctx, write=True) as (_, session):
        study = require_study(session, study_name)
        member = erasure.find_member_to_erase(session, study, email)
        done = erasure.erase_member(session, study, member, Actor.cli(), via="cli")
    click.echo(f'Erased from study "{name}": {done.describe()}.')


@click.command("purge-expired")
@click.option(
    "--dry-run", is_flag=True, help="List the studies past their retention period; delete nothing."
)
@click.pass_context
def purge_expired(ctx: click.Context, dry_run: bool) -> None:
    """Delete the personal data of every study past its retention period.

    A study's retention period (set per study, default COPKIT_RETENTION_DAYS) runs from the
    moment its last wave closed; a study with a wave open or still to come is kept. Deleted:
    every member with their answers, comments, ties, invitations and memberships, as
    `copkit erase-member` does. Kept: the study's structure (themes, teams, waves,
    interventions), the released aggregate figures, staff accounts and the audit trail. Meant
    to run daily (cron); each purge is written to the audit log.
    """
    with database_session(ctx, write=not dry_run) as (app, session):
        days = int(app.config["RETENTION_DAYS"])
        if dry_run:
            found = erasure.expired_studies(session, default_days=days)
            lines = [
                f'study "{s.name}": {s.members} members, last wave closed '
                f"{s.last_closed:%Y-%m-%d}, kept {s.retention_days} days (until "
                f"{s.expired_on:%Y-%m-%d})"
                for s in found
            ]
        else:
            purged = erasure.purge_expired(session, Actor.cli(), default_days=days)
            lines = [f'study "{s.name}": deleted {e.describe()}' for s, e in purged]
    verb = "Past their retention period" if dry_run else "Purged"
    click.echo(f"{verb}: " + ("; ".join(lines) if lines else "no study") + ".")
