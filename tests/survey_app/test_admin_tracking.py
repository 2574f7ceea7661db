"""Response tracking per wave and team, and the list of those who have not responded."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from survey_app.extensions import db
from survey_app.models import Invitation, Member, Membership, Study, Team, Wave, utcnow
from survey_app.services import invitations, tracking
from tests.survey_app.staff_support import StudyFixture, add_user, build_study, sign_in, text_of


@pytest.fixture
def progress(app: Flask) -> StudyFixture:
    """Wave 1 with: Bob submitted, Ann started in Ward 7 and was only invited to Community, and
    Cat's invitation failed to send."""
    with app.app_context():
        fixture = build_study(db.session, "CLAHRC")
        study = db.session.get(Study, fixture.study_id)
        ward = db.session.get(Team, fixture.team_ids["Ward 7"])
        assert study is not None and ward is not None
        add_user(db.session, "eval@example.org", "evaluator", study=study)
        add_user(db.session, "boss@example.org", "manager", study=study, teams=[ward])
        db.session.commit()
        wave = db.session.get(Wave, fixture.wave_id)
        assert wave is not None
        invitations.ensure_invitations(db.session, wave, "test")
        now = utcnow()
        ids = {
            (email, team): invitation_id
            for invitation_id, email, team in db.session.execute(
                select(Invitation.id, Member.email, Team.name)
                .join(Membership, Invitation.membership_id == Membership.id)
                .join(Member)
                .join(Team)
            )
        }
        values: dict[tuple[str, str], dict[str, Any]] = {
            ("bob@example.org", "Ward 7"): {"sent_at": now, "started_at": now, "submitted_at": now},
            ("ann@example.org", "Ward 7"): {"sent_at": now, "started_at": now, "reminded_count": 1},
            ("ann@example.org", "Community"): {"sent_at": now},
            ("cat@example.org", "Renal"): {"send_error": "550 mailbox unavailable"},
        }
        for key, change in values.items():
            db.session.execute(update(Invitation).where(Invitation.id == ids[key]).values(**change))
        db.session.commit()
    return fixture


def _cells(page: str, label: str) -> list[str]:
    """The cells of the table row headed ``label``."""
    row = re.search(rf"<th scope=\"row\">{re.escape(label)}</th>(.*?)</tr>", page, re.S)
    assert row is not None, label
    return [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)]


def test_counts_per_team_and_in_total(app: Flask, progress: StudyFixture) -> None:
    with app.app_context():
        study = db.session.get(Study, progress.study_id)
        wave = db.session.get(Wave, progress.wave_id)
        assert study is not None and wave is not None
        result = tracking.wave_tracking(db.session, study, wave)
        rows = {row.label: row for row in result.teams}
        ward = rows["Heart failure / Ward 7"]
        assert (ward.members, ward.invited, ward.started, ward.submitted) == (2, 2, 2, 1)
        assert ward.response_rate == 0.5
        renal = rows["CKD / Renal"]
        assert (renal.invited, renal.unsent, renal.failed, renal.response_rate) == (0, 1, 1, None)
        assert result.total is not None
        assert (result.total.members, result.total.invited, result.total.submitted) == (4, 3, 1)
        assert result.total.response_rate == pytest.approx(1 / 3)


def test_the_tracking_page_for_evaluators(app: Flask, progress: StudyFixture) -> None:
    client = app.test_client()
    sign_in(client, "eval@example.org")
    page = text_of(
        client.get(f"/admin/studies/{progress.study_id}/waves/{progress.wave_id}/tracking")
    )
    assert _cells(page, "Heart failure / Ward 7") == ["2", "2", "0", "2", "1", "50%"]
    assert _cells(page, "Heart failure / Community") == ["1", "1", "0", "0", "0", "0%"]
    assert _cells(page, "CKD / Renal") == ["1", "0", "1 (1 failed)", "0", "0", "–"]
    assert _cells(page, "All teams shown") == ["4", "3", "1 (1 failed)", "2", "1", "33%"]
    assert "Who has not responded" in page


def test_managers_see_their_teams_counts_only(app: Flask, progress: StudyFixture) -> None:
    client = app.test_client()
    sign_in(client, "boss@example.org")
    url = f"/admin/studies/{progress.study_id}/waves/{progress.wave_id}"
    page = text_of(client.get(f"{url}/tracking"))
    assert _cells(page, "Heart failure / Ward 7") == ["2", "2", "0", "2", "1", "50%"]
    assert "Community" not in page and "Renal" not in page and "All teams shown" not in page
    assert "Ann Tester" not in page
    assert client.get(f"{url}/non-responders").status_code == 403
    home = text_of(client.get("/admin/"))
    assert "Wave 1" in home and "Heart failure / Ward 7" in home and "Renal" not in home


def test_non_responders_for_evaluators(app: Flask, progress: StudyFixture) -> None:
    client = app.test_client()
    sign_in(client, "eval@example.org")
    page = text_of(
        client.get(f"/admin/studies/{progress.study_id}/waves/{progress.wave_id}/non-responders")
    )
    assert "Bob Tester" not in page  # submitted
    assert page.count('<th scope="row">Ann Tester') == 2  # two teams, two invitations
    assert page.count('Show link<span class="visually-hidden"> of Ann Tester') == 2
    assert "Cat Tester" in page and "sending failed" in page and "550 mailbox unavailable" in page
    with app.app_context():
        wave = db.session.get(Wave, progress.wave_id)
        assert wave is not None
        people = tracking.non_responders(db.session, wave)
    assert [(p.name, p.team, p.status, p.reminded_count) for p in people] == [
        ("Cat Tester", "CKD / Renal", "sending failed", 0),
        ("Ann Tester", "Heart failure / Community", "invited", 0),
        ("Ann Tester", "Heart failure / Ward 7", "started", 1),
    ]
