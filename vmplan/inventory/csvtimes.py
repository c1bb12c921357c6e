"""The times in a CPU series CSV's first column, checked against ``start`` and ``interval``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from vmplan.inventory import numbers
from vmplan.inventory.csvseries import CsvSeries
from vmplan.inventory.series import RULE
from vmplan.problems import Position, Problem
from vmplan.timefmt import exact_duration


def check_times(
    table: CsvSeries, shown: str, start: datetime | None, interval_s: int
) -> list[Problem]:
    """When the CSV's first column holds times (ISO 8601, or epoch seconds): the first sample is
    at ``start`` (when the inventory gives one) and every row follows the one before by
    ``interval``.

    Otherwise the series would be added out of step with inline series and other files, and the
    times of day in plans would be wrong. A first column of labels or sample numbers (``t0``,
    ``0``) is not checked; one that looks like a date but cannot be read (``11/02/2026 10:00``)
    is refused, since it cannot be checked.
    """
    times = _times(table, shown)
    if times is None:
        return []
    if isinstance(times, Problem):
        return [times]
    problems: list[Problem] = []
    if start is not None and times and times[0] != start:
        line, text = table.stamps[0]
        problems.append(
            Problem.at(
                Position(shown, line, 1),
                "rows[1][0]",
                f"the first sample is at {text}, but the inventory's start is "
                f"{_iso(start)}; the series would be out of step",
                RULE,
            )
        )
    step = timedelta(seconds=interval_s)
    off = [k for k in range(1, len(times)) if times[k] - times[k - 1] != step]
    if off:
        k = off[0]
        line, text = table.stamps[k]
        gap = (times[k] - times[k - 1]).total_seconds()
        how = f"comes {exact_duration(gap)} after" if gap > 0 else "does not come after"
        more = f" ({len(off)} rows like this)" if len(off) > 1 else ""
        problems.append(
            Problem.at(
                Position(shown, line, 1),
                f"rows[{k + 1}][0]",
                f"{text} {how} the sample before it, not the interval of {exact_duration(interval_s)}"
                f"{more}; leave a row of empty cells for a missing sample",
                RULE,
            )
        )
    return problems


#: Epoch seconds from 2001-09-09 to 5138: a plain number in this range in the first column is a
#: time (smaller ones are sample numbers).
_EPOCH = (1e9, 1e11)
#: A cell that looks like a date or a time of day: digits around '/', '.', ':' or '-'.
_DATELIKE = re.compile(r"[0-9][/.:-][0-9]")


def _times(table: CsvSeries, shown: str) -> list[datetime] | Problem | None:
    """The first column's times; None for labels or sample numbers; a problem for a cell that
    looks like a time but cannot be read."""
    first = table.stamps[0][1] if table.stamps else ""
    if _time(first) is None and not _DATELIKE.search(first):
        return None  # labels or sample numbers
    times: list[datetime] = []
    for k, (line, text) in enumerate(table.stamps):
        t = _time(text)
        if t is None:
            return Problem.at(
                Position(shown, line, 1),
                f"rows[{k + 1}][0]",
                f"expected a time in ISO 8601 (like 2026-11-02T00:05:00Z) or epoch seconds, got "
                f"{text!r}",
                RULE,
            )
        times.append(t)
    return times


def _time(text: str) -> datetime | None:
    """An ISO 8601 time (UTC if it has no zone) or epoch seconds, else None."""
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        seconds = numbers.sample(text)
        if seconds is None or not _EPOCH[0] <= seconds < _EPOCH[1]:
            return None
        return datetime.fromtimestamp(seconds, UTC)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")
