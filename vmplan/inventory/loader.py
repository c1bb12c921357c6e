"""Load inventory files into one valid :class:`~vmplan.model.Inventory`, or report every problem.

The tiers, one module each: :mod:`.read` (size, encoding, binary data), :mod:`.yamlnodes` (YAML
syntax and its limits), :mod:`.schema` with :mod:`.entries` (per file: keys, types, units,
ranges), :mod:`.merge` (across files: agreeing settings, unique names, references) and
:mod:`.demand` (series from inline values, :mod:`.series`, or a ``cpu_series`` CSV,
:mod:`.paths`, :mod:`.csvseries` and :mod:`.csvtimes`; equal lengths, gaps filled). The number
rules are stated in :mod:`.numbers`, deceptive names warned about by :mod:`.names`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True, eq=False)
class Loaded:
    inventory: Inventory
    warnings: tuple[Problem, ...]
    sources: tuple[Path, ...] = ()  # every file read: the inventories and their cpu_series CSVs


def load(
    paths: Sequence[str | Path],
    max_yaml_bytes: int = MAX_YAML_BYTES,
    series_roots: Sequence[Path] = (),
) -> Loaded:
    """Read and merge inventory files. Raises :class:`InputError` with every problem found.

    A ``cpu_series`` CSV is read only from the inventory's own folder (or below it) or from one
    of ``series_roots`` (see :mod:`.paths`)."""
    problems: list[Problem] = []
    specs: list[FileSpec] = []
    for path in paths:
        spec, found = _read_one(Path(path), str(path), max_yaml_bytes)
        problems += found
        if spec is not None:
            specs.append(spec)
    try:
        inventory = _build(specs, problems, series_roots)
    except MemoryError:  # the series of a fleet too large for the memory there is
        files = ", ".join(str(p) for p in paths)
        problems.append(read.out_of_memory(files))
        inventory = None
    if inventory is None or _errors(problems):
        raise InputError(problems)
    sources = (*(Path(p) for p in paths), *_csv_sources(specs, series_roots))
    return Loaded(inventory, tuple(sorted(problems, key=Problem.sort_key)), sources)


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


def _read_one(path: Path, shown: str, max_bytes: int) -> tuple[FileSpec | None, list[Problem]]:
    try:
        text, problems = read.read_text(path, shown, max_bytes)
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


def _build(
    specs: list[FileSpec], problems: list[Problem], roots: Sequence[Path]
) -> Inventory | None:
    """The inventory of the merged files, or None; the problems found go to ``problems``.

    An error in one file does not stop the merge and the series checks: they report what they
    find among the entries that could be read."""
    merged, found = merge.merge(specs)
    matrix = None
    if not _errors(found):
        matrix = demand.demand(
            merged.vm_specs, specs, found, merged.start, merged.interval_s, roots
        )
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
