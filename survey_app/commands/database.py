"""``copkit init-db``: create or upgrade the database schema."""

from __future__ import annotations

import click
from sqlalchemy.exc import SQLAlchemyError

from survey_app import migrate
from survey_app.commands.runtime import app_for, database_error
from survey_app.extensions import db


@click.command("init-db")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    """Create the database tables, or upgrade them to this version of copkit.

    Runs the Alembic migrations shipped with copkit on the database in COPKIT_DATABASE_URL
    (default: SQLite in the instance folder). Safe to run again: an up-to-date database is left
    as it is.
    """
    app = app_for(ctx)
    engine = db.engine_for(app)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    except SQLAlchemyError as error:  # one line, not a traceback; exit status 1
        raise database_error(engine, error) from None
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"Database {where} is up to date (revision {after}).")
    else:
        click.echo(f"Database {where} upgraded from revision {before or 'empty'} to {after}.")
