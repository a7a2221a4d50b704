"""`azmth release`: release campaigns."""

from datetime import date
from typing import Any

import typer

from azmth_pipelines.cli.output import JsonFlag, domain_errors, emit, fail
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.domain.releases import (
    AdCampaignInput,
    ChecklistInput,
    MarketingSectionInput,
    create_release,
    get_release,
    release_view,
    update_release,
)

release_app = typer.Typer(help="Release campaigns (one ISRC/UPC each).", no_args_is_help=True)


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date such as 2026-12-01")


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
    return "\n".join(lines)


@release_app.command("create")
def create(
    artist: int = typer.Option(..., "--artist", help="Artist id."),
    title: str = typer.Option(..., "--title"),
    isrc: str | None = typer.Option(None, "--isrc", help="CC-XXX-YY-NNNNN; hyphens optional."),
    upc: str | None = typer.Option(None, "--upc", help="UPC-A (12 digits) or EAN-13."),
    release_date: str | None = typer.Option(None, "--date", help="Street date, YYYY-MM-DD."),
    presave_url: str | None = typer.Option(None, "--presave-url"),
    distributor_status: str = typer.Option("not_submitted", "--distributor-status"),
    checklist: list[str] = typer.Option([], "--checklist", help="TITLE[@YYYY-MM-DD] (repeat)."),
    plan: list[str] = typer.Option([], "--plan", help="HEADING: TEXT marketing plan section (repeat)."),
    ad: list[str] = typer.Option([], "--ad", help="PLATFORM:NAME:BUDGET[:START[:END]] (repeat)."),
    as_json: bool = JsonFlag,
) -> None:
    """Create a release campaign and print it."""
    with domain_errors(), session_scope() as session:
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
    as_json: bool = JsonFlag,
) -> None:
    """Change a release's fields."""
    with domain_errors(), session_scope() as session:
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
    """Show a release campaign with its content schedule."""
    with domain_errors(), session_scope() as session:
        view = release_view(session, get_release(session, release_id))
    emit(view, as_json, _render)
