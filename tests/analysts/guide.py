"""docs/analysts.md read as a test reads it: its example queries, each with the result table printed under it, and
the rule that turns a database's values into the text of those tables.

A section (the text under one heading) holding ```sql blocks is an example. A block fenced ```sql runs on both
databases; ```sql postgresql and ```sql sqlite run on that database only (for the few questions the two spell
differently: date arithmetic, the hour of a timestamp). The example's result table is the markdown table after its
last block; both databases must return exactly its rows, in its order.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analysts.md"
DIALECTS = ("postgresql", "sqlite")
PORTABLE = "portable"

_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*$")
_FENCE = re.compile(r"^```(?P<info>[\w ]*)$")  # an info string of words only: ```sql sqlite
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_SQLITE_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(\.\d+)?$")


@dataclass
class ResultTable:
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Example:
    title: str
    line: int  # of the heading, for messages
    blocks: dict[str, str] = field(default_factory=dict)  # PORTABLE or a dialect -> SQL
    problems: list[str] = field(default_factory=list)  # what the guide got wrong about this example
    table: ResultTable | None = None

    def sql_for(self, dialect: str) -> str | None:
        return self.blocks.get(dialect) or self.blocks.get(PORTABLE)


def _row(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _is_separator(line: str) -> bool:
    return bool(re.fullmatch(r"\|?(\s*:?-{3,}:?\s*\|)+\s*:?-{0,}:?\s*\|?", line.strip()))


def parse_examples(text: str) -> list[Example]:
    """Every section with a ```sql block, its blocks by dialect and the first table after its last block."""
    examples: list[Example] = []
    current: Example | None = None
    lines = text.splitlines()
    i = 0
    after_block = False  # a table seen now belongs to the current example
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line.rstrip())
        if fence:
            info = fence.group("info").split()
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            i += 1
            if info[:1] == ["sql"]:
                if current is None:
                    current = Example(title="(before any heading)", line=1)
                    examples.append(current)
                dialect = info[1] if len(info) > 1 else PORTABLE
                if dialect not in (PORTABLE, *DIALECTS):
                    current.problems.append(f"block marked {dialect!r}: use ```sql, ```sql postgresql or ```sql sqlite")
                elif dialect in current.blocks:
                    current.problems.append(f"two {dialect} blocks")
                current.blocks[dialect] = "\n".join(body)
                if current.table is not None:
                    current.problems.append("a sql block after the result table")
                after_block = True
            continue
        heading = _HEADING.match(line)
        if heading:
            current = Example(title=heading.group("title"), line=i + 1)
            examples.append(current)
            after_block = False
            i += 1
            continue
        if after_block and current is not None and line.lstrip().startswith("|"):
            table_lines = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                table_lines.append(lines[i])
                i += 1
            if current.table is None:
                if len(table_lines) < 2 or not _is_separator(table_lines[1]):
                    current.problems.append("the result table has no header separator line")
                else:
                    current.table = ResultTable(_row(table_lines[0]), [_row(t) for t in table_lines[2:]])
            after_block = current.table is None
            continue
        i += 1
    return [e for e in examples if e.blocks]


def load_examples(path: Path = GUIDE) -> list[Example]:
    return parse_examples(path.read_text(encoding="utf-8"))


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def as_text(value: Any) -> str:
    """A database value as the guide prints it: NULL for NULL; numbers as numbers (2.50 -> 2.5, 3.0 -> 3, a
    PostgreSQL numeric and a SQLite real alike); dates YYYY-MM-DD; timestamps in UTC, YYYY-MM-DD HH:MM:SS."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise TypeError("a boolean column reads 1/0 on SQLite and true/false on PostgreSQL: select CASE ... text")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, Decimal)):
        return _number(Decimal(str(value)))
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value
        return utc.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return expected_text(str(value))


def expected_text(cell: str) -> str:
    """A cell of a result table (or a text value) in the same normal form as as_text's."""
    cell = cell.strip()
    if _NUMBER.match(cell):
        try:
            return _number(Decimal(cell))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return cell
    stamp = _SQLITE_TIMESTAMP.match(cell)
    if stamp:  # SQLite keeps a timestamp as text with microseconds; the guide prints whole seconds
        return stamp.group(1)
    return cell


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """The result table the guide prints for these rows."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(as_text(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def run_query(session: Session, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The query as an analyst's client sends it: through the driver's own cursor, without SQLAlchemy's bind
    parameters (a `:name` or `%` in the text means what it means in psql and the sqlite3 shell)."""
    dbapi_connection = session.connection().connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        columns = [description[0] for description in cursor.description or ()]
        return columns, [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()
