"""What every command shares: building the app from the command's configuration."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask
from sqlalchemy.orm import Session

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
    if config is None:
        obj = ctx.find_root().obj
        config = obj if isinstance(obj, Mapping) else None
    return create_app(config)


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
        For a :class:`ServiceError` raised in the block (its message, exit status 1).
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
            except ServiceError as error:
                db.session.rollback()
                raise click.ClickException(str(error)) from None
    finally:
        db.dispose(app)


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

    The service's own message is kept: ``study "GM CLAHRC": the study already has a wave 1``.
    """
    try:
        yield
    except ServiceError as error:
        raise click.ClickException(f'study "{study.name}": {error}') from None
