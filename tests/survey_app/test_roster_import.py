"""Roster import: the whole file checked first, every bad line named, all or nothing, idempotent."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import func, select

from survey_app.cli import main
from survey_app.extensions import db
from survey_app.factory import create_app
from survey_app.models import AuditEvent, Member, Membership, Study, Team, Theme
from survey_app.services.roster_import import RosterError, parse_roster
from tests.survey_app.staff_support import add_user, count, csrf_token, sign_in, text_of

HEADER = "team,name,email,profession,organisation,organisation_type"
GOOD = f"""{HEADER},theme
Ward 7,Ann Smith,ann@example.org,nurse,Trust A,acute trust,Heart failure
Community,Ann Smith,ANN@example.org,nurse,Trust A,acute trust,Heart failure
Ward 7,Bob Jones,bob@example.org,GP,Practice B,general practice,Heart failure
Renal,Cat Lee,cat@example.org,pharmacist,Trust A,acute trust,CKD
"""
FOUR_BAD = f"""{HEADER}
Ward 7,Ann Smith,ann@example.org,nurse,Trust A,acute trust
Ward 7,Bob Jones,not-an-email,GP,Practice B,general practice
,Cat Lee,cat@example.org,pharmacist,Trust A,acute trust
Ward 7,Dan Wu,dan@example.org,,Trust A,acute trust
Community,Anne Smith,ann@example.org,nurse,Trust A,acute trust
Renal,Eve Hall,eve@example.org,nurse,Trust A,acute trust
"""


def _problems(data: bytes) -> list[str]:
    with pytest.raises(RosterError) as caught:
        parse_roster(data)
    return caught.value.messages


# --- checking a file (no database) ---


def test_a_good_file_gives_one_row_per_line() -> None:
    rows = parse_roster(GOOD.encode())
    assert [(r.line, r.team, r.theme, r.details.email) for r in rows] == [
        (2, "Ward 7", "Heart failure", "ann@example.org"),
        (3, "Community", "Heart failure", "ann@example.org"),
        (4, "Ward 7", "Heart failure", "bob@example.org"),
        (5, "Renal", "CKD", "cat@example.org"),
    ]


def test_every_bad_line_is_named_with_what_is_wrong() -> None:
    assert _problems(FOUR_BAD.encode()) == [
        'line 3: email "not-an-email" is not an email address',
        'line 4: missing value for "team"',
        'line 5: missing value for "profession"',
        'line 6: email "ann@example.org" has the name "Ann Smith" but line 2 gives it the name '
        '"Anne Smith"',
    ]


def test_a_file_that_is_not_utf8_names_the_lines() -> None:
    text = f"{HEADER}\nWard 7,Zoë Brown,zoe@example.org,nurse,Trust A,acute trust\n"
    text += "Ward 7,René Roy,rene@example.org,nurse,Trust A,acute trust\n"
    problems = _problems(text.encode("latin-1"))
    assert len(problems) == 2
    assert problems[0].startswith("line 2: not UTF-8 text (byte 0xEB at position 10)")
    assert problems[1].startswith("line 3: not UTF-8 text (byte 0xE9 at position 11)")
    assert 'save the file as "CSV UTF-8"' in problems[0]


def test_unknown_missing_and_repeated_columns() -> None:
    problems = _problems(b"team,name,e-mail,profession,organisation,team\nx,y,z,a,b,c\n")
    assert problems == [
        'line 1: unknown column "e-mail" (the columns are team, name, email, profession, '
        "organisation, organisation_type, and optionally theme and role)",
        'line 1: column "team" appears twice',
        'line 1: missing column "email"',
        'line 1: missing column "organisation_type"',
    ]


def test_wrong_number_of_values_and_semicolons() -> None:
    assert _problems(f"{HEADER}\nWard 7,Ann,ann@example.org,nurse\n".encode()) == [
        "line 2: 4 values, but the header has 6 columns"
    ]
    semicolons = HEADER.replace(",", ";") + "\n"
    assert "separated by semicolons" in _problems(semicolons.encode())[0]


def test_a_person_twice_in_one_team_and_an_empty_file() -> None:
    line = "Ward 7,Ann Smith,ann@example.org,nurse,Trust A,acute trust"
    assert _problems(f"{HEADER}\n{line}\n{line.replace('ann@', 'Ann@')}\n".encode()) == [
        'line 3: repeats line 2 ("ann@example.org" in team "Ward 7")'
    ]
    assert _problems(b"") == [
        "line 1: the file is empty (it needs a header line and a line per person)"
    ]


def test_byte_order_mark_crlf_blank_lines_and_quoted_line_breaks() -> None:
    text = (
        f"\ufeff{HEADER.upper()}\r\n\r\n"
        '"Ward 7","Smith, Ann",ann@example.org,nurse,"Trust\r\nA",acute trust\r\n'
        "Ward 7,Bob Jones,bob@@example,GP,Practice B,general practice\r\n"
    )
    with pytest.raises(RosterError) as caught:
        parse_roster(text.encode("utf-8"))
    # line 3 holds a value that spans two lines, so the next record starts on line 5
    assert caught.value.messages == [
        "line 3: organisation contains a control character (a line break or tab inside the value)",
        'line 5: email "bob@@example" is not an email address',
    ]


# --- the command ---


def _invoke(url: str, tmp_path: Path, args: list[str]) -> Result:
    config: dict[str, Any] = {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TESTING": True,
        "SECRET_KEY": "test",
    }
    return CliRunner().invoke(main, args, obj=config, catch_exceptions=False)


def _write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return str(path)


def _snapshot(url: str, tmp_path: Path) -> dict[str, Any]:
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "i2"), "SECRET_KEY": "t"}
    )
    try:
        with app.app_context():
            session = db.session
            return {
                "studies": session.scalars(select(Study.name)).all(),
                "themes": sorted(session.scalars(select(Theme.name))),
                "teams": sorted(session.scalars(select(Team.name))),
                "members": sorted(
                    session.execute(select(Member.email, Member.name, Member.profession)).all()
                ),
                "memberships": int(session.scalar(select(func.count(Membership.id))) or 0),
                "audit": session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all(),
            }
    finally:
        db.dispose(app)


def test_import_roster_command_imports_a_good_file_once(
    migrated_database_url: str, tmp_path: Path
) -> None:
    path = _write(tmp_path, "roster.csv", GOOD)
    first = _invoke(migrated_database_url, tmp_path, ["import-roster", path, "--study", "CLAHRC"])
    assert first.exit_code == 0, first.output
    assert "(study created)" in first.stdout
    assert "3 new members" in first.stdout and "4 new memberships" in first.stdout
    before = _snapshot(migrated_database_url, tmp_path)
    assert before["studies"] == ["CLAHRC"]
    assert before["themes"] == ["CKD", "Heart failure"]
    assert before["teams"] == ["Community", "Renal", "Ward 7"]
    assert [m[0] for m in before["members"]] == [
        "ann@example.org",
        "bob@example.org",
        "cat@example.org",
    ]
    assert before["memberships"] == 4  # Ann is one member in two teams

    again = _invoke(migrated_database_url, tmp_path, ["import-roster", path, "--study", "CLAHRC"])
    assert again.exit_code == 0
    assert "nothing to change" in again.stdout
    after = _snapshot(migrated_database_url, tmp_path)
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }
    assert after["audit"] == ["study.create", "roster.import", "roster.import"]


def test_four_bad_lines_import_nothing_and_are_all_named(
    migrated_database_url: str, tmp_path: Path
) -> None:
    path = _write(tmp_path, "roster.csv", FOUR_BAD)
    result = _invoke(migrated_database_url, tmp_path, ["import-roster", path, "--study", "CLAHRC"])
    assert result.exit_code == 1
    assert result.stdout == ""
    for line in (3, 4, 5, 6):
        assert f"\nline {line}: " in result.stderr
    assert "the roster has 4 problems; nothing was imported" in result.stderr
    assert 'line 3: email "not-an-email" is not an email address' in result.stderr
    state = _snapshot(migrated_database_url, tmp_path)
    assert state["members"] == [] and state["memberships"] == 0
    assert state["studies"] == [] and state["teams"] == []
    assert state["audit"] == ["roster.reject"]


def test_a_changed_roster_adds_people_and_updates_details(
    migrated_database_url: str, tmp_path: Path
) -> None:
    _invoke(
        migrated_database_url,
        tmp_path,
        ["import-roster", _write(tmp_path, "a.csv", GOOD), "--study", "S"],
    )
    changed = GOOD.replace("Bob Jones,bob@example.org,GP", "Bob Jones,BOB@example.org,senior GP")
    changed += "Renal,Dee Fox,dee@example.org,nurse,Trust A,acute trust,CKD\n"
    result = _invoke(
        migrated_database_url,
        tmp_path,
        ["import-roster", _write(tmp_path, "b.csv", changed), "--study", "S"],
    )
    assert result.exit_code == 0, result.output
    assert "1 new members, 1 members updated, 1 new memberships, 0 new teams" in result.stdout
    members = _snapshot(migrated_database_url, tmp_path)["members"]
    assert ("bob@example.org", "Bob Jones", "senior GP") in members
    assert len(members) == 4


def test_a_team_name_in_two_themes_needs_the_theme_column(
    migrated_database_url: str, tmp_path: Path
) -> None:
    themed = f"""{HEADER},theme
Ward 7,Ann Smith,ann@example.org,nurse,Trust A,acute trust,Heart failure
Ward 7,Bob Jones,bob@example.org,GP,Practice B,general practice,CKD
"""
    assert (
        _invoke(
            migrated_database_url,
            tmp_path,
            ["import-roster", _write(tmp_path, "a.csv", themed), "--study", "S"],
        ).exit_code
        == 0
    )
    plain = f"{HEADER}\nWard 7,Cat Lee,cat@example.org,nurse,Trust A,acute trust\n"
    result = _invoke(
        migrated_database_url,
        tmp_path,
        ["import-roster", _write(tmp_path, "b.csv", plain), "--study", "S"],
    )
    assert result.exit_code == 1
    assert (
        'line 2: team "Ward 7" is in several themes (CKD, Heart failure); fill in the theme column'
        in result.stderr
    )
    plain_new = f"{HEADER}\nOutreach,Cat Lee,cat@example.org,nurse,Trust A,acute trust\n"
    result = _invoke(
        migrated_database_url,
        tmp_path,
        ["import-roster", _write(tmp_path, "c.csv", plain_new), "--study", "S"],
    )
    assert result.exit_code == 0
    assert "General" in _snapshot(migrated_database_url, tmp_path)["themes"]


def test_a_missing_file_is_refused_by_the_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import-roster", str(tmp_path / "nope.csv"), "--study", "S"])
    assert result.exit_code == 2
    assert "does not exist" in result.output


# --- the upload page ---


@pytest.fixture
def evaluator_client(app: Flask) -> tuple[Flask, Any, str, int]:
    with app.app_context():
        study = Study(name="Upload study")
        db.session.add(study)
        db.session.flush()
        add_user(db.session, "eval@example.org", "evaluator", study=study)
        study_id = study.id
        db.session.commit()
    client = app.test_client()
    token = sign_in(client, "eval@example.org")
    return app, client, token, study_id


def _upload(client: Any, token: str, study_id: int, data: bytes) -> Any:
    return client.post(
        f"/admin/studies/{study_id}/roster",
        data={"csrf_token": token, "file": (io.BytesIO(data), "roster.csv")},
        content_type="multipart/form-data",
    )


def test_upload_page_imports_a_good_file(evaluator_client: tuple[Flask, Any, str, int]) -> None:
    app, client, token, study_id = evaluator_client
    page = text_of(client.get(f"/admin/studies/{study_id}/roster"))
    assert '<label for="file">Roster file (CSV)</label>' in page
    response = _upload(client, token, study_id, GOOD.encode())
    assert response.status_code == 302
    assert "3 new members" in text_of(client.get(response.headers["Location"]))
    assert count(app, Member) == 3
    again = _upload(client, token, study_id, GOOD.encode())
    assert "nothing to change" in text_of(client.get(again.headers["Location"]))
    assert count(app, Member) == 3 and count(app, Membership) == 4


def test_upload_page_rejects_a_bad_file_whole(
    evaluator_client: tuple[Flask, Any, str, int],
) -> None:
    app, client, token, study_id = evaluator_client
    response = _upload(client, token, study_id, FOUR_BAD.encode())
    assert response.status_code == 422
    page = text_of(response)
    assert "Nothing was imported: the file has 4 problems" in page
    assert "line 3: email &#34;not-an-email&#34; is not an email address" in page
    for line in (4, 5, 6):
        assert f"line {line}: " in page
    assert count(app, Member) == 0 and count(app, Team) == 0
    assert _upload(client, token, study_id, "é".encode("latin-1")).status_code == 422
    missing = client.post(
        f"/admin/studies/{study_id}/roster",
        data={"csrf_token": token},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422 and "Choose a CSV file" in text_of(missing)


def test_roster_values_are_escaped_on_the_pages(
    evaluator_client: tuple[Flask, Any, str, int],
) -> None:
    _app, client, token, study_id = evaluator_client
    hostile = f"{HEADER}\n<b>Ward</b>,<script>alert(1)</script>,x@example.org,nurse,T,t\n"
    assert _upload(client, token, study_id, hostile.encode()).status_code == 302
    page = text_of(client.get(f"/admin/studies/{study_id}/members"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert csrf_token(client, f"/admin/studies/{study_id}/members")
