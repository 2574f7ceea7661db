"""Alembic migrations: upgrade from empty, downgrade to empty, and agreement with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, text

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
    "staff_studies",
    "mail_templates",
    "audit_events",
    "dashboard_snapshots",
    "releases",
    "staff_sessions",
    "password_resets",
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


def test_staff_studies_migration_keeps_each_accounts_study(empty_app: Flask) -> None:
    """Upgrading copies every account's one study into staff_studies; downgrading puts it back."""
    engine = db.engine_for(empty_app)
    migrate.upgrade(engine, "0003")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO studies (id, name, secret, created_at) VALUES (7, 'S', 'x', :now)"),
            {"now": "2026-01-01 00:00:00"},
        )
        for user_id, role, study in ((1, "admin", None), (2, "evaluator", 7), (3, "manager", 7)):
            connection.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, role, study_id, is_active, "
                    "created_at) VALUES (:id, :email, 'h', :role, :study, :active, :now)"
                ),
                {
                    "id": user_id,
                    "email": f"u{user_id}@example.org",
                    "role": role,
                    "study": study,
                    "active": True,
                    "now": "2026-01-01 00:00:00",
                },
            )
    migrate.upgrade(engine, "0004")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT user_id, study_id FROM staff_studies")).all()
        assert sorted(tuple(row) for row in rows) == [(2, 7), (3, 7)]
        columns = {c["name"] for c in inspect(connection).get_columns("users")}
        assert "study_id" not in columns
    migrate.downgrade(engine, "0003")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, study_id FROM users ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, None), (2, 7), (3, 7)]


def test_existing_invitations_get_their_members_attributes_as_recorded(empty_app: Flask) -> None:
    """Revision 0006 records each existing invitation's profession and organisation (the
    member's at the upgrade), so a later correction no longer rewrites those waves."""
    engine = db.engine_for(empty_app)
    migrate.upgrade(engine, "0003")
    with engine.begin() as connection:
        run = connection.exec_driver_sql
        run("INSERT INTO studies (id, name, secret, created_at) VALUES (1, 'S', 'k', '2025-01-01')")
        run("INSERT INTO themes (id, study_id, name) VALUES (1, 1, 'T')")
        run("INSERT INTO teams (id, theme_id, name) VALUES (1, 1, 'Ward')")
        run(
            "INSERT INTO members (id, study_id, name, email, profession, organisation, "
            "organisation_type) VALUES (1, 1, 'A', 'a@x.org', 'GP', 'Practice 1', 'gp')"
        )
        run(
            "INSERT INTO memberships (id, member_id, team_id, joined_on) VALUES (1, 1, 1, '2025-01-01')"
        )
        run(
            "INSERT INTO waves (id, study_id, number, opens, closes, instrument_id, "
            "instrument_version) VALUES (1, 1, 1, '2025-01-01', '2025-02-01', 'cop-health', 1)"
        )
        run(
            "INSERT INTO invitations (id, membership_id, wave_id, token_hash, token_salt, "
            "reminded_count, current_page) VALUES (1, 1, 1, 'h', 's', 0, 0)"
        )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT profession, organisation FROM invitations WHERE id = 1"
        ).one()
        study = connection.exec_driver_sql(
            "SELECT retention_days, share_results FROM studies WHERE id = 1"
        ).one()
    assert tuple(row) == ("GP", "Practice 1")
    assert study[0] is None and bool(study[1]) is True
