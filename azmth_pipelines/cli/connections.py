"""`azmth connect`, `azmth connections list|refresh` and `azmth keys rotate`.

cli/main.py registers them: `app.command("connect")(connect)`,
`app.add_typer(connections_app, name="connections")`, `app.add_typer(keys_app, name="keys")`.
"""

import asyncio
import webbrowser
from dataclasses import asdict
from typing import Any

import typer

from azmth_pipelines.cli.output import JsonFlag, emit, fail, one_line_errors
from azmth_pipelines.connections.flow import DEFAULT_CALLBACK_TIMEOUT_S, ConnectResult, connect_account
from azmth_pipelines.connections.keys import rotate_token_keys
from azmth_pipelines.connections.listing import connection_views
from azmth_pipelines.connections.refresh import refresh_connection, refresh_due_connections
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.domain import validation
from azmth_pipelines.integrations.registry import integration
from azmth_pipelines.token_cipher import TokenCipher

# A fixed default, so the redirect URI can be registered once in each developer portal:
# http://127.0.0.1:8765/callback (X and Meta match it exactly; TikTok also accepts a wildcard port).
DEFAULT_CALLBACK_PORT = 8765

connections_app = typer.Typer(help="Artists' platform connections.", no_args_is_help=True)
keys_app = typer.Typer(help="Encryption keys for stored tokens.", no_args_is_help=True)


def connect(
    platform: str = typer.Argument(..., help="tiktok, instagram, threads or x."),
    artist: int = typer.Option(..., "--artist", help="The artist's id."),
    publish: bool = typer.Option(
        False, "--publish", help="Also ask for the write scopes publishing needs (a reconnect that grants them)."
    ),
    port: int = typer.Option(
        DEFAULT_CALLBACK_PORT,
        "--port",
        help="Loopback port for the callback http://127.0.0.1:PORT/callback (register it with the platform); "
        "0 = any free port.",
    ),
    no_browser: bool = typer.Option(False, "--no-browser", help="Print the URL instead of opening a browser."),
    timeout: float = typer.Option(DEFAULT_CALLBACK_TIMEOUT_S, "--timeout", help="Seconds to wait for consent."),
    as_json: bool = JsonFlag,
) -> None:
    """Connect an artist's platform account through the platform's consent page."""
    with one_line_errors():
        chosen = validation.platform(platform)

        def open_url(url: str) -> None:
            typer.echo(f"Open this page to connect {chosen.label}:\n  {url}", err=True)
            if not no_browser:
                webbrowser.open(url)

        try:
            result = asyncio.run(
                connect_account(
                    artist_id=artist, platform=chosen, open_url=open_url, publish=publish, port=port, timeout_s=timeout
                )
            )
        except OSError as exc:  # the loopback port is taken
            fail(f"cannot listen on 127.0.0.1:{port} for the callback ({exc.strerror}); pass another --port")
    emit(_connect_view(result), as_json, lambda v: _render_connect(result, publish))


def _connect_view(result: ConnectResult) -> dict[str, Any]:
    view = asdict(result)
    view["platform"] = result.platform.value
    return view


def _render_connect(result: ConnectResult, publish: bool) -> str:
    who = f"@{result.username}" if result.username else result.external_account_id
    lines = [
        f"Connected {result.platform.label} account {who} for artist {result.artist_id} "
        f"(connection {result.connection_id}).",
        f"Granted: {', '.join(result.granted_scopes) or 'nothing'}",
    ]
    if result.access_token_expires_at:
        lines.append(f"Token valid until {result.access_token_expires_at:%Y-%m-%d %H:%M} UTC.")
    if result.missing_scopes:
        lines.append(f"Not granted: {', '.join(result.missing_scopes)}.")
    missing_write = [s for s in integration(result.platform).oauth.write_scopes if s in result.missing_scopes]
    if publish and missing_write:
        lines.append(
            f"Publishing to {result.platform.label} needs {', '.join(missing_write)}: run "
            f"`azmth connect {result.platform.value} --artist {result.artist_id} --publish` again and allow it."
        )
    return "\n".join(lines)


@connections_app.command("list")
def list_(
    artist: int | None = typer.Option(None, "--artist", help="Only this artist's connections."),
    as_json: bool = JsonFlag,
) -> None:
    """Every connection's state, scopes and expiry (tokens are never shown)."""
    with session_scope() as session:
        views = connection_views(session, artist_id=artist)
    emit(views, as_json, _render_list)


def _render_list(views: list[dict[str, Any]]) -> str:
    if not views:
        return "no connections"
    lines = []
    for v in views:
        expires = v["access_token_expires_at"]
        until = f"until {expires:%Y-%m-%d %H:%M} UTC" if expires else "no expiry known"
        who = f"@{v['username']}" if v["username"] else v["external_account_id"]
        lines.append(f"{v['id']:>5}  artist {v['artist_id']:<5} {v['platform']:<9} {who:<24} {v['status']:<15} {until}")
        lines.append(f"       scopes: {', '.join(v['granted_scopes']) or '-'}")
        if v["status_reason"]:
            lines.append(f"       reason: {v['status_reason']}")
    return "\n".join(lines)


@connections_app.command("refresh")
def refresh(
    connection: int | None = typer.Option(None, "--connection", help="Refresh this connection now, due or not."),
    as_json: bool = JsonFlag,
) -> None:
    """Refresh tokens that expire soon (what the hourly schedule does), or one connection now."""
    if connection is not None:
        with one_line_errors():
            results = [asyncio.run(refresh_connection(connection, force=True))]
    else:
        results = asyncio.run(refresh_due_connections())
    views = [{**asdict(r), "platform": r.platform.value, "outcome": r.outcome.value} for r in results]

    def render(vs: list[dict[str, Any]]) -> str:
        if not vs:
            return "nothing due"
        return "\n".join(
            f"connection {v['connection_id']} ({v['platform']}): {v['outcome']}"
            + (f": {v['detail']}" if v["detail"] else "")
            for v in vs
        )

    emit(views, as_json, render)


@keys_app.command("rotate")
def rotate(as_json: bool = JsonFlag) -> None:
    """Re-encrypt every stored token under the first key of AZMTH_SECRET_KEY."""
    with one_line_errors(), session_scope() as session:
        report = rotate_token_keys(session, TokenCipher.from_settings())
    emit(
        asdict(report),
        as_json,
        lambda r: f"re-encrypted {r['tokens']} tokens of {r['connections']} connections under the newest key",
    )
