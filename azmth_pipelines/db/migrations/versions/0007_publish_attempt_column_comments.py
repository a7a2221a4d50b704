"""publish_attempt.platform and started_at described: the table is published_posts' in the Dagster catalog

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 01:00:00

Only comments change: the catalog shows publish_attempt's columns with the schema's own descriptions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import azmth_pipelines.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PLATFORM = "tiktok, instagram, threads or x: the platform tried."
_STARTED_AT = "When the run claimed the attempt (UTC)."


def _comments(platform: str | None, started_at: str | None) -> None:
    with op.batch_alter_table("publish_attempt", schema=None) as batch_op:
        batch_op.alter_column(
            "platform",
            existing_type=sa.Enum("tiktok", "instagram", "threads", "x", name="platform", native_enum=False, length=32),
            existing_nullable=False,
            comment=platform,
            existing_comment=_PLATFORM if platform is None else None,
        )
        batch_op.alter_column(
            "started_at",
            existing_type=azmth_pipelines.db.types.UTCDateTime(timezone=True),
            existing_nullable=False,
            comment=started_at,
            existing_comment=_STARTED_AT if started_at is None else None,
        )


def upgrade() -> None:
    _comments(_PLATFORM, _STARTED_AT)


def downgrade() -> None:
    _comments(None, None)
