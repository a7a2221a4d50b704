"""15-minute publish windows of `scheduled_for`, in UTC: the publish job's partitions."""

from datetime import UTC, datetime, timedelta

WINDOW = timedelta(minutes=15)
# Dagster's key format for sub-daily time windows.
PARTITION_KEY_FORMAT = "%Y-%m-%d-%H:%M"


def window_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def nearest_tick(moment: datetime) -> datetime:
    """The window boundary nearest `moment`: the publish schedule ticks on every boundary."""
    return window_start(moment + WINDOW / 2)


def window_bounds(start: datetime) -> tuple[datetime, datetime]:
    start = window_start(start)
    return start, start + WINDOW


def partition_key(start: datetime) -> str:
    return window_start(start).strftime(PARTITION_KEY_FORMAT)


def window_from_key(key: str) -> datetime:
    return datetime.strptime(key, PARTITION_KEY_FORMAT).replace(tzinfo=UTC)
