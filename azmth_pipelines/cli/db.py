"""`azmth db`: migrate the shared database and document its schema."""

from pathlib import Path

import typer

from azmth_pipelines.db.migrate import current_revision, upgrade
from azmth_pipelines.db.schema_doc import render_schema_doc

db_app = typer.Typer(help="The shared database: migrations and schema docs.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(revision=revision)
    typer.echo(f"database at revision {current_revision()}")


@db_app.command("current")
def current_command() -> None:
    """Print the database's migration revision."""
    typer.echo(current_revision() or "empty (run `azmth db upgrade`)")


@db_app.command("schema-doc")
def schema_doc_command(
    output: Path = typer.Option(Path("docs/schema.md"), "-o", "--output", help="Where to write it; - for stdout."),
) -> None:
    """Write the schema reference generated from the models' table and column comments."""
    text = render_schema_doc()
    if str(output) == "-":
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")
