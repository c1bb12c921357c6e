"""Time as text, in one place: samples as wall-clock times (when the inventory has ``start``),
clock times of day, and durations (exact ones like an interval, rounded-up ones like a plan's)."""

from __future__ import annotations

import math
from datetime import UTC

from vmplan.model import Inventory


def sample_label(inv: Inventory, sample: int) -> str:
    """``2026-11-02T09:35:00Z``, or ``sample 115 (+9h35m)`` without a start time."""
    when = inv.time_of(sample)
    if when is not None:
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    offset = sample * inv.interval_s
    h, rem = divmod(offset, 3600)
    return f"sample {sample} (+{h}h{rem // 60:02d}m)"


def iso_or_none(inv: Inventory, sample: int) -> str | None:
    when = inv.time_of(sample)
    return None if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_of_day(inv: Inventory, sample: int) -> str:
    """``09:35`` (UTC wall clock with start, else time since the first sample)."""
    when = inv.time_of(sample)
    if when is not None:
        return when.astimezone(UTC).strftime("%H:%M")
    offset = sample * inv.interval_s
    return f"+{offset // 3600}h{offset % 3600 // 60:02d}m"


def exact_duration(seconds: float) -> str:
    """A duration as the inventory's ``interval`` writes it: ``20s``, ``5m``, ``1h``, ``1d``."""
    s = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s and s == seconds and s % size == 0:
            return f"{s // size}{unit}"
    return f"{seconds:g}s"


def format_duration(seconds: float) -> str:
    """A rounded-up human duration: ``42s``, ``9m05s``, ``37m``, ``2h10m``."""
    s = math.ceil(seconds)
    if s < 60:
        return f"{s}s"
    if s < 600:
        return f"{s // 60}m{s % 60:02d}s"
    hours, minutes = divmod(math.ceil(s / 60), 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def clock(seconds_since_midnight: int) -> str:
    """``09:35`` for a time of day given in seconds."""
    s = seconds_since_midnight % 86400
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"
