"""`azmth post`: write, read and list posts."""

from pathlib import Path
from typing import Any

import typer

from azmth_pipelines.cli.output import JsonFlag, emit, fail, one_line_errors, parse_pairs
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain import validation
from azmth_pipelines.domain.artists import get_artist
from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.domain.lifecycle import delete_posts, restore_posts
from azmth_pipelines.domain.post_report import COUNTS, list_rows, post_report
from azmth_pipelines.domain.posts import MediaInput, create_post, get_post, list_posts, post_view
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.probe import probe_file
from azmth_pipelines.per_platform import SUCCESS_STATES, state_of
from azmth_pipelines.vocabulary import PostStatus

post_app = typer.Typer(help="Posts: write once, publish to several platforms.", no_args_is_help=True)


def _options(values: list[str]) -> dict[str, dict[str, Any]]:
    """--option tiktok.mode=inbox --option instagram.share_to_feed=false into nested options."""
    options: dict[str, dict[str, Any]] = {}
    for key, raw in parse_pairs("--option", values).items():
        platform, dot, name = key.partition(".")
        if not dot or not name:
            fail(f"--option takes PLATFORM.NAME=VALUE, got {key!r}")
        value: Any = {"true": True, "false": False}.get(raw.lower(), raw)
        options.setdefault(platform, {})[name] = value
    return options


def _crops(values: list[str]) -> dict[str, dict[str, Any]]:
    """--crop instagram=4:5 or --crop instagram=4:5@0.5,0.3 (aspect and focal point)."""
    crops: dict[str, dict[str, Any]] = {}
    for platform, spec in parse_pairs("--crop", values).items():
        aspect, _, focus = spec.partition("@")
        crop: dict[str, Any] = {"aspect": aspect}
        if focus:
            try:
                crop["focus"] = [float(n) for n in focus.split(",")]
            except ValueError:
                fail(f"--crop focus takes x,y between 0 and 1, got {focus!r}")
        crops[platform] = crop
    return crops


def _media(paths: list[Path], crops: dict[str, dict[str, Any]]) -> list[MediaInput]:
    """Each file, with the --crop specs on the pictures (a video is not cropped)."""
    if not crops:
        return [MediaInput(path=path) for path in paths]
    items = [MediaInput(path=path, crops=crops if _is_picture(path) else {}) for path in paths]
    if not any(item.crops for item in items):
        raise ValidationError(
            "crops", "--crop crops pictures and the post has none - add one with --media or drop --crop"
        )
    return items


def _is_picture(path: Path) -> bool:
    try:
        return probe_file(path).kind == "image"
    except MediaError:
        return True  # storing the file reports what is wrong with it


def _render_post(view: dict[str, Any]) -> str:
    lines = [
        f"post {view['id']} [{view['status']}] scheduled for {view['scheduled_for'] or '-'}",
        f"  platforms: {', '.join(view['platforms'])}",
    ]
    if view["release_id"]:
        lines.append(f"  release: {view['release_id']}")
    for platform, caption in view["captions"].items():
        lines.append(f"  {platform} caption: {caption!r}")
    for media in view["media"]:
        lines.append(f"  media {media['position']}: {media['kind']} {media['width']}x{media['height']}")
    for platform, result in view["per_platform"].items():
        lines.append(f"  {platform}: {state_of(result).value}")
    return "\n".join(lines)


@post_app.command("create")
def create(
    artist: int = typer.Option(..., "--artist", help="Artist id."),
    platform: list[str] = typer.Option(..., "--platform", "-p", help="tiktok, instagram, threads or x (repeat)."),
    body: str = typer.Option("", "--body", help="The caption used where no override is set."),
    caption: list[str] = typer.Option([], "--caption", help="PLATFORM=TEXT caption override (repeat)."),
    media: list[Path] = typer.Option([], "--media", help="Image or video file (repeat, in order)."),
    crop: list[str] = typer.Option(
        [],
        "--crop",
        help="PLATFORM=ASPECT or PLATFORM=ASPECT@X,Y (the point kept centred) crop for the images (repeat).",
    ),
    at: str | None = typer.Option(None, "--at", help="ISO 8601 time; without an offset, the artist's timezone."),
    draft: bool = typer.Option(False, "--draft", help="Save as a draft instead of scheduling it."),
    release: int | None = typer.Option(None, "--release", help="Release id to tag the post with."),
    option: list[str] = typer.Option([], "--option", help="PLATFORM.NAME=VALUE, e.g. tiktok.mode=inbox."),
    as_json: bool = JsonFlag,
) -> None:
    """Create a post (scheduled unless --draft) and print it."""
    with one_line_errors(), session_scope() as session:
        timezone = get_artist(session, artist).timezone
        post = create_post(
            session,
            artist_id=artist,
            platforms=platform,
            body=body,
            caption_overrides=parse_pairs("--caption", caption),
            platform_options=_options(option),
            media=_media(media, _crops(crop)),
            scheduled_for=validation.parse_local_time("scheduled_for", at, timezone) if at else None,
            status=PostStatus.DRAFT if draft else PostStatus.SCHEDULED,
            release_id=release,
        )
        view = post_view(post)
        due_now = (
            post.scheduled_for is not None and post.status is PostStatus.SCHEDULED and post.scheduled_for <= utcnow()
        )
    if due_now:
        # A time already past is no mistake (an artist posting "now"): say when it goes out instead.
        typer.echo("due now: publishes on the next tick", err=True)
    emit(view, as_json, _render_post)


def _render_report(report: dict[str, Any]) -> str:
    lines = [
        f"post {report['id']} [{report['status']}] scheduled for {report['scheduled_for'] or '-'}"
        + (f" (deleted {report['deleted_at']})" if report["deleted_at"] else "")
    ]
    if report["release_id"]:
        lines.append(f"  release {report['release_id']}")
    for platform, entry in report["per_platform"].items():
        lines.append(f"  {platform}: {entry['state']}" + (f"  {entry['permalink']}" if entry["permalink"] else ""))
        lines.append(f"    caption: {entry['caption']!r}")
        for media in entry["media"]:
            crop = media["crop"] or "no crop"
            lines.append(f"    media {media['media_asset_id']} ({media['kind']}): {crop}")
        if entry["remote_id"]:
            lines.append(f"    remote id: {entry['remote_id']}")
        for attempt in entry["attempts"]:
            note = f" - {attempt['error']}" if attempt["error"] else ""
            manual = " (manual)" if attempt["manual"] else ""
            lines.append(f"    attempt {attempt['number']}{manual}: {attempt['outcome'] or 'in flight'}{note}")
        if entry["last_error"] and entry["state"] not in SUCCESS_STATES:
            error = entry["last_error"]
            lines.append(f"    last error: {error.get('user_message') or error.get('message')}")
        if entry["next_retry_at"]:
            lines.append(f"    next retry at {entry['next_retry_at']}")
        engagement = entry["engagement"]
        if engagement is None:
            lines.append("    metrics: none yet")
        else:
            counts = ", ".join(f"{k} {engagement[k]}" for k in COUNTS if engagement[k] is not None)
            change = engagement["change_since_previous"]
            delta = ""
            if change:
                delta = " (" + ", ".join(f"{k} {v:+d}" for k, v in change.items() if v) + " since previous pull)"
            lines.append(f"    metrics {engagement['age']} old: {counts or 'none offered'}{delta}")
    return "\n".join(lines)


@post_app.command("show")
def show(post_id: int = typer.Argument(..., help="Post id."), as_json: bool = JsonFlag) -> None:
    """Everything about a post per platform: state, caption, media, link, attempts, errors, engagement, freshness."""
    with one_line_errors(), session_scope() as session:
        report = post_report(session, get_post(session, post_id), now=utcnow())
    emit(report, as_json, _render_report)


@post_app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status", help="draft, scheduled, posted or failed."),
    platform: str | None = typer.Option(None, "--platform", help="Only posts to this platform."),
    release: int | None = typer.Option(None, "--release", help="Only posts tagged with this release."),
    artist: int | None = typer.Option(None, "--artist", help="Only this artist's posts."),
    deleted: bool = typer.Option(False, "--deleted", help="List soft-deleted posts instead."),
    as_json: bool = JsonFlag,
) -> None:
    """List posts in schedule order with each platform's state and latest engagement."""
    if status is not None and status not in {s.value for s in PostStatus}:
        fail(f"--status: {status!r} is not one of draft, scheduled, posted, failed")
    with one_line_errors(), session_scope() as session:
        posts = list_posts(
            session, artist_id=artist, status=status, platform=platform, release_id=release, deleted=deleted
        )
        rows = list_rows(session, posts, now=utcnow())

    def render(vs: list[dict[str, Any]]) -> str:
        lines = []
        for v in vs:
            states = " ".join(
                f"{p}:{state_of(v['per_platform'].get(p)).value}"
                + (f"({e['views']} views)" if (e := v["engagement"][p]) and e["views"] is not None else "")
                for p in v["platforms"]
            )
            lines.append(f"{v['id']:>6}  {v['status']:<9}  {v['scheduled_for'] or '-':<25}  {states}")
        return "\n".join(lines)

    emit(rows, as_json, render)


@post_app.command("delete")
def delete(post_ids: list[int] = typer.Argument(..., help="Post ids.")) -> None:
    """Soft-delete posts in any status; they can be restored for 30 days, then they are purged."""
    with one_line_errors(), session_scope() as session:
        posts = delete_posts(session, post_ids, now=utcnow())
    typer.echo(f"deleted {len(posts)} post(s): {' '.join(str(p.id) for p in posts)} (restorable for 30 days)")


@post_app.command("restore")
def restore(post_ids: list[int] = typer.Argument(..., help="Post ids.")) -> None:
    """Bring deleted posts back as they were (a scheduled post whose time passed goes out on the next tick)."""
    with one_line_errors(), session_scope() as session:
        posts = restore_posts(session, post_ids, now=utcnow())
    typer.echo(f"restored {len(posts)} post(s): {' '.join(str(p.id) for p in posts)}")
