"""Dashboards: evaluators' live results and managers' team aggregates (``/dashboard``)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
def index() -> str:
    """Dashboard home (placeholder until the dashboards arrive)."""
    return render_template("dashboard/index.html")
