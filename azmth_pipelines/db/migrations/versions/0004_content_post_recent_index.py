"""content_post (status, updated_at) index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:45:00

The publish schedule looks for posted posts that may still have retries due: those whose row changed in the last
7 days. Without this index that read walks every posted post ever scheduled.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("content_post", schema=None) as batch_op:
        batch_op.create_index("ix_content_post_recent", ["status", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("content_post", schema=None) as batch_op:
        batch_op.drop_index("ix_content_post_recent")
