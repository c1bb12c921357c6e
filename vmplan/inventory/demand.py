"""Demand tier: every VM's series (inline or a ``cpu_series`` CSV column) -> one matrix in cores.

Checks that each VM has a series, that all have the same length, and that a CSV's times follow
the inventory's ``start`` and ``interval``. Missing samples are filled with the VM's own highest
observed value, so a gap in the data can never make a host look emptier than it may have been;
each filled VM gets a warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np

from vmplan.inventory import csvseries, csvtimes, paths
from vmplan.inventory.specs import FileSpec, VmSpec
from vmplan.model import FloatArray
from vmplan.problems import Level, Position, Problem, did_you_mean

MAX_CSV_BYTES = 2 << 30

VmSpecs = tuple[tuple[VmSpec, FileSpec], ...]
Csvs = dict[str, tuple[str, csvseries.CsvSeries | None]]  # by the file that names it: (shown, CSV)
#: A file's cpu_series CSV as read: where (as shown), its series or None, the problems found.
SeriesRead = tuple[str, csvseries.CsvSeries | None, list[Problem]]


def demand(
    vm_specs: VmSpecs,
    specs: list[FileSpec],
    csvs: Csvs,
    problems: list[Problem],
    start: datetime | None,
    interval_s: int,
) -> FloatArray | None:
    """The (VMs x samples) demand in cores, or None when a problem added to ``problems`` stops it.

    ``csvs``: the ``cpu_series`` CSV of every file that names one, as :func:`read_series` read
    it (this function lets each array go as its rows are copied)."""
    problems += _times(csvs, start, interval_s)
    rows, wheres, csv_rows = _rows(vm_specs, csvs, problems)
    if _errors(problems):
        return None
    if not rows:
        return np.zeros((0, 1), dtype=np.float64)
    _check_lengths(vm_specs, rows, wheres, problems)
    if _errors(problems):
        return None
    if any(r is None for r in rows):  # a VM without a series must have been reported above
        raise AssertionError("a VM lost its series without a problem being reported")
    whole = next(iter(csvs.values()))[1] if len(csvs) == 1 else None
    if whole is not None and len(csv_rows) == len(rows) == len(set(csv_rows)):
        # every series from the one CSV: its array, put in VM order in place (a copy would be a
        # second matrix beside it, 659 MiB at 10,000 VMs x 8,640 samples)
        matrix = _in_order(whole.values, csv_rows)
    else:
        del whole  # its array is let go with its last row, as every CSV's
        matrix = _stacked(rows, vm_specs, csvs)
    _fill_gaps(matrix, vm_specs, wheres, problems)
    _fractions(matrix, vm_specs, wheres, problems)
    _unused_columns(vm_specs, specs, csvs, problems)
    vcpus = np.array([v.vcpus for v, _s in vm_specs], dtype=np.float64)
    # in place: a second (VMs x samples) array is 659 MiB at 10,000 VMs x 8,640 samples
    matrix *= vcpus[:, None] / 100.0
    return matrix


def _times(csvs: Csvs, start: datetime | None, interval_s: int) -> list[Problem]:
    """Every CSV's times against the inventory's ``start`` and ``interval`` (a function of its
    own, so that no name here holds a CSV's array once its rows are copied)."""
    found = []
    for shown, table in csvs.values():
        if table is not None:
            found += csvtimes.check_times(table, shown, start, interval_s)
    return found


def _stacked(rows: list[FloatArray | None], vm_specs: VmSpecs, csvs: Csvs) -> FloatArray:
    """The rows as one (VMs x samples) matrix, each CSV's array let go once its last row is
    copied (``rows`` and ``csvs`` lose them): the matrix's pages are only taken as its rows are
    written, so a fleet of one CSV per cluster peaks near one matrix, not two (3.5 GiB for
    20 x 5,000 VMs x 2,016 samples with ``np.vstack``)."""
    last = {spec.file: k for k, (v, spec) in enumerate(vm_specs) if v.cpu is None}
    after = {k: file for file, k in last.items()}
    first = rows[0]
    assert first is not None
    matrix = np.empty((len(rows), first.size), dtype=np.float64)
    for k, row in enumerate(rows):
        matrix[k] = row
        rows[k] = None
        file = after.get(k)
        if file is not None and file in csvs:
            shown, table = csvs[file]
            if table is not None:  # its columns stay, for the unused-column warning
                csvs[file] = (shown, replace(table, values=np.empty((0, 0))))
    return matrix


def _in_order(values: FloatArray, order: list[int]) -> FloatArray:
    """``values[order]`` (distinct rows), made in ``values`` itself: each cycle of the
    permutation is followed with one row aside. The rows not in ``order`` end up after its own,
    out of the view returned."""
    rest = np.setdiff1d(np.arange(values.shape[0]), order, assume_unique=True)
    source = np.concatenate([np.asarray(order, dtype=np.intp), rest])  # row i <- row source[i]
    done = source == np.arange(source.size)
    for start in np.flatnonzero(~done):
        if done[start]:
            continue
        aside = values[start].copy()
        i = start
        while source[i] != start:
            values[i] = values[source[i]]
            done[i] = True
            i = source[i]
        values[i] = aside
        done[i] = True
    return values[: len(order)]


def _errors(problems: list[Problem]) -> bool:
    return any(p.level is Level.ERROR for p in problems)


def read_series(spec: FileSpec, roots: Sequence[Path] = ()) -> SeriesRead | None:
    """The ``cpu_series`` CSV a file names, read (each file's on its own, so files can be read in
    parallel): where it was read, its series (None when it cannot be) and the problems found.
    None when the file names none.

    ``roots``: folders besides the inventory's own from which a ``cpu_series`` CSV may be read."""
    if spec.cpu_series is None:
        return None
    rel = spec.cpu_series.value
    w = spec.cpu_series.where
    path = paths.series_path(spec.file, rel, roots)
    refused = path if isinstance(path, str) else paths.not_regular(path)
    if refused is not None:
        return rel, None, [Problem.at(w, "cpu_series", f"{rel}: {refused}", "input")]
    assert isinstance(path, Path)
    loaded, found = csvseries.read_csv(path, str(path), MAX_CSV_BYTES)
    problems = []
    for p in found:  # a file-level problem (missing, unreadable) belongs on the cpu_series key
        if p.line == 1 and p.column == 1 and p.rule == "input":
            p = Problem(
                w.file, w.line, w.column, "cpu_series", f"{rel}: {p.message}", p.rule, p.level
            )
        problems.append(p)
    return str(path), loaded, problems


def _rows(
    vm_specs: VmSpecs, csvs: Csvs, problems: list[Problem]
) -> tuple[list[FloatArray | None], list[Position], list[int]]:
    """Every VM's series (None where there is none), where to report it, and the CSV column of
    every row while all come from a CSV."""
    rows: list[FloatArray | None] = []
    wheres: list[Position] = []
    csv_rows: list[int] = []
    for v, spec in vm_specs:
        if v.cpu is not None:
            rows.append(v.cpu)
            wheres.append(v.cpu_where or v.where)
            continue
        table = csvs.get(spec.file, ("", None))[1]
        col = _csv_column(v, spec, table, problems)
        wheres.append(v.where)
        if col is None:
            rows.append(None)
            continue
        assert table is not None
        rows.append(table.values[col])
        csv_rows.append(col)
    return rows, wheres, csv_rows


def _csv_column(
    v: VmSpec, spec: FileSpec, table: csvseries.CsvSeries | None, problems: list[Problem]
) -> int | None:
    """The column of the file's CSV that holds a VM's series, or None (reported unless the
    CSV itself could not be read, which was reported already)."""
    if spec.cpu_series is None:
        problems.append(
            Problem.at(
                v.where,
                f"{v.path}.cpu",
                f"VM '{v.name}' has no 'cpu' series and the file names no cpu_series CSV",
                "schema",
            )
        )
        return None
    if table is None:
        return None
    col = table.columns.get(v.name)
    if col is None:
        rel = spec.cpu_series.value
        problems.append(
            Problem.at(
                v.where,
                f"{v.path}.cpu",
                f"VM '{v.name}' has no inline 'cpu' and {rel} has no column '{v.name}'"
                f"{did_you_mean(v.name, table.columns)}",
                "reference",
            )
        )
    return col


def _check_lengths(
    vm_specs: VmSpecs,
    rows: list[FloatArray | None],
    wheres: list[Position],
    problems: list[Problem],
) -> None:
    lengths = Counter(r.size for r in rows if r is not None)
    expected = lengths.most_common(1)[0][0]
    for (v, _spec), r, where in zip(vm_specs, rows, wheres, strict=True):
        if r is not None and r.size != expected:
            problems.append(
                Problem.at(
                    where,
                    f"{v.path}.cpu",
                    f"expected {expected} samples like the other series, got {r.size}",
                    "series",
                )
            )


def _fill_gaps(
    matrix: FloatArray, vm_specs: VmSpecs, wheres: list[Position], problems: list[Problem]
) -> None:
    """Missing samples (NaN) -> the VM's own peak (100% when none is known), with a warning."""
    missing = np.isnan(matrix)
    if not missing.any():
        return
    counts = missing.sum(axis=1)
    # fmax passes over NaN, with no temporary matrix (where(missing, -1, matrix) was one)
    peaks = np.where(counts == matrix.shape[1], 100.0, np.fmax.reduce(matrix, axis=1))
    for k in np.flatnonzero(counts):
        v, _spec = vm_specs[k]
        filled = (
            "100% (no sample known)" if counts[k] == matrix.shape[1] else f"its peak {peaks[k]:g}%"
        )
        problems.append(
            Problem.at(
                wheres[k],
                f"{v.path}.cpu",
                f"{counts[k]} missing sample(s) filled with {filled}",
                "missing-samples",
                Level.WARNING,
            )
        )
    np.copyto(matrix, peaks[:, None], where=missing)


def _fractions(
    matrix: FloatArray, vm_specs: VmSpecs, wheres: list[Position], problems: list[Problem]
) -> None:
    """CPU written as fractions (0.35 for 35%) makes every VM look 100 times idler: warn when no
    sample of any series is above 1 (and some is above 0)."""
    if matrix.size and 0 < matrix.max() <= 1:
        v, _spec = vm_specs[0]
        problems.append(
            Problem.at(
                wheres[0],
                f"{v.path}.cpu",
                "every sample of every series is at most 1: values look like fractions of 1; "
                "vmplan expects percent (35 for 35%)",
                "series",
                Level.WARNING,
            )
        )


def _unused_columns(
    vm_specs: VmSpecs, specs: list[FileSpec], csvs: Csvs, problems: list[Problem]
) -> None:
    """A CSV column that matches no VM of its inventory file is read for nothing: say so once
    per file, at the first such column (a misspelt name is the usual cause)."""
    for spec in specs:
        path, table = csvs.get(spec.file, ("", None))
        if table is None:
            continue
        used = {v.name for v, s in vm_specs if s is spec and v.cpu is None}
        unused = [name for name in table.columns if name not in used]
        if not unused:
            continue
        shown = ", ".join(repr(name) for name in unused[:5])
        more = f" and {len(unused) - 5} more" if len(unused) > 5 else ""
        problems.append(
            Problem.at(
                Position(path, 1, table.at[unused[0]]),
                f"columns[{table.columns[unused[0]] + 1}]",
                f"{len(unused)} column(s) match no VM without an inline 'cpu' and are not used: "
                f"{shown}{more}",
                "series",
                Level.WARNING,
            )
        )
