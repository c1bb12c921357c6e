"""Collected source data -> a :class:`Fleet`: series rated, in percent, on one grid, checked.

Every problem is collected before anything is raised. A series for a VM the source does not
describe is skipped (and said so); a VM with no series keeps an empty (all missing) row, which
the loader fills conservatively and names.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np

from vmplan.importers import cpuunits, grid
from vmplan.importers.model import (
    Collected,
    CpuUnit,
    Fleet,
    RawSeries,
    Skipped,
    VmRecord,
    Window,
)
from vmplan.model import FloatArray
from vmplan.problems import InputError, Level, Problem
from vmplan.timefmt import exact_duration, iso_utc

RULE = "import"
#: Sources measure a little above 100 % now and then (a rate over a jittered scrape); up to this
#: much is clipped to 100 % with a warning, more means the unit is wrong.
OVERSHOOT_PERCENT = 110.0
#: the small negative values float arithmetic leaves are zero; anything below is wrong data
NEGATIVE_TOLERANCE = -1e-6


def _where(series: RawSeries, index: int) -> tuple[str, int]:
    if series.lines is not None and index < series.lines.size:
        return series.origin, int(series.lines[index])
    return series.origin, 0


def _stamp(seconds: float) -> str:
    return iso_utc(seconds)


def _value_problems(s: RawSeries, pct: FloatArray, times_s: FloatArray) -> list[Problem]:
    """Negative use, or so far above 100 % that the unit must be wrong: one problem each."""
    found: list[Problem] = []
    checks = (
        (pct < NEGATIVE_TOLERANCE, "expected CPU use of 0 or more, got {raw:g}"),
        (
            pct > OVERSHOOT_PERCENT,
            "CPU use of {raw:g} (as {unit}) is {pct:.0f}% of the VM's vCPUs; expected at most "
            "100%: is the unit right?",
        ),
    )
    for mask, text in checks:
        bad = np.flatnonzero(mask)
        if not bad.size:
            continue
        i = int(bad[0])
        file, line = _where(s, i)
        more = f" ({bad.size} samples like this)" if bad.size > 1 else ""
        raw = float(s.values[i])
        message = text.format(raw=raw, unit=s.unit.value, pct=float(pct[i]))
        path = s.vm if line else f"{s.vm} at {_stamp(float(times_s[i]))}"
        found.append(Problem(file, line, 1 if line else 0, path, message + more, RULE))
    return found


def _usable(
    series: tuple[RawSeries, ...], by_name: dict[str, VmRecord], interval_s: int
) -> tuple[list[RawSeries], dict[str, str], list[Problem]]:
    """The series of known VMs, counters rated (in cores), checked: sampled no coarser than the
    interval, no negative use, none far above 100 %. Also the series of no VM."""
    problems: list[Problem] = []
    usable: list[RawSeries] = []
    coarse: list[tuple[str, float, str]] = []
    no_vm: dict[str, str] = {}
    for s in series:
        vm = by_name.get(s.vm)
        if vm is None:
            no_vm.setdefault(s.vm, s.origin)
            continue
        if s.unit is CpuUnit.COUNTER:
            times, values, later, _resets = cpuunits.counter_rate(s.times_s, s.values)
            lines = None if s.lines is None else s.lines[later]
            s = RawSeries(s.vm, times, values, CpuUnit.CORES, s.origin, lines)
        step = grid.spacing_s(s.times_s)
        if step is not None and step > interval_s * 1.01:
            coarse.append((s.vm, step, s.origin))
        found = _value_problems(s, cpuunits.to_percent(s.values, s.unit, vm.vcpus), s.times_s)
        problems += found
        if not found:
            usable.append(s)
    if coarse:
        worst = max(step for _vm, step, _o in coarse)
        shown = ", ".join(sorted({vm for vm, _s, _o in coarse})[:5])
        problems.append(
            Problem(
                min(o for _vm, _s, o in coarse),
                0,
                0,
                "interval",
                f"{len(coarse)} VM(s) ({shown}{', ...' if len(coarse) > 5 else ''}) have samples "
                f"every {exact_duration(worst)}, coarser than the interval of {exact_duration(interval_s)}; "
                f"import with --interval {exact_duration(worst)} (values are never invented)",
                RULE,
            )
        )
    return usable, no_vm, problems


def _grid(
    window: Window, series: list[RawSeries], source: str
) -> tuple[grid.Grid, datetime | None]:
    """The grid asked for, or the data's own span; one sample without a start when no series
    has a time and none was asked for."""
    lo, hi = window.start_s, window.end_s
    if lo is None and series:
        lo = min(float(s.times_s.min()) for s in series)
    if hi is None and series:
        hi = max(float(s.times_s.max()) for s in series)
    if lo is not None and hi is not None:
        if hi < lo:
            raise InputError([Problem(source, 0, 0, "end", "the end comes before the start", RULE)])
        g = grid.aligned(lo, hi, window.interval_s)
        return g, datetime.fromtimestamp(g.start_s, UTC)
    known = lo if lo is not None else hi
    if known is None:
        return grid.Grid(0, window.interval_s, 1), None
    g = grid.aligned(known, known, window.interval_s)
    return g, datetime.fromtimestamp(g.start_s, UTC)


def build(collected: Collected, window: Window) -> Fleet:
    """Assemble ``collected`` on the grid of ``window``; raises :class:`InputError`."""
    problems: list[Problem] = []
    skipped: list[Skipped] = list(collected.skipped)
    warnings: list[Problem] = list(collected.warnings)
    hosts = sorted(collected.hosts, key=lambda h: h.name)
    host_names = {h.name for h in hosts}
    vms = sorted(collected.vms, key=lambda v: v.name)
    by_name = {v.name: v for v in vms}
    for kind, names in (("hosts", [h.name for h in hosts]), ("vms", [v.name for v in vms])):
        for name, count in sorted(Counter(names).items()):
            if count > 1:
                problems.append(
                    Problem(
                        collected.source,
                        0,
                        0,
                        f"{kind}.{name}",
                        f"'{name}' is described {count} times; names must be unique",
                        RULE,
                    )
                )
    for name in sorted({v.host for v in vms} - host_names):
        on = sorted(v.name for v in vms if v.host == name)
        shown = ", ".join(on[:5]) + (f" and {len(on) - 5} more" if len(on) > 5 else "")
        problems.append(
            Problem(
                collected.source,
                0,
                0,
                f"hosts.{name}",
                f"host '{name}' holds {shown} but the source gives no cores and memory for it",
                RULE,
            )
        )

    usable, no_vm, found = _usable(collected.series, by_name, window.interval_s)
    problems += found
    for name, origin in sorted(no_vm.items()):
        skipped.append(Skipped(name, f"a series with no VM in the inventory ({origin})"))
    if problems:
        raise InputError(problems)
    g, start = _grid(window, [s for s in usable if s.times_s.size], collected.source)
    row_of = {v.name: i for i, v in enumerate(vms)}
    matrix = np.full((len(vms), g.n), np.nan)
    outside = 0
    for s in usable:  # one series' percent at a time: no second copy of every series
        pct = cpuunits.to_percent(s.values, s.unit, by_name[s.vm].vcpus)
        row, out = grid.resample_max(s.times_s, pct, g)
        outside += out
        np.fmax(matrix[row_of[s.vm]], row, out=matrix[row_of[s.vm]])
    over = np.count_nonzero(matrix > 100.0, axis=1)
    clipped = {vms[i].name: int(over[i]) for i in np.flatnonzero(over)}
    np.clip(matrix, 0.0, 100.0, out=matrix)
    if outside:
        skipped.append(
            Skipped(
                "samples", f"{outside} sample(s) outside {_stamp(g.start_s)} .. {_stamp(g.last_s)}"
            )
        )
    for name, count in sorted(clipped.items()):
        warnings.append(
            Problem(
                collected.source,
                0,
                0,
                name,
                f"{count} sample(s) a little above 100% of the VM's vCPUs lowered to 100%",
                RULE,
                Level.WARNING,
            )
        )
    return Fleet(
        source=collected.source,
        hosts=tuple(hosts),
        vms=tuple(vms),
        start=start,
        interval_s=window.interval_s,
        cpu_percent=matrix,
        skipped=tuple(skipped),
        warnings=tuple(warnings),
        clipped=clipped,
    )
