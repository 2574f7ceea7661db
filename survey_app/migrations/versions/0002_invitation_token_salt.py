"""Invitation links that can be re-sent: a per-invitation token salt, and claims for sending runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: add the columns, give every existing invitation its own salt."""
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("send_claim", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("send_claimed_at", sa.DateTime(timezone=True), nullable=True))
    invitations = sa.table("invitations", sa.column("id", sa.Integer), sa.column("token_salt"))
    connection = op.get_bind()
    for (invitation_id,) in connection.execute(sa.select(invitations.c.id)).all():
        connection.execute(
            invitations.update()
            .where(invitations.c.id == invitation_id)
            .values(token_salt=secrets.token_hex(16))
        )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.alter_column("token_salt", existing_type=sa.String(length=32), nullable=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("send_claimed_at")
        batch_op.drop_column("send_claim")
        batch_op.drop_column("token_salt")
