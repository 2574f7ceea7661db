"""What a server process does once before its first request, so that no respondent waits for it."""

from __future__ import annotations

import gc

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

import instruments
from survey_app.extensions import db
from survey_app.forms.questionnaire import page_form_class
from survey_app.services import survey as surveys
from survey_app.services.questionnaire import pages_for

SURVEY_TEMPLATES = (
    "base.html",
    "participate/_layout.html",
    "participate/_macros.html",
    "participate/index.html",
    "participate/consent.html",
    "participate/page.html",
    "participate/state.html",
    "participate/thanks.html",
    "error.html",
)
"""The templates a respondent can be shown, with the layouts and macros they extend or import
(Jinja compiles those when a page is first rendered, not when the page's template is loaded)."""
UNKNOWN_LINK = "warm-up-link-that-matches-no-invitation-0000"


def warm_up(app: Flask, *, freeze: bool = True) -> None:
    """Do the one-off work of a new server process before it takes requests.

    Without it each gunicorn worker's first survey request compiled the templates, loaded and
    planned the instrument and composed the page forms: about 20-150 ms of CPU, paid by one
    respondent per worker, and at low load most of the CPU the benchmark measures.

    Parameters
    ----------
    app
        The app the worker will serve.
    freeze
        Afterwards collect garbage once and move every object alive now (modules, templates,
        instruments, compiled statements: they live as long as the process) out of the
        collector's way with :func:`gc.freeze`, so that later full collections only scan what
        requests create. Off in tests, where the process outlives the app.

    Notes
    -----
    Steps: compile :data:`SURVEY_TEMPLATES`; load and plan every shipped instrument version and
    compose its page form classes (except the roster page's, which depend on the team); look
    an unknown link up once, which opens a pooled database connection and compiles the lookup.
    A database that cannot be reached is logged and skipped: the worker still starts, and its
    requests report the problem as they would have.
    """
    for name in SURVEY_TEMPLATES:
        app.jinja_env.get_template(name)
    for instrument_id, version in instruments.available():
        for page in pages_for(instrument_id, version)[1]:
            if page.kind != "network":
                page_form_class(page, True)
                page_form_class(page, False)
    with app.app_context():
        try:
            surveys.find(db.session, UNKNOWN_LINK)
        except SQLAlchemyError as error:
            app.logger.warning("warm-up skipped the database: %s", error)
    if freeze:
        gc.collect()
        gc.freeze()
