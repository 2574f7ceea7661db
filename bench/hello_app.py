"""A bare Flask app with one "hello" route: the baseline the survey load benchmark is set beside.

Served by the same gunicorn with the same worker settings as ``copkit serve``
(``gunicorn bench.hello_app:app``), so the ratio of the survey's throughput to this route's
measures what copkit's own work costs, on this machine, in this run.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """The whole response: ``hello``."""
    return "hello"
