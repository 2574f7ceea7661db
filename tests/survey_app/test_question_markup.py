"""Cached question markup: identical to the macro's, per answer, never for a question in error."""

from __future__ import annotations

from flask import Flask, render_template_string
from markupsafe import Markup

from survey_app.forms.questionnaire import PREFER_NOT, page_form
from survey_app.question_markup import EXTENSION_KEY, QuestionMarkupCache, rated_question
from survey_app.services.questionnaire import pages_for

PAGE = pages_for("cop-health", 1)[1][0]
MACRO = (
    '{% import "participate/_macros.html" as m %}'
    "{% for field in fields %}{{ m.rated(field, loop.index, prefer_not) }}{% endfor %}"
)
CACHED = "{% for field in fields %}{{ rated_question(field, loop.index, prefer_not) }}{% endfor %}"


def _fields(data: dict[str, str]) -> list[object]:
    form = page_form(PAGE, data=data)
    return [form[question.id] for question in PAGE.questions]


def _both(data: dict[str, str]) -> tuple[str, str]:
    fields = _fields(data)
    macro = render_template_string(MACRO, fields=fields, prefer_not=PREFER_NOT)
    cached = render_template_string(CACHED, fields=fields, prefer_not=PREFER_NOT)
    return macro, cached


def test_cached_markup_equals_the_macro_for_every_answer(app: Flask) -> None:
    with app.test_request_context():
        for value in ("1", "3", "5", PREFER_NOT):
            for _ in range(2):  # rendered, then from the cache
                macro, cached = _both({"me1": value})
                assert cached == macro
                assert f'value="{value}" checked' in cached
        assert _both({})[1] == _both({})[0]
        assert len(app.extensions[EXTENSION_KEY]) >= len(PAGE.questions)


def test_a_question_in_error_is_rendered_afresh(app: Flask) -> None:
    with app.test_request_context():
        field = _fields({})[0]
        plain = str(rated_question(field, 1, PREFER_NOT))
        field.errors = ["Question 1: choose an answer"]  # type: ignore[misc]
        shown = str(rated_question(field, 1, PREFER_NOT))
        assert "Question 1: choose an answer" in shown
        assert "has-error" in shown and "has-error" not in plain
        field.errors = []  # type: ignore[misc]
        assert str(rated_question(field, 1, PREFER_NOT)) == plain


def test_the_cache_keeps_the_most_recently_used_entries() -> None:
    cache = QuestionMarkupCache(size=2)
    cache.put(("a",), Markup("A"))
    cache.put(("b",), Markup("B"))
    assert cache.get(("a",)) == "A"
    cache.put(("c",), Markup("C"))
    assert cache.get(("b",)) is None
    assert (cache.get(("a",)), cache.get(("c",)), len(cache)) == ("A", "C", 2)
