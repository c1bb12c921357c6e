"""Lower bounds on the number of hosts any valid placement needs.

- per sample: at every sample ``t`` the hosts used must together offer ``sum_v d[v,t]`` cores
  within their limits, so at least the smallest ``k`` whose ``k`` largest CPU capacities add up
  to ``max_t sum_v d[v,t]`` (this generalises ``ceil(total / capacity)`` to hosts of different
  sizes);
- memory: the same with memory capacities and total memory;
- conflicts: items that pairwise cannot share any host (their combined series exceeds the largest
  capacity at some sample, their memory the largest memory limit, anti-affinity, or no common
  eligible host) each need their own host; a greedy clique over the largest items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vmplan.constraints import padded_cpu_cap, padded_memory_cap
from vmplan.engine.items import Items
from vmplan.model import FloatArray, Inventory

CLIQUE_CANDIDATES = 400


@dataclass(frozen=True, slots=True)
class Bounds:
    cpu: int
    memory: int
    conflicts: int

    @property
    def best(self) -> int:
        return max(self.cpu, self.memory, self.conflicts)

    def explain(self) -> str:
        parts = {"per-sample CPU": self.cpu, "memory": self.memory, "conflicts": self.conflicts}
        return ", ".join(f"{k} {v}" for k, v in parts.items())


def _cover(caps: FloatArray, need: float) -> int:
    """Fewest of ``caps`` (padded limits, largest first) that add up to ``need``."""
    if need <= 0:
        return 0
    total = np.cumsum(np.sort(caps)[::-1])
    k = int(np.searchsorted(total, need)) + 1
    return min(k, caps.size + 1)  # caps.size + 1: even every host is not enough


def lower_bounds(inv: Inventory, items: Items) -> Bounds:
    open_ = ~inv.maintenance
    if len(items) == 0:
        return Bounds(0, 0, 0)
    total = items.demand.sum(axis=0)
    cpu = _cover(padded_cpu_cap(inv.cpu_cap[open_]), float(total.max()) if total.size else 0.0)
    memory = _cover(padded_memory_cap(inv.mem_cap[open_]), float(items.memory.sum()))
    return Bounds(cpu, memory, _clique(inv, items))


def _clique(inv: Inventory, items: Items) -> int:
    open_ = ~inv.maintenance
    if not open_.any():
        return 0
    max_cap = padded_cpu_cap(inv.cpu_cap[open_].max())
    max_mem = padded_memory_cap(inv.mem_cap[open_].max())
    order = np.lexsort((np.arange(len(items)), -items.peak))[:CLIQUE_CANDIDATES]
    clique: list[int] = []
    for c in order.tolist():
        if not clique:
            clique.append(c)
            continue
        members = np.array(clique)
        apart = (items.demand[members] + items.demand[c]).max(axis=1) > max_cap
        apart |= items.memory[members] + items.memory[c] > max_mem
        apart |= ~(items.allowed[members] & items.allowed[c]).any(axis=1)
        apart |= np.isin(members, list(items.conflicts[c]))
        if apart.all():
            clique.append(c)
    return len(clique)
