"""``copkit add-wave`` and ``close-wave``: a study's survey waves from the command line."""

from __future__ import annotations

import math
from datetime import datetime, time

import click

from survey_app.commands.runtime import (
    database_session,
    refused_in,
    require_study,
    require_wave,
    study_zone,
)
from survey_app.localtime import format_moment, to_utc
from survey_app.services import dashboard, waves
from survey_app.services.audit import Actor

DAY_FORMAT = "%Y-%m-%d"
MOMENT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


class LocalMoment(click.ParamType):
    """A wall-clock time ``YYYY-MM-DD[THH:MM]`` in the study's time zone (naive until the
    command knows the zone); a day alone means ``at_day`` on that day.

    Examples
    --------
    >>> LocalMoment(time(23, 59)).convert("2025-03-14", None, None)
    datetime.datetime(2025, 3, 14, 23, 59)
    >>> LocalMoment(time(0, 0)).convert("2025-03-14T09:30", None, None)
    datetime.datetime(2025, 3, 14, 9, 30)
    """

    name = "YYYY-MM-DD[THH:MM]"

    def __init__(self, at_day: time) -> None:
        self.at_day = at_day

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        """Parse ``value``, or fail as a usage error (exit status 2) showing the format."""
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        for fmt in MOMENT_FORMATS:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                pass
        try:
            return datetime.combine(datetime.strptime(text, DAY_FORMAT).date(), self.at_day)
        except ValueError:
            self.fail(f"{text!r} is not a time like 2025-03-14 or 2025-03-14T17:00", param, ctx)


def _instrument(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, int]:
    """``ID@VERSION`` as ``(id, version)``; the newest shipped instrument when left out."""
    if value is None:
        choices = waves.instrument_choices()
        if not choices:  # pragma: no cover - copkit ships cop-health
            raise click.BadParameter("no instruments are installed", ctx, param)
        return choices[-1]
    instrument_id, _, version = value.strip().rpartition("@")
    if not instrument_id or not version.isdigit():
        raise click.BadParameter(
            f"{value!r} is not an instrument and version like cop-health@1", ctx, param
        )
    return instrument_id, int(version)


@click.command("add-wave")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option(
    "--opens",
    required=True,
    type=LocalMoment(time(0, 0)),
    help="When the wave opens, in the study's time zone (a day alone: 00:00).",
)
@click.option(
    "--closes",
    required=True,
    type=LocalMoment(time(23, 59)),
    help="When the wave closes, in the study's time zone (a day alone: 23:59).",
)
@click.option(
    "--instrument",
    "instrument",
    callback=_instrument,
    metavar="ID@VERSION",
    help="The instrument the wave asks, e.g. cop-health@1 (default: the newest shipped).",
)
@click.option(
    "--number",
    type=click.IntRange(min=1),
    help="The wave's number (default: one more than the study's last wave).",
)
@click.pass_context
def add_wave(
    ctx: click.Context,
    study_name: str,
    opens: datetime,
    closes: datetime,
    instrument: tuple[str, int],
    number: int | None,
) -> None:
    """Add a survey wave to a study (as the admin Waves page does).

    Times are wall-clock times in the study's time zone (COPKIT_TIMEZONE, default
    Europe/London), e.g. --opens 2025-03-03T09:00 --closes 2025-03-14T17:00. The wave's status
    follows from its dates; `copkit close-wave` closes it early. The creation is written to the
    audit log.
    """
    with database_session(ctx, write=True) as (app, session):
        zone = study_zone(app)
        study = require_study(session, study_name)
        details = waves.WaveDetails(
            number=waves.next_wave_number(session, study) if number is None else number,
            opens=to_utc(opens, zone),
            closes=to_utc(closes, zone),
            instrument_id=instrument[0],
            instrument_version=instrument[1],
        )
        with refused_in(study):
            wave = waves.create_wave(session, study, details, Actor.cli())
        done = (
            f'Added wave {wave.number} to study "{study.name}": opens '
            f"{format_moment(details.opens, zone)}, closes {format_moment(details.closes, zone)} "
            f"({zone.key}), instrument {wave.instrument_id}@{wave.instrument_version}."
        )
    click.echo(done)


@click.command("close-wave")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option(
    "--wave", "number", required=True, type=click.IntRange(min=1), help="The wave number."
)
@click.pass_context
def close_wave(ctx: click.Context, study_name: str, number: int) -> None:
    """Close an open or scheduled wave now, before its closing time.

    Survey links of the wave stop working and no more reminders go out. Closing a wave that is
    already closed is refused (exit status 1). The close is written to the audit log. Then the
    study's evaluator and manager dashboards are computed and stored, so that the first person
    to open them afterwards does not wait for the analysis.
    """
    with database_session(ctx, write=True) as (_, session):
        study = require_study(session, study_name)
        wave = require_wave(session, study, number)
        with refused_in(study):
            waves.close_early(session, wave, Actor.cli())
        done = f'Closed wave {wave.number} of study "{study.name}" early.'
    click.echo(done)
    with database_session(ctx, write=False) as (app, session):
        study = require_study(session, study_name)
        settings = dashboard.settings_from_config(app.config)
        seconds = dashboard.prepare_dashboards(session, study, settings=settings)
    click.echo(
        "Dashboards prepared: "
        + ", ".join(
            f"{audience} {'being computed elsewhere' if math.isnan(t) else f'{t:.1f} s'}"
            for audience, t in seconds.items()
        )
        + "."
    )


@click.command("edit-wave")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option(
    "--wave", "number", required=True, type=click.IntRange(min=1), help="The wave number."
)
@click.option(
    "--opens",
    type=LocalMoment(time(0, 0)),
    help="The new opening time, in the study's time zone (a day alone: 00:00).",
)
@click.option(
    "--closes",
    type=LocalMoment(time(23, 59)),
    help="The new closing time, in the study's time zone (a day alone: 23:59).",
)
@click.pass_context
def edit_wave(
    ctx: click.Context,
    study_name: str,
    number: int,
    opens: datetime | None,
    closes: datetime | None,
) -> None:
    """Move a wave's opening or closing time (as the admin wave page does).

    A wave whose figures managers and team members have been shown cannot be reopened or
    extended: a late answer would change figures they have seen, and the difference would
    reveal it. That, like any other bad date, is refused with the reason (exit status 1) and
    nothing changes. The change is written to the audit log.
    """
    if opens is None and closes is None:
        raise click.UsageError("give --opens, --closes or both")
    with database_session(ctx, write=True) as (app, session):
        zone = study_zone(app)
        study = require_study(session, study_name)
        wave = require_wave(session, study, number)
        details = waves.WaveDetails(
            number=wave.number,
            opens=wave.opens if opens is None else to_utc(opens, zone),
            closes=wave.closes if closes is None else to_utc(closes, zone),
            instrument_id=wave.instrument_id,
            instrument_version=wave.instrument_version,
        )
        with refused_in(study):
            changed = waves.update_wave(session, wave, details, Actor.cli())
        done = (
            f'Wave {wave.number} of study "{study.name}" now opens '
            f"{format_moment(wave.opens, zone)} and closes {format_moment(wave.closes, zone)} "
            f"({zone.key})."
            if changed
            else f'Wave {wave.number} of study "{study.name}" is unchanged.'
        )
    click.echo(done)
