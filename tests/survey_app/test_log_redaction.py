"""Link tokens never reach a log: not the app's error log, not a traceback, not a referrer."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from survey_app.extensions import db
from survey_app.log_redaction import RedactingFilter, redact_tokens
from tests.survey_app.conftest import make_test_app

SURVEY_TOKEN = "LeakCanarySurveyToken0123456789abcdefghijk"
RESET_TOKEN = "LeakCanaryResetToken.0123456789-abcdefghij"


@pytest.fixture
def broken_survey_app(sqlite_template: Path, tmp_path: Path) -> Iterator[Flask]:
    """An app whose survey lookup fails (its invitations table is gone): every link is a 500."""
    path = tmp_path / "copkit.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    app = make_test_app(f"sqlite:///{path}", tmp_path, PROPAGATE_EXCEPTIONS=False)
    with db.engine_for(app).begin() as connection:
        connection.execute(text("ALTER TABLE invitations RENAME TO invitations_gone"))
    yield app
    db.dispose(app)


def test_the_error_log_of_a_failing_survey_page_names_no_token(
    broken_survey_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    broken_survey_app.logger.addHandler(handler)
    try:
        with caplog.at_level(logging.ERROR):
            response = broken_survey_app.test_client().get(f"/s/{SURVEY_TOKEN}/page/2")
    finally:
        broken_survey_app.logger.removeHandler(handler)
    assert response.status_code == 500
    written = stream.getvalue()
    assert "Exception on /s/[token]/page/2 [GET]" in written
    assert "Traceback" in written and "invitations" in written  # the cause is still there
    assert SURVEY_TOKEN not in written
    captured = "\n".join(caplog.messages) + caplog.text
    assert "/s/[token]" in captured and SURVEY_TOKEN not in captured


def test_a_traceback_and_arguments_are_redacted_too() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("copkit.test.redaction")
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad link /auth/reset/{RESET_TOKEN}")
        except ValueError:
            logger.exception("request %s from %s", f"/s/{SURVEY_TOKEN}", "/auth/reset/x")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert SURVEY_TOKEN not in written and RESET_TOKEN not in written
    assert "request /s/[token] from /auth/reset/[token]" in written
    assert "ValueError: bad link /auth/reset/[token]" in written


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /s/abc/page/2?x=1 HTTP/1.1", "GET /s/[token]/page/2?x=1 HTTP/1.1"),
        ('"http://h/s/abc/thanks"', '"http://h/s/[token]/thanks"'),
        ("POST /auth/reset/a.b-c_d HTTP/1.1", "POST /auth/reset/[token] HTTP/1.1"),
        ("GET /static/copkit.css", "GET /static/copkit.css"),
    ],
)
def test_redact_tokens(line: str, expected: str) -> None:
    assert redact_tokens(line) == expected
