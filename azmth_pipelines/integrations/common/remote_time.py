"""Times as platforms write them (ISO 8601, with or without an offset), read without trusting them."""

from datetime import UTC, datetime


def remote_time(value: object) -> datetime | None:
    """The time a platform gave, in UTC when it named no offset; None when it gave none or an unreadable one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
