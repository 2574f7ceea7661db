"""Study administration for admins and evaluators (``/admin``)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
def index() -> str:
    """Administration home (placeholder until study administration arrives)."""
    return render_template("admin/index.html")
