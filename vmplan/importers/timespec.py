"""Times as users write them on the command line: ISO 8601, ``now``, or relative like ``-7d``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from vmplan import units

_RELATIVE = re.compile(r"^(?:now)?-([0-9]+[smhd])$")


def parse_time(text: str, now_s: float) -> float:
    """Unix seconds of ``text``: ``2026-11-20T00:00:00Z`` (UTC when no zone), ``now``, ``-7d``,
    ``now-12h``. Raises :class:`ValueError` saying what was expected."""
    value = text.strip()
    if value == "now":
        return now_s
    m = _RELATIVE.match(value)
    if m:
        return now_s - units.parse_duration(m.group(1))
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 time like 2026-11-20T00:00:00Z, 'now' or a relative time "
            f"like -7d, got {text!r}"
        ) from None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()
