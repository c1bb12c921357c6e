"""The quietest time of day to run an evacuation.

The load that matters is the combined CPU of the destinations once they hold what they receive
(``L[t] = sum over destinations of load[h, t]`` in the target placement). With ``k`` samples in a
day and ``w = ceil(duration / interval)`` samples in the evacuation, the series is folded by time of
day (the mean of every slot over the days the series covers) and the window of ``w`` consecutive
slots, wrapping past midnight, with the lowest mean is chosen (the earliest on ties). A series
shorter than a day is not folded and its windows do not wrap. Times of day are in the displayed zone (the zone of ``start``, or ``--tz``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vmplan.model import FloatArray, Inventory, Plan, host_loads
from vmplan.timefmt import clock

DAY_S = 86400


@dataclass(frozen=True, slots=True)
class Window:
    start: str  # "HH:MM" (UTC)
    end: str
    seconds: int  # the window's length: the plan's duration rounded up to whole samples
    cpu: float  # mean combined CPU of the destinations in the window, share of their cores
    busiest_start: str  # the same-length window with the highest mean, for comparison
    busiest_cpu: float

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "timezone": "UTC",
            "seconds": self.seconds,
            "cpu": round(self.cpu, 4),
            "busiest_start": self.busiest_start,
            "busiest_cpu": round(self.busiest_cpu, 4),
        }


def quietest(inv: Inventory, plan: Plan, seconds: float | None = None) -> Window | None:
    """The quietest window for ``plan``; None without timestamps, moves or a whole-minute grid.

    ``seconds``: how long the migrations take when it is not the plan's sum of waves (the longest
    cluster's, when clusters migrate side by side)."""
    if inv.start is None or not plan.moves or inv.n_samples == 0 or DAY_S % inv.interval_s:
        return None
    dest = np.unique(np.array([m.target for m in plan.moves], dtype=np.int64))
    load = host_loads(inv, plan.target)[dest].sum(axis=0) / float(inv.host_cores[dest].sum())
    per_day = DAY_S // inv.interval_s
    w = max(1, math.ceil((plan.total_seconds if seconds is None else seconds) / inv.interval_s))
    start = inv.start  # times of day in the displayed zone, where maintenance windows are kept
    first = (start.hour * 3600 + start.minute * 60 + start.second) // inv.interval_s
    if inv.n_samples >= per_day:
        slots = (first + np.arange(inv.n_samples)) % per_day
        profile = np.bincount(slots, weights=load, minlength=per_day) / np.bincount(
            slots, minlength=per_day
        )
        w = min(w, per_day)
        means = _window_means(np.concatenate([profile, profile[: w - 1]]), w)[:per_day]
        offset = 0
    else:
        w = min(w, inv.n_samples)
        means = _window_means(load, w)
        offset = first
    quiet, busy = int(np.argmin(means)), int(np.argmax(means))
    return Window(
        start=_clock(offset + quiet, inv.interval_s),
        end=_clock(offset + quiet + w, inv.interval_s),
        seconds=w * inv.interval_s,
        cpu=float(means[quiet]),
        busiest_start=_clock(offset + busy, inv.interval_s),
        busiest_cpu=float(means[busy]),
    )


def _window_means(series: FloatArray, w: int) -> FloatArray:
    sums = np.convolve(series, np.ones(w), mode="valid")
    out: FloatArray = sums / w
    return out


def _clock(slot: int, interval_s: int) -> str:
    return clock(slot * interval_s)
