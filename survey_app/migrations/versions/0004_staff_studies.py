"""Staff in several studies: a ``staff_studies`` table replaces the one ``users.study_id``.

Evaluators create their own studies and may work on any number of them; managers may manage
teams of several studies. Each account's study is copied over.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: create ``staff_studies``, copy each study over, drop the column."""
    op.create_table(
        "staff_studies",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_staff_studies_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staff_studies_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "study_id", name=op.f("pk_staff_studies")),
    )
    op.create_index(op.f("ix_staff_studies_study_id"), "staff_studies", ["study_id"], unique=False)
    op.execute(
        "INSERT INTO staff_studies (user_id, study_id) "
        "SELECT id, study_id FROM users WHERE study_id IS NOT NULL"
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_study_scoped"), type_="check")
        batch_op.drop_index(batch_op.f("ix_users_study_id"))
        batch_op.drop_constraint(op.f("fk_users_study_id_studies"), type_="foreignkey")
        batch_op.drop_column("study_id")


def downgrade() -> None:
    """Revert this revision: each account keeps one of its studies (the first by id).

    Refused while an evaluator or manager works on no study: the old schema cannot hold it.
    """
    connection = op.get_bind()
    orphans = connection.execute(
        sa.text(
            "SELECT email FROM users WHERE role <> 'admin' AND id NOT IN "
            "(SELECT user_id FROM staff_studies) ORDER BY email"
        )
    ).scalars()
    names = list(orphans)
    if names:
        raise RuntimeError(
            "cannot downgrade: these accounts work on no study, which the old schema cannot "
            f"hold: {', '.join(names)}; give each a study (or delete it) first"
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("study_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE users SET study_id = "
        "(SELECT min(study_id) FROM staff_studies WHERE staff_studies.user_id = users.id)"
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_users_study_id_studies"),
            "studies",
            ["study_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_users_study_id"), ["study_id"], unique=False)
        batch_op.create_check_constraint(
            op.f("ck_users_study_scoped"), "role = 'admin' OR study_id IS NOT NULL"
        )
    op.drop_index(op.f("ix_staff_studies_study_id"), table_name="staff_studies")
    op.drop_table("staff_studies")
