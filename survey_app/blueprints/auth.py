"""Staff sign-in and sign-out (``/auth``)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.get("/")
def index() -> str:
    """Sign-in page (placeholder until staff accounts arrive)."""
    return render_template("auth/index.html")
