"""Policy checks over a valid inventory and a placement, one module per check, each with an ID.

``REGISTRY`` lists them in the order they run; ``OPTIONAL`` lists the costlier ones a user asks
for by name (``vmplan check --evacuable``); ``run`` collects every finding as a
:class:`~vmplan.problems.Problem` (never stopping at the first one).

Every check sees one cluster at a time (:func:`vmplan.fleet.split`): a VM can only ever go to a
host of its own cluster, so "fits on no host", a rule no placement can keep and an evacuation are
all judged within it. An inventory without clusters is one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from vmplan.checks import capacity, evacuable, maintenance, rule_conflicts, rules, unplaceable
from vmplan.fleet import split
from vmplan.model import IntArray, Inventory
from vmplan.problems import Problem

Check = Callable[[Inventory, IntArray], list[Problem]]

REGISTRY: dict[str, Check] = {
    capacity.CPU_ID: capacity.cpu_limit,
    capacity.MEMORY_ID: capacity.memory_limit,
    capacity.VCPU_ID: capacity.vcpu_fit,
    unplaceable.ID: unplaceable.check,
    rules.ID: rules.check,
    rule_conflicts.ID: rule_conflicts.check,
    maintenance.ID: maintenance.check,
}

OPTIONAL: dict[str, Check] = {
    evacuable.ID: evacuable.check,
}


def run(
    inv: Inventory, placement: IntArray | None = None, optional: Sequence[str] = ()
) -> list[Problem]:
    """Every finding of every registered check (and of the ``optional`` ones named) on
    ``placement`` (default: today's)."""
    where = inv.current if placement is None else placement
    chosen = [*REGISTRY.values(), *(OPTIONAL[name] for name in optional)]
    local = np.full(len(inv.hosts), -1, dtype=np.int64)
    found: list[Problem] = []
    for part in split(inv):
        local[part.hosts] = np.arange(part.hosts.size)
        on = where[part.vms]
        within = np.where(on >= 0, local[on], -1)  # a VM's host in its cluster's numbering
        for check in chosen:
            found += check(part.inventory, within)
    return sorted(found, key=Problem.sort_key)
