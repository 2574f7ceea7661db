"""Fixtures for the web app: a fresh database per test on SQLite and on PostgreSQL, the app, a client.

PostgreSQL is the server at 127.0.0.1:5432 (user ``postgres``, database ``test``; override with
``COPKIT_TEST_POSTGRES_URL``). A database with a random name is created for the test session and
dropped at its end; each test gets its own schema in it (through ``search_path``). When the server
is unreachable the PostgreSQL cases are skipped, except under ``CI=true``, where they fail.

``database_url`` is an empty database (for the migration tests); ``app`` runs on a database made
by the migrations once per session and reset for each test.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from survey_app import migrate
from survey_app.database import make_engine
from survey_app.extensions import db
from survey_app.factory import create_app
from survey_app.models import Base
from tests.survey_app.smtp_support import Collector, Smtp, free_port
from tests.survey_app.survey_fixtures import SurveySetup, build_survey

POSTGRES_URL = os.environ.get(
    "COPKIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _no_copkit_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the configuration they set: drop any COPKIT_* variables of the shell."""
    for name in list(os.environ):
        if name.startswith("COPKIT_") and name != "COPKIT_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    # tests/conftest.py's choice survives: dashboards are computed in the request (a test that
    # wants the background sets DASHBOARD_BACKGROUND in its app's configuration)
    monkeypatch.setenv("COPKIT_DASHBOARD_BACKGROUND", "false")


def _psycopg_conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL."""
    parsed = make_url(url)
    parts = {
        "host": parsed.host or "127.0.0.1",
        "port": str(parsed.port or 5432),
        "user": parsed.username or "postgres",
        "dbname": parsed.database or "postgres",
        "connect_timeout": "3",
    }
    if parsed.password:
        parts["password"] = str(parsed.password)
    return " ".join(f"{key}={value}" for key, value in parts.items())


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database created for this test session (dropped at its end)."""
    import psycopg

    try:
        admin = psycopg.connect(_psycopg_conninfo(POSTGRES_URL), autocommit=True)
    except psycopg.OperationalError as error:
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {error}".strip()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (CI=true: the PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)
    name = f"copkit_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on; every test using a database runs on both."""
    kind: str = request.param
    return kind


def _schema_url(database: str, schema: str) -> str:
    url = make_url(database).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def database_url(
    database_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """An empty database: a SQLite file in ``tmp_path``, or a fresh PostgreSQL schema."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'copkit.sqlite3'}"
        return
    import psycopg

    database: str = request.getfixturevalue("postgres_database")
    schema = f"t_{secrets.token_hex(6)}"
    conninfo = _psycopg_conninfo(database)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _schema_url(database, schema)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database created once per session by running the migrations."""
    path = tmp_path_factory.mktemp("template") / "copkit.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_migrated(postgres_database: str) -> str:
    """A PostgreSQL schema created once per session by running the migrations."""
    import psycopg

    with psycopg.connect(_psycopg_conninfo(postgres_database), autocommit=True) as connection:
        connection.execute('CREATE SCHEMA "migrated"')
    url = _schema_url(postgres_database, "migrated")
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def migrated_database_url(
    database_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A database with copkit's schema (made by the migrations) and no rows.

    SQLite: a copy of the session's migrated file. PostgreSQL: the session's migrated schema,
    emptied after each test (ids are not reset), which is far quicker than migrating a
    schema per test.
    """
    if database_kind == "sqlite":
        path = tmp_path / "copkit.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    import psycopg

    url: str = request.getfixturevalue("postgres_migrated")
    yield url
    database = make_url(url).set(query={}).render_as_string(hide_password=False)
    with psycopg.connect(_psycopg_conninfo(database)) as connection:
        connection.execute("SET lock_timeout = '10s'")
        connection.execute('SET search_path = "migrated"')
        for table in reversed(Base.metadata.sorted_tables):  # DELETE is quicker than TRUNCATE
            connection.execute(f'DELETE FROM "{table.name}"')


def make_test_app(database_url: str, tmp_path: Path, **extra: object) -> Flask:
    """The app as the tests configure it (the schema is not created)."""
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    config.update(extra)
    return create_app(config)


@pytest.fixture
def empty_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database (no tables), on SQLite and on PostgreSQL."""
    app = make_test_app(database_url, tmp_path)
    yield app
    db.dispose(app)


@pytest.fixture
def app(migrated_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a database made by the migrations, on SQLite and on PostgreSQL."""
    app = make_test_app(migrated_database_url, tmp_path)
    yield app
    db.dispose(app)


@pytest.fixture
def sqlite_app(sqlite_template: Path, tmp_path: Path) -> Iterator[Flask]:
    """A migrated app on SQLite only, for tests that do not depend on the database."""
    path = tmp_path / "copkit.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = make_test_app(f"sqlite:///{path}", tmp_path)
    yield app
    db.dispose(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of :func:`app`."""
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """``db.session`` inside an application context of :func:`app`."""
    with app.app_context():
        yield db.session


@pytest.fixture
def survey_setup(app: Flask) -> SurveySetup:
    """The participant-survey test data (see :mod:`tests.survey_app.survey_fixtures`)."""
    with app.app_context():
        return build_survey(db.session)


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    """A real SMTP server on 127.0.0.1 at a free port, collecting what it receives."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Smtp(collector, controller.port)
    finally:
        controller.stop()
