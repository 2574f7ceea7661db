"""Members' optional role (KTA, facilitator, clinical lead ...): ``members.role``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: add ``members.role`` (empty for everyone already on a roster)."""
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=100), server_default="", nullable=False)
        )


def downgrade() -> None:
    """Revert this revision: drop ``members.role``."""
    with op.batch_alter_table("members") as batch:
        batch.drop_column("role")
