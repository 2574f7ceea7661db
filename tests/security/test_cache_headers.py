"""Every page of the app, found from its URL map, is sent ``Cache-Control: no-store``.

Staff pages show names and e-mail addresses (members, member details, non-responders, audit,
staff accounts) and survey pages show answers; a copy kept by a browser or a proxy can be read
after sign-out. The census asks every route with every role that reaches it, so a new page is
covered the day it is added. Only static files may be cached.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import (
    ADMIN,
    ANONYMOUS,
    EVALUATOR,
    MANAGER,
    RESPONDENT,
    SecurityApp,
    build_url,
    routes,
)

ROUTES = routes()
ROLES = (ANONYMOUS, RESPONDENT, MANAGER, EVALUATOR, ADMIN)
DOWNLOADS = {
    "exports.download": {"export_format": "wide-csv"},
    "dashboard.report": {"report_format": "html"},
    "dashboard.brief": {},
}
"""POST routes that answer with personal or study data rather than a redirect."""


def test_the_census_covers_every_page() -> None:
    endpoints = {endpoint for endpoint, _, methods in ROUTES if "GET" in methods}
    assert {"admin.members_page", "admin.member", "admin.non_responders", "admin.audit_log"} <= (
        endpoints
    )
    assert {"admin.users", "admin.user", "participate.page"} <= endpoints
    assert len(endpoints) >= 20


@pytest.mark.parametrize(
    ("endpoint", "rule"),
    [(endpoint, rule) for endpoint, rule, methods in ROUTES if "GET" in methods],
)
def test_every_page_is_no_store_for_every_role(
    sqlite_security_app: SecurityApp, endpoint: str, rule: str
) -> None:
    security = sqlite_security_app
    shown = 0
    for role in ROLES:
        url = build_url(security.app, endpoint, rule, security.world, role)
        response = security.client(role).get(url)
        assert "no-store" in response.headers.get("Cache-Control", ""), (role, url)
        shown += response.status_code < 400  # the page, or its redirect (a link's entry)
    assert shown, f"{endpoint}: every role was refused, so the census proved nothing"
    security.restore()


@pytest.mark.parametrize("endpoint", sorted(DOWNLOADS))
def test_downloads_are_no_store(sqlite_security_app: SecurityApp, endpoint: str) -> None:
    security = sqlite_security_app
    rule = next(rule for name, rule, _ in ROUTES if name == endpoint)
    url = build_url(security.app, endpoint, rule, security.world, EVALUATOR)
    response = security.client(EVALUATOR).post(
        url, data={"csrf_token": security.csrf(EVALUATOR, url), **DOWNLOADS[endpoint]}
    )
    assert response.status_code < 400
    assert "no-store" in response.headers.get("Cache-Control", "")
    security.restore()


def test_static_files_may_be_cached(sqlite_security_app: SecurityApp) -> None:
    response = sqlite_security_app.client(ANONYMOUS).get("/static/copkit.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
