"""Room for maintenance after a plan (``pack --spare N``): which hosts of a placement could not
be evacuated onto the other hosts it uses.

The check is handed to :func:`vmplan.pack.pack` by the command (pack and evacuate never import
each other). The inventory it is given has every host the placement frees closed (in
maintenance): after consolidation those hosts are gone, so an evacuation may only use the hosts
the plan keeps. What is checked, on the series planned on and with every rule:

- every used host alone is evacuable (:func:`vmplan.evacuate.evacuable`, each target placement
  re-verified);
- for N > 1, also the N largest used hosts together (by CPU peak in cores, then memory): a plan
  made by :func:`vmplan.evacuate.evacuate`, verified. Other sets of N hosts are not tried (there
  are too many); the N largest need the most room.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from vmplan.engine.settings import Settings
from vmplan.evacuate import evacuable, evacuate
from vmplan.model import VM, IntArray, Inventory, host_loads, host_memory_use

#: (inventory with freed hosts closed, placement) -> the hosts that could not be evacuated
RoomCheck = Callable[[Inventory, IntArray], list[int]]


def spare_check(spare: int, settings: Settings) -> RoomCheck:
    """The check that ``spare`` hosts of a placement can be evacuated (see the module doc)."""

    def check(inv: Inventory, placement: IntArray) -> list[int]:
        used: list[int] = np.unique(placement).tolist()
        if len(used) <= spare:
            return used
        verdicts = evacuable(inv, settings, current=placement, hosts=used, explain=False)
        bad = [v.host for v in verdicts if not v.feasible]
        if bad or spare < 2:
            return bad
        together = largest(inv, placement, spare)
        moved = Inventory(
            inv.hosts, _placed(inv, placement), inv.rules, inv.demand, inv.interval_s, inv.start
        )
        plan = evacuate(moved, together, settings)
        return [] if plan.feasible else together

    return check


def largest(inv: Inventory, placement: IntArray, count: int) -> list[int]:
    """The ``count`` used hosts with the highest CPU peak in cores (then memory, then index)."""
    used = np.unique(placement)
    loads = host_loads(inv, placement)[used]
    peak = loads.max(axis=1) if loads.shape[1] else np.zeros(used.size)
    memory = host_memory_use(inv, placement)[used]
    ranked = used[np.lexsort((used, -memory, -peak))]
    return sorted(int(h) for h in ranked[:count])


def _placed(inv: Inventory, placement: IntArray) -> tuple[VM, ...]:
    return tuple(
        replace(vm, host=inv.hosts[int(h)].name)
        for vm, h in zip(inv.vms, placement.tolist(), strict=True)
    )
