"""Rendered rated questions, kept per app: a question's markup depends only on what it shows.

A rated question (a fieldset of six radio buttons) is the same HTML every time it is shown with
the same wording, number and chosen answer, and a page view spent most of its rendering time
escaping those few hundred attribute values again. :func:`rated_question` renders the
``rated`` macro of ``participate/_macros.html`` once per distinct question state and reuses
the result; a question shown with an error message is always rendered afresh.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup
from wtforms import Field

EXTENSION_KEY = "copkit.question_markup"
CACHE_SIZE = 4096
"""Question states kept (per app): questions x answers x positions of every instrument in use."""
MACROS = "participate/_macros.html"

_Key = tuple[Any, ...]


class QuestionMarkupCache:
    """A bounded map from a question's state to its rendered markup (least recently used out).

    Safe under threads: a lost update only means a fragment is rendered twice.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._fragments: OrderedDict[_Key, Markup] = OrderedDict()

    def get(self, key: _Key) -> Markup | None:
        """The markup stored under ``key``, if any (marking it recently used)."""
        fragment = self._fragments.get(key)
        if fragment is not None:
            with contextlib.suppress(KeyError):  # evicted by another thread meanwhile
                self._fragments.move_to_end(key)
        return fragment

    def put(self, key: _Key, fragment: Markup) -> None:
        """Store ``fragment``, dropping the least recently used entries beyond the size."""
        self._fragments[key] = fragment
        while len(self._fragments) > self.size:
            try:
                self._fragments.popitem(last=False)
            except KeyError:
                break

    def __len__(self) -> int:
        return len(self._fragments)


def install(app: Flask) -> None:
    """Give ``app`` its cache and the template global ``rated_question``."""
    app.extensions[EXTENSION_KEY] = QuestionMarkupCache()
    app.add_template_global(rated_question)


def rated_question(field: Field, number: int, prefer_not: str) -> Markup:
    """The fieldset of a rated question, from the cache when it has been shown like this before.

    Parameters
    ----------
    field
        The question's :class:`~survey_app.forms.questionnaire.SingleChoiceField`.
    number
        Its number on the page.
    prefer_not
        The value of the "Prefer not to answer" option (styled apart).

    Returns
    -------
    markupsafe.Markup
        Exactly what the ``rated`` macro renders for these arguments.
    """
    if field.errors:
        return _render(field, number, prefer_not)
    choices = getattr(field, "choices", ())
    key = (field.id, field.name, field.label.text, choices, field.data, number, prefer_not)
    cache: QuestionMarkupCache = current_app.extensions[EXTENSION_KEY]
    fragment = cache.get(key)
    if fragment is None:
        fragment = _render(field, number, prefer_not)
        cache.put(key, fragment)
    return fragment


def _render(field: Field, number: int, prefer_not: str) -> Markup:
    """The ``rated`` macro's output for ``field``."""
    macros = current_app.jinja_env.get_template(MACROS).module
    return Markup(macros.rated(field, number, prefer_not))  # type: ignore[attr-defined]
