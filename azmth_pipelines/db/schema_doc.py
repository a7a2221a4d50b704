"""docs/schema.md, generated from the models so the contract's documentation cannot drift from it."""

from sqlalchemy import CheckConstraint, Enum, ForeignKeyConstraint, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql

from azmth_pipelines.db.models import Base

HEADER = """# Database schema

Generated from `azmth_pipelines/db/models.py` by `azmth db schema-doc`; do not edit by hand (a test
compares this file with the models). The same comments are stored in PostgreSQL (`\\d+ table` in psql).

Conventions, for the web app that writes these tables and the analysts who read them:
- Every timestamp is `timestamp with time zone` and stored in UTC; the artist's timezone is only for display.
- JSON columns are `jsonb` on PostgreSQL (`JSON` text on SQLite).
- Enumerations are plain strings guarded by CHECK constraints; the allowed values are listed per column.
- Tables change only through Alembic migrations (`azmth db upgrade`).
"""


def _type(column_type: object) -> str:
    if isinstance(column_type, Enum):
        return "text: " + " / ".join(column_type.enums)
    try:
        return str(column_type.compile(dialect=postgresql.dialect())).lower()  # type: ignore[attr-defined]
    except Exception:
        return type(column_type).__name__


def _table(table: Table) -> str:
    lines = [f"## `{table.name}`", "", table.comment or "", ""]
    lines += ["| column | type | null | meaning |", "|---|---|---|---|"]
    for column in table.columns:
        meaning = (column.comment or "").replace("|", "\\|")
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).target_fullname
            meaning = f"-> `{target}`. {meaning}".strip()
        if column.primary_key:
            meaning = f"Primary key. {meaning}".strip()
        null = "yes" if column.nullable else "no"
        lines.append(f"| `{column.name}` | {_type(column.type)} | {null} | {meaning} |")
    keys = []
    for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
        if isinstance(constraint, UniqueConstraint):
            keys.append(f"- unique ({', '.join(c.name for c in constraint.columns)})")
        elif isinstance(constraint, CheckConstraint) and not getattr(constraint, "_type_bound", False):
            # Enum checks are already listed as the column's values; the rest are business rules.
            keys.append(f"- check: `{constraint.sqltext}`")
        elif isinstance(constraint, ForeignKeyConstraint) and constraint.ondelete:
            keys.append(f"- `{constraint.column_keys[0]}` on delete {constraint.ondelete.lower()}")
    if keys:
        lines += ["", *keys]
    return "\n".join(lines)


def render_schema_doc() -> str:
    tables = [_table(t) for t in Base.metadata.sorted_tables]
    return HEADER + "\n" + "\n\n".join(tables) + "\n"
