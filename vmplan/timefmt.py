"""Time as text, in one place: samples as wall-clock times (when the inventory has ``start``),
clock times of day, axis ticks, and durations (exact ones like an interval, rounded-up ones like a
plan's).

Zones. Displayed times are in the zone of the inventory's ``start`` (``+01:00`` stays ``+01:00``),
or in the zone ``--tz`` names: :func:`in_zone` gives the inventory a ``start`` that is the same
instant in that zone, so everything below follows it. Sample ``i`` is the instant
``start + i * interval``, turned into the zone's wall clock (so a DST change shows as one).
The data formats (json, yaml) keep UTC with ``Z`` (:func:`iso_or_none`): a plan file is read back
by ``report --plan`` and ``apply``, and an instant written one way compares without zone rules.

Days. When a series spans more than a day, a time of day alone is ambiguous: times print with the
weekday (``Tue 10:00``), and with the date (``Nov 03 10:00``) once the series spans more than a week.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vmplan.model import Inventory

DAY_S = 86_400
WEEK_S = 7 * DAY_S


def zone(name: str) -> tzinfo:
    """``--tz``: an IANA zone (``Europe/Paris``), ``UTC``, or a fixed offset (``+01:00``)."""
    text = name.strip()
    if text.upper() in ("UTC", "Z"):
        return UTC
    if text[:1] in "+-" and len(text) > 1:
        try:
            return datetime.fromisoformat(f"2000-01-01T00:00{text}").tzinfo or UTC
        except ValueError:
            pass
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"expected a time zone such as Europe/Paris, UTC or +01:00, got {name!r}"
        ) from None


def in_zone(inv: Inventory, tz: tzinfo | None) -> Inventory:
    """The inventory with its times shown in ``tz`` (the same instants); as is without a zone or
    without ``start``."""
    if tz is None or inv.start is None:
        return inv
    return replace(inv, start=inv.start.astimezone(tz))


def _when(start: datetime, offset_s: int) -> datetime:
    """The wall clock ``offset_s`` after ``start``, in ``start``'s zone (exact across DST)."""
    return (start.astimezone(UTC) + timedelta(seconds=offset_s)).astimezone(start.tzinfo)


def span_s(inv: Inventory) -> int:
    """Seconds from the first sample to the last."""
    return max(inv.n_samples - 1, 0) * inv.interval_s


def multi_day(inv: Inventory) -> bool:
    return span_s(inv) > DAY_S


def _clock_format(span: int) -> str:
    if span > WEEK_S:
        return "%b %d %H:%M"
    if span > DAY_S:
        return "%a %H:%M"
    return "%H:%M"


def offset_label(seconds: int) -> str:
    """``+1d9h35m``: time since the first sample, for series without a start."""
    days, rem = divmod(seconds, DAY_S)
    hours, minutes = rem // 3600, rem % 3600 // 60
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return "+" + ("".join(p for p in parts if p) or "0h")


def _iso(when: datetime) -> str:
    text = when.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def sample_label(inv: Inventory, sample: int) -> str:
    """``2026-11-02T10:35:00+01:00`` (``Z`` for UTC), or ``sample 115 (+9h35m)`` without a start."""
    if inv.start is not None:
        return _iso(_when(inv.start, sample * inv.interval_s))
    offset = sample * inv.interval_s
    h, rem = divmod(offset, 3600)
    return f"sample {sample} (+{h}h{rem // 60:02d}m)"


def iso_utc(when: datetime | float) -> str:
    """An instant (a datetime, or seconds since the epoch) as data writes it:
    ``2026-11-02T09:35:00Z``."""
    t = datetime.fromtimestamp(when, UTC) if isinstance(when, int | float) else when
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_or_none(inv: Inventory, sample: int) -> str | None:
    """The instant of a sample for the data formats: ISO 8601 in UTC (``Z``), whatever the zone."""
    if inv.start is None:
        return None
    return iso_utc(_when(inv.start, sample * inv.interval_s))


def time_of_day(inv: Inventory, sample: int) -> str:
    """``09:35``; ``Tue 09:35`` when the series spans days, ``Nov 03 09:35`` when it spans weeks;
    time since the first sample (``+9h35m``) without a start."""
    offset = sample * inv.interval_s
    if inv.start is None:
        if multi_day(inv):
            return offset_label(offset)
        return f"+{offset // 3600}h{offset % 3600 // 60:02d}m"
    return _when(inv.start, offset).strftime(_clock_format(span_s(inv)))


def tick_label(start: datetime, offset_s: int, span: int) -> str:
    """A time-axis tick: the time of day, or the date (``Nov 03``) at a midnight of a series that
    spans days."""
    when = _when(start, offset_s)
    if span > DAY_S and (when.hour, when.minute) == (0, 0):
        return when.strftime("%b %d")
    return when.strftime("%H:%M")


def utc_offset_s(start: datetime) -> int:
    """Seconds east of UTC at ``start`` (where the axis puts its midnights)."""
    delta = start.utcoffset()
    return 0 if delta is None else int(delta.total_seconds())


def zone_label(inv: Inventory) -> str:
    """The displayed zone's name: ``UTC``, ``CET``, ``UTC+01:00``; empty without a start."""
    return "" if inv.start is None else inv.start.tzname() or ""


def start_label(start: datetime) -> str:
    """``2026-11-02 10:00 +01:00`` (``UTC`` for UTC): a report's first sample."""
    zone_text = _iso(start)[19:] or "UTC"
    return start.strftime("%Y-%m-%d %H:%M ") + ("UTC" if zone_text == "Z" else zone_text)


def exact_duration(seconds: float) -> str:
    """A duration as the inventory's ``interval`` writes it: ``20s``, ``5m``, ``1h``, ``1d``."""
    s = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s and s == seconds and s % size == 0:
            return f"{s // size}{unit}"
    return f"{seconds:g}s"


def duration_label(seconds: int) -> str:
    """An exact, short duration for charts: ``5m``, ``24h``, ``7d``, ``90s``."""
    if seconds % DAY_S == 0 and seconds > 3 * DAY_S:
        return f"{seconds // DAY_S}d"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


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
