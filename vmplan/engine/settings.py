"""What every planner is told: concurrency and bandwidth of migrations, and its time budget.

The defaults live here once; the command line shows the same values.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PARALLEL = 4
DEFAULT_BANDWIDTH = "10Gbit/s"
DEFAULT_BANDWIDTH_BYTES_S = 10e9 / 8
DEFAULT_TIME_LIMIT_S = 5.0


@dataclass(frozen=True, slots=True)
class Settings:
    parallel: int = DEFAULT_PARALLEL  # concurrent migrations per host and wave (in + out)
    bandwidth: float = DEFAULT_BANDWIDTH_BYTES_S  # bytes per second
    time_limit: float = DEFAULT_TIME_LIMIT_S  # seconds
