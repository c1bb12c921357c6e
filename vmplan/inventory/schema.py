"""Schema tier: one file's node tree -> a :class:`FileSpec` of typed values with positions.

Checks shape, keys (unknown ones with the closest valid spelling), types, units and ranges, and
collects every problem of the file rather than stopping at the first. The top-level settings are
read here, the host, VM and rule entries by :mod:`.entries`; cross-file checks (names, references)
belong to :mod:`.merge`, series lengths to :mod:`.demand`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from vmplan import units
from vmplan.inventory import entries
from vmplan.inventory import yamlnodes as yn
from vmplan.inventory.specs import (
    HOST_KEYS,
    LIMIT_KEYS,
    RULE_KEYS,
    SUPPORTED_VERSIONS,
    TOP_KEYS,
    VM_KEYS,
    FileSpec,
    Located,
)
from vmplan.inventory.walker import MAX_PROBLEMS, TooMany, Walker
from vmplan.problems import Position, Problem

__all__ = [
    "HOST_KEYS",
    "LIMIT_KEYS",
    "MAX_PROBLEMS",
    "RULE_KEYS",
    "TOP_KEYS",
    "VM_KEYS",
    "read_file",
]


def read_file(file: str, root: yn.Node | None) -> tuple[FileSpec, list[Problem]]:
    """Validate one document's schema; return what could be read and every problem found."""
    w = Walker(file)
    spec = FileSpec(file)
    try:
        _read(w, spec, root)
    except TooMany:
        last = w.problems[-1]
        w.problems.append(
            Problem(
                file,
                last.line,
                last.column,
                "",
                f"stopped after {len(w.problems)} problems in this file; fix these first",
                "schema",
            )
        )
        spec.hosts_written = True  # what was not read is not missing
    return spec, w.problems


def _read(w: Walker, spec: FileSpec, root: yn.Node | None) -> None:
    if root is None:
        w.problems.append(
            Problem.at(
                Position(w.file, 1, 1),
                "",
                "the file is empty; expected an inventory with 'version: 1'",
                "schema",
            )
        )
        return
    top = w.mapping(root, "", TOP_KEYS, required=("version",))
    if top is None:
        return
    spec.top_level_read = True
    nodes = {key: value for key, (_, value) in top.items()}
    _settings(w, spec, nodes)
    _lists(w, spec, nodes)


def _settings(w: Walker, spec: FileSpec, top: dict[str, yn.Node]) -> None:
    """version, interval, start, limits and cpu_series."""
    if "version" in top:
        node = top["version"]
        v = w.typed(node, "version", "the format version 1", _version)
        if v is not None and v not in SUPPORTED_VERSIONS:
            w.error(node, "version", f"unsupported version {v}; this vmplan reads version 1")
        spec.version = Located(v, w.at(node))
    if "interval" in top:
        node = top["interval"]
        seconds = w.unit(node, "interval", "a duration like '5m'", units.parse_duration)
        if seconds is not None:
            spec.interval = Located(seconds, w.at(node))
    if "start" in top:
        node = top["start"]
        when = w.typed(node, "start", "a time like '2026-11-02T00:00:00Z'", _start)
        if when is not None:
            spec.start = Located(when, w.at(node))
    if "limits" in top:
        spec.limits = w.limits(top["limits"], "limits")
    if "cpu_series" in top:
        node = top["cpu_series"]
        path = w.typed(node, "cpu_series", "a path to a CSV file", _text)
        if path is not None:
            spec.cpu_series = Located(path, w.at(node))


def _lists(w: Walker, spec: FileSpec, top: dict[str, yn.Node]) -> None:
    """hosts, vms and rules: each a list of entries."""
    for key, reader in (("hosts", entries.host), ("vms", entries.vm), ("rules", entries.rule)):
        if key not in top:
            continue
        node = top[key]
        if isinstance(node, yn.Scalar) and yn.plain_value(node) is None:
            continue  # "hosts:" with nothing under it is an empty list
        if key == "hosts":
            spec.hosts_written = not isinstance(node, yn.Sequence) or bool(node.items)
        if not isinstance(node, yn.Sequence):
            w.error(node, key, f"expected a list of {key}, got {yn.kind_name(node)}")
            continue
        for i, item in enumerate(node.items):
            reader(w, item, f"{key}[{i}]", spec)


def _version(v: yn.PlainValue) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _text(v: yn.PlainValue) -> str | None:
    return v if isinstance(v, str) and v else None


def _start(v: yn.PlainValue) -> datetime | None:
    if not isinstance(v, str):
        return None
    try:
        t = datetime.fromisoformat(v.strip())
    except ValueError:
        raise ValueError(
            f"expected a time like '2026-11-02T00:00:00Z' (ISO 8601), got {v!r}"
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)
