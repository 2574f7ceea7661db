"""The staff navigation links every staff area a role may use, and nothing else."""

from __future__ import annotations

import pytest
from flask import Flask

from survey_app.extensions import db
from survey_app.models import Study, Team
from tests.survey_app.staff_support import add_user, build_study, sign_in, text_of


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("admin", ["Studies", "Results", "Exports", "Audit log", "Staff accounts"], []),
        ("evaluator", ["Studies", "Results", "Exports", "Audit log"], ["Staff accounts"]),
        ("manager", ["Studies", "Results"], ["Exports", "Audit log", "Staff accounts"]),
    ],
)
def test_navigation_by_role(app: Flask, role: str, shown: list[str], hidden: list[str]) -> None:
    with app.app_context():
        fixture = build_study(db.session, "Navigation study")
        study = db.session.get(Study, fixture.study_id)
        ward = db.session.get(Team, fixture.team_ids["Ward 7"])
        teams = [ward] if role == "manager" and ward is not None else []
        scope = None if role == "admin" else study
        add_user(db.session, f"{role}@example.org", role, study=scope, teams=teams)
        db.session.commit()
    client = app.test_client()
    sign_in(client, f"{role}@example.org")
    for path in ("/admin/", "/dashboard/"):
        page = text_of(client.get(path, follow_redirects=True))
        for label in shown:
            assert label in page, (path, label)
        for label in hidden:
            assert label not in page, (path, label)
