"""`azmth release`: release campaigns, their attribution inputs (pre-saves, streams) and roll-ups."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.orm import Session

from azmth_pipelines.cli.output import JsonFlag, emit, fail, one_line_errors, parse_pairs
from azmth_pipelines.db.engine import session_factory, session_scope
from azmth_pipelines.domain.releases import (
    AdCampaignInput,
    ChecklistInput,
    MarketingSectionInput,
    add_ad_campaign,
    add_checklist_items,
    content_schedule,
    create_release,
    get_release,
    release_view,
    set_checklist_done,
    set_marketing_section,
    tag_posts,
    update_ad_campaign,
    update_release,
)
from azmth_pipelines.releases.changes import release_ids
from azmth_pipelines.releases.csv_import import ImportReport
from azmth_pipelines.releases.links import presave_links_for_post
from azmth_pipelines.releases.presaves import import_presaves
from azmth_pipelines.releases.rollup import compute_rollup, rollup_releases
from azmth_pipelines.releases.streams import import_streams

release_app = typer.Typer(help="Release campaigns (one ISRC/UPC each).", no_args_is_help=True)


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date such as 2026-12-01")


# Help texts are Rich markup: "[@...]" would be read as a tag and vanish, so no brackets here.
_CHECKLIST_HELP = "TITLE@DATE, the due date as YYYY-MM-DD, or TITLE alone (repeat)."


def _checklist(values: list[str]) -> list[ChecklistInput]:
    """'Master delivered@2026-11-01' (title, optional due date after @)."""
    items = []
    for value in values:
        title, _, due = value.rpartition("@") if "@" in value else (value, "", "")
        items.append(ChecklistInput(title=title, due_date=_date("--checklist", due) if due else None))
    return items


def _plan(values: list[str]) -> list[MarketingSectionInput]:
    """'Heading: body text'."""
    sections = []
    for value in values:
        heading, _, body = value.partition(":")
        sections.append(MarketingSectionInput(heading=heading, body=body.strip()))
    return sections


def _ads(values: list[str]) -> list[AdCampaignInput]:
    """'PLATFORM:NAME:BUDGET[:START[:END]]', e.g. 'meta:Teaser push:250:2026-12-01:2026-12-14'."""
    campaigns = []
    for value in values:
        parts = value.split(":")
        if len(parts) < 3:
            fail(f"--ad takes PLATFORM:NAME:BUDGET[:START[:END]], got {value!r}")
        starts = _date("--ad", parts[3]) if len(parts) > 3 and parts[3] else None
        ends = _date("--ad", parts[4]) if len(parts) > 4 and parts[4] else None
        campaigns.append(
            AdCampaignInput(platform=parts[0], name=parts[1], budget=parts[2], starts_on=starts, ends_on=ends)
        )
    return campaigns


def _render(view: dict[str, Any]) -> str:
    ids = " ".join(f"{k.upper()} {view[k]}" for k in ("isrc", "upc") if view[k])
    status = view["distributor_status"]
    lines = [
        f"release {view['id']}: {view['title']} ({ids}), out {view['release_date'] or 'TBA'}",
        f"  distributor: {status['status']}" + (f" - {status['reason']}" if status["reason"] else ""),
        f"  pre-save: {view['presave_url'] or '-'}",
    ]
    if view["checklist"]:
        lines.append("  checklist:")
        lines += [
            f"    [{'x' if i['done'] else ' '}] {i['title']} (due {i['due_date'] or '-'})" for i in view["checklist"]
        ]
    if view["marketing_plan"]:
        lines.append("  marketing plan:")
        lines += [f"    {s['heading']}: {s['body']}" for s in view["marketing_plan"]]
    if view["ad_campaigns"]:
        lines.append("  ad campaigns:")
        lines += [
            f"    {c['platform']} {c['name']}: {c['budget']} {c['currency']} [{c['status']}]"
            for c in view["ad_campaigns"]
        ]
    lines.append("  content schedule:")
    lines += [
        f"    post {p['post_id']} [{p['status']}] {p['scheduled_for'] or '-'} {','.join(p['platforms'])}"
        for p in view["content_schedule"]
    ] or ["    (no posts tagged yet)"]
    if "campaign" in view:
        lines += _render_campaign(view["campaign"])
    return "\n".join(lines)


def _n(value: Any) -> str:
    return "-" if value is None else f"{value:,}"


def _render_campaign(campaign: dict[str, Any] | None, days: int = 14) -> list[str]:
    if campaign is None:
        return []
    header = f"    {'':10} {'pairs':>5} {'views':>12} {'engagements':>11} {'presaves':>8} {'clicks':>7} {'streams':>10}"

    def row(label: str, r: dict[str, Any]) -> str:
        return (
            f"    {label:10} {r['post_platforms']:>5} {_n(r['views']):>12} {_n(r['engagements']):>11} "
            f"{_n(r['presaves']):>8} {_n(r['clicks']):>7} {_n(r['streams']):>10}"
        )

    lines = ["  campaign (latest snapshot per post; deleted posts left out):", header]
    lines += [row(p, t) for p, t in campaign["platforms"].items()]
    if campaign["totals"]:
        lines.append(row("all", campaign["totals"]))
    if campaign["posts"]:
        lines.append("  posts:")
        lines += [
            f"    post {c['post_id']} {c['platform']}: views {_n(c['views'])}, engagements {_n(c['engagements'])}"
            + (f" ({c['engagement_share']:.0%})" if c["engagement_share"] is not None else "")
            + f", presaves {c['presaves']}, clicks {c['clicks']}"
            for c in campaign["posts"]
        ]
    if campaign["daily"]:
        shown = campaign["daily"][-days:]
        lines.append(f"  daily (UTC; gains; last {len(shown)} of {len(campaign['daily'])} days):")
        lines.append(header)
        lines += [row(str(d["day"]), d) for d in shown]
    return lines


def _report(report: ImportReport, what: str) -> str:
    lines = [f"{report.rows} row(s) read: {report.written} {what} written, {report.unchanged} already there"]
    lines += [f"  line {line}: {message}" for line, message in report.bad_rows]
    if report.bad_rows:
        lines.append(f"{len(report.bad_rows)} bad row(s) skipped; the others are loaded")
    return "\n".join(lines)


def _view(session: Session, release_id: int) -> dict[str, Any]:
    release = get_release(session, release_id)
    view = release_view(session, release)
    rollup = compute_rollup(session, release_id)
    view["campaign"] = rollup.as_dict() if rollup else None
    return view


@release_app.command("create")
def create(
    artist: int = typer.Option(..., "--artist", help="Artist id."),
    title: str = typer.Option(..., "--title"),
    isrc: str | None = typer.Option(None, "--isrc", help="CC-XXX-YY-NNNNN; hyphens optional."),
    upc: str | None = typer.Option(None, "--upc", help="UPC-A (12 digits) or EAN-13."),
    release_date: str | None = typer.Option(None, "--date", help="Street date, YYYY-MM-DD."),
    presave_url: str | None = typer.Option(None, "--presave-url"),
    distributor_status: str = typer.Option("not_submitted", "--distributor-status"),
    checklist: list[str] = typer.Option([], "--checklist", help=_CHECKLIST_HELP),
    plan: list[str] = typer.Option([], "--plan", help="HEADING: TEXT marketing plan section (repeat)."),
    ad: list[str] = typer.Option([], "--ad", help="PLATFORM:NAME:BUDGET[:START[:END]] (repeat)."),
    as_json: bool = JsonFlag,
) -> None:
    """Create a release campaign and print it."""
    with one_line_errors(), session_scope() as session:
        release = create_release(
            session,
            artist_id=artist,
            title=title,
            isrc=isrc,
            upc=upc,
            release_date=_date("--date", release_date) if release_date else None,
            presave_url=presave_url,
            distributor_status=distributor_status,
            checklist=_checklist(checklist),
            marketing_plan=_plan(plan),
            ad_campaigns=_ads(ad),
        )
        view = release_view(session, release)
    emit(view, as_json, _render)


@release_app.command("update")
def update(
    release_id: int = typer.Argument(...),
    title: str | None = typer.Option(None, "--title"),
    isrc: str | None = typer.Option(None, "--isrc"),
    upc: str | None = typer.Option(None, "--upc"),
    release_date: str | None = typer.Option(None, "--date"),
    presave_url: str | None = typer.Option(None, "--presave-url"),
    distributor_status: str | None = typer.Option(None, "--distributor-status"),
    reason: str | None = typer.Option(None, "--reason", help="Why the distributor status changed."),
    add_checklist: list[str] = typer.Option([], "--add-checklist", help=_CHECKLIST_HELP),
    done: list[int] = typer.Option([], "--done", help="Tick checklist item N, from 1 as shown (repeat)."),
    undone: list[int] = typer.Option([], "--undone", help="Untick checklist item N (repeat)."),
    plan: list[str] = typer.Option([], "--plan", help="HEADING: TEXT sets that plan section or adds it (repeat)."),
    add_ad: list[str] = typer.Option([], "--add-ad", help="PLATFORM:NAME:BUDGET[:START[:END]] (repeat)."),
    as_json: bool = JsonFlag,
) -> None:
    """Change a release's fields, checklist, marketing plan and ad campaigns."""
    with one_line_errors(), session_scope() as session:
        add_checklist_items(session, release_id, _checklist(add_checklist))
        for number in done:
            set_checklist_done(session, release_id, number, done=True)
        for number in undone:
            set_checklist_done(session, release_id, number, done=False)
        for section in _plan(plan):
            set_marketing_section(session, release_id, section)
        for campaign in _ads(add_ad):
            add_ad_campaign(session, release_id, campaign)
        release = update_release(
            session,
            release_id,
            title=title,
            isrc=isrc,
            upc=upc,
            release_date=_date("--date", release_date) if release_date else None,
            presave_url=presave_url,
            distributor_status=distributor_status,
            distributor_status_reason=reason,
        )
        view = release_view(session, release)
    emit(view, as_json, _render)


@release_app.command("show")
def show(release_id: int = typer.Argument(...), as_json: bool = JsonFlag) -> None:
    """Show a release campaign: its plan, content schedule and numbers (computed now from the database)."""
    with one_line_errors(), session_scope() as session:
        view = _view(session, release_id)
    emit(view, as_json, _render)


@release_app.command("ad")
def ad(
    release_id: int = typer.Argument(...),
    number: int = typer.Argument(..., help="Ad campaign N, from 1 as shown."),
    status: str | None = typer.Option(None, "--status", help="planned, running, paused or ended."),
    spend: str | None = typer.Option(None, "--spend", help="Spent so far, e.g. 120.50."),
    result: list[str] = typer.Option([], "--result", help="KEY=NUMBER reported result, e.g. clicks=40 (repeat)."),
    as_json: bool = JsonFlag,
) -> None:
    """Report on an ad campaign: status, spend and results."""
    results: dict[str, Any] = {}
    for key, value in parse_pairs("--result", result).items():
        try:
            results[key] = json.loads(value)
        except ValueError:
            results[key] = value
    with one_line_errors(), session_scope() as session:
        update_ad_campaign(session, release_id, number, status=status, spend=spend, results=results)
        view = release_view(session, get_release(session, release_id))
    emit(view, as_json, _render)


@release_app.command("tag")
def tag(
    release_id: int = typer.Argument(..., help="The release; 0 removes the posts' tag."),
    post_ids: list[int] = typer.Argument(..., help="Posts to tag (any status; their numbers move with them)."),
    as_json: bool = JsonFlag,
) -> None:
    """Tag posts with a release, or move them from another release."""
    with one_line_errors(), session_scope() as session:
        posts = tag_posts(session, release_id or None, post_ids)
        data = [{"post_id": p.id, "release_id": p.release_id} for p in posts]
    emit(data, as_json, lambda rows: "\n".join(f"post {r['post_id']} -> release {r['release_id']}" for r in rows))


@release_app.command("links")
def links(release_id: int = typer.Argument(...), as_json: bool = JsonFlag) -> None:
    """Each tagged post's own pre-save link per platform (what its captions should carry)."""
    with one_line_errors(), session_scope() as session:
        release = get_release(session, release_id)
        if not release.presave_url:
            fail(f"release {release_id} has no pre-save link yet (azmth release update {release_id} --presave-url)")
        data = {
            str(post.id): {p.value: url for p, url in presave_links_for_post(post, release).items()}
            for post in content_schedule(session, release_id)
        }
    emit(
        data,
        as_json,
        lambda d: (
            "\n".join(f"post {post} {p}: {url}" for post, urls in d.items() for p, url in urls.items())
            or "(no posts tagged yet)"
        ),
    )


@release_app.command("import-presaves")
def import_presaves_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV export of the pre-save service."),
    release_id: int | None = typer.Option(
        None, "--release", help="Release of rows without a release_id column (default: the src post's release)."
    ),
    as_json: bool = JsonFlag,
) -> None:
    """Load pre-save events (occurred_at, kind, src or url, event_id, release_id). Bad rows are listed with
    their line numbers and skipped; the rest load; loading the same file again adds nothing. Exits 1 when
    any row was bad."""
    with one_line_errors(), session_scope() as session:
        report = import_presaves(session, file, release_id=release_id)
    emit(report.as_dict(), as_json, lambda _: _report(report, "event(s)"))
    if not report.ok:
        raise typer.Exit(code=1)


@release_app.command("import-streams")
def import_streams_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Distributor's daily report (CSV)."),
    as_json: bool = JsonFlag,
) -> None:
    """Load daily streams (isrc, date, store, country, streams). Bad rows are listed with their line numbers
    and skipped; the rest load; loading the same file again changes nothing. Exits 1 when any row was bad."""
    with one_line_errors(), session_scope() as session:
        report = import_streams(session, file)
    emit(report.as_dict(), as_json, lambda _: _report(report, "day row(s)"))
    if not report.ok:
        raise typer.Exit(code=1)


@release_app.command("rollup")
def rollup(
    release_ids_: list[int] = typer.Argument(None, metavar="[RELEASE_ID]...", help="Default: every release."),
    full: bool = typer.Option(
        False, "--full", help="Recompute every day (default: from the earliest day whose inputs changed)."
    ),
    as_json: bool = JsonFlag,
) -> None:
    """Write release_campaign_rollup and release_post_contribution now (what the release_rollup asset does):
    each release from the earliest day whose inputs changed since its last roll-up, or every day with --full."""
    with one_line_errors():
        sessions = session_factory()
        with sessions() as session:
            ids = release_ids_ or release_ids(session)
        report = rollup_releases(sessions, ids, full=full)
    emit(
        report.as_dict(),
        as_json,
        lambda r: (
            f"{r['releases']} release(s): {r['full']} recomputed every day, {r['incremental']} from a day on, "
            f"{r['unchanged']} unchanged; {r['campaign_rows']} campaign rows, "
            f"{r['contribution_rows']} contribution rows written"
        ),
    )
