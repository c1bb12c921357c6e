"""Quantities with units, as users write them: sizes, percentages, durations, bandwidths.

Every parser returns the value in base units (bytes, a fraction, seconds, bytes per second) or
raises :class:`ValueError` with a message that says what was expected. The number before the unit
is :data:`NUMBER`: unsigned decimal digits with an optional point (``16``, ``0.5``, ``.5``, ``2.``),
no exponent. Each quantity has an upper bound, so that no number, however long, gets past the
parser as an infinity or an overflow.
"""

from __future__ import annotations

import math
import re

SIZE_UNITS: dict[str, int] = {
    "KiB": 1 << 10,
    "MiB": 1 << 20,
    "GiB": 1 << 30,
    "TiB": 1 << 40,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
}
DURATION_UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400}
BANDWIDTH_UNITS: dict[str, float] = {
    "bit/s": 1 / 8,
    "kbit/s": 1e3 / 8,
    "Mbit/s": 1e6 / 8,
    "Gbit/s": 1e9 / 8,
    "B/s": 1,
    "KB/s": 1e3,
    "MB/s": 1e6,
    "GB/s": 1e9,
    "KiB/s": 1 << 10,
    "MiB/s": 1 << 20,
    "GiB/s": 1 << 30,
}

#: The number of a quantity (a regular expression of Python and of JSON Schema alike).
NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_NUMBER = f"({NUMBER})"
#: Upper bounds: 1024TiB of memory, a year between samples, a terabyte per second.
MAX_SIZE_BYTES = 1 << 50
MAX_DURATION_S = 365 * 86400
MAX_BANDWIDTH = 1e12
_SIZE = re.compile(rf"^{_NUMBER}\s*([A-Za-z]+)$")
_PERCENT = re.compile(rf"^{_NUMBER}\s*%$")
_DURATION = re.compile(rf"^{_NUMBER}\s*([a-z]+)$")
_BANDWIDTH = re.compile(rf"^{_NUMBER}\s*([A-Za-z]+/s)$")


def parse_size(text: str) -> int:
    """``"512GiB"`` -> bytes. A bare number is refused, since bytes or GiB would both be guesses."""
    units = ", ".join(SIZE_UNITS)
    m = _SIZE.match(text.strip())
    if not m:
        raise ValueError(f"expected a size with a unit ({units}), e.g. '16GiB', got {_shown(text)}")
    number, unit = m.groups()
    factor = SIZE_UNITS.get(unit)
    if factor is None:
        folded = {u.lower(): u for u in SIZE_UNITS}
        hint = f" (did you mean '{folded[unit.lower()]}'?)" if unit.lower() in folded else ""
        raise ValueError(f"unknown size unit {unit!r}{hint}; expected one of {units}")
    value = float(number) * factor
    if value <= 0:
        raise ValueError(f"expected a size greater than zero, got {_shown(text)}")
    if value > MAX_SIZE_BYTES:
        raise ValueError(f"expected a size up to 1024TiB, got {_shown(text)}")
    return round(value)


def parse_percent(text: str) -> float:
    """``"80%"`` -> 0.8; must lie in (0, 100]."""
    m = _PERCENT.match(text.strip())
    if not m:
        raise ValueError(f"expected a percentage like '80%', got {_shown(text)}")
    value = float(m.group(1))
    if not 0 < value <= 100:
        raise ValueError(f"expected a percentage above 0% and at most 100%, got {_shown(text)}")
    return value / 100


def parse_duration(text: str) -> int:
    """``"5m"`` -> 300 seconds; units s, m, h, d. Must be a whole, positive number of seconds."""
    units = ", ".join(DURATION_UNITS)
    m = _DURATION.match(text.strip())
    if not m or m.group(2) not in DURATION_UNITS:
        raise ValueError(
            f"expected a duration with a unit ({units}), e.g. '5m', got {_shown(text)}"
        )
    seconds = float(m.group(1)) * DURATION_UNITS[m.group(2)]
    if seconds > MAX_DURATION_S:
        raise ValueError(f"expected a duration up to 365d, got {_shown(text)}")
    if seconds <= 0 or seconds != math.floor(seconds):
        raise ValueError(f"expected a positive whole number of seconds, got {_shown(text)}")
    return int(seconds)


def parse_bandwidth(text: str) -> float:
    """``"10Gbit/s"`` -> bytes per second."""
    units = ", ".join(BANDWIDTH_UNITS)
    m = _BANDWIDTH.match(text.strip())
    if not m or m.group(2) not in BANDWIDTH_UNITS:
        raise ValueError(f"expected a bandwidth like '10Gbit/s' ({units}), got {_shown(text)}")
    value = float(m.group(1)) * BANDWIDTH_UNITS[m.group(2)]
    if value <= 0:
        raise ValueError(f"expected a bandwidth greater than zero, got {_shown(text)}")
    if value > MAX_BANDWIDTH:
        raise ValueError(f"expected a bandwidth up to 1000GB/s, got {_shown(text)}")
    return value


def _shown(text: str) -> str:
    """The text as a message quotes it: a long one shortened."""
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def format_bytes(n: float) -> str:
    """Bytes in the largest binary unit that keeps the number at or above 1."""
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        factor = SIZE_UNITS[unit]
        if abs(n) >= factor:
            return f"{n / factor:.1f}{unit}"
    return f"{n:.0f}B"


def plural(count: int, word: str) -> str:
    """``1 migration``, ``2 migrations``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
