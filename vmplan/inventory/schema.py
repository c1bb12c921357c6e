"""Schema tier: one file's node tree -> a :class:`FileSpec` of typed values with positions.

Checks shape, keys (unknown ones with the closest valid spelling), types, units and ranges, and
collects every problem of the file rather than stopping at the first. Cross-file checks (names,
references, series lengths) belong to :mod:`vmplan.inventory.loader`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import numpy as np

from vmplan import units
from vmplan.inventory import series
from vmplan.inventory import yamlnodes as yn
from vmplan.model import FloatArray, RuleKind
from vmplan.problems import Position, Problem, did_you_mean

SUPPORTED_VERSIONS = (1,)
TOP_KEYS = ("version", "interval", "start", "limits", "hosts", "vms", "rules", "cpu_series")
LIMIT_KEYS = ("cpu", "memory")
HOST_KEYS = ("name", "cpus", "memory", "maintenance", "limits")
VM_KEYS = ("name", "host", "vcpus", "memory", "cpu")
RULE_KEYS = ("type", "vms", "hosts", "name")
#: Past this many problems in one file, more messages are noise (and, for a hostile file of
#: millions of bad entries, minutes of work): the walk stops and says so.
MAX_PROBLEMS = 1000

T = TypeVar("T")


@dataclass(slots=True)
class Located:
    """A value together with where it was written."""

    value: object
    where: Position


@dataclass(slots=True)
class HostSpec:
    name: str
    cores: float
    memory_bytes: int
    maintenance: bool
    cpu_limit: float | None
    memory_limit: float | None
    where: Position  # of the name
    path: str  # e.g. "hosts[3]": its place in the file


@dataclass(slots=True, eq=False)
class VmSpec:
    name: str
    host: Located
    vcpus: int
    memory_bytes: int
    cpu: FloatArray | None  # NaN = missing sample
    cpu_where: Position | None
    where: Position  # of the name
    path: str  # e.g. "vms[12]": its place in the file


@dataclass(slots=True)
class RuleSpec:
    kind: RuleKind
    vms: list[Located]
    hosts: list[Located]
    name: str
    where: Position
    path: str  # e.g. "rules[0]"


@dataclass(slots=True, eq=False)
class FileSpec:
    file: str
    version: Located | None = None
    interval: Located | None = None  # seconds
    start: Located | None = None  # datetime
    limits: dict[str, Located] = field(default_factory=dict)
    hosts: list[HostSpec] = field(default_factory=list)
    vms: list[VmSpec] = field(default_factory=list)
    rules: list[RuleSpec] = field(default_factory=list)
    cpu_series: Located | None = None  # str path as written
    # names of entries that were invalid: references to them are not reported a second time
    broken_names: set[str] = field(default_factory=set)
    # (path, host) of invalid VM entries whose host could be read: the reference is checked too
    broken_vm_hosts: list[tuple[str, Located]] = field(default_factory=list)
    top_level_read: bool = False  # the document is a mapping (not empty, not a list or scalar)
    hosts_written: bool = False  # something is written under 'hosts' (valid or not)


class _TooMany(Exception):
    """The file has :data:`MAX_PROBLEMS` problems; the walk stops."""


class _Walker:
    """Helpers that read typed values out of nodes and record problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def at(self, node: yn.Node) -> Position:
        return yn.position(self.file, node)

    def error(self, node: yn.Node, path: str, message: str, rule: str = "schema") -> None:
        self.add([Problem.at(self.at(node), path, message, rule)])

    def add(self, problems: list[Problem]) -> None:
        self.problems += problems
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooMany

    def mapping(
        self, node: yn.Node, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, tuple[yn.Node, yn.Node]] | None:
        """Keys of a mapping -> (key node, value node), reporting unknown, duplicate, missing."""
        if not isinstance(node, yn.Mapping):
            self.error(
                node,
                path,
                f"expected a mapping with keys {', '.join(allowed)}, got {yn.kind_name(node)}",
            )
            return None
        out: dict[str, tuple[yn.Node, yn.Node]] = {}
        for key, value in node.items:
            name = key.value if isinstance(key, yn.Scalar) else None
            where = f"{path}.{name}" if path else str(name)
            if name is None:
                self.error(key, path, f"expected a key that is a word, got {yn.kind_name(key)}")
            elif name == "<<":
                self.error(
                    key, path, "YAML merge keys ('<<') are not supported; write the keys out"
                )
            elif name not in allowed:
                self.error(
                    key,
                    where,
                    f"unknown key '{name}'{did_you_mean(name, allowed)}; expected one of {', '.join(allowed)}",
                )
            elif name in out:
                self.error(key, where, f"key '{name}' given twice", "duplicate")
            else:
                out[name] = (key, value)
        for name in required:
            if name not in out:
                self.error(node, path, f"missing required key '{name}'")
        return out

    def typed(
        self,
        node: yn.Node,
        path: str,
        expected: str,
        convert: Callable[[yn.PlainValue], T | None],
    ) -> T | None:
        """``convert`` the scalar's plain value, or report ``expected`` vs what was found."""
        if isinstance(node, yn.Scalar) and node.tag is None:
            try:
                value = convert(yn.plain_value(node))
            except ValueError as exc:
                self.error(node, path, str(exc))
                return None
            if value is not None:
                return value
        elif isinstance(node, yn.Scalar):
            self.error(
                node, path, f"YAML tags like '{node.tag}' are not supported; expected {expected}"
            )
            return None
        self.error(node, path, f"expected {expected}, got {yn.kind_name(node)}")
        return None

    def name(self, node: yn.Node, path: str) -> str | None:
        def conv(v: yn.PlainValue) -> str | None:
            if isinstance(v, bool) or v is None or isinstance(v, float):
                return None
            text = str(v).strip()
            return text or None

        return self.typed(node, path, "a name", conv)

    def positive(self, node: yn.Node, path: str, what: str, integer: bool) -> float | None:
        def conv(v: yn.PlainValue) -> float | None:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return None
            if integer and not isinstance(v, int):
                raise ValueError(f"expected a whole number of {what}, got {v!r}")
            if not np.isfinite(v) or v <= 0:
                raise ValueError(f"expected a number of {what} greater than 0, got {v!r}")
            return float(v)

        kind = "a whole number" if integer else "a number"
        return self.typed(node, path, f"{kind} of {what}", conv)

    def unit(self, node: yn.Node, path: str, expected: str, parse: Callable[[str], T]) -> T | None:
        def conv(v: yn.PlainValue) -> T | None:
            if isinstance(v, bool) or v is None:
                return None
            return parse(str(v))

        return self.typed(node, path, expected, conv)

    def boolean(self, node: yn.Node, path: str) -> bool | None:
        return self.typed(node, path, "true or false", lambda v: v if isinstance(v, bool) else None)

    def limits(self, node: yn.Node, path: str) -> dict[str, Located]:
        keys = self.mapping(node, path, LIMIT_KEYS)
        out: dict[str, Located] = {}
        for name, (_, value) in (keys or {}).items():
            pct = self.unit(value, f"{path}.{name}", "a percentage like '80%'", units.parse_percent)
            if pct is not None:
                out[name] = Located(pct, self.at(value))
        return out

    def names(self, node: yn.Node, path: str) -> list[Located]:
        if not isinstance(node, yn.Sequence) or not node.items:
            self.error(node, path, f"expected a non-empty list of names, got {yn.kind_name(node)}")
            return []
        out: list[Located] = []
        for i, item in enumerate(node.items):
            name = self.name(item, f"{path}[{i}]")
            if name is None:
                continue
            if any(seen.value == name for seen in out):
                # a VM twice in one anti-affinity rule would have to be apart from itself
                self.error(item, f"{path}[{i}]", f"'{name}' is listed twice", "duplicate")
                continue
            out.append(Located(name, self.at(item)))
        return out


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


def read_file(file: str, root: yn.Node | None) -> tuple[FileSpec, list[Problem]]:
    """Validate one document's schema; return what could be read and every problem found."""
    w = _Walker(file)
    spec = FileSpec(file)
    try:
        _read(w, spec, root)
    except _TooMany:
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


def _read(w: _Walker, spec: FileSpec, root: yn.Node | None) -> None:
    file = w.file
    if root is None:
        w.problems.append(
            Problem.at(
                Position(file, 1, 1),
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
    if "version" in top:
        node = top["version"][1]
        v = w.typed(
            node,
            "version",
            "the format version 1",
            lambda x: x if isinstance(x, int) and not isinstance(x, bool) else None,
        )
        if v is not None and v not in SUPPORTED_VERSIONS:
            w.error(node, "version", f"unsupported version {v}; this vmplan reads version 1")
        spec.version = Located(v, w.at(node))
    if "interval" in top:
        node = top["interval"][1]
        seconds = w.unit(node, "interval", "a duration like '5m'", units.parse_duration)
        if seconds is not None:
            spec.interval = Located(seconds, w.at(node))
    if "start" in top:
        node = top["start"][1]
        when = w.typed(node, "start", "a time like '2026-11-02T00:00:00Z'", _start)
        if when is not None:
            spec.start = Located(when, w.at(node))
    if "limits" in top:
        spec.limits = w.limits(top["limits"][1], "limits")
    if "cpu_series" in top:
        node = top["cpu_series"][1]
        path = w.typed(
            node,
            "cpu_series",
            "a path to a CSV file",
            lambda x: x if isinstance(x, str) and x else None,
        )
        if path is not None:
            spec.cpu_series = Located(path, w.at(node))
    for key, reader in (("hosts", _host), ("vms", _vm), ("rules", _rule)):
        if key not in top:
            continue
        node = top[key][1]
        if isinstance(node, yn.Scalar) and yn.plain_value(node) is None:
            continue  # "hosts:" with nothing under it is an empty list
        if key == "hosts":
            spec.hosts_written = not isinstance(node, yn.Sequence) or bool(node.items)
        if not isinstance(node, yn.Sequence):
            w.error(node, key, f"expected a list of {key}, got {yn.kind_name(node)}")
            continue
        for i, item in enumerate(node.items):
            reader(w, item, f"{key}[{i}]", spec)


def _host(w: _Walker, node: yn.Node, path: str, spec: FileSpec) -> None:
    keys = w.mapping(node, path, HOST_KEYS, required=("name", "cpus", "memory"))
    if keys is None:
        return
    name = w.name(keys["name"][1], f"{path}.name") if "name" in keys else None
    cores = (
        w.positive(keys["cpus"][1], f"{path}.cpus", "cores", integer=False)
        if "cpus" in keys
        else None
    )
    memory = (
        w.unit(keys["memory"][1], f"{path}.memory", "a size like '512GiB'", units.parse_size)
        if "memory" in keys
        else None
    )
    maintenance = (
        w.boolean(keys["maintenance"][1], f"{path}.maintenance") if "maintenance" in keys else False
    )
    limits = w.limits(keys["limits"][1], f"{path}.limits") if "limits" in keys else {}
    if name is None or cores is None or memory is None or maintenance is None:
        if name is not None:
            spec.broken_names.add(name)
        return
    spec.hosts.append(
        HostSpec(
            name,
            cores,
            memory,
            maintenance,
            _value(limits.get("cpu")),
            _value(limits.get("memory")),
            w.at(keys["name"][1]),
            path,
        )
    )


def _value(located: Located | None) -> float | None:
    return None if located is None else float(located.value)  # type: ignore[arg-type]


def _vm(w: _Walker, node: yn.Node, path: str, spec: FileSpec) -> None:
    keys = w.mapping(node, path, VM_KEYS, required=("name", "host", "vcpus", "memory"))
    if keys is None:
        return
    name = w.name(keys["name"][1], f"{path}.name") if "name" in keys else None
    host = w.name(keys["host"][1], f"{path}.host") if "host" in keys else None
    vcpus = (
        w.positive(keys["vcpus"][1], f"{path}.vcpus", "vCPUs", integer=True)
        if "vcpus" in keys
        else None
    )
    memory = (
        w.unit(keys["memory"][1], f"{path}.memory", "a size like '16GiB'", units.parse_size)
        if "memory" in keys
        else None
    )
    cpu: FloatArray | None = None
    cpu_where = None
    if "cpu" in keys:
        cnode = keys["cpu"][1]
        cpu_where = w.at(cnode)
        if isinstance(cnode, yn.Sequence):
            cpu, found = series.from_sequence(w.file, f"{path}.cpu", cnode)
        elif isinstance(cnode, yn.Scalar) and isinstance(yn.plain_value(cnode), str):
            cpu, found = series.from_string(w.file, f"{path}.cpu", cnode)
        else:
            found = [
                Problem.at(
                    cpu_where,
                    f"{path}.cpu",
                    "expected a list of numbers or a string of space-separated numbers, "
                    f"got {yn.kind_name(cnode)}",
                    "schema",
                )
            ]
        if len(found) > 0:
            w.add(found)
            cpu = None
        elif cpu is not None and cpu.size == 0:
            w.error(cnode, f"{path}.cpu", "expected at least one sample, got an empty series")
            cpu = None
    if (
        name is None
        or host is None
        or vcpus is None
        or memory is None
        or ("cpu" in keys and cpu is None)
    ):
        if name is not None:
            spec.broken_names.add(name)
        if host is not None:
            spec.broken_vm_hosts.append((path, Located(host, w.at(keys["host"][1]))))
        return
    spec.vms.append(
        VmSpec(
            name,
            Located(host, w.at(keys["host"][1])),
            int(vcpus),
            memory,
            cpu,
            cpu_where,
            w.at(keys["name"][1]),
            path,
        )
    )


def _rule(w: _Walker, node: yn.Node, path: str, spec: FileSpec) -> None:
    keys = w.mapping(node, path, RULE_KEYS, required=("type", "vms"))
    if keys is None:
        return
    kinds = [k.value for k in RuleKind]
    kind: RuleKind | None = None
    if "type" in keys:
        tnode = keys["type"][1]
        text = w.name(tnode, f"{path}.type")
        if text is not None:
            if text in kinds:
                kind = RuleKind(text)
            else:
                w.error(
                    tnode,
                    f"{path}.type",
                    f"unknown rule type '{text}'{did_you_mean(text, kinds)}; expected one of {', '.join(kinds)}",
                )
    vms = w.names(keys["vms"][1], f"{path}.vms") if "vms" in keys else []
    hosts: list[Located] = []
    if "hosts" in keys:
        if kind is not None and kind is not RuleKind.PIN:
            w.error(
                keys["hosts"][0],
                f"{path}.hosts",
                f"'hosts' belongs to pin rules, not to {kind.value}",
            )
        else:
            hosts = w.names(keys["hosts"][1], f"{path}.hosts")
    elif kind is RuleKind.PIN:
        w.error(
            node, path, "missing required key 'hosts' (a pin rule names the hosts its VMs may use)"
        )
    name = w.name(keys["name"][1], f"{path}.name") if "name" in keys else None
    if kind is None or not vms:
        return
    if kind is RuleKind.PIN and not hosts:
        return
    if kind is not RuleKind.PIN and len(vms) < 2:
        written = keys["vms"][1]
        if isinstance(written, yn.Sequence) and len(written.items) < 2:  # else: reported above
            w.error(
                written,
                f"{path}.vms",
                f"an {kind.value} rule needs at least two VMs, got {len(vms)}",
            )
        return
    spec.rules.append(RuleSpec(kind, vms, hosts, name or f"{path}", w.at(node), path))
