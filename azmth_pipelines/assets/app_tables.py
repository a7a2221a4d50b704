"""The tables written outside Dagster (by the artist's web app, and the pre-save and stream imports) as external
assets: the upstream end of the metrics and roll-up lineage.

Dagster never materializes them; they are in the graph so the data team sees where social_post_metrics,
account_metrics_snapshot and the release roll-ups read from. Descriptions and column schemas come from the
SQLAlchemy models' comments, the same text docs/schema.md is generated from, so the catalog cannot drift from it.
"""

import dagster as dg
from sqlalchemy import Column, Enum, Table
from sqlalchemy.dialects import postgresql

from azmth_pipelines.db.models import Base
from azmth_pipelines.owners import OWNERS

APP_TABLES_GROUP = "app_tables"

_COUNT = "NULL where the platform has no such number (docs/metrics.md)."
# Columns the models leave uncommented because their name says it in the schema doc; the catalog shows each column
# on its own, so it spells them out.
_UNCOMMENTED = {
    ("release", "title"): "The release's title.",
    ("release_stream_daily", "streams"): "Streams of the ISRC that day in that store and country.",
    **{("release_post_contribution", c): _COUNT for c in ("views", "likes", "comments", "shares", "saves")},
}


def _type(column: Column) -> str:
    if isinstance(column.type, Enum):
        return "varchar"
    return str(column.type.compile(dialect=postgresql.dialect())).lower()


def _description(table: Table, column: Column) -> str:
    text = column.comment or _UNCOMMENTED.get((table.name, column.name), "")
    if column.foreign_keys:
        text = f"{next(iter(column.foreign_keys)).target_fullname}. {text}".strip()
    if column.primary_key:
        text = f"Primary key. {text}".strip()
    return text


def table_schema(table_name: str) -> dg.TableSchema:
    """The table's columns as the catalog shows them, from the model's comments (docs/schema.md's source)."""
    table = Base.metadata.tables[table_name]
    return dg.TableSchema(
        columns=[
            dg.TableColumn(column.name, _type(column), description=_description(table, column))
            for column in table.columns
        ]
    )


def table_description(table_name: str) -> str:
    return Base.metadata.tables[table_name].comment or ""


def _app_table(table_name: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=["app", table_name],
        description=table_description(table_name),
        group_name=APP_TABLES_GROUP,
        owners=OWNERS,
        kinds={"sql", "postgres"},
        metadata={
            "dagster/table_name": table_name,
            "dagster/column_schema": table_schema(table_name),
        },
    )


content_post = _app_table("content_post")
social_connection = _app_table("social_connection")
release = _app_table("release")
presave_event = _app_table("presave_event")
release_stream_daily = _app_table("release_stream_daily")

app_tables = [content_post, social_connection, release, presave_event, release_stream_daily]
