"""The survey in a real browser: keyboard only, axe-core on every page type, 320px reflow,
and no word broken in the middle at phone widths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Invitation, Response
from tests.browser.conftest import LiveServer
from tests.survey_app.survey_fixtures import PAGES

pytestmark = pytest.mark.browser

AXE_OPTIONS = {"resultTypes": ["violations"]}
"""All of axe-core's default rules (WCAG 2.0/2.1 A and AA, and best practices)."""


BROKEN_WORDS = """
() => {
  const found = [];
  const root = document.querySelector('main') || document.body;
  const style = getComputedStyle(root);
  const room = root.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('svg, .visually-hidden')) continue;
    for (const match of node.data.matchAll(/[^\\s-]+-?/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.top)));
      const width = rects.reduce((sum, r) => sum + r.width, 0);
      if (lines.size > 1 && width <= room) found.push(match[0]);
    }
  }
  return found;
}
"""
"""The words of the page's main content split across two lines although they would fit on a
line of the page (a box too narrow for its words): a break after a hyphen is not counted, nor a
word wider than the page's column (a long e-mail address on a small phone), which must break."""


def _broken_words(page: Any) -> list[str]:
    return [str(word) for word in page.evaluate(BROKEN_WORDS)]


def _focused(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            "s => document.activeElement !== null && document.activeElement.matches(s)", selector
        )
    )


def _tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _press_and_wait(page: Any, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def _checked_value(page: Any, name: str) -> str | None:
    value = page.evaluate(
        "n => { const e = document.querySelector(`input[name='${n}']:checked`);"
        " return e ? e.value : null; }",
        name,
    )
    return None if value is None else str(value)


def _response(live: LiveServer, invitation_id: int) -> Response | None:
    with live.app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.invitation_id == invitation_id)
        )
        if response is not None:
            _ = (response.answers, response.ties, response.comments, response.invitation)
            db.session.expunge_all()
        return response


def test_a_survey_can_be_completed_with_the_keyboard_only(
    page: Any, live_server: LiveServer
) -> None:
    link, invitation_id = live_server.new_respondent()
    page.goto(link)
    assert page.url.endswith("/consent")
    page.keyboard.press("Tab")
    assert _focused(page, "a.skip-link")
    _tab_to(page, "#agree")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus indicator
    page.keyboard.press("Space")
    _tab_to(page, "button[type=submit]")
    _press_and_wait(page, "Enter")

    for survey_page in PAGES:
        assert f"/page/{survey_page.number}" in page.url
        assert f"Page {survey_page.number} of {len(PAGES)}" in page.content()
        if survey_page.kind == "rated":
            for question in survey_page.questions:
                _tab_to(page, f"input[name='{question.id}']")
                page.keyboard.press("Space")  # the first option
                for _ in range(3):
                    page.keyboard.press("ArrowDown")  # arrows move through the group
                assert _checked_value(page, question.id) == "4"
            _press_and_wait(page, "Enter")  # implicit submission: the first button, Continue
        elif survey_page.kind == "network":
            _tab_to(page, "#knowledge_ties")
            page.keyboard.press("Space")
            _tab_to(page, "button[value=next]")
            _press_and_wait(page, "Enter")
        else:
            _tab_to(page, "#helped")
            page.keyboard.type("The weekly huddle")
            _tab_to(page, "button[value=next]")
            _press_and_wait(page, "Enter")

    assert page.url.endswith("/thanks")
    assert page.locator("h1").inner_text() == "Thank you"
    response = _response(live_server, invitation_id)
    assert response is not None and response.submitted_at is not None
    rated = {q.id for survey_page in PAGES for q in survey_page.questions}
    assert {a.item_id for a in response.answers} == rated
    assert {a.value for a in response.answers} == {4.0}
    assert len(response.ties) == 1
    assert [(c.item_id, c.text) for c in response.comments] == [("helped", "The weekly huddle")]
    assert isinstance(response.invitation, Invitation)
    assert response.invitation.submitted_at == response.submitted_at


def _submit(page: Any, selector: str = "button[value=next]") -> None:
    with page.expect_navigation():
        page.click(selector)


def _answer_rated(page: Any, value: str) -> None:
    page.locator(f"input[type=radio][value='{value}']").evaluate_all(
        "inputs => inputs.forEach(input => { input.checked = true; })"
    )


def _tour(page: Any, live: LiveServer, check: Callable[[str], None]) -> None:
    """Visit every page type of the survey, calling ``check(name)`` on each."""
    link, _ = live.new_respondent()
    page.goto(link)
    check("consent")
    _submit(page, "button[type=submit]")
    check("consent with an error")
    page.check("#agree")
    _submit(page, "button[type=submit]")
    check("scale page")
    _submit(page)
    check("scale page with an error summary")
    for survey_page in PAGES:
        if survey_page.kind == "rated":
            _answer_rated(page, "4")
            _submit(page)
        elif survey_page.kind == "network":
            check("roster page")
            page.check("#knowledge_ties")
            page.check("input[name=knowledge_ties][value=none]")
            _submit(page)
            check("roster page with an error")
            page.uncheck("#knowledge_ties")
            page.uncheck("input[name=knowledge_ties][value=none]")
            page.check("input[name=knowledge_ties][value=na]")  # "Prefer not to answer"
            _submit(page)
        else:
            check("comments page")
            page.fill("#helped", "A shared list of who knows what")
            _submit(page)
    check("thank-you page")
    with page.expect_navigation():
        page.click("a[href$='/results']")
    check("team results page")
    page.goto(link)
    check("already-submitted link")
    for name in ("closed", "scheduled"):
        page.goto(live.link(name))
        check(f"{name} link")
    with live.app.app_context():  # Asha had started wave 4 before it closed early
        started = db.session.get(Invitation, live.setup.invitations["closed_early"])
        assert started is not None
        started.consented_at = started.consented_at or started.wave.opens
        db.session.commit()
    page.goto(live.link("closed_early"))
    assert "What happens to the answers you had started" in page.content()
    check("closed before the answers were sent")
    page.goto(f"{live.url}/s/not-a-real-token-but-well-formed-0123456789")
    check("unknown link")
    page.goto(f"{link}/withdraw")
    check("withdraw page")
    _submit(page, "button[type=submit]")
    check("withdrawn page")


@pytest.mark.parametrize("width", [1366, 390])
def test_axe_finds_no_violations_on_any_page_type(
    axe_page: Any, live_server: LiveServer, width: int
) -> None:
    axe_page.set_viewport_size({"width": width, "height": 800})
    axe = Axe()
    found: dict[str, str] = {}
    checked: list[str] = []

    def check(name: str) -> None:
        results = axe.run(axe_page, options=AXE_OPTIONS)
        checked.append(name)
        if results.violations_count:
            found[name] = results.generate_snapshot()

    _tour(axe_page, live_server, check)
    assert len(checked) == 16
    assert found == {}
    # the harness itself can fail: a page with known problems has violations
    axe_page.set_content("<html><body><img src='x.png'><input type='text'></body></html>")
    broken = axe.run(axe_page, options=AXE_OPTIONS)
    assert {"image-alt", "label"} <= {v["id"] for v in broken.response["violations"]}


def test_no_page_scrolls_sideways_at_320_pixels(narrow_page: Any, live_server: LiveServer) -> None:
    widths: dict[str, int] = {}
    smallest_target: dict[str, float] = {}
    broken: dict[str, list[str]] = {}

    def check(name: str) -> None:
        widths[name] = int(narrow_page.evaluate("document.documentElement.scrollWidth"))
        if words := _broken_words(narrow_page):
            broken[name] = words
        heights = narrow_page.evaluate(
            "[...document.querySelectorAll('label.option, button')]"
            ".map(e => e.getBoundingClientRect().height)"
        )
        if heights:
            smallest_target[name] = min(float(h) for h in heights)

    _tour(narrow_page, live_server, check)
    assert len(widths) == 16
    assert {name: width for name, width in widths.items() if width > 320} == {}
    assert broken == {}
    assert smallest_target  # pages with controls were measured
    assert {name: h for name, h in smallest_target.items() if h < 44} == {}


@pytest.mark.parametrize("width", [390, 360, 320])
def test_the_consent_page_breaks_lines_between_words_on_a_phone(
    page: Any, live_server: LiveServer, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    link, _ = live_server.new_respondent()
    page.goto(link)
    assert "Before you start" in page.content()
    assert _broken_words(page) == []
    # the check can fail: a box too narrow for its words breaks them
    page.evaluate(
        "() => { const dd = document.querySelector('.summary dd');"
        " dd.style.width = '3em'; dd.style.overflowWrap = 'anywhere'; }"
    )
    assert _broken_words(page)
