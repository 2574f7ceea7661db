"""Roles and scopes: every administration route refuses the wrong role (403) and another study's
or team's objects (404), and every form refuses a POST without its CSRF token (400)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Intervention, Invitation, Study, Team, Theme, Wave
from survey_app.tokens import hash_token
from tests.survey_app.staff_support import (
    StudyFixture,
    add_user,
    build_study,
    csrf_token,
    post,
    sign_in,
)

Url = Callable[[StudyFixture], str]


@dataclass(frozen=True)
class Route:
    """An administration endpoint: its methods, who may use it, and its address in a study."""

    methods: tuple[str, ...]
    roles: frozenset[str]
    url: Url
    team_scoped: bool = False  # a manager may use it for the teams they manage only
    study_scoped: bool = True


ALL = frozenset({"admin", "evaluator", "manager"})
STAFF = frozenset({"admin", "evaluator"})


def _s(f: StudyFixture) -> str:
    return f"/admin/studies/{f.study_id}"


def _w(f: StudyFixture) -> str:
    return f"{_s(f)}/waves/{f.wave_id}"


def _i(f: StudyFixture) -> str:
    """An invitation of the study's wave (Bob's, in Ward 7)."""
    return f"{_w(f)}/invitations/{f.extra['invitation_id']}"


def _u(f: StudyFixture) -> str:
    """A staff account (the study's evaluator): accounts belong to no study's address."""
    return f"/admin/users/{f.extra['user_id']}"


ADMINS = frozenset({"admin"})


ROUTES: dict[str, Route] = {
    "admin.index": Route(("GET",), ALL, lambda f: "/admin/", study_scoped=False),
    "admin.audit_log": Route(("GET",), STAFF, lambda f: "/admin/audit", study_scoped=False),
    "admin.create_study": Route(("POST",), STAFF, lambda f: "/admin/studies", study_scoped=False),
    "admin.study": Route(("GET",), STAFF, _s),
    "admin.information": Route(("GET", "POST"), STAFF, lambda f: f"{_s(f)}/information"),
    "admin.mail": Route(("GET",), STAFF, lambda f: f"{_s(f)}/mail"),
    "admin.save_mail": Route(("POST",), STAFF, lambda f: f"{_s(f)}/mail/invitation"),
    "admin.test_mail": Route(("POST",), STAFF, lambda f: f"{_s(f)}/mail/invitation/test"),
    "admin.create_theme": Route(("POST",), STAFF, lambda f: f"{_s(f)}/themes"),
    "admin.rename_theme": Route(
        ("POST",), STAFF, lambda f: f"{_s(f)}/themes/{f.extra['theme_id']}/name"
    ),
    "admin.delete_theme": Route(
        ("POST",), STAFF, lambda f: f"{_s(f)}/themes/{f.extra['theme_id']}/delete"
    ),
    "admin.create_team": Route(("POST",), STAFF, lambda f: f"{_s(f)}/teams"),
    "admin.team": Route(
        ("GET",), ALL, lambda f: f"{_s(f)}/teams/{f.team_ids['Ward 7']}", team_scoped=True
    ),
    "admin.members_page": Route(("GET", "POST"), STAFF, lambda f: f"{_s(f)}/members"),
    "admin.member": Route(
        ("GET", "POST"), STAFF, lambda f: f"{_s(f)}/members/{f.member_ids['ann@example.org']}"
    ),
    "admin.erase_member": Route(
        ("GET", "POST"),
        STAFF,
        lambda f: f"{_s(f)}/members/{f.member_ids['ann@example.org']}/erase",
    ),
    "admin.data_protection": Route(("GET", "POST"), STAFF, lambda f: f"{_s(f)}/data-protection"),
    "admin.add_membership": Route(
        ("POST",),
        STAFF,
        lambda f: f"{_s(f)}/members/{f.member_ids['ann@example.org']}/memberships",
    ),
    "admin.end_membership": Route(
        ("POST",),
        STAFF,
        lambda f: f"{_s(f)}/memberships/{f.membership_ids[('ann@example.org', 'Ward 7')]}/end",
    ),
    "admin.roster_upload": Route(("GET", "POST"), STAFF, lambda f: f"{_s(f)}/roster"),
    "admin.interventions": Route(("GET", "POST"), STAFF, lambda f: f"{_s(f)}/interventions"),
    "admin.delete_intervention": Route(
        ("POST",), STAFF, lambda f: f"{_s(f)}/interventions/{f.intervention_id}/delete"
    ),
    "admin.waves_page": Route(("GET", "POST"), STAFF, lambda f: f"{_s(f)}/waves"),
    "admin.wave": Route(("GET", "POST"), STAFF, _w),
    "admin.close_wave": Route(("GET", "POST"), STAFF, lambda f: f"{_w(f)}/close"),
    "admin.delete_wave": Route(("POST",), STAFF, lambda f: f"{_w(f)}/delete"),
    "admin.rename_team": Route(
        ("POST",), STAFF, lambda f: f"{_s(f)}/teams/{f.team_ids['Ward 7']}/name"
    ),
    "admin.delete_team": Route(
        ("POST",), STAFF, lambda f: f"{_s(f)}/teams/{f.team_ids['Ward 7']}/delete"
    ),
    "admin.send_invitations": Route(("POST",), STAFF, lambda f: f"{_w(f)}/invitations"),
    "admin.send_reminders": Route(("POST",), STAFF, lambda f: f"{_w(f)}/reminders"),
    "admin.wave_tracking": Route(("GET",), ALL, lambda f: f"{_w(f)}/tracking"),
    "admin.download_links": Route(("POST",), STAFF, lambda f: f"{_w(f)}/links"),
    "admin.show_link": Route(("POST",), STAFF, lambda f: f"{_i(f)}/link"),
    "admin.resend_invitation": Route(("POST",), STAFF, lambda f: f"{_i(f)}/resend"),
    "admin.non_responders": Route(("GET",), STAFF, lambda f: f"{_w(f)}/non-responders"),
    "admin.users": Route(("GET",), ADMINS, lambda f: "/admin/users", study_scoped=False),
    "admin.new_user": Route(
        ("GET", "POST"), ADMINS, lambda f: "/admin/users/new", study_scoped=False
    ),
    "admin.user": Route(("GET", "POST"), ADMINS, _u, study_scoped=False),
    "admin.reset_password": Route(
        ("POST",), ADMINS, lambda f: f"{_u(f)}/password", study_scoped=False
    ),
    "admin.deactivate_user": Route(
        ("POST",), ADMINS, lambda f: f"{_u(f)}/deactivate", study_scoped=False
    ),
    "admin.reactivate_user": Route(
        ("POST",), ADMINS, lambda f: f"{_u(f)}/reactivate", study_scoped=False
    ),
}


@dataclass
class World:
    """Two studies and four accounts."""

    app: Flask
    a: StudyFixture
    b: StudyFixture


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        a = build_study(db.session, "Study A")
        b = build_study(db.session, "Study B")
        study_a = db.session.get(Study, a.study_id)
        study_b = db.session.get(Study, b.study_id)
        add_user(db.session, "admin@example.org", "admin")
        a.extra["user_id"] = add_user(
            db.session, "eval-a@example.org", "evaluator", study=study_a
        ).id
        b.extra["user_id"] = add_user(
            db.session, "eval-b@example.org", "evaluator", study=study_b
        ).id
        ward = db.session.get(Team, a.team_ids["Ward 7"])
        assert ward is not None
        add_user(db.session, "manager-a@example.org", "manager", study=study_a, teams=[ward])
        for fixture in (a, b):
            invitation = Invitation(
                membership_id=fixture.membership_ids[("bob@example.org", "Ward 7")],
                wave_id=fixture.wave_id,
                token_hash=hash_token(f"admin-access-{fixture.study_id}".ljust(43, "x")),
            )
            db.session.add(invitation)
            db.session.flush()
            fixture.extra["invitation_id"] = invitation.id
            team = db.session.get(Team, fixture.team_ids["Ward 7"])
            assert team is not None
            fixture.extra["theme_id"] = team.theme_id
        db.session.commit()
    return World(app, a, b)


def test_the_table_covers_every_administration_route(app: Flask) -> None:
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")
    }
    assert endpoints == set(ROUTES)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ROUTES:
            methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
            assert methods == set(ROUTES[rule.endpoint].methods), rule.endpoint


def _request(client: FlaskClient, method: str, url: str, token: str) -> int:
    if method == "GET":
        return client.get(url).status_code
    return post(client, url, token).status_code


def _unchanged(world: World) -> None:
    """No refused request changed anything."""
    with world.app.app_context():
        for fixture in (world.a, world.b):
            wave = db.session.get(Wave, fixture.wave_id)
            assert wave is not None and wave.closed_early_at is None
            assert db.session.get(Intervention, fixture.intervention_id) is not None
        assert db.session.scalars(select(Theme.name)).all().count("Heart failure") == 2
        assert len(db.session.scalars(select(Theme)).all()) == 4


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    client = world.app.test_client()
    token = csrf_token(client)
    for endpoint, route in ROUTES.items():
        for method in route.methods:
            url = route.url(world.a)
            response = client.get(url) if method == "GET" else post(client, url, token)
            assert response.status_code == 302, (endpoint, method)
            assert response.headers["Location"].startswith("/auth/?next="), endpoint
    _unchanged(world)


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("admin@example.org", "admin"),
        ("eval-a@example.org", "evaluator"),
        ("manager-a@example.org", "manager"),
    ],
)
def test_every_route_refuses_the_wrong_role_and_the_wrong_study(
    world: World, email: str, role: str
) -> None:
    client = world.app.test_client()
    token = sign_in(client, email)
    for endpoint, route in ROUTES.items():
        for method in route.methods:
            if role not in route.roles:
                assert _request(client, method, route.url(world.a), token) == 403, (
                    endpoint,
                    method,
                )
                assert _request(client, method, route.url(world.b), token) == 403, (
                    endpoint,
                    method,
                )
                continue
            if method == "GET":
                assert client.get(route.url(world.a)).status_code == 200, endpoint
            if not route.study_scoped:
                continue
            # Allowed POSTs change things; they are tested with their pages. Here: the refusals.
            other = route.url(world.b)
            if role == "admin" and method == "GET":
                assert client.get(other).status_code == 200, endpoint
            elif role != "admin":
                assert _request(client, method, other, token) == 404, (endpoint, method)
    _unchanged(world)


def test_objects_of_another_study_are_not_found_through_this_study(world: World) -> None:
    """Editing an id in the address: study A's pages with study B's objects (even for admins)."""
    mixed = StudyFixture(
        study_id=world.a.study_id,
        team_ids=world.b.team_ids,
        member_ids=world.b.member_ids,
        membership_ids=world.b.membership_ids,
        wave_id=world.b.wave_id,
        intervention_id=world.b.intervention_id,
        extra={
            **world.a.extra,
            "invitation_id": world.b.extra["invitation_id"],
            "theme_id": world.b.extra["theme_id"],
        },
    )
    client = world.app.test_client()
    token = sign_in(client, "admin@example.org")
    checked = 0
    for endpoint, route in ROUTES.items():
        if route.url(mixed) == route.url(world.a):
            continue  # the address names no object below the study
        for method in route.methods:
            assert _request(client, method, route.url(mixed), token) == 404, (endpoint, method)
            checked += 1
    assert checked == 24
    _unchanged(world)


def test_managers_see_only_the_teams_they_manage(world: World) -> None:
    client = world.app.test_client()
    sign_in(client, "manager-a@example.org")
    base = f"/admin/studies/{world.a.study_id}/teams"
    assert client.get(f"{base}/{world.a.team_ids['Ward 7']}").status_code == 200
    assert client.get(f"{base}/{world.a.team_ids['Community']}").status_code == 404
    assert client.get(f"{base}/{world.a.team_ids['Renal']}").status_code == 404
    page = client.get(f"/admin/studies/{world.a.study_id}/waves/{world.a.wave_id}/tracking")
    text = page.get_data(as_text=True)
    assert "Heart failure / Ward 7" in text
    assert "Community" not in text and "Renal" not in text
    assert "Who has not responded" not in text
    team_page = client.get(f"{base}/{world.a.team_ids['Ward 7']}").get_data(as_text=True)
    assert "Ann Tester" not in team_page and "ann@example.org" not in team_page


def test_every_form_refuses_a_post_without_its_csrf_token(world: World) -> None:
    client = world.app.test_client()
    sign_in(client, "admin@example.org")
    posts = [
        (endpoint, route.url(world.a))
        for endpoint, route in ROUTES.items()
        if "POST" in route.methods
    ]
    posts += [("auth.logout", "/auth/logout"), ("auth.password", "/auth/password")]
    for endpoint, url in posts:
        response = client.post(url, data={"name": "x"})
        assert response.status_code == 400, endpoint
        assert "did not come from this site" in response.get_data(as_text=True), endpoint
    signed_out = world.app.test_client()
    assert signed_out.post("/auth/", data={"email": "a@b.org", "password": "x"}).status_code == 400
    _unchanged(world)
