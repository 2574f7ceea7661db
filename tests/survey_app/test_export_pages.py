"""The export download page: sign-in, role and study scope, CSRF, audited downloads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from analysis.bundle import read_bundle
from survey_app.extensions import db
from survey_app.models import AuditEvent, Study, Team, User, Wave
from survey_app.services import accounts
from survey_app.services.audit import Actor
from tests.survey_app.export_fixtures import MEMBERS, STUDY_NAME, ExportSetup, build_export_study
from tests.survey_app.staff_support import add_user, csrf_token, sign_in

EVALUATOR = "eva@example.org"
OTHER_EVALUATOR = "otto@example.org"
MANAGER = "manny@example.org"
ADMIN = "ada@example.org"


@pytest.fixture
def setup(app: Flask) -> ExportSetup:
    with app.app_context():
        session = db.session
        setup = build_export_study(session)
        study = session.get(Study, setup.study_id)
        other = Study(name="Other study")
        session.add(other)
        team = session.scalars(select(Team)).first()
        add_user(session, EVALUATOR, "evaluator", study=study)
        add_user(session, OTHER_EVALUATOR, "evaluator", study=other)
        add_user(session, MANAGER, "manager", study=study, teams=[team] if team else [])
        add_user(session, ADMIN, "admin")
        session.commit()
    return setup


def _exports(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == "study.export")
        return list(db.session.scalars(query))


def _download(
    client: FlaskClient, study_id: int, fmt: str, token: str | None = None
) -> TestResponse:
    data = {"export_format": fmt}
    if token is not None:
        data["csrf_token"] = token
    return client.post(f"/exports/{study_id}", data=data)


def test_signing_in_is_required(app: Flask, client: FlaskClient, setup: ExportSetup) -> None:
    page = client.get("/exports/")
    assert page.status_code == 302 and "/auth/" in page.headers["Location"]
    posted = _download(client, setup.study_id, "sav", csrf_token(client))
    assert posted.status_code == 302 and "/auth/" in posted.headers["Location"]
    assert _exports(app) == []


def test_an_evaluator_downloads_their_study_and_it_is_audited(
    app: Flask, client: FlaskClient, setup: ExportSetup, tmp_path: Path
) -> None:
    sign_in(client, EVALUATOR)
    page = client.get("/exports/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert STUDY_NAME in html and "Other study" not in html
    assert f'action="/exports/{setup.study_id}"' in html
    token = csrf_token(client, "/exports/")
    response = _download(client, setup.study_id, "sav", token)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "export-test-clahrc-data.sav" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    saved = tmp_path / "download.sav"
    saved.write_bytes(response.data)
    data, meta = pyreadstat.read_sav(str(saved))
    assert len(data) == 29 and str(meta.column_names_to_labels["me1"]).startswith("In this team")
    (event,) = _exports(app)
    assert event.actor == EVALUATOR and event.user_id is not None
    assert event.ip == "127.0.0.1" and event.study_id == setup.study_id
    assert (event.detail or {})["format"] == "sav"
    assert (event.detail or {})["file"] == "export-test-clahrc-data.sav"


def test_an_admin_downloads_a_bundle_without_names_or_emails(
    client: FlaskClient, setup: ExportSetup, tmp_path: Path
) -> None:
    token = sign_in(client, ADMIN)
    response = _download(client, setup.study_id, "bundle", token)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(response.data)
    downloaded = read_bundle(archive)
    assert downloaded.responses["respondent"].nunique() == 10
    assert downloaded.schedule["wave"].tolist() == [1, 2, 3]  # waves.csv: which waves are open
    with zipfile.ZipFile(io.BytesIO(response.data)) as opened:
        contents = [opened.read(name) for name in opened.namelist()]
    for name, email, *_ in MEMBERS.values():
        for secret in (name, email, name.split()[-1]):
            assert all(secret.encode() not in data for data in contents), secret


def test_an_evaluator_of_another_study_gets_404_and_nothing_is_audited(
    app: Flask, client: FlaskClient, setup: ExportSetup
) -> None:
    token = sign_in(client, OTHER_EVALUATOR)
    assert STUDY_NAME not in client.get("/exports/").get_data(as_text=True)
    assert _download(client, setup.study_id, "bundle", token).status_code == 404
    assert _download(client, 999_999, "bundle", token).status_code == 404
    assert _exports(app) == []


def test_a_manager_gets_403(app: Flask, client: FlaskClient, setup: ExportSetup) -> None:
    token = sign_in(client, MANAGER)
    assert client.get("/exports/").status_code == 403
    assert _download(client, setup.study_id, "wide-csv", token).status_code == 403
    assert _exports(app) == []


def test_a_download_needs_the_csrf_token_and_a_known_format(
    app: Flask, client: FlaskClient, setup: ExportSetup
) -> None:
    token = sign_in(client, EVALUATOR)
    assert _download(client, setup.study_id, "sav").status_code == 400
    assert _download(client, setup.study_id, "spss", token).status_code == 400
    assert _exports(app) == []


def test_an_export_that_cannot_be_made_is_explained_on_the_page(
    app: Flask, client: FlaskClient, setup: ExportSetup
) -> None:
    with app.app_context():
        wave = db.session.scalar(select(Wave).where(Wave.number == 3))
        assert wave is not None
        # Versions 1 and 2 of cop-health nest (and export together); another instrument does not.
        wave.instrument_id = "team-climate"
        db.session.commit()
    token = sign_in(client, EVALUATOR)
    response = _download(client, setup.study_id, "xlsx", token)
    assert response.status_code == 303 and response.headers["Location"].endswith("/exports/")
    page = client.get("/exports/").get_data(as_text=True)
    assert "did not all use one instrument" in page and "wave 3 used team-climate version 1" in page
    assert _exports(app) == []


def test_a_password_changed_elsewhere_signs_the_export_page_out(
    app: Flask, client: FlaskClient, setup: ExportSetup
) -> None:
    sign_in(client, EVALUATOR)
    assert client.get("/exports/").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == EVALUATOR))
        assert user is not None
        # An administrator sets a new password (the account page's reset, as a command would).
        accounts.reset_password(db.session, user, "lantern orchard velvet ninety", Actor.cli())
        db.session.commit()
    page = client.get("/exports/")
    assert page.status_code == 302 and "/auth/" in page.headers["Location"]
