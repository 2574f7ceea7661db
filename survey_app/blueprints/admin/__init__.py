"""Study administration for admins and evaluators, and response tracking for managers (``/admin``).

The views live in one module per area; importing them registers them on :data:`bp`.
"""

from survey_app.blueprints.admin import (  # noqa: F401  (importing registers the views)
    audit_pages,
    home,
    roster_pages,
    setup,
    wave_pages,
)
from survey_app.blueprints.admin.blueprint import bp

__all__ = ["bp"]
