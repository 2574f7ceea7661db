"""A live copkit server in a background thread and Debian's Chromium driven by Playwright.

The browser is never downloaded: Playwright launches ``/usr/bin/chromium`` (``.ci/run``
installs Debian's package). Without it the tests are skipped, except under ``CI=true``,
where they fail.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from survey_app import migrate
from survey_app.database import make_engine
from survey_app.extensions import db
from survey_app.factory import create_app
from survey_app.models import Invitation, Member, Membership, Study, Team, Wave
from survey_app.tokens import hash_token
from tests.survey_app.survey_fixtures import SurveySetup, build_survey

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HELP_EMAIL = "cop-survey-help@example.nhs.uk"
SURVEY_INFORMATION = {
    "respondent_title": "Heart failure teams survey",
    "sponsor": "University of Salford, hosted by Salford Royal NHS Foundation Trust",
    "chief_investigator": "Dr Priya Raman",
    "ethics_reference": "IRAS 312345",
    "privacy_notice_url": "https://example.org/privacy",
    "contact_email": "hf-survey@example.nhs.uk",
}
"""The participant information of the live server's study (what respondents see)."""


@dataclass
class LiveServer:
    """The running app: its base URL, the Flask app (for the database) and the test data."""

    url: str
    app: Flask
    setup: SurveySetup

    def link(self, name: str) -> str:
        """The full URL of the fixture invitation ``name`` (see ``build_survey``)."""
        return f"{self.url}/s/{self.setup.tokens[name]}"

    def new_respondent(self) -> tuple[str, int]:
        """A new member of the heart failure team, invited to the open wave.

        Returns
        -------
        tuple of (str, int)
            The survey link and the invitation id.
        """
        token = secrets.token_urlsafe(32)
        with self.app.app_context():
            session = db.session
            team = session.get(Team, self.setup.team_id)
            wave = session.get(Wave, self.setup.open_wave_id)
            if team is None or wave is None:
                raise RuntimeError("the survey fixture is missing")
            number = len(session.scalars(select(Member.id)).all()) + 1
            member = Member(
                study_id=self.setup.study_id,
                name=f"Respondent {number}",
                email=f"respondent{number}@example.nhs.uk",
                profession="nurse",
                organisation="Salford Royal",
                organisation_type="acute trust",
            )
            membership = Membership(member=member, team=team, joined_on=date(2020, 1, 1))
            invitation = Invitation(membership=membership, wave=wave, token_hash=hash_token(token))
            session.add(invitation)
            session.commit()
            return f"{self.url}/s/{token}", invitation.id


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without the access log (the links carry tokens)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI=true: the browser tests must run", pytrace=False)
    pytest.skip(message)


def migrated_app(folder: Path, **config: Any) -> Flask:
    """copkit on a fresh SQLite database in ``folder``, made by the migrations.

    Parameters
    ----------
    folder : Path
        Where the database file (``copkit.sqlite3``) and the instance folder go.
    **config : Any
        Settings on top of ``TESTING``, ``DATABASE_URL``, a random ``SECRET_KEY`` and
        ``INSTANCE_PATH``.

    Returns
    -------
    Flask
        The app, not yet serving.
    """
    url = f"sqlite:///{folder / 'copkit.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_hex(32),
            "INSTANCE_PATH": str(folder / "instance"),
            **config,
        }
    )


@contextmanager
def serving(app: Flask, thread_name: str | None = None) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) from a background thread.

    On leaving, the server is shut down, its thread joined and the app's database engine
    disposed.

    Parameters
    ----------
    app : Flask
        The app to serve.
    thread_name : str, optional
        The serving thread's name (Python's default when omitted).

    Yields
    ------
    str
        The base URL, ``http://127.0.0.1:PORT``.
    """
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name=thread_name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        db.dispose(app)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """copkit on 127.0.0.1 (a free port) with a fresh migrated SQLite database."""
    app = migrated_app(
        tmp_path_factory.mktemp("live"), WTF_CSRF_ENABLED=True, HELP_EMAIL=HELP_EMAIL
    )
    with app.app_context():
        setup = build_survey(db.session)
        study = db.session.get(Study, setup.study_id)
        if study is None:
            raise RuntimeError("the survey fixture is missing")
        for name, value in SURVEY_INFORMATION.items():
            setattr(study, name, value)
        db.session.commit()
    with serving(app, "copkit-live") as url:
        yield LiveServer(url, app, setup)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, launched once per session."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (own cookies) with the app's Content-Security-Policy in force."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    """A fresh tab that may inject axe-core despite the app's CSP (``bypass_csp``)."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def narrow_page(browser: Any) -> Iterator[Any]:
    """A fresh tab 320 CSS pixels wide (a small phone, or 1280 pixels at 400% zoom)."""
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True)
    try:
        yield context.new_page()
    finally:
        context.close()
