"""staff_error.platform nullable: the row also reports post rows the publisher could not read

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 17:45:00

A post row the web app wrote wrong (an unknown platform, an unreadable per_platform entry) is skipped by the
publish schedule and reported once to staff as `invalid_post_row`, with no platform.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PLATFORM = sa.Enum(
    "tiktok", "instagram", "threads", "x", name="platform", native_enum=False, create_constraint=True, length=32
)
_PLATFORM_COMMENT = "The platform that answered; NULL for a post row the publisher could not read (invalid_post_row)."
_TABLE_BEFORE = "Every platform error in full, for staff. Secrets are redacted before the row is written."
_TABLE_AFTER = (
    "Every platform error in full, for staff, and every post row the publisher could not read. "
    "Secrets are redacted before the row is written."
)


def upgrade() -> None:
    with op.batch_alter_table("staff_error", schema=None) as batch_op:
        batch_op.alter_column("platform", existing_type=_PLATFORM, nullable=True, comment=_PLATFORM_COMMENT)
    _table_comment(_TABLE_AFTER, _TABLE_BEFORE)


def downgrade() -> None:
    op.execute("DELETE FROM staff_error WHERE platform IS NULL")
    with op.batch_alter_table("staff_error", schema=None) as batch_op:
        batch_op.alter_column(
            "platform", existing_type=_PLATFORM, nullable=False, comment=None, existing_comment=_PLATFORM_COMMENT
        )
    _table_comment(_TABLE_BEFORE, _TABLE_AFTER)


def _table_comment(new: str, old: str) -> None:
    # SQLite keeps no comments (and has no COMMENT statement); PostgreSQL shows them to analysts.
    if op.get_context().dialect.supports_comments:
        op.create_table_comment("staff_error", new, existing_comment=old)
