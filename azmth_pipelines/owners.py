"""Who answers for the pipelines' data: one place, applied to every asset, job, schedule and sensor.

Placeholders: replace the team and the on-call address with the real ones before relying on them for alerts.
"""

DATA_TEAM = "team:data"
DATA_ONCALL = "data-oncall@azmth.example"

# For assets and asset specs, whose `owners` the Dagster UI shows and filters by.
OWNERS = [DATA_TEAM, DATA_ONCALL]

# For jobs, schedules and sensors: their `owners` parameter is beta in Dagster 1.13 (a BetaWarning on every load),
# so the owners go in tags, which the UI shows and filters by too (and a job's tags are stamped on its runs).
OWNER_TAGS = {"azmth/owner": DATA_TEAM, "azmth/oncall": DATA_ONCALL}
