"""Staff pages in a real browser: axe-core on every page type, and nothing scrolls sideways at 320px.

The pages (:data:`PAGES`) cover every GET page of the staff blueprints (sign-in, password,
administration, exports, dashboards), the same pages re-shown with errors, the lockout message
and the 403/404 pages; a test checks the list against the URL map, so a new staff page cannot
be left out. The study is the export test study (three waves of answers, comments, an
intervention), so tracking tables and dashboards have content; the accounts are an admin, the
study's evaluator and the manager of its heart failure team.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import (
    Invitation,
    Member,
    Membership,
    PasswordReset,
    Study,
    Team,
    Wave,
    utcnow,
)
from survey_app.tokens import hash_token
from tests.browser.conftest import HELP_EMAIL, migrated_app, serving
from tests.survey_app.export_fixtures import CKD_TEAM, HF_TEAM, build_export_study
from tests.survey_app.staff_support import PASSWORD, add_user

pytestmark = pytest.mark.browser

AXE_OPTIONS = {"resultTypes": ["violations"]}
"""All of axe-core's default rules (WCAG 2.0/2.1 A and AA, and best practices)."""
STAFF_BLUEPRINTS = ("admin.", "auth.", "dashboard.", "exports.")
ADMIN, EVALUATOR, MANAGER, ANONYMOUS = "admin", "evaluator", "manager", "anonymous"
EMAILS = {
    ADMIN: "admin@example.org",
    EVALUATOR: "evaluator@example.org",
    MANAGER: "manager@example.org",
}
LOCKED_EMAIL = "locked.out@example.org"
RESET_TOKEN = "browser-reset-link-".ljust(43, "x")
MAX_FAILURES = 3
BAD_ROSTER = (
    "team,name,email,profession,organisation,organisation_type\n"
    "HF community,Zed Newman,not-an-email,nurse,Trust A,acute trust\n"
    ",Yan Wu,yan@example.org,,Trust A,acute trust\n"
)


@dataclass
class StaffServer:
    """The running app and the ids its pages need."""

    url: str
    app: Flask
    study_id: int
    team_id: int
    other_team_id: int
    member_id: int
    wave_id: int
    intervention_id: int
    account_id: int
    """The manager's staff account (for the account page)."""
    open_wave_id: int
    """Wave 4, open, its HF team invited and nobody answered (links, resends)."""
    reset_token: str = RESET_TOKEN
    """A "forgot password" link of the manager's account."""

    def path(self, template: str) -> str:
        """``template`` with ``{study}``, ``{team}``, ... filled in, as a full URL."""
        return self.url + template.format(
            study=self.study_id,
            team=self.team_id,
            other_team=self.other_team_id,
            member=self.member_id,
            wave=self.wave_id,
            intervention=self.intervention_id,
            account=self.account_id,
            reset=self.reset_token,
            open_wave=self.open_wave_id,
        )


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffServer]:
    """copkit on 127.0.0.1 with the export test study and three staff accounts."""
    app = migrated_app(
        tmp_path_factory.mktemp("staff-live"),
        WTF_CSRF_ENABLED=True,
        HELP_EMAIL=HELP_EMAIL,
        LOGIN_MAX_FAILURES=MAX_FAILURES,
        DASHBOARD_WAIT_SECONDS=120.0,
    )
    with app.app_context():
        session = db.session
        setup = build_export_study(session)
        study = session.get(Study, setup.study_id)
        teams = {team.name: team for team in session.scalars(select(Team))}
        add_user(session, EMAILS[ADMIN], "admin")
        add_user(session, EMAILS[EVALUATOR], "evaluator", study=study)
        manager = add_user(session, EMAILS[MANAGER], "manager", study=study, teams=[teams[HF_TEAM]])
        session.add(
            PasswordReset(
                user_id=manager.id,
                token_hash=hash_token(RESET_TOKEN),
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        wave = session.scalar(select(Wave).order_by(Wave.number.desc()))
        intervention = teams[HF_TEAM].interventions[0]
        assert study is not None and wave is not None
        now = utcnow()
        open_wave = Wave(
            study=study,
            number=wave.number + 1,
            opens=now - timedelta(days=1),
            closes=now + timedelta(days=13),
            instrument_id="cop-health",
            instrument_version=1,
        )
        session.add(open_wave)
        for position, membership in enumerate(teams[HF_TEAM].memberships):
            session.add(
                Invitation(
                    membership=membership,
                    wave=open_wave,
                    token_hash=hash_token(f"staff-open-{position}".ljust(43, "x")),
                )
            )
        leaver = Member(
            study=study,
            name="Lee Former",
            email="lee.former@example.org",
            profession="physiotherapist",
            organisation="Trust A",
            organisation_type="acute trust",
        )
        session.add(
            Membership(
                member=leaver,
                team=teams[HF_TEAM],
                joined_on=date(2020, 1, 1),
                left_on=date(2021, 6, 30),
            )
        )
        session.flush()
        ids = {
            "study_id": study.id,
            "team_id": teams[HF_TEAM].id,
            "other_team_id": teams[CKD_TEAM].id,
            "member_id": setup.member_ids["aisha"],
            "wave_id": wave.id,
            "intervention_id": intervention.id,
            "account_id": manager.id,
            "open_wave_id": open_wave.id,
        }
        session.commit()
    with serving(app, "copkit-staff") as url:
        yield StaffServer(url, app, **ids)


Tab = Callable[[str, int], Any]


@pytest.fixture(scope="module")
def tabs(browser: Any, staff_server: StaffServer) -> Iterator[Tab]:
    """``tabs(role, width)``: a tab signed in as ``role`` (kept for the module), ``width`` wide.

    CSP is bypassed so that axe-core can be injected.
    """
    opened: dict[tuple[str, int], Any] = {}
    contexts: list[Any] = []

    def tab(role: str, width: int) -> Any:
        key = (role, width)
        if key not in opened:
            context = browser.new_context(
                viewport={"width": width, "height": 800}, bypass_csp=True, is_mobile=width < 400
            )
            contexts.append(context)
            page = context.new_page()
            if role != ANONYMOUS:
                sign_in(page, staff_server, EMAILS[role])
            opened[key] = page
        return opened[key]

    try:
        yield tab
    finally:
        for context in contexts:
            context.close()


def sign_in(page: Any, server: StaffServer, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form."""
    page.goto(server.path("/auth/"))
    page.fill("#email", email)
    page.fill("#password", password)
    submit(page, "Sign in")


def submit(page: Any, label: str) -> None:
    """Press the submit button labelled ``label`` and wait for the next page."""
    with page.expect_navigation():
        page.locator("button[type=submit]", has_text=label).first.click()


Action = Callable[[Any, StaffServer], None]


@dataclass(frozen=True)
class StaffPage:
    """A page type: whose view, its address, and what to do there before checking it."""

    name: str
    endpoint: str
    role: str
    path: str
    action: Action | None = None
    text: str | None = None
    """Text the page must contain (so the check is on the intended page)."""


def _press(label: str) -> Action:
    return lambda page, server: submit(page, label)


def _fill_and_press(fields: dict[str, str], label: str) -> Action:
    def act(page: Any, server: StaffServer) -> None:
        for selector, value in fields.items():
            page.fill(selector, value)
        submit(page, label)

    return act


_WRONG_SIGN_INS = itertools.count()


def _wrong_sign_in(page: Any, server: StaffServer) -> None:
    """One wrong sign-in, each time for another address: the page is visited at every width,
    and a third failure for one account from one address would pause it (MAX_FAILURES)."""
    page.fill("#email", f"nobody{next(_WRONG_SIGN_INS)}@example.org")
    page.fill("#password", "wrong")
    submit(page, "Sign in")


def _lock_out(page: Any, server: StaffServer) -> None:
    for _ in range(MAX_FAILURES + 1):
        page.fill("#email", LOCKED_EMAIL)
        page.fill("#password", "not the password")
        submit(page, "Sign in")


def _bad_roster(page: Any, server: StaffServer) -> None:
    page.set_input_files(
        "#file",
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": BAD_ROSTER.encode()}],
    )
    submit(page, "Import")


STUDY = "/admin/studies/{study}"
WAVE = STUDY + "/waves/{wave}"
OPEN_WAVE = STUDY + "/waves/{open_wave}"
PAGES: tuple[StaffPage, ...] = (
    StaffPage("sign-in", "auth.index", ANONYMOUS, "/auth/", text="Sign in"),
    StaffPage(
        "sign-in with an error",
        "auth.index",
        ANONYMOUS,
        "/auth/",
        _wrong_sign_in,
        text="not right",
    ),
    StaffPage("lockout", "auth.index", ANONYMOUS, "/auth/", _lock_out, text="Too many"),
    StaffPage("forgot password", "auth.forgot", ANONYMOUS, "/auth/forgot", text="Send the link"),
    StaffPage(
        "forgot password with an error",
        "auth.forgot",
        ANONYMOUS,
        "/auth/forgot",
        _press("Send the link"),
        text="There is a problem",
    ),
    StaffPage(
        "forgot password: link sent",
        "auth.forgot",
        ANONYMOUS,
        "/auth/forgot",
        _fill_and_press({"#email": "someone@example.org"}, "Send the link"),
        text="If there is a copkit account",
    ),
    StaffPage("new password", "auth.reset", ANONYMOUS, "/auth/reset/{reset}", text="Set the new"),
    StaffPage(
        "new password with errors",
        "auth.reset",
        ANONYMOUS,
        "/auth/reset/{reset}",
        _fill_and_press({"#new": "1234567890", "#confirmation": "other"}, "Set the new password"),
        text="There is a problem",
    ),
    StaffPage(
        "new password: link not working",
        "auth.reset",
        ANONYMOUS,
        "/auth/reset/no-such-link",
        text="does not work",
    ),
    StaffPage("password change", "auth.password", EVALUATOR, "/auth/password"),
    StaffPage(
        "password change with errors",
        "auth.password",
        EVALUATOR,
        "/auth/password",
        _press("Change password"),
        text="There is a problem",
    ),
    StaffPage("studies (admin)", "admin.index", ADMIN, "/admin/", text="Create study"),
    StaffPage(
        "studies with an error",
        "admin.index",
        ADMIN,
        "/admin/",
        _press("Create study"),
        text="There is a problem",
    ),
    StaffPage("studies (manager)", "admin.index", MANAGER, "/admin/", text=HF_TEAM),
    StaffPage("study set-up", "admin.study", EVALUATOR, STUDY, text="Add a theme"),
    StaffPage(
        "study set-up with an error",
        "admin.study",
        EVALUATOR,
        STUDY,
        _press("Add theme"),
        text="There is a problem",
    ),
    StaffPage(
        "participant information",
        "admin.information",
        EVALUATOR,
        STUDY + "/information",
        text="Participant information",
    ),
    StaffPage(
        "participant information with errors",
        "admin.information",
        EVALUATOR,
        STUDY + "/information",
        _fill_and_press(
            {"#privacy_notice_url": "www.example.org", "#contact_email": "nobody"},
            "Save participant information",
        ),
        text="There is a problem",
    ),
    StaffPage("e-mails", "admin.mail", EVALUATOR, STUDY + "/mail", text="Placeholders"),
    StaffPage(
        "e-mails with errors",
        "admin.mail",
        EVALUATOR,
        STUDY + "/mail",
        _fill_and_press(
            {"#reminder-subject": "", "#reminder-body": "Dear {nmae}"}, "Save the reminder"
        ),
        text="There is a problem",
    ),
    StaffPage("team (evaluator)", "admin.team", EVALUATOR, STUDY + "/teams/{team}"),
    StaffPage(
        "team with a former member",
        "admin.team",
        EVALUATOR,
        STUDY + "/teams/{team}",
        text="Former members",
    ),
    StaffPage("team (manager)", "admin.team", MANAGER, STUDY + "/teams/{team}", text=HF_TEAM),
    StaffPage("members", "admin.members_page", EVALUATOR, STUDY + "/members", text="Aisha"),
    StaffPage(
        "members: a search",
        "admin.members_page",
        EVALUATOR,
        STUDY + "/members?q=aisha",
        text="matching",
    ),
    StaffPage(
        "members: a search that finds nobody",
        "admin.members_page",
        EVALUATOR,
        STUDY + "/members?q=nobody-at-all",
        text="Nobody on the roster matches",
    ),
    StaffPage(
        "members with errors",
        "admin.members_page",
        EVALUATOR,
        STUDY + "/members",
        _press("Add to roster"),
        text="There is a problem",
    ),
    StaffPage("member", "admin.member", EVALUATOR, STUDY + "/members/{member}", text="Aisha"),
    StaffPage(
        "member with errors",
        "admin.member",
        EVALUATOR,
        STUDY + "/members/{member}",
        _fill_and_press({"#name": "", "#email": "not-an-email"}, "Save details"),
        text="There is a problem",
    ),
    StaffPage("roster upload", "admin.roster_upload", EVALUATOR, STUDY + "/roster"),
    StaffPage(
        "roster upload with errors",
        "admin.roster_upload",
        EVALUATOR,
        STUDY + "/roster",
        _bad_roster,
        text="Nothing was imported",
    ),
    StaffPage(
        "data protection",
        "admin.data_protection",
        EVALUATOR,
        STUDY + "/data-protection",
        text="How long personal data are kept",
    ),
    StaffPage(
        "data protection with errors",
        "admin.data_protection",
        EVALUATOR,
        STUDY + "/data-protection",
        _fill_and_press({"#retention_days": "0"}, "Save data protection settings"),
        text="There is a problem",
    ),
    StaffPage(
        "erase member",
        "admin.erase_member",
        EVALUATOR,
        STUDY + "/members/{member}/erase",
        text="This cannot be undone",
    ),
    StaffPage("interventions", "admin.interventions", EVALUATOR, STUDY + "/interventions"),
    StaffPage(
        "interventions with errors",
        "admin.interventions",
        EVALUATOR,
        STUDY + "/interventions",
        _press("Record intervention"),
        text="There is a problem",
    ),
    StaffPage("waves", "admin.waves_page", EVALUATOR, STUDY + "/waves"),
    StaffPage(
        "waves with errors",
        "admin.waves_page",
        EVALUATOR,
        STUDY + "/waves",
        _fill_and_press({"#opens": "", "#closes": ""}, "Create wave"),
        text="There is a problem",
    ),
    StaffPage("wave", "admin.wave", EVALUATOR, WAVE),
    StaffPage(
        "wave with errors",
        "admin.wave",
        EVALUATOR,
        WAVE,
        _fill_and_press({"#closes": ""}, "Save changes"),
        text="There is a problem",
    ),
    StaffPage(
        "open wave (e-mail refused, links to hand out)",
        "admin.wave",
        EVALUATOR,
        OPEN_WAVE,
        text="Download links (CSV)",
    ),
    StaffPage(
        "closing an open wave early (asks first)",
        "admin.close_wave",
        EVALUATOR,
        OPEN_WAVE + "/close",
        text="Yes, close wave",
    ),
    StaffPage(
        "non-responders of an open wave",
        "admin.non_responders",
        EVALUATOR,
        OPEN_WAVE + "/non-responders",
        text="Show link",
    ),
    StaffPage(
        "one person's survey link",
        "admin.non_responders",
        EVALUATOR,
        OPEN_WAVE + "/non-responders",
        _press("Show link"),
        text="Personal survey link",
    ),
    StaffPage("tracking (evaluator)", "admin.wave_tracking", EVALUATOR, WAVE + "/tracking"),
    StaffPage("tracking (manager)", "admin.wave_tracking", MANAGER, WAVE + "/tracking"),
    StaffPage("non-responders", "admin.non_responders", EVALUATOR, WAVE + "/non-responders"),
    StaffPage("audit log", "admin.audit_log", EVALUATOR, "/admin/audit", text="Audit log"),
    StaffPage(
        "audit log with a filter error",
        "admin.audit_log",
        EVALUATOR,
        "/admin/audit?since=2024-05-01&until=2024-04-01",
        text="There is a problem",
    ),
    StaffPage("staff accounts", "admin.users", ADMIN, "/admin/users", text=EMAILS[MANAGER]),
    StaffPage("new staff account", "admin.new_user", ADMIN, "/admin/users/new", text="Role"),
    StaffPage(
        "new staff account with errors",
        "admin.new_user",
        ADMIN,
        "/admin/users/new",
        _fill_and_press({"#email": "not-an-email", "#password": "short"}, "Create account"),
        text="There is a problem",
    ),
    StaffPage("staff account", "admin.user", ADMIN, "/admin/users/{account}", text=EMAILS[MANAGER]),
    StaffPage(
        "staff account with errors",
        "admin.user",
        ADMIN,
        "/admin/users/{account}",
        _fill_and_press({"#password": "short"}, "Set new password"),
        text="There is a problem",
    ),
    StaffPage("exports", "exports.index", EVALUATOR, "/exports/", text="Download"),
    StaffPage("dashboards (evaluator)", "dashboard.index", EVALUATOR, "/dashboard/"),
    StaffPage("dashboards (manager)", "dashboard.index", MANAGER, "/dashboard/"),
    StaffPage("study dashboard", "dashboard.study", EVALUATOR, "/dashboard/study/{study}"),
    StaffPage("team dashboard (manager)", "dashboard.team", MANAGER, "/dashboard/team/{team}"),
    StaffPage("team dashboard (evaluator)", "dashboard.team", EVALUATOR, "/dashboard/team/{team}"),
    StaffPage("403 page", "admin.study", MANAGER, STUDY, text="do not have access"),
    StaffPage("404 page", "admin.team", MANAGER, STUDY + "/teams/{other_team}", text="not found"),
)
"""Every staff page type; add new ones here (the URL map test says which are missing)."""


def visit(page: Any, server: StaffServer, spec: StaffPage) -> None:
    """Open the page, do its action, and check it is the intended page."""
    page.goto(server.path(spec.path))
    if spec.action is not None:
        spec.action(page, server)
    if spec.text is not None:
        assert spec.text in page.inner_text("body"), f"{spec.name}: not the expected page"


WIDEST_ELEMENTS = """() => {
    const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
    const inScroller = e => { if (getComputedStyle(e).position === 'absolute') return false;
        for (let p = e.parentElement; p; p = p.parentElement) {
        if (scrolls(p)) return true; } return false; };
    return [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 321 && !inScroller(e))
        .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className}`
                  + ` (${Math.round(e.getBoundingClientRect().right)}px)`)
        .slice(0, 8);
}"""
"""The elements sticking out past a 320px viewport (outside any horizontally scrolling box)."""


def test_every_staff_page_is_checked(staff_server: StaffServer) -> None:
    """Each GET route of the staff blueprints has at least one page type above."""
    routed = {
        rule.endpoint
        for rule in staff_server.app.url_map.iter_rules()
        if rule.endpoint.startswith(STAFF_BLUEPRINTS) and "GET" in (rule.methods or ())
    }
    assert routed - {spec.endpoint for spec in PAGES} == set()


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("spec", PAGES, ids=[spec.name for spec in PAGES])
def test_axe_finds_no_violations(
    staff_server: StaffServer, tabs: Tab, spec: StaffPage, width: int
) -> None:
    page = tabs(spec.role, width)
    visit(page, staff_server, spec)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{spec.name}:\n{results.generate_snapshot()}"


@pytest.mark.parametrize("spec", PAGES, ids=[spec.name for spec in PAGES])
def test_nothing_scrolls_sideways_at_320_pixels(
    staff_server: StaffServer, tabs: Tab, spec: StaffPage
) -> None:
    page = tabs(spec.role, 320)
    visit(page, staff_server, spec)
    results = Axe().run(page, options=AXE_OPTIONS)  # e.g. tables that now scroll: focusable?
    assert results.violations_count == 0, f"{spec.name} at 320px:\n{results.generate_snapshot()}"
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    wide = page.evaluate(WIDEST_ELEMENTS)
    assert width <= 320, f"{spec.name}: {width}px wide; too wide: {wide}"


WIDE_TABLES = {
    "tracking": WAVE + "/tracking",
    "members": STUDY + "/members",
    "non-responders": OPEN_WAVE + "/non-responders",
}
"""Staff tables the issue measured scrolling sideways at 1366 px in a 640 px column."""


@pytest.mark.parametrize("name", list(WIDE_TABLES))
def test_staff_tables_use_the_width_of_a_desktop_screen(
    staff_server: StaffServer, tabs: Tab, name: str
) -> None:
    page = tabs(EVALUATOR, 1366)
    page.goto(staff_server.path(WIDE_TABLES[name]))
    boxes = page.evaluate(
        "[...document.querySelectorAll('.table-scroll')].map(b =>"
        " [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().width])"
    )
    assert boxes, f"{name}: no table"
    for scroll_width, client_width, width in boxes:
        assert scroll_width <= client_width, f"{name}: the table scrolls sideways"
        assert width > 900, f"{name}: the table box is only {width}px wide at 1366px"


def test_the_checks_can_fail(tabs: Tab) -> None:
    """A page with known problems fails both checks."""
    page = tabs(ANONYMOUS, 320)
    page.set_content(
        "<html><body><img src='x.png'><input type='text'>"
        "<div style='width:600px'>wide</div></body></html>"
    )
    found = {v["id"] for v in Axe().run(page, options=AXE_OPTIONS).response["violations"]}
    assert {"image-alt", "label"} <= found
    assert int(page.evaluate("document.documentElement.scrollWidth")) > 320
