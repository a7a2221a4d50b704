"""Engagement metrics: read each platform's numbers, map them onto one shape, store snapshots.

Plain Python (no Dagster): `azmth_pipelines.assets.metrics` and `azmth_pipelines.cli.metrics` wire it up.
The mapping of each platform's fields onto views/likes/comments/shares/saves lives in `mapping.py` and is
documented in docs/metrics.md.
"""
