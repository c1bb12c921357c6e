"""Proxmox VE: ``pvesh`` JSON for guests, nodes and each guest's ``rrddata``.

* guests: ``pvesh get /cluster/resources --type vm --output-format json`` (``vmid``, ``name``,
  ``node``, ``maxcpu``, ``maxmem``, ``template``, ``status``); templates and guests that are not
  running are skipped and named.
* nodes: ``pvesh get /nodes --output-format json`` (``node``, ``maxcpu``, ``maxmem``).
* series: a folder of ``VMID.json``, each ``pvesh get /nodes/NODE/qemu/VMID/rrddata --timeframe
  week --cf MAX --output-format json`` (``time``, ``cpu`` as a fraction of the guest's
  ``maxcpu``; an entry without ``cpu`` is a missing sample). A file for a VMID that is not a
  guest is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from vmplan.importers import jsonfile
from vmplan.importers.model import Collected, CpuUnit, HostRecord, RawSeries, Skipped, VmRecord
from vmplan.problems import InputError, Position, Problem

RULE = "proxmox"
_RRD_NAME = re.compile(r"^([0-9]+)\.json$")


def _field(
    entry: Mapping[str, object], key: str, where: Position, path: str, problems: list[Problem]
) -> object:
    if key not in entry:
        problems.append(Problem.at(where, f"{path}.{key}", f"missing key '{key}'", RULE))
        return None
    return entry[key]


def _positive(
    value: object, where: Position, path: str, what: str, problems: list[Problem], whole: bool
) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    if ok and whole and not float(value).is_integer():  # type: ignore[arg-type]
        ok = False
    if not ok:
        kind = "a whole number" if whole else "a number"
        problems.append(
            Problem.at(where, path, f"expected {kind} of {what} above 0, got {value!r}", RULE)
        )
        return None
    return float(value)  # type: ignore[arg-type]


def _entries(path: Path) -> list[tuple[Position, dict[str, object]]]:
    out = []
    problems = []
    for i, (where, value) in enumerate(jsonfile.read_array(path, str(path))):
        if not isinstance(value, dict):
            problems.append(
                Problem.at(where, f"[{i}]", f"expected an object, got {type(value).__name__}", RULE)
            )
            continue
        out.append((where, value))
    if problems:
        raise InputError(problems)
    return out


def _required(
    e: Mapping[str, object],
    keys: tuple[str, ...],
    where: Position,
    path: str,
    problems: list[Problem],
) -> dict[str, object] | None:
    """The entry's values of ``keys``, or None (with a problem per missing key)."""
    values = {k: _field(e, k, where, path, problems) for k in keys}
    return None if any(v is None for v in values.values()) else values


def _unique(
    name: str,
    where: Position,
    path: str,
    what: str,
    seen: dict[str, Position],
    problems: list[Problem],
) -> bool:
    """Whether ``name`` is new; a problem naming the first place when it is not."""
    first = seen.setdefault(name, where)
    if first is where:
        return True
    problems.append(
        Problem.at(
            where,
            path,
            f"{what} '{name}' is also at line {first.line}, column {first.column}; names must be "
            "unique",
            RULE,
        )
    )
    return False


def read_nodes(path: Path) -> list[HostRecord]:
    problems: list[Problem] = []
    hosts: list[HostRecord] = []
    seen: dict[str, Position] = {}
    for i, (where, e) in enumerate(_entries(path)):
        p = f"[{i}]"
        values = _required(e, ("node", "maxcpu", "maxmem"), where, p, problems)
        if values is None:
            continue
        name = str(values["node"])
        cpus = _positive(values["maxcpu"], where, f"{p}.maxcpu", "cores", problems, whole=False)
        mem = _positive(values["maxmem"], where, f"{p}.maxmem", "bytes", problems, whole=True)
        if not _unique(name, where, f"{p}.node", "node", seen, problems):
            continue
        if cpus is not None and mem is not None:
            hosts.append(HostRecord(name, cpus, int(mem)))
    if problems:
        raise InputError(problems)
    return hosts


def read_guests(path: Path) -> tuple[list[tuple[str, VmRecord]], list[Skipped]]:
    """(vmid, VM) of every running guest that is not a template, and the skipped ones."""
    problems: list[Problem] = []
    guests: list[tuple[str, VmRecord]] = []
    skipped: list[Skipped] = []
    seen: dict[str, Position] = {}
    for i, (where, e) in enumerate(_entries(path)):
        p = f"[{i}]"
        if e.get("type") not in (None, "qemu", "lxc"):
            continue  # /cluster/resources without --type vm also lists nodes and storage
        values = _required(e, ("vmid", "name", "node", "maxcpu", "maxmem"), where, p, problems)
        if values is None:
            continue
        name = str(values["name"]).strip()
        vmid = str(values["vmid"])
        if e.get("template") in (1, True, "1"):
            skipped.append(Skipped(name, f"a template (vmid {vmid})"))
            continue
        status = e.get("status", "running")
        if status != "running":
            skipped.append(Skipped(name, f"{status}, not running (vmid {vmid})"))
            continue
        vcpus = _positive(values["maxcpu"], where, f"{p}.maxcpu", "vCPUs", problems, whole=True)
        mem = _positive(values["maxmem"], where, f"{p}.maxmem", "bytes", problems, whole=True)
        if not _unique(name, where, f"{p}.name", "guest name", seen, problems):
            continue
        if vcpus is not None and mem is not None:
            guests.append((vmid, VmRecord(name, str(values["node"]), int(vcpus), int(mem))))
    if problems:
        raise InputError(problems)
    return guests, skipped


def read_rrd(path: Path, vm: str) -> RawSeries:
    """One guest's rrddata: ``cpu`` (a fraction of its vCPUs) at ``time``."""
    problems: list[Problem] = []
    times: list[float] = []
    values: list[float] = []
    lines: list[int] = []
    for i, (where, e) in enumerate(_entries(path)):
        t = e.get("time")
        cpu = e.get("cpu")
        if not isinstance(t, (int, float)) or isinstance(t, bool):
            problems.append(
                Problem.at(where, f"[{i}].time", f"expected Unix seconds, got {t!r}", RULE)
            )
            continue
        if cpu is not None and (not isinstance(cpu, (int, float)) or isinstance(cpu, bool)):
            problems.append(
                Problem.at(
                    where,
                    f"[{i}].cpu",
                    f"expected a fraction of the guest's vCPUs, got {cpu!r}",
                    RULE,
                )
            )
            continue
        times.append(float(t))
        values.append(np.nan if cpu is None else float(cpu))
        lines.append(where.line)
    if problems:
        raise InputError(problems)
    return RawSeries(
        vm,
        np.array(times),
        np.array(values),
        CpuUnit.FRACTION,
        str(path),
        np.array(lines, dtype=np.int64),
    )


def collect(resources: Path, nodes: Path, rrd_dir: Path | None) -> Collected:
    problems: list[Problem] = []
    hosts: list[HostRecord] = []
    guests: list[tuple[str, VmRecord]] = []
    skipped: list[Skipped] = []
    try:
        hosts = read_nodes(nodes)
    except InputError as exc:
        problems += exc.problems
    try:
        guests, skipped = read_guests(resources)
    except InputError as exc:
        problems += exc.problems
    by_id = {vmid: vm.name for vmid, vm in guests}
    series: list[RawSeries] = []
    if rrd_dir is not None:
        try:
            names = sorted(p.name for p in rrd_dir.iterdir())
        except OSError as exc:
            problems.append(
                Problem(str(rrd_dir), 0, 0, "", f"cannot read the folder: {exc.strerror}", RULE)
            )
            names = []
        for name in names:
            m = _RRD_NAME.match(name)
            if m is None:
                continue
            vm = by_id.get(m.group(1))
            if vm is None:
                skipped.append(
                    Skipped(
                        name, f"rrddata of vmid {m.group(1)}, not a running guest in {resources}"
                    )
                )
                continue
            try:
                series.append(read_rrd(rrd_dir / name, vm))
            except InputError as exc:
                problems += exc.problems
    if problems:
        raise InputError(problems)
    source = str(resources)
    return Collected(
        source, tuple(hosts), tuple(vm for _id, vm in guests), tuple(series), tuple(skipped)
    )
