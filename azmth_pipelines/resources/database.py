"""The shared database as a Dagster resource: the same engine and sessions the CLI uses."""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.config import settings
from azmth_pipelines.db.engine import engine, session_factory, session_scope


class DatabaseResource(ConfigurableResource):
    """AZMTH's database; `url` defaults to AZMTH_DATABASE_URL (SQLite under AZMTH_HOME when unset)."""

    url: str | None = None

    @property
    def resolved_url(self) -> str:
        return self.url or settings().database_url

    @property
    def engine(self) -> Engine:
        return engine(self.resolved_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.resolved_url) as session:
            yield session

    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.resolved_url)
