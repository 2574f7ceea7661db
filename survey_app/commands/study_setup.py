"""``copkit create-study``, ``add-theme``, ``add-team``, ``add-intervention`` and ``show-study``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from survey_app.commands.runtime import (
    database_session,
    refused_in,
    require_study,
    study_zone,
)
from survey_app.localtime import format_day
from survey_app.models import Wave, utcnow
from survey_app.services import accounts, study_setup, tracking
from survey_app.services.audit import Actor
from survey_app.services.waves import list_waves

DESCRIPTION_SHOWN = 60
"""Characters of an intervention's description that ``show-study`` prints."""


@click.command("create-study")
@click.argument("name")
@click.pass_context
def create_study(ctx: click.Context, name: str) -> None:
    """Create a study (as the admin pages' "New study" does).

    The name must be new. Add themes with `copkit add-theme`, teams with `copkit add-team` (or
    import a roster), and waves with `copkit add-wave`. The creation is written to the audit log.
    """
    with database_session(ctx, write=True) as (_, session):
        study = study_setup.create_study(session, name, Actor.cli())
        done = f'Created study "{study.name}".'
    click.echo(done)


@click.command("add-theme")
@click.argument("name")
@click.option("--study", "study_name", required=True, help="The study the theme belongs to.")
@click.pass_context
def add_theme(ctx: click.Context, name: str, study_name: str) -> None:
    """Add a theme, such as Heart Failure, to a study; the name must be new in the study.

    The change is written to the audit log.
    """
    with database_session(ctx, write=True) as (_, session):
        study = require_study(session, study_name)
        with refused_in(study):
            theme = study_setup.create_theme(session, study, name, Actor.cli())
        done = f'Added theme "{theme.name}" to study "{study.name}".'
    click.echo(done)


@click.command("add-team")
@click.argument("name")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option("--theme", "theme_name", required=True, help="The study's theme the team is in.")
@click.pass_context
def add_team(ctx: click.Context, name: str, study_name: str, theme_name: str) -> None:
    """Add a team (an engineered community of practice) to one of a study's themes.

    The name must be new in the theme. Members join teams through `copkit import-roster`. The
    change is written to the audit log.
    """
    with database_session(ctx, write=True) as (_, session):
        study = require_study(session, study_name)
        theme = study_setup.find_theme(session, study, theme_name)
        if theme is None:
            raise click.ClickException(f'study "{study.name}" has no theme "{theme_name}"')
        with refused_in(study):
            team = study_setup.create_team(session, study, theme.id, name, Actor.cli())
        done = f'Added team "{team.name}" to theme "{theme.name}" of study "{study.name}".'
    click.echo(done)


@click.command("add-intervention")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option(
    "--team",
    "team_name",
    required=True,
    help="The team (Theme/Team where the name is used in several themes).",
)
@click.option(
    "--started",
    "started_on",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the intervention began (YYYY-MM-DD).",
)
@click.option(
    "--kind",
    required=True,
    help="What sort of intervention, e.g. facilitated workshop, knowledge transfer associate.",
)
@click.option("--description", default="", help="What was done (optional).")
@click.pass_context
def add_intervention(
    ctx: click.Context,
    study_name: str,
    team_name: str,
    started_on: datetime,
    kind: str,
    description: str,
) -> None:
    """Record an intervention in a team (as the admin Interventions page does).

    The analysis codes it from the first wave after the day it began. The change is written to
    the audit log.
    """
    with database_session(ctx, write=True) as (app, session):
        zone = study_zone(app)
        study = require_study(session, study_name)
        (team,) = accounts.find_teams(session, study, [team_name])
        day = started_on.date()
        with refused_in(study):
            intervention = study_setup.add_intervention(
                session, study, team, day, kind, description, Actor.cli()
            )
        done = (
            f'Recorded intervention "{intervention.kind}" in {study_setup.team_label(team)} of study '
            f'"{study.name}", started {format_day(day, zone)}.'
        )
    click.echo(done)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines of left-aligned columns under their headers (or ``(none)``)."""
    if not rows:
        return ["  (none)"]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    return [
        "  "
        + "  ".join(
            str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in (headers, *rows)
    ]


def _moment(moment: datetime, zone: ZoneInfo) -> str:
    """A stored (UTC) time as ``YYYY-MM-DD HH:MM`` in the study's time zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _status(wave: Wave, now: datetime) -> str:
    """The wave's status, saying when it was closed early."""
    status = wave.status(now)
    early = wave.closed_early_at is not None and wave.closed_early_at < wave.closes
    return "closed early" if status == "closed" and early else status


def _shortened(text: str, limit: int = DESCRIPTION_SHOWN) -> str:
    """``text`` on one line, cut to ``limit`` characters (ending in ``...`` when cut)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


@click.command("show-study")
@click.argument("name")
@click.pass_context
def show_study(ctx: click.Context, name: str) -> None:
    """Show a study's set-up: themes, teams with their current members, waves with their
    status, and interventions (read-only).

    Times are in the study's time zone (COPKIT_TIMEZONE, default Europe/London).
    """
    with database_session(ctx, write=False) as (app, session):
        zone = study_zone(app)
        study = require_study(session, name)
        now = utcnow()
        themes = study_setup.list_themes(session, study)
        teams = study_setup.list_teams(session, study)
        members = tracking.member_counts(session, [t.id for t in teams], now.date())
        waves = list_waves(session, study)
        interventions = study_setup.list_interventions(session, study)
        lines = [f'Study "{study.name}" (times in {zone.key})', "", "Themes"]
        lines += _table(["theme", "teams"], [(t.name, str(len(t.teams))) for t in themes])
        lines += ["", "Teams"]
        lines += _table(
            ["theme", "team", "members"],
            [(t.theme.name, t.name, str(members.get(t.id, 0))) for t in teams],
        )
        lines += ["", "Waves"]
        lines += _table(
            ["wave", "status", "opens", "closes", "instrument"],
            [
                (
                    str(w.number),
                    _status(w, now),
                    _moment(w.opens, zone),
                    _moment(w.closes, zone),
                    f"{w.instrument_id}@{w.instrument_version}",
                )
                for w in waves
            ],
        )
        lines += ["", "Interventions"]
        lines += _table(
            ["team", "started", "kind", "description"],
            [
                (
                    study_setup.team_label(i.team),
                    i.started_on.isoformat(),
                    i.kind,
                    _shortened(i.description),
                )
                for i in sorted(interventions, key=lambda i: (i.started_on, i.id))
            ],
        )
    click.echo("\n".join(lines))
