"""Fixtures for the load tests: a migrated database with a study, and ``copkit serve`` around it.

``load_database`` runs every test on a SQLite file (WAL) in ``tmp_path`` and on a PostgreSQL
schema in a database created at 127.0.0.1:5432 for the test session (skipped when the server is
unreachable, failing under ``CI=true``, as in :mod:`tests.survey_app.conftest`).
``live_server`` is ``copkit serve --workers 3`` on it, as a subprocess, stopped at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from survey_app import migrate
from survey_app.database import make_engine
from tests.load.live_server import LiveServer
from tests.load.load_fixtures import LoadStudy, build_load_study
from tests.survey_app.conftest import POSTGRES_URL, _psycopg_conninfo

INVITATIONS = 64
"""Invitations in the load-test wave (the tests use as many as they need)."""


@dataclass(frozen=True)
class LoadDatabase:
    """A migrated database holding the load-test study."""

    kind: str
    url: str
    study: LoadStudy


@pytest.fixture(scope="session")
def load_postgres() -> Iterator[str]:
    """A PostgreSQL database created for this test session (dropped at its end)."""
    import psycopg

    try:
        admin = psycopg.connect(_psycopg_conninfo(POSTGRES_URL), autocommit=True)
    except psycopg.OperationalError as error:
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {error}".strip()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (CI=true: the PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)
    name = f"copkit_load_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_schema(database: str) -> str:
    """A new schema in ``database``; the URL selects it through ``search_path``."""
    import psycopg

    schema = f"load_{secrets.token_hex(6)}"
    with psycopg.connect(_psycopg_conninfo(database), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(database).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def load_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LoadDatabase]:
    """A database made by the migrations with :data:`INVITATIONS` invitations in an open wave."""
    kind: str = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'copkit.sqlite3'}"
    else:
        url = _postgres_schema(request.getfixturevalue("load_postgres"))
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
