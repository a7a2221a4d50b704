"""publish_attempt.lease_expires_at: renewed by every checkpoint, the attempt's fencing token

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:10:00

Only the column's comment changes: the lease was written once at the claim; now every checkpoint renews it, and
a run that finds a lease it did not write there has lost the attempt to another run.
"""

from collections.abc import Sequence

from alembic import op

import azmth_pipelines.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLAIMED = "Until when the run that claimed the attempt owns it; after that another run reconciles it."
_RENEWED = (
    "Until when the run working the attempt owns it; after that another run reconciles it. Every checkpoint "
    "renews it, and a run that finds a lease it did not write there lost the attempt."
)


def _comment(new: str, old: str) -> None:
    with op.batch_alter_table("publish_attempt", schema=None) as batch_op:
        batch_op.alter_column(
            "lease_expires_at",
            existing_type=azmth_pipelines.db.types.UTCDateTime(timezone=True),
            existing_nullable=True,
            comment=new,
            existing_comment=old,
        )


def upgrade() -> None:
    _comment(_RENEWED, _CLAIMED)


def downgrade() -> None:
    _comment(_CLAIMED, _RENEWED)
