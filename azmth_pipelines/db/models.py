"""The shared database: our contract with the artist web app (which writes posts, releases and
connections) and with analysts (who read metrics and roll-ups with SQL).

Every table and column carries a `comment`; `docs/schema.md` is generated from them
(`azmth db schema-doc`), and PostgreSQL keeps them as COMMENT ON, so `\\d+` in psql shows the same text.
Changing this file needs an Alembic migration; a test fails when the two disagree.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from azmth_pipelines.db.types import JSONDocument, UTCDateTime, utcnow
from azmth_pipelines.vocabulary import (
    AccountPostKind,
    AttemptStage,
    ConnectionStatus,
    DistributorStatus,
    MediaKind,
    MetricSource,
    Platform,
    PostStatus,
)

# Deterministic constraint names, so migrations can name what they alter on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(enum_cls: type, name: str) -> Enum:
    # Stored as VARCHAR with a CHECK constraint rather than a native PostgreSQL enum: the web app and
    # analysts see plain strings, and adding a value is a constraint change, not an ALTER TYPE.
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDocument,
        list[Any]: JSONDocument,
        list[str]: JSONDocument,
    }


def _created_at() -> Mapped[datetime]:
    return mapped_column(default=utcnow, comment="When the row was created (UTC).")


def _updated_at() -> Mapped[datetime]:
    return mapped_column(default=utcnow, onupdate=utcnow, comment="When the row last changed (UTC).")


class Artist(Base):
    __tablename__ = "artist"
    __table_args__ = {"comment": "A music artist using AZMTH. Owns posts, releases and connections."}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), comment="Display name.")
    timezone: Mapped[str] = mapped_column(
        String(64),
        comment="IANA timezone (e.g. Europe/Berlin). Times are stored in UTC; this is for display and for "
        "reading times the artist types without an offset.",
    )
    created_at: Mapped[datetime] = _created_at()


class SocialConnection(Base):
    __tablename__ = "social_connection"
    __table_args__ = (
        UniqueConstraint("artist_id", "platform"),
        {"comment": "An artist's OAuth connection to one platform account. Tokens are encrypted at rest."},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), index=True)
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"), comment="tiktok, instagram, threads or x.")
    external_account_id: Mapped[str] = mapped_column(
        String(128),
        comment="The platform's id of the account: TikTok open_id, Instagram IG user id, Threads user id, X user id.",
    )
    username: Mapped[str | None] = mapped_column(String(200), comment="The account's handle on the platform.")
    access_token_ciphertext: Mapped[str | None] = mapped_column(
        Text, comment="Access token, Fernet-encrypted with AZMTH_SECRET_KEY. Never stored in clear."
    )
    refresh_token_ciphertext: Mapped[str | None] = mapped_column(
        Text, comment="Refresh token (or long-lived token to refresh), Fernet-encrypted."
    )
    access_token_expires_at: Mapped[datetime | None] = mapped_column(comment="When the access token expires (UTC).")
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(
        comment="When the refresh token expires (UTC), where the platform says."
    )
    granted_scopes: Mapped[list[str]] = mapped_column(
        default=list, comment="Scopes the user actually granted (may be fewer than asked), as a JSON list."
    )
    x_access_tier: Mapped[str | None] = mapped_column(
        String(32),
        comment="X only: the API access tier detected from the API's answers (e.g. free, basic, pro); "
        "NULL until detected.",
    )
    status: Mapped[ConnectionStatus] = mapped_column(
        _enum(ConnectionStatus, "connection_status"),
        default=ConnectionStatus.CONNECTED,
        comment="connected, or needs_reconnect when a token is expired/revoked or a scope is missing.",
    )
    status_reason: Mapped[str | None] = mapped_column(
        Text, comment="Why the connection needs a reconnect, in words for the artist."
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class MediaAsset(Base):
    __tablename__ = "media_asset"
    __table_args__ = (
        UniqueConstraint("artist_id", "sha256"),
        {"comment": "An image or video an artist uploaded, stored content-addressed by its sha256."},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MediaKind] = mapped_column(_enum(MediaKind, "media_kind"), comment="image or video.")
    original_filename: Mapped[str | None] = mapped_column(String(255), comment="The file name as uploaded.")
    stored_path: Mapped[str] = mapped_column(Text, comment="Path of the stored file, relative to AZMTH_MEDIA_DIR.")
    sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the file's bytes (hex).")
    container: Mapped[str | None] = mapped_column(String(32), comment="File format: jpeg, png, webp, mp4, mov, ...")
    width: Mapped[int | None] = mapped_column(comment="Pixels.")
    height: Mapped[int | None] = mapped_column(comment="Pixels.")
    duration_s: Mapped[float | None] = mapped_column(comment="Video duration in seconds.")
    fps: Mapped[float | None] = mapped_column(comment="Video average frame rate.")
    video_codec: Mapped[str | None] = mapped_column(String(32), comment="e.g. h264, hevc, vp9.")
    audio_codec: Mapped[str | None] = mapped_column(String(32), comment="e.g. aac; NULL without audio.")
    has_audio: Mapped[bool] = mapped_column(default=False, comment="Whether the video has an audio track.")
    bytes: Mapped[int] = mapped_column(BigInteger, comment="File size.")
    created_at: Mapped[datetime] = _created_at()


class Release(Base):
    __tablename__ = "release"
    __table_args__ = ({"comment": "A release campaign: one drop identified by its ISRC (track) and/or UPC (product)."},)

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    isrc: Mapped[str | None] = mapped_column(
        String(12), index=True, comment="ISRC normalised to 12 characters, no hyphens (CCXXXYYNNNNN)."
    )
    upc: Mapped[str | None] = mapped_column(String(13), comment="UPC-A (12 digits) or EAN-13, check digit verified.")
    release_date: Mapped[date | None] = mapped_column(Date, comment="Street date.")
    presave_url: Mapped[str | None] = mapped_column(Text, comment="The release's pre-save link.")
    distributor_status: Mapped[DistributorStatus] = mapped_column(
        _enum(DistributorStatus, "distributor_status"),
        default=DistributorStatus.NOT_SUBMITTED,
        comment="not_submitted, submitted, in_review, live, rejected or taken_down.",
    )
    distributor_status_at: Mapped[datetime | None] = mapped_column(comment="When the distributor status last changed.")
    distributor_status_reason: Mapped[str | None] = mapped_column(Text, comment="Why (e.g. the rejection reason).")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

    checklist: Mapped[list["ReleaseChecklistItem"]] = relationship(
        order_by="ReleaseChecklistItem.position", cascade="all, delete-orphan"
    )
    marketing_plan: Mapped[list["ReleaseMarketingSection"]] = relationship(
        order_by="ReleaseMarketingSection.position", cascade="all, delete-orphan"
    )
    ad_campaigns: Mapped[list["ReleaseAdCampaign"]] = relationship(
        order_by="ReleaseAdCampaign.id", cascade="all, delete-orphan"
    )


class ReleaseChecklistItem(Base):
    __tablename__ = "release_checklist_item"
    __table_args__ = {"comment": "One to-do on a release's checklist."}

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(comment="Order on the checklist, from 0.")
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column()


class ReleaseMarketingSection(Base):
    __tablename__ = "release_marketing_section"
    __table_args__ = {"comment": "A section of a release's marketing plan (free text)."}

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(comment="Order in the plan, from 0.")
    heading: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")


class ReleaseAdCampaign(Base):
    __tablename__ = "release_ad_campaign"
    __table_args__ = {"comment": "A paid ad campaign run for a release."}

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32), comment="Where the ads run (any ad network, not only ours).")
    name: Mapped[str] = mapped_column(String(300))
    budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD", comment="ISO 4217.")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32), default="planned", comment="planned, running, paused, ended.")
    spend: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    results: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment='Reported results, e.g. {"impressions": 1200, "clicks": 40}.'
    )


class ContentPost(Base):
    __tablename__ = "content_post"
    __table_args__ = (
        Index("ix_content_post_due", "status", "scheduled_for"),
        # The schedule's read of posted posts that may still have retries: those whose row changed lately.
        Index("ix_content_post_recent", "status", "updated_at"),
        {
            "comment": "A post an artist writes once and schedules to several platforms. The publish job "
            "reads scheduled posts whose scheduled_for falls in its 15-minute window."
        },
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text, default="", comment="The caption used wherever no override is set.")
    platforms: Mapped[list[str]] = mapped_column(comment="Target platforms, a JSON list of tiktok/instagram/threads/x.")
    caption_overrides: Mapped[dict[str, Any]] = mapped_column(
        default=dict,
        comment="Per-platform caption overrides, {platform: text}; the body falls through where none.",
    )
    platform_options: Mapped[dict[str, Any]] = mapped_column(
        default=dict,
        comment='Per-platform options, e.g. {"tiktok": {"mode": "inbox"}, "instagram": {"path": "A", '
        '"placement": "reels"}}.',
    )
    scheduled_for: Mapped[datetime | None] = mapped_column(comment="When to publish (UTC). NULL for an undated draft.")
    status: Mapped[PostStatus] = mapped_column(
        _enum(PostStatus, "post_status"),
        default=PostStatus.DRAFT,
        comment="draft, scheduled, posted (at least one platform published) or failed (none did).",
    )
    per_platform: Mapped[dict[str, Any]] = mapped_column(
        default=dict,
        comment="Per platform: state, attempts, remote id and permalink, last error in the platform's words, times.",
    )
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("release.id", ondelete="SET NULL"),
        index=True,
        comment="The release this post promotes, if any.",
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(
        comment="Set by a soft delete; restorable for 30 days, then purged. Deleted posts are never published."
    )

    media: Mapped[list["ContentPostMedia"]] = relationship(
        order_by="ContentPostMedia.position", cascade="all, delete-orphan"
    )


class ContentPostMedia(Base):
    __tablename__ = "content_post_media"
    __table_args__ = (
        UniqueConstraint("post_id", "position"),
        {"comment": "The media attached to a post, in order, with an optional crop per platform."},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("content_post.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(comment="Order in the post, from 0.")
    media_asset_id: Mapped[int] = mapped_column(ForeignKey("media_asset.id", ondelete="RESTRICT"), index=True)
    crops: Mapped[dict[str, Any]] = mapped_column(
        default=dict,
        comment='Per-platform crop of an image, {platform: {"aspect": "4:5", "focus": [x, y]} or '
        '{"box": [x, y, w, h]}}; publishing uses the platform\'s crop.',
    )

    asset: Mapped[MediaAsset] = relationship()


class PublishAttempt(Base):
    __tablename__ = "publish_attempt"
    __table_args__ = (
        UniqueConstraint("post_id", "platform", "attempt_number"),
        {"comment": "Append-only log of every try to publish a post to one platform."},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("content_post.id", ondelete="CASCADE"), index=True)
    platform: Mapped[Platform] = mapped_column(
        _enum(Platform, "platform"), comment="tiktok, instagram, threads or x: the platform tried."
    )
    attempt_number: Mapped[int] = mapped_column(comment="1 for the first try; retries count up.")
    started_at: Mapped[datetime] = mapped_column(default=utcnow, comment="When the run claimed the attempt (UTC).")
    finished_at: Mapped[datetime | None] = mapped_column(comment="NULL while in flight (or if the run died).")
    outcome: Mapped[str | None] = mapped_column(
        String(32),
        comment="published, sent_to_inbox, handed_off, transient_error, permanent_error, unconfirmed; "
        "NULL while in flight.",
    )
    error_code: Mapped[str | None] = mapped_column(String(64), comment="The platform's error code (and subcode).")
    error_message: Mapped[str | None] = mapped_column(Text, comment="The platform's error message.")
    remote_ids: Mapped[dict[str, Any]] = mapped_column(
        default=dict,
        comment="Ids the platform gave before and after publishing (container_id, publish_id, media_id, "
        "post_id), "
        "recorded before the final publish call so a retry can reconcile instead of reposting.",
    )
    stage: Mapped[str] = mapped_column(
        String(32),
        default=AttemptStage.CLAIMED,
        comment="How far the attempt got: claimed, prepared (media checked, uploads done), publish_requested "
        "(committed just before the call that makes the post public), finished. A run that dies leaves the "
        "stage behind, so the next run knows whether the platform may already have published.",
    )
    lease_expires_at: Mapped[datetime | None] = mapped_column(
        comment="Until when the run working the attempt owns it; after that another run reconciles it. Every "
        "checkpoint renews it, and a run that finds a lease it did not write there lost the attempt."
    )
    dagster_run_id: Mapped[str | None] = mapped_column(String(64), comment="The Dagster run that made the attempt.")
    manual: Mapped[bool] = mapped_column(default=False, comment="True for an ops re-run beyond the retry schedule.")


class SocialPostMetrics(Base):
    __tablename__ = "social_post_metrics"
    __table_args__ = (
        UniqueConstraint("post_id", "platform", "captured_at", "source"),
        Index("ix_social_post_metrics_latest", "post_id", "platform", "captured_at"),
        # The incremental roll-up's read of the snapshots from a day on (release_rollup_mark).
        Index("ix_social_post_metrics_captured_at", "captured_at"),
        CheckConstraint(
            "coalesce(views, 0) >= 0 AND coalesce(likes, 0) >= 0 AND coalesce(comments, 0) >= 0 "
            "AND coalesce(shares, 0) >= 0 AND coalesce(saves, 0) >= 0",
            name="counts_not_negative",
        ),
        {
            "comment": "One engagement snapshot of one published post on one platform. Counts are NULL where "
            "the platform offers no such number (never 0 for 'unknown')."
        },
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("content_post.id", ondelete="CASCADE"))
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"))
    remote_post_id: Mapped[str] = mapped_column(String(128), comment="The platform's id of the published post.")
    captured_at: Mapped[datetime] = mapped_column(comment="When the numbers were read (UTC).")
    source: Mapped[MetricSource] = mapped_column(
        _enum(MetricSource, "metric_source"), comment="on_publish (+60 s), day1 (+24 h), nightly or manual."
    )
    partition_date: Mapped[date | None] = mapped_column(
        Date,
        index=True,
        comment="The nightly partition (UTC day) that wrote the row; NULL for other sources.",
    )
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict, comment="The platform's answer, as read.")


class AccountMetricsSnapshot(Base):
    __tablename__ = "account_metrics_snapshot"
    __table_args__ = (
        UniqueConstraint("connection_id", "captured_at"),
        {"comment": "Daily account-level numbers for one connection."},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("social_connection.id", ondelete="CASCADE"), index=True)
    captured_at: Mapped[datetime] = mapped_column()
    partition_date: Mapped[date | None] = mapped_column(Date, index=True, comment="The daily partition (UTC).")
    followers: Mapped[int | None] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    post_count: Mapped[int | None] = mapped_column(BigInteger, comment="Posts, videos or tweets on the account.")
    total_likes: Mapped[int | None] = mapped_column(BigInteger, comment="Likes across the account, where offered.")
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AccountPostMetrics(Base):
    __tablename__ = "account_post_metrics"
    __table_args__ = (
        # Named: the convention's name (partition_date, connection_id, remote_post_id) passes PostgreSQL's 63 bytes.
        UniqueConstraint("partition_date", "connection_id", "remote_post_id", name="uq_account_post_metrics_day"),
        # Each account post's days in order: the latest row of a post, and day-over-day gains.
        Index("ix_account_post_metrics_post_days", "connection_id", "remote_post_id", "partition_date"),
        CheckConstraint(
            "coalesce(views, 0) >= 0 AND coalesce(likes, 0) >= 0 AND coalesce(comments, 0) >= 0 "
            "AND coalesce(shares, 0) >= 0 AND coalesce(saves, 0) >= 0",
            name="counts_not_negative",
        ),
        {
            "comment": "One row per post of a connected account per UTC day: every post the account has on the "
            "platform, AZMTH's or not, with its engagement that day. Counts are NULL where the platform offers "
            "no such number or did not report it (never 0 for 'unknown'), as in social_post_metrics."
        },
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    partition_date: Mapped[date] = mapped_column(Date, comment="The daily partition (UTC day) the row belongs to.")
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("social_connection.id", ondelete="CASCADE"), comment="social_connection.id: the account."
    )
    platform: Mapped[Platform] = mapped_column(
        _enum(Platform, "platform"), comment="tiktok, instagram, threads or x (the connection's platform)."
    )
    remote_post_id: Mapped[str] = mapped_column(String(128), comment="The platform's id of the post.")
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_post.id", ondelete="SET NULL"),
        index=True,
        comment="content_post.id when AZMTH published this post (matched by the platform's id); NULL for a post "
        "made outside AZMTH.",
    )
    posted_at: Mapped[datetime | None] = mapped_column(comment="When the post was created on the platform (UTC).")
    permalink: Mapped[str | None] = mapped_column(Text, comment="The post's public address on the platform.")
    media_kind: Mapped[AccountPostKind | None] = mapped_column(
        _enum(AccountPostKind, "account_post_kind"),
        comment="video, image, carousel, text or other; the platform's own type is in raw.",
    )
    captured_at: Mapped[datetime] = mapped_column(comment="When the numbers were read (UTC).")
    views: Mapped[int | None] = mapped_column(BigInteger, comment="Views; NULL where not offered (docs/analysts.md).")
    likes: Mapped[int | None] = mapped_column(BigInteger, comment="Likes; NULL where not offered.")
    comments: Mapped[int | None] = mapped_column(BigInteger, comment="Comments or replies; NULL where not offered.")
    shares: Mapped[int | None] = mapped_column(
        BigInteger, comment="Shares, reposts and quotes; NULL where not offered."
    )
    saves: Mapped[int | None] = mapped_column(BigInteger, comment="Saves or bookmarks; NULL where not offered.")
    raw: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="The platform's numbers and type as read, or why the numbers are missing."
    )


class StaffError(Base):
    __tablename__ = "staff_error"
    __table_args__ = (
        Index("ix_staff_error_when", "occurred_at"),
        {
            "comment": "Every platform error in full, for staff, and every post row the publisher could not read. "
            "Secrets are redacted before the row is written."
        },
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    platform: Mapped[Platform | None] = mapped_column(
        _enum(Platform, "platform"),
        comment="The platform that answered; NULL for a post row the publisher could not read (invalid_post_row).",
    )
    post_id: Mapped[int | None] = mapped_column(ForeignKey("content_post.id", ondelete="SET NULL"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("publish_attempt.id", ondelete="SET NULL"))
    http_status: Mapped[int | None] = mapped_column()
    error_code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="The platform's full error payload, redacted."
    )


class MetricsRefreshRequest(Base):
    __tablename__ = "metrics_refresh_request"
    __table_args__ = (
        Index("ix_metrics_refresh_request_pending", "handled_at", "requested_at"),
        {"comment": "The web app's 'Refresh metrics' button: a row here is served within a minute."},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("content_post.id", ondelete="CASCADE"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(comment="Set when the pull ran; NULL while pending.")


class PresaveEvent(Base):
    __tablename__ = "presave_event"
    __table_args__ = (
        UniqueConstraint("release_id", "event_key"),
        Index("ix_presave_event_release_when", "release_id", "occurred_at"),
        CheckConstraint("kind IN ('presave', 'click')", name="kind_known"),
        {
            "comment": "One pre-save (or click on the pre-save link) for a release, from the pre-save service's "
            "export or its webhook. Attributed to the post whose tracked link (?src=p<post>-<platform>) was used."
        },
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_post.id", ondelete="SET NULL"),
        index=True,
        comment="The source post, from the link's src parameter; NULL when unattributed.",
    )
    platform: Mapped[Platform | None] = mapped_column(
        _enum(Platform, "platform"), comment="Where the source post ran; NULL when unattributed."
    )
    occurred_at: Mapped[datetime] = mapped_column(comment="When the fan pre-saved or clicked (UTC).")
    kind: Mapped[str] = mapped_column(String(16), comment="presave or click.")
    src: Mapped[str | None] = mapped_column(
        String(128), comment="The link's src parameter as received (e.g. p123-instagram), kept even when unknown."
    )
    event_key: Mapped[str] = mapped_column(
        String(128),
        comment="The service's event id, or a digest of the row when it has none: importing the same export "
        "twice adds nothing.",
    )
    created_at: Mapped[datetime] = _created_at()


class ReleaseStreamDaily(Base):
    __tablename__ = "release_stream_daily"
    __table_args__ = (
        UniqueConstraint("isrc", "day", "store", "country"),
        CheckConstraint("streams >= 0", name="streams_not_negative"),
        # The incremental roll-up's read of the streams imported since a release's mark (release_rollup_mark).
        Index("ix_release_stream_daily_imported_at", "imported_at"),
        {
            "comment": "Daily streams of one recording (ISRC) per store and country, from the distributor's "
            "reports. Re-importing a report updates numbers in place (natural key isrc, day, store, country)."
        },
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    isrc: Mapped[str] = mapped_column(String(12), comment="ISRC, 12 characters, no hyphens.")
    day: Mapped[date] = mapped_column(Date, comment="The day the streams happened, as the distributor reports it.")
    store: Mapped[str] = mapped_column(String(64), comment="The DSP as the distributor names it (e.g. Spotify).")
    country: Mapped[str] = mapped_column(
        String(2), comment="ISO 3166-1 alpha-2, upper case; ZZ where the distributor gives none."
    )
    streams: Mapped[int] = mapped_column(BigInteger)
    imported_at: Mapped[datetime] = mapped_column(
        default=utcnow, comment="When the number was last written (a re-import of the same number keeps it)."
    )


class ReleaseCampaignRollup(Base):
    __tablename__ = "release_campaign_rollup"
    __table_args__ = {
        "comment": "A release campaign's numbers per platform and overall (platform 'all'): campaign totals "
        "(day NULL) and a daily series of engagement, pre-saves and streams side by side. Rebuilt per release "
        "by the release_rollup asset; docs/releases.md explains every column."
    }

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"), index=True)
    day: Mapped[date | None] = mapped_column(Date, comment="UTC day of the daily series; NULL on the totals rows.")
    platform: Mapped[str] = mapped_column(String(16), comment="tiktok, instagram, threads, x, or all.")
    post_platforms: Mapped[int] = mapped_column(
        comment="(post, platform) pairs with numbers in this row: a post on X and TikTok counts twice in 'all'."
    )
    views: Mapped[int | None] = mapped_column(BigInteger, comment="Totals: sum of latest snapshots; daily: gain.")
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    engagements: Mapped[int | None] = mapped_column(BigInteger, comment="likes + comments + shares + saves.")
    presaves: Mapped[int] = mapped_column(BigInteger, comment="Pre-save events (by the link's platform).")
    clicks: Mapped[int] = mapped_column(BigInteger, comment="Clicks on the pre-save link.")
    streams: Mapped[int | None] = mapped_column(
        BigInteger, comment="Distributor-reported streams of the release's ISRC; only on platform 'all'."
    )
    computed_at: Mapped[datetime] = mapped_column(comment="When the roll-up ran.")


class ReleasePostContribution(Base):
    __tablename__ = "release_post_contribution"
    __table_args__ = (
        UniqueConstraint("release_id", "post_id", "platform"),
        {
            "comment": "What each tagged post brought to its release, per platform: its latest snapshot and the "
            "pre-saves its tracked link drove. Rebuilt with release_campaign_rollup."
        },
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("content_post.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16), comment="tiktok, instagram, threads or x.")
    remote_post_id: Mapped[str | None] = mapped_column(String(128), comment="The platform's id of the post.")
    captured_at: Mapped[datetime | None] = mapped_column(comment="When the latest snapshot was read.")
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    engagements: Mapped[int | None] = mapped_column(BigInteger, comment="likes + comments + shares + saves.")
    engagement_share: Mapped[float | None] = mapped_column(
        comment="This row's engagements / the release's engagements on all platforms (0..1)."
    )
    presaves: Mapped[int] = mapped_column(BigInteger, comment="Pre-saves through this post's tracked link.")
    clicks: Mapped[int] = mapped_column(BigInteger, comment="Clicks on this post's tracked link.")
    computed_at: Mapped[datetime] = mapped_column(comment="When the roll-up ran.")


class ReleaseRollupMark(Base):
    __tablename__ = "release_rollup_mark"
    __table_args__ = {
        "comment": "What each release's last roll-up had seen (high-water marks of its inputs), written with its "
        "rows: the next roll-up recomputes only from the earliest day whose inputs changed since."
    }

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"),
        primary_key=True,
        comment="release.id: one row per rolled-up release.",
    )
    metrics_id: Mapped[int] = mapped_column(
        BigInteger, comment="The highest social_post_metrics.id when the roll-up ran: rows above it are new to it."
    )
    presave_id: Mapped[int] = mapped_column(
        BigInteger, comment="The highest presave_event.id when the roll-up ran: events above it are new to it."
    )
    streams_at: Mapped[datetime | None] = mapped_column(
        comment="The latest release_stream_daily.imported_at when the roll-up ran; NULL when there were none."
    )
    isrc: Mapped[str | None] = mapped_column(
        String(12),
        comment="The release's ISRC the roll-up counted streams of: a new ISRC recomputes its streams' days.",
    )
    recomputed_from: Mapped[date | None] = mapped_column(
        Date,
        comment="The first UTC day the last roll-up that wrote rows recomputed (earlier days were kept); "
        "NULL: every day.",
    )
    marked_at: Mapped[datetime] = mapped_column(comment="When the roll-up ran (UTC).")
