"""Load inventory files into one valid :class:`~vmplan.model.Inventory`, or report every problem.

The tiers, one module each: :mod:`.read` (size, encoding, binary data), :mod:`.yamlnodes` (YAML
syntax and its limits), :mod:`.schema` with :mod:`.entries` (per file: keys, types, units,
ranges), :mod:`.merge` (across files: agreeing settings, unique names, references) and
:mod:`.demand` (series from inline values, :mod:`.series`, or a ``cpu_series`` CSV,
:mod:`.paths`, :mod:`.csvseries` and :mod:`.csvtimes`; equal lengths, gaps filled). The number
rules are stated in :mod:`.numbers`, deceptive names warned about by :mod:`.names`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from vmplan.inventory import demand, merge, read, schema
from vmplan.inventory import yamlnodes as yn
from vmplan.inventory.demand import MAX_CSV_BYTES
from vmplan.inventory.paths import series_path
from vmplan.inventory.specs import FileSpec
from vmplan.model import Inventory
from vmplan.problems import InputError, Level, Position, Problem

__all__ = ["MAX_CSV_BYTES", "MAX_YAML_BYTES", "Loaded", "load"]

MAX_YAML_BYTES = 256 << 20
#: Inventory files of fewer bytes in all are read in turn, whatever ``each`` is: a worker process
#: takes about 0.3 s to start (measured), as long as 600 KB of YAML takes to read.
PARALLEL_BYTES = 1 << 20

#: A file's entries (None when it cannot be read) and the problems found in it.
FileRead = tuple[FileSpec | None, list[Problem]]
#: How the files are read: ``each(read, paths, then)`` calls ``then(read(path))`` for every path,
#: in order. ``read`` may run in other processes; ``then`` runs in this one.
Each = Callable[
    [Callable[[str | Path], FileRead], Sequence[str | Path], Callable[[FileRead], None]], None
]


def _in_turn(
    read: Callable[[str | Path], FileRead],
    paths: Sequence[str | Path],
    then: Callable[[FileRead], None],
) -> None:
    for path in paths:
        then(read(path))


@dataclass(frozen=True, slots=True, eq=False)
class Loaded:
    inventory: Inventory
    warnings: tuple[Problem, ...]
    sources: tuple[Path, ...] = ()  # every file read: the inventories and their cpu_series CSVs


def load(
    paths: Sequence[str | Path],
    max_yaml_bytes: int = MAX_YAML_BYTES,
    series_roots: Sequence[Path] = (),
    each: Each | None = None,
) -> Loaded:
    """Read and merge inventory files. Raises :class:`InputError` with every problem found.

    A ``cpu_series`` CSV is read only from the inventory's own folder (or below it) or from one
    of ``series_roots`` (see :mod:`.paths`). The files are read by ``each`` (in turn by default;
    a pool of processes reads a fleet's YAML while this process reads each file's CSV as soon as
    the file is read), then merged. The CSVs are read before the merge has checked the files
    against each other: when it finds an error, their problems are not reported."""
    problems: list[Problem] = []
    specs: list[FileSpec] = []
    csvs: demand.Csvs = {}
    csv_problems: list[Problem] = []

    def then(got: FileRead) -> None:
        spec, found = got
        problems.extend(found)
        if spec is None:
            return
        specs.append(spec)
        series = demand.read_series(spec, series_roots)
        if series is not None:
            shown, table, found = series
            csvs[spec.file] = (shown, table)
            csv_problems.extend(found)

    reader = each if each is not None and _worth_workers(paths) else _in_turn
    reader(partial(read_file, max_bytes=max_yaml_bytes), paths, then)
    try:
        inventory = _build(specs, csvs, csv_problems, problems)
    except MemoryError:  # the series of a fleet too large for the memory there is
        files = ", ".join(str(p) for p in paths)
        problems.append(read.out_of_memory(files))
        inventory = None
    if inventory is None or _errors(problems):
        raise InputError(problems)
    sources = (*(Path(p) for p in paths), *_csv_sources(specs, series_roots))
    return Loaded(inventory, tuple(sorted(problems, key=Problem.sort_key)), sources)


def read_file(path: str | Path, max_bytes: int) -> FileRead:
    """One inventory file, on its own (a module-level function: it pickles, so that a worker
    process can read it)."""
    shown = str(path)
    try:
        text, problems = read.read_text(Path(path), shown, max_bytes)
        if text is None:
            return None, problems
        try:
            root = yn.compose(text)
        except yn.YamlError as exc:
            where = Position(shown, exc.line, exc.column)
            return None, [Problem.at(where, "", exc.message, "syntax")]
        del text
        return schema.read_file(shown, root)
    except MemoryError:
        return None, [read.out_of_memory(shown)]


def _worth_workers(paths: Sequence[str | Path]) -> bool:
    """Whether the files may be read by other processes, and are large enough for it to pay:
    regular files only (another process cannot open this one's ``/dev/fd/63`` of a ``<(...)``,
    nor read a pipe it reads), of at least :data:`PARALLEL_BYTES` in all."""
    total = 0
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            return False  # reading it here will say why
        if not stat.S_ISREG(info.st_mode):
            return False
        total += info.st_size
    return total >= PARALLEL_BYTES


def _csv_sources(specs: list[FileSpec], roots: Sequence[Path]) -> list[Path]:
    """The cpu_series CSVs the files name (as they were read: the inventory is valid)."""
    out = []
    for spec in specs:
        if spec.cpu_series is not None:
            path = series_path(spec.file, spec.cpu_series.value, roots)
            if isinstance(path, Path):
                out.append(path)
    return out


def _errors(problems: list[Problem]) -> bool:
    return any(p.level is Level.ERROR for p in problems)


def _build(
    specs: list[FileSpec], csvs: demand.Csvs, csv_problems: list[Problem], problems: list[Problem]
) -> Inventory | None:
    """The inventory of the merged files, or None; the problems found go to ``problems``.

    An error in one file does not stop the merge and the series checks: they report what they
    find among the entries that could be read. An error in the merge does (the CSVs' problems
    are then not reported: their VMs' series cannot be matched)."""
    merged, found = merge.merge(specs)
    matrix = None
    if not _errors(found):
        found += csv_problems
        matrix = demand.demand(merged.vm_specs, specs, csvs, found, merged.start, merged.interval_s)
    problems += found
    if matrix is None or _errors(found):
        return None
    return Inventory(
        merged.hosts,
        merged.vms,
        merged.rules,
        matrix,
        merged.interval_s,
        merged.start,
        tuple(s.file for s in specs),
    )
