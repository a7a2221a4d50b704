"""`azmth`: the command line for people and scripts (every read command takes --json)."""

import typer

from azmth_pipelines.cli.artists import artist_app
from azmth_pipelines.cli.connections import connect, connections_app, keys_app
from azmth_pipelines.cli.db import db_app
from azmth_pipelines.cli.demo import demo
from azmth_pipelines.cli.dev import dev
from azmth_pipelines.cli.media import media_app
from azmth_pipelines.cli.metrics import metrics_app, refresh_metrics
from azmth_pipelines.cli.posts import post_app
from azmth_pipelines.cli.publish import publish_app
from azmth_pipelines.cli.releases import release_app
from azmth_pipelines.cli.sandbox import sandbox_app
from azmth_pipelines.cli.staff import staff_app

app = typer.Typer(
    help="AZMTH pipelines: publish artists' posts, pull engagement, roll it up per release.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(artist_app, name="artist")
app.add_typer(post_app, name="post")
app.add_typer(release_app, name="release")
app.add_typer(publish_app, name="publish")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(media_app, name="media")
app.command("connect")(connect)
app.add_typer(connections_app, name="connections")
app.add_typer(keys_app, name="keys")
app.add_typer(staff_app, name="staff")
app.add_typer(metrics_app, name="metrics")
post_app.command("refresh-metrics")(refresh_metrics)
app.command("demo")(demo)
app.command("dev")(dev)

if __name__ == "__main__":
    app()
