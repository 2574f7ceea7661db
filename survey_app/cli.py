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
from survey_app.commands.users import create_user


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
    import_roster,
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
