"""What a pull did, in numbers a run's metadata, the CLI and the benchmark can show."""

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from azmth_pipelines.metrics.pull import PagePull

MAX_PROBLEM_LINES = 50


@dataclass
class PullReport:
    targets: int = 0
    rows_written: int = 0
    api_calls: int = 0
    retries: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    problem_lines: list[str] = field(default_factory=list)
    x_tiers: dict[int, str] = field(default_factory=dict)
    pull_s: float = 0.0
    # This process's CPU seconds in the pull: near pull_s, the step was CPU-bound and more workers would help; far
    # below, it waited on the platforms (latency, rate limits).
    pull_cpu_s: float = 0.0
    write_s: float = 0.0

    def count_pull(self, started: tuple[float, float]) -> None:
        """Adds the wall and CPU seconds since `started` (`pull_clock()`) to the pull's."""
        wall, cpu = pull_clock()
        self.pull_s += wall - started[0]
        self.pull_cpu_s += cpu - started[1]

    def add_page(self, targets: int, page: PagePull) -> None:
        self.targets += targets
        self.x_tiers.update(page.x_tiers)
        for problem in page.problems:
            self.problems[problem.kind] += 1
            if len(self.problem_lines) < MAX_PROBLEM_LINES:
                self.problem_lines.append(problem.line())

    @classmethod
    def combined(cls, reports: Iterable["PullReport"]) -> "PullReport":
        """One report of several steps' pulls of the same night (their times add up, as CPU time would)."""
        total = cls()
        for report in reports:
            total.targets += report.targets
            total.rows_written += report.rows_written
            total.api_calls += report.api_calls
            total.retries += report.retries
            total.problems.update(report.problems)
            total.problem_lines.extend(report.problem_lines[: MAX_PROBLEM_LINES - len(total.problem_lines)])
            total.x_tiers.update(report.x_tiers)
            total.pull_s += report.pull_s
            total.pull_cpu_s += report.pull_cpu_s
            total.write_s += report.write_s
        return total

    @property
    def problem_count(self) -> int:
        return sum(self.problems.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "targets": self.targets,
            "rows_written": self.rows_written,
            "api_calls": self.api_calls,
            "retries": self.retries,
            "problems": dict(self.problems),
            "problem_samples": self.problem_lines,
            # Connections per tier, not per connection: a night of a million posts has tens of thousands of X
            # accounts, too many for a run's metadata (each connection's tier is on social_connection).
            "x_tiers": dict(Counter(self.x_tiers.values())),
            "pull_s": round(self.pull_s, 3),
            "pull_cpu_s": round(self.pull_cpu_s, 3),
            "write_s": round(self.write_s, 3),
        }


def pull_clock() -> tuple[float, float]:
    """Now in wall seconds and in this process's CPU seconds: where a pull starts (`PullReport.count_pull`)."""
    return time.perf_counter(), time.process_time()
