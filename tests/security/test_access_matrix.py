"""Every route x every role, from the app's URL map: who gets in, who is sent away, and how.

The routes come from ``app.url_map`` (static files aside), so a new route has no expectation
until someone writes one here, and until then its cases fail. Each expectation says, for every
role of :data:`tests.security.conftest.ROLES`, what a GET (and, for POST routes, a POST with a
valid CSRF token and a valid form) must get:

- nobody signed in (anonymous, or someone who only holds a survey link) on a staff page: a
  redirect to the sign-in page;
- the wrong role (a manager on a set-up page): 403;
- the wrong scope (another study's evaluator, a manager of another team): 404, as if the object
  did not exist (``services/authorisation.py``); a survey link that is not one's own: 404.

Every refused request must leave every table exactly as it was; allowed POSTs are sent with a
form that does change something (checked), so a refusal that changes nothing proves something.
URL arguments are study A's objects (``url_arguments``): in scope for study A's evaluator and
Ward 7's manager, out of scope for the "other" roles.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.security.conftest import (
    ADMIN,
    ANONYMOUS,
    EVALUATOR,
    EVALUATOR_OTHER,
    MANAGER,
    MANAGER_OTHER,
    RESPONDENT,
    ROLES,
    SPARE_EMAIL,
    STAFF_EMAILS,
    SecurityApp,
    World,
    build_url,
    routes,
)
from tests.survey_app.staff_support import PASSWORD, StudyFixture
from tests.survey_app.survey_fixtures import rated_answers


@dataclass(frozen=True)
class Outcome:
    """What a request must get: a status, where a redirect goes, and whether tables change."""

    statuses: tuple[int, ...]
    path: str | None = None
    """A regular expression the redirect's path must match."""
    refused: bool = False
    """Refused: nothing at all may change."""
    changes: bool | None = None
    """True: the request must change the tables; False: it must not; None: not checked."""
    cache: frozenset[str] = frozenset()
    """Tables an allowed request may fill without it counting as a change (caches)."""

    def __str__(self) -> str:
        where = f" to {self.path}" if self.path else ""
        return f"{'/'.join(map(str, self.statuses))}{where}"


LOGIN = Outcome((302,), path="/auth/", refused=True)
FORBIDDEN = Outcome((403,), refused=True)
NOT_FOUND = Outcome((404,), refused=True)
SHOWN = Outcome((200,), changes=False)
DONE = Outcome((302, 303), changes=True)
"""The change was made, then a redirect (post/redirect/get)."""
TO_ADMIN = Outcome((302,), path="/admin/", changes=False)
DASHBOARD = Outcome((200,), changes=False, cache=frozenset({"dashboard_snapshots", "releases"}))
"""A dashboard shown; computing it may store it in the dashboard cache and (for managers and
team members) publish the study's next release, nothing else."""

Rules = Mapping[str, Outcome]
Body = Callable[[World], dict[str, Any]]


def by_role(
    *,
    anonymous: Outcome = LOGIN,
    respondent: Outcome = LOGIN,
    manager_other: Outcome,
    manager: Outcome,
    evaluator_other: Outcome,
    evaluator: Outcome,
    admin: Outcome,
) -> dict[str, Outcome]:
    """An outcome for each role (those without an account are sent to sign in by default)."""
    return {
        ANONYMOUS: anonymous,
        RESPONDENT: respondent,
        MANAGER_OTHER: manager_other,
        MANAGER: manager,
        EVALUATOR_OTHER: evaluator_other,
        EVALUATOR: evaluator,
        ADMIN: admin,
    }


def study_staff(allowed: Outcome) -> dict[str, Outcome]:
    """Study set-up: admins and the study's evaluators; managers 403; other studies 404."""
    return by_role(
        manager_other=FORBIDDEN,
        manager=FORBIDDEN,
        evaluator_other=NOT_FOUND,
        evaluator=allowed,
        admin=allowed,
    )


def admins_only(allowed: Outcome) -> dict[str, Outcome]:
    """Staff accounts: admins only; every other role 403 (the role, not the scope, refuses)."""
    return by_role(
        manager_other=FORBIDDEN,
        manager=FORBIDDEN,
        evaluator_other=FORBIDDEN,
        evaluator=FORBIDDEN,
        admin=allowed,
    )


def team_scoped(allowed: Outcome) -> dict[str, Outcome]:
    """A team's page: its manager too, but not the manager of another team (404)."""
    return by_role(
        manager_other=NOT_FOUND,
        manager=allowed,
        evaluator_other=NOT_FOUND,
        evaluator=allowed,
        admin=allowed,
    )


def every_account(allowed: Outcome) -> dict[str, Outcome]:
    """Any signed-in account; nobody else."""
    return by_role(
        manager_other=allowed,
        manager=allowed,
        evaluator_other=allowed,
        evaluator=allowed,
        admin=allowed,
    )


def everyone(allowed: Outcome) -> dict[str, Outcome]:
    """Public: the same for every role."""
    return dict.fromkeys(ROLES, allowed)


def link_holder(allowed: Outcome) -> dict[str, Outcome]:
    """A survey page: the link's holder gets it; everyone else has no valid link (404)."""
    outcomes = dict.fromkeys(ROLES, NOT_FOUND)
    outcomes[RESPONDENT] = allowed
    return outcomes


@dataclass(frozen=True)
class Expectation:
    """The outcomes of a route for GET and for POST, and the valid form a POST sends."""

    get: Rules | None = None
    post: Rules | None = None
    body: Body = field(default=lambda world: {})

    def outcomes(self, method: str) -> Rules | None:
        """The outcomes for ``method`` (None: no expectation written)."""
        return {"GET": self.get, "POST": self.post}.get(method)


def _today() -> str:
    return date.today().isoformat()


def _member_details(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "email": "new.person@example.org",
        "profession": "pharmacist",
        "organisation": "Trust A",
        "organisation_type": "acute trust",
    }


ROSTER = (
    b"team,name,email,profession,organisation,organisation_type,theme\n"
    b"Ward 7,Dee Roster,dee@example.org,nurse,Trust A,acute trust,Heart failure\n"
)
NEW_PASSWORD = "a brand new matrix password"
WAVE_DATES = {"opens": "2031-01-06T09:00", "closes": "2031-02-06T17:00"}

EXPECTED: dict[str, Expectation] = {
    # --- administration: study set-up is for admins and the study's evaluators ---
    "admin.index": Expectation(get=every_account(SHOWN)),
    "admin.audit_log": Expectation(
        get=by_role(
            manager_other=FORBIDDEN,
            manager=FORBIDDEN,
            evaluator_other=SHOWN,  # their own study's events
            evaluator=SHOWN,
            admin=SHOWN,
        )
    ),
    "admin.create_study": Expectation(
        post=by_role(  # evaluators create their own studies (and then work on them)
            manager_other=FORBIDDEN,
            manager=FORBIDDEN,
            evaluator_other=DONE,
            evaluator=DONE,
            admin=DONE,
        ),
        body=lambda world: {"name": "Matrix study"},
    ),
    "admin.study": Expectation(get=study_staff(SHOWN)),
    # --- staff accounts: admins only (the URL's account is study A's spare evaluator) ---
    "admin.users": Expectation(get=admins_only(SHOWN)),
    "admin.new_user": Expectation(
        get=admins_only(SHOWN),
        post=admins_only(DONE),
        body=lambda world: {
            "email": "matrix.new@example.org",
            "role": "evaluator",
            "studies": world.a.study_id,
            "password": NEW_PASSWORD,
        },
    ),
    "admin.user": Expectation(
        get=admins_only(SHOWN),
        post=admins_only(DONE),
        body=lambda world: {
            "role": "manager",
            "studies": world.a.study_id,
            "teams": world.a.team_ids["Renal"],
        },
    ),
    "admin.reset_password": Expectation(
        post=admins_only(DONE), body=lambda world: {"password": NEW_PASSWORD}
    ),
    "admin.deactivate_user": Expectation(post=admins_only(DONE)),
    # the spare account is active: refused as already active (deactivation proves the change)
    "admin.reactivate_user": Expectation(post=admins_only(Outcome((422,), changes=False))),
    "admin.information": Expectation(
        get=study_staff(SHOWN),
        post=study_staff(DONE),
        body=lambda world: {"sponsor": "Matrix sponsor", "contact_email": "help@example.org"},
    ),
    "admin.mail": Expectation(get=study_staff(SHOWN)),
    "admin.save_mail": Expectation(
        post=study_staff(DONE),
        body=lambda world: {
            "invitation-subject": "Matrix survey about {team}",
            "invitation-body": "Dear {name},\n\n{link}",
        },
    ),
    # the security world's sender is copkit's default: refused with the reason, nothing sent
    "admin.test_mail": Expectation(post=study_staff(Outcome((303,), changes=False))),
    "admin.create_theme": Expectation(
        post=study_staff(DONE), body=lambda world: {"theme-name": "Matrix theme"}
    ),
    "admin.create_team": Expectation(
        post=study_staff(DONE),
        body=lambda world: {
            "team-theme": world.theme_ids["Heart failure"],
            "team-name": "Matrix team",
        },
    ),
    # renaming is allowed while no closed wave names the team or theme (the world's wave is open)
    "admin.rename_theme": Expectation(
        post=study_staff(DONE),
        body=lambda world: {f"theme-{world.theme_ids['Heart failure']}-name": "Cardiac care"},
    ),
    "admin.rename_team": Expectation(post=study_staff(DONE), body=lambda world: {"name": "Ward 9"}),
    # deleting is refused with the reason while anything depends on it: teams belong to the
    # theme, people to the team, invitations to the wave (nothing changes)
    "admin.delete_theme": Expectation(post=study_staff(Outcome((302,), changes=False))),
    "admin.delete_team": Expectation(post=study_staff(Outcome((302,), changes=False))),
    "admin.team": Expectation(get=team_scoped(SHOWN)),
    "admin.members_page": Expectation(
        get=study_staff(SHOWN),
        post=study_staff(DONE),
        body=lambda world: {**_member_details("Matrix Person"), "team": 0},
    ),
    "admin.member": Expectation(
        get=study_staff(SHOWN),
        post=study_staff(DONE),
        body=lambda world: {**_member_details("Ann Renamed"), "email": "ann@example.org"},
    ),
    "admin.add_membership": Expectation(
        post=study_staff(DONE),
        body=lambda world: {"team": world.a.team_ids["Renal"], "joined_on": _today()},
    ),
    "admin.end_membership": Expectation(
        post=study_staff(DONE), body=lambda world: {"left_on": _today()}
    ),
    "admin.roster_upload": Expectation(
        get=study_staff(SHOWN),
        post=study_staff(DONE),
        body=lambda world: {"file": (io.BytesIO(ROSTER), "roster.csv")},
    ),
    "admin.interventions": Expectation(
        get=study_staff(SHOWN),
        post=study_staff(DONE),
        body=lambda world: {
            "team": world.a.team_ids["Ward 7"],
            "started_on": "2024-06-03",
            "kind": "co-location",
            "description": "Desks side by side",
        },
    ),
    "admin.delete_intervention": Expectation(post=study_staff(DONE)),
    "admin.data_protection": Expectation(
        get=study_staff(SHOWN),
        post=study_staff(DONE),
        body=lambda world: {"retention_days": "400", "share_results": "no"},
    ),
    "admin.erase_member": Expectation(get=study_staff(SHOWN), post=study_staff(DONE)),
    "admin.waves_page": Expectation(
        get=study_staff(SHOWN),
        post=study_staff(DONE),
        body=lambda world: {"number": 2, "instrument": "cop-health@1", **WAVE_DATES},
    ),
    "admin.wave": Expectation(
        get=study_staff(SHOWN),
        post=study_staff(DONE),
        body=lambda world: {"number": 1, "instrument": "cop-health@1", **WAVE_DATES},
    ),
    # closing early asks first: the GET (and a POST without confirm=yes) shows what it cuts short
    "admin.close_wave": Expectation(
        get=study_staff(SHOWN), post=study_staff(DONE), body=lambda world: {"confirm": "yes"}
    ),
    "admin.delete_wave": Expectation(post=study_staff(Outcome((302,), changes=False))),
    # the security world's sender is copkit's default: refused with the reason, nothing made
    "admin.send_invitations": Expectation(post=study_staff(Outcome((302,), changes=False))),
    "admin.send_reminders": Expectation(post=study_staff(Outcome((302,)))),  # nobody is due
    "admin.wave_tracking": Expectation(
        get=by_role(
            manager_other=SHOWN,  # the wave is in their study; they see their own team only
            manager=SHOWN,
            evaluator_other=NOT_FOUND,
            evaluator=SHOWN,
            admin=SHOWN,
        )
    ),
    "admin.non_responders": Expectation(get=study_staff(SHOWN)),
    # links are respondents' credentials: the study's staff only, every hand-out audited
    "admin.download_links": Expectation(
        post=study_staff(Outcome((200,), changes=True)), body=lambda world: {"who": "everyone"}
    ),
    "admin.show_link": Expectation(post=study_staff(Outcome((200,), changes=True))),
    # the security world's sender is copkit's default: refused with the reason, nothing sent
    "admin.resend_invitation": Expectation(post=study_staff(Outcome((303,), changes=False))),
    # --- signing in and out ---
    "auth.index": Expectation(
        get={**every_account(TO_ADMIN), ANONYMOUS: SHOWN, RESPONDENT: SHOWN},
        post={
            **every_account(TO_ADMIN),
            # wrong password: the form again, and the failure is recorded for throttling
            ANONYMOUS: Outcome((200,), changes=True),
            RESPONDENT: Outcome((200,), changes=True),
        },
        body=lambda world: {"email": STAFF_EMAILS[EVALUATOR], "password": "not the password"},
    ),
    "auth.logout": Expectation(
        post={
            **every_account(Outcome((302,), path="/auth/", changes=True)),  # audited
            ANONYMOUS: Outcome((302,), path="/auth/", changes=False),
            RESPONDENT: Outcome((302,), path="/auth/", changes=False),
        }
    ),
    "auth.password": Expectation(
        get=every_account(SHOWN),
        post=every_account(DONE),
        body=lambda world: {
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD,
        },
    ),
    # the same answer for everyone, whether or not the address has an account (audited)
    "auth.forgot": Expectation(
        get=everyone(SHOWN),
        post=everyone(Outcome((200,), changes=True)),
        body=lambda world: {"email": SPARE_EMAIL},
    ),
    # the link is the credential (the spare account's link): anyone holding it sets the password
    "auth.reset": Expectation(
        get=everyone(SHOWN),
        post=everyone(DONE),
        body=lambda world: {"new": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
    ),
    # --- dashboards (docs/architecture.md#privacy: managers see their teams' aggregates only, never free text) ---
    "dashboard.index": Expectation(get=every_account(SHOWN)),  # each sees their own list
    "dashboard.study": Expectation(get=study_staff(DASHBOARD)),
    "dashboard.team": Expectation(get=team_scoped(DASHBOARD)),
    "dashboard.report": Expectation(
        # the report, or (the world has no answers to report on) back to the dashboard
        post=study_staff(Outcome((200, 303), path=r"(/dashboard/study/\d+)?")),
        body=lambda world: {"report_format": "html"},
    ),
    "dashboard.brief": Expectation(
        # the team's brief as a PDF, or (no answers to report on) back to the team's page
        post=team_scoped(Outcome((200, 303), path=r"(/dashboard/team/\d+)?")),
    ),
    # --- exports: pseudonymous data for the study's staff, never for managers ---
    "exports.index": Expectation(
        get=by_role(
            manager_other=FORBIDDEN,
            manager=FORBIDDEN,
            evaluator_other=SHOWN,  # lists their own study only
            evaluator=SHOWN,
            admin=SHOWN,
        )
    ),
    "exports.download": Expectation(
        post=study_staff(Outcome((200,), changes=True)),  # the download is audited
        body=lambda world: {"export_format": "wide-csv"},
    ),
    # --- public ---
    "health.healthz": Expectation(get=everyone(SHOWN)),
    "participate.index": Expectation(get=everyone(SHOWN)),
    # --- the survey: the link is the credential ---
    "participate.entry": Expectation(
        get=link_holder(Outcome((303,), path=r"/s/[\w-]+/page/\d+", changes=False))
    ),
    "participate.consent": Expectation(
        get=link_holder(SHOWN),
        post=link_holder(Outcome((303,), path=r"/s/[\w-]+/page/\d+")),
        body=lambda world: {"agree": "y"},
    ),
    "participate.page": Expectation(
        get=link_holder(SHOWN),
        post=link_holder(Outcome((303,), path=r"/s/[\w-]+/page/2", changes=True)),
        body=lambda world: {**rated_answers(1), "action": "next"},
    ),
    "participate.withdraw": Expectation(
        get=link_holder(SHOWN),
        post=link_holder(Outcome((200,), changes=True)),  # the respondent's data deleted
    ),
    "participate.results": Expectation(get=link_holder(DASHBOARD)),
    "participate.thanks": Expectation(
        get=link_holder(Outcome((303,), path=r"/s/[\w-]+", changes=False))  # not sent yet
    ),
}

ROUTES = routes()
CASES = [
    pytest.param(endpoint, rule, method, role, id=f"{endpoint}-{method}-{role}")
    for endpoint, rule, methods in ROUTES
    for method in sorted(methods)
    for role in ROLES
]


def test_every_route_and_method_has_an_expectation() -> None:
    routed = {endpoint: methods for endpoint, _, methods in ROUTES}
    missing = sorted(set(routed) - set(EXPECTED))
    assert missing == [], f"routes without an expectation (read the view, add one): {missing}"
    stale = sorted(set(EXPECTED) - set(routed))
    assert stale == [], f"expectations for routes that no longer exist: {stale}"
    for endpoint, methods in routed.items():
        written = {m for m in ("GET", "POST") if EXPECTED[endpoint].outcomes(m) is not None}
        assert written == set(methods), endpoint
        for method in methods:
            outcomes = EXPECTED[endpoint].outcomes(method)
            assert outcomes is not None and set(outcomes) == set(ROLES), (endpoint, method)


def test_the_matrix_is_as_large_as_the_app() -> None:
    assert len(ROUTES) >= 33
    assert len(CASES) == len(ROLES) * sum(len(methods) for _, _, methods in ROUTES)


@pytest.fixture(scope="module")
def matrix(sqlite_security_app: SecurityApp) -> SecurityApp:
    """The world on SQLite (authorisation does not depend on the database)."""
    return sqlite_security_app


def request_as(
    security: SecurityApp,
    endpoint: str,
    rule: str,
    method: str,
    role: str,
    *,
    objects: StudyFixture | None = None,
    body: dict[str, Any] | None = None,
) -> tuple[int, str]:
    """Send the case's request as ``role``; returns the status and the redirect's path."""
    world = security.world
    url = build_url(security.app, endpoint, rule, world, role, objects)
    client = security.client(role)
    if method == "GET":
        response = client.get(url)
    else:
        form = EXPECTED[endpoint].body(world) if body is None else body
        data = {"csrf_token": security.csrf(role, url), **form}
        response = client.open(url, method=method, data=data)
    location = urlsplit(response.headers.get("Location", "")).path
    return response.status_code, location


@pytest.mark.parametrize(("endpoint", "rule", "method", "role"), CASES)
def test_access(matrix: SecurityApp, endpoint: str, rule: str, method: str, role: str) -> None:
    expectation = EXPECTED.get(endpoint)
    outcomes = None if expectation is None else expectation.outcomes(method)
    if outcomes is None:
        pytest.fail(
            f"no expectation for {method} {endpoint} ({rule}): read the view and docs/architecture.md "
            "section 7, then add what each role must get to EXPECTED"
        )
    expected = outcomes[role]
    matrix.restore()
    status, location = request_as(matrix, endpoint, rule, method, role)
    assert status in expected.statuses, f"{role} {method} {rule}: {status}, not {expected}"
    if expected.path is not None:
        assert re.fullmatch(expected.path, location), f"redirected to {location!r}"
    changed = matrix.differences(ignored_tables=expected.cache)
    if expected.refused or expected.changes is False:
        assert changed == [], f"{role} {method} {rule} ({status}) changed: {changed}"
    elif expected.changes:
        assert changed != [], f"{role} {method} {rule}: the valid form changed nothing"


OBJECT_ARGUMENTS = (
    "theme_id",
    "team_id",
    "member_id",
    "membership_id",
    "wave_id",
    "intervention_id",
    "invitation_id",
)
CROSS_CASES = [
    pytest.param(endpoint, rule, method, role, id=f"{endpoint}-{method}-{role}")
    for endpoint, rule, methods in ROUTES
    if any(f":{name}>" in rule for name in OBJECT_ARGUMENTS)
    for method in sorted(methods)
    for role in (EVALUATOR, ADMIN, MANAGER)
]


@pytest.mark.parametrize(("endpoint", "rule", "method", "role"), CROSS_CASES)
def test_another_studys_objects_are_not_reached_through_this_one(
    matrix: SecurityApp, endpoint: str, rule: str, method: str, role: str
) -> None:
    """Study A in the address, a team (member, wave, ...) of study B after it: 404, no change.

    Without a study in the address (a team's dashboard), the admin may open study B's team; the
    others may not. A role refused the page anyway (a manager on set-up pages) still gets 403.
    """
    own = EXPECTED[endpoint].outcomes(method)
    assert own is not None
    matrix.restore()
    status, _ = request_as(matrix, endpoint, rule, method, role, objects=matrix.world.b)
    if own[role] is FORBIDDEN:
        expected = {403}
    elif "<int:study_id>" not in rule and role == ADMIN:
        expected = set(own[role].statuses)
    else:
        expected = {404}
    assert status in expected, f"{role} {method} {rule} with study B's objects: {status}"
    refused = expected <= {403, 404}
    changed = matrix.differences(ignored_tables=frozenset() if refused else own[role].cache)
    if refused or own[role].changes is False:
        assert changed == [], f"{role} {method} {rule} with study B's objects changed {changed}"


def _world_b_team(world: World) -> int:
    return world.b.team_ids["Ward 7"]


CROSS_FORMS: dict[str, Callable[[World], dict[str, Any]]] = {
    "admin.create_team": lambda world: {
        "team-theme": world.other_theme_ids["Heart failure"],
        "team-name": "Smuggled team",
    },
    "admin.members_page": lambda world: {
        **_member_details("Smuggled Person"),
        "team": _world_b_team(world),
    },
    "admin.add_membership": lambda world: {"team": _world_b_team(world), "joined_on": _today()},
    "admin.interventions": lambda world: {
        "team": _world_b_team(world),
        "started_on": "2024-06-03",
        "kind": "co-location",
        "description": "",
    },
}


@pytest.mark.parametrize("endpoint", sorted(CROSS_FORMS))
def test_forms_cannot_name_another_studys_objects(matrix: SecurityApp, endpoint: str) -> None:
    """A form of study A whose choice is study B's theme or team is refused and stores nothing."""
    rule = next(rule for name, rule, _ in ROUTES if name == endpoint)
    for role in (EVALUATOR, ADMIN):
        matrix.restore()
        body = CROSS_FORMS[endpoint](matrix.world)
        status, _ = request_as(matrix, endpoint, rule, "POST", role, body=body)
        assert status in (404, 422), f"{role} {endpoint}: {status}"
        assert matrix.differences() == [], f"{role} {endpoint} stored study B's object"
