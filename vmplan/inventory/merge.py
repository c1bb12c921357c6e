"""Merge tier: the files' specs -> one set of hosts, VMs and rules, checked across files.

Settings that several files give must agree (``interval``, ``start``, ``limits``); names are
unique across files (the second definition is the one reported); ``host:`` and rule references
name hosts and VMs that exist, with the closest name offered. An entry that was invalid in its own
file is not reported again as an unknown reference.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from vmplan.inventory import clusters, names
from vmplan.inventory.specs import FileSpec, HostSpec, Located, RuleSpec, VmSpec
from vmplan.model import VM, Host, Rule
from vmplan.problems import Position, Problem, did_you_mean

DEFAULT_INTERVAL_S = 300
T = TypeVar("T")


@dataclass(frozen=True, slots=True, eq=False)
class Merged:
    hosts: tuple[Host, ...]
    vms: tuple[VM, ...]
    vm_specs: tuple[tuple[VmSpec, FileSpec], ...]  # in the order of ``vms``
    rules: tuple[Rule, ...]
    interval_s: int
    start: datetime | None


def merge(specs: list[FileSpec]) -> tuple[Merged, list[Problem]]:
    """Everything the files define, merged; with every problem found (the result is only
    meaningful when none of them is an error)."""
    problems: list[Problem] = []
    broken = set().union(*(s.broken_names for s in specs))
    interval = _single(specs, "interval", lambda s: s.interval, problems)
    start = _single(specs, "start", lambda s: s.start, problems)
    limits = _limits(specs, problems)
    hosts, seen_hosts = _hosts(specs, limits, problems)
    _no_hosts(specs, problems)
    vms, vm_specs, seen_vms = _vms(specs, seen_hosts, broken, problems)
    rules = _rules(specs, seen_vms, seen_hosts, broken, problems)
    problems += clusters.problems(specs, hosts, vms)
    problems += names.warnings(
        "host", ((h.name, h.where, f"{h.path}.name") for h in hosts_of(specs))
    )
    problems += names.warnings("VM", ((v.name, v.where, f"{v.path}.name") for v, _ in vm_specs))
    merged = Merged(
        tuple(hosts),
        tuple(vms),
        tuple(vm_specs),
        tuple(rules),
        interval.value if interval else DEFAULT_INTERVAL_S,
        start.value if start else None,
    )
    return merged, problems


def hosts_of(specs: list[FileSpec]) -> list[HostSpec]:
    return [h for spec in specs for h in spec.hosts]


def _single(
    specs: list[FileSpec],
    attr: str,
    get: Callable[[FileSpec], Located[T] | None],
    problems: list[Problem],
) -> Located[T] | None:
    """A top-level setting that several files may repeat only with the same value."""
    first: Located[T] | None = None
    for spec in specs:
        here = get(spec)
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


def _limits(specs: list[FileSpec], problems: list[Problem]) -> dict[str, Located[float]]:
    limits: dict[str, Located[float]] = {}
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
    return limits


def _hosts(
    specs: list[FileSpec], limits: dict[str, Located[float]], problems: list[Problem]
) -> tuple[list[Host], dict[str, Position]]:
    cpu_default = limits["cpu"].value if "cpu" in limits else 1.0
    mem_default = limits["memory"].value if "memory" in limits else 1.0
    hosts: list[Host] = []
    seen: dict[str, Position] = {}
    for spec in specs:
        for h in spec.hosts:
            if _duplicate(h.name, h.where, seen, "host", f"{h.path}.name", problems):
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
                    h.cluster,
                    h.prefer,
                )
            )
    return hosts, seen


def _no_hosts(specs: list[FileSpec], problems: list[Problem]) -> None:
    """ "no host" only when no file lists one: an invalid host or an unreadable file says enough."""
    if not any(s.hosts_written for s in specs) and specs and all(s.top_level_read for s in specs):
        problems.append(
            Problem.at(
                Position(specs[0].file, 1, 1),
                "hosts",
                "expected at least one host, found none",
                "schema",
            )
        )


def _vms(
    specs: list[FileSpec],
    seen_hosts: dict[str, Position],
    broken: set[str],
    problems: list[Problem],
) -> tuple[list[VM], list[tuple[VmSpec, FileSpec]], dict[str, Position]]:
    vms: list[VM] = []
    vm_specs: list[tuple[VmSpec, FileSpec]] = []
    seen: dict[str, Position] = {}
    for spec in specs:
        for v in spec.vms:
            if _duplicate(v.name, v.where, seen, "VM", f"{v.path}.name", problems):
                continue
            if v.host.value in broken:
                continue
            if _unknown_host(v.path, v.host, seen_hosts, problems):
                continue
            vms.append(VM(v.name, v.host.value, v.vcpus, v.memory_bytes, v.where))
            vm_specs.append((v, spec))
        # a VM entry with another mistake still names its host: say now if that is unknown too
        for path, host in spec.broken_vm_hosts:
            if host.value not in broken:
                _unknown_host(path, host, seen_hosts, problems)
    return vms, vm_specs, seen


def _unknown_host(
    path: str, host: Located[str], known: dict[str, Position], problems: list[Problem]
) -> bool:
    name = host.value
    if name in known:
        return False
    problems.append(
        Problem.at(
            host.where,
            f"{path}.host",
            f"unknown host '{name}'{did_you_mean(name, known)}",
            "reference",
        )
    )
    return True


def _rules(
    specs: list[FileSpec],
    seen_vms: dict[str, Position],
    seen_hosts: dict[str, Position],
    broken: set[str],
    problems: list[Problem],
) -> list[Rule]:
    rules: list[Rule] = []
    known_all = seen_vms.keys() | seen_hosts.keys()
    for spec in specs:
        for r in spec.rules:
            vms_ok = _references(r, "VM", r.vms, seen_vms, broken, problems)
            hosts_ok = _references(r, "host", r.hosts, seen_hosts, broken, problems)
            names = [x.value for x in (*r.vms, *r.hosts)]
            if vms_ok and hosts_ok and all(name in known_all for name in names):
                rules.append(
                    Rule(
                        r.kind,
                        tuple(x.value for x in r.vms),
                        tuple(x.value for x in r.hosts),
                        r.name,
                        r.where,
                    )
                )
    return rules


def _references(
    r: RuleSpec,
    kind: str,
    refs: Iterable[Located[str]],
    known: Collection[str],
    broken: set[str],
    problems: list[Problem],
) -> bool:
    """Whether every name a rule lists is known (or was reported as an invalid entry)."""
    field = "vms" if kind == "VM" else "hosts"
    ok = True
    for j, ref in enumerate(refs):
        name = ref.value
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
    return ok


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
