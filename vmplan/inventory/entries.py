"""Schema tier, the entries: one host, VM or rule mapping -> a spec, or its problems.

An invalid entry's name is remembered (``broken_names``), so that the merge does not report a
reference to it a second time; an invalid VM's host is kept to be checked as a reference anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from vmplan import units
from vmplan.inventory import series
from vmplan.inventory import yamlnodes as yn
from vmplan.inventory.specs import (
    HOST_KEYS,
    MAX_CORES,
    MAX_VCPUS,
    RULE_KEYS,
    VM_KEYS,
    FileSpec,
    HostSpec,
    Located,
    RuleSpec,
    VmSpec,
)
from vmplan.inventory.walker import Walker
from vmplan.model import FloatArray, Preference, RuleKind
from vmplan.problems import did_you_mean

Keys = dict[str, tuple[yn.Node, yn.Node]]
T = TypeVar("T")


def host(w: Walker, node: yn.Node, path: str, spec: FileSpec) -> None:
    keys = w.mapping(node, path, HOST_KEYS, required=("name", "cpus", "memory"))
    if keys is None:
        return
    name = _get(keys, "name", lambda n: w.name(n, f"{path}.name"))
    cores = _get(keys, "cpus", lambda n: w.positive(n, f"{path}.cpus", "cores", False, MAX_CORES))
    memory = _memory(w, keys, path, "a size like '512GiB'")
    maintenance = _get(keys, "maintenance", lambda n: w.boolean(n, f"{path}.maintenance"), False)
    limits = _get(keys, "limits", lambda n: w.limits(n, f"{path}.limits")) or {}
    cluster = _get(keys, "cluster", lambda n: w.name(n, f"{path}.cluster"), "")
    prefer = _get(keys, "prefer", lambda n: _enum(w, n, f"{path}.prefer", Preference, "preference"))
    if (
        name is None
        or cores is None
        or memory is None
        or maintenance is None
        or cluster is None
        or ("prefer" in keys and prefer is None)
    ):
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
            cluster,
            prefer,
        )
    )


def _get(
    keys: Keys, key: str, read: Callable[[yn.Node], T | None], default: T | None = None
) -> T | None:
    """``read`` the value under ``key``; ``default`` when the key is not written."""
    return read(keys[key][1]) if key in keys else default


def _memory(w: Walker, keys: Keys, path: str, expected: str) -> int | None:
    if "memory" not in keys:
        return None
    return w.unit(keys["memory"][1], f"{path}.memory", expected, units.parse_size)


def _value(located: Located[float] | None) -> float | None:
    return None if located is None else located.value


def vm(w: Walker, node: yn.Node, path: str, spec: FileSpec) -> None:
    keys = w.mapping(node, path, VM_KEYS, required=("name", "host", "vcpus", "memory"))
    if keys is None:
        return
    name = _get(keys, "name", lambda n: w.name(n, f"{path}.name"))
    host = _get(keys, "host", lambda n: w.name(n, f"{path}.host"))
    vcpus = _get(keys, "vcpus", lambda n: w.positive(n, f"{path}.vcpus", "vCPUs", True, MAX_VCPUS))
    memory = _memory(w, keys, path, "a size like '16GiB'")
    cpu = _get(keys, "cpu", lambda n: _cpu(w, n, f"{path}.cpu"))
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
            w.at(keys["cpu"][1]) if "cpu" in keys else None,
            w.at(keys["name"][1]),
            path,
        )
    )


def _cpu(w: Walker, node: yn.Node, path: str) -> FloatArray | None:
    """An inline series: a list, or a string of numbers; None when it is not valid."""
    if isinstance(node, yn.Sequence):
        cpu, found = series.from_sequence(w.file, path, node)
    elif isinstance(node, yn.Scalar) and isinstance(yn.plain_value(node), str):
        cpu, found = series.from_string(w.file, path, node)
    else:
        w.error(
            node,
            path,
            "expected a list of numbers or a string of space-separated numbers, "
            f"got {yn.kind_name(node)}",
        )
        return None
    if found:
        w.add(found)
        return None
    if cpu.size == 0:
        w.error(node, path, "expected at least one sample, got an empty series")
        return None
    return cpu


def rule(w: Walker, node: yn.Node, path: str, spec: FileSpec) -> None:
    keys = w.mapping(node, path, RULE_KEYS, required=("type", "vms"))
    if keys is None:
        return
    kind = _rule_kind(w, keys["type"][1], f"{path}.type") if "type" in keys else None
    vms = w.names(keys["vms"][1], f"{path}.vms") if "vms" in keys else []
    hosts = _rule_hosts(w, node, keys, path, kind)
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


def _rule_kind(w: Walker, node: yn.Node, path: str) -> RuleKind | None:
    return _enum(w, node, path, RuleKind, "rule type")


E = TypeVar("E", RuleKind, Preference)


def _enum(w: Walker, node: yn.Node, path: str, kind: type[E], what: str) -> E | None:
    """One of the values of ``kind``; an unknown one is an error with the closest spelling."""
    values = [k.value for k in kind]
    text = w.name(node, path)
    if text is None:
        return None
    if text in values:
        return kind(text)
    w.error(
        node,
        path,
        f"unknown {what} '{text}'{did_you_mean(text, values)}; expected one of {', '.join(values)}",
    )
    return None


def _rule_hosts(
    w: Walker, node: yn.Node, keys: Keys, path: str, kind: RuleKind | None
) -> list[Located[str]]:
    """A pin rule's hosts; 'hosts' on another kind of rule is a mistake."""
    if "hosts" in keys:
        if kind is not None and kind is not RuleKind.PIN:
            w.error(
                keys["hosts"][0],
                f"{path}.hosts",
                f"'hosts' belongs to pin rules, not to {kind.value}",
            )
            return []
        return w.names(keys["hosts"][1], f"{path}.hosts")
    if kind is RuleKind.PIN:
        w.error(
            node, path, "missing required key 'hosts' (a pin rule names the hosts its VMs may use)"
        )
    return []
