"""Plain CSV: a long table ``timestamp,vm,cpu`` (optional ``host,vcpus,memory`` columns), plus
``--hosts hosts.csv`` (``name,cpus,memory``) and ``--vms vms.csv`` (``name,host,vcpus,memory``)
when those are not in it.

A timestamp is ISO 8601 (UTC when it has no zone) or Unix seconds; ``cpu`` is in ``--cpu-unit``
(an empty cell is a missing sample); memory is a size with a unit (``16GiB``), as in the
inventory. A VM's host, vCPUs and memory are those of its latest row.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from vmplan import units
from vmplan.importers import tables
from vmplan.importers.model import Collected, CpuUnit, HostRecord, RawSeries, VmRecord
from vmplan.problems import InputError, Problem

SERIES_REQUIRED = {"timestamp": ("timestamp", "time"), "vm": ("vm", "name"), "cpu": ("cpu",)}
VM_COLUMNS = {"host": ("host",), "vcpus": ("vcpus",), "memory": ("memory",)}
HOST_REQUIRED = {"name": ("name", "host"), "cpus": ("cpus", "cores"), "memory": ("memory",)}
VMS_REQUIRED = {"name": ("name", "vm"), **VM_COLUMNS}


def parse_stamp(text: str) -> float:
    """Unix seconds from ISO 8601 (UTC without a zone) or a number of seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    t = datetime.fromisoformat(text)
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


@dataclass(slots=True)
class _Acc:
    """One VM's samples as compact arrays while the table is read."""

    times: array[float] = field(default_factory=lambda: array("d"))
    values: array[float] = field(default_factory=lambda: array("d"))
    lines: array[int] = field(default_factory=lambda: array("q"))
    latest: float = -np.inf
    attrs: tuple[int, list[str]] | None = None  # the line and cells of its latest row


class _Checker:
    """Typed cells of a table, every problem kept."""

    def __init__(self, table: tables.Table) -> None:
        self.table = table
        self.problems: list[Problem] = []

    def bad(self, row: tables.Row, key: str, message: str) -> None:
        self.problems.append(tables.problem(self.table, row, key, message))

    def whole(self, row: tables.Row, key: str, what: str) -> int | None:
        value = _number(row.cells[key])
        if value is None or value <= 0 or not value.is_integer():
            self.bad(row, key, f"expected a whole number of {what} above 0, got {row.cells[key]!r}")
            return None
        return int(value)

    def positive(self, row: tables.Row, key: str, what: str) -> float | None:
        value = _number(row.cells[key])
        if value is None or value <= 0:
            self.bad(row, key, f"expected a number of {what} above 0, got {row.cells[key]!r}")
            return None
        return value

    def size(self, row: tables.Row, key: str) -> int | None:
        try:
            return units.parse_size(row.cells[key])
        except ValueError as exc:
            self.bad(row, key, str(exc))
            return None

    def name(self, row: tables.Row, key: str) -> str | None:
        if not row.cells[key]:
            self.bad(row, key, "expected a name, got an empty cell")
            return None
        return row.cells[key]

    def unique(self, row: tables.Row, key: str, seen: dict[str, int], what: str) -> bool:
        name = row.cells[key]
        if name in seen:
            self.bad(row, key, f"{what} '{name}' is also on line {seen[name]}")
            return False
        seen[name] = row.line
        return True


def read_hosts(path: Path, max_bytes: int = tables.MAX_BYTES) -> list[HostRecord]:
    """``name,cpus,memory`` (optional ``maintenance``: true/false)."""
    shown = str(path)
    table = tables.read_table(
        tables.read_text(path, shown, "CSV", max_bytes),
        shown,
        HOST_REQUIRED,
        {"maintenance": ("maintenance",)},
    )
    check = _Checker(table)
    seen: dict[str, int] = {}
    out = []
    for row in table:
        name = check.name(row, "name")
        cores = check.positive(row, "cpus", "cores")
        memory = check.size(row, "memory")
        flag = row.cells.get("maintenance", "").lower()
        if flag not in ("", "true", "false", "yes", "no"):
            check.bad(row, "maintenance", f"expected true or false, got {flag!r}")
        if name and check.unique(row, "name", seen, "host") and cores and memory:
            out.append(HostRecord(name, cores, memory, flag in ("true", "yes")))
    if check.problems:
        raise InputError(check.problems)
    return out


def read_vms(path: Path, max_bytes: int = tables.MAX_BYTES) -> list[VmRecord]:
    """``name,host,vcpus,memory``."""
    shown = str(path)
    table = tables.read_table(tables.read_text(path, shown, "CSV", max_bytes), shown, VMS_REQUIRED)
    check = _Checker(table)
    seen: dict[str, int] = {}
    out = []
    for row in table:
        name = check.name(row, "name")
        host = check.name(row, "host")
        vcpus = check.whole(row, "vcpus", "vCPUs")
        memory = check.size(row, "memory")
        if name and check.unique(row, "name", seen, "VM") and host and vcpus and memory:
            out.append(VmRecord(name, host, vcpus, memory))
    if check.problems:
        raise InputError(check.problems)
    return out


def read_series(
    path: Path,
    unit: CpuUnit,
    hosts: Sequence[HostRecord] = (),
    vms: Sequence[VmRecord] = (),
    max_bytes: int = tables.MAX_BYTES,
) -> Collected:
    """The long CSV; VMs come from its host/vcpus/memory columns, else from ``vms``."""
    shown = str(path)
    table = tables.read_table(
        tables.read_text(path, shown, "CSV", max_bytes), shown, SERIES_REQUIRED, VM_COLUMNS
    )
    given = [k for k in VM_COLUMNS if table.has(k)]
    if (given and len(given) < len(VM_COLUMNS)) or (not given and not vms):
        missing = ", ".join(k for k in VM_COLUMNS if not table.has(k))
        raise InputError(
            [
                Problem(
                    shown,
                    table.header_line,
                    1,
                    "header",
                    f"missing column(s) {missing}: a VM needs its host, vCPUs and memory here "
                    "or in --vms vms.csv (name,host,vcpus,memory)",
                    tables.RULE,
                )
            ]
        )
    check = _Checker(table)
    acc: dict[str, _Acc] = {}
    col = table.columns
    it, iv, ic = col["timestamp"], col["vm"], col["cpu"]
    width = max(col.values()) + 1
    stamps: dict[str, float] = {}  # a long table repeats each time once per VM
    for line, cells in table.raw():  # the fast path: a Row is built only for a problem
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        name, stamp, cell = cells[iv].strip(), cells[it].strip(), cells[ic].strip()
        t = stamps.get(stamp)
        if t is None:
            try:
                t = stamps[stamp] = parse_stamp(stamp)
            except ValueError:
                check.bad(
                    table.row(line, cells),
                    "timestamp",
                    "expected an ISO 8601 time like 2026-11-20T00:05:00Z or Unix seconds, got "
                    f"{stamp!r}",
                )
                continue
        value = np.nan if cell == "" else _number(cell)
        if value is None:
            check.bad(
                table.row(line, cells), "cpu", f"expected a number ({unit.value}), got {cell!r}"
            )
            continue
        if not name:
            check.name(table.row(line, cells), "vm")
            continue
        a = acc.get(name)
        if a is None:
            a = acc[name] = _Acc()
        a.times.append(t)
        a.values.append(value)
        a.lines.append(line)
        if given and t >= a.latest:
            a.latest = t
            a.attrs = (line, cells)
    found_vms = list(vms)
    if given:
        for name, a in sorted(acc.items()):
            assert a.attrs is not None
            row = table.row(*a.attrs)
            host = row.cells["host"]
            vcpus, memory = check.whole(row, "vcpus", "vCPUs"), check.size(row, "memory")
            if host and vcpus and memory:
                found_vms.append(VmRecord(name, host, vcpus, memory))
            elif not host:
                check.bad(row, "host", f"expected the host of VM '{name}', got an empty cell")
    if check.problems:
        raise InputError(check.problems)
    series = tuple(
        RawSeries(
            name,
            np.frombuffer(a.times, dtype=np.float64).copy(),
            np.frombuffer(a.values, dtype=np.float64).copy(),
            unit,
            shown,
            np.frombuffer(a.lines, dtype=np.int64).copy(),
        )
        for name, a in sorted(acc.items())
    )
    return Collected(shown, tuple(hosts), tuple(found_vms), series)
