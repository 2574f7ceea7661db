"""What respondents see of a study: title, sponsor, chief investigator, ethics reference,
privacy notice and contact (all optional; the survey falls back to the study's name).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("respondent_title", 200),
    ("sponsor", 300),
    ("chief_investigator", 200),
    ("ethics_reference", 200),
    ("privacy_notice_url", 500),
    ("contact_email", 320),
)


def upgrade() -> None:
    """Apply this revision: add the columns to ``studies``."""
    with op.batch_alter_table("studies", schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("studies", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
