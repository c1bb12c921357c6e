"""The inventory after a plan: each moved VM's ``host:`` changed in place, nothing else.

:func:`apply_plan` takes the text of every inventory file (the files the plan was made from,
already loaded and checked) and returns the new text of each. Only the ``host:`` scalar of each
VM whose host changes is rewritten, at its position in the text; with ``mark_freed`` every host
the plan frees (or evacuates) gets ``maintenance: true``. The result is composed again and each
edited value read back, so an edit that would not read as intended is a bug, never output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import yaml

from vmplan.apply.yamledit import (
    Edit,
    anchored,
    apply_edits,
    compose,
    mapping_get,
    scalar_text,
    set_key,
)
from vmplan.model import Inventory, Plan
from vmplan.problems import InputError, Problem


@dataclass(frozen=True, slots=True)
class FileChange:
    file: str
    before: str
    after: str
    moved: tuple[str, ...]  # VMs whose host: changed in this file
    marked: tuple[str, ...]  # hosts given maintenance: true in this file

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(slots=True)
class _Entries:
    """The name -> mapping node of each host and VM of one file."""

    hosts: dict[str, yaml.MappingNode]
    vms: dict[str, yaml.MappingNode]
    paths: dict[str, str]  # "vms:NAME" -> "vms[3]", as the loader's messages say


def _entries(root: yaml.Node | None) -> _Entries:
    out = _Entries({}, {}, {})
    for section, found in (("hosts", out.hosts), ("vms", out.vms)):
        pair = mapping_get(root, section) if root is not None else None
        if pair is None or not isinstance(pair[1], yaml.SequenceNode):
            continue
        for i, item in enumerate(pair[1].value):
            name = mapping_get(item, "name")
            if isinstance(item, yaml.MappingNode) and name and isinstance(name[1], yaml.ScalarNode):
                found.setdefault(name[1].value, item)
                out.paths.setdefault(f"{section}:{name[1].value}", f"{section}[{i}]")
    return out


def freed_hosts(plan: Plan, inv: Inventory) -> list[str]:
    """Hosts that hold VMs before the plan and none after, and the hosts it evacuates."""
    n = len(inv.hosts)
    before = np.bincount(plan.before, minlength=n) > 0
    after = np.bincount(plan.target, minlength=n) > 0
    freed = {h for h in range(n) if before[h] and not after[h]} | set(plan.evacuated)
    return [inv.hosts[h].name for h in sorted(freed)]


def apply_plan(
    texts: Sequence[tuple[str, str]], plan: Plan, inv: Inventory, mark_freed: bool = False
) -> list[FileChange]:
    """``texts``: ``(file, text)`` of every inventory file. Raises :class:`InputError` for a
    ``host:`` that cannot be edited on its own (written with a YAML anchor, or an alias of one)
    and for a ``maintenance:`` that cannot be set."""
    trees = [(file, text, _entries(compose(text))) for file, text in texts]
    moves = {
        inv.vms[v].name: inv.hosts[int(plan.target[v])].name
        for v in np.flatnonzero(plan.target != plan.before)
    }
    marks = set(freed_hosts(plan, inv)) if mark_freed else set()
    problems: list[Problem] = []
    found: set[str] = set()  # moved VMs whose host: was found (edited, or refused with a reason)
    out = []
    for file, text, entries in trees:
        edits: list[Edit] = []
        moved, marked = [], []
        seen: dict[int, str] = {}
        for vm, target in moves.items():
            node = entries.vms.get(vm)
            host = mapping_get(node, "host") if node is not None else None
            if host is None or not isinstance(host[1], yaml.ScalarNode):
                continue
            value = host[1]
            start = value.start_mark.index
            if start in seen or anchored(text, value):  # an edit would change other places too
                where = inv.vms[inv.vm_index[vm]].where
                message = (
                    f"the host of '{vm}' is written once for several places (a YAML anchor and "
                    "alias): edit it by hand"
                )
                path = f"{entries.paths[f'vms:{vm}']}.host"
                problems.append(Problem.at(where, path, message, "apply"))
                found.add(vm)
                continue
            seen[start] = vm
            found.add(vm)
            edits.append(Edit(start, value.end_mark.index, scalar_text(target, value.style)))
            moved.append(vm)
        for host_name in sorted(marks):
            node = entries.hosts.get(host_name)
            if node is None:
                continue
            try:
                edit = set_key(text, node, "maintenance", "true")
            except ValueError as exc:
                where = inv.hosts[inv.host_index[host_name]].where
                message = f"cannot set maintenance: true here ({exc}): edit it by hand"
                path = f"{entries.paths[f'hosts:{host_name}']}.maintenance"
                problems.append(Problem.at(where, path, message, "apply"))
                continue
            if edit is not None:
                edits.append(edit)
                marked.append(host_name)
        if problems:
            continue
        after = apply_edits(text, edits)
        _verify(after, moves, marks, file)
        out.append(FileChange(file, text, after, tuple(moved), tuple(marked)))
    for vm in sorted(set(moves) - found):
        where = inv.vms[inv.vm_index[vm]].where
        message = f"'{vm}' has no host: scalar of its own to edit"
        problems.append(Problem.at(where, "host", message, "apply"))
    if problems:
        raise InputError(problems)
    return out


def _verify(text: str, moves: dict[str, str], marks: set[str], file: str) -> None:
    """Read the edited text back: every moved VM on its target, every marked host in maintenance."""
    entries = _entries(compose(text))
    for vm, node in entries.vms.items():
        host = mapping_get(node, "host")
        if vm in moves and host is not None and host[1].value != moves[vm]:
            raise AssertionError(f"{file}: {vm} reads back on {host[1].value}, not {moves[vm]}")
    for name in marks & set(entries.hosts):
        pair = mapping_get(entries.hosts[name], "maintenance")
        if pair is None or yaml.safe_load(pair[1].value) is not True:
            raise AssertionError(f"{file}: host {name} does not read back in maintenance")
