"""Collected source data -> a :class:`Fleet`: series rated, in percent, on one grid, checked.

Every problem is collected before anything is raised. A series for a VM the source does not
describe is skipped (and said so); a VM with no series keeps an empty (all missing) row, which
the loader fills conservatively and names.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

import numpy as np

from vmplan.importers import cpuunits, grid
from vmplan.importers.model import Collected, CpuUnit, Fleet, RawSeries, Skipped, Window
from vmplan.inventory.series import _span  # the inventory's own spelling of a duration
from vmplan.model import FloatArray
from vmplan.problems import InputError, Level, Problem

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
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        problems.append(
            Problem(
                collected.source,
                0,
                0,
                f"hosts.{name}",
                f"host '{name}' holds {', '.join(on)} but the source gives no cores and memory "
                "for it",
                RULE,
            )
        )

    rated: dict[str, list[tuple[FloatArray, FloatArray]]] = defaultdict(list)
    coarse: list[tuple[str, float, str]] = []
    no_vm: dict[str, str] = {}
    for s in collected.series:
        vm = by_name.get(s.vm)
        if vm is None:
            no_vm.setdefault(s.vm, s.origin)
            continue
        times, values = s.times_s, s.values
        if s.unit is CpuUnit.COUNTER:
            times, values, later, _resets = cpuunits.counter_rate(times, values)
            lines = None if s.lines is None else s.lines[later]
            s = RawSeries(s.vm, times, values, CpuUnit.CORES, s.origin, lines)
        step = grid.spacing_s(times)
        if step is not None and step > window.interval_s * 1.01:
            coarse.append((s.vm, step, s.origin))
        pct = cpuunits.to_percent(values, s.unit, vm.vcpus)
        found = _value_problems(s, pct, times)
        problems += found
        if not found:
            rated[s.vm].append((times, pct))
    for name, origin in sorted(no_vm.items()):
        skipped.append(Skipped(name, f"a series with no VM in the inventory ({origin})"))
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
                f"every {_span(worst)}, coarser than the interval of {_span(window.interval_s)}; "
                f"import with --interval {_span(worst)} (values are never invented)",
                RULE,
            )
        )
    if problems:
        raise InputError(problems)

    all_times = [t for parts in rated.values() for t, _p in parts if t.size]
    lo = window.start_s
    hi = window.end_s
    if lo is None and all_times:
        lo = float(min(float(t.min()) for t in all_times))
    if hi is None and all_times:
        hi = float(max(float(t.max()) for t in all_times))
    if lo is not None and hi is not None and hi < lo:
        raise InputError(
            [Problem(collected.source, 0, 0, "end", "the end comes before the start", RULE)]
        )
    if lo is None or hi is None:
        g = grid.Grid(int(lo if lo is not None else hi or 0), window.interval_s, 1)
        start = None if lo is None and hi is None else datetime.fromtimestamp(g.start_s, UTC)
    else:
        g = grid.aligned(lo, hi, window.interval_s)
        start = datetime.fromtimestamp(g.start_s, UTC)

    matrix = np.full((len(vms), g.n), np.nan)
    clipped: dict[str, int] = {}
    outside = 0
    for i, vm in enumerate(vms):
        for times, pct in rated.get(vm.name, []):
            row, out = grid.resample_max(times, pct, g)
            outside += out
            np.fmax(matrix[i], row, out=matrix[i])
        over = np.count_nonzero(matrix[i] > 100.0)
        if over:
            clipped[vm.name] = int(over)
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
