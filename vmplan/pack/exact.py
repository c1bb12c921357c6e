"""pack's objective on the shared exact model (:mod:`vmplan.engine.milp`), for small instances.

Phase 1 minimises the hosts used, ``sum_h y[h]``, with ``y[h] >= y[h']`` between interchangeable
hosts to cut symmetry and at most the best count known; phase 2 fixes ``sum_h y[h] <= k`` and
minimises migrations, ``sum_i w[i] (1 - x[i, today(i)])`` with ``w[i]`` the number of VMs of item
``i`` (as costs: the VMs of ``i`` not on ``h`` today). The phase-1 dual bound is a lower bound on
hosts for the whole series (see the engine's model).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from vmplan.engine import milp
from vmplan.engine.bounds import maximal_columns
from vmplan.engine.items import Items
from vmplan.model import FloatArray, IntArray, Inventory

MAX_ITEMS = 120
INITIAL_SAMPLES = 24
#: Up to this many distinct maximal samples, the model starts with all of them.
MAXIMAL_SAMPLES = 64


@dataclass(frozen=True, slots=True)
class ExactResult:
    where: IntArray | None  # item -> host, valid at every sample, or None
    lower_bound: int
    optimal_hosts: bool  # phase 1 proved the host count optimal
    optimal_migrations: bool


def applicable(inv: Inventory, items: Items) -> bool:
    return milp.applicable(len(items), int(items.allowed.sum()), MAX_ITEMS)


def solve(
    inv: Inventory,
    items: Items,
    before: IntArray,
    upper: int,
    deadline: float,
    proven: bool = False,
) -> ExactResult:
    """Phase 1 then phase 2 within ``deadline``; ``upper`` is the best host count known.

    With ``proven`` (``upper`` already meets a lower bound) phase 1 is skipped.
    """
    problem = milp.Assignment(
        np.argwhere(items.allowed),
        items.demand,
        items.memory,
        inv.cpu_cap,
        inv.mem_cap,
        items.conflicts,
    )
    samples = _initial_samples(inv, items)
    no_x = np.zeros(len(problem.pairs))
    hosts = upper
    where: IntArray | None = None
    if not proven:
        count = milp.HostCount(upper, inv.maintenance, _symmetry(inv, items), cost=1.0)
        first = milp.solve(problem, no_x, deadline, samples, count)
        bound = int(np.ceil(first.dual_bound - 1e-6)) if np.isfinite(first.dual_bound) else 0
        if first.infeasible:
            return ExactResult(None, 0, False, False)
        where = first.where
        if where is None or not first.optimal:
            return ExactResult(where, bound, False, False)
        hosts = int(np.unique(where).size)
    second = milp.solve(
        problem,
        _migration_cost(inv, items, problem.pairs),
        deadline,
        samples,
        milp.HostCount(hosts, inv.maintenance),
    )
    if second.where is not None:
        return ExactResult(second.where, hosts, True, second.optimal)
    return ExactResult(where, hosts if where is not None else 0, where is not None, False)


def _initial_samples(inv: Inventory, items: Items) -> set[int]:
    """The distinct maximal samples when they are few (no other sample can then be violated),
    else the busiest samples of the total and the peaks of the first items."""
    columns = maximal_columns(items.demand)
    if columns is not None and columns.size <= MAXIMAL_SAMPLES:
        return set(columns.tolist())
    total = items.demand.sum(axis=0)
    k = min(INITIAL_SAMPLES, inv.n_samples)
    samples = set(np.argsort(-total, kind="stable")[:k].tolist())
    return samples | set(np.argmax(items.demand, axis=1).tolist()[:INITIAL_SAMPLES])


def _migration_cost(inv: Inventory, items: Items, pairs: IntArray) -> FloatArray:
    """For every pair (i, h): the VMs of item ``i`` that would move if it went to ``h``."""
    sizes = np.array([len(m) for m in items.members], dtype=np.float64)
    there = np.zeros((len(items), len(inv.hosts)))
    np.add.at(there, (items.of_vm, inv.current), 1.0)
    ii, hh = pairs[:, 0], pairs[:, 1]
    return np.asarray(sizes[ii] - there[ii, hh])


def _symmetry(inv: Inventory, items: Items) -> tuple[tuple[int, int], ...]:
    """Pairs (h, h') of interchangeable hosts, h first: y[h] >= y[h']."""
    keys: dict[tuple[object, ...], list[int]] = {}
    for h in range(len(inv.hosts)):
        if inv.maintenance[h]:
            continue
        key = (inv.cpu_cap[h], inv.mem_cap[h], inv.host_cores[h], items.allowed[:, h].tobytes())
        keys.setdefault(key, []).append(h)
    return tuple(p for group in keys.values() for p in itertools.pairwise(group))
