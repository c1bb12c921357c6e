"""How samples are named in messages: a wall-clock time when the inventory has ``start``."""

from __future__ import annotations

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
