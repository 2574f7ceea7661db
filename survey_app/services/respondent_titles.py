"""Plain-language page titles respondents see, keyed by scale id (a display layer over instruments).

Instruments name their scales for analysts ("Mutual engagement", "Joint enterprise"); released
instrument versions are immutable, so the words respondents read live here instead of in a new
instrument version. The keys are scale (or single item) ids, which later versions of an
instrument keep when they keep the construct, so a new version needs no change here; a scale
that is not listed keeps its own label.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

RESPONDENT_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "mutual_engagement": "Working together",
        "joint_enterprise": "A shared purpose",
        "shared_repertoire": "Shared ways of working",
        "collaborative_identity": "Belonging to this team",
        "professional_identity": "Your profession",
        "organisational_identity": "Your organisation",
        "contact_frequency": "How often you are in touch",
    }
)
"""Scale or single item id -> the page title respondents see."""


def respondent_title(scale_id: str, label: str) -> str:
    """The page title respondents see for the scale ``scale_id`` (``label`` when not listed).

    Examples
    --------
    >>> respondent_title("joint_enterprise", "Joint enterprise")
    'A shared purpose'
    >>> respondent_title("new_scale", "New scale")
    'New scale'
    """
    return RESPONDENT_TITLES.get(scale_id, label)


__all__ = ["RESPONDENT_TITLES", "respondent_title"]
