"""`azmth sandbox serve|env`: run the local platform sandbox, or print the variables that point at it."""

import shlex
from typing import Annotated

import typer

from azmth_pipelines.cli.output import fail
from azmth_pipelines.cli.ports import PortInUse, listening_socket
from azmth_pipelines.integrations.registry import CREDENTIAL_VARIABLES
from azmth_sandbox.config import default_apps, sandbox_env
from azmth_sandbox.faults import parse_fault_spec

sandbox_app = typer.Typer(help="The local stand-in for TikTok, Instagram, Threads and X.", no_args_is_help=True)


@sandbox_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    seed: Annotated[int, typer.Option(help="Seed for ids, metrics and fault randomness.")] = 0,
    processing_delay: Annotated[
        float, typer.Option(help="Seconds containers/uploads stay in progress before their outcome.")
    ] = 0.5,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help="PLATFORM:KIND=VALUE[,scope=GROUP][,times=N], e.g. instagram:error_rate=0.1,scope=publish. "
            "KIND: error_rate, status_5xx, http_status (any 4xx/5xx, e.g. x:http_status=404), lost_reply (the "
            "request is carried out, then answered with VALUE, default 500), latency, timeout, malformed, "
            "rate_limit, container_error."
        ),
    ] = None,
    verified_prefix: Annotated[
        list[str] | None, typer.Option(help="URL prefix treated as verified for TikTok PULL_FROM_URL.")
    ] = None,
    lift_limits: Annotated[bool, typer.Option(help="Disable every publishing cap and rate limit.")] = False,
) -> None:
    """Serve all four platforms on one port until interrupted."""
    import uvicorn

    from azmth_sandbox.app import create_app
    from azmth_sandbox.config import SandboxConfig

    faults = list(fault or [])
    for spec in faults:
        try:
            parse_fault_spec(spec)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--fault") from exc
    config = SandboxConfig(
        seed=seed,
        processing_delay_s=processing_delay,
        faults=faults,
        tiktok_verified_url_prefixes=list(verified_prefix or []),
    )
    if lift_limits:
        config.limits.lift_all()
    try:
        sock = listening_socket(host, port)
    except PortInUse:
        fail(f"port {port} is in use on {host} (another sandbox?); pass --port with a free port, e.g. --port 8710")
    base_url = f"http://{host}:{port}"
    typer.echo(f"Platform sandbox at {base_url} (Ctrl+C to stop). To connect against it:", err=True)
    typer.echo(f'  eval "$(azmth sandbox env --port {port})"', err=True)
    try:
        uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning")).run(sockets=[sock])
    finally:
        sock.close()


def sandbox_exports(base_url: str) -> dict[str, str]:
    """Every variable a client needs against a sandbox at `base_url`: each platform's hosts, and our app's
    credentials on each platform as the sandbox registers them (the default app it creates at start)."""
    apps = default_apps()
    credentials: dict[str, str] = {}
    for platform, (id_variable, secret_variable) in CREDENTIAL_VARIABLES.items():
        client_id, client_secret = apps[platform.value]
        credentials |= {id_variable: client_id, secret_variable: client_secret}
    return sandbox_env(base_url) | credentials


@sandbox_app.command()
def env(
    host: Annotated[str, typer.Option(help="Host the sandbox listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the sandbox listens on.")] = 8700,
) -> None:
    """Print shell exports for a running sandbox: every AZMTH_*_URL pointing at it and the app credentials it
    accepts (client ids and secrets), so `azmth connect` works against it: eval "$(azmth sandbox env)"."""
    for name, value in sandbox_exports(f"http://{host}:{port}").items():
        typer.echo(f"export {name}={shlex.quote(value)}")
