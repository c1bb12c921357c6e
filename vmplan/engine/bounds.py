"""Lower bounds on the number of hosts any valid placement needs.

- per sample: at every sample ``t`` the hosts used must together offer ``sum_v d[v,t]`` cores
  within their limits, so at least the smallest ``k`` whose ``k`` largest CPU capacities add up
  to ``max_t sum_v d[v,t]`` (this generalises ``ceil(total / capacity)`` to hosts of different
  sizes);
- memory: the same with memory capacities and total memory;
- conflicts: items that pairwise cannot share any host (their combined series exceeds the largest
  capacity at some sample, their memory the largest memory limit, anti-affinity, or no common
  eligible host) each need their own host; a greedy clique over the largest items;
- bin packing: at one sample, the items' demands must be packed into hosts of at most the largest
  limit ``C``, so Martello and Toth's ``L2`` bound of that one-dimensional bin packing holds: for a
  threshold ``k <= C/2``, items above ``C - k`` each need a host of their own, so do items above
  ``C/2``, and items in ``[k, C/2]`` can only use what those leave free,
  ``L(k) = |J1| + |J2| + max(0, ceil((sum J3 - (|J2| C - sum J2)) / C))``. Taken at every
  distinct maximal sample (:func:`maximal_columns`) and for memory; with it, Fekete and Schepers'
  dual-feasible-function bound (:func:`dff`) at the same samples.

Only maximal columns matter: a sample whose demands are, item by item, at most those of another
sample adds no constraint to any of these bounds nor to the assignment model, so the exact model
may start from them (and, when they are few, needs no other).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vmplan.constraints import exact_cpu_sizes, padded_cpu_cap, padded_memory_cap
from vmplan.engine.items import Items
from vmplan.model import FloatArray, IntArray, Inventory

CLIQUE_CANDIDATES = 400


#: Maximal columns are looked for only in demand matrices up to this many values ...
COLUMN_VALUES = 5_000_000
#: ... and only up to this many (items x distinct samples x kept samples) comparisons.
COLUMN_WORK = 100_000_000
#: Samples of highest total demand given the per-sample bounds when the maximal ones are not
#: found (besides every item's peak sample).
TOP_TOTALS = 64


@dataclass(frozen=True, slots=True)
class Bounds:
    cpu: int
    memory: int
    conflicts: int
    bin_packing: int = 0  # L2 at every maximal sample and for memory
    exact: int | None = None  # the exact model's dual bound, when it ran
    columns: int | None = None  # distinct maximal samples, when they were found
    spare: int = 0  # pack --spare N: N more hosts than any bound for N = 0
    clusters: int | None = None  # a fleet's: its clusters' best bounds (without spare) added up

    @property
    def best(self) -> int:
        """The best bound; with ``spare`` N, N more: once any N used hosts are evacuated, the
        others hold every VM, so they are at least as many as a bound without spare."""
        plain = self.plain
        return plain + self.spare if plain else 0

    @property
    def plain(self) -> int:
        """The best bound without spare."""
        return max(v for v in self.values().values())

    def values(self) -> dict[str, int]:
        """Every bound computed, by name (the JSON's ``lower_bound_detail``)."""
        out = {
            "cpu": self.cpu,
            "memory": self.memory,
            "conflicts": self.conflicts,
            "bin_packing": self.bin_packing,
        }
        if self.exact is not None:
            out["exact"] = self.exact
        if self.clusters is not None:
            out["clusters"] = self.clusters
        return out

    def binding(self) -> list[str]:
        """The names of the bounds that reach the best value (without spare)."""
        best = self.plain
        return [k for k, v in self.values().items() if v == best]

    def explain(self) -> str:
        names = {
            "cpu": "per-sample CPU",
            "memory": "memory",
            "conflicts": "conflicts",
            "bin_packing": "bin packing",
            "exact": "exact model",
            "clusters": "clusters' bounds added up",
        }
        text = ", ".join(f"{names[k]} {v}" for k, v in self.values().items())
        return f"{text}, plus {self.spare} spare" if self.spare else text


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
    packing, columns = 0, None
    if open_.any():
        limit = float(inv.cpu_cap[open_].max())
        cap = float(padded_cpu_cap(limit))
        if (items.peak > cap / 3).any():  # else L2 and the DFF bound add nothing per sample
            columns = maximal_columns(items.demand)
            cols = columns if columns is not None else _likely_columns(items.demand, total)
            tall = cols[(items.demand[:, cols] > cap / 3).any(axis=0)]
            packing = max(
                (_one_sample(items.demand[:, t], limit) for t in tall.tolist()), default=0
            )
        mem_cap = float(padded_memory_cap(inv.mem_cap[open_].max()))
        packing = max(packing, l2(items.memory, mem_cap))
    return Bounds(
        cpu,
        memory,
        _clique(inv, items),
        packing,
        columns=None if columns is None else int(columns.size),
    )


def _one_sample(demand: FloatArray, limit: float) -> int:
    """L2 and the DFF bound of one sample's demands in bins of the largest CPU limit."""
    sizes, cap = exact_cpu_sizes(demand, limit)
    return max(l2(sizes, cap), dff(sizes, cap))


def _likely_columns(demand: FloatArray, total: FloatArray) -> IntArray:
    """Where the per-sample bounds are looked for when the maximal samples cost too much to
    find: every item's peak sample and the :data:`TOP_TOTALS` samples of highest total demand
    (any sample gives a valid bound; these are where it is likeliest to bind)."""
    top = np.argsort(-total, kind="stable")[:TOP_TOTALS]
    return np.unique(np.concatenate([np.argmax(demand, axis=1), top]))


def maximal_columns(demand: FloatArray) -> IntArray | None:
    """The distinct samples not dominated by another (item by item at most its demands), or
    None when looking would cost more than ``COLUMN_WORK``. Highest total first."""
    n, samples = demand.shape
    if samples == 0:
        return np.zeros(0, dtype=np.int64)
    if demand.size > COLUMN_VALUES:
        return None
    _, first = np.unique(demand.T, axis=0, return_index=True)  # equal samples count once
    distinct = demand[:, first]
    order = np.lexsort((first, -distinct.sum(axis=0)))
    kept: list[int] = []
    work = 0
    for t in order.tolist():
        if kept:
            work += n * len(kept)
            if work > COLUMN_WORK:
                return None
            if (distinct[:, kept] >= distinct[:, t : t + 1]).all(axis=0).any():
                continue  # dominated by a kept sample
        kept.append(t)
    return np.sort(first[kept]).astype(np.int64)


def l2(sizes: FloatArray, cap: float) -> int:
    """Martello and Toth's L2 lower bound for packing ``sizes`` into bins of ``cap``."""
    w = np.sort(sizes[sizes > 0])[::-1]
    if w.size == 0 or cap <= 0:
        return 0
    base = int(np.ceil(w.sum() / cap - 1e-9))
    big = w > cap / 2
    if not big.any():
        return base
    best = base
    small = w[~big]
    for k in np.unique(np.concatenate(([0.0], small))).tolist():
        j1 = w > cap - k
        j2 = big & ~j1
        j3 = ~big & (w >= k)
        room = j2.sum() * cap - w[j2].sum()
        extra = max(0.0, w[j3].sum() - room)
        best = max(best, int(j1.sum() + j2.sum() + np.ceil(extra / cap - 1e-9)))
    return best


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


#: Dual feasible functions tried by :func:`dff` (k = 1 .. DFF_K).
DFF_K = 10


def dff(sizes: FloatArray, cap: float) -> int:
    """Fekete and Schepers' bound for packing ``sizes`` into bins of ``cap``: for each k, the
    function ``u(x) = x`` where ``(k+1) x`` is whole, else ``floor((k+1) x) / k`` (sizes as
    fractions of a bin) maps any packing to one of the same bins, so ``ceil(sum u(x))`` bins are
    needed."""
    x = sizes[sizes > 0] / cap
    if x.size == 0 or cap <= 0:
        return 0
    best = 0
    for k in range(1, DFF_K + 1):
        scaled = (k + 1) * x
        whole = np.abs(scaled - np.round(scaled)) <= 1e-9
        u = np.where(whole, x, np.floor(scaled) / k)
        best = max(best, int(np.ceil(u.sum() - 1e-9)))
    return best
