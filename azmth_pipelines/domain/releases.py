"""Release campaigns: one drop (ISRC/UPC) with its checklist, plan, ads, pre-save link and distributor status.

The content schedule is not stored twice: it is the posts tagged with the release, in time order.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from azmth_pipelines.db.models import (
    ContentPost,
    Release,
    ReleaseAdCampaign,
    ReleaseChecklistItem,
    ReleaseMarketingSection,
)
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain import validation
from azmth_pipelines.domain.artists import get_artist
from azmth_pipelines.domain.errors import NotFound, ValidationError
from azmth_pipelines.vocabulary import DistributorStatus

AD_CAMPAIGN_STATUSES = ("planned", "running", "paused", "ended")


@dataclass(frozen=True)
class ChecklistInput:
    title: str
    due_date: date | None = None
    done: bool = False


@dataclass(frozen=True)
class MarketingSectionInput:
    heading: str
    body: str = ""


@dataclass(frozen=True)
class AdCampaignInput:
    platform: str
    name: str
    budget: str | Decimal | None = None
    currency: str = "USD"
    starts_on: date | None = None
    ends_on: date | None = None
    status: str = "planned"


def create_release(
    session: Session,
    *,
    artist_id: int,
    title: str,
    isrc: str | None = None,
    upc: str | None = None,
    release_date: date | None = None,
    presave_url: str | None = None,
    distributor_status: str = DistributorStatus.NOT_SUBMITTED.value,
    checklist: Sequence[ChecklistInput] = (),
    marketing_plan: Sequence[MarketingSectionInput] = (),
    ad_campaigns: Sequence[AdCampaignInput] = (),
) -> Release:
    get_artist(session, artist_id)
    if not isrc and not upc:
        raise ValidationError("isrc", "a release is identified by an ISRC or a UPC; give at least one")
    release = Release(
        artist_id=artist_id,
        title=validation.non_empty("title", title, max_length=300),
        isrc=validation.isrc(isrc) if isrc else None,
        upc=validation.upc(upc) if upc else None,
        release_date=release_date,
        presave_url=_url("presave_url", presave_url),
        distributor_status=_distributor_status(distributor_status),
    )
    release.distributor_status_at = utcnow()
    for position, item in enumerate(checklist):
        release.checklist.append(
            ReleaseChecklistItem(
                position=position,
                title=validation.non_empty("checklist.title", item.title, max_length=300),
                due_date=item.due_date,
                done=item.done,
                done_at=utcnow() if item.done else None,
            )
        )
    for position, section in enumerate(marketing_plan):
        release.marketing_plan.append(
            ReleaseMarketingSection(
                position=position,
                heading=validation.non_empty("marketing_plan.heading", section.heading, max_length=300),
                body=section.body,
            )
        )
    for campaign in ad_campaigns:
        release.ad_campaigns.append(_ad_campaign(campaign))
    session.add(release)
    session.flush()
    return release


def update_release(
    session: Session,
    release_id: int,
    *,
    title: str | None = None,
    isrc: str | None = None,
    upc: str | None = None,
    release_date: date | None = None,
    presave_url: str | None = None,
    distributor_status: str | None = None,
    distributor_status_reason: str | None = None,
) -> Release:
    release = get_release(session, release_id)
    if title is not None:
        release.title = validation.non_empty("title", title, max_length=300)
    if isrc is not None:
        release.isrc = validation.isrc(isrc)
    if upc is not None:
        release.upc = validation.upc(upc)
    if release_date is not None:
        release.release_date = release_date
    if presave_url is not None:
        release.presave_url = _url("presave_url", presave_url)
    if distributor_status is not None:
        status = _distributor_status(distributor_status)
        if status != release.distributor_status:
            release.distributor_status = status
            release.distributor_status_at = utcnow()
        release.distributor_status_reason = distributor_status_reason
    session.flush()
    return release


def get_release(session: Session, release_id: int) -> Release:
    release = session.get(
        Release,
        release_id,
        options=[
            selectinload(Release.checklist),
            selectinload(Release.marketing_plan),
            selectinload(Release.ad_campaigns),
        ],
    )
    if release is None:
        raise NotFound("release", release_id)
    return release


def content_schedule(session: Session, release_id: int) -> list[ContentPost]:
    """The posts tagged with the release, in time order (undated drafts last); deleted posts are left out."""
    return list(
        session.scalars(
            select(ContentPost)
            .where(ContentPost.release_id == release_id, ContentPost.deleted_at.is_(None))
            .order_by(ContentPost.scheduled_for.is_(None), ContentPost.scheduled_for, ContentPost.id)
        )
    )


def release_view(session: Session, release: Release) -> dict[str, Any]:
    return {
        "id": release.id,
        "artist_id": release.artist_id,
        "title": release.title,
        "isrc": release.isrc,
        "upc": release.upc,
        "release_date": release.release_date.isoformat() if release.release_date else None,
        "presave_url": release.presave_url,
        "distributor_status": {
            "status": release.distributor_status.value,
            "since": release.distributor_status_at.isoformat() if release.distributor_status_at else None,
            "reason": release.distributor_status_reason,
        },
        # Items and ad campaigns are numbered from 1 in this order (set_checklist_done, update_ad_campaign).
        "checklist": [
            {"title": i.title, "due_date": i.due_date.isoformat() if i.due_date else None, "done": i.done}
            for i in release.checklist
        ],
        "marketing_plan": [{"heading": s.heading, "body": s.body} for s in release.marketing_plan],
        "ad_campaigns": [
            {
                "platform": c.platform,
                "name": c.name,
                "budget": str(c.budget) if c.budget is not None else None,
                "currency": c.currency,
                "starts_on": c.starts_on.isoformat() if c.starts_on else None,
                "ends_on": c.ends_on.isoformat() if c.ends_on else None,
                "status": c.status,
                "spend": str(c.spend) if c.spend is not None else None,
                "results": c.results,
            }
            for c in release.ad_campaigns
        ],
        "content_schedule": [
            {
                "post_id": p.id,
                "scheduled_for": p.scheduled_for.astimezone(UTC).isoformat() if p.scheduled_for else None,
                "status": p.status.value,
                "platforms": p.platforms,
            }
            for p in content_schedule(session, release.id)
        ],
    }


def _distributor_status(value: str) -> DistributorStatus:
    try:
        return DistributorStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in DistributorStatus)
        raise ValidationError("distributor_status", f"{value!r} is not one of {allowed}") from None


def _url(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(field, f"{value!r} is not an http(s) link")
    return value.strip()


def _amount(field: str, value: str | Decimal) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(field, f"{value!r} is not an amount") from None
    if amount < 0 or not amount.is_finite():
        raise ValidationError(field, "must be a positive amount")
    return amount


def _ad_campaign(campaign: AdCampaignInput) -> ReleaseAdCampaign:
    if campaign.status not in AD_CAMPAIGN_STATUSES:
        raise ValidationError(
            "ad_campaigns.status", f"{campaign.status!r} is not one of {', '.join(AD_CAMPAIGN_STATUSES)}"
        )
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        raise ValidationError("ad_campaigns.ends_on", "ends before it starts")
    budget = _amount("ad_campaigns.budget", campaign.budget) if campaign.budget is not None else None
    return ReleaseAdCampaign(
        platform=validation.non_empty("ad_campaigns.platform", campaign.platform, max_length=32),
        name=validation.non_empty("ad_campaigns.name", campaign.name, max_length=300),
        budget=budget,
        currency=campaign.currency.upper(),
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        status=campaign.status,
        results={},
    )


def add_checklist_items(session: Session, release_id: int, items: Sequence[ChecklistInput]) -> Release:
    """Append to-dos at the end of the checklist."""
    release = get_release(session, release_id)
    start = len(release.checklist)
    for offset, item in enumerate(items):
        release.checklist.append(
            ReleaseChecklistItem(
                position=start + offset,
                title=validation.non_empty("checklist.title", item.title, max_length=300),
                due_date=item.due_date,
                done=item.done,
                done_at=utcnow() if item.done else None,
            )
        )
    session.flush()
    return release


def set_checklist_done(session: Session, release_id: int, number: int, *, done: bool = True) -> Release:
    """Tick (or untick) the checklist's item `number`, counted from 1 as `azmth release show` lists them."""
    release = get_release(session, release_id)
    if not 1 <= number <= len(release.checklist):
        raise ValidationError(
            "checklist", f"release {release_id} has no item {number} (it has {len(release.checklist)})"
        )
    item = release.checklist[number - 1]
    if item.done != done:
        item.done = done
        item.done_at = utcnow() if done else None
    session.flush()
    return release


def set_marketing_section(session: Session, release_id: int, section: MarketingSectionInput) -> Release:
    """Replace the text of the plan's section with this heading, or add the section at the end."""
    release = get_release(session, release_id)
    heading = validation.non_empty("marketing_plan.heading", section.heading, max_length=300)
    for existing in release.marketing_plan:
        if existing.heading.casefold() == heading.casefold():
            existing.body = section.body
            break
    else:
        release.marketing_plan.append(
            ReleaseMarketingSection(position=len(release.marketing_plan), heading=heading, body=section.body)
        )
    session.flush()
    return release


def add_ad_campaign(session: Session, release_id: int, campaign: AdCampaignInput) -> Release:
    release = get_release(session, release_id)
    release.ad_campaigns.append(_ad_campaign(campaign))
    session.flush()
    return release


def update_ad_campaign(
    session: Session,
    release_id: int,
    number: int,
    *,
    status: str | None = None,
    spend: str | Decimal | None = None,
    results: dict[str, Any] | None = None,
) -> Release:
    """Report on ad campaign `number` (from 1, as listed): its status, what was spent so far, and results
    merged into those already reported (e.g. {"impressions": 1200, "clicks": 40})."""
    release = get_release(session, release_id)
    if not 1 <= number <= len(release.ad_campaigns):
        raise ValidationError(
            "ad_campaigns", f"release {release_id} has no ad campaign {number} (it has {len(release.ad_campaigns)})"
        )
    campaign = release.ad_campaigns[number - 1]
    if status is not None:
        if status not in AD_CAMPAIGN_STATUSES:
            raise ValidationError("ad_campaigns.status", f"{status!r} is not one of {', '.join(AD_CAMPAIGN_STATUSES)}")
        campaign.status = status
    if spend is not None:
        campaign.spend = _amount("ad_campaigns.spend", spend)
    if results:
        campaign.results = {**campaign.results, **results}
    session.flush()
    return release


def tag_posts(session: Session, release_id: int | None, post_ids: Sequence[int]) -> list[ContentPost]:
    """Tag posts with a release (None: untag). Unlike other edits this is allowed on published posts: the
    tag is ours, not the platform's, and moving a post moves its numbers to the new release's roll-up."""
    release = get_release(session, release_id) if release_id is not None else None
    posts = []
    for post_id in post_ids:
        post = session.get(ContentPost, post_id)
        if post is None or post.deleted_at is not None:
            raise NotFound("post", post_id)
        if release is not None and post.artist_id != release.artist_id:
            raise ValidationError("release_id", f"release {release.id} belongs to another artist than post {post_id}")
        post.release_id = release_id
        posts.append(post)
    session.flush()
    return posts
