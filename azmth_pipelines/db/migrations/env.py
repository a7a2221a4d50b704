"""Alembic environment: the engine comes from azmth_pipelines.db.migrate (or AZMTH_DATABASE_URL)."""

from alembic import context

from azmth_pipelines.db.engine import engine as default_engine
from azmth_pipelines.db.models import Base

config = context.config
bind = config.attributes.get("engine") or default_engine()

with bind.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite can't ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
