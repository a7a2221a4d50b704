"""The code location loads: what `dagster dev` and the daemon import."""

import dagster as dg

from azmth_pipelines.definitions import defs


def test_code_location_loads_and_validates() -> None:
    dg.Definitions.validate_loadable(defs)
    assert set(defs.resources) == {"database", "platform_apis", "app_credentials", "media_store", "token_cipher"}
