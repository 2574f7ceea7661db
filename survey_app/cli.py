"""The ``copkit`` command line: a click group gathering the commands of survey_app.commands."""

from __future__ import annotations

import click

from survey_app.commands.analyse import analyse
from survey_app.commands.database import init_db
from survey_app.commands.demo import demo
from survey_app.commands.export import export
from survey_app.commands.mailing import send_invitations, send_reminders
from survey_app.commands.power import power
from survey_app.commands.report import report
from survey_app.commands.roster import import_roster
from survey_app.commands.server import serve
from survey_app.commands.simulate import simulate
from survey_app.commands.study_setup import (
    add_intervention,
    add_team,
    add_theme,
    create_study,
    show_study,
)
from survey_app.commands.users import create_user
from survey_app.commands.waves import add_wave, close_wave


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="copkit", prog_name="copkit")
def main() -> None:
    """copkit: repeated team surveys and evaluation for engineered communities of practice.

    Settings come from COPKIT_* environment variables, e.g. COPKIT_DATABASE_URL
    (default: SQLite in the instance folder; PostgreSQL as postgresql+psycopg://...).
    """


for _command in (
    init_db,
    create_user,
    create_study,
    add_theme,
    add_team,
    import_roster,
    add_wave,
    close_wave,
    add_intervention,
    show_study,
    demo,
    serve,
    send_invitations,
    send_reminders,
    export,
    analyse,
    report,
    simulate,
    power,
):
    main.add_command(_command)
