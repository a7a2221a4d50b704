"""account_post_metrics and the account_posts_latest view: every post of a connected account, per day

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:00:00

One row per account post per UTC day (AZMTH's posts and the artist's own), keyed by the day, the connection and
the platform's post id; post_id points at the AZMTH post when the platform id matches one we published.
The view keeps each account post's latest day. Both are described column by column in docs/analysts.md.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import azmth_pipelines.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_NEGATIVE = (
    "coalesce(views, 0) >= 0 AND coalesce(likes, 0) >= 0 AND coalesce(comments, 0) >= 0 "
    "AND coalesce(shares, 0) >= 0 AND coalesce(saves, 0) >= 0"
)
_TABLE_COMMENT = (
    "One row per post of a connected account per UTC day: every post the account has on the platform, AZMTH's "
    "or not, with its engagement that day. Counts are NULL where the platform offers no such number or did not "
    "report it (never 0 for 'unknown'), as in social_post_metrics."
)
# Strings checked by a constraint, as every enum column here (models._enum).
_PLATFORM = sa.Enum(
    "tiktok", "instagram", "threads", "x", name="platform", native_enum=False, create_constraint=True, length=32
)
_KIND = sa.Enum(
    "video",
    "image",
    "carousel",
    "text",
    "other",
    name="account_post_kind",
    native_enum=False,
    create_constraint=True,
    length=32,
)
_UTC = azmth_pipelines.db.types.UTCDateTime(timezone=True)

# Each account post's latest day: a post the platform stopped listing keeps its last row (partition_date says when).
_LATEST_VIEW = """
CREATE VIEW account_posts_latest AS
SELECT ranked.connection_id,
       c.artist_id,
       ranked.platform,
       ranked.remote_post_id,
       ranked.post_id,
       ranked.posted_at,
       ranked.permalink,
       ranked.media_kind,
       ranked.partition_date,
       ranked.captured_at,
       ranked.views,
       ranked.likes,
       ranked.comments,
       ranked.shares,
       ranked.saves
FROM (
    SELECT m.*, ROW_NUMBER() OVER (
        PARTITION BY m.connection_id, m.remote_post_id ORDER BY m.partition_date DESC
    ) AS rank_in_post
    FROM account_post_metrics m
) ranked
JOIN social_connection c ON c.id = ranked.connection_id
WHERE ranked.rank_in_post = 1
"""


def upgrade() -> None:
    op.create_table(
        "account_post_metrics",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "partition_date", sa.Date(), nullable=False, comment="The daily partition (UTC day) the row belongs to."
        ),
        sa.Column("connection_id", sa.Integer(), nullable=False, comment="social_connection.id: the account."),
        sa.Column(
            "platform",
            _PLATFORM,
            nullable=False,
            comment="tiktok, instagram, threads or x (the connection's platform).",
        ),
        sa.Column("remote_post_id", sa.String(length=128), nullable=False, comment="The platform's id of the post."),
        sa.Column(
            "post_id",
            sa.Integer(),
            nullable=True,
            comment="content_post.id when AZMTH published this post (matched by the platform's id); NULL for a post "
            "made outside AZMTH.",
        ),
        sa.Column("posted_at", _UTC, nullable=True, comment="When the post was created on the platform (UTC)."),
        sa.Column("permalink", sa.Text(), nullable=True, comment="The post's public address on the platform."),
        sa.Column(
            "media_kind",
            _KIND,
            nullable=True,
            comment="video, image, carousel, text or other; the platform's own type is in raw.",
        ),
        sa.Column("captured_at", _UTC, nullable=False, comment="When the numbers were read (UTC)."),
        sa.Column("views", sa.BigInteger(), nullable=True, comment="Views; NULL where not offered (docs/analysts.md)."),
        sa.Column("likes", sa.BigInteger(), nullable=True, comment="Likes; NULL where not offered."),
        sa.Column("comments", sa.BigInteger(), nullable=True, comment="Comments or replies; NULL where not offered."),
        sa.Column(
            "shares", sa.BigInteger(), nullable=True, comment="Shares, reposts and quotes; NULL where not offered."
        ),
        sa.Column("saves", sa.BigInteger(), nullable=True, comment="Saves or bookmarks; NULL where not offered."),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="The platform's numbers and type as read, or why the numbers are missing.",
        ),
        sa.CheckConstraint(_NOT_NEGATIVE, name=op.f("ck_account_post_metrics_counts_not_negative")),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["social_connection.id"],
            name=op.f("fk_account_post_metrics_connection_id_social_connection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["content_post.id"],
            name=op.f("fk_account_post_metrics_post_id_content_post"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_post_metrics")),
        sa.UniqueConstraint("partition_date", "connection_id", "remote_post_id", name="uq_account_post_metrics_day"),
        comment=_TABLE_COMMENT,
    )
    with op.batch_alter_table("account_post_metrics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_post_metrics_post_days", ["connection_id", "remote_post_id", "partition_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_account_post_metrics_post_id"), ["post_id"], unique=False)
    op.execute(_LATEST_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS account_posts_latest")
    with op.batch_alter_table("account_post_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_post_metrics_post_id"))
        batch_op.drop_index("ix_account_post_metrics_post_days")
    op.drop_table("account_post_metrics")
