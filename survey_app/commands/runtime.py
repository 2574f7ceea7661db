"""What every command shares: building the app from the command's configuration."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from survey_app.commands.settings import overrides
from survey_app.extensions import db
from survey_app.factory import create_app
from survey_app.localtime import zone_from_config
from survey_app.models import Study, Wave
from survey_app.services.errors import ServiceError
from survey_app.services.study_setup import find_study
from survey_app.services.transactions import write_transaction
from survey_app.services.waves import find_wave


def app_for(ctx: click.Context, config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app for a command; a mapping in the root context's ``obj`` overrides config.

    Tests call ``CliRunner().invoke(main, args, obj={"DATABASE_URL": ...})``; from a shell the
    configuration comes from ``COPKIT_*`` environment variables. A command that adds settings
    of its own (``copkit demo``'s ``BASE_URL``) passes the whole mapping as ``config``.
    """
    try:
        return create_app(overrides(ctx) if config is None else config)
    except ValueError as exc:  # a setting out of range: its name and the rule, no traceback
        raise click.ClickException(str(exc)) from exc


@contextmanager
def database_session(ctx: click.Context, *, write: bool) -> Iterator[tuple[Flask, Session]]:
    """The command's app and database session, disposed of (connections closed) afterwards.

    Parameters
    ----------
    ctx
        The command's context (its configuration, see :func:`app_for`).
    write
        Run the block in one write transaction: committed when it finishes, rolled back when it
        raises, so a refused command stores nothing.

    Raises
    ------
    click.ClickException
        For a :class:`ServiceError` raised in the block (its problems, one a line, exit status 1).
    """
    app = app_for(ctx)
    try:
        with app.app_context():
            try:
                if write:
                    with write_transaction(db.session):
                        yield app, db.session
                else:
                    yield app, db.session
            except ServiceError as error:  # rolled back by its transaction (or the service's)
                raise click.ClickException(refusal(error)) from None
    finally:
        db.dispose(app)


def refusal(error: ServiceError, about: str | None = None) -> str:
    """A refused request as the CLI prints it: one problem per line, ``field: message``.

    A problem about the request as a whole (no field) is its message alone. ``about`` (``study
    "GM CLAHRC"``) leads a single problem on its line, or stands on a line of its own above
    several, so each problem can be read (and grepped) alone.

    Examples
    --------
    >>> print(refusal(ServiceError("the study already has a wave 1", field="number")))
    number: the study already has a wave 1
    >>> print(refusal(ServiceError([("closes", "the wave must close after it opens"),
    ...                             (None, "the study is closed")]), 'study "A"'))
    study "A":
    closes: the wave must close after it opens
    the study is closed
    """
    lines = [
        f"{problem.field}: {problem.message}" if problem.field else problem.message
        for problem in error.problems
    ]
    if about is None:
        return "\n".join(lines)
    if len(lines) == 1:
        return f"{about}: {lines[0]}"
    return "\n".join([f"{about}:", *lines])


def require_study(session: Session, name: str) -> Study:
    """The study with this name; a ClickException (exit status 1) naming it when there is none."""
    study = find_study(session, name)
    if study is None:
        raise click.ClickException(f'no study named "{name}"')
    return study


def require_wave(session: Session, study: Study, number: int) -> Wave:
    """Wave ``number`` of ``study``; a ClickException (exit status 1) naming it when there is none."""
    wave = find_wave(session, study, number)
    if wave is None:
        raise click.ClickException(f'study "{study.name}" has no wave {number}')
    return wave


def study_zone(app: Flask) -> ZoneInfo:
    """The study time zone (COPKIT_TIMEZONE); a ClickException when the setting is unknown."""
    try:
        return zone_from_config(app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def refused_in(study: Study) -> Iterator[None]:
    """Turn a :class:`ServiceError` of the block into a ClickException naming the study.

    The service's own problems are kept (:func:`refusal`): ``study "GM CLAHRC": number: the
    study already has a wave 1``.
    """
    try:
        yield
    except ServiceError as error:
        raise click.ClickException(refusal(error, f'study "{study.name}"')) from None


def database_error(engine: Engine, error: SQLAlchemyError) -> click.ClickException:
    """A one-line error (exit status 1) for a database the command could not use.

    Names the database (password hidden) and the first line of the driver's message, instead of
    a traceback: ``cannot use the database postgresql+psycopg://copkit:***@db/copkit:
    connection failed: ... Connection refused``.
    """
    where = engine.url.render_as_string(hide_password=True)
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    reason = lines[0] if lines else type(cause).__name__
    return click.ClickException(f"cannot use the database {where}: {reason}")
