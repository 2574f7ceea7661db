"""Alembic migrations: upgrade from empty, downgrade to empty, and agreement with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect

from survey_app import migrate
from survey_app.extensions import db
from survey_app.models import Base

TABLES = {
    "studies",
    "themes",
    "teams",
    "members",
    "memberships",
    "waves",
    "invitations",
    "responses",
    "answers",
    "ties",
    "comments",
    "interventions",
    "users",
    "managed_teams",
    "audit_events",
    "dashboard_snapshots",
}


def _tables(app: Flask) -> set[str]:
    return set(inspect(db.engine_for(app)).get_table_names())


def test_upgrade_from_empty_then_downgrade_to_base(empty_app: Flask) -> None:
    engine = db.engine_for(empty_app)
    assert migrate.current_revision(engine) is None
    assert _tables(empty_app) == set()

    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _tables(empty_app) == TABLES | {"alembic_version"}
    assert set(Base.metadata.tables) == TABLES

    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert _tables(empty_app) <= {"alembic_version"}

    migrate.upgrade(engine)  # and back up again, as a re-deployment would
    assert _tables(empty_app) == TABLES | {"alembic_version"}


def test_migrated_schema_matches_the_models(app: Flask) -> None:
    with db.engine_for(app).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrations_create_the_indexes_the_queries_need(app: Flask) -> None:
    inspector = inspect(db.engine_for(app))

    def leading_columns(table: str) -> set[str]:
        indexed = {str(index["column_names"][0]) for index in inspector.get_indexes(table)}
        unique = {str(u["column_names"][0]) for u in inspector.get_unique_constraints(table)}
        return indexed | unique

    assert "wave_id" in leading_columns("invitations")
    assert "membership_id" in leading_columns("invitations")
    assert "team_id" in leading_columns("memberships")
    assert "response_id" in leading_columns("answers")
    assert "at" in leading_columns("audit_events")


def test_init_is_idempotent(app: Flask) -> None:
    engine = db.engine_for(app)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
