"""Jobs that run after the response, in a thread with the app's context and a session of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy.orm import Session

from survey_app.extensions import db

__all__ = ["in_thread"]


def in_thread(job: Callable[[Session], None]) -> None:
    """Run ``job(session)`` in a new daemon thread with the current app's context.

    The thread's database session is its own (:attr:`survey_app.database.Database.session`
    belongs to an app context) and is closed when the job ends. A server that stops meanwhile
    ends the thread with it; what the job claimed is then taken over after its lease (see
    :mod:`survey_app.services.dashboard`).
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            job(db.session)

    threading.Thread(target=run, name="copkit-background", daemon=True).start()
