"""The publish ledger: claims, checkpoints and results of attempts, in short transactions.

Why it cannot double-post:
- A claim inserts `publish_attempt` number n+1 for (post, platform); the unique constraint lets exactly one
  run win, on SQLite and PostgreSQL alike (on PostgreSQL the post row is also locked FOR UPDATE).
- The attempt's `stage` is committed as `publish_requested` just before the call that makes a post
  public, with the remote ids known so far. A run that dies leaves that behind.
- An attempt whose lease ran out is reconciled with the platform before anything else happens:
  published, proved not published (safe to retry), or `unconfirmed` (never reposted automatically).
- The lease is also the attempt's fencing token. Every checkpoint renews it, but only for the run holding the
  lease it last wrote; a slow run whose attempt was taken over meanwhile is told so at its next checkpoint
  (before its publish call) and cannot settle the attempt either.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only, sessionmaker

from azmth_pipelines.connections.status import mark_needs_reconnect
from azmth_pipelines.db.locking import locked
from azmth_pipelines.db.models import ContentPost, PublishAttempt, StaffError
from azmth_pipelines.db.results import rowcount
from azmth_pipelines.publishing.outcomes import (
    CheckLater,
    ErrorInfo,
    Failed,
    HandedOff,
    NotPublished,
    Outcome,
    Published,
    SentToInbox,
    Unconfirmed,
)
from azmth_pipelines.publishing.state import (
    RETRY_DELAYS,
    SUCCESS_STATES,
    PlatformEntry,
    PlatformState,
    is_due,
    move,
    retry_after_reset,
    retry_at,
    state_of,
)
from azmth_pipelines.publishing.windows import nearest_tick
from azmth_pipelines.vocabulary import AttemptOutcome, AttemptStage, Platform, PostStatus

# Longer than the slowest publish of one platform (Meta asks to poll containers for up to 5 minutes).
DEFAULT_LEASE = timedelta(minutes=10)
# How long a publication in doubt is checked with the platform, tick after tick, before it is left `unconfirmed`:
# as long as the retries of a failed platform take.
CONFIRMATION_SPAN = sum(RETRY_DELAYS, timedelta())


# The publishers checkpoint with `Stage.…`; the stages themselves are defined once, in vocabulary.py.
Stage = AttemptStage


@dataclass(frozen=True)
class Claim:
    """The right to work one (post, platform) now; `reconcile_stage` is set when taking over a dead run."""

    post_id: int
    platform: Platform
    attempt_id: int
    attempt_number: int
    manual: bool
    lease_expires_at: datetime  # the lease this run wrote last: its proof that it still holds the attempt
    reconcile_stage: AttemptStage | None = None
    remote_ids: dict[str, Any] | None = None
    # When taking over: the unclear answer a run recorded when it left the attempt in doubt (`_check_later`); None
    # when the run that made the attempt stopped without recording anything.
    unclear_answer: str | None = None


def _entry(post: ContentPost, platform: Platform) -> PlatformEntry:
    return PlatformEntry.from_json((post.per_platform or {}).get(platform.value))


def _store_entry(post: ContentPost, platform: Platform, entry: PlatformEntry) -> None:
    # A new dict, so SQLAlchemy sees the JSON column change.
    post.per_platform = {**(post.per_platform or {}), platform.value: entry.to_json()}


def settled_post_status(post: ContentPost) -> PostStatus:
    """Posted once any platform succeeded; failed when every platform settled without success."""
    # States only: settling a post's status needs none of the entries' dates parsed.
    states = [state_of((post.per_platform or {}).get(p)) for p in post.platforms]
    if any(state in SUCCESS_STATES for state in states):
        return PostStatus.POSTED
    if states and all(state in (PlatformState.FAILED, PlatformState.UNCONFIRMED) for state in states):
        return PostStatus.FAILED
    return PostStatus.SCHEDULED


def _claimable(post: ContentPost, platform: Platform) -> bool:
    return post.deleted_at is None and platform.value in post.platforms and post.status is not PostStatus.DRAFT


# What settling an attempt reads and writes of a post; the caption, options and dates stay unloaded.
_SETTLING_COLUMNS = (
    ContentPost.id,
    ContentPost.artist_id,
    ContentPost.platforms,
    ContentPost.per_platform,
    ContentPost.status,
)


def _lock_posts(session: Session, post_ids: Iterable[int], *, only: Sequence[Any] = ()) -> dict[int, ContentPost]:
    """The posts, read afresh (`only` these columns, if given); on PostgreSQL locked FOR UPDATE in id order (two
    runs' batches then take their common rows in the same order instead of deadlocking)."""
    query = (
        select(ContentPost)
        .where(ContentPost.id.in_(sorted(set(post_ids))))
        .order_by(ContentPost.id)
        .execution_options(populate_existing=True)
    )
    if only:
        query = query.options(load_only(*only))
    return {post.id: post for post in session.scalars(locked(session, query))}


# Built once: constructing and keying a statement costs more than running this one (every claim batch runs it).
_LAST_ATTEMPT_NUMBERS = (
    select(PublishAttempt.post_id, PublishAttempt.platform, func.max(PublishAttempt.attempt_number))
    .where(PublishAttempt.post_id.in_(bindparam("post_ids", expanding=True)))
    .group_by(PublishAttempt.post_id, PublishAttempt.platform)
)


def _last_attempt_numbers(session: Session, post_ids: Iterable[int]) -> dict[tuple[int, Platform], int]:
    rows = session.execute(_LAST_ATTEMPT_NUMBERS, {"post_ids": sorted(set(post_ids))})
    return {(post_id, platform): number for post_id, platform, number in rows}


def _leases(session: Session, attempt_ids: Iterable[int]) -> dict[int, datetime | None]:
    """The attempts' current leases; on PostgreSQL locked FOR UPDATE, so a takeover waits for this transaction."""
    query = (
        select(PublishAttempt.id, PublishAttempt.lease_expires_at)
        .where(PublishAttempt.id.in_(sorted(set(attempt_ids))))
        .order_by(PublishAttempt.id)
    )
    return {attempt_id: lease for attempt_id, lease in session.execute(locked(session, query))}


class Ledger:
    """Each operation comes in two forms: for one item in a transaction of its own (`claim`, `checkpoint`,
    `finish`), and for many items inside the caller's transaction with a few statements for all of them
    (`claim_many`, ...: what the publish runner's group commit uses)."""

    def __init__(self, sessions: sessionmaker[Session], *, lease: timedelta = DEFAULT_LEASE) -> None:
        self._sessions = sessions
        self._lease = lease

    def claim(
        self, post_id: int, platform: Platform, *, now: datetime, run_id: str | None, manual: bool
    ) -> Claim | None:
        """Take (post, platform) for one attempt, or None when it isn't due or another run holds it."""
        try:
            with self._sessions.begin() as session:
                [claim] = self.claim_many(session, [(post_id, platform)], now=now, run_id=run_id, manual=manual)
                return claim
        except IntegrityError:
            return None  # another run inserted the same attempt number first: it owns the work

    def claim_many(
        self,
        session: Session,
        requests: Sequence[tuple[int, Platform]],
        *,
        now: datetime,
        run_id: str | None,
        manual: bool,
    ) -> list[Claim | None]:
        """`claim` for each (post id, platform), in the caller's transaction; raises IntegrityError when another
        run inserted one of the same attempt numbers first."""
        posts = _lock_posts(session, (post_id for post_id, _ in requests))
        last = _last_attempt_numbers(session, posts)
        claims: list[Claim | None] = [None] * len(requests)
        fresh: list[tuple[int, ContentPost, Platform, PlatformEntry]] = []
        seen: set[tuple[int, Platform]] = set()
        for n, (post_id, platform) in enumerate(requests):
            post = posts.get(post_id)
            if post is None or not _claimable(post, platform) or (post_id, platform) in seen:
                continue
            seen.add((post_id, platform))
            entry = _entry(post, platform)
            if entry.state is PlatformState.PUBLISHING:
                claims[n] = self._take_over(session, post, platform, entry, now=now, run_id=run_id, manual=manual)
            elif is_due(entry, now, manual=manual):
                fresh.append((n, post, platform, entry))
        if not fresh:
            return claims
        lease = now + self._lease
        # One INSERT for the batch (the ORM's flush sends one per object on SQLite); ids come back by key.
        attempts = {
            (post_id, platform): (attempt_id, number)
            for attempt_id, post_id, platform, number in session.execute(
                insert(PublishAttempt).returning(
                    PublishAttempt.id, PublishAttempt.post_id, PublishAttempt.platform, PublishAttempt.attempt_number
                ),
                [
                    {
                        "post_id": post.id,
                        "platform": platform,
                        "attempt_number": last.get((post.id, platform), 0) + 1,
                        "started_at": now,
                        "stage": AttemptStage.CLAIMED,
                        "lease_expires_at": lease,
                        "dagster_run_id": run_id,
                        "manual": manual,
                        "remote_ids": {},
                    }
                    for _, post, platform, _ in fresh
                ],
            )
        }
        for n, post, platform, entry in fresh:
            attempt_id, number = attempts[(post.id, platform)]
            entry = move(
                entry,
                PlatformState.PUBLISHING,
                now=now,
                manual=manual,
                attempts=entry.attempts + 1,
                current_attempt_id=attempt_id,
                next_retry_at=None,
            )
            _store_entry(post, platform, entry)
            # A manual re-run of a failed post makes it scheduled again while in flight: the schedule looks at
            # scheduled posts, so it reconciles the attempt if this run dies.
            post.status = settled_post_status(post)
            claims[n] = Claim(post.id, platform, attempt_id, number, manual, lease)
        return claims

    def _take_over(
        self,
        session: Session,
        post: ContentPost,
        platform: Platform,
        entry: PlatformEntry,
        *,
        now: datetime,
        run_id: str | None,
        manual: bool,
    ) -> Claim | None:
        attempt = session.get(PublishAttempt, entry.current_attempt_id) if entry.current_attempt_id else None
        if attempt is None:
            return None
        if attempt.lease_expires_at is not None and attempt.lease_expires_at > now:
            return None  # a live run is working on it
        # Conditional update: of two runs taking over the same dead attempt, only one matches the old lease (and a
        # slow run's checkpoint renewing it meanwhile makes both miss).
        lease = now + self._lease
        taken = session.execute(
            update(PublishAttempt)
            .where(PublishAttempt.id == attempt.id, PublishAttempt.lease_expires_at == attempt.lease_expires_at)
            .values(lease_expires_at=lease, dagster_run_id=run_id)
            .execution_options(synchronize_session=False)
        )
        if rowcount(taken) != 1:
            return None
        return Claim(
            post.id,
            platform,
            attempt.id,
            attempt.attempt_number,
            manual or attempt.manual,
            lease,
            reconcile_stage=AttemptStage(attempt.stage),
            remote_ids=dict(attempt.remote_ids or {}),
            unclear_answer=attempt.error_message,
        )

    def checkpoint(
        self, claim: Claim, stage: AttemptStage, remote_ids: dict[str, Any], *, now: datetime
    ) -> Claim | None:
        """Commit how far the attempt got and every id the platform gave it so far (before the next call), and
        renew the lease: the claim holding the renewed lease, or None when another run took the attempt over
        (make no more calls for it)."""
        with self._sessions.begin() as session:
            [renewed] = self.checkpoint_many(session, [(claim, stage, remote_ids)], now=now)
            return renewed

    def checkpoint_many(
        self, session: Session, checkpoints: Sequence[tuple[Claim, AttemptStage, dict[str, Any]]], *, now: datetime
    ) -> list[Claim | None]:
        """`checkpoint` for each item in the caller's transaction; None where the attempt's lease is no longer
        the claim's (another run took it over)."""
        held = _leases(session, (claim.attempt_id for claim, _, _ in checkpoints))
        lease = now + self._lease
        renewed = [
            replace(claim, lease_expires_at=lease) if held.get(claim.attempt_id) == claim.lease_expires_at else None
            for claim, _, _ in checkpoints
        ]
        updates = [
            {"id": claim.attempt_id, "stage": stage, "remote_ids": ids, "lease_expires_at": lease}
            for (claim, stage, ids), kept in zip(checkpoints, renewed, strict=True)
            if kept is not None
        ]
        if updates:
            session.execute(update(PublishAttempt), updates)
        return renewed

    def finish(self, claim: Claim, outcome: Outcome, *, now: datetime) -> PlatformEntry:
        """Record the attempt's end, move the platform's state and settle the post's status, atomically."""
        with self._sessions.begin() as session:
            [entry] = self.finish_many(session, [(claim, outcome)], now=now)
            return entry

    def finish_many(
        self, session: Session, finishes: Sequence[tuple[Claim, Outcome]], *, now: datetime
    ) -> list[PlatformEntry]:
        posts = _lock_posts(session, (claim.post_id for claim, _ in finishes), only=_SETTLING_COLUMNS)
        attempts = {
            attempt.id: attempt
            for attempt in session.scalars(
                select(PublishAttempt)
                .where(PublishAttempt.id.in_([claim.attempt_id for claim, _ in finishes]))
                .execution_options(populate_existing=True)
            )
        }
        return [
            self._finish(session, posts.get(claim.post_id), attempts.get(claim.attempt_id), claim, outcome, now=now)
            for claim, outcome in finishes
        ]

    def _finish(
        self,
        session: Session,
        post: ContentPost | None,
        attempt: PublishAttempt | None,
        claim: Claim,
        outcome: Outcome,
        *,
        now: datetime,
    ) -> PlatformEntry:
        if post is None or attempt is None:
            raise LookupError(f"post {claim.post_id} or attempt {claim.attempt_id} is gone")
        entry = _entry(post, claim.platform)
        if entry.current_attempt_id != claim.attempt_id or entry.state is not PlatformState.PUBLISHING:
            return entry  # another run already settled this attempt
        if attempt.lease_expires_at != claim.lease_expires_at:
            return entry  # another run took the attempt over: settling it is that run's
        if isinstance(outcome, CheckLater):
            entry = self._check_later(session, attempt, entry, outcome.error, claim=claim, now=now)
        else:
            attempt.finished_at = now
            attempt.stage = AttemptStage.FINISHED
            entry = self._apply(session, post, attempt, entry, outcome, claim=claim, now=now)
        _store_entry(post, claim.platform, entry)
        post.status = settled_post_status(post)
        return entry

    def _apply(
        self,
        session: Session,
        post: ContentPost,
        attempt: PublishAttempt,
        entry: PlatformEntry,
        outcome: Outcome,
        *,
        claim: Claim,
        now: datetime,
    ) -> PlatformEntry:
        match outcome:
            case Published(remote_id=remote_id, permalink=permalink, detail=detail):
                attempt.outcome = AttemptOutcome.PUBLISHED
                attempt.remote_ids = {**attempt.remote_ids, "post_id": remote_id}
                return move(
                    entry,
                    PlatformState.PUBLISHED,
                    now=now,
                    remote_id=remote_id,
                    permalink=permalink,
                    detail=detail or None,
                    last_error=None,
                )
            case SentToInbox(publish_id=publish_id, detail=detail):
                attempt.outcome = AttemptOutcome.SENT_TO_INBOX
                return move(
                    entry,
                    PlatformState.SENT_TO_INBOX,
                    now=now,
                    remote_id=publish_id,
                    detail=detail or None,
                    last_error=None,
                )
            case HandedOff(download_url=url, deep_link=link, detail=detail):
                attempt.outcome = AttemptOutcome.HANDED_OFF
                return move(
                    entry,
                    PlatformState.HANDED_OFF,
                    now=now,
                    detail={"download_url": url, "deep_link": link, **detail},
                    last_error=None,
                )
            case Unconfirmed(reason=reason):
                attempt.outcome = AttemptOutcome.UNCONFIRMED
                attempt.error_message = reason
                return move(
                    entry,
                    PlatformState.UNCONFIRMED,
                    now=now,
                    last_error={"message": reason, "code": "unconfirmed"},
                )
            case NotPublished(reason=reason):
                attempt.outcome = AttemptOutcome.TRANSIENT_ERROR
                attempt.error_code = "interrupted"
                attempt.error_message = reason
                return self._retry_or_fail(
                    entry, {"message": reason, "code": "interrupted"}, attempt, now=now, retry_now=True
                )
            case Failed() as failed:
                error = failed.error.to_json()
                attempt.outcome = AttemptOutcome.TRANSIENT_ERROR if failed.retryable else AttemptOutcome.PERMANENT_ERROR
                attempt.error_code = failed.error.code
                attempt.error_message = failed.error.user_message or failed.error.message
                _record_for_staff(session, claim, attempt, failed.error, now=now)
                if failed.needs_reconnect:
                    error["message"] = self._needs_reconnect(session, post, claim.platform, failed, now=now)
                if failed.retryable and failed.retry_after_s is not None:
                    reset_at = now + timedelta(seconds=failed.retry_after_s)
                    return self._wait_for_reset(session, entry, error, attempt, reset_at, claim=claim, now=now)
                if failed.retryable:
                    return self._retry_or_fail(entry, error, attempt, now=now)
                return move(entry, PlatformState.FAILED, now=now, last_error=error)
        raise TypeError(f"unknown outcome {outcome!r}")

    def _check_later(
        self,
        session: Session,
        attempt: PublishAttempt,
        entry: PlatformEntry,
        error: ErrorInfo,
        *,
        claim: Claim,
        now: datetime,
    ) -> PlatformEntry:
        """Leave the attempt in flight at its stage, its lease running out at the next check: the run of that tick
        takes it over and reconciles it with the platform. After CONFIRMATION_SPAN it is left unconfirmed."""
        _record_for_staff(session, claim, attempt, error, now=now)
        attempt.error_code = error.code
        attempt.error_message = error.user_message or error.message
        if now - attempt.started_at >= CONFIRMATION_SPAN:
            attempt.finished_at = now
            attempt.stage = AttemptStage.FINISHED
            attempt.outcome = AttemptOutcome.UNCONFIRMED
            reason = f"{claim.platform.label} could not confirm whether it published: {error.message}"
            return move(entry, PlatformState.UNCONFIRMED, now=now, last_error={**error.to_json(), "message": reason})
        check_at = nearest_tick(now + RETRY_DELAYS[0])
        attempt.lease_expires_at = check_at
        return move(entry, PlatformState.PUBLISHING, now=now, last_error=error.to_json(), next_retry_at=check_at)

    def _retry_or_fail(
        self,
        entry: PlatformEntry,
        error: dict[str, Any],
        attempt: PublishAttempt,
        *,
        now: datetime,
        retry_now: bool = False,
    ) -> PlatformEntry:
        due = retry_at(entry.spent_attempts, attempt.started_at)
        if due is None:
            error = {**error, "message": f"{error['message']} (gave up after {entry.attempts} attempts)"}
            return move(entry, PlatformState.FAILED, now=now, last_error=error)
        return move(entry, PlatformState.RETRYING, now=now, last_error=error, next_retry_at=now if retry_now else due)

    def _wait_for_reset(
        self,
        session: Session,
        entry: PlatformEntry,
        error: dict[str, Any],
        attempt: PublishAttempt,
        reset_at: datetime,
        *,
        claim: Claim,
        now: datetime,
    ) -> PlatformEntry:
        """A rate limit that said when it resets: the next attempt comes on the first tick after the reset, and this
        attempt spends no retry (it could not have succeeded). A reset later than the retries may wait for fails the
        platform now, instead of after attempts that are all turned away."""
        due = retry_after_reset(reset_at, _series_start(session, claim) or attempt.started_at)
        label, resets = claim.platform.label, _clock(reset_at, now)
        if due is None:
            message = (
                f"{label} rate limit ({error['message']}) resets at {resets}, after retries end: gave up. "
                f"Publish it again after {resets}."
            )
            return move(entry, PlatformState.FAILED, now=now, last_error={**error, "user_message": message})
        message = f"{label} rate limit: next try at {_clock(due, now)}, after the limit resets at {resets}"
        return move(
            entry,
            PlatformState.RETRYING,
            now=now,
            last_error={**error, "user_message": message},
            next_retry_at=due,
            unspent_attempts=entry.unspent_attempts + 1,
        )

    def _needs_reconnect(
        self, session: Session, post: ContentPost, platform: Platform, failed: Failed, *, now: datetime
    ) -> str:
        scope = failed.reconnect_scope
        reason = f"Reconnect {platform.label}" + (f" and grant {scope}" if scope else "") + f": {failed.error.message}"
        mark_needs_reconnect(session, post.artist_id, platform, reason, now=now)
        return reason


def _series_start(session: Session, claim: Claim) -> datetime | None:
    """When the platform's current series of attempts began: its last ops re-run (which starts the retries afresh),
    else its first attempt."""
    attempts = select(PublishAttempt.started_at).where(
        PublishAttempt.post_id == claim.post_id, PublishAttempt.platform == claim.platform
    )
    rerun = session.scalar(
        attempts.where(PublishAttempt.manual.is_(True)).order_by(PublishAttempt.started_at.desc()).limit(1)
    )
    return rerun or session.scalar(attempts.order_by(PublishAttempt.started_at).limit(1))


def _clock(moment: datetime, now: datetime) -> str:
    """`moment` as the artist reads it: UTC, to the minute rounded up (never a moment too early), with the date
    when it is not today."""
    moment = moment.astimezone(UTC)
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    shown = "%H:%M UTC" if moment.date() == now.astimezone(UTC).date() else "%Y-%m-%d %H:%M UTC"
    return moment.strftime(shown)


def _record_for_staff(
    session: Session, claim: Claim, attempt: PublishAttempt, error: ErrorInfo, *, now: datetime
) -> None:
    """The platform's full (redacted) error payload, for staff: the post shows only the readable part."""
    if error.payload or error.http_status is not None:
        session.add(
            StaffError(
                occurred_at=now,
                platform=claim.platform,
                post_id=claim.post_id,
                attempt_id=attempt.id,
                http_status=error.http_status,
                error_code=error.code,
                message=error.message,
                payload=error.payload,
            )
        )
