"""What a statement's result says about the rows it touched."""

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE matched (an INSERT ... ON CONFLICT DO NOTHING counts only rows written).
    Session.execute is typed for any statement; the result of these is a cursor result."""
    return cast(CursorResult[Any], result).rowcount
