"""Print each example query's result on the seed, as the table docs/analysts.md shows under it.

    .venv/bin/python -m tests.analysts.render [--postgres URL]

For writing the guide: read what a new or changed query returns, check it by hand against the seed, then paste it
under the query. The test (test_guide_queries.py) then holds the guide to it on both databases.
"""

import argparse
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from azmth_pipelines.db.engine import make_engine
from azmth_pipelines.db.migrate import upgrade
from tests.analysts.guide import GUIDE, PORTABLE, load_examples, markdown_table, run_query
from tests.analysts.seed import seed


def render(url: str, guide: Path = GUIDE) -> str:
    bind = make_engine(url)
    upgrade(bind)
    dialect = bind.dialect.name
    out = []
    with Session(bind) as session:
        seed(session)
        for example in load_examples(guide):
            sql = example.sql_for(dialect)
            out.append(f"### {example.title}" + ("" if PORTABLE in example.blocks else f" ({dialect})"))
            if sql is None:
                out.append(f"(no block for {dialect})\n")
                continue
            columns, rows = run_query(session, sql)
            out.append(markdown_table(columns, rows) + "\n")
    bind.dispose()
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="a server to create a throwaway database on")
    parser.add_argument("--guide", type=Path, default=GUIDE, help="the guide to read the queries from")
    args = parser.parse_args()
    if args.postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            print(render(f"sqlite:///{Path(tmp) / 'guide.db'}", args.guide))
        return
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"azmth_guide_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        print(render(make_url(args.postgres).set(database=name).render_as_string(hide_password=False), args.guide))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
