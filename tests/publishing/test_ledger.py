"""The publish ledger's promises, on SQLite and PostgreSQL: retries, partial success, no double claims."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.engine import engine
from azmth_pipelines.db.models import ContentPost, PublishAttempt, SocialConnection, StaffError
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.posts import create_post
from azmth_pipelines.publishing.ledger import Ledger, Stage
from azmth_pipelines.publishing.outcomes import ErrorInfo, Failed, NotPublished, Published, Unconfirmed
from azmth_pipelines.publishing.planner import windows_with_work
from azmth_pipelines.publishing.state import MAX_ATTEMPTS, RETRY_DELAYS, PlatformState
from azmth_pipelines.vocabulary import ConnectionStatus, Platform, PostStatus

T0 = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
TRANSIENT = Failed(error=ErrorInfo(message="Service Unavailable", code="503", http_status=503), retryable=True)


@pytest.fixture
def sessions(database_url: str) -> sessionmaker[Session]:
    return sessionmaker(engine(database_url), expire_on_commit=False)


@pytest.fixture
def ledger(sessions: sessionmaker[Session]) -> Ledger:
    return Ledger(sessions, lease=timedelta(minutes=10))


def _post(sessions: sessionmaker[Session], platforms: list[str], **kwargs: object) -> int:
    with sessions.begin() as session:
        artist = create_artist(session, name="Nova")
        session.add(SocialConnection(artist_id=artist.id, platform=Platform.X, external_account_id="1"))
        post = create_post(
            session,
            artist_id=artist.id,
            platforms=platforms,
            body="Out now",
            scheduled_for=T0,
            status=kwargs.pop("status", "scheduled"),
            **kwargs,  # type: ignore[arg-type]
        )
        return post.id


def _post_row(sessions: sessionmaker[Session], post_id: int) -> ContentPost:
    with sessions() as session:
        post = session.get(ContentPost, post_id)
        assert post is not None
        return post


def test_failed_platform_is_retried_five_times_then_post_is_failed(
    ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    post_id = _post(sessions, ["x"])
    now = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        claim = ledger.claim(post_id, Platform.X, now=now, run_id="r", manual=False)
        assert claim is not None and claim.attempt_number == attempt
        entry = ledger.finish(claim, TRANSIENT, now=now)
        if attempt < MAX_ATTEMPTS:
            assert entry.state is PlatformState.RETRYING
            assert entry.next_retry_at == now + RETRY_DELAYS[attempt - 1]
            # Not due a minute early: ticks before the retry time leave it alone.
            assert (
                ledger.claim(
                    post_id,
                    Platform.X,
                    now=entry.next_retry_at - timedelta(minutes=1),
                    run_id="r",
                    manual=False,
                )
                is None
            )
            now = entry.next_retry_at
    post = _post_row(sessions, post_id)
    assert post.status is PostStatus.FAILED
    assert post.per_platform["x"]["state"] == "failed"
    assert post.per_platform["x"]["attempts"] == 6
    assert "gave up after 6 attempts" in post.per_platform["x"]["last_error"]["message"]
    assert now - T0 == sum(RETRY_DELAYS, timedelta()) == timedelta(minutes=90)
    with sessions() as session:
        assert len(session.scalars(select(PublishAttempt)).all()) == 6
        assert len(session.scalars(select(StaffError)).all()) == 6


def test_post_with_one_successful_platform_stays_posted(ledger: Ledger, sessions: sessionmaker[Session]) -> None:
    post_id = _post(sessions, ["x", "threads"])
    x = ledger.claim(post_id, Platform.X, now=T0, run_id="r", manual=False)
    threads = ledger.claim(post_id, Platform.THREADS, now=T0, run_id="r", manual=False)
    assert x and threads
    ledger.finish(x, Published(remote_id="1899"), now=T0)
    assert _post_row(sessions, post_id).status is PostStatus.POSTED
    ledger.finish(threads, Failed.permanent("Threads: text is 612 characters; at most 500", "caption_too_long"), now=T0)
    post = _post_row(sessions, post_id)
    assert post.status is PostStatus.POSTED
    assert post.per_platform["x"] | {"state": "published", "remote_id": "1899"} == post.per_platform["x"]
    assert post.per_platform["threads"]["state"] == "failed"
    assert post.per_platform["threads"]["attempts"] == 1  # a permanent error burns no retries


def test_published_platform_is_never_claimed_again_even_by_a_manual_rerun(
    ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    post_id = _post(sessions, ["x"])
    claim = ledger.claim(post_id, Platform.X, now=T0, run_id="r", manual=False)
    assert claim is not None
    ledger.finish(claim, Published(remote_id="1899"), now=T0)
    later = T0 + timedelta(days=1)
    assert ledger.claim(post_id, Platform.X, now=later, run_id="ops", manual=True) is None


def test_claiming_a_batch_takes_the_same_statements_for_two_posts_as_for_twenty(
    ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    """The group commit claims whole batches; a statement per item would cost a round trip per platform post."""

    def statements_to_claim(count: int) -> int:
        posts = [_post(sessions, ["x", "threads"]) for _ in range(count)]
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(sessions.kw["bind"], "before_cursor_execute", listen)
        try:
            with sessions.begin() as session:
                requests = [(post_id, platform) for post_id in posts for platform in (Platform.X, Platform.THREADS)]
                claims = ledger.claim_many(session, requests, now=T0, run_id="r", manual=False)
        finally:
            event.remove(sessions.kw["bind"], "before_cursor_execute", listen)
        assert all(claims) and len({claim.attempt_id for claim in claims if claim}) == 2 * count
        return len(statements)

    assert statements_to_claim(2) == statements_to_claim(20)


def test_two_runs_cannot_hold_the_same_platform(ledger: Ledger, sessions: sessionmaker[Session]) -> None:
    post_id = _post(sessions, ["x"])
    first = ledger.claim(post_id, Platform.X, now=T0, run_id="a", manual=False)
    second = ledger.claim(post_id, Platform.X, now=T0 + timedelta(minutes=1), run_id="b", manual=False)
    assert first is not None and second is None


def test_a_dead_runs_attempt_is_reconciled_after_its_lease(ledger: Ledger, sessions: sessionmaker[Session]) -> None:
    post_id = _post(sessions, ["x"])
    dead = ledger.claim(post_id, Platform.X, now=T0, run_id="dead", manual=False)
    assert dead is not None
    ledger.checkpoint(dead, Stage.PUBLISH_REQUESTED, {"media_id": "77"}, now=T0)
    assert ledger.claim(post_id, Platform.X, now=T0 + timedelta(minutes=9), run_id="b", manual=False) is None
    takeover = ledger.claim(post_id, Platform.X, now=T0 + timedelta(minutes=11), run_id="b", manual=False)
    assert takeover is not None
    assert (takeover.attempt_id, takeover.reconcile_stage, takeover.remote_ids) == (
        dead.attempt_id,
        Stage.PUBLISH_REQUESTED,
        {"media_id": "77"},
    )
    # Only one run may take over the same dead attempt.
    assert ledger.claim(post_id, Platform.X, now=T0 + timedelta(minutes=11), run_id="c", manual=False) is None
    ledger.finish(takeover, Unconfirmed("X gave no answer and the tweet is not in the timeline"), now=T0)
    # The dead run waking up cannot overwrite the settled result.
    ledger.finish(dead, Published(remote_id="late"), now=T0)
    post = _post_row(sessions, post_id)
    assert post.per_platform["x"]["state"] == "unconfirmed"
    assert ledger.claim(post_id, Platform.X, now=T0 + timedelta(hours=3), run_id="d", manual=False) is None


def test_checkpoints_renew_the_lease(ledger: Ledger, sessions: sessionmaker[Session]) -> None:
    post_id = _post(sessions, ["x"])
    slow = ledger.claim(post_id, Platform.X, now=T0, run_id="slow", manual=False)
    assert slow is not None
    assert ledger.checkpoint(slow, Stage.PREPARED, {"media_ids": ["5"]}, now=T0 + timedelta(minutes=8)) is not None
    # Past the claim's lease, not past the one the checkpoint renewed: the slow run still holds the attempt.
    assert ledger.claim(post_id, Platform.X, now=T0 + timedelta(minutes=11), run_id="b", manual=False) is None
    takeover = ledger.claim(post_id, Platform.X, now=T0 + timedelta(minutes=19), run_id="b", manual=False)
    assert takeover is not None and takeover.reconcile_stage == Stage.PREPARED


def test_a_run_whose_attempt_was_taken_over_can_neither_checkpoint_nor_settle_it(
    ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    post_id = _post(sessions, ["x"])
    slow = ledger.claim(post_id, Platform.X, now=T0, run_id="slow", manual=False)
    assert slow is not None
    takeover = ledger.claim(post_id, Platform.X, now=T0 + timedelta(minutes=11), run_id="b", manual=False)
    assert takeover is not None and takeover.attempt_id == slow.attempt_id
    # The slow run wakes up before its publish call: it is told it lost the attempt, and nothing is written.
    assert ledger.checkpoint(slow, Stage.PUBLISH_REQUESTED, {"media_ids": []}, now=T0 + timedelta(minutes=12)) is None
    ledger.finish(slow, Published(remote_id="late"), now=T0 + timedelta(minutes=12))
    with sessions() as session:
        attempt = session.get(PublishAttempt, slow.attempt_id)
        assert attempt is not None and (attempt.stage, attempt.finished_at) == (Stage.CLAIMED, None)
    assert _post_row(sessions, post_id).per_platform["x"]["state"] == "publishing"
    # The run that took it over still holds it.
    assert ledger.checkpoint(takeover, Stage.PUBLISH_REQUESTED, {}, now=T0 + timedelta(minutes=12)) is not None


def test_an_interrupted_attempt_proved_unpublished_is_retried_at_once(
    ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    post_id = _post(sessions, ["x"])
    dead = ledger.claim(post_id, Platform.X, now=T0, run_id="dead", manual=False)
    assert dead is not None
    later = T0 + timedelta(minutes=15)
    takeover = ledger.claim(post_id, Platform.X, now=later, run_id="b", manual=False)
    assert takeover is not None and takeover.reconcile_stage == Stage.CLAIMED
    ledger.finish(takeover, NotPublished("run stopped before the publish call"), now=later)
    retry = ledger.claim(post_id, Platform.X, now=later, run_id="b", manual=False)
    assert retry is not None and retry.attempt_number == 2


def test_manual_rerun_retries_failed_and_unconfirmed_platforms(ledger: Ledger, sessions: sessionmaker[Session]) -> None:
    post_id = _post(sessions, ["x"])
    claim = ledger.claim(post_id, Platform.X, now=T0, run_id="r", manual=False)
    assert claim is not None
    ledger.finish(claim, Failed.permanent("X: video is 180 s; at most 140 s", "duration"), now=T0)
    assert ledger.claim(post_id, Platform.X, now=T0, run_id="tick", manual=False) is None
    rerun = ledger.claim(post_id, Platform.X, now=T0, run_id="ops", manual=True)
    assert rerun is not None and rerun.manual
    ledger.finish(rerun, Published(remote_id="9"), now=T0)
    assert _post_row(sessions, post_id).status is PostStatus.POSTED
    with sessions() as session:
        manual_flags = [a.manual for a in session.scalars(select(PublishAttempt).order_by(PublishAttempt.id))]
    assert manual_flags == [False, True]


def test_a_manual_rerun_that_dies_is_left_for_the_schedule_to_reconcile(
    ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    post_id = _post(sessions, ["x"])
    claim = ledger.claim(post_id, Platform.X, now=T0, run_id="r", manual=False)
    assert claim is not None
    ledger.finish(claim, Failed.permanent("X: video is 180 s; at most 140 s", "duration"), now=T0)
    assert _post_row(sessions, post_id).status is PostStatus.FAILED
    assert ledger.claim(post_id, Platform.X, now=T0, run_id="ops", manual=True) is not None  # then the run dies
    with sessions() as session:
        assert windows_with_work(session, now=T0 + timedelta(minutes=30)).windows == [T0]


def test_missing_scope_fails_at_once_and_marks_the_connection(ledger: Ledger, sessions: sessionmaker[Session]) -> None:
    post_id = _post(sessions, ["x"])
    claim = ledger.claim(post_id, Platform.X, now=T0, run_id="r", manual=False)
    assert claim is not None
    failure = Failed(
        error=ErrorInfo(message="Forbidden", code="403", http_status=403),
        retryable=False,
        needs_reconnect=True,
        reconnect_scope="tweet.write",
    )
    entry = ledger.finish(claim, failure, now=T0)
    assert entry.state is PlatformState.FAILED
    assert entry.last_error and entry.last_error["message"].startswith("Reconnect X and grant tweet.write")
    with sessions() as session:
        connection = session.scalars(select(SocialConnection)).one()
        assert connection.status is ConnectionStatus.NEEDS_RECONNECT
        assert connection.status_reason and "grant tweet.write" in connection.status_reason


def test_drafts_and_deleted_posts_are_never_claimed(ledger: Ledger, sessions: sessionmaker[Session]) -> None:
    draft_id = _post(sessions, ["x"], status="draft")
    assert ledger.claim(draft_id, Platform.X, now=T0, run_id="r", manual=True) is None
    deleted_id = _post(sessions, ["x"])
    with sessions.begin() as session:
        post = session.get(ContentPost, deleted_id)
        assert post is not None
        post.deleted_at = T0
    assert ledger.claim(deleted_id, Platform.X, now=T0, run_id="r", manual=True) is None
