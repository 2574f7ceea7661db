"""Members' optional role: roster import, the member page, and the export's roster ``role``."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.extensions import db
from survey_app.models import Member, Study
from survey_app.services.export import export_bundle, pseudonym
from tests.survey_app.export_fixtures import SECRET, build_export_study
from tests.survey_app.staff_support import add_user, csrf_token, sign_in, text_of

HEADER = "team,name,email,profession,organisation,organisation_type"
WITH_ROLES = f"""{HEADER},role
Ward 7,Ann Smith,ann@example.org,nurse,Trust A,acute trust,KTA
Ward 7,Bob Jones,bob@example.org,GP,Practice B,general practice,
Renal,Cat Lee,cat@example.org,pharmacist,Trust A,acute trust, clinical lead
"""


@pytest.fixture
def desk(app: Flask) -> tuple[Flask, Any, str, int]:
    with app.app_context():
        study = Study(name="Roles study")
        db.session.add(study)
        db.session.flush()
        add_user(db.session, "eval@example.org", "evaluator", study=study)
        study_id = study.id
        db.session.commit()
    client = app.test_client()
    token = sign_in(client, "eval@example.org")
    return app, client, token, study_id


def _upload(client: Any, token: str, study_id: int, text: str) -> Any:
    return client.post(
        f"/admin/studies/{study_id}/roster",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )


def _roles(app: Flask) -> dict[str, str]:
    with app.app_context():
        return {
            email: role for email, role in db.session.execute(select(Member.email, Member.role))
        }


def test_the_roster_role_column_is_optional_and_a_file_without_it_keeps_roles(
    desk: tuple[Flask, Any, str, int],
) -> None:
    app, client, token, study_id = desk
    assert _upload(client, token, study_id, WITH_ROLES).status_code == 302
    expected = {"ann@example.org": "KTA", "bob@example.org": "", "cat@example.org": "clinical lead"}
    assert _roles(app) == expected
    without = "\n".join(line.rsplit(",", 1)[0] for line in WITH_ROLES.splitlines()) + "\n"
    assert without.startswith(f"{HEADER}\n")
    again = _upload(client, token, study_id, without)
    assert "nothing to change" in text_of(client.get(again.headers["Location"]))
    assert _roles(app) == expected
    cleared = _upload(client, token, study_id, WITH_ROLES.replace(",KTA", ","))
    assert cleared.status_code == 302
    assert _roles(app)["ann@example.org"] == ""


def test_a_role_too_long_names_its_line_and_imports_nothing(
    desk: tuple[Flask, Any, str, int],
) -> None:
    app, client, token, study_id = desk
    response = _upload(client, token, study_id, WITH_ROLES.replace("KTA", "K" * 101))
    assert response.status_code == 422
    assert "line 2:" in text_of(response) and "role" in text_of(response)
    assert _roles(app) == {}


def test_the_member_page_shows_and_edits_the_role(desk: tuple[Flask, Any, str, int]) -> None:
    app, client, token, study_id = desk
    _upload(client, token, study_id, WITH_ROLES)
    with app.app_context():
        ann = db.session.scalars(select(Member).where(Member.email == "ann@example.org")).one()
        url = f"/admin/studies/{study_id}/members/{ann.id}"
    page = text_of(client.get(url))
    assert "Role (optional)" in page and 'value="KTA"' in page
    details = {
        "csrf_token": csrf_token(client, url),
        "name": "Ann Smith",
        "email": "ann@example.org",
        "profession": "nurse",
        "organisation": "Trust A",
        "organisation_type": "acute trust",
        "role": " facilitator ",
    }
    assert client.post(url, data=details).status_code == 302
    assert _roles(app)["ann@example.org"] == "facilitator"
    listing = text_of(client.get(f"/admin/studies/{study_id}/members?q=facilitator"))
    assert '<span class="muted">facilitator</span>' in listing
    assert "Ann Smith" in listing and "Bob Jones" not in listing
    too_long = client.post(url, data={**details, "role": "x" * 101})
    assert too_long.status_code == 422
    assert _roles(app)["ann@example.org"] == "facilitator"


@pytest.mark.slow
def test_the_export_writes_role_only_when_someone_has_one(session: Session) -> None:
    setup = build_export_study(session)
    study = session.get(Study, setup.study_id)
    assert study is not None
    assert "role" not in export_bundle(session, study).roster.columns
    kta = session.get(Member, setup.member_ids["bernard"])
    assert kta is not None
    kta.role = "KTA"
    session.commit()
    roster = export_bundle(session, study).roster
    roles = dict(zip(roster["respondent"], roster["role"].fillna(""), strict=True))
    assert roles.pop(pseudonym(SECRET, kta.id)) == "KTA"
    assert set(roles.values()) == {""}
