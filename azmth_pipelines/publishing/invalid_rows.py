"""Post rows the publisher cannot read: the web app (or a hand-written import) may write anything, and one bad row
must never stop the tick for every other artist. Such a row is skipped and reported to staff, once."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import StaffError

INVALID_POST_ROW = "invalid_post_row"


@dataclass(frozen=True)
class InvalidPostRow:
    post_id: int
    problem: str

    @property
    def message(self) -> str:
        return f"post {self.post_id} was not published: {self.problem}; fix the row (or delete the post)"


def record_invalid_rows(session: Session, rows: Sequence[InvalidPostRow], *, now: datetime) -> list[InvalidPostRow]:
    """Add a staff error for each row not reported with the same problem before (the schedule sees the row on every
    tick); the rows newly reported."""
    if not rows:
        return []
    reported = set(
        session.execute(
            select(StaffError.post_id, StaffError.message).where(
                StaffError.error_code == INVALID_POST_ROW,
                tuple_(StaffError.post_id, StaffError.message).in_([(row.post_id, row.message) for row in rows]),
            )
        ).all()
    )
    fresh = [row for row in dict.fromkeys(rows) if (row.post_id, row.message) not in reported]
    session.add_all(
        StaffError(
            occurred_at=now,
            platform=None,
            post_id=row.post_id,
            error_code=INVALID_POST_ROW,
            message=row.message,
            payload={"problem": row.problem},
        )
        for row in fresh
    )
    return fresh
