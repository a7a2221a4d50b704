"""Works a list of (post, platform) items with async concurrency: claim, publish or reconcile, record.

Database writes are short and synchronous; they go through a group commit (db/group_commit.py), whose
thread commits the units of many platform posts in one transaction while the event loop keeps every
platform call in flight. Concurrency is bounded per platform and per account, so one artist's burst
cannot starve the others or trip one account's rate limit.
"""

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.group_commit import GroupCommit
from azmth_pipelines.db.models import ContentPost, ContentPostMedia, MediaAsset, SocialConnection
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain.post_options import effective
from azmth_pipelines.domain.posts import resolved_caption
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.redaction import redact_text
from azmth_pipelines.integrations.registry import caption_problem
from azmth_pipelines.media.checks import check_post_media
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.publishing.job import JobMedia, Publisher, PublishJob
from azmth_pipelines.publishing.ledger import Claim, Ledger
from azmth_pipelines.publishing.outcomes import CheckLater, ErrorInfo, Failed, NotPublished, Outcome, Unconfirmed
from azmth_pipelines.publishing.planner import WorkItem, round_robin_by_account
from azmth_pipelines.publishing.scopes import missing_write_scope
from azmth_pipelines.publishing.state import PlatformEntry
from azmth_pipelines.token_cipher import TokenCipher, TokenDecryptionError
from azmth_pipelines.vocabulary import AttemptStage, ConnectionStatus, MediaKind, Platform

log = logging.getLogger(__name__)

# One media item of a post, in order: the asset's kind, stored path and probed container, and the post's crops for it.
MediaRow = tuple[MediaKind, str, str | None, dict[str, Any] | None]
# What a claim read for its job: the post, the artist's connection for the platform (if any), the media rows.
JobRows = tuple[ContentPost | None, SocialConnection | None, list[MediaRow]]


@dataclass
class RunSummary:
    # Where each platform post worked by this run stands now, by its state in per_platform ("publishing": in doubt,
    # checked on a later tick): the truth the post shows, not the kind of outcome (a failure may be a retry).
    states: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    # Platform trouble ops may act on (outages, give-ups, unconfirmed publications): these fail the run.
    needs_ops: list[str] = field(default_factory=list)
    # Refusals only the artist can fix (media, caption, reconnect): recorded on the post, the run succeeds.
    refused: list[str] = field(default_factory=list)

    def add(self, item: WorkItem, worked: "Worked | None") -> None:
        if worked is None:
            self.skipped += 1
            return
        outcome, entry = worked
        self.states[entry.state.value] += 1
        where = f"post {item.post_id} {item.platform.value}"
        if isinstance(outcome, Failed):
            (self.needs_ops if outcome.retryable else self.refused).append(
                f"{where}: {entry.state.value}: {outcome.error.message}"
            )
        elif isinstance(outcome, Unconfirmed):
            self.needs_ops.append(f"{where}: unconfirmed, {outcome.reason}")
        elif isinstance(outcome, CheckLater):
            self.needs_ops.append(f"{where}: {outcome.error.message}; checking with the platform on a later tick")

    def as_dict(self) -> dict[str, Any]:
        return {
            "states": dict(self.states),
            "skipped": self.skipped,
            "needs_ops": self.needs_ops,
            "refused": self.refused,
        }


# An attempt's outcome and the platform's entry after it was recorded.
Worked = tuple[Outcome, PlatformEntry]


class LeaseLost(Exception):
    """Another run took the attempt over after its lease ran out: this run must make no more calls for it."""


@dataclass
class _InFlight:
    """An attempt this run is working: its claim, holding the lease its last checkpoint renewed, and the stages it
    committed so far."""

    claim: Claim
    reached: list[AttemptStage] = field(default_factory=list)

    @property
    def reconciling(self) -> bool:
        """Whether this attempt checks one a dead run left after asking the platform to publish."""
        return self.claim.reconcile_stage == AttemptStage.PUBLISH_REQUESTED

    @property
    def asked_to_publish(self) -> bool:
        """Whether the platform may have been asked to make the post public (by this run or a dead one)."""
        return self.reconciling or AttemptStage.PUBLISH_REQUESTED in self.reached


def _why_in_doubt(claim: Claim) -> str:
    """What left the publication in doubt, for the artist: this attempt's unclear answer, or a run that stopped."""
    label = claim.platform.label
    if claim.unclear_answer:
        return f"{label} gave no clear answer to the publish request ({claim.unclear_answer})"
    return f"the run stopped after asking {label} to publish"


class Preflight(Exception):
    """The job cannot start; carries the outcome to record instead (e.g. caption too long, no connection)."""

    def __init__(self, outcome: Failed) -> None:
        super().__init__(outcome.error.message)
        self.outcome = outcome


class PublishRunner:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        publishers: dict[Platform, Publisher],
        *,
        media_root: Path,
        cipher: TokenCipher,
        run_id: str | None = None,
        manual: bool = False,
        clock: Callable[[], datetime] = utcnow,
        # Platform posts in flight per platform; most of their time is spent waiting on processing (container
        # and publish status polls), and their HTTP calls share the client's bounded pool (http.CONNECTION_LIMITS).
        per_platform_concurrency: int = 64,
        per_account_concurrency: int = 4,
    ) -> None:
        self._sessions = sessions
        self._ledger = Ledger(sessions)
        self._publishers = publishers
        self._media_root = media_root
        self._cipher = cipher
        self._run_id = run_id
        self._manual = manual
        self._clock = clock
        self._per_platform = per_platform_concurrency
        self._platform_slots = {p: asyncio.Semaphore(per_platform_concurrency) for p in Platform}
        self._per_account = per_account_concurrency
        self._account_slots: dict[tuple[int, Platform], asyncio.Semaphore] = {}

    async def run(self, items: list[WorkItem]) -> RunSummary:
        """Work every item; at most as many at once as the platforms' slots hold, so memory does not grow with
        the window's size, and in an order that keeps every platform and account busy from the start."""
        summary = RunSummary()
        in_flight = asyncio.Semaphore(self._per_platform * len({item.platform for item in items}) or 1)

        async def one(item: WorkItem, commits: GroupCommit) -> None:
            try:
                summary.add(item, await self._guarded(item, commits))
            finally:
                in_flight.release()

        async with GroupCommit(self._sessions) as commits, asyncio.TaskGroup() as tasks:
            for item in round_robin_by_account(items):
                await in_flight.acquire()
                tasks.create_task(one(item, commits))
        return summary

    async def _guarded(self, item: WorkItem, commits: GroupCommit) -> Worked | None:
        account = self._account_slots.setdefault((item.artist_id, item.platform), asyncio.Semaphore(self._per_account))
        async with self._platform_slots[item.platform], account:
            return await self._work(item, commits)

    async def _work(self, item: WorkItem, commits: GroupCommit) -> Worked | None:
        try:
            claimed = await commits.run(self._claim_and_read, item)
        except IntegrityError:
            return None  # another run inserted the same attempt number first: it owns the work
        if claimed is None:
            return None
        claim, rows = claimed
        attempt = _InFlight(claim)
        try:
            outcome = await self._attempt(attempt, rows, commits)
        except LeaseLost:
            # This attempt outlived its lease and another run took it over; that run settles it.
            log.warning("post %s %s: attempt taken over by another run, stopped", claim.post_id, claim.platform.value)
            return None
        entry = await commits.run(self._finish, (attempt.claim, outcome))
        log.info("post %s %s: %s", claim.post_id, claim.platform.value, type(outcome).__name__)
        if isinstance(outcome, NotPublished):
            # Proved never published: publish it now rather than a tick later (the new claim is a fresh attempt).
            return await self._work(item, commits)
        return outcome, entry

    def _claim_and_read(self, session: Session, items: Sequence[WorkItem]) -> list[tuple[Claim, JobRows] | None]:
        """Claim the items and read the rows their attempts need, in one transaction of the group commit. The
        jobs are built from them after the commit (`_read_job`): checking captions (twitter-text's parse of an X
        caption costs ~0.7 ms) and decrypting tokens is CPU work that needs no lock, and on SQLite every
        transaction holds the database's write lock, which the window's other shards wait for."""
        claims = self._ledger.claim_many(
            session,
            [(item.post_id, item.platform) for item in items],
            now=self._clock(),
            run_id=self._run_id,
            manual=self._manual,
        )
        taken = [claim for claim in claims if claim is not None]
        if not taken:
            return [None] * len(claims)
        # The posts the ledger just read and changed are still in the session (`get` costs no query), the media of
        # all of them come as plain rows in one query.
        posts = {claim.post_id: session.get(ContentPost, claim.post_id) for claim in taken}
        media: dict[int, list[MediaRow]] = defaultdict(list)
        for post_id, kind, stored_path, container, crops in session.execute(
            select(
                ContentPostMedia.post_id,
                MediaAsset.kind,
                MediaAsset.stored_path,
                MediaAsset.container,
                ContentPostMedia.crops,
            )
            .join(ContentPostMedia.asset)
            .where(ContentPostMedia.post_id.in_({claim.post_id for claim in taken}))
            .order_by(ContentPostMedia.post_id, ContentPostMedia.position)
        ):
            media[post_id].append((kind, stored_path, container, crops))
        connections = {
            (connection.artist_id, connection.platform): connection
            for connection in session.scalars(
                select(SocialConnection).where(
                    SocialConnection.artist_id.in_({item.artist_id for item in items}),
                    SocialConnection.platform.in_({claim.platform for claim in taken}),
                )
            )
        }
        return [None if claim is None else (claim, self._rows_of(claim, posts, connections, media)) for claim in claims]

    @staticmethod
    def _rows_of(
        claim: Claim,
        posts: dict[int, ContentPost | None],
        connections: dict[tuple[int, Platform], SocialConnection],
        media: dict[int, list[MediaRow]],
    ) -> JobRows:
        post = posts[claim.post_id]
        connection = connections.get((post.artist_id, claim.platform)) if post is not None else None
        return post, connection, media[claim.post_id]

    def _checkpoint(
        self, session: Session, checkpoints: Sequence[tuple[Claim, AttemptStage, dict[str, Any]]]
    ) -> list[Claim | None]:
        return self._ledger.checkpoint_many(session, checkpoints, now=self._clock())

    def _finish(self, session: Session, finishes: Sequence[tuple[Claim, Outcome]]) -> list[PlatformEntry]:
        return self._ledger.finish_many(session, finishes, now=self._clock())

    async def _attempt(self, attempt: _InFlight, rows: JobRows, commits: GroupCommit) -> Outcome:
        """The attempt's outcome; raises LeaseLost when a checkpoint finds another run took the attempt over."""
        claim = attempt.claim
        publisher = self._publishers[claim.platform]
        try:
            # Built here, after the claim committed, so a bug in it finishes the attempt like any other (below).
            job = self._read_job(claim, *rows)
            if isinstance(job, Failed):
                if attempt.reconciling:
                    return Unconfirmed(f"could not check the interrupted attempt: {job.error.message}")
                return job
            if claim.reconcile_stage is not None:
                if claim.reconcile_stage != AttemptStage.PUBLISH_REQUESTED:
                    return NotPublished(f"the run stopped at stage {claim.reconcile_stage}, before the publish call")
                outcome = await publisher.reconcile(job, claim.reconcile_stage, claim.remote_ids or {})
                if isinstance(outcome, Unconfirmed):
                    return Unconfirmed(f"{_why_in_doubt(claim)}; {outcome.reason}")
                return outcome

            known: dict[str, Any] = {}  # the attempt's remote ids so far (a fresh attempt starts with none)

            async def checkpoint(stage: AttemptStage, remote_ids: dict[str, Any]) -> None:
                known.update(remote_ids)
                renewed = await commits.run(self._checkpoint, (attempt.claim, stage, dict(known)))
                if renewed is None:
                    raise LeaseLost(f"attempt {claim.attempt_id} was taken over by another run")
                attempt.claim = renewed
                attempt.reached.append(stage)

            return await publisher.publish(job, checkpoint)
        except LeaseLost:
            raise
        except PlatformError as error:
            if (error.may_have_succeeded and attempt.asked_to_publish) or attempt.reconciling:
                # The platform may have published (no clear answer to the publish call, or the check of an
                # interrupted one failed): a fresh attempt could post twice, so a later tick checks first. Any failed
                # check, not only a retryable one: a read refused (404, 403 for the access level, a dead token) proves
                # nothing about the post, which may be live; after CONFIRMATION_SPAN it is left unconfirmed.
                return CheckLater(ErrorInfo.from_platform_error(error))
            # Before the publish call an unclear answer (a container or upload the platform may have made) cannot
            # have published anything: a plain retry.
            return Failed.from_platform_error(error)
        except MediaError as error:
            message = str(error)
            if not message.startswith(claim.platform.label):
                message = f"{claim.platform.label}: {message}"
            return Failed.permanent(message, error.code)
        except Exception as error:
            # A bug or an answer nobody documented: finish the attempt rather than leave it to a lease, and never
            # retry blindly once the platform may have been asked to publish.
            log.exception("post %s %s: unexpected error", claim.post_id, claim.platform.value)
            detail = redact_text(f"{type(error).__name__}: {error}")
            if attempt.asked_to_publish:
                return Unconfirmed(f"unexpected error after asking {claim.platform.label} to publish: {detail}")
            return Failed(error=ErrorInfo(message=f"unexpected error: {detail}", code="unexpected"), retryable=True)

    def _read_job(
        self, claim: Claim, post: ContentPost | None, connection: SocialConnection | None, media: list[MediaRow]
    ) -> PublishJob | Failed:
        """What the attempt needs, from the rows its claim read (detached: columns only); or why it cannot start."""
        assert post is not None  # the ledger claimed it in that transaction
        try:
            return self._load_job(post, claim, connection, media)
        except Preflight as refused:
            return refused.outcome

    def _load_job(
        self, post: ContentPost, claim: Claim, connection: SocialConnection | None, media_rows: list[MediaRow]
    ) -> PublishJob:
        platform = claim.platform
        options = effective(post.platform_options, platform)
        caption = resolved_caption(post, platform)
        media = [
            self._job_media(kind, stored_path, container, (crops or {}).get(platform.value))
            for kind, stored_path, container, crops in media_rows
        ]
        problem = caption_problem(platform, caption, media_kinds=[m.kind for m in media])
        if problem is not None:
            raise Preflight(Failed.permanent(problem, "caption"))
        # The web app may write rows the post checks never saw: too many files, or kinds a platform takes only alone.
        for found in check_post_media(platform.value, media):
            raise Preflight(Failed.permanent(found.message, found.code))
        if connection is None:
            raise Preflight(
                Failed.permanent(
                    f"Connect {platform.label} first: the artist has no {platform.label} connection",
                    "not_connected",
                )
            )
        if connection.status is ConnectionStatus.NEEDS_RECONNECT:
            raise Preflight(
                Failed.permanent(connection.status_reason or f"Reconnect {platform.label}", "needs_reconnect")
            )
        scope = missing_write_scope(platform, options, set(connection.granted_scopes or []), bool(media))
        if scope is not None:
            raise Preflight(
                Failed(
                    error=ErrorInfo(message=f"the {platform.label} connection lacks the publishing permission {scope}"),
                    retryable=False,
                    needs_reconnect=True,
                    reconnect_scope=scope,
                )
            )
        try:
            token = self._cipher.decrypt(connection.access_token_ciphertext)
        except TokenDecryptionError as exc:
            raise Preflight(Failed(error=ErrorInfo(message=str(exc)), retryable=False, needs_reconnect=True)) from None
        return PublishJob(
            post_id=post.id,
            artist_id=post.artist_id,
            platform=platform,
            caption=caption,
            options=options,
            media=media,
            account_id=connection.external_account_id,
            access_token=token or "",
            granted_scopes=frozenset(connection.granted_scopes or []),
            x_access_tier=connection.x_access_tier,
            attempt_number=claim.attempt_number,
            manual=claim.manual,
        )

    def _job_media(
        self, kind: MediaKind, stored_path: str, container: str | None, crop: dict[str, Any] | None
    ) -> JobMedia:
        path = self._media_root / stored_path
        if not path.is_file():
            raise Preflight(
                Failed.permanent(
                    f"the media file {stored_path} is missing from the media store; upload it again", "media"
                )
            )
        return JobMedia(kind=kind, path=path, crop=crop, container=container)
