"""Transforms of the demand matrix (VMs x samples, cores): what a plan is sized on.

- :func:`envelope`: per VM, the rolling maximum over a window of ``w`` samples (centred:
  ``out[t] = max(x[t - w // 2 .. t + (w - 1) // 2])``), so a peak that comes a little earlier or
  later than in the history is still covered.
- :func:`profile`: fold the history by time of day (or of week) and take, per slot, the maximum
  over the periods. **The planned series is the one-period profile**, not the profile tiled over
  the history: the tiled series is periodic, so a placement fits it exactly when it fits one
  period, and planning on one period costs a fraction of the time (288 samples instead of 864 for
  three days). Its ``start`` is the period boundary at or before the history's first sample, so
  sample ``s`` of the profile is slot ``s`` (00:00 + s x interval) and a replay on a later period
  lines up by time of day. Without ``start`` the first sample counts as slot 0.
- :func:`scalar`: the classic sizing, one constant sample per VM at a percentile or the peak.
- :func:`headroom`: every host's CPU limit lowered by some points (the demand is unchanged).

Every transform returns a new, read-only :class:`~vmplan.model.Inventory` with the same hosts, VMs
and rules.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from vmplan.model import FloatArray, Inventory
from vmplan.problems import VmplanError

DAY_S = 86_400
WEEK_S = 7 * DAY_S


class SizingError(VmplanError):
    """A sizing that cannot be applied to this history (too short, interval not dividing a day)."""


class Period(enum.StrEnum):
    DAY = "day"
    WEEK = "week"

    @property
    def seconds(self) -> int:
        return DAY_S if self is Period.DAY else WEEK_S


def with_demand(
    inv: Inventory, demand: FloatArray, start: datetime | None, cpu_drop: float = 0.0
) -> Inventory:
    """``inv`` with another demand matrix (and start), and every CPU limit lowered by ``cpu_drop``."""
    hosts = inv.hosts
    if cpu_drop:
        hosts = tuple(replace(h, cpu_limit=max(h.cpu_limit - cpu_drop, 0.0)) for h in hosts)
    out = np.ascontiguousarray(demand, dtype=np.float64)
    return Inventory(hosts, inv.vms, inv.rules, out, inv.interval_s, start, inv.files)


def columns(inv: Inventory, first: int, stop: int) -> Inventory:
    """Samples ``first .. stop - 1`` of ``inv`` (the start moves with them)."""
    start = inv.time_of(first)
    return with_demand(inv, inv.demand[:, first:stop], start)


def samples_per(period: Period, interval_s: int) -> int:
    if period.seconds % interval_s:
        raise SizingError(
            f"--profile {period.value} needs a sample interval that divides a {period.value} "
            f"evenly, got {interval_s} s"
        )
    return period.seconds // interval_s


def phase(inv: Inventory, period: Period) -> int:
    """The slot of the first sample: its offset from the period boundary (Monday 00:00 UTC for a
    week), in samples; 0 without ``start``."""
    if inv.start is None:
        return 0
    start = inv.start.astimezone(UTC)
    offset = (start - _boundary(start, period)).total_seconds()
    return int(offset // inv.interval_s)


def _boundary(when: datetime, period: Period) -> datetime:
    midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=when.weekday()) if period is Period.WEEK else midnight


def envelope(inv: Inventory, samples: int) -> Inventory:
    """Per VM, the centred rolling maximum over ``samples`` samples (1: unchanged)."""
    if samples <= 1 or inv.n_samples <= 1:
        return inv
    from scipy.ndimage import maximum_filter1d  # loaded only when an envelope is asked for

    rolled = maximum_filter1d(inv.demand, size=samples, axis=1, mode="nearest")
    return with_demand(inv, rolled, inv.start)


def envelope_samples(seconds: int, interval_s: int) -> int:
    """The window in samples: ``seconds`` over the interval, rounded up (at least 1)."""
    return max(1, -(-seconds // interval_s))


def profile(inv: Inventory, period: Period) -> Inventory:
    """The one-period profile: per slot of the period, the maximum over the history.

    Needs at least two whole periods; a partial period at either end adds to its slots.
    """
    p = samples_per(period, inv.interval_s)
    if inv.n_samples < 2 * p:
        have = inv.n_samples * inv.interval_s / period.seconds
        raise SizingError(
            f"--profile {period.value} needs at least two whole {period.value}s of history, "
            f"got {have:.2g} {period.value}s ({inv.n_samples} samples)"
        )
    first = phase(inv, period)
    n, t = inv.demand.shape
    # pad the history to whole periods aligned on slot 0 with -inf, then fold and take the max
    periods = -(-(first + t) // p)
    padded = np.full((n, periods * p), -np.inf)
    padded[:, first : first + t] = inv.demand
    folded = padded.reshape(n, periods, p).max(axis=1)
    start = None if inv.start is None else _boundary(inv.start.astimezone(UTC), period)
    return with_demand(inv, folded, start)


def scalar(inv: Inventory, percentile: float | None) -> Inventory:
    """One constant sample per VM: its ``percentile`` (0-100), or its peak when None."""
    if percentile is None:
        level = inv.demand.max(axis=1, initial=0.0)
    else:
        level = np.percentile(inv.demand, percentile, axis=1, method="linear")
    return with_demand(inv, level.reshape(-1, 1), None)


def headroom(inv: Inventory, points: float) -> Inventory:
    """Every host's CPU limit lowered by ``points`` (a fraction: 0.05 is five points)."""
    return with_demand(inv, inv.demand, inv.start, cpu_drop=points)
