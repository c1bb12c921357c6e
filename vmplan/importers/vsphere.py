"""VMware vSphere: RVTools ``vInfo`` and ``vHost`` tabs saved as CSV, and PowerCLI ``Get-Stat``
CSV for the series.

RVTools renamed columns between versions; both spellings are accepted (see the alias tables).
Its ``Memory`` columns count MiB whether the header says MB (older versions, VMware's MB) or
MiB. ``Get-Stat -Stat cpu.usage.average`` rows (``MetricId, Timestamp, Value, Unit, Instance,
Entity, IntervalSecs``) give percent of the VM's vCPUs; only the aggregate instance (an empty
``Instance``) is read. A time without a zone is read as UTC. Templates and powered-off VMs are
skipped and named. RVTools has no series: VMs without one are named, their series left missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from vmplan.importers import tables
from vmplan.importers.model import Collected, CpuUnit, HostRecord, RawSeries, Skipped, VmRecord
from vmplan.problems import InputError, Problem

RULE = "vsphere"
MIB = 1 << 20
VINFO_REQUIRED = {
    "vm": ("VM", "VM Name", "Name"),
    "host": ("Host",),
    "cpus": ("CPUs", "Num CPU", "# CPU"),
    "memory": ("Memory", "Memory MiB", "Memory MB", "Memory (MiB)", "Memory (MB)"),
    "power": ("Powerstate", "Power state", "PowerState"),
}
VINFO_OPTIONAL = {
    "template": ("Template",),
    "cluster": ("Cluster",),
    "rules": ("Cluster rule(s)", "Cluster rules", "Cluster rule"),
}
VHOST_REQUIRED = {
    "host": ("Host", "Name"),
    "cores": ("# Cores", "Cores", "# CPU Cores", "Num CPU Cores"),
    "memory": ("# Memory", "Memory", "# Memory MiB", "# Memory MB", "Memory MiB", "Memory MB"),
}
VHOST_OPTIONAL = {
    "maintenance": ("in Maintenance Mode", "Maintenance Mode", "In Maintenance"),
    "cluster": ("Cluster",),
}
STATS_REQUIRED = {
    "metric": ("MetricId",),
    "time": ("Timestamp",),
    "value": ("Value",),
    "unit": ("Unit",),
    "instance": ("Instance",),
    "entity": ("Entity",),
}
CPU_METRIC = "cpu.usage.average"
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0", ""}
_US_TIME = re.compile(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(:\d{2})?( [AP]M)?$")


def sniff(path: Path, shown: str, max_bytes: int = tables.MAX_BYTES) -> str:
    """Which RVTools tab a CSV holds: 'vinfo' (it has a power state column) or 'vhost'."""
    head = tables.read_text(path, shown, "CSV", max_bytes).split("\n", 3)[:3]
    text = "\n".join(head).lower()
    return "vinfo" if "powerstate" in text or "power state" in text else "vhost"


def _count(cell: str) -> float | None:
    try:
        value = float(cell.replace(",", ""))  # RVTools writes 1,024 in some locales
    except ValueError:
        return None
    return value if value > 0 and np.isfinite(value) else None


def _flag(check: list[Problem], table: tables.Table, row: tables.Row, key: str) -> bool:
    cell = row.cells.get(key, "").lower()
    if cell in _TRUE:
        return True
    if cell not in _FALSE:
        check.append(tables.problem(table, row, key, f"expected True or False, got {cell!r}"))
    return False


def _no_mib(table: tables.Table, row: tables.Row) -> Problem:
    return tables.problem(
        table, row, "memory", f"expected MiB above 0, got {row.cells['memory']!r}"
    )


def read_vhost(path: Path, max_bytes: int = tables.MAX_BYTES) -> list[HostRecord]:
    shown = str(path)
    table = tables.read_table(
        tables.read_text(path, shown, "CSV", max_bytes), shown, VHOST_REQUIRED, VHOST_OPTIONAL
    )
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    out = []
    for row in table:
        name = row.cells["host"]
        cores = _count(row.cells["cores"])
        mib = _count(row.cells["memory"])
        maintenance = _flag(problems, table, row, "maintenance")
        if cores is None:
            problems.append(
                tables.problem(
                    table,
                    row,
                    "cores",
                    f"expected a number of cores above 0, got {row.cells['cores']!r}",
                )
            )
        if mib is None:
            problems.append(_no_mib(table, row))
        if not name:
            problems.append(
                tables.problem(table, row, "host", "expected a host name, got an empty cell")
            )
        elif name in seen:
            problems.append(
                tables.problem(table, row, "host", f"host '{name}' is also on line {seen[name]}")
            )
        elif cores is not None and mib is not None:
            seen[name] = row.line
            out.append(HostRecord(name, cores, round(mib * MIB), maintenance))
    if problems:
        raise InputError(problems)
    return out


def read_vinfo(
    path: Path, max_bytes: int = tables.MAX_BYTES
) -> tuple[list[VmRecord], list[Skipped]]:
    shown = str(path)
    table = tables.read_table(
        tables.read_text(path, shown, "CSV", max_bytes), shown, VINFO_REQUIRED, VINFO_OPTIONAL
    )
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    vms: list[VmRecord] = []
    skipped: list[Skipped] = []
    for row in table:
        name = row.cells["vm"]
        if not name:
            problems.append(
                tables.problem(table, row, "vm", "expected a VM name, got an empty cell")
            )
            continue
        if name in seen:
            problems.append(
                tables.problem(
                    table,
                    row,
                    "vm",
                    f"VM '{name}' is also on line {seen[name]}; names must be unique",
                )
            )
            continue
        seen[name] = row.line
        if _flag(problems, table, row, "template"):
            skipped.append(Skipped(name, "a template"))
            continue
        power = row.cells["power"]
        if power.lower() not in ("poweredon", "powered on", "on"):
            skipped.append(Skipped(name, f"{power or 'no power state'}, not powered on"))
            continue
        vcpus = _count(row.cells["cpus"])
        mib = _count(row.cells["memory"])
        if vcpus is None or not vcpus.is_integer():
            problems.append(
                tables.problem(
                    table,
                    row,
                    "cpus",
                    f"expected a whole number of vCPUs above 0, got {row.cells['cpus']!r}",
                )
            )
        if mib is None:
            problems.append(_no_mib(table, row))
        if not row.cells["host"]:
            problems.append(
                tables.problem(
                    table, row, "host", f"expected the host of VM '{name}', got an empty cell"
                )
            )
        elif vcpus is not None and vcpus.is_integer() and mib is not None:
            vms.append(VmRecord(name, row.cells["host"], int(vcpus), round(mib * MIB)))
    ruled = sorted(row.cells["vm"] for row in table if row.cells.get("rules"))
    if ruled:
        skipped.append(
            Skipped(
                "Cluster rule(s)",
                f"DRS rules of {', '.join(ruled[:5])}{', ...' if len(ruled) > 5 else ''} are not "
                "imported (RVTools names rules, not their kind): write them under 'rules:'",
            )
        )
    if problems:
        raise InputError(problems)
    return vms, skipped


def parse_time(text: str) -> float:
    """ISO 8601 (UTC without a zone) or PowerShell's US form ``11/27/2026 10:05:00 AM``."""
    if _US_TIME.match(text):
        for fmt in (
            "%m/%d/%Y %I:%M:%S %p",
            "%m/%d/%Y %H:%M:%S",
            "%m/%d/%Y %I:%M %p",
            "%m/%d/%Y %H:%M",
        ):
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
            except ValueError:
                continue
    t = datetime.fromisoformat(text)
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()


def read_stats(path: Path, max_bytes: int = tables.MAX_BYTES) -> tuple[list[RawSeries], int]:
    """The aggregate ``cpu.usage.average`` series of every entity; and the rows left aside."""
    shown = str(path)
    table = tables.read_table(
        tables.read_text(path, shown, "CSV", max_bytes), shown, STATS_REQUIRED
    )
    problems: list[Problem] = []
    acc: dict[str, tuple[list[float], list[float], list[int]]] = {}
    other = 0
    for row in table:
        if row.cells["metric"] != CPU_METRIC or row.cells["instance"]:
            other += 1
            continue
        if row.cells["unit"] != "%":
            problems.append(
                tables.problem(
                    table,
                    row,
                    "unit",
                    f"expected the unit '%' for {CPU_METRIC}, got {row.cells['unit']!r}",
                )
            )
            continue
        try:
            t = parse_time(row.cells["time"])
        except ValueError:
            problems.append(
                tables.problem(
                    table,
                    row,
                    "time",
                    f"expected a time like 2026-11-27T10:05:00Z or 11/27/2026 10:05:00 AM, got {row.cells['time']!r}",
                )
            )
            continue
        try:
            value = float(row.cells["value"]) if row.cells["value"] else np.nan
        except ValueError:
            problems.append(
                tables.problem(
                    table, row, "value", f"expected a percentage, got {row.cells['value']!r}"
                )
            )
            continue
        times, values, lines = acc.setdefault(row.cells["entity"], ([], [], []))
        times.append(t)
        values.append(value)
        lines.append(row.line)
    if problems:
        raise InputError(problems)
    series = [
        RawSeries(
            name, np.array(t), np.array(v), CpuUnit.PERCENT, shown, np.array(ln, dtype=np.int64)
        )
        for name, (t, v, ln) in sorted(acc.items())
    ]
    return series, other


def collect(rvtools: Sequence[Path], stats: Sequence[Path]) -> Collected:
    problems: list[Problem] = []
    hosts: list[HostRecord] = []
    vms: list[VmRecord] = []
    skipped: list[Skipped] = []
    series: list[RawSeries] = []
    kinds: dict[str, list[Path]] = {"vinfo": [], "vhost": []}
    for path in rvtools:
        try:
            with path.open("rb") as f:
                zipped = f.read(4) == b"PK\x03\x04"
            if zipped:
                problems.append(
                    Problem(
                        str(path),
                        0,
                        0,
                        "",
                        "an .xlsx workbook: save its vInfo and vHost tabs as CSV (File > Save As > CSV UTF-8) and give both",
                        RULE,
                    )
                )
                continue
            kinds[sniff(path, str(path))].append(path)
        except (InputError, OSError) as exc:
            problems += (
                exc.problems
                if isinstance(exc, InputError)
                else [Problem(str(path), 0, 0, "", f"cannot read: {exc.strerror}", "input")]
            )
    for kind, readme in (("vinfo", "vInfo"), ("vhost", "vHost")):
        if not kinds[kind] and not problems:
            problems.append(
                Problem(
                    ", ".join(str(p) for p in rvtools),
                    0,
                    0,
                    "",
                    f"no {readme} tab among the --rvtools files (a vInfo CSV has a 'Powerstate' column, a vHost CSV none)",
                    RULE,
                )
            )
    for path in kinds["vhost"]:
        try:
            hosts += read_vhost(path)
        except InputError as exc:
            problems += exc.problems
    for path in kinds["vinfo"]:
        try:
            found, left = read_vinfo(path)
            vms += found
            skipped += left
        except InputError as exc:
            problems += exc.problems
    for path in stats:
        try:
            found_series, other = read_stats(path)
            series += found_series
            if other:
                skipped.append(
                    Skipped(str(path), f"{other} row(s) of other metrics or per-CPU instances")
                )
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    source = str(kinds["vinfo"][0])
    return Collected(source, tuple(hosts), tuple(vms), tuple(series), tuple(skipped))
