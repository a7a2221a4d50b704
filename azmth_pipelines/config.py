"""Settings read from the environment: one place that knows every AZMTH_* variable.

Every other module asks this one, so the README's table of variables and the code cannot drift apart.
"""

import os
from dataclasses import dataclass
from pathlib import Path


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    media_dir: Path
    public_media_url: str
    secret_key: str | None
    # Where the app's request budgets are counted (integrations/common/budget.py): `memory://` counts per process;
    # several shards or workers need one store, `redis://host:6379/N`.
    request_budget_store: str
    # Changes to the documented budgets, "x.create_post_per_app=10000/day,x.create_post_per_user=off".
    request_budgets: str

    @classmethod
    def from_env(cls) -> "Settings":
        home = Path(_env("AZMTH_HOME", ".azmth")).expanduser().resolve()
        return cls(
            home=home,
            database_url=_env("AZMTH_DATABASE_URL", f"sqlite:///{home / 'azmth.db'}"),
            media_dir=Path(_env("AZMTH_MEDIA_DIR", str(home / "media"))).expanduser().resolve(),
            public_media_url=_env("AZMTH_PUBLIC_MEDIA_URL", "http://127.0.0.1:8701/media").rstrip("/"),
            secret_key=os.environ.get("AZMTH_SECRET_KEY") or None,
            request_budget_store=_env("AZMTH_REQUEST_BUDGET_STORE", "memory://"),
            request_budgets=_env("AZMTH_REQUEST_BUDGETS", ""),
        )


def settings() -> Settings:
    """The current settings; read each time so tests and the CLI can change the environment."""
    return Settings.from_env()
