"""metrics views for analysts: post_metrics_latest and post_metrics_daily

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 13:00:00

Both views skip soft-deleted posts and are documented column by column in docs/metrics.md.
No new index: 0001's ix_social_post_metrics_latest (post_id, platform, captured_at) is the order both
views rank snapshots in, and ix_social_post_metrics_partition_date serves the nightly replace (its
`source = 'nightly'` filter only narrows rows that index already found: other sources have no
partition_date).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = """
    ranked.post_id,
    ranked.platform,
    p.artist_id,
    p.release_id,
    ranked.remote_post_id,
    ranked.captured_at,
    ranked.source,
    ranked.partition_date,
    ranked.views,
    ranked.likes,
    ranked.comments,
    ranked.shares,
    ranked.saves"""


def _utc_day(dialect: str) -> str:
    # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS'; PostgreSQL as timestamptz.
    if dialect == "postgresql":
        return "CAST(m.captured_at AT TIME ZONE 'UTC' AS DATE)"
    return "date(m.captured_at)"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(
        f"""
CREATE VIEW post_metrics_latest AS
SELECT {_COLUMNS}
FROM (
    SELECT m.*, ROW_NUMBER() OVER (
        PARTITION BY m.post_id, m.platform ORDER BY m.captured_at DESC, m.id DESC
    ) AS rank_in_post
    FROM social_post_metrics m
) ranked
JOIN content_post p ON p.id = ranked.post_id
WHERE ranked.rank_in_post = 1 AND p.deleted_at IS NULL
"""
    )
    op.execute(
        f"""
CREATE VIEW post_metrics_daily AS
SELECT ranked.day, {_COLUMNS}
FROM (
    SELECT m.*, {_utc_day(dialect)} AS day, ROW_NUMBER() OVER (
        PARTITION BY m.post_id, m.platform, {_utc_day(dialect)} ORDER BY m.captured_at DESC, m.id DESC
    ) AS rank_in_day
    FROM social_post_metrics m
) ranked
JOIN content_post p ON p.id = ranked.post_id
WHERE ranked.rank_in_day = 1 AND p.deleted_at IS NULL
"""
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS post_metrics_daily")
    op.execute("DROP VIEW IF EXISTS post_metrics_latest")
