"""Policy checks over a valid inventory and a placement, one module per check, each with an ID.

``REGISTRY`` lists them in the order they run; ``OPTIONAL`` lists the costlier ones a user asks
for by name (``vmplan check --evacuable``); ``run`` collects every finding as a
:class:`~vmplan.problems.Problem` (never stopping at the first one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from vmplan.checks import capacity, evacuable, maintenance, rule_conflicts, rules, unplaceable
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
    found: list[Problem] = []
    for check in [*REGISTRY.values(), *(OPTIONAL[name] for name in optional)]:
        found += check(inv, where)
    return sorted(found, key=Problem.sort_key)
