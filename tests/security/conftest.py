"""Shared fixtures of the security tests: one world with every role, signed in once, reset per case.

The world (:func:`build_world`) is two studies made by ``build_study`` (A and B), an account for
each staff role (the evaluator and a manager of A's team "Ward 7", a manager of A's team
"Renal", an evaluator of B, an admin), a spare evaluator account of study A (nobody signs in
with it: the account pages change it) and one respondent's link in study A. :class:`SecurityApp`
keeps the world's rows, puts them back before each case (:meth:`SecurityApp.restore`, so a case
that changed something cannot leak into the next) and compares the tables afterwards
(:meth:`SecurityApp.differences`). Each role's signed session cookie is taken once; every case
gets a fresh client carrying it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from survey_app import migrate
from survey_app.database import make_engine
from survey_app.extensions import db
from survey_app.factory import create_app
from survey_app.models import Base, Invitation, PasswordReset, Study, Team, Theme, utcnow
from survey_app.tokens import hash_token, survey_form_token
from tests.survey_app.conftest import (  # noqa: F401  (postgres_database, sqlite_template: fixtures)
    _psycopg_conninfo,
    _schema_url,
    postgres_database,
    sqlite_template,
)
from tests.survey_app.staff_support import StudyFixture, add_user, build_study, sign_in
from tests.survey_app.survey_fixtures import LAST_PAGE

ANONYMOUS = "anonymous"
RESPONDENT = "respondent"
MANAGER_OTHER = "manager_other"
MANAGER = "manager"
EVALUATOR_OTHER = "evaluator_other"
EVALUATOR = "evaluator"
ADMIN = "admin"
ROLES: tuple[str, ...] = (
    ANONYMOUS,
    RESPONDENT,
    MANAGER_OTHER,
    MANAGER,
    EVALUATOR_OTHER,
    EVALUATOR,
    ADMIN,
)
"""Everyone who can send a request: nobody, someone who only has a survey link, and the staff."""

STAFF_EMAILS: dict[str, str] = {
    ADMIN: "admin@example.org",
    EVALUATOR: "eval-a@example.org",
    EVALUATOR_OTHER: "eval-b@example.org",
    MANAGER: "manager-ward7@example.org",
    MANAGER_OTHER: "manager-renal@example.org",
}
SPARE_EMAIL = "spare-eval-a@example.org"
"""An account of study A that the account pages may change (nobody signs in with it)."""
RESPONDENT_TOKEN = "sec-respondent-".ljust(43, "x")
"""The respondent's link (Bob, team Ward 7 of study A, its open wave)."""
UNKNOWN_TOKEN = "sec-unknown-link-".ljust(43, "x")
RESET_TOKEN = "sec-reset-link-".ljust(43, "x")
"""A "forgot password" link of the spare account, valid for as long as the tests run."""
"""A well-formed link that belongs to nobody."""
SECRET_KEY = "security-tests-" + "k" * 32

FUZZ_CASES: Counter[str] = Counter()
"""Bad-input cases tried, by form (printed at the end of the run)."""
FUZZ_ACCEPTED: Counter[str] = Counter()
"""Of those, the cases the app accepted (the rest it refused)."""

MARKUP: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "<b>x</b>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><script>alert(2)</script>",
    "' onmouseover='alert(3)' x='",
    '" autofocus onfocus="alert(4)',
)
"""Markup that must never come back unescaped in any page (each is distinctive enough that
finding it in a page means it was not escaped)."""

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

Rows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class World:
    """Ids of the world's objects (study A is the one in scope; B belongs to someone else)."""

    a: StudyFixture
    b: StudyFixture
    theme_ids: dict[str, int]
    """Study A's themes by name."""
    other_theme_ids: dict[str, int]
    """Study B's themes by name."""
    invitation_id: int
    spare_user_id: int
    """The spare evaluator account of study A (:data:`SPARE_EMAIL`)."""


def build_world(session: Session) -> World:
    """Create the two studies, the five staff accounts and the respondent's link, and commit."""
    a = build_study(session, "Study A")
    b = build_study(session, "Study B")
    study_a = session.get(Study, a.study_id)
    study_b = session.get(Study, b.study_id)
    ward = session.get(Team, a.team_ids["Ward 7"])
    renal = session.get(Team, a.team_ids["Renal"])
    if study_a is None or study_b is None or ward is None or renal is None:
        raise RuntimeError("build_study did not make what it promises")
    add_user(session, STAFF_EMAILS[ADMIN], "admin")
    add_user(session, STAFF_EMAILS[EVALUATOR], "evaluator", study=study_a)
    add_user(session, STAFF_EMAILS[EVALUATOR_OTHER], "evaluator", study=study_b)
    add_user(session, STAFF_EMAILS[MANAGER], "manager", study=study_a, teams=[ward])
    add_user(session, STAFF_EMAILS[MANAGER_OTHER], "manager", study=study_a, teams=[renal])
    spare = add_user(session, SPARE_EMAIL, "evaluator", study=study_a)
    now = utcnow()
    invitation = Invitation(
        membership_id=a.membership_ids[("bob@example.org", "Ward 7")],
        wave_id=a.wave_id,
        token_hash=hash_token(RESPONDENT_TOKEN),
        sent_at=now - timedelta(hours=2),
        consented_at=now - timedelta(hours=1),
        started_at=now - timedelta(hours=1),
        current_page=LAST_PAGE,  # every page may be opened and sent
    )
    session.add(invitation)
    session.add(
        PasswordReset(
            user_id=spare.id,
            token_hash=hash_token(RESET_TOKEN),
            created_at=now,
            expires_at=now + timedelta(days=2),
        )
    )
    # study B's wave has an invitation too (Bob, Ward 7), for the pages of one invitation
    other = Invitation(
        membership_id=b.membership_ids[("bob@example.org", "Ward 7")],
        wave_id=b.wave_id,
        token_hash=hash_token("sec-other-study-".ljust(43, "x")),
    )
    session.add(other)
    session.flush()
    a.extra["invitation_id"] = invitation.id
    b.extra["invitation_id"] = other.id

    def themes(study_id: int) -> dict[str, int]:
        rows = session.execute(select(Theme.name, Theme.id).where(Theme.study_id == study_id))
        return {name: ident for name, ident in rows}

    world = World(
        a=a,
        b=b,
        theme_ids=themes(a.study_id),
        other_theme_ids=themes(b.study_id),
        invitation_id=invitation.id,
        spare_user_id=spare.id,
    )
    session.commit()
    return world


def read_rows(app: Flask) -> Rows:
    """Every row of every table, by primary key."""
    tables: list[Table] = list(Base.metadata.sorted_tables)
    with db.engine_for(app).connect() as connection:
        return {
            table.name: [
                dict(row._mapping)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in tables
        }


BOOKKEEPING_COLUMNS: dict[str, frozenset[str]] = {"staff_sessions": frozenset({"last_seen_at"})}
"""Columns any signed-in request may write without it counting as a change: a session's last
use (written at most once a minute, for the idle lifetime)."""


def _without(rows: list[dict[str, Any]], columns: frozenset[str]) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key not in columns} for row in rows]


def describe_differences(
    before: Rows,
    after: Rows,
    allowed_audit: frozenset[str] = frozenset(),
    ignored_tables: frozenset[str] = frozenset(),
) -> list[str]:
    """What changed between two readings.

    New audit events whose action is in ``allowed_audit`` are not changes, nor is anything in
    ``ignored_tables`` (a cache).
    """
    problems: list[str] = []
    for name, rows in before.items():
        if name in ignored_tables:
            continue
        now = after[name]
        if name in BOOKKEEPING_COLUMNS:
            rows = _without(rows, BOOKKEEPING_COLUMNS[name])
            now = _without(now, BOOKKEEPING_COLUMNS[name])
        if name == "audit_events":
            known = {row["id"] for row in rows}
            new = [row for row in now if row["id"] not in known]
            kept = [row for row in now if row["id"] in known]
            if kept != rows:
                problems.append("audit_events: existing events changed or removed")
            unexpected = [row["action"] for row in new if row["action"] not in allowed_audit]
            if unexpected:
                problems.append(f"audit_events: new events {unexpected}")
            continue
        if now != rows:
            changed = [(old, new) for old, new in zip(rows, now, strict=False) if old != new][:1]
            problems.append(
                f"{name}: {len(rows)} rows before, {len(now)} after; first change: "
                f"{changed or (now[len(rows) :][:1] if len(now) > len(rows) else rows[len(now) :][:1])}"
            )
    return problems


class SecurityApp:
    """The app on the world, with a signed-in cookie and a CSRF token for every role."""

    def __init__(self, app: Flask, world: World, kind: str) -> None:
        self.app = app
        self.world = world
        self.kind = kind
        self.baseline: Rows = read_rows(app)
        self.cookies: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        for role in ROLES:
            client = app.test_client()
            if role in STAFF_EMAILS:
                self.tokens[role] = sign_in(client, STAFF_EMAILS[role])
            else:  # a browser session, as anyone who opens the site has
                page = client.get("/auth/").get_data(as_text=True)
                match = _CSRF.search(page)
                if match is None:
                    raise AssertionError("no CSRF token on /auth/")
                self.tokens[role] = match.group(1)
            cookie = client.get_cookie("session")
            if cookie is None:
                raise AssertionError(f"no session cookie for {role}")
            self.cookies[role] = cookie.value
        # the staff sessions the sign-ins opened belong to the world (their cookies are used in
        # every case); their audit events do not: start every case from the world itself
        self.baseline["staff_sessions"] = read_rows(app)["staff_sessions"]
        self._dirty = True
        self.restore()

    def client(self, role: str) -> FlaskClient:
        """A fresh client with ``role``'s session (signed in for staff)."""
        client = self.app.test_client()
        client.set_cookie("session", self.cookies[role])
        return client

    def csrf(self, role: str, url: str = "") -> str:
        """The CSRF token a form posted to ``url`` by ``role`` carries.

        A survey link's forms (``/s/<token>/...``) carry the link's own form token, which is
        what a respondent holding that link sees; every other form carries the session's token.
        """
        path = urlsplit(url).path
        if path.startswith("/s/"):
            link = path.split("/")[2]
            return survey_form_token(link, self.app.config["SECRET_KEY"])
        return self.tokens[role]

    def restore(self) -> None:
        """Put the world's rows back exactly (whatever the last case added, changed or removed).

        Skipped when the last reading of the tables (:meth:`differences`) found the world as it
        was; a case that never read the tables leaves them marked as changed.
        """
        if not self._dirty:
            self._dirty = True  # until the next reading says otherwise
            return
        tables = list(Base.metadata.sorted_tables)
        with db.engine_for(self.app).begin() as connection:
            for table in reversed(tables):
                connection.execute(table.delete())
            for table in tables:
                rows = self.baseline[table.name]
                if rows:
                    connection.execute(table.insert(), rows)
        self._dirty = True

    def rows(self) -> Rows:
        """The tables now."""
        return read_rows(self.app)

    def differences(
        self,
        allowed_audit: frozenset[str] = frozenset(),
        ignored_tables: frozenset[str] = frozenset(),
    ) -> list[str]:
        """How the tables differ from the world (see :func:`describe_differences`)."""
        now = self.rows()
        self._dirty = now != self.baseline
        return describe_differences(self.baseline, now, allowed_audit, ignored_tables)


def assert_escaped(body: str, where: str) -> None:
    """No hostile markup of :data:`MARKUP` appears as markup in ``body``."""
    leaked = [markup for markup in MARKUP if markup in body]
    assert leaked == [], f"{where}: unescaped {leaked}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (mail sent there is refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def security_config(database_url: str, instance: Path, **extra: object) -> dict[str, object]:
    """The app's settings in these tests (mail goes to a closed port, so sending fails fast)."""
    config: dict[str, object] = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "WTF_CSRF_ENABLED": True,
        "INSTANCE_PATH": str(instance),
        "BASE_URL": "http://127.0.0.1:5000",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": free_port(),
        "SMTP_TIMEOUT": 2,
        # the cases reuse each role's sign-in for the whole module, however long the run takes
        "SESSION_IDLE_MINUTES": 24 * 60,
        "SESSION_ABSOLUTE_HOURS": 24,
        # the environment's COPKIT_* settings are cleared (clean_environment), tests/conftest.py's
        # COPKIT_DASHBOARD_BACKGROUND=false with them: dashboards are computed in the request
        "DASHBOARD_BACKGROUND": False,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="module")
def clean_environment() -> Iterator[None]:
    """The apps see only the settings given here: no COPKIT_* variables of the shell."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("COPKIT_") and name != "COPKIT_TEST_POSTGRES_URL":
                patch.delenv(name)
        yield


@contextmanager
def _database(
    kind: str, request: pytest.FixtureRequest, folder: Path, template: Path
) -> Iterator[str]:
    """A migrated database: a SQLite file, or a PostgreSQL schema of its own (dropped after)."""
    if kind == "sqlite":
        path = folder / "copkit.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    import psycopg

    database: str = request.getfixturevalue("postgres_database")
    schema = f"sec_{secrets.token_hex(6)}"
    conninfo = _psycopg_conninfo(database)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = _schema_url(database, schema)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def running_world(
    kind: str, request: pytest.FixtureRequest, folder: Path, template: Path, **extra: object
) -> Iterator[SecurityApp]:
    """The app on a fresh database holding the world, every role signed in."""
    with _database(kind, request, folder, template) as url:
        app = create_app(security_config(url, folder / "instance", **extra))
        try:
            with app.app_context():
                world = build_world(db.session)
            yield SecurityApp(app, world, kind)
        finally:
            db.dispose(app)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def security_app(
    request: pytest.FixtureRequest,
    clean_environment: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SecurityApp]:
    """The world on SQLite and on PostgreSQL (one app per database for the whole module)."""
    kind: str = request.param
    folder = tmp_path_factory.mktemp(f"security-{kind}")
    template: Path = request.getfixturevalue("sqlite_template")
    with running_world(kind, request, folder, template) as running:
        yield running


@pytest.fixture(scope="module")
def sqlite_security_app(
    request: pytest.FixtureRequest,
    clean_environment: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SecurityApp]:
    """The world on SQLite only."""
    folder = tmp_path_factory.mktemp("security-sqlite")
    template: Path = request.getfixturevalue("sqlite_template")
    with running_world("sqlite", request, folder, template) as running:
        yield running


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many bad-input cases were tried, in total and by form."""
    if not FUZZ_CASES:
        return
    total = sum(FUZZ_CASES.values())
    accepted = sum(FUZZ_ACCEPTED.values())
    terminalreporter.write_sep(
        "-", f"bad-input cases tried: {total} ({accepted} accepted, {total - accepted} refused)"
    )
    for name, number in sorted(FUZZ_CASES.items()):
        terminalreporter.write_line(f"{number:6d}  {name} ({FUZZ_ACCEPTED[name]} accepted)")


def routes() -> list[tuple[str, str, frozenset[str]]]:
    """Every route of the app but ``static``: (endpoint, rule, methods other than HEAD/OPTIONS).

    Read from the URL map of a freshly created app, so a new route shows up here by itself.
    """
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": SECRET_KEY})
    found = [
        (rule.endpoint, rule.rule, frozenset(rule.methods or ()) - {"HEAD", "OPTIONS"})
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    ]
    db.dispose(app)
    return sorted(found)


def url_arguments(world: World, role: str, objects: StudyFixture | None = None) -> dict[str, Any]:
    """A value for each URL argument: study A's objects (the ones in scope), the role's link.

    ``objects`` takes the objects (teams, members, waves, ...) from another study instead, while
    the study in the address stays study A.
    """
    a = objects or world.a
    themes = world.theme_ids if a is world.a else world.other_theme_ids
    return {
        "study_id": world.a.study_id,
        "theme_id": themes["Heart failure"],
        "team_id": a.team_ids["Ward 7"],
        "member_id": a.member_ids["ann@example.org"],
        "membership_id": a.membership_ids[("ann@example.org", "Ward 7")],
        "wave_id": a.wave_id,
        "intervention_id": a.intervention_id,
        "invitation_id": a.extra["invitation_id"],
        "kind": "invitation",
        "token": RESPONDENT_TOKEN if role == RESPONDENT else UNKNOWN_TOKEN,
        "number": 1,
        "user_id": world.spare_user_id,
        "reset_token": RESET_TOKEN,
    }


def build_url(
    app: Flask,
    endpoint: str,
    rule: str,
    world: World,
    role: str,
    objects: StudyFixture | None = None,
) -> str:
    """The address of ``endpoint`` filled with :func:`url_arguments`; fails on an unknown argument."""
    values = url_arguments(world, role, objects)
    adapter = app.url_map.bind("localhost")
    needed = set(re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule))
    missing = needed - set(values)
    if missing:
        raise AssertionError(
            f"{endpoint} ({rule}) has URL arguments {sorted(missing)} with no value in "
            "url_arguments(): add one (an object of study A)"
        )
    return adapter.build(endpoint, {name: values[name] for name in needed})
