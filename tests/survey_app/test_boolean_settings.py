"""On/off settings from the environment mean what they say, and HTTPS pages carry HSTS."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from survey_app.extensions import db
from survey_app.factory import create_app

OFF = ("0", "false", "False", "no", "NO", "off", " Off ")
ON = ("1", "true", "True", "yes", "on", "ON")


def _app(tmp_path: Path, **config: object) -> Flask:
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "SECRET_KEY": "k" * 40,
            **config,
        }
    )
    db.dispose(app)
    return app


def _session_cookie(app: Flask) -> str:
    client = app.test_client()
    response = client.get("/auth/")  # the sign-in form puts its CSRF token in the session
    cookies = [
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")
    ]
    assert len(cookies) == 1, response.headers
    return cookies[0]


@pytest.mark.parametrize("word", OFF)
def test_an_off_word_turns_secure_cookies_and_hsts_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, word: str
) -> None:
    monkeypatch.setenv("COPKIT_SESSION_COOKIE_SECURE", word)
    app = _app(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is False
    cookie = _session_cookie(app)
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers


@pytest.mark.parametrize("word", ON)
def test_an_on_word_turns_secure_cookies_and_hsts_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, word: str
) -> None:
    monkeypatch.setenv("COPKIT_SESSION_COOKIE_SECURE", word)
    app = _app(tmp_path, TESTING=True)  # testing alone would turn it off
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "; Secure" in _session_cookie(app)
    for path in ("/", "/auth/", "/healthz"):
        hsts = app.test_client().get(path).headers.get("Strict-Transport-Security")
        assert hsts == "max-age=31536000", path


def test_hsts_can_be_turned_off_or_shortened(tmp_path: Path) -> None:
    app = _app(tmp_path, SESSION_COOKIE_SECURE=True, HSTS_SECONDS=0)
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers
    app = _app(tmp_path, SESSION_COOKIE_SECURE=True, HSTS_SECONDS=600)
    assert app.test_client().get("/").headers["Strict-Transport-Security"] == "max-age=600"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("COPKIT_SMTP_STARTTLS", "SMTP_STARTTLS"),
        ("COPKIT_WTF_CSRF_ENABLED", "WTF_CSRF_ENABLED"),
        ("COPKIT_DATABASE_ECHO", "DATABASE_ECHO"),
        ("COPKIT_DEBUG", "DEBUG"),
    ],
)
def test_every_boolean_setting_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, key: str
) -> None:
    for word, expected in (("no", False), ("off", False), ("yes", True), ("on", True)):
        monkeypatch.setenv(name, word)
        assert _app(tmp_path).config[key] is expected, (name, word)


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_a_word_that_is_neither_on_nor_off_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("COPKIT_SESSION_COOKIE_SECURE", value)
    with pytest.raises(ValueError, match="SESSION_COOKIE_SECURE must be on or off"):
        _app(tmp_path)
