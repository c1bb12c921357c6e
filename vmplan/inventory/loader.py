"""Load inventory files into one valid :class:`~vmplan.model.Inventory`, or report every problem.

Tiers: reading (size, encoding, binary), YAML syntax, schema (per file), then across the merged
files: unique names (the second definition is the one reported), references from ``host:`` and
rules, a ``cpu_series`` column for every VM without an inline series, and equal series lengths.

Missing samples are filled with the VM's own highest observed value, so a gap in the data can
never make a host look emptier than it may have been; each filled VM gets a warning.

A large ``cpu_series`` CSV named on a line of its own (``cpu_series: file.csv``) is parsed by
another process (:mod:`.prefetch`) while this one parses and checks the YAML; the result is used
only if the checked inventory names that very file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from vmplan.inventory import files, schema, series
from vmplan.inventory import yamlnodes as yn
from vmplan.inventory.prefetch import Prefetch
from vmplan.model import VM, FloatArray, Host, Inventory, Rule
from vmplan.problems import InputError, Level, Position, Problem, did_you_mean

MAX_YAML_BYTES = 256 << 20
MAX_CSV_BYTES = 2 << 30
DEFAULT_INTERVAL_S = 300


@dataclass(frozen=True, slots=True, eq=False)
class Loaded:
    inventory: Inventory
    warnings: tuple[Problem, ...]
    sources: tuple[Path, ...] = ()  # every file read: the inventories and their cpu_series CSVs


def load(paths: Sequence[str | Path], max_yaml_bytes: int = MAX_YAML_BYTES) -> Loaded:
    """Read and merge inventory files. Raises :class:`InputError` with every problem found."""
    problems: list[Problem] = []
    specs: list[schema.FileSpec] = []
    early: dict[str, Prefetch] = {}
    try:
        for path in paths:
            spec, found = _read_one(Path(path), str(path), max_yaml_bytes, early)
            problems += found
            if spec is not None:
                specs.append(spec)
        inventory, found = _merge(specs, early)
    finally:
        for unused in early.values():  # a YAML error, or the file names another CSV
            unused.cancel()
    problems += found
    if inventory is None or _errors(problems):
        raise InputError(problems)
    csvs = [_csv_path(s.file, str(s.cpu_series.value)) for s in specs if s.cpu_series is not None]
    sources = (*(Path(p) for p in paths), *csvs)
    return Loaded(inventory, tuple(sorted(problems, key=Problem.sort_key)), sources)


def _errors(problems: list[Problem]) -> bool:
    return any(p.level is Level.ERROR for p in problems)


_CPU_SERIES_LINE = re.compile(r"cpu_series:[ \t]*(['\"]?)([^'\"#\r\n]+?)\1[ \t]*\r?")


def _named_csv(text: str) -> str | None:
    """The file on a top-level ``cpu_series: name`` line, the name maybe quoted; None if there is
    no such line (anything fancier is read later, by the schema). A substring search finds the
    line: a pattern tried at every line start took 1.6 s over 85 MB of inline series."""
    at = 0 if text.startswith("cpu_series:") else text.find("\ncpu_series:") + 1
    if at == 0 and not text.startswith("cpu_series:"):
        return None
    end = text.find("\n", at)
    named = _CPU_SERIES_LINE.fullmatch(text, at, end if end >= 0 else len(text))
    return named.group(2) if named else None


def _csv_path(yaml_shown: str, rel: str) -> Path:
    return Path(yaml_shown).parent / rel


def _read_one(
    path: Path, shown: str, max_bytes: int, early: dict[str, Prefetch]
) -> tuple[schema.FileSpec | None, list[Problem]]:
    top = Position(shown, 0, 0)
    try:
        size = path.stat().st_size
        if path.is_dir():
            return None, [
                Problem.at(top, "", "expected an inventory file, got a directory", "input")
            ]
        if size > max_bytes:
            return None, [
                Problem.at(
                    top,
                    "",
                    f"file is {size / 2**20:,.0f} MiB, over the {max_bytes >> 20} MiB limit for an "
                    "inventory; keep long series in a cpu_series CSV",
                    "input",
                )
            ]
        data = files.read_limited(path, max_bytes)  # a pipe or device has no size to check
    except FileNotFoundError:
        return None, [Problem.at(top, "", "no such file", "input")]
    except OSError as exc:
        return None, [Problem.at(top, "", f"cannot read the file: {exc.strerror}", "input")]
    not_text = files.text_problem(data, "YAML")
    if not_text:
        return None, [Problem.at(Position(shown, 1, 1), "", not_text, "input")]
    if len(data) > max_bytes:
        return None, [
            Problem.at(
                top,
                "",
                f"file is over the {max_bytes >> 20} MiB limit for an inventory; keep long series "
                "in a cpu_series CSV",
                "input",
            )
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            Problem.at(
                Position(shown, line, col),
                "",
                f"expected UTF-8 text, found byte 0x{data[exc.start]:02x}",
                "input",
            )
        ]
    del data
    named = _named_csv(text)
    if named and str(_csv_path(shown, named)) not in early:
        csv = _csv_path(shown, named)
        job = Prefetch.start(csv, MAX_CSV_BYTES)
        if job is not None:
            early[str(csv)] = job
    try:
        root = yn.compose(text)
    except yn.YamlError as exc:
        return None, [Problem.at(Position(shown, exc.line, exc.column), "", exc.message, "syntax")]
    spec, problems = schema.read_file(shown, root)
    return spec, problems


def _merge(
    specs: list[schema.FileSpec], early: dict[str, Prefetch]
) -> tuple[Inventory | None, list[Problem]]:
    problems: list[Problem] = []
    broken = set().union(*(s.broken_names for s in specs))

    def single(attr: str) -> schema.Located | None:
        """A top-level setting that several files may repeat only with the same value."""
        first: schema.Located | None = None
        for spec in specs:
            here = getattr(spec, attr)
            if here is None:
                continue
            if first is None:
                first = here
            elif here.value != first.value:
                f = first.where
                problems.append(
                    Problem.at(
                        here.where,
                        attr,
                        f"differs from {f.file}:{f.line} ({first.value}); merged files must agree",
                        "merge",
                    )
                )
        return first

    interval = single("interval")
    start = single("start")
    limits: dict[str, schema.Located] = {}
    for spec in specs:
        for key, here in spec.limits.items():
            if key in limits and limits[key].value != here.value:
                f = limits[key].where
                problems.append(
                    Problem.at(
                        here.where,
                        f"limits.{key}",
                        f"differs from {f.file}:{f.line}; merged files must agree",
                        "merge",
                    )
                )
            limits.setdefault(key, here)
    cpu_default = float(limits["cpu"].value) if "cpu" in limits else 1.0  # type: ignore[arg-type]
    mem_default = float(limits["memory"].value) if "memory" in limits else 1.0  # type: ignore[arg-type]

    hosts: list[Host] = []
    seen_hosts: dict[str, Position] = {}
    for spec in specs:
        for h in spec.hosts:
            if _duplicate(h.name, h.where, seen_hosts, "host", f"{h.path}.name", problems):
                continue
            hosts.append(
                Host(
                    h.name,
                    h.cores,
                    h.memory_bytes,
                    h.cpu_limit if h.cpu_limit is not None else cpu_default,
                    h.memory_limit if h.memory_limit is not None else mem_default,
                    h.maintenance,
                    h.where,
                )
            )
    # "no host" only when no file lists one: an invalid host or an unreadable file says enough
    if not any(s.hosts_written for s in specs) and specs and all(s.top_level_read for s in specs):
        problems.append(
            Problem.at(
                Position(specs[0].file, 1, 1),
                "hosts",
                "expected at least one host, found none",
                "schema",
            )
        )

    vms: list[VM] = []
    vm_specs: list[tuple[schema.VmSpec, schema.FileSpec]] = []
    seen_vms: dict[str, Position] = {}
    for spec in specs:
        for v in spec.vms:
            if _duplicate(v.name, v.where, seen_vms, "VM", f"{v.path}.name", problems):
                continue
            if v.host.value in broken:
                continue
            if v.host.value not in seen_hosts:
                name = str(v.host.value)
                problems.append(
                    Problem.at(
                        v.host.where,
                        f"{v.path}.host",
                        f"unknown host '{name}'{did_you_mean(name, seen_hosts)}",
                        "reference",
                    )
                )
                continue
            vms.append(VM(v.name, str(v.host.value), v.vcpus, v.memory_bytes, v.where))
            vm_specs.append((v, spec))
        # a VM entry with another mistake still names its host: say now if that is unknown too
        for path, host in spec.broken_vm_hosts:
            name = str(host.value)
            if name not in seen_hosts and name not in broken:
                problems.append(
                    Problem.at(
                        host.where,
                        f"{path}.host",
                        f"unknown host '{name}'{did_you_mean(name, seen_hosts)}",
                        "reference",
                    )
                )

    rules: list[Rule] = []
    known_all = seen_vms.keys() | seen_hosts.keys()
    for spec in specs:
        for r in spec.rules:
            ok = True
            for kind, refs, known in (("VM", r.vms, seen_vms), ("host", r.hosts, seen_hosts)):
                field = "vms" if kind == "VM" else "hosts"
                for j, ref in enumerate(refs):
                    name = str(ref.value)
                    if name not in known and name not in broken:
                        ok = False
                        problems.append(
                            Problem.at(
                                ref.where,
                                f"{r.path}.{field}[{j}]",
                                f"unknown {kind} '{name}'{did_you_mean(name, known)}",
                                "reference",
                            )
                        )
            if ok and all(str(x.value) in known_all for x in (*r.vms, *r.hosts)):
                rules.append(
                    Rule(
                        r.kind,
                        tuple(str(x.value) for x in r.vms),
                        tuple(str(x.value) for x in r.hosts),
                        r.name,
                        r.where,
                    )
                )

    if _errors(problems):
        return None, problems
    interval_s = int(interval.value) if interval else DEFAULT_INTERVAL_S  # type: ignore[call-overload]
    start_at = start.value if start else None
    demand = _demand(vm_specs, specs, problems, early, start_at, interval_s)  # type: ignore[arg-type]
    if _errors(problems) or demand is None:
        return None, problems
    inventory = Inventory(
        tuple(hosts),
        tuple(vms),
        tuple(rules),
        demand,
        interval_s,
        start_at,  # type: ignore[arg-type]
        tuple(s.file for s in specs),
    )
    return inventory, problems


def _duplicate(
    name: str,
    where: Position,
    seen: dict[str, Position],
    what: str,
    path: str,
    problems: list[Problem],
) -> bool:
    first = seen.get(name)
    if first is None:
        seen[name] = where
        return False
    problems.append(
        Problem.at(
            where,
            path,
            f"duplicate {what} name '{name}' (first defined at {first.file}:{first.line})",
            "duplicate",
        )
    )
    return True


def _demand(
    vm_specs: list[tuple[schema.VmSpec, schema.FileSpec]],
    specs: list[schema.FileSpec],
    problems: list[Problem],
    early: dict[str, Prefetch],
    start: datetime | None,
    interval_s: int,
) -> FloatArray | None:
    """Gather every VM's series (inline or CSV), check lengths and CSV times, fill gaps, convert
    to cores."""
    csvs: dict[str, series.CsvSeries | None] = {}
    for spec in specs:
        if spec.cpu_series is None:
            continue
        rel = str(spec.cpu_series.value)
        path = _csv_path(spec.file, rel)
        job = early.get(str(path))
        done = job.result() if job is not None else None
        early.pop(str(path), None)  # done with; if result() raised, load() cancels it
        loaded, found = (
            done if done is not None else series.read_csv(path, str(path), MAX_CSV_BYTES)
        )
        for p in found:  # a file-level problem (missing, unreadable) belongs on the cpu_series key
            if p.line == 1 and p.column == 1 and p.rule == "input":
                w = spec.cpu_series.where
                p = Problem(
                    w.file, w.line, w.column, "cpu_series", f"{rel}: {p.message}", p.rule, p.level
                )
            problems.append(p)
        if loaded is not None:
            problems += series.check_times(loaded, str(path), start, interval_s)
        csvs[spec.file] = loaded

    rows: list[FloatArray | None] = []
    wheres: list[Position] = []
    csv_rows: list[int] = []  # the CSV column of every row, while all come from a CSV
    for v, spec in vm_specs:
        if v.cpu is not None:
            rows.append(v.cpu)
            wheres.append(v.cpu_where or v.where)
            continue
        table = csvs.get(spec.file)
        if spec.cpu_series is None:
            problems.append(
                Problem.at(
                    v.where,
                    f"{v.path}.cpu",
                    f"VM '{v.name}' has no 'cpu' series and the file names no cpu_series CSV",
                    "schema",
                )
            )
        elif table is not None:
            col = table.columns.get(v.name)
            if col is None:
                rel = str(spec.cpu_series.value)
                problems.append(
                    Problem.at(
                        v.where,
                        f"{v.path}.cpu",
                        f"VM '{v.name}' has no inline 'cpu' and {rel} has no column '{v.name}'"
                        f"{did_you_mean(v.name, table.columns)}",
                        "reference",
                    )
                )
            else:
                rows.append(table.values[col])
                wheres.append(v.where)
                csv_rows.append(col)
                continue
        rows.append(None)
        wheres.append(v.where)
    if _errors(problems):
        return None
    if not rows:
        return np.zeros((0, 1), dtype=np.float64)
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
    if _errors(problems):
        return None
    present = [r for r in rows if r is not None]
    if len(present) != len(rows):  # a VM without a series must have been reported above
        raise AssertionError("a VM lost its series without a problem being reported")
    whole = next(iter(csvs.values()), None) if len(csvs) == 1 else None
    if (
        whole is not None
        and len(present) == whole.values.shape[0]
        and csv_rows == list(range(len(present)))
    ):
        matrix = whole.values  # the CSV read whole, in VM order: its array, not a 160 MB copy
    else:
        matrix = np.vstack(present).astype(np.float64, copy=False)
    missing = np.isnan(matrix)
    if missing.any():
        counts = missing.sum(axis=1)
        peaks = np.where(
            missing.all(axis=1), 100.0, np.nanmax(np.where(missing, -1.0, matrix), axis=1)
        )
        for k in np.flatnonzero(counts):
            v, _spec = vm_specs[k]
            filled = (
                "100% (no sample known)"
                if counts[k] == matrix.shape[1]
                else f"its peak {peaks[k]:g}%"
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
    vcpus = np.array([v.vcpus for v, _s in vm_specs], dtype=np.float64)
    # in place: vstack made a fresh (VMs x samples) array, and a second one is 160 MB at 10,000
    # VMs x 2,016 samples
    matrix *= vcpus[:, None] / 100.0
    return matrix
