"""Pre-save events into `presave_event`: from a pre-save service's CSV export, or one at a time from its
webhook. An event is attributed to a post when the link the fan used carries our `src` parameter
(releases.links) and that post belongs to the release's artist; otherwise it is kept unattributed.

Importing the same export twice adds nothing: each event is keyed by the service's event id, or, where the
export has none, by a digest of the row and how many identical rows came before it in the file (two fans
pre-saving through the same link in the same second are two events).
"""

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from azmth_pipelines.db.models import ContentPost, PresaveEvent, Release
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain.errors import NotFound, ValidationError
from azmth_pipelines.releases.csv_import import BadRow, ImportReport, Row, read_rows
from azmth_pipelines.releases.links import parse_source, source_of_link
from azmth_pipelines.releases.upsert import batches, insert_for, rows_written
from azmth_pipelines.vocabulary import Platform

PRESAVE_COLUMNS: dict[str, tuple[str, ...]] = {
    "occurred_at": ("timestamp", "time", "date", "created at", "created", "event time"),
    "kind": ("type", "event", "event type", "action"),
    "src": ("source", "utm source"),
    "url": ("link", "landing url", "page url"),
    "event_id": ("id", "event id"),
    "release_id": ("release",),
}
KINDS = {"presave": "presave", "pre-save": "presave", "pre save": "presave", "save": "presave", "click": "click"}
BATCH_ROWS = 1000


@dataclass(frozen=True)
class Attribution:
    post_id: int | None
    platform: Platform | None


class _Lookups:
    """Releases and posts a file refers to, each read once per import."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._releases: dict[int, Release | None] = {}
        self._posts: dict[int, ContentPost | None] = {}

    def release(self, release_id: int) -> Release | None:
        if release_id not in self._releases:
            self._releases[release_id] = self.session.get(Release, release_id)
        return self._releases[release_id]

    def post(self, post_id: int) -> ContentPost | None:
        if post_id not in self._posts:
            self._posts[post_id] = self.session.get(ContentPost, post_id)
        return self._posts[post_id]


def parse_time(text: str) -> datetime:
    """ISO 8601 (an offset, Z, or none: exports without an offset are in UTC) or Unix seconds."""
    text = text.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _occurred_at(row: Row) -> datetime:
    try:
        return parse_time(row.get("occurred_at"))
    except (ValueError, OverflowError):
        raise BadRow(f"occurred_at: {row.get('occurred_at')!r} is not a time such as 2026-12-01T18:30Z") from None


def _src(row: Row) -> str | None:
    src = row.get("src") or (source_of_link(row.get("url")) if row.get("url") else None) or None
    if src is not None and len(src) > 128:
        raise BadRow("src: longer than 128 characters")
    return src


def _kind(text: str) -> str:
    kind = KINDS.get(text.strip().lower() or "presave")
    if kind is None:
        raise BadRow(f"kind: {text!r} is not presave or click")
    return kind


def _attribution(lookups: _Lookups, release: Release, src: str | None) -> Attribution:
    source = parse_source(src)
    if source is None:
        return Attribution(None, None)
    post = lookups.post(source.post_id)
    if post is None or post.artist_id != release.artist_id:
        return Attribution(None, None)
    return Attribution(post.id, source.platform)


def _release_for(lookups: _Lookups, row: Row, src: str | None, default_release_id: int | None) -> Release:
    text = row.get("release_id")
    if text:
        if not text.isdigit():
            raise BadRow(f"release_id: {text!r} is not a release id")
        release_id: int | None = int(text)
    elif default_release_id is not None:
        release_id = default_release_id
    else:
        source = parse_source(src)
        post = lookups.post(source.post_id) if source else None
        release_id = post.release_id if post else None
    if release_id is None:
        raise BadRow("no release: the link has no known src post; give --release or a release_id column")
    release = lookups.release(release_id)
    if release is None:
        raise BadRow(f"release {release_id} not found")
    return release


def event_key(event_id: str | None, *, kind: str, occurred_at: datetime, src: str | None, occurrence: int) -> str:
    if event_id:
        return f"id:{event_id}"[:128]
    digest = hashlib.sha256(f"{kind}|{occurred_at.isoformat()}|{src or ''}|{occurrence}".encode()).hexdigest()
    return f"row:{digest[:40]}"


def import_presaves(session: Session, path: Path, *, release_id: int | None = None) -> ImportReport:
    """Load a pre-save service's export in the caller's transaction. Each row needs `occurred_at`; the
    release comes from a release_id column, else `release_id`, else the src post's release."""
    if release_id is not None and session.get(Release, release_id) is None:
        raise NotFound("release", release_id)
    report = ImportReport()
    lookups = _Lookups(session)
    seen: Counter[tuple[int, str, datetime, str | None]] = Counter()
    rows: list[dict[str, object]] = []
    now = utcnow()
    for row in read_rows(path, aliases=PRESAVE_COLUMNS, required=("occurred_at",)):
        report.rows += 1
        try:
            occurred_at = _occurred_at(row)
            kind = _kind(row.get("kind"))
            src = _src(row)
            release = _release_for(lookups, row, src, release_id)
        except BadRow as exc:
            report.bad(row.line, str(exc))
            continue
        identity = (release.id, kind, occurred_at, src)
        seen[identity] += 1
        attribution = _attribution(lookups, release, src)
        rows.append(
            {
                "release_id": release.id,
                "post_id": attribution.post_id,
                "platform": attribution.platform,
                "occurred_at": occurred_at,
                "kind": kind,
                "src": src,
                "event_key": event_key(
                    row.get("event_id"), kind=kind, occurred_at=occurred_at, src=src, occurrence=seen[identity]
                ),
                "created_at": now,
            }
        )
    for batch in batches(rows, BATCH_ROWS):
        statement = insert_for(session, PresaveEvent).values(batch)
        statement = statement.on_conflict_do_nothing(index_elements=["release_id", "event_key"])
        report.written += rows_written(session, statement)
    report.unchanged = len(rows) - report.written
    return report


def record_presave(
    session: Session,
    *,
    release_id: int,
    event_id: str,
    occurred_at: datetime,
    kind: str = "presave",
    src: str | None = None,
    url: str | None = None,
) -> bool:
    """One event from the pre-save service's webhook; False when that event id was already recorded."""
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound("release", release_id)
    if occurred_at.tzinfo is None:
        raise ValidationError("occurred_at", "has no timezone")
    if kind not in ("presave", "click"):
        raise ValidationError("kind", f"{kind!r} is not presave or click")
    if not event_id:
        raise ValidationError("event_id", "must not be empty: it is what makes a redelivered webhook harmless")
    src = src or (source_of_link(url) if url else None)
    attribution = _attribution(_Lookups(session), release, src)
    statement = insert_for(session, PresaveEvent).values(
        release_id=release_id,
        post_id=attribution.post_id,
        platform=attribution.platform,
        occurred_at=occurred_at.astimezone(UTC),
        kind=kind,
        src=src,
        event_key=event_key(event_id, kind=kind, occurred_at=occurred_at, src=src, occurrence=1),
        created_at=utcnow(),
    )
    return bool(rows_written(session, statement.on_conflict_do_nothing(index_elements=["release_id", "event_key"])))
