"""A pull's report says how long it took and how much of that was this process's CPU: the data team reads the two
side by side to tell a CPU-bound step (add workers) from one waiting on the platforms."""

import time

from azmth_pipelines.metrics.report import PullReport, pull_clock


def _busy(seconds: float) -> None:
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass


def test_cpu_seconds_count_work_and_not_waiting() -> None:
    report = PullReport()

    started = pull_clock()
    _busy(0.03)
    report.count_pull(started)
    assert report.pull_cpu_s >= 0.03
    assert report.pull_s >= 0.03

    cpu_before, wall_before = report.pull_cpu_s, report.pull_s
    started = pull_clock()
    time.sleep(0.1)
    report.count_pull(started)
    assert report.pull_s - wall_before >= 0.1
    assert report.pull_cpu_s - cpu_before < 0.05


def test_steps_of_one_night_add_their_seconds() -> None:
    steps = [PullReport(pull_s=2.0, pull_cpu_s=1.5), PullReport(pull_s=3.0, pull_cpu_s=0.5)]

    night = PullReport.combined(steps)

    assert (night.pull_s, night.pull_cpu_s) == (5.0, 2.0)
    assert night.as_dict()["pull_cpu_s"] == 2.0
