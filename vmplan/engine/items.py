"""Packing items: VMs that an affinity rule keeps together become one item.

An item's demand is the sum of its members' series, its memory their sum, and it may only go
where every member may go. Anti-affinity becomes item-level conflicts: two conflicting items
never share a host.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from vmplan.constraints import cpu_fits, eligibility, memory_fits
from vmplan.model import BoolArray, FloatArray, IntArray, Inventory, RuleKind, sum_rows


@dataclass(frozen=True, slots=True, eq=False)
class Items:
    of_vm: IntArray  # (VMs,) item index of every VM
    members: tuple[IntArray, ...]  # VMs of every item
    demand: FloatArray  # (items, samples) cores
    memory: FloatArray
    peak: FloatArray
    allowed: BoolArray  # (items, hosts)
    conflicts: tuple[frozenset[int], ...]  # per item: items it may not share a host with
    has_conflicts: BoolArray  # (items,) whether ``conflicts`` is not empty
    block_max: FloatArray  # (items, blocks): maximum of every block of samples
    block_mean: FloatArray  # (items, blocks): mean of every block of samples
    top: IntArray  # (items, TOP) the samples of every item's highest demand
    contradictions: tuple[str, ...]  # rules that keep VMs of one affinity group apart

    def __len__(self) -> int:
        return len(self.members)

    def placement_of_vms(self, item_hosts: IntArray) -> IntArray:
        return item_hosts[self.of_vm]


def build(inv: Inventory) -> Items:
    n = len(inv.vms)
    rows: list[int] = []
    cols: list[int] = []
    for rule in inv.rules:
        if rule.kind is RuleKind.AFFINITY:
            idx = [inv.vm_index[v] for v in rule.vms]
            rows += idx[:-1]
            cols += idx[1:]
    labels = _groups(n, rows, cols)
    # number items in order of their first VM, so the numbering is stable
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first, kind="stable")
    relabel = np.empty_like(order)
    relabel[order] = np.arange(order.size)
    of_vm = relabel[labels].astype(np.int64)
    n_items = int(order.size)
    sort = np.argsort(of_vm, kind="stable")
    bounds = np.searchsorted(of_vm[sort], np.arange(n_items + 1))
    members = tuple(sort[bounds[i] : bounds[i + 1]] for i in range(n_items))
    vm_allowed = eligibility(inv).allowed
    if n_items == n:
        demand = inv.demand
        memory = inv.memory
        allowed = vm_allowed.copy()
    else:
        demand = sum_rows(inv.demand, of_vm, n_items)
        memory = np.bincount(of_vm, weights=inv.memory, minlength=n_items).astype(np.float64)
        allowed = np.ones((n_items, len(inv.hosts)), dtype=np.bool_)
        for i, m in enumerate(members):
            allowed[i] = vm_allowed[m].all(axis=0)
    peak, block_max, block_sum, top = row_summaries(demand)
    allowed = allowed & cpu_fits(peak[:, None], inv.cpu_cap[None, :])
    allowed &= memory_fits(memory[:, None], inv.mem_cap[None, :])
    conflicts: list[set[int]] = [set() for _ in range(n_items)]
    contradictions: list[str] = []
    for rule in inv.rules:
        if rule.kind is RuleKind.ANTI_AFFINITY:
            found = [int(of_vm[inv.vm_index[v]]) for v in rule.vms]
            its = set(found)
            if len(its) < len(found):  # two of its VMs are in one affinity group: no placement
                contradictions.append(
                    f"anti-affinity rule {rule.name} keeps apart VMs that affinity rules keep "
                    "together; no placement can keep both"
                )
                allowed[[i for i in its if found.count(i) > 1]] = False
            for i in its:
                conflicts[i] |= its - {i}
    return Items(
        of_vm=of_vm,
        members=members,
        demand=demand,
        memory=memory,
        peak=peak,
        allowed=allowed,
        conflicts=tuple(frozenset(c) for c in conflicts),
        has_conflicts=np.array([bool(c) for c in conflicts], dtype=np.bool_),
        block_max=block_max,
        block_mean=block_sum / block_sizes(demand.shape[1]),
        top=top,
        contradictions=tuple(contradictions),
    )


def _groups(n: int, rows: list[int], cols: list[int]) -> IntArray:
    """A label per VM: VMs linked by affinity (edges ``rows[k]``-``cols[k]``) share one."""
    if not rows:
        return np.arange(n, dtype=np.int64)
    from scipy import sparse  # only inventories with affinity rules pay for importing scipy
    from scipy.sparse.csgraph import connected_components

    graph = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)


#: From this many values on, :func:`row_summaries` splits the rows over two threads.
SPLIT_VALUES = 4_000_000


def row_summaries(rows: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, IntArray]:
    """Peak, block maxima, block sums and busiest samples of every row.

    On a large matrix the two halves of the rows run on two threads: numpy releases Python's
    lock in these loops (10,000 x 2,016 samples: 0.6 s to 0.3 s on two cores).
    """
    edges = block_edges(rows.shape[1])

    def summarise(part: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, IntArray]:
        peak = part.max(axis=1) if part.shape[1] else np.zeros(part.shape[0])
        return (
            peak,
            block_reduce(part, np.maximum, edges),
            block_reduce(part, np.add, edges),
            top_samples(part),
        )

    if rows.size < SPLIT_VALUES:
        return summarise(rows)
    half = rows.shape[0] // 2
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(summarise, (rows[:half], rows[half:]))
    peak, bmax, bsum, top = (np.concatenate(pair) for pair in zip(first, second, strict=True))
    return peak, bmax, bsum, top


TOP = 16
#: Rows whose busiest samples are found at a time.
TOP_CHUNK_ROWS = 512


def top_samples(rows: FloatArray) -> IntArray:
    """Indices of the ``TOP`` highest samples of every row (all samples when there are fewer)."""
    n = rows.shape[-1]
    if n <= TOP:
        return np.broadcast_to(np.arange(n), (*rows.shape[:-1], n)).copy()
    if rows.ndim == 1:
        return np.argpartition(rows, n - TOP)[n - TOP :].astype(np.int64)
    # argpartition returns indices for the whole row: a chunk of rows at a time keeps that
    # temporary small (on 10,000 x 8,640 samples it would be as large as the demand matrix)
    out = np.empty((rows.shape[0], TOP), dtype=np.int64)
    for a in range(0, rows.shape[0], TOP_CHUNK_ROWS):
        part = rows[a : a + TOP_CHUNK_ROWS]
        out[a : a + part.shape[0]] = np.argpartition(part, n - TOP, axis=-1)[:, n - TOP :]
    return out


BLOCKS = 256


def block_edges(samples: int) -> IntArray:
    """Start of every block: at most ``BLOCKS`` contiguous blocks covering all samples."""
    n = min(BLOCKS, max(samples, 1))
    return np.unique(np.linspace(0, samples, n + 1).astype(np.int64)[:-1])


def block_sizes(samples: int) -> FloatArray:
    edges = block_edges(samples)
    return np.diff(np.append(edges, samples)).astype(np.float64)


def block_reduce(rows: FloatArray, ufunc: np.ufunc, edges: IntArray) -> FloatArray:
    """``ufunc`` (maximum or add) over every block of samples (starting at ``edges``)."""
    if rows.shape[-1] == 0:
        return np.zeros((*rows.shape[:-1], 1))
    return np.asarray(ufunc.reduceat(rows, edges, axis=-1), dtype=np.float64)


def item_placement(items: Items, vm_placement: IntArray) -> IntArray:
    """Host of every item in a VM placement, -1 where its members are split over hosts."""
    n = len(items)
    low = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(n, -1, dtype=np.int64)
    np.minimum.at(low, items.of_vm, vm_placement)
    np.maximum.at(high, items.of_vm, vm_placement)
    return np.where(low == high, high, -1)
