"""Releases, attributes as recorded per wave, retention and result sharing per study.

- ``releases``: what managers and team members were shown of closed waves, frozen, with the
  figures' respondent sets for the disclosure check of later releases.
- ``invitations.profession`` / ``organisation``: the member's as recorded for the wave; every
  existing invitation gets the member's current values (the best record there is).
- ``studies.retention_days`` (None: the configured default) and ``studies.share_results``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("compute_seconds", sa.Float(), nullable=False),
        sa.Column("min_cell", sa.Integer(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("published", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("number >= 1", name=op.f("ck_releases_number_positive")),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_releases_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("study_id", "number", name=op.f("uq_releases_study_id_number")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profession", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("organisation", sa.String(length=200), nullable=True))
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("share_results", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.create_check_constraint(
            "retention_days_positive", "retention_days IS NULL OR retention_days >= 1"
        )
    invitations = sa.table(
        "invitations",
        sa.column("membership_id", sa.Integer),
        sa.column("profession", sa.String),
        sa.column("organisation", sa.String),
    )
    memberships = sa.table("memberships", sa.column("id", sa.Integer), sa.column("member_id"))
    members = sa.table(
        "members",
        sa.column("id", sa.Integer),
        sa.column("profession", sa.String),
        sa.column("organisation", sa.String),
    )

    def current(column: str) -> sa.ScalarSelect[str]:
        return (
            sa.select(members.c[column])
            .join(memberships, memberships.c.member_id == members.c.id)
            .where(memberships.c.id == invitations.c.membership_id)
            .scalar_subquery()
        )

    op.get_bind().execute(
        invitations.update().values(
            profession=current("profession"), organisation=current("organisation")
        )
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_constraint("retention_days_positive", type_="check")
        batch_op.drop_column("share_results")
        batch_op.drop_column("retention_days")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("organisation")
        batch_op.drop_column("profession")
    op.drop_table("releases")
