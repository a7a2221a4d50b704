"""The analysts' guide, docs/analysts.md, holds: each of its example queries runs unchanged on SQLite and on
PostgreSQL against the seed (tests/analysts/seed.py) and returns exactly the rows the guide prints under it."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.analysts.guide import (
    DIALECTS,
    GUIDE,
    PORTABLE,
    Example,
    as_text,
    expected_text,
    load_examples,
    parse_examples,
    run_query,
)
from tests.analysts.seed import seed

EXAMPLES = load_examples()
# What an analyst reads: each needs its own section in the guide (meaning, grain, keys, freshness).
TABLES_AND_VIEWS = [
    "social_post_metrics",
    "post_metrics_latest",
    "post_metrics_daily",
    "account_metrics_snapshot",
    "account_post_metrics",
    "account_posts_latest",
    "release_campaign_rollup",
    "release_post_contribution",
    "presave_event",
    "release_stream_daily",
]


def _slug(example: Example) -> str:
    return re.sub(r"[^a-z0-9]+", "-", example.title.lower()).strip("-")


def test_the_guide_has_at_least_ten_example_queries_each_with_its_result_table() -> None:
    assert len(EXAMPLES) >= 10, f"{GUIDE.name} has {len(EXAMPLES)} example queries; the issue asks for ten"
    problems = []
    for example in EXAMPLES:
        where = f"{example.title!r} (line {example.line})"
        problems += [f"{where}: {problem}" for problem in example.problems]
        if example.table is None:
            problems.append(f"{where}: no result table after its sql")
        if PORTABLE in example.blocks and len(example.blocks) > 1:
            problems.append(f"{where}: a portable block and a dialect's block; keep one or the other")
        problems += [f"{where}: nothing runs on {d}" for d in DIALECTS if example.sql_for(d) is None]
    assert not problems, "\n".join(problems)


def test_the_guide_describes_every_table_and_view_analysts_read() -> None:
    headings = re.findall(r"^#{2,4} .*$", GUIDE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    missing = [name for name in TABLES_AND_VIEWS if not any(f"`{name}`" in heading for heading in headings)]
    assert not missing, f"no section for {missing}"


def test_a_block_without_a_result_table_is_caught() -> None:
    (example,) = parse_examples("### Q\n\nOne sentence.\n\n```sql\nSELECT 1 AS one;\n```\n\n### Next\n\n| a |\n|---|\n")
    assert example.table is None


def test_values_are_compared_as_the_guide_prints_them() -> None:
    # PostgreSQL's numeric and SQLite's real print the same; dates and SQLite's timestamp text the same as
    # PostgreSQL's date and timestamptz (in UTC).
    assert [as_text(v) for v in (None, 7, Decimal("2.50"), 2.5, 3.0, Decimal("30"), Decimal("-0.000"))] == [
        "NULL",
        "7",
        "2.5",
        "2.5",
        "3",
        "30",
        "0",
    ]
    assert as_text(date(2026, 11, 20)) == as_text("2026-11-20") == "2026-11-20"
    assert as_text(datetime(2026, 11, 20, 8, 0, tzinfo=UTC)) == as_text("2026-11-20 08:00:00.000000")
    assert expected_text("0.250") == as_text(0.25) and expected_text("NULL") == as_text(None)
    with pytest.raises(TypeError):
        as_text(True)


@pytest.mark.parametrize("example", EXAMPLES, ids=[_slug(e) for e in EXAMPLES])
def test_example_query_returns_the_rows_the_guide_prints(example: Example, session: Session) -> None:
    seed(session)
    dialect = session.get_bind().dialect.name
    sql = example.sql_for(dialect)
    assert sql is not None, f"{example.title!r} has no block for {dialect}"
    assert example.table is not None, f"{example.title!r} has no result table"
    if dialect == "postgresql":
        # An analyst's psql may run in any zone: the queries must not depend on it (days and hours are UTC).
        session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    columns, rows = run_query(session, sql)
    assert columns == example.table.columns
    got = [[as_text(value) for value in row] for row in rows]
    expected = [[expected_text(cell) for cell in row] for row in example.table.rows]
    assert got == expected
