"""Plans as scripts for the tools that run migrations: one module per tool, listed in :data:`TOOLS`.

:func:`render_script` is the one entry point (``vmplan script`` and the ``--script`` shortcut of
pack and evacuate call it). Every script runs the waves in order, the moves of a wave in parallel,
checks with the tool's own query that each VM is where the plan expects before moving it (skipping
what is already done, so a rerun resumes), stops after a wave in which a move failed, and prints
instead of running on a dry run. vmplan itself never touches a hypervisor.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from vmplan.model import Inventory, Plan
from vmplan.scripts import govc, openstack, powercli, qm, virsh
from vmplan.scripts.steps import ScriptOptions, Steps, steps_of

__all__ = ["TOOLS", "ScriptOptions", "Tool", "file_digests", "render_script"]


class Tool(enum.StrEnum):
    GOVC = "govc"
    POWERCLI = "powercli"
    VIRSH = "virsh"
    QM = "qm"
    OPENSTACK = "openstack"


Renderer = Callable[[Steps, Inventory, ScriptOptions], str]

TOOLS: dict[Tool, Renderer] = {
    Tool.GOVC: govc.render,
    Tool.POWERCLI: powercli.render,
    Tool.VIRSH: virsh.render,
    Tool.QM: qm.render,
    Tool.OPENSTACK: openstack.render,
}

#: Tools whose ``--uri`` template means something (virsh: connection URIs; qm: ssh destinations).
URI_TOOLS = frozenset({Tool.VIRSH, Tool.QM})


def render_script(plan: Plan, inventory: Inventory, tool: Tool, options: ScriptOptions) -> str:
    """The plan as a script for ``tool``. ``plan`` must start from ``inventory`` (see
    :func:`vmplan.planmatch.read_matching_plan`). Raises :class:`~vmplan.problems.InputError`
    when the inventory lacks what the tool needs (qm: numeric VM ids) and :class:`ValueError`
    for a name no program argument can carry (a NUL character)."""
    return TOOLS[tool](steps_of(plan, inventory), inventory, options)


def file_digests(paths: Iterable[str | Path]) -> tuple[tuple[str, str], ...]:
    """``(path, sha256 hex)`` of each file, for the script's header. Raises :class:`OSError`."""
    out = []
    for path in paths:
        digest = hashlib.sha256()
        with Path(path).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        out.append((str(path), digest.hexdigest()))
    return tuple(out)
