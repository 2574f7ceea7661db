"""The ``copkit`` command line: the command list, init-db, create-user, serve and the stubs."""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import select
from werkzeug.security import check_password_hash

from survey_app import migrate
from survey_app.cli import main
from survey_app.extensions import db
from survey_app.factory import create_app
from survey_app.models import AuditEvent, ManagedTeam, Study, Team, Theme, User

COMMANDS = [
    "init-db",
    "create-user",
    "create-study",
    "add-theme",
    "add-team",
    "import-roster",
    "add-wave",
    "close-wave",
    "edit-wave",
    "add-intervention",
    "show-study",
    "erase-member",
    "purge-expired",
    "demo",
    "serve",
    "send-invitations",
    "send-reminders",
    "export",
    "export-links",
    "analyse",
    "report",
    "simulate",
    "power",
]
PASSWORD = "correct horse battery"


def _copkit() -> str:
    """The installed console script next to this interpreter."""
    path = Path(sys.executable).parent / "copkit"
    found = str(path) if path.exists() else shutil.which("copkit")
    if found is None:
        pytest.fail("the copkit console script is not installed (pip install -e .)")
    return found


def _invoke(config: dict[str, Any], args: list[str], stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, args, obj=config, input=stdin, catch_exceptions=False)


def _config(url: str, tmp_path: Path) -> dict[str, Any]:
    return {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True}


@pytest.mark.slow
def test_help_lists_every_command() -> None:
    result = subprocess.run(
        [_copkit(), "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    listed = [
        line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()
    ]
    assert sorted(listed) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert f"Usage: main {command}" in result.output
    description = result.output.split("\n\n", 2)[1].strip()
    assert len(description) > 20


def test_init_db_creates_then_keeps_the_schema(database_url: str, tmp_path: Path) -> None:
    config = _config(database_url, tmp_path)
    first = _invoke(config, ["init-db"])
    assert first.exit_code == 0, first.output
    assert f"upgraded from revision empty to {migrate.head_revision()}" in first.stdout
    second = _invoke(config, ["init-db"])
    assert f"is up to date (revision {migrate.head_revision()})" in second.stdout
    app = create_app(config)
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []
    db.dispose(app)


def test_create_user_stores_a_hash_and_audits(migrated_database_url: str, tmp_path: Path) -> None:
    config = _config(migrated_database_url, tmp_path)
    result = _invoke(
        config,
        ["create-user", "Admin@Example.org", "--role", "admin", "--password-stdin"],
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin admin@example.org" in result.stdout
    app = create_app(config)
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.email == "admin@example.org" and user.role == "admin"
        assert PASSWORD not in user.password_hash
        assert check_password_hash(user.password_hash, PASSWORD)
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.actor, event.object_id) == ("user.create", "cli", str(user.id))
        assert PASSWORD not in str(event.detail)
    db.dispose(app)


def _study_with_teams(config: dict[str, Any]) -> None:
    app = create_app(config)
    with app.app_context():
        study = Study(name="GM CLAHRC")
        heart = Theme(study=study, name="Heart Failure")
        kidney = Theme(study=study, name="CKD")
        db.session.add_all(
            [
                Team(theme=heart, name="Community nurses"),
                Team(theme=heart, name="Pharmacists"),
                Team(theme=kidney, name="Pharmacists"),
            ]
        )
        db.session.commit()
    db.dispose(app)


def test_create_user_gives_an_evaluator_several_studies_or_none(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    config = _config(sqlite_app.config["DATABASE_URL"], tmp_path)
    _study_with_teams(config)
    app = create_app(config)
    with app.app_context():
        db.session.add(Study(name="Second study"))
        db.session.commit()
    db.dispose(app)
    both = ["--study", "GM CLAHRC", "--study", "Second study"]
    result = _invoke(
        config,
        ["create-user", "e@example.org", "--role", "evaluator", *both, "--password-stdin"],
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "for studies 'GM CLAHRC', 'Second study'" in result.stdout
    fresh = _invoke(
        config,
        ["create-user", "new@example.org", "--role", "evaluator", "--password-stdin"],
        stdin=PASSWORD + "\n",
    )
    assert fresh.exit_code == 0, fresh.output
    with sqlite_app.app_context():
        users = {u.email: [s.name for s in u.studies] for u in db.session.scalars(select(User))}
    assert users == {"e@example.org": ["GM CLAHRC", "Second study"], "new@example.org": []}


def test_create_user_prompts_twice_and_scopes_a_manager(sqlite_app: Flask, tmp_path: Path) -> None:
    config = _config(sqlite_app.config["DATABASE_URL"], tmp_path)
    _study_with_teams(config)
    args = ["create-user", "m@example.org", "--role", "manager", "--study", "GM CLAHRC"]
    result = _invoke(
        config,
        [*args, "--teams", "Community nurses, CKD/Pharmacists"],
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output and PASSWORD not in result.output
    with sqlite_app.app_context():
        managed = db.session.execute(
            select(Theme.name, Team.name).join(Team.theme).join(ManagedTeam)
        ).all()
        assert sorted(managed) == [("CKD", "Pharmacists"), ("Heart Failure", "Community nurses")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["m@example.org", "--role", "manager", "--teams", "Pharmacists"], "needs a study"),
        (["e@example.org", "--role", "evaluator", "--study", "Nope"], 'no study named "Nope"'),
        (["m@example.org", "--role", "manager", "--study", "GM CLAHRC"], "needs the teams"),
        (
            [
                "m@example.org",
                "--role",
                "manager",
                "--study",
                "GM CLAHRC",
                "--teams",
                "Pharmacists",
            ],
            "used in several themes",
        ),
        (
            ["m@example.org", "--role", "manager", "--study", "GM CLAHRC", "--teams", "Ghosts"],
            'no team "Ghosts"',
        ),
        (["not-an-email", "--role", "admin"], "is not an email address"),
        (["a@example.org", "--role", "admin", "--teams", "Pharmacists"], "only managers"),
    ],
)
def test_create_user_refuses_bad_requests(
    sqlite_app: Flask, tmp_path: Path, args: list[str], message: str
) -> None:
    config = _config(sqlite_app.config["DATABASE_URL"], tmp_path)
    _study_with_teams(config)
    result = _invoke(config, ["create-user", *args, "--password-stdin"], stdin=PASSWORD + "\n")
    assert result.exit_code == 1
    assert message in result.stderr
    with sqlite_app.app_context():
        assert db.session.scalars(select(User)).all() == []
        assert db.session.scalars(select(AuditEvent)).all() == []


def test_create_user_refuses_a_short_password_and_a_duplicate(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    config = _config(sqlite_app.config["DATABASE_URL"], tmp_path)
    args = ["create-user", "a@example.org", "--role", "admin", "--password-stdin"]
    short = _invoke(config, args, stdin="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.stderr
    assert _invoke(config, args, stdin=PASSWORD + "\n").exit_code == 0
    again = _invoke(config, ["create-user", "A@example.org", *args[2:]], stdin=PASSWORD + "\n")
    assert again.exit_code == 1 and "already exists" in again.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
def test_serve_answers_healthz(sqlite_template: Path, tmp_path: Path) -> None:
    """``copkit serve`` on a database made by the migrations (as ``copkit init-db`` makes it)."""
    database = tmp_path / "copkit.sqlite3"
    shutil.copyfile(sqlite_template, database)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COPKIT_")},
        "COPKIT_DATABASE_URL": f"sqlite:///{database}",
        "COPKIT_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    server = subprocess.Popen(
        [_copkit(), "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    body = ""
    token = "secret-token-Zk3q9x"
    try:
        deadline = time.monotonic() + 90  # a start takes over 15 s on a busy 2-core machine
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read().decode()
                with pytest.raises(urllib.error.HTTPError):
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/s/{token}", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            log, errors = server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            log, errors = server.communicate()
    assert body.strip() == "ok", errors
    assert '"GET /healthz HTTP/1.1" 200' in log
    assert "/s/[token]" in log and token not in log + errors  # link tokens stay out of logs
    assert f"Listening at: http://127.0.0.1:{port}" in errors
    assert "warning" not in errors  # the schema was up to date


def test_serve_port_comes_from_the_port_variable() -> None:
    command = main.commands["serve"]
    port = next(p for p in command.params if p.name == "port")
    assert port.envvar == "PORT" and port.default == 5000


def test_wsgi_module_builds_the_app_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPKIT_DATABASE_URL", f"sqlite:///{tmp_path / 'w.sqlite3'}")
    monkeypatch.setenv("COPKIT_INSTANCE_PATH", str(tmp_path / "instance"))
    wsgi = importlib.import_module("survey_app.wsgi")
    wsgi.__dict__.pop("app", None)
    try:
        app = wsgi.app
        assert isinstance(app, Flask)
        assert app.config["DATABASE_URL"].endswith("w.sqlite3")
        assert wsgi.app is app
    finally:
        wsgi.__dict__.pop("app", None)
