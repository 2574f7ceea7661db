"""The ``copkit`` command line: a click group gathering the commands of survey_app.commands."""

from __future__ import annotations

import importlib

import click

COMMANDS = {
    "init-db": "survey_app.commands.database:init_db",
    "create-user": "survey_app.commands.users:create_user",
    "create-study": "survey_app.commands.study_setup:create_study",
    "add-theme": "survey_app.commands.study_setup:add_theme",
    "add-team": "survey_app.commands.study_setup:add_team",
    "import-roster": "survey_app.commands.roster:import_roster",
    "add-wave": "survey_app.commands.waves:add_wave",
    "close-wave": "survey_app.commands.waves:close_wave",
    "edit-wave": "survey_app.commands.waves:edit_wave",
    "add-intervention": "survey_app.commands.study_setup:add_intervention",
    "show-study": "survey_app.commands.study_setup:show_study",
    "erase-member": "survey_app.commands.erasure:erase_member",
    "purge-expired": "survey_app.commands.erasure:purge_expired",
    "demo": "survey_app.commands.demo:demo",
    "serve": "survey_app.commands.server:serve",
    "send-invitations": "survey_app.commands.mailing:send_invitations",
    "send-reminders": "survey_app.commands.mailing:send_reminders",
    "export-links": "survey_app.commands.links:export_links",
    "export": "survey_app.commands.export:export",
    "analyse": "survey_app.commands.analyse:analyse",
    "report": "survey_app.commands.report:report",
    "simulate": "survey_app.commands.simulate:simulate",
    "power": "survey_app.commands.power:power",
}
"""Every command, as ``module:attribute``: imported when it is run (or its help is shown), so
``copkit analyse`` or ``copkit power`` do not load the web app and the other commands."""


class _LazyCommands(dict[str, click.Command]):
    """The group's commands, each imported from :data:`COMMANDS` on first use."""

    def __missing__(self, name: str) -> click.Command:
        module, attribute = COMMANDS[name].split(":")  # KeyError for an unknown command
        command: click.Command = getattr(importlib.import_module(module), attribute)
        self[name] = command
        return command


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.commands[cmd_name] if cmd_name in COMMANDS else None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="copkit", prog_name="copkit")
def main() -> None:
    """copkit: repeated team surveys and evaluation for engineered communities of practice.

    Settings come from COPKIT_* environment variables, e.g. COPKIT_DATABASE_URL
    (default: SQLite in the instance folder; PostgreSQL as postgresql+psycopg://...).
    """


main.commands = _LazyCommands()
