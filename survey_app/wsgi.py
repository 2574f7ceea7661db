"""WSGI entry point for any WSGI server: ``gunicorn 'survey_app.wsgi:app'``.

The app is built from the ``COPKIT_*`` environment on first access to ``app`` (not at import),
so tools that import every module (doctest collection, linters) read no configuration.
"""

from __future__ import annotations

from flask import Flask

from survey_app.factory import create_app


def __getattr__(name: str) -> Flask:
    """Build ``app`` once, when the server asks for it."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    app = create_app()
    globals()["app"] = app
    return app
