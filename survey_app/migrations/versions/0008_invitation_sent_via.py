"""How each survey link was handed out: by e-mail, or by staff (a links download or one link).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: add ``invitations.sent_via``; every link sent so far was e-mailed."""
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_via", sa.String(length=10), nullable=True))
    op.execute("UPDATE invitations SET sent_via = 'email' WHERE sent_at IS NOT NULL")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("sent_via")
