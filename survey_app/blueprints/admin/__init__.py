"""Study administration for admins and evaluators, response tracking for managers, and staff
accounts for admins (``/admin``).

The views live in one module per area; importing them registers them on :data:`bp`.
"""

from survey_app.blueprints.admin import (  # noqa: F401  (importing registers the views)
    account_pages,
    audit_pages,
    home,
    information_pages,
    link_pages,
    mail_pages,
    privacy_pages,
    roster_pages,
    setup,
    wave_pages,
)
from survey_app.blueprints.admin.blueprint import bp

__all__ = ["bp"]
