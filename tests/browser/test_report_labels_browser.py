"""Figure labels of the evaluator report in Debian's Chromium: none clipped, none overlapping.

It shares the session's Chromium (tests/browser/conftest.py): a second Playwright instance
started beside it fails ("Playwright Sync API inside the asyncio loop").
"""

from __future__ import annotations

from typing import Any

import pytest

import reports
from analysis.pipeline import analyse_bundle
from analysis.simulate import simulate_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_CLIPPED = """
() => {
  const problems = [];
  document.querySelectorAll("svg.figure").forEach((svg) => {
    const box = svg.getBoundingClientRect();
    const name = svg.getAttribute("aria-label");
    const texts = [...svg.querySelectorAll("text")]
      .filter((t) => t.textContent.trim())
      .map((t) => ({ text: t.textContent.trim(), r: t.getBoundingClientRect() }));
    for (const t of texts) {
      if (t.r.left < box.left - 1 || t.r.right > box.right + 1 ||
          t.r.top < box.top - 1 || t.r.bottom > box.bottom + 1) {
        problems.push(`${name}: "${t.text}" runs outside the figure`);
      }
    }
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i].r, b = texts[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1.5 && h > 1.5) {
          problems.push(`${name}: "${texts[i].text}" overlaps "${texts[j].text}"`);
        }
      }
    }
  });
  return problems;
}
"""


def test_no_figure_label_is_clipped_or_overlaps_another(browser: Any) -> None:
    # the report tests' study: 4 teams x 8 members x 4 waves, one of each CoP kind
    html = reports.build_evaluator_report(
        analyse_bundle(simulate_study(teams=4, members=8, waves=4, seed=1).bundle)
    )
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.set_content(html)
        problems = page.evaluate(_CLIPPED)
    finally:
        context.close()
    assert not problems, problems[:40]
