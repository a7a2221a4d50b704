"""Distributors' daily streaming reports into `release_stream_daily` (isrc, day, store, country, streams).

Bad rows are reported with their line numbers and skipped; good rows load. Rows are upserted on the
natural key, and a row whose number did not change is not touched, so importing the same file again
changes nothing. A recording released on several products (single and album) is reported once per
product: rows with the same key in one file are added up.
"""

import re
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from azmth_pipelines.db.models import ReleaseStreamDaily
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain import validation
from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.releases.csv_import import BadRow, ImportReport, Row, read_rows
from azmth_pipelines.releases.upsert import batches, insert_for, rows_written

# Header names seen in distributors' exports, lower case, for each column we load.
STREAM_COLUMNS: dict[str, tuple[str, ...]] = {
    "isrc": ("isrc code", "track isrc"),
    "day": ("date", "reporting date", "sale date", "stream date", "day"),
    "store": ("dsp", "service", "platform", "retailer", "store name"),
    "country": ("country code", "territory", "country of sale"),
    "streams": ("quantity", "units", "stream count", "plays"),
}
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_COUNT = re.compile(r"^(\d+|\d{1,3}(,\d{3})+)$")  # 1234 or 1,234
UNKNOWN_COUNTRY = "ZZ"
# SQLite allows 32766 bound parameters per statement; 1000 rows x 6 columns stays well below.
BATCH_ROWS = 1000

StreamKey = tuple[str, date, str, str]


def parse_stream_row(row: Row) -> tuple[StreamKey, int]:
    try:
        isrc = validation.isrc(row.get("isrc"))
    except ValidationError as exc:
        raise BadRow(str(exc)) from None
    try:
        day = date.fromisoformat(row.get("day"))
    except ValueError:
        raise BadRow(f"day: {row.get('day')!r} is not a date such as 2026-12-01") from None
    store = row.get("store")
    if not store or len(store) > 64:
        raise BadRow(f"store: {store!r} must be 1 to 64 characters")
    country = row.get("country").upper() or UNKNOWN_COUNTRY
    if not _COUNTRY.match(country):
        raise BadRow(f"country: {row.get('country')!r} is not a two-letter ISO 3166 code")
    text = row.get("streams")
    if not _COUNT.match(text):
        raise BadRow(f"streams: {text!r} is not a whole number of streams (0 or more)")
    return (isrc, day, store, country), int(text.replace(",", ""))


def import_streams(session: Session, path: Path) -> ImportReport:
    """Load one report file in the caller's transaction; raises MissingColumns when the header is wrong."""
    report = ImportReport()
    totals: dict[StreamKey, int] = {}
    for row in read_rows(path, aliases=STREAM_COLUMNS, required=tuple(STREAM_COLUMNS)):
        report.rows += 1
        try:
            key, streams = parse_stream_row(row)
        except BadRow as exc:
            report.bad(row.line, str(exc))
            continue
        totals[key] = totals.get(key, 0) + streams
    now = utcnow()
    rows = [
        {"isrc": isrc, "day": day, "store": store, "country": country, "streams": streams, "imported_at": now}
        for (isrc, day, store, country), streams in totals.items()
    ]
    written = 0
    for batch in batches(rows, BATCH_ROWS):
        statement = insert_for(session, ReleaseStreamDaily).values(batch)
        statement = statement.on_conflict_do_update(
            index_elements=["isrc", "day", "store", "country"],
            set_={"streams": statement.excluded.streams, "imported_at": statement.excluded.imported_at},
            where=ReleaseStreamDaily.streams != statement.excluded.streams,
        )
        written += rows_written(session, statement)
    report.written = written
    report.unchanged = len(rows) - written
    return report
