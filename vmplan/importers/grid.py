"""One time grid for every series: aligned to the interval, the maximum within each interval.

Grid times are whole multiples of the interval in Unix time (5m: :00, :05, ...). A source
sample stamped *t* belongs to the grid time nearest to it, so sample *k* covers ``[start +
(k - 1/2) * interval, start + (k + 1/2) * interval)``: a clock a few seconds early or late lands
where it was meant to. Several samples in one interval give their maximum (a peak is never
lowered by downsampling); an interval with none stays NaN (missing): values are never invented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vmplan.model import FloatArray


@dataclass(frozen=True, slots=True)
class Grid:
    start_s: int
    interval_s: int
    n: int

    @property
    def last_s(self) -> int:
        """The time of the last sample."""
        return self.start_s + (self.n - 1) * self.interval_s


def aligned(start_s: float, end_s: float, interval_s: int) -> Grid:
    """The grid from the grid time nearest ``start_s`` to the one nearest ``end_s``."""
    first = math.floor(start_s / interval_s + 0.5) * interval_s
    last = math.floor(end_s / interval_s + 0.5) * interval_s
    return Grid(int(first), interval_s, max(1, int((last - first) // interval_s) + 1))


def bins(times_s: FloatArray, grid: Grid) -> np.ndarray:
    """The grid interval of every time (-1 outside the grid)."""
    k = np.floor((times_s - grid.start_s) / grid.interval_s + 0.5)
    inside = (k >= 0) & (k < grid.n)
    return np.where(inside, k, -1).astype(np.int64)


def resample_max(times_s: FloatArray, values: FloatArray, grid: Grid) -> tuple[FloatArray, int]:
    """``values`` on ``grid``: the maximum of each interval, NaN where there is none.

    Returns the row and how many samples fell outside the grid. NaN values count as absent.
    """
    out = np.full(grid.n, np.nan)
    k = bins(times_s, grid)
    keep = (k >= 0) & ~np.isnan(values)
    outside = int(np.count_nonzero(k < 0))
    np.fmax.at(out, k[keep], values[keep])
    return out, outside


def spacing_s(times_s: FloatArray) -> float | None:
    """The finest spacing of a series' samples (a gap makes no series coarse); None with fewer
    than three samples, too few to tell."""
    if times_s.size < 3:
        return None
    steps = np.diff(np.sort(times_s))
    steps = steps[steps > 0]
    return float(steps.min()) if steps.size else None
