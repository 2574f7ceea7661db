"""Fixtures for the load tests: a migrated database with a study, and ``copkit serve`` around it.

``load_database`` runs every test on a SQLite file (WAL) in ``tmp_path`` and on a PostgreSQL
schema in the session's database from :func:`tests.survey_app.conftest.postgres_database`
(skipped when the server at 127.0.0.1:5432 is unreachable, failing under ``CI=true``).
``live_server`` is ``copkit serve --workers 3`` on it, as a subprocess, stopped at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from survey_app import migrate
from survey_app.database import make_engine
from tests.load.live_server import LiveServer
from tests.load.load_fixtures import LoadStudy, build_load_study
from tests.survey_app.conftest import (  # noqa: F401  (postgres_database is a fixture)
    _psycopg_conninfo,
    _schema_url,
    postgres_database,
)

INVITATIONS = 64
"""Invitations in the load-test wave (the tests use as many as they need)."""


@dataclass(frozen=True)
class LoadDatabase:
    """A migrated database holding the load-test study."""

    kind: str
    url: str
    study: LoadStudy


def _postgres_schema(database: str) -> str:
    """A new schema in ``database``; the URL selects it through ``search_path``."""
    import psycopg

    schema = f"load_{secrets.token_hex(6)}"
    with psycopg.connect(_psycopg_conninfo(database), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    return _schema_url(database, schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def load_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LoadDatabase]:
    """A database made by the migrations with :data:`INVITATIONS` invitations in an open wave."""
    kind: str = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'copkit.sqlite3'}"
    else:
        url = _postgres_schema(request.getfixturevalue("postgres_database"))
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        if kind == "sqlite":
            with engine.connect() as connection:
                mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            if mode != "wal":
                raise RuntimeError(f"SQLite is in {mode} mode, not WAL")
        with Session(engine) as session:
            study = build_load_study(session, INVITATIONS)
    finally:
        engine.dispose()
    yield LoadDatabase(kind, url, study)


@pytest.fixture
def live_server(load_database: LoadDatabase, tmp_path: Path) -> Iterator[LiveServer]:
    """``copkit serve --workers 3`` on :func:`load_database`, running; stopped afterwards."""
    server = LiveServer(load_database.url, tmp_path / "instance", tmp_path / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
