"""Database faults get plain answers: private SQLite files, 503 with Retry-After for a lock that
was not granted, a health check that reads the schema, and one line from the CLI."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select, text

from survey_app.cli import main
from survey_app.extensions import db
from survey_app.models import AuditEvent
from tests.load.live_server import free_port
from tests.survey_app.conftest import _psycopg_conninfo, make_test_app
from tests.survey_app.survey_fixtures import Respondent, SurveySetup, build_survey

LOCK_TIMEOUT_MS = 300


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- SQLite files are private ---------------------------------------------------------------


def test_init_db_on_a_new_path_creates_files_only_the_owner_can_read(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask, which made them 0644
    try:
        database = tmp_path / "new" / "copkit.sqlite3"
        database.parent.mkdir()
        config = {"DATABASE_URL": f"sqlite:///{database}", "INSTANCE_PATH": str(tmp_path / "i")}
        result = CliRunner().invoke(main, ["init-db"], obj=config, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert _mode(database) == 0o600
        app = make_test_app(f"sqlite:///{database}", tmp_path)
        try:
            with app.app_context():  # a write leaves the WAL and shared-memory files open
                db.session.add(AuditEvent(actor="test", action="test.write"))
                db.session.commit()
                wal = Path(f"{database}-wal")
                shm = Path(f"{database}-shm")
                assert wal.exists() and shm.exists()
                assert (_mode(wal), _mode(shm)) == (0o600, 0o600)
                for path in database.parent.iterdir():
                    assert _mode(path) & 0o077 == 0, f"{path.name} is {oct(_mode(path))}"
        finally:
            db.dispose(app)
    finally:
        os.umask(old_umask)


def test_an_existing_file_keeps_the_mode_its_owner_chose(tmp_path: Path) -> None:
    database = tmp_path / "copkit.sqlite3"
    sqlite3.connect(database).close()
    database.chmod(0o640)
    config = {"DATABASE_URL": f"sqlite:///{database}", "INSTANCE_PATH": str(tmp_path / "i")}
    result = CliRunner().invoke(main, ["init-db"], obj=config, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _mode(database) == 0o640


# --- a lock not granted in time: 503 with Retry-After, nothing stored ------------------------


@pytest.fixture
def busy_app(migrated_database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, SurveySetup]]:
    app = make_test_app(
        migrated_database_url,
        tmp_path,
        DATABASE_LOCK_TIMEOUT_MS=LOCK_TIMEOUT_MS,
        RETRY_AFTER_SECONDS=7,
    )
    with app.app_context():
        setup = build_survey(db.session)
    yield app, setup
    db.dispose(app)


class _Locker:
    """Another program holding the database's write lock (SQLite) or a table lock (PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection: object = None

    def __enter__(self) -> _Locker:
        if self.url.startswith("sqlite"):
            path = self.url.removeprefix("sqlite:///")
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            self.connection = connection
        else:
            import psycopg
            from sqlalchemy.engine import make_url

            parsed = make_url(self.url)
            conninfo = _psycopg_conninfo(parsed.set(query={}).render_as_string(False))
            connection_pg = psycopg.connect(conninfo)
            search_path = str(parsed.query["options"]).removeprefix("-csearch_path=")
            connection_pg.execute(f'SET search_path = "{search_path}"')
            connection_pg.execute("LOCK TABLE invitations, audit_events IN ACCESS EXCLUSIVE MODE")
            self.connection = connection_pg
        return self

    def __exit__(self, *exc: object) -> None:
        connection = self.connection
        if isinstance(connection, sqlite3.Connection):
            connection.execute("ROLLBACK")
        connection.close()  # type: ignore[attr-defined]


def test_a_busy_database_answers_503_with_retry_after_and_stores_nothing(
    busy_app: tuple[Flask, SurveySetup],
) -> None:
    app, setup = busy_app
    asha = Respondent(app.test_client(), setup.tokens["open"])
    asha.csrf()  # the consent page, read before the lock
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with _Locker(app.config["DATABASE_URL"]):
        refused = asha.consent()
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "7"
        assert "no-store" in refused.headers["Cache-Control"]
        page = refused.get_data(as_text=True)
        assert "Too busy to answer just now" in page
        assert "Nothing you sent was saved" in page
        signing_in = app.test_client().post(
            "/auth/", data={"email": "x@example.org", "password": "y"}
        )
        assert signing_in.status_code in (400, 503)  # 400: no CSRF token; never 500
    with app.app_context():
        invitation_consented = db.session.execute(
            text("SELECT consented_at FROM invitations WHERE id = :id"),
            {"id": setup.invitations["open"]},
        ).scalar()
        assert invitation_consented is None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before
    assert asha.consent().status_code == 303  # the same request, once the lock is gone


# --- /healthz reads the schema ---------------------------------------------------------------


def _health(app: Flask) -> tuple[int, str]:
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_data(as_text=True)


def _sqlite_copy(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copkit.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    return path


def test_healthz_is_ok_on_a_sound_database(sqlite_template: Path, tmp_path: Path) -> None:
    app = make_test_app(f"sqlite:///{_sqlite_copy(sqlite_template, tmp_path)}", tmp_path)
    assert _health(app) == (200, "ok\n")
    db.dispose(app)


@pytest.mark.parametrize("where", ["header", "pages"])
def test_healthz_reports_a_corrupted_sqlite_file(
    sqlite_template: Path, tmp_path: Path, where: str
) -> None:
    path = _sqlite_copy(sqlite_template, tmp_path)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    damaged = range(0, 100) if where == "header" else range(page, len(data))
    for index in damaged:
        data[index] = (index * 37 + 11) % 256
    path.write_bytes(bytes(data))
    app = make_test_app(f"sqlite:///{path}", tmp_path)
    status, body = _health(app)
    db.dispose(app)
    assert status == 503
    assert body == "database unavailable: the database file is damaged or is not a database\n"


def test_healthz_reports_a_database_without_the_schema(database_url: str, tmp_path: Path) -> None:
    app = make_test_app(database_url, tmp_path)
    status, body = _health(app)
    db.dispose(app)
    assert status == 503
    assert "lacks tables or columns this version needs (run copkit init-db)" in body


def test_healthz_reports_a_missing_column(sqlite_template: Path, tmp_path: Path) -> None:
    path = _sqlite_copy(sqlite_template, tmp_path)
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE members DROP COLUMN organisation_type")
    app = make_test_app(f"sqlite:///{path}", tmp_path)
    status, body = _health(app)
    db.dispose(app)
    assert status == 503 and "run copkit init-db" in body


def test_healthz_reports_an_unreachable_postgresql(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/copkit?connect_timeout=2"
    app = make_test_app(url, tmp_path)
    status, body = _health(app)
    db.dispose(app)
    assert (status, body) == (503, "database unavailable: the database cannot be reached\n")


# --- the CLI says what is wrong in one line --------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("command", ["serve", "init-db"])
@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_an_unreachable_database_is_one_line_and_a_failure(
    tmp_path: Path, command: str, kind: str
) -> None:
    if kind == "postgresql":
        url = f"postgresql+psycopg://copkit:secret@127.0.0.1:{free_port()}/copkit"
    else:
        url = f"sqlite:///{tmp_path}/no/such/folder/copkit.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith("COPKIT_")}
    env.update(COPKIT_DATABASE_URL=url, COPKIT_INSTANCE_PATH=str(tmp_path / "instance"))
    args = [command, "--port", str(free_port())] if command == "serve" else [command]
    finished = subprocess.run(
        [sys.executable, "-c", "from survey_app.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("Error: cannot use the database ")
    assert "secret" not in lines[0]  # the password is hidden
    if kind == "postgresql":
        assert "refused" in lines[0].lower() or "connection" in lines[0].lower()
    else:
        assert "unable to open database file" in lines[0]
