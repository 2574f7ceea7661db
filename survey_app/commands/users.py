"""``copkit create-user``: staff accounts from the command line."""

from __future__ import annotations

import sys

import click

from survey_app.commands.runtime import app_for, refusal
from survey_app.extensions import db
from survey_app.models import ROLES
from survey_app.services import accounts
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError


def _read_password(from_stdin: bool) -> str:
    """The password from the first line of stdin, or asked for twice on the terminal."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The account's role.")
@click.option(
    "--study",
    "study_names",
    multiple=True,
    help="A study the evaluator or manager works on (repeat for several).",
)
@click.option(
    "--teams",
    "teams",
    default="",
    help="Comma-separated teams a manager sees (Theme/Team where a name is used twice).",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
@click.pass_context
def create_user(
    ctx: click.Context,
    email: str,
    role: str,
    study_names: tuple[str, ...],
    teams: str,
    password_stdin: bool,
) -> None:
    """Create a staff account (admin, evaluator or manager).

    Managers need --study and --teams; an evaluator may be given studies with --study (repeat
    it for several) or none (they create their own). The password is asked for twice (or read
    with --password-stdin) and only its hash is stored. The creation is written to the audit
    log.
    """
    password = _read_password(password_stdin)
    team_names = [name.strip() for name in teams.split(",") if name.strip()]
    app = app_for(ctx)
    try:
        with app.app_context():
            try:
                user = accounts.create_user(
                    db.session,
                    email,
                    role,
                    password,
                    study_names=list(study_names),
                    team_names=team_names,
                    actor=Actor.cli(),
                )  # @transactional: committed, or rolled back when refused
            except ServiceError as error:
                raise click.ClickException(refusal(error)) from None
            named = ", ".join(repr(name) for name in study_names)
            scope = (
                f" for {'studies' if len(study_names) > 1 else 'study'} {named}" if named else ""
            )
            click.echo(f"Created {user.role} {user.email}{scope}.")
    finally:
        db.dispose(app)
