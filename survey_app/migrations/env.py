"""Alembic environment: copkit's model metadata on the app's database (batch mode for SQLite)."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from survey_app.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write copkit's UTC timestamp type as a plain ``sa.DateTime`` so revisions stand alone."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copy-and-move
        compare_type=True,
        render_item=_render_item,
        # copkit's engine emits BEGIN itself on SQLite, so DDL is transactional there too:
        # a failing migration leaves the database as it was.
        transactional_ddl=True,
    )


def _raw_execute(connection: Connection, statement: str) -> None:
    """Run ``statement`` on the DBAPI connection itself, outside SQLAlchemy's transaction."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _run(connection: Connection) -> None:
    """Run the migrations on ``connection``; on SQLite with foreign keys off while tables move."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # PRAGMA foreign_keys is ignored inside a transaction, so set it on the raw connection
        # before Alembic begins one; batch mode would otherwise cascade deletes when it drops
        # and recreates a referenced table.
        _raw_execute(connection, "PRAGMA foreign_keys = OFF")
    try:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"migration left broken foreign keys: {problems[:5]}")
    finally:
        if sqlite:
            if connection.in_transaction():
                connection.commit()
            _raw_execute(connection, "PRAGMA foreign_keys = ON")


def run_migrations_online() -> None:
    """Migrate through the connection given by ``copkit init-db``, or the app's own engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from survey_app.extensions import db
    from survey_app.factory import create_app

    app = create_app()
    with app.app_context(), db.engine.connect() as own:
        _run(own)
        own.commit()
    db.dispose(app)


def run_migrations_offline() -> None:
    """Write the SQL instead of running it (``alembic upgrade head --sql``)."""
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from survey_app.factory import create_app

        url = str(create_app().config["DATABASE_URL"])
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
