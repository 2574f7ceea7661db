"""The study set-up commands (create-study ... show-study) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from survey_app.cli import main
from survey_app.extensions import db
from survey_app.factory import create_app
from survey_app.models import AuditEvent, Intervention, Study, Team, Theme, Wave

STUDY = "GM CLAHRC"
ROSTER = (
    "theme,team,name,email,profession,organisation,organisation_type\n"
    "Heart Failure,Community nurses,Ann Lee,ann@example.org,nurse,Trust A,acute trust\n"
    "Heart Failure,Community nurses,Bob Roe,bob@example.org,GP,Practice B,general practice\n"
)


def _config(url: str, tmp_path: Path, **extra: object) -> dict[str, Any]:
    return {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TESTING": True,
        "SECRET_KEY": "test",
        **extra,
    }


def _invoke(config: dict[str, Any], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), obj=config, catch_exceptions=False)


def _ok(config: dict[str, Any], *args: str) -> str:
    result = _invoke(config, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _snapshot(config: dict[str, Any]) -> dict[str, Any]:
    """Every row the set-up commands write, and the audit trail."""
    app = create_app(config)
    try:
        with app.app_context():
            session = db.session
            return {
                "studies": sorted(session.scalars(select(Study.name))),
                "themes": sorted(session.scalars(select(Theme.name))),
                "teams": sorted(session.scalars(select(Team.name))),
                "waves": sorted(
                    session.execute(
                        select(Wave.number, Wave.opens, Wave.closes, Wave.closed_early_at)
                    ).all()
                ),
                "interventions": int(session.scalar(select(func.count(Intervention.id))) or 0),
                "audit": list(
                    session.execute(
                        select(AuditEvent.action, AuditEvent.actor).order_by(AuditEvent.id)
                    ).all()
                ),
            }
    finally:
        db.dispose(app)


def _set_up(config: dict[str, Any]) -> None:
    """A study with two themes, a team name used in both, and one wave."""
    _ok(config, "create-study", STUDY)
    _ok(config, "add-theme", "Heart Failure", "--study", STUDY)
    _ok(config, "add-theme", "CKD", "--study", STUDY)
    _ok(config, "add-team", "Community nurses", "--study", STUDY, "--theme", "Heart Failure")
    _ok(config, "add-team", "Pharmacists", "--study", STUDY, "--theme", "Heart Failure")
    _ok(config, "add-team", "Pharmacists", "--study", STUDY, "--theme", "CKD")
    _ok(
        config,
        "add-wave",
        "--study",
        STUDY,
        "--opens",
        "2025-07-01T09:00",
        "--closes",
        "2025-07-14",
    )


@pytest.mark.slow
def test_a_study_set_up_step_by_step_is_stored_audited_and_shown(
    migrated_database_url: str, tmp_path: Path
) -> None:
    config = _config(migrated_database_url, tmp_path)
    assert _ok(config, "create-study", f"  {STUDY} ") == f'Created study "{STUDY}".\n'
    assert _ok(config, "add-theme", "Heart Failure", "--study", STUDY) == (
        f'Added theme "Heart Failure" to study "{STUDY}".\n'
    )
    _ok(config, "add-theme", "CKD", "--study", STUDY)
    added = _ok(
        config, "add-team", "Community nurses", "--study", STUDY, "--theme", "Heart Failure"
    )
    assert added == f'Added team "Community nurses" to theme "Heart Failure" of study "{STUDY}".\n'
    _ok(config, "add-team", "Pharmacists", "--study", STUDY, "--theme", "CKD")
    _ok(config, "import-roster", str(_roster(tmp_path)), "--study", STUDY)

    wave = _ok(
        config,
        "add-wave",
        "--study",
        STUDY,
        "--opens",
        "2025-07-01T09:00",
        "--closes",
        "2025-07-14",
        "--instrument",
        "cop-health@1",
    )
    assert wave == (
        f'Added wave 1 to study "{STUDY}": opens Tuesday 1 July 2025, 09:00, closes Monday '
        "14 July 2025, 23:59 (Europe/London), instrument cop-health@1.\n"
    )
    later = _ok(
        config, "add-wave", "--study", STUDY, "--opens", "2099-01-05", "--closes", "2099-02-01"
    )
    assert later.startswith(f'Added wave 2 to study "{STUDY}"')  # numbered after the last
    closed = _ok(config, "close-wave", "--study", STUDY, "--wave", "2").splitlines()
    assert closed[0] == f'Closed wave 2 of study "{STUDY}" early.'
    assert closed[1].startswith("Dashboards prepared: ")
    recorded = _ok(
        config,
        "add-intervention",
        "--study",
        STUDY,
        "--team",
        "Community nurses",
        "--started",
        "2025-07-20",
        "--kind",
        "facilitated workshop",
        "--description",
        "Two half-day workshops with the GP practices",
    )
    assert recorded == (
        f'Recorded intervention "facilitated workshop" in Heart Failure / Community nurses of '
        f'study "{STUDY}", started 20 July 2025.\n'
    )

    stored = _snapshot(config)
    assert stored["studies"] == [STUDY]
    assert stored["themes"] == ["CKD", "Heart Failure"]
    assert stored["teams"] == ["Community nurses", "Pharmacists"]
    first, second = stored["waves"]
    # typed in London summer time, stored in UTC
    assert first[:3] == (
        1,
        datetime(2025, 7, 1, 8, 0, tzinfo=UTC),
        datetime(2025, 7, 14, 22, 59, tzinfo=UTC),
    )
    assert first[3] is None and second[3] is not None
    assert stored["interventions"] == 1
    assert [action for action, actor in stored["audit"] if actor == "cli"] == [
        "study.create",
        "theme.create",
        "theme.create",
        "team.create",
        "team.create",
        "roster.import",
        "wave.create",
        "wave.create",
        "wave.close",
        "intervention.create",
    ]

    shown = _ok(config, "show-study", STUDY)
    assert shown.startswith(f'Study "{STUDY}" (times in Europe/London)\n')
    lines = [" ".join(line.split()) for line in shown.splitlines()]
    assert "CKD 1" in lines and "Heart Failure 1" in lines  # themes with their teams
    assert "Heart Failure Community nurses 2" in lines  # the two rostered members
    assert "CKD Pharmacists 0" in lines
    assert "1 closed 2025-07-01 09:00 2025-07-14 23:59 cop-health@1" in lines
    # a wave added without --instrument takes the newest shipped version
    assert "2 closed early 2099-01-05 00:00 2099-02-01 23:59 cop-health@2" in lines
    assert (
        "Heart Failure / Community nurses 2025-07-20 facilitated workshop "
        "Two half-day workshops with the GP practices"
    ) in lines
    assert _snapshot(config)["audit"] == stored["audit"]  # show-study only reads


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def test_show_study_of_an_empty_study_says_none(migrated_database_url: str, tmp_path: Path) -> None:
    config = _config(migrated_database_url, tmp_path)
    _ok(config, "create-study", STUDY)
    shown = _ok(config, "show-study", STUDY)
    for section in ("Themes", "Teams", "Waves", "Interventions"):
        assert f"{section}\n  (none)" in shown


def test_wave_times_are_read_in_the_configured_time_zone(
    migrated_database_url: str, tmp_path: Path
) -> None:
    config = _config(migrated_database_url, tmp_path, TIMEZONE="America/New_York")
    _ok(config, "create-study", STUDY)
    added = _ok(
        config,
        "add-wave",
        "--study",
        STUDY,
        "--opens",
        "2025-01-06 09:00",
        "--closes",
        "2025-01-10",
    )
    assert "(America/New_York)" in added
    opens, closes = _snapshot(config)["waves"][0][1:3]
    assert opens == datetime(2025, 1, 6, 14, 0, tzinfo=UTC)
    assert closes == datetime(2025, 1, 11, 4, 59, tzinfo=UTC)


BAD_REQUESTS = [
    pytest.param(
        ["create-study", STUDY], f'a study named "{STUDY}" already exists', id="study-twice"
    ),
    pytest.param(["create-study", "  "], 'missing value for "study name"', id="study-unnamed"),
    pytest.param(["add-theme", "CKD", "--study", "Nope"], 'no study named "Nope"', id="no-study"),
    pytest.param(
        ["add-theme", "CKD", "--study", STUDY],
        f'study "{STUDY}": name: the study already has a theme "CKD"',
        id="theme-twice",
    ),
    pytest.param(
        ["add-team", "Renal", "--study", STUDY, "--theme", "Diabetes"],
        f'study "{STUDY}" has no theme "Diabetes"',
        id="no-theme",
    ),
    pytest.param(
        ["add-team", "Pharmacists", "--study", STUDY, "--theme", "CKD"],
        f'study "{STUDY}": name: theme "CKD" already has a team "Pharmacists"',
        id="team-twice",
    ),
    pytest.param(
        ["add-wave", "--study", STUDY, "--opens", "2025-08-10", "--closes", "2025-08-01"],
        f'study "{STUDY}": closes: the wave must close after it opens',
        id="closes-before-opens",
    ),
    pytest.param(
        [
            "add-wave",
            "--study",
            STUDY,
            "--opens",
            "2025-08-01",
            "--closes",
            "2025-08-10",
            "--instrument",
            "cop-wellbeing@1",
        ],
        "no instrument 'cop-wellbeing'",
        id="unknown-instrument",
    ),
    pytest.param(
        [
            "add-wave",
            "--study",
            STUDY,
            "--opens",
            "2025-08-01",
            "--closes",
            "2025-08-10",
            "--instrument",
            "cop-health@9",
        ],
        f"study \"{STUDY}\": instrument: instrument 'cop-health' has no version 9 (versions: 1, 2)",
        id="unknown-version",
    ),
    pytest.param(
        [
            "add-wave",
            "--study",
            STUDY,
            "--number",
            "1",
            "--opens",
            "2025-08-01",
            "--closes",
            "2025-08-10",
        ],
        f'study "{STUDY}": number: the study already has a wave 1',
        id="wave-number-twice",
    ),
    pytest.param(
        [
            "add-wave",
            "--study",
            STUDY,
            "--number",
            "1",
            "--opens",
            "2025-08-10",
            "--closes",
            "2025-08-01",
        ],
        f'Error: study "{STUDY}":\n'
        "number: the study already has a wave 1\n"
        "closes: the wave must close after it opens\n",
        id="two-problems-one-a-line",
    ),
    pytest.param(
        ["close-wave", "--study", STUDY, "--wave", "7"],
        f'study "{STUDY}" has no wave 7',
        id="no-wave",
    ),
    pytest.param(
        ["close-wave", "--study", STUDY, "--wave", "1"],
        f'study "{STUDY}": wave 1 is already closed',
        id="wave-closed",
    ),
    pytest.param(
        [
            "add-intervention",
            "--study",
            STUDY,
            "--team",
            "Dietitians",
            "--started",
            "2025-07-20",
            "--kind",
            "workshop",
        ],
        f'no team "Dietitians" in study "{STUDY}"',
        id="no-team",
    ),
    pytest.param(
        [
            "add-intervention",
            "--study",
            STUDY,
            "--team",
            "Pharmacists",
            "--started",
            "2025-07-20",
            "--kind",
            "workshop",
        ],
        'team name "Pharmacists" is used in several themes; write Theme/Team',
        id="ambiguous-team",
    ),
    pytest.param(
        [
            "add-intervention",
            "--study",
            STUDY,
            "--team",
            "CKD/Pharmacists",
            "--started",
            "2025-07-20",
            "--kind",
            " ",
        ],
        f'study "{STUDY}": kind: missing value for "kind"',
        id="intervention-without-kind",
    ),
    pytest.param(["show-study", "Nope"], 'no study named "Nope"', id="show-no-study"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), BAD_REQUESTS)
def test_bad_requests_exit_1_with_a_message_and_store_nothing(
    migrated_database_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    config = _config(migrated_database_url, tmp_path)
    _set_up(config)
    before = _snapshot(config)
    result = _invoke(config, *args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert _snapshot(config) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["add-wave", "--study", STUDY, "--opens", "1/7/2025", "--closes", "2025-07-14"],
            "'1/7/2025' is not a time like 2025-03-14 or 2025-03-14T17:00",
        ),
        (
            [
                "add-wave",
                "--study",
                STUDY,
                "--opens",
                "2025-07-01",
                "--closes",
                "2025-07-14",
                "--instrument",
                "cop-health",
            ],
            "'cop-health' is not an instrument and version like cop-health@1",
        ),
        (["add-wave", "--opens", "2025-07-01", "--closes", "2025-07-14"], "'--study'"),
        (
            [
                "add-intervention",
                "--study",
                STUDY,
                "--team",
                "CKD/Pharmacists",
                "--started",
                "20/07/2025",
                "--kind",
                "workshop",
            ],
            "'--started'",
        ),
        (["close-wave", "--study", STUDY, "--wave", "0"], "'--wave'"),
        (["add-team", "Renal", "--study", STUDY], "'--theme'"),
    ],
)
def test_malformed_arguments_are_usage_errors(
    sqlite_template: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    database = tmp_path / "copkit.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    config = _config(f"sqlite:///{database}", tmp_path)
    _ok(config, "create-study", STUDY)
    before = _snapshot(config)
    result = _invoke(config, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert _snapshot(config) == before


def test_an_unknown_time_zone_setting_is_named(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "copkit.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    config = _config(f"sqlite:///{database}", tmp_path, TIMEZONE="Mars/Olympus")
    _ok(config, "create-study", STUDY)
    result = _invoke(
        config, "add-wave", "--study", STUDY, "--opens", "2025-07-01", "--closes", "2025-07-14"
    )
    assert result.exit_code == 1
    assert "setting TIMEZONE must be a time zone" in result.stderr
    assert _snapshot(config)["waves"] == []


def test_the_intervention_day_is_stored_as_given(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "copkit.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    config = _config(f"sqlite:///{database}", tmp_path)
    _set_up(config)
    _ok(
        config,
        "add-intervention",
        "--study",
        STUDY,
        "--team",
        "CKD/Pharmacists",
        "--started",
        "2025-07-20",
        "--kind",
        "knowledge transfer associate",
    )
    app = create_app(config)
    try:
        with app.app_context():
            intervention = db.session.scalars(select(Intervention)).one()
            assert intervention.started_on == date(2025, 7, 20)
            assert intervention.team.theme.name == "CKD"
            assert intervention.description == ""
    finally:
        db.dispose(app)
