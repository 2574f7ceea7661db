"""Respondents' pages: the survey behind each invitation link (``/s/<token>``)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("participate", __name__)


@bp.get("/")
def index() -> str:
    """Landing page for someone who arrives without their invitation link."""
    return render_template("participate/index.html")
