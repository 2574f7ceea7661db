"""``copkit erase-member``: every row of a member gone from the database and every export format,
audited without the person, refused for an address not on the roster."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import func, select

from survey_app.cli import main
from survey_app.extensions import db
from survey_app.models import (
    AuditEvent,
    Comment,
    Invitation,
    Member,
    Membership,
    Response,
    Study,
    Tie,
)
from survey_app.services.audit import Actor, record_action
from survey_app.services.export import pseudonym
from tests.survey_app.conftest import make_test_app
from tests.survey_app.export_fixtures import (
    COMMENTS,
    HF_TEAM,
    MEMBERS,
    SECRET,
    STUDY_NAME,
    ExportSetup,
    build_export_study,
)

FORMATS = {
    "bundle": "bundle.zip",
    "long-csv": "long.csv",
    "wide-csv": "wide.csv",
    "xlsx": "data.xlsx",
    "sav": "data.sav",
    "dta": "data.dta",
    "codebook": "codebook.md",
}
AISHA = MEMBERS["aisha"]
"""In both teams, named by teammates, with a comment in wave 2."""


@pytest.fixture
def study(migrated_database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, ExportSetup]]:
    app = make_test_app(migrated_database_url, tmp_path)
    with app.app_context():
        setup = build_export_study(db.session)
        found = db.session.get(Study, setup.study_id)
        assert found is not None
        record_action(  # an earlier event that names her, as adding her to the roster did
            db.session,
            Actor.cli(),
            "member.create",
            study_id=found.id,
            object_type="member",
            object_id=setup.member_ids["aisha"],
            detail={"email": AISHA[1]},
        )
        db.session.commit()
    yield app, setup
    db.dispose(app)


def _run(app: Flask, *args: str, stdin: str | None = None) -> Result:
    config = {"DATABASE_URL": app.config["DATABASE_URL"], "INSTANCE_PATH": app.instance_path}
    return CliRunner().invoke(main, list(args), obj=config, input=stdin)


def _export_texts(app: Flask, folder: Path) -> dict[str, bytes]:
    """Every format's bytes (archives opened), exported from the command line."""
    out: dict[str, bytes] = {}
    for fmt, name in FORMATS.items():
        path = folder / name
        result = _run(app, "export", "--format", fmt, "--out", str(path))
        assert result.exit_code == 0, result.output
        data = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                data = b"\n".join(archive.read(n) for n in sorted(archive.namelist()))
        out[fmt] = data
    return out


def _rows_of(app: Flask, member_id: int) -> dict[str, int]:
    with app.app_context():
        session = db.session
        memberships = select(Membership.id).where(Membership.member_id == member_id)
        invitations = select(Invitation.id).where(Invitation.membership_id.in_(memberships))
        counts = {
            "members": session.scalar(select(func.count()).where(Member.id == member_id)),
            "memberships": session.scalar(select(func.count()).select_from(memberships.subquery())),
            "invitations": session.scalar(select(func.count()).select_from(invitations.subquery())),
            "responses": session.scalar(
                select(func.count()).where(Response.invitation_id.in_(invitations))
            ),
            "ties naming her": session.scalar(
                select(func.count()).where(Tie.alter_member_id == member_id)
            ),
        }
    return {key: int(value or 0) for key, value in counts.items()}


@pytest.mark.slow
def test_erase_member_removes_every_row_of_theirs_from_every_export_format(
    study: tuple[Flask, ExportSetup], tmp_path: Path
) -> None:
    app, setup = study
    member_id = setup.member_ids["aisha"]
    alias = pseudonym(SECRET, member_id).encode()
    comment = COMMENTS[("aisha", HF_TEAM, 2)][1].encode()
    before = _export_texts(app, tmp_path / "before")
    holding = {fmt for fmt, data in before.items() if alias in data}
    assert holding == set(FORMATS) - {"codebook"}  # the codebook names nobody
    assert comment in before["bundle"]
    assert all(count > 0 for count in _rows_of(app, member_id).values())

    result = _run(app, "erase-member", "--study", STUDY_NAME, "--email", AISHA[1], "--yes")
    assert result.exit_code == 0, result.output
    assert f'Erased from study "{STUDY_NAME}": 6 responses, 186 answers, 2 comments' in (
        result.output
    )
    assert "and the member's record" in result.output

    after = _export_texts(app, tmp_path / "after")
    for fmt, data in after.items():
        assert alias not in data, fmt
        for identifying in (AISHA[0].encode(), AISHA[1].encode(), b"Patel"):
            assert identifying not in data, fmt
    assert comment not in after["bundle"]
    assert all(count == 0 for count in _rows_of(app, member_id).values())
    with app.app_context():  # the other members' ties and answers are all still there
        others = db.session.scalar(select(func.count()).select_from(Tie)) or 0
        assert others > 0
        events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    erased = [e for e in events if e.action == "member.erase"]
    assert len(erased) == 1 and erased[0].object_id is None and erased[0].actor == "cli"
    assert (erased[0].detail or {})["responses"] == 6 and (erased[0].detail or {})["via"] == "cli"
    for event in events:  # nothing in the audit trail leads to her any more
        text = f"{event.detail} {event.object_type}:{event.object_id} {event.actor}"
        assert AISHA[1] not in text and AISHA[0] not in text
        assert not (event.object_type == "member" and event.object_id == str(member_id))

    again = _run(app, "erase-member", "--study", STUDY_NAME, "--email", AISHA[1], "--yes")
    assert again.exit_code == 1
    assert "has no member with the e-mail address aisha.patel@srft.nhs.uk" in again.output


def test_erase_member_asks_first_and_changes_nothing_when_declined(
    study: tuple[Flask, ExportSetup],
) -> None:
    app, setup = study
    member_id = setup.member_ids["bernard"]
    email = MEMBERS["bernard"][1]
    declined = _run(app, "erase-member", "--study", STUDY_NAME, "--email", email, stdin="n\n")
    assert declined.exit_code == 1
    assert "This cannot be undone. Erase?" in declined.output
    assert "nothing was erased" in declined.output
    assert _rows_of(app, member_id)["members"] == 1
    accepted = _run(
        app, "erase-member", "--study", STUDY_NAME, "--email", email.upper(), stdin="y\n"
    )
    assert accepted.exit_code == 0, accepted.output
    assert _rows_of(app, member_id)["members"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--study", "No such study", "--email", "x@example.org"],
            'no study named "No such study"',
        ),
        (["--study", STUDY_NAME, "--email", "nobody@example.org"], "has no member with the e-mail"),
    ],
)
def test_erase_member_refuses_what_does_not_exist(
    study: tuple[Flask, ExportSetup], args: list[str], message: str
) -> None:
    app, _ = study
    result = _run(app, "erase-member", *args, "--yes")
    assert result.exit_code == 1 and message in result.output


def test_the_admin_page_erases_a_member_after_saying_what_goes(
    study: tuple[Flask, ExportSetup],
) -> None:
    from tests.survey_app.staff_support import add_user, csrf_token, sign_in, text_of

    app, setup = study
    with app.app_context():
        found = db.session.get(Study, setup.study_id)
        add_user(db.session, "eval@example.org", "evaluator", study=found)
        add_user(db.session, "boss@example.org", "manager", study=found)
        db.session.commit()
    member_id = setup.member_ids["aisha"]
    page = f"/admin/studies/{setup.study_id}/members/{member_id}/erase"
    manager = app.test_client()
    sign_in(manager, "boss@example.org")
    assert manager.get(page).status_code == 403
    evaluator = app.test_client()
    sign_in(evaluator, "eval@example.org")
    member_page = text_of(evaluator.get(f"/admin/studies/{setup.study_id}/members/{member_id}"))
    assert f'href="{page}"' in member_page
    shown = evaluator.get(page)
    assert shown.status_code == 200
    body = text_of(shown)
    assert "6 responses with 186 answers and 2 comments" in body
    assert "This cannot be undone." in body
    assert evaluator.post(page).status_code == 400  # no CSRF token: nothing happens
    assert _rows_of(app, member_id)["members"] == 1
    done = evaluator.post(page, data={"csrf_token": csrf_token(evaluator, page)})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/admin/studies/{setup.study_id}/members")
    assert all(count == 0 for count in _rows_of(app, member_id).values())
    listing = text_of(evaluator.get(f"/admin/studies/{setup.study_id}/members"))
    assert "The member was erased: deleted 6 responses" in listing
    assert AISHA[0] not in listing and AISHA[1] not in listing
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "member.erase")
        ).one()
        assert event.actor == "eval@example.org" and (event.detail or {})["via"] == "admin page"
    assert evaluator.get(page).status_code == 404  # gone


def test_purge_expired_deletes_personal_data_past_the_retention_period(
    study: tuple[Flask, ExportSetup],
) -> None:
    """The export study's last wave closed in 2024: with 30 days' retention it has expired."""
    app, setup = study
    with app.app_context():
        found = db.session.get(Study, setup.study_id)
        assert found is not None
        found.retention_days = 36_500
        db.session.commit()
    listed = _run(app, "purge-expired", "--dry-run")
    assert listed.exit_code == 0, listed.output
    assert "Past their retention period: no study." in listed.output
    with app.app_context():
        found = db.session.get(Study, setup.study_id)
        assert found is not None
        found.retention_days = 30
        db.session.commit()
    listed = _run(app, "purge-expired", "--dry-run")
    assert f'study "{STUDY_NAME}": 10 members, last wave closed 2024-08-05, kept 30 days' in (
        listed.output
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == 10
    purged = _run(app, "purge-expired")
    assert purged.exit_code == 0, purged.output
    assert f'Purged: study "{STUDY_NAME}": deleted 30 responses' in purged.output  # 1 draft
    with app.app_context():
        session = db.session
        assert session.scalar(select(func.count()).select_from(Member)) == 0
        assert session.scalar(select(func.count()).select_from(Response)) == 0
        assert session.get(Study, setup.study_id) is not None  # the study itself stays
        actions = list(session.scalars(select(AuditEvent.action)))
    assert actions.count("member.erase") == 10 and actions.count("study.purge") == 1
    again = _run(app, "purge-expired")
    assert "Purged: no study." in again.output


def test_every_export_format_is_checked() -> None:
    """A new export format must join FORMATS, so erasure is checked in it too."""
    from analysis.exports import EXPORT_FORMATS

    assert set(FORMATS) == set(EXPORT_FORMATS)


@pytest.mark.slow
def test_erase_member_on_the_demo_study_leaves_nothing_of_them_in_any_export(
    database_url: str, tmp_path: Path
) -> None:
    """``copkit demo``, then a member who was named by colleagues and left comments: erased,
    they are in no export format (every row of theirs, comments included, carries their
    pseudonym; the demo's comment texts are shared by many); a second call has no such member
    (exit 1)."""
    from survey_app.services.demo import DEMO_STUDY
    from tests.survey_app.test_demo import config_for, demo

    config = config_for(database_url, tmp_path)
    assert demo(config, tmp_path / "demo-output").exit_code == 0
    app = make_test_app(database_url, tmp_path, SECRET_KEY=config["SECRET_KEY"])
    try:
        with app.app_context():
            session = db.session
            study = session.scalars(select(Study).where(Study.name == DEMO_STUDY)).one()
            commented = (
                select(Member.id)
                .join(Membership)
                .join(Invitation)
                .join(Response)
                .join(Comment)
                .where(Member.study_id == study.id)
            )
            named = select(Tie.alter_member_id)
            member = session.scalars(
                select(Member).where(Member.id.in_(commented), Member.id.in_(named)).limit(1)
            ).one()
            member_id, email, name = member.id, member.email, member.name
            alias = pseudonym(study.secret, member_id).encode()
            comments = [
                text.encode()
                for text in session.scalars(
                    select(Comment.text)
                    .join(Response)
                    .join(Invitation)
                    .join(Membership)
                    .where(Membership.member_id == member_id)
                )
            ]
        before = _export_texts(app, tmp_path / "before")
        assert {fmt for fmt, data in before.items() if alias in data} == set(FORMATS) - {"codebook"}
        assert comments and all(text in before["bundle"] for text in comments)

        args = ["erase-member", "--study", DEMO_STUDY, "--email", email, "--yes"]
        erased = _run(app, *args)
        assert erased.exit_code == 0, erased.output
        after = _export_texts(app, tmp_path / "after")
        for fmt, data in after.items():
            for trace in (alias, email.encode(), name.encode()):  # comment rows carry the alias
                assert trace not in data, (fmt, trace)
        assert all(count == 0 for count in _rows_of(app, member_id).values())
        assert len(after["long-csv"]) < len(before["long-csv"])  # the others are still there

        again = _run(app, *args)
        assert again.exit_code == 1
        assert f"has no member with the e-mail address {email}" in again.output
    finally:
        db.dispose(app)


def test_purge_expired_takes_the_configured_period_for_a_study_without_its_own(
    study: tuple[Flask, ExportSetup],
) -> None:
    """No retention period of the study's own: COPKIT_RETENTION_DAYS decides."""
    app, setup = study
    with app.app_context():
        found = db.session.get(Study, setup.study_id)
        assert found is not None
        found.retention_days = None
        db.session.commit()

    def purge(days: int, *args: str) -> Result:
        config = {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INSTANCE_PATH": app.instance_path,
            "RETENTION_DAYS": days,
        }
        return CliRunner().invoke(main, ["purge-expired", *args], obj=config)

    kept = purge(36_500)
    assert kept.exit_code == 0 and "Purged: no study." in kept.output, kept.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == 10
    listed = purge(30, "--dry-run")
    assert "kept 30 days" in listed.output, listed.output
    purged = purge(30)
    assert f'Purged: study "{STUDY_NAME}": deleted 30 responses' in purged.output, purged.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == 0
