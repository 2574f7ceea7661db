"""Staff account pages (admins only): list, create, change, deactivate, reactivate and reset a
password, each audited; bad input re-shown with its problem at its field and nothing stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import check_password_hash

from survey_app.extensions import db
from survey_app.models import AuditEvent, Study, Team, User
from tests.survey_app.staff_support import (
    PASSWORD,
    StudyFixture,
    add_user,
    audit_actions,
    build_study,
    count,
    csrf_token,
    post,
    sign_in,
    text_of,
)

NEW_PASSWORD = "a fresh long password"


@dataclass
class Office:
    """An admin signed in, study A (with a manager and an evaluator) and study B."""

    app: Flask
    client: FlaskClient
    token: str
    a: StudyFixture
    b: StudyFixture
    admin_id: int
    manager_id: int
    evaluator_id: int

    def new(self, **fields: Any) -> Any:
        return post(self.client, "/admin/users/new", self.token, fields)

    def user(self, email: str) -> User | None:
        return db.session.scalar(select(User).where(User.email == email))


@pytest.fixture
def office(app: Flask) -> Office:
    with app.app_context():
        a = build_study(db.session, "Study A")
        b = build_study(db.session, "Study B")
        study_a = db.session.get(Study, a.study_id)
        admin = add_user(db.session, "root@example.org", "admin")
        ward = db.session.get(Team, a.team_ids["Ward 7"])
        assert ward is not None
        manager = add_user(
            db.session, "manager@example.org", "manager", study=study_a, teams=[ward]
        )
        evaluator = add_user(db.session, "eval@example.org", "evaluator", study=study_a)
        ids = (admin.id, manager.id, evaluator.id)
        db.session.commit()
    client = app.test_client()
    token = sign_in(client, "root@example.org")
    return Office(app, client, token, a, b, *ids)


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_list_shows_every_account(office: Office) -> None:
    page = office.client.get("/admin/users")
    assert page.status_code == 200
    body = text_of(page)
    for email in ("root@example.org", "manager@example.org", "eval@example.org"):
        assert email in body
    assert "Heart failure / Ward 7" in body and "Study A" in body and "Active" in body
    assert 'href="/admin/users"' in text_of(office.client.get("/admin/"))


def test_an_admin_creates_a_manager(office: Office) -> None:
    response = office.new(
        email=" New.Manager@Example.org ",
        role="manager",
        studies=office.a.study_id,
        teams=[office.a.team_ids["Ward 7"], office.a.team_ids["Renal"]],
        password=NEW_PASSWORD,
    )
    assert response.status_code == 303
    page = text_of(office.client.get(response.headers["Location"]))
    assert "Account new.manager@example.org created" in page
    with office.app.app_context():
        user = office.user("new.manager@example.org")
        assert user is not None and user.role == "manager"
        assert [study.id for study in user.studies] == [office.a.study_id]
        assert sorted(link.team_id for link in user.managed_teams) == sorted(
            [office.a.team_ids["Ward 7"], office.a.team_ids["Renal"]]
        )
        assert check_password_hash(user.password_hash, NEW_PASSWORD)
    [event] = _events(office.app, "user.create")
    assert event.actor == "root@example.org" and event.user_id == office.admin_id
    assert NEW_PASSWORD not in str(event.detail)
    fresh = office.app.test_client()
    sign_in(fresh, "new.manager@example.org", NEW_PASSWORD)


def test_an_admin_creates_an_admin_without_a_study(office: Office) -> None:
    response = office.new(email="second@example.org", role="admin", password=PASSWORD)
    assert response.status_code == 303
    with office.app.app_context():
        user = office.user("second@example.org")
        assert user is not None and user.role == "admin" and user.studies == []


def test_an_evaluator_may_start_with_no_study_or_work_on_several(office: Office) -> None:
    fresh = office.new(email="fresh@example.org", role="evaluator", password=NEW_PASSWORD)
    assert fresh.status_code == 303
    both = office.new(
        email="both@example.org",
        role="evaluator",
        studies=[office.a.study_id, office.b.study_id],
        password=NEW_PASSWORD,
    )
    assert both.status_code == 303
    with office.app.app_context():
        user = office.user("fresh@example.org")
        assert user is not None and user.studies == []
        user = office.user("both@example.org")
        assert user is not None
        assert sorted(study.id for study in user.studies) == sorted(
            [office.a.study_id, office.b.study_id]
        )
    page = text_of(office.client.get("/admin/users"))
    row = page.split("both@example.org")[2].split("</tr>")[0]
    assert "Study A; Study B" in row


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"email": "MANAGER@example.org", "role": "evaluator", "study": "A"},
            "email",
            "a user manager@example.org already exists",
        ),
        (
            {"email": "x@example.org", "role": "evaluator", "study": "A", "password": "short"},
            "password",
            "the password must have at least 10 characters",
        ),
        (
            {"email": "x@example.org", "role": "manager", "study": "A"},
            "teams",
            "a manager needs the teams they manage",
        ),
        (
            {"email": "x@example.org", "role": "manager", "study": "A", "teams": "B:Renal"},
            "teams",
            "is not in the account&#39;s studies",
        ),
        (
            {"email": "x@example.org", "role": "manager", "study": 0, "teams": "A:Renal"},
            "studies",
            "a manager needs a study",
        ),
        (
            {"email": "x@example.org", "role": "evaluator", "study": "A", "teams": "A:Renal"},
            "teams",
            "only managers have teams",
        ),
        ({"email": "not-an-email", "role": "admin"}, "email", "is not an email address"),
        ({"email": "x@example.org", "role": "owner"}, "role", "Not a valid choice"),
        ({"email": "", "role": "admin"}, "email", "Enter the email address"),
    ],
)
def test_bad_new_accounts_are_refused_and_nothing_is_stored(
    office: Office, fields: dict[str, Any], field: str, message: str
) -> None:
    data: dict[str, Any] = {"password": NEW_PASSWORD, **fields}
    study_name = data.pop("study", 0)
    if study_name == "A":
        data["studies"] = office.a.study_id
    if "teams" in data:
        study, team = data["teams"].split(":")
        data["teams"] = (office.a if study == "A" else office.b).team_ids[team]
    users_before = count(office.app, User)
    actions_before = audit_actions(office.app)
    response = office.new(**data)
    assert response.status_code == 422
    body = text_of(response)
    assert f'id="{field}-error"' in body
    error = body.split(f'id="{field}-error"')[1].split("</p>")[0]
    assert message in error, error
    assert "There is a problem" in body
    assert count(office.app, User) == users_before
    assert audit_actions(office.app) == actions_before
    assert NEW_PASSWORD not in body  # the password is never sent back


def test_an_admin_changes_role_study_and_teams(office: Office) -> None:
    path = f"/admin/users/{office.manager_id}"
    page = text_of(office.client.get(path))
    assert 'id="teams-{}" checked'.format(office.a.team_ids["Ward 7"]) in page
    response = post(
        office.client,
        path,
        office.token,
        {"role": "manager", "studies": office.b.study_id, "teams": [office.b.team_ids["Renal"]]},
    )
    assert response.status_code == 303
    assert "updated" in text_of(office.client.get(response.headers["Location"]))
    with office.app.app_context():
        user = office.user("manager@example.org")
        assert user is not None and [study.id for study in user.studies] == [office.b.study_id]
        assert [link.team_id for link in user.managed_teams] == [office.b.team_ids["Renal"]]
    [event] = _events(office.app, "user.update")
    assert event.detail is not None
    assert event.detail["changes"]["studies"] == [[office.a.study_id], [office.b.study_id]]
    to_evaluator = post(
        office.client, path, office.token, {"role": "evaluator", "studies": office.b.study_id}
    )
    assert to_evaluator.status_code == 303
    with office.app.app_context():
        user = office.user("manager@example.org")
        assert user is not None and user.role == "evaluator" and user.managed_teams == []
    assert len(_events(office.app, "user.update")) == 2
    same = post(
        office.client, path, office.token, {"role": "evaluator", "studies": office.b.study_id}
    )
    assert same.status_code == 303
    assert "Nothing was changed" in text_of(office.client.get(same.headers["Location"]))
    assert len(_events(office.app, "user.update")) == 2


def test_bad_changes_are_refused(office: Office) -> None:
    path = f"/admin/users/{office.manager_id}"
    before = audit_actions(office.app)
    foreign = post(
        office.client,
        path,
        office.token,
        {"role": "manager", "studies": office.a.study_id, "teams": [office.b.team_ids["Renal"]]},
    )
    assert foreign.status_code == 422
    assert 'id="teams-error"' in text_of(foreign)
    no_study = post(office.client, path, office.token, {"role": "manager"})
    assert no_study.status_code == 422
    assert "a manager needs a study" in text_of(no_study)
    with office.app.app_context():
        user = office.user("manager@example.org")
        assert user is not None and [study.id for study in user.studies] == [office.a.study_id]
        assert [link.team_id for link in user.managed_teams] == [office.a.team_ids["Ward 7"]]
    assert audit_actions(office.app) == before
    assert office.client.get("/admin/users/999999").status_code == 404


def test_deactivation_ends_sessions_and_sign_in_until_reactivated(office: Office) -> None:
    victim = office.app.test_client()
    sign_in(victim, "eval@example.org")
    assert victim.get("/admin/").status_code == 200
    path = f"/admin/users/{office.evaluator_id}"
    response = post(office.client, f"{path}/deactivate", office.token)
    assert response.status_code == 303
    assert "deactivated" in text_of(office.client.get(response.headers["Location"]))
    assert victim.get("/admin/").status_code == 302  # the open session is over
    again = office.app.test_client()
    refused = post(
        again,
        "/auth/",
        csrf_token(again),
        {"email": "eval@example.org", "password": PASSWORD},
    )
    assert refused.status_code == 200 and "not right" in text_of(refused)
    twice = post(office.client, f"{path}/deactivate", office.token)
    assert twice.status_code == 422 and "already deactivated" in text_of(twice)
    assert post(office.client, f"{path}/reactivate", office.token).status_code == 303
    sign_in(office.app.test_client(), "eval@example.org")
    actions = audit_actions(office.app)
    assert actions.count("user.deactivate") == 1 and actions.count("user.reactivate") == 1


def test_a_reset_password_works_and_the_old_one_does_not(office: Office) -> None:
    victim = office.app.test_client()
    sign_in(victim, "eval@example.org")
    path = f"/admin/users/{office.evaluator_id}/password"
    short = post(office.client, path, office.token, {"password": "short"})
    assert short.status_code == 422
    assert "at least 10 characters" in text_of(short).split('id="password-error"')[1]
    response = post(office.client, path, office.token, {"password": NEW_PASSWORD})
    assert response.status_code == 303
    assert victim.get("/admin/").status_code == 302  # other sessions end
    fresh = office.app.test_client()
    old = post(
        fresh, "/auth/", csrf_token(fresh), {"email": "eval@example.org", "password": PASSWORD}
    )
    assert old.status_code == 200 and "not right" in text_of(old)
    sign_in(office.app.test_client(), "eval@example.org", NEW_PASSWORD)
    [event] = _events(office.app, "user.password_reset")
    assert event.object_id == str(office.evaluator_id)
    assert NEW_PASSWORD not in str(event.detail) and "short" not in str(event.detail)


def test_an_admin_cannot_demote_deactivate_or_reset_themselves(office: Office) -> None:
    path = f"/admin/users/{office.admin_id}"
    before = audit_actions(office.app)
    demote = post(
        office.client, path, office.token, {"role": "evaluator", "studies": office.a.study_id}
    )
    assert demote.status_code == 422
    assert "you cannot change your own role" in text_of(demote)
    deactivate = post(office.client, f"{path}/deactivate", office.token)
    assert deactivate.status_code == 422
    assert "you cannot deactivate your own account" in text_of(deactivate)
    reset = post(office.client, f"{path}/password", office.token, {"password": NEW_PASSWORD})
    assert reset.status_code == 422
    assert "to change your own password, use the Change password page" in text_of(reset)
    with office.app.app_context():
        me = office.user("root@example.org")
        assert me is not None and me.role == "admin" and me.is_active
        assert check_password_hash(me.password_hash, PASSWORD)
    assert audit_actions(office.app) == before
    assert office.client.get("/admin/users").status_code == 200  # still signed in


ROUTES = [
    ("GET", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
    ("GET", "/admin/users/{id}"),
    ("POST", "/admin/users/{id}"),
    ("POST", "/admin/users/{id}/password"),
    ("POST", "/admin/users/{id}/deactivate"),
    ("POST", "/admin/users/{id}/reactivate"),
]


@pytest.mark.parametrize("email", ["eval@example.org", "manager@example.org", None])
def test_only_admins_reach_the_account_pages(office: Office, email: str | None) -> None:
    client = office.app.test_client()
    token = sign_in(client, email) if email else csrf_token(client)
    before = audit_actions(office.app)
    for method, template in ROUTES:
        path = template.format(id=office.evaluator_id)
        if method == "GET":
            response = client.get(path)
        else:
            response = post(
                client,
                path,
                token,
                {"email": "x@example.org", "role": "admin", "password": NEW_PASSWORD},
            )
        if email is None:
            assert response.status_code == 302, (method, path)
            assert response.headers["Location"].startswith("/auth/"), (method, path)
        else:
            assert response.status_code == 403, (email, method, path)
    assert audit_actions(office.app) == before
    assert count(office.app, User) == 3


def test_posts_need_the_csrf_token(office: Office) -> None:
    response = office.client.post(
        "/admin/users/new",
        data={"email": "x@example.org", "role": "admin", "password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert count(office.app, User) == 3
