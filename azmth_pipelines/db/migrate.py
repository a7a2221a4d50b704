"""Alembic, driven from Python so `azmth db upgrade` works from an installed package."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from azmth_pipelines.db.engine import engine as default_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(bind: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # env.py runs on this connection's engine instead of reading a URL from an ini file.
    config.attributes["engine"] = bind
    return config


def upgrade(bind: Engine | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(bind or default_engine()), revision)


def current_revision(bind: Engine | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with (bind or default_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
