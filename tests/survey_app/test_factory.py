"""The application factory: layered configuration, blueprints, error pages and headers."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from flask import Flask, abort, request

from survey_app.config import instance_secret_key
from survey_app.extensions import db
from survey_app.factory import create_app


def _app(tmp_path: Path, **config: object) -> Flask:
    return create_app({"INSTANCE_PATH": str(tmp_path / "instance"), **config})


def test_defaults(tmp_path: Path) -> None:
    app = _app(tmp_path)
    instance = tmp_path / "instance"
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'copkit.sqlite3'}"
    assert app.config["MIN_CELL"] == 5
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMINDER_LIMIT"] == 2
    assert app.config["WTF_CSRF_ENABLED"] is True
    for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS"):
        assert key in app.config
    assert app.config["MAIL_FROM"] and app.config["BASE_URL"]
    assert instance.is_dir()  # made for the default SQLite database
    db.dispose(app)


def test_secure_cookie_off_only_when_testing_debugging_or_configured(tmp_path: Path) -> None:
    assert _app(tmp_path, TESTING=True).config["SESSION_COOKIE_SECURE"] is False
    assert _app(tmp_path, DEBUG=True).config["SESSION_COOKIE_SECURE"] is False
    configured = _app(tmp_path, TESTING=True, SESSION_COOKIE_SECURE=True)
    assert configured.config["SESSION_COOKIE_SECURE"] is True
    assert _app(tmp_path, SESSION_COOKIE_SECURE=False).config["SESSION_COOKIE_SECURE"] is False


def test_environment_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPKIT_MIN_CELL", "7")
    monkeypatch.setenv("COPKIT_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("COPKIT_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    app = _app(tmp_path)
    assert app.config["MIN_CELL"] == 7
    assert app.config["SMTP_HOST"] == "mail.example.org"
    assert app.config["DATABASE_URL"].endswith("env.sqlite3")


def test_mapping_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPKIT_MIN_CELL", "7")
    assert _app(tmp_path, MIN_CELL=10).config["MIN_CELL"] == 10


def test_instance_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPKIT_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    app = create_app()
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / "secret_key").exists()


def test_configuration_is_read_when_the_app_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _app(tmp_path)
    monkeypatch.setenv("COPKIT_MIN_CELL", "9")
    second = _app(tmp_path)
    assert (first.config["MIN_CELL"], second.config["MIN_CELL"]) == (5, 9)


@pytest.mark.slow
def test_importing_reads_no_configuration(tmp_path: Path) -> None:
    """Importing the package touches neither the environment's database nor the instance folder."""
    instance = tmp_path / "instance"
    code = (
        "import survey_app.factory, survey_app.cli, survey_app.models, survey_app.extensions\n"
        "import survey_app.migrate, survey_app.services.accounts\n"
        "from survey_app.extensions import db\n"
        "try:\n"
        "    db.engine\n"
        "except RuntimeError:\n"
        "    print('unbound')\n"
    )
    env = {
        **os.environ,
        "COPKIT_INSTANCE_PATH": str(instance),
        "COPKIT_DATABASE_URL": "nonsense://",
        "COPKIT_MIN_CELL": "not a number",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "unbound"
    assert not instance.exists()


@pytest.mark.parametrize(
    ("key", "value"), [("MIN_CELL", 0), ("MIN_CELL", "5"), ("REMINDER_LIMIT", -1)]
)
def test_out_of_range_settings_are_refused(tmp_path: Path, key: str, value: object) -> None:
    with pytest.raises(ValueError, match=key):
        _app(tmp_path, **{key: value})


def test_secret_key_is_created_once_with_private_permissions(tmp_path: Path) -> None:
    first = _app(tmp_path)
    second = _app(tmp_path)
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert _app(tmp_path, SECRET_KEY="given").config["SECRET_KEY"] == "given"


def test_workers_starting_together_share_one_secret_key(tmp_path: Path) -> None:
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(instance_secret_key(tmp_path / "instance"))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [path.name for path in (tmp_path / "instance").iterdir()] == ["secret_key"]


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Team survey"),
        ("/auth/", "Staff sign-in"),
    ],
)
def test_blueprint_pages(sqlite_app: Flask, path: str, heading: str) -> None:
    response = sqlite_app.test_client().get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page
    assert '<html lang="en">' in page
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "/static/copkit.css" in page


def test_healthz(sqlite_app: Flask) -> None:
    response = sqlite_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).strip() == "ok"


def test_healthz_reports_an_unreachable_database(tmp_path: Path) -> None:
    app = _app(tmp_path, TESTING=True, DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/x.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "database unavailable" in response.get_data(as_text=True)
    db.dispose(app)


def test_security_headers(sqlite_app: Flask) -> None:
    response = sqlite_app.test_client().get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_client_address_through_trusted_proxies(tmp_path: Path, proxies: int, seen: str) -> None:
    app = _app(tmp_path, TESTING=True, TRUSTED_PROXIES=proxies)
    app.add_url_rule("/whoami", view_func=lambda: request.remote_addr or "")
    response = app.test_client().get(
        "/whoami",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.get_data(as_text=True) == seen


def test_stylesheet_is_served(sqlite_app: Flask) -> None:
    response = sqlite_app.test_client().get("/static/copkit.css")
    assert response.status_code == 200
    assert "min-height: 44px" in response.get_data(as_text=True)
    response.close()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")


def test_templates_have_no_inline_styles_or_scripts() -> None:
    templates = Path(__file__).resolve().parents[2] / "survey_app" / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "style=" not in text and "<style" not in text, template
        # Scripts come from files under the CSP's script-src 'self'; none is written inline.
        assert not INLINE_SCRIPT.search(text), template


def _error_app(tmp_path: Path) -> Flask:
    app = _app(tmp_path, TESTING=True, MAX_CONTENT_LENGTH=1000, PROPAGATE_EXCEPTIONS=False)

    def forbidden() -> str:
        abort(403)

    def broken() -> str:
        raise RuntimeError("boom")

    def form() -> str:
        return "saved"

    app.add_url_rule("/forbidden", view_func=forbidden)
    app.add_url_rule("/broken", view_func=broken)
    app.add_url_rule("/form", view_func=form, methods=["POST"])
    return app


@pytest.mark.parametrize(
    ("method", "path", "data", "code", "text"),
    [
        ("get", "/no/such/page", None, 404, "Page not found"),
        ("get", "/forbidden", None, 403, "You do not have access to this page"),
        ("get", "/broken", None, 500, "Something went wrong on our side"),
        ("post", "/form", {"answer": "1"}, 400, "did not come from this site"),
        ("post", "/form", {"answer": "x" * 5000}, 413, "too large"),
    ],
)
def test_error_pages(
    tmp_path: Path, method: str, path: str, data: dict[str, str] | None, code: int, text: str
) -> None:
    client = _error_app(tmp_path).test_client()
    response = getattr(client, method)(path, data=data)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert text in page
    assert '<html lang="en">' in page and "boom" not in page
