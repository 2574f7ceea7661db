"""Markup typed into names, descriptions and free text is shown as text, on every page and report.

The world of the other security tests gets hostile values: the study, a theme, two teams, the
members' names, professions and organisations, an intervention's kind and description, and the
free-text comments of submitted responses all carry the markup of
:data:`tests.security.conftest.MARKUP`. Every GET route of the URL map is then visited by the
admin, study A's evaluator, Ward 7's manager and the respondent, and no page may contain that
markup as markup; each hostile value must be visible somewhere (escaped), so the pages really
show it. Managers never see free text at all, escaped or not.

The evaluator report (:func:`reports.build_evaluator_report`) and the manager brief are built
from a simulated bundle whose team names, professions, intervention and comments carry the same
markup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

import reports
from analysis.pipeline import AnalysisResults, analyse_bundle
from analysis.simulate import simulate_study
from instruments import load as load_instrument
from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Comment,
    Intervention,
    Invitation,
    Member,
    Response,
    Study,
    Team,
    Theme,
    Tie,
    Wave,
    utcnow,
)
from survey_app.services import dashboard
from survey_app.tokens import hash_token
from tests.security.conftest import (
    ADMIN,
    EVALUATOR,
    MANAGER,
    MARKUP,
    RESPONDENT,
    SecurityApp,
    World,
    assert_escaped,
    build_url,
    routes,
    running_world,
)

SCRIPT, BOLD, IMAGE, TEXTAREA, SINGLE_QUOTED, DOUBLE_QUOTED = MARKUP
COMMENT_MARK = "free-text-only-for-evaluators"
HOSTILE_COMMENT = f"{SCRIPT} and {BOLD}: {COMMENT_MARK}"


def make_hostile(session: Session, world: World) -> None:
    """Give study A's objects hostile names and add answered, commented responses to wave 1.

    Wave 1 is moved into the past (closed, so managers' dashboards show it) and wave 2 opens for
    the respondent's link.
    """
    a = world.a
    study = session.get(Study, a.study_id)
    assert study is not None
    study.name = f"Study {SCRIPT}"
    for theme in session.scalars(select(Theme).where(Theme.study_id == a.study_id)):
        if theme.name == "Heart failure":
            theme.name = f"{BOLD} Heart failure"
    teams = {name: session.get(Team, ident) for name, ident in a.team_ids.items()}
    renamed = {"Ward 7": f"{SCRIPT} Ward 7", "Community": f"{IMAGE} Community"}
    for name, team in teams.items():
        assert team is not None
        team.name = renamed.get(name, team.name)
    people = {email: session.get(Member, ident) for email, ident in a.member_ids.items()}
    details = {
        "ann@example.org": (f"Ann {BOLD} Tester", f"{TEXTAREA} nurse", "Trust A"),
        "bob@example.org": (f"Bob {SINGLE_QUOTED}", "GP", f"{DOUBLE_QUOTED} Practice"),
        "cat@example.org": ("Cat Tester", "pharmacist", f"{IMAGE} Trust"),
    }
    for email, (name, profession, organisation) in details.items():
        person = people[email]
        assert person is not None
        person.name, person.profession, person.organisation = name, profession, organisation
    intervention = session.get(Intervention, a.intervention_id)
    assert intervention is not None
    intervention.kind = f"{BOLD} workshop"
    intervention.description = f"{TEXTAREA} then {SCRIPT}"

    now = utcnow()
    first = session.get(Wave, a.wave_id)
    assert first is not None
    first.opens, first.closes = now - timedelta(days=40), now - timedelta(days=10)
    second = Wave(
        study_id=a.study_id,
        number=2,
        opens=now - timedelta(days=1),
        closes=now + timedelta(days=13),
        instrument_id="cop-health",
        instrument_version=1,
    )
    session.add(second)
    session.flush()
    respondent = session.get(Invitation, world.invitation_id)
    assert respondent is not None
    respondent.wave_id = second.id
    session.add(  # Ann is asked too, so Bob's roster question lists her
        Invitation(
            membership_id=a.membership_ids[("ann@example.org", "Ward 7")],
            wave_id=second.id,
            token_hash=hash_token("escaping-ann-wave-2".ljust(43, "x")),
        )
    )

    items = load_instrument("cop-health", 1).items
    for number, ((email, team_name), membership_id) in enumerate(a.membership_ids.items()):
        invitation = Invitation(
            membership_id=membership_id,
            wave_id=first.id,
            token_hash=hash_token(f"escaping-{number}".ljust(43, "x")),
            sent_at=first.opens,
            consented_at=first.opens,
            started_at=first.opens,
            submitted_at=first.opens + timedelta(days=2),
            current_page=9,
        )
        response = Response(
            invitation=invitation,
            submitted_at=first.opens + timedelta(days=2),
            is_complete=True,
            answers=[
                Answer(item_id=item, value=float(1 + (number + position) % 6))
                for position, item in enumerate(items)
            ],
            comments=[Comment(item_id="helped", text=HOSTILE_COMMENT)],
        )
        mates = [m for (e, t), m in a.membership_ids.items() if t == team_name and e != email]
        for mate in mates:
            mate_email = next(e for (e, t), m in a.membership_ids.items() if m == mate)
            response.ties.append(Tie(alter_member_id=a.member_ids[mate_email]))
        session.add_all([invitation, response])
    session.commit()


@pytest.fixture(scope="module")
def hostile(
    request: pytest.FixtureRequest,
    clean_environment: None,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[SecurityApp]:
    """The world with hostile names, on SQLite, with every figure shown (no small-cell rule)."""
    folder = tmp_path_factory.mktemp("escaping")
    with running_world(
        "sqlite", request, folder, sqlite_template, MIN_CELL=1, DASHBOARD_WAIT_SECONDS=60.0
    ) as running:
        with running.app.app_context():
            make_hostile(db.session, running.world)
        running.baseline = running.rows()
        yield running


@pytest.fixture(scope="module")
def pages(hostile: SecurityApp) -> dict[tuple[str, str], tuple[int, str]]:
    """Every GET page of the app as each role: (role, path) -> (status, HTML)."""
    visited: dict[tuple[str, str], tuple[int, str]] = {}
    for endpoint, rule, methods in routes():
        if "GET" not in methods:
            continue
        for role in (ADMIN, EVALUATOR, MANAGER, RESPONDENT):
            path = build_url(hostile.app, endpoint, rule, hostile.world, role)
            paths = [path]
            if endpoint == "participate.page":
                paths = [path.rsplit("/", 1)[0] + f"/{n}" for n in range(1, 10)]
            for one in paths:
                response = hostile.client(role).get(one, follow_redirects=True)
                assert response.status_code < 500, f"{one} as {role}"
                if response.mimetype == "text/html":
                    visited[(role, one)] = (response.status_code, response.get_data(as_text=True))
    return visited


def test_no_page_shows_markup_as_markup(pages: dict[tuple[str, str], tuple[int, str]]) -> None:
    shown = [key for key, (status, _) in pages.items() if status == 200]
    assert len(shown) >= 40  # the staff pages of three roles and the survey pages
    for (role, path), (_, html) in pages.items():
        assert_escaped(html, f"{path} as {role}")


def test_every_hostile_value_is_shown_escaped_somewhere(
    pages: dict[tuple[str, str], tuple[int, str]],
) -> None:
    everything = "\n".join(html for _, html in pages.values())
    unseen = [markup for markup in MARKUP if str(escape(markup)) not in everything]
    assert unseen == [], f"never shown (so never tested): {unseen}"


def test_pages_show_what_each_role_should_see(
    pages: dict[tuple[str, str], tuple[int, str]], hostile: SecurityApp
) -> None:
    """The hostile values reach the pages that matter: names, teams, interventions, comments."""

    def page(role: str, path: str) -> str:
        status, html = pages[(role, path)]
        assert status == 200, (role, path, status)
        return html

    a = hostile.world.a
    study = f"/admin/studies/{a.study_id}"
    assert str(escape(f"Study {SCRIPT}")) in page(ADMIN, "/admin/")
    assert str(escape(f"{SCRIPT} Ward 7")) in page(MANAGER, f"{study}/teams/{a.team_ids['Ward 7']}")
    assert str(escape(f"Ann {BOLD} Tester")) in page(EVALUATOR, f"{study}/members")
    assert str(escape(f"{TEXTAREA} then {SCRIPT}")) in page(EVALUATOR, f"{study}/interventions")
    assert str(escape(f"Ann {BOLD} Tester")) in page(RESPONDENT, f"/s/{_token(pages)}/page/8")
    assert str(escape(f"{SCRIPT} Ward 7")) in page(RESPONDENT, f"/s/{_token(pages)}/consent")
    dashboard = page(EVALUATOR, f"/dashboard/study/{a.study_id}")
    assert str(escape(HOSTILE_COMMENT)) in dashboard  # evaluators read the free text


def _token(pages: dict[tuple[str, str], tuple[int, str]]) -> str:
    return next(path.split("/")[2] for role, path in pages if role == RESPONDENT and "/s/" in path)


def test_managers_never_see_free_text(pages: dict[tuple[str, str], tuple[int, str]]) -> None:
    seen = [
        path
        for (role, path), (_, html) in pages.items()
        if role == MANAGER and COMMENT_MARK in html
    ]
    assert seen == []


@pytest.fixture(scope="module")
def evaluator_report(hostile: SecurityApp) -> SecurityApp:
    """The hostile world with study A's evaluator report built, as a dashboard visit builds it.

    Built here (in the request, however long it takes) so the download test below always
    downloads a report: a report that cannot be built fails the test instead of skipping it.
    """
    with hostile.app.app_context():
        study = db.session.get(Study, hostile.world.a.study_id)
        assert study is not None
        snapshot = dashboard.evaluator_snapshot(
            db.session,
            study,
            settings=dashboard.settings_from_config(hostile.app.config),
        )  # no runner given: computed here, whatever DASHBOARD_BACKGROUND says
    assert snapshot is not None and snapshot.error is None, snapshot
    return hostile


def test_the_evaluator_report_download_is_escaped(evaluator_report: SecurityApp) -> None:
    hostile = evaluator_report
    client = hostile.client(EVALUATOR)
    response = client.post(
        f"/dashboard/study/{hostile.world.a.study_id}/report",
        data={"csrf_token": hostile.csrf(EVALUATOR), "report_format": "html"},
    )
    assert response.status_code == 200, response.headers.get("Location")
    html = response.get_data(as_text=True)
    assert_escaped(html, "the downloaded evaluator report")
    assert str(escape(HOSTILE_COMMENT)) in html


# --- reports built from a bundle ----------------------------------------------------------

HOSTILE_TEAM = f"{SCRIPT} CKD"
OTHER_TEAM = f"{IMAGE} HF"
HOSTILE_PROFESSION = f"{BOLD}nurse"


@pytest.fixture(scope="module")
def hostile_results() -> AnalysisResults:
    """A small simulated study whose names, intervention and comments carry markup."""
    bundle = simulate_study(teams=2, members=6, waves=3, seed=3, comment_rate=0.3).bundle
    first, second = bundle.teams
    names = {first: HOSTILE_TEAM, second: OTHER_TEAM}

    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if "team" in frame:
            frame["team"] = frame["team"].map(lambda team: names.get(team, team))
        if "profession" in frame:
            frame["profession"] = frame["profession"].replace({"nurse": HOSTILE_PROFESSION})
        return frame

    comments = rename(bundle.comments)
    comments["text"] = [
        f"{SCRIPT} {BOLD} {TEXTAREA} {COMMENT_MARK} {number}" for number in range(len(comments))
    ]
    interventions = pd.DataFrame(
        {
            "team": [HOSTILE_TEAM],
            "wave": [2],
            "kind": [f"{BOLD} workshop"],
            "description": [f"{SCRIPT} {DOUBLE_QUOTED}"],
        }
    )
    hostile_bundle = dataclasses.replace(
        bundle,
        responses=rename(bundle.responses),
        ties=rename(bundle.ties),
        roster=rename(bundle.roster),
        interventions=interventions[list(bundle.interventions.columns)],
        comments=comments,
    )
    assert len(comments) > 0
    return analyse_bundle(hostile_bundle)


@pytest.mark.slow
def test_the_evaluator_report_shows_markup_as_text(hostile_results: AnalysisResults) -> None:
    html = reports.build_evaluator_report(hostile_results)
    assert_escaped(html, "the evaluator report")
    assert "<b>x</b>" not in html and "<script" not in html
    assert str(escape(f"{SCRIPT} {BOLD} {TEXTAREA} {COMMENT_MARK} 0")) in html
    assert str(escape(HOSTILE_TEAM)) in html
    assert (
        str(escape(f"{BOLD} workshop")) in html or str(escape(f"{SCRIPT} {DOUBLE_QUOTED}")) in html
    )


def test_the_manager_brief_shows_markup_as_text_and_no_free_text(
    hostile_results: AnalysisResults,
) -> None:
    html = reports.build_manager_brief(hostile_results, HOSTILE_TEAM, min_cell=1)
    assert_escaped(html, "the manager brief")
    assert str(escape(HOSTILE_TEAM)) in html
    assert COMMENT_MARK not in html


def test_the_escaping_check_can_fail() -> None:
    with pytest.raises(AssertionError):
        assert_escaped(f"<td>{SCRIPT}</td>", "a page that forgot to escape")
    assert str(escape(SCRIPT)) == "&lt;script&gt;alert(1)&lt;/script&gt;"
