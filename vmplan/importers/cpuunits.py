"""CPU use in any unit a source gives, as percent of the VM's vCPUs (the inventory's meaning).

A cumulative CPU-seconds counter becomes cores by its increase over each step divided by the
step; a decrease is a reset (the guest or exporter restarted), after which the counter counts
from zero, so the increase is the new value itself (as Prometheus's ``rate`` does).
"""

from __future__ import annotations

import numpy as np

from vmplan.importers.model import CpuUnit, IntArray
from vmplan.model import FloatArray


def counter_rate(
    times_s: FloatArray, counter: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray, int]:
    """Cores used between consecutive samples, stamped at the later one; the index of that
    sample in the input; and the number of resets."""
    order = np.argsort(times_s, kind="stable")
    order = order[~np.isnan(counter[order])]
    t, c = times_s[order], counter[order]
    if t.size < 2:
        return t[:0], c[:0], order[:0], 0
    dt = np.diff(t)
    inc = np.diff(c)
    reset = inc < 0
    inc = np.where(reset, c[1:], inc)
    valid = dt > 0
    later = order[1:][valid]
    return t[1:][valid], inc[valid] / dt[valid], later, int(np.count_nonzero(reset))


def to_percent(values: FloatArray, unit: CpuUnit, vcpus: int) -> FloatArray:
    """``values`` (already rated, for a counter: cores) as percent of ``vcpus``."""
    if unit is CpuUnit.PERCENT:
        return values.astype(np.float64, copy=True)
    if unit is CpuUnit.FRACTION:
        return values * 100.0
    return values * (100.0 / vcpus)  # cores, and counters once rated
