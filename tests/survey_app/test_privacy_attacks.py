"""The attacks of issue 15 on what managers and team members see, each tried through the app,
on SQLite and PostgreSQL: reopen and subtract, a profession correction, a joiner, an erasure
before/after.

Each test does what the attacker did, then tries the subtraction on the figures the pages
showed (read from the HTML): the team's manager page, and (issue 16) the team's results page
that a team member opens from their survey link. It also checks that the stored releases hold
no two published figures isolating fewer than MIN_CELL people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from reports.disclosure import isolating_pairs, recoverable_groups
from survey_app.cli import main
from survey_app.extensions import db
from survey_app.localtime import zone_from_config
from survey_app.models import Answer, Membership, Study, Team, utcnow
from survey_app.services import releases
from survey_app.services.export import export_bundle
from survey_app.tokens import survey_form_token
from tests.survey_app.conftest import make_test_app
from tests.survey_app.privacy_support import (
    EVALUATOR,
    MANAGER,
    STUDY_NAME,
    ManagerPage,
    TeamStudy,
    add_wave,
    build_team_study,
    find_wave,
    read_page,
    submit_late,
)
from tests.survey_app.staff_support import add_user, csrf_token, sign_in, text_of

MIN_CELL = 5


@pytest.fixture
def attack_app(migrated_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app without charts (faster) and without waiting for another computation."""
    app = make_test_app(
        migrated_database_url, tmp_path, DASHBOARD_FIGURES=False, DASHBOARD_WAIT_SECONDS=0
    )
    yield app
    db.dispose(app)


@pytest.fixture(params=["manager", "member"])
def audience(request: pytest.FixtureRequest) -> str:
    """Who looks: the team's manager (dashboard) or a team member (results page of their link)."""
    kind: str = request.param
    return kind


def _viewer(app: Flask, setup: TeamStudy, audience: str, handle: str) -> Callable[[], ManagerPage]:
    """How ``audience`` opens the team's figures (a member through ``handle``'s first link)."""
    if audience == "manager":
        manager = _client(app, MANAGER)
        return lambda: read_page(manager, f"/dashboard/team/{setup.team_id}")
    member = app.test_client()
    first = min(setup.wave_ids)
    return lambda: read_page(member, f"/s/{setup.link(handle, first)}/results")


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, email)
    return client


def _cli(app: Flask, *args: str) -> Result:
    config = {"DATABASE_URL": app.config["DATABASE_URL"], "INSTANCE_PATH": app.instance_path}
    return CliRunner().invoke(main, list(args), obj=config)


def _releases(app: Flask, setup: TeamStudy) -> int:
    """Assert the stored releases hold no isolating pair; return how many there are."""
    with app.app_context():
        history = releases.release_history(db.session, setup.study_id)
    assert isolating_pairs(history, MIN_CELL) == []
    assert recoverable_groups(history, MIN_CELL) == []
    return len(history)


def _subtractions(pages: list[ManagerPage], wave: int) -> list[float]:
    """What an attacker recovers from two pages showing ``wave``'s practice mean over 1 to
    MIN_CELL - 1 more respondents: n2 x m2 - n1 x m1, the score of the people in between."""
    seen = {
        (page.responded[wave], page.shown(wave))
        for page in pages
        if page.shown(wave) is not None and wave in page.responded
    }
    return [
        round(n2 * float(m2 or 0) - n1 * float(m1 or 0), 1)
        for (n1, m1), (n2, m2) in combinations(sorted(seen, key=lambda s: s[0]), 2)
        if 0 < n2 - n1 < MIN_CELL
    ]


@pytest.mark.slow
def test_reopen_and_subtract_is_refused_and_a_late_answer_cannot_be_subtracted(
    attack_app: Flask, audience: str
) -> None:
    people = {f"m{i}": "nurse" for i in range(1, 9)}
    seven = {f"m{i}" for i in range(1, 8)}  # m8 did not answer wave 5 (the only wave so far)
    with attack_app.app_context():
        setup = build_team_study(db.session, people, {})
        add_wave(db.session, setup, 5, seven)
    look = _viewer(attack_app, setup, audience, "m1")
    before = look()
    assert before.latest_wave == 5 and before.responded[5] == 7
    assert before.shown(5) is not None  # wave 5's mean over 7 people: the attacker's m1

    # the evaluator moves wave 5's closing date forward: refused on the page and the CLI
    evaluator = _client(attack_app, EVALUATOR)
    page = f"/admin/studies/{setup.study_id}/waves/{setup.wave_ids[5]}"
    zone = zone_from_config(attack_app.config)
    later = (utcnow() + timedelta(days=10)).astimezone(zone)
    with attack_app.app_context():
        wave = find_wave(db.session, setup, 5)
        original = (wave.opens, wave.closes)
    refused = evaluator.post(
        page,
        data={
            "csrf_token": csrf_token(evaluator, page),
            "number": 5,
            "instrument": "cop-health@1",
            "opens": original[0].astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
            "closes": later.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert refused.status_code == 422
    assert "wave 5 cannot be reopened or extended" in text_of(refused)
    assert "figures were released to managers and team members" in text_of(refused)
    cli = _cli(
        attack_app,
        "edit-wave",
        "--study",
        STUDY_NAME,
        "--wave",
        "5",
        "--closes",
        f"{later:%Y-%m-%d}",
    )
    assert cli.exit_code == 1 and "wave 5 cannot be reopened or extended" in cli.output
    with attack_app.app_context():
        wave = find_wave(db.session, setup, 5)
        assert (wave.opens, wave.closes) == original and wave.status() == "closed"
    earlier = _cli(
        attack_app,
        "edit-wave",
        "--study",
        STUDY_NAME,
        "--wave",
        "5",
        "--closes",
        f"{original[1] - timedelta(days=1):%Y-%m-%d}",
    )
    assert earlier.exit_code == 0, earlier.output  # closing earlier reopens nothing

    # a late answer gets in behind the app's back: the page never offers n2 x m2 - n1 x m1
    with attack_app.app_context():
        submit_late(db.session, setup, "m8", 5)
    after = look()
    assert after.responded[5] == 8
    assert _subtractions([before, after], 5) == []
    assert after.shown(5) is None
    assert _releases(attack_app, setup) == 2


@pytest.mark.slow
def test_a_profession_correction_does_not_rewrite_past_waves_or_reveal_anyone(
    attack_app: Flask, audience: str
) -> None:
    people = {f"g{i}": "GP" for i in range(1, 8)} | {f"c{i}": "consultant" for i in range(1, 7)}
    everyone = set(people)
    with attack_app.app_context():
        setup = build_team_study(db.session, people, {wave: everyone for wave in range(1, 6)})
    look = _viewer(attack_app, setup, audience, "c1")
    before = look()
    if audience == "manager":  # team members never see a breakdown by profession
        assert before.professions["GP"][1] == 7 and before.professions["consultant"][1] == 6

    evaluator = _client(attack_app, EVALUATOR)
    page = f"/admin/studies/{setup.study_id}/members/{setup.member_ids['g7']}"
    corrected = evaluator.post(
        page,
        data={
            "csrf_token": csrf_token(evaluator, page),
            "name": "Person G7",
            "email": setup.email("g7"),
            "profession": "consultant",
            "organisation": "Salford Royal",
            "organisation_type": "acute trust",
        },
    )
    assert corrected.status_code in (302, 303), text_of(corrected)
    again = look()
    assert again.tables == before.tables  # the release is frozen: the correction changes nothing
    with attack_app.app_context():  # and no export rewrites the past waves
        study = db.session.get(Study, setup.study_id)
        assert study is not None
        roster = export_bundle(db.session, study).roster
    alias = roster.loc[roster["profession"] == "GP", "respondent"]
    assert len(alias) == 5 * 7

    # the next wave closes: its profession figures would differ from wave 5's by one person
    with attack_app.app_context():
        add_wave(db.session, setup, 6, everyone)
        study = db.session.get(Study, setup.study_id)
        assert study is not None
        roster = export_bundle(db.session, study).roster
    assert sorted(roster.loc[roster["wave"] == 6, "profession"].value_counts().items()) == [
        ("GP", 6),
        ("consultant", 7),
    ]
    after = look()
    assert after.latest_wave == 6 and after.shown(6) is not None  # the same 13: shown
    assert after.professions == {}  # GP 6 / consultant 7 next to 7 / 6: withheld
    assert _releases(attack_app, setup) == 2


@pytest.mark.parametrize("looked_between", [True, False])
def test_a_joiner_cannot_be_read_off_across_waves(
    attack_app: Flask, audience: str, looked_between: bool
) -> None:
    stayers = {"a", "b", "c", "d", "e"}
    people = dict.fromkeys([*sorted(stayers), "joiner"], "nurse")
    with attack_app.app_context():
        setup = build_team_study(db.session, people, {1: stayers}, invited={1: stayers})
    look = _viewer(attack_app, setup, audience, "a")
    pages = [look()] if looked_between else []
    with attack_app.app_context():
        add_wave(db.session, setup, 2, stayers | {"joiner"})
    pages.append(look())
    last = pages[-1]
    assert last.responded == {1: 5, 2: 6}
    assert last.shown(1) is not None  # wave 1 is shown ...
    assert last.shown(2) is None  # ... so wave 2 (the same five and the joiner) is not
    for page in pages:  # 6 x m2 - 5 x m1 is never on offer
        assert page.shown(2) is None
    _releases(attack_app, setup)


def _erase(app: Flask, setup: TeamStudy, handle: str, route: str) -> None:
    """Erase ``handle`` as an evaluator would (``copkit erase-member`` or the member's erase
    page) or as they would themselves (the withdraw page of one of their links)."""
    if route == "cli":
        erased = _cli(
            app, "erase-member", "--study", STUDY_NAME, "--email", setup.email(handle), "--yes"
        )
        assert erased.exit_code == 0, erased.output
        return
    if route == "admin page":
        evaluator = _client(app, EVALUATOR)
        page = f"/admin/studies/{setup.study_id}/members/{setup.member_ids[handle]}/erase"
        done = evaluator.post(page, data={"csrf_token": csrf_token(evaluator, page)})
        assert done.status_code == 303, text_of(done)
        return
    link = setup.link(handle, min(setup.wave_ids))
    token = survey_form_token(link, app.config["SECRET_KEY"])
    done = app.test_client().post(f"/s/{link}/withdraw", data={"csrf_token": token})
    assert done.status_code == 200 and "You have withdrawn" in text_of(done)


@pytest.mark.slow
@pytest.mark.parametrize("route", ["cli", "admin page", "withdrawal"])
def test_an_erasure_withholds_the_figures_that_included_the_person(
    attack_app: Flask, audience: str, route: str
) -> None:
    people = {f"p{i}": "nurse" for i in range(1, 10)}
    with attack_app.app_context():
        setup = build_team_study(db.session, people, {wave: set(people) for wave in (1, 2)})
    look = _viewer(attack_app, setup, audience, "p1")
    before = look()
    assert before.responded == {1: 9, 2: 9}
    assert before.shown(1) is not None and before.shown(2) is not None

    _erase(attack_app, setup, "p3", route)
    after = look()
    assert after.responded == {1: 8, 2: 8}
    assert after.shown(1) is None and after.shown(2) is None
    assert _subtractions([before, after], 1) == [] and _subtractions([before, after], 2) == []
    assert _releases(attack_app, setup) == 2
    with attack_app.app_context():  # the erased pseudonym is in no release any more
        from survey_app.services.export import pseudonym

        gone = pseudonym("privacy-attack-secret", setup.member_ids["p3"])
        for release in releases.release_history(db.session, setup.study_id):
            assert all(gone not in cell.respondents for cell in release.cells)


@pytest.mark.slow
def test_two_merged_wards_and_a_joiner_cannot_be_subtracted_three_figures_at_a_time(
    attack_app: Flask,
) -> None:
    """Ward 5 (five people) and Ward 6 (five) answer wave 1; Ward 6 then joins Ward 5, and one
    joiner with it, for wave 2. A manager of both wards sees each ward's wave 1 and the merged
    ward's wave 2: every two of those figures differ by six people, but
    11 x m(Ward 5, w2) - 5 x m(Ward 5, w1) - 5 x m(Ward 6, w1) is the joiner's score when the
    stayers do not change. The merged wave is withheld."""
    xs, ys = [f"x{i}" for i in range(1, 6)], [f"y{i}" for i in range(1, 6)]
    people = dict.fromkeys([*xs, *ys, "joiner"], "nurse")
    with attack_app.app_context():
        session = db.session
        setup = build_team_study(session, people, {})
        study = session.get(Study, setup.study_id)
        ward5 = session.get(Team, setup.team_id)
        assert study is not None and ward5 is not None
        ward6 = Team(theme=ward5.theme, name="Ward 6")
        session.add(ward6)
        merged_on = (utcnow() - timedelta(days=542)).date()  # between waves 1 and 2
        in_ward5 = dict(setup.membership_ids)
        for handle in ys:  # in Ward 6 until the merger, in Ward 5 after it
            membership = Membership(
                member_id=setup.member_ids[handle],
                team=ward6,
                joined_on=date(2020, 1, 1),
                left_on=merged_on,
            )
            session.add(membership)
            session.flush()
            setup.membership_ids[handle] = membership.id
            session.get(Membership, in_ward5[handle]).joined_on = merged_on  # type: ignore[union-attr]
        session.get(Membership, in_ward5["joiner"]).joined_on = merged_on  # type: ignore[union-attr]
        add_user(session, "both-wards@example.org", "manager", study=study, teams=[ward5, ward6])
        session.commit()
        first = {*xs, *ys}
        add_wave(session, setup, 1, first, invited=first)
        setup.membership_ids = in_ward5
        add_wave(session, setup, 2, set(people))
        add_wave(session, setup, 3, set(people))  # and the merged ward again
        for answer in session.scalars(select(Answer).where(Answer.item_id.like("pi%"))):
            answer.value = float(1 + answer.response_id * 3 % 7)  # identity gaps that vary
        session.commit()
        ward6_id = ward6.id
    manager = _client(attack_app, "both-wards@example.org")
    ward5_page = read_page(manager, f"/dashboard/team/{setup.team_id}")
    ward6_page = read_page(manager, f"/dashboard/team/{ward6_id}")
    assert ward5_page.responded == {1: 5, 2: 11, 3: 11} and ward6_page.responded == {1: 5}
    assert ward6_page.shown(1) is not None
    # 11 x m(5, w2 or w3) - 5 x m(5, w1) - 5 x m(6, w1) is never on offer
    assert ward5_page.shown(2) is None or ward5_page.shown(1) is None
    assert ward5_page.shown(3) is None or ward5_page.shown(1) is None
    _releases(attack_app, setup)
