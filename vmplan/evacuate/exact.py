"""The exact evacuation model for small instances, solved with ``scipy.optimize.milp`` (HiGHS).

Variables ``x[i,h] = 1`` when item ``i`` ends on host ``h``, for every open host it is allowed on,
plus its host of today unless it must leave it (named, split, not allowed there -- a host in
maintenance that is not named keeps what it has). With ``w[i,h]`` the number of the item's VMs
that are not on ``h`` today::

    minimise   sum w[i,h] x[i,h]                               migrations
    subject to sum_h x[i,h] = 1                                every item placed once
               sum_i d[i,t] x[i,h] <= C[h]      for t in S     CPU limit at the samples in S
               sum_i m[i] x[i,h]   <= M[h]                     memory limit
               x[i,h] + x[j,h] <= 1                            anti-affinity

``S`` starts with every sample on short series, else the busiest ones, and grows by cutting planes
(the worst violated sample of each overloaded host) until the solution holds at every sample.
Infeasibility proven with a partial ``S`` is proven for the whole series (fewer rows can only
admit more solutions). The headroom objective is left to the local improvement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from vmplan.constraints import padded_cpu_cap, padded_memory_cap
from vmplan.evacuate.solve import Prepared
from vmplan.model import IntArray

MAX_ITEMS = 150
MAX_VARIABLES = 6000
ALL_SAMPLES = 96  # series this short get every sample as a row from the start
INITIAL_SAMPLES = 24
NODE_LIMIT = 20000  # a deterministic budget; the time limit is only a safety net
GIB = float(2**30)


@dataclass(frozen=True, slots=True)
class ExactResult:
    where: IntArray | None  # item -> host, valid at every sample
    infeasible: bool  # proven: no evacuation exists at all
    optimal: bool  # the fewest migrations, proven


def applicable(prep: Prepared) -> bool:
    return len(prep.items) <= MAX_ITEMS and int(prep.items.allowed.sum()) <= MAX_VARIABLES


def solve(
    prep: Prepared, named: frozenset[int], forced: frozenset[int], deadline: float
) -> ExactResult:
    """The fewest migrations; ``forced`` items may not stay on today's host."""
    model = _Model(prep, named, forced)
    margin = 0.0
    while True:
        left = deadline - time.monotonic()
        if left <= 0.05:
            return ExactResult(None, False, False)
        res = model.solve(left, margin)
        if res.status == 2:
            return ExactResult(None, True, False)
        if res.x is None:
            return ExactResult(None, False, False)
        where = model.decode(res.x)
        if (where < 0).any():
            return ExactResult(None, False, False)
        violated = model.violations(where)
        if not violated:
            return ExactResult(where, False, res.status == 0)
        if violated <= model.samples:  # solver tolerance at a row it has: shrink capacities once
            if margin:
                return ExactResult(None, False, False)
            margin = 1e-6
        model.samples |= violated


class _Model:
    def __init__(self, prep: Prepared, named: frozenset[int], forced: frozenset[int]) -> None:
        inv, items = prep.inv, prep.items
        self.prep = prep
        closed = inv.maintenance.copy()
        closed[sorted(named)] = True
        allowed = items.allowed & ~closed[None, :]
        for i, h in enumerate(prep.today.tolist()):
            if h >= 0 and i not in forced:
                allowed[i, h] = True  # it may stay
        self.pairs = np.argwhere(allowed)  # (k, 2): item, host
        ii = self.pairs[:, 0]
        stay = np.zeros(len(ii))
        for k, (i, h) in enumerate(self.pairs.tolist()):
            stay[k] = float((prep.current[items.members[i]] == h).sum())
        sizes = np.array([len(m) for m in items.members], dtype=np.float64)
        self.cost = sizes[ii] - stay
        self.n_h = len(inv.hosts)
        if inv.n_samples <= ALL_SAMPLES:
            self.samples = set(range(inv.n_samples))
        else:
            total = prep.base.load.sum(axis=0)
            self.samples = set(np.argsort(-total, kind="stable")[:INITIAL_SAMPLES].tolist())
            self.samples |= set(np.argmax(prep.base.load, axis=1).tolist())
        conflict_rows: list[tuple[int, int]] = []
        index = {(int(a), int(b)): k for k, (a, b) in enumerate(self.pairs)}
        for i, others in enumerate(items.conflicts):
            for j in others:
                if j > i:
                    conflict_rows += [
                        (index[i, h], index[j, h])
                        for h in range(self.n_h)
                        if (i, h) in index and (j, h) in index
                    ]
        self.conflicts = np.array(conflict_rows, dtype=np.int64).reshape(-1, 2)

    def solve(self, time_left: float, margin: float) -> Any:
        inv, it = self.prep.inv, self.prep.items
        ii, hh = self.pairs[:, 0], self.pairs[:, 1]
        n_x, n_items, n_h = len(ii), len(it), self.n_h
        cols = np.arange(n_x)
        blocks = [sparse.coo_matrix((np.ones(n_x), (ii, cols)), shape=(n_items, n_x))]
        lo = [np.ones(n_items)]
        hi = [np.ones(n_items)]
        cap = padded_cpu_cap(inv.cpu_cap) * (1 - margin)
        for t in sorted(self.samples):
            blocks.append(sparse.coo_matrix((it.demand[ii, t], (hh, cols)), shape=(n_h, n_x)))
            lo.append(np.full(n_h, -np.inf))
            hi.append(cap)
        blocks.append(sparse.coo_matrix((it.memory[ii] / GIB, (hh, cols)), shape=(n_h, n_x)))
        lo.append(np.full(n_h, -np.inf))
        hi.append(padded_memory_cap(inv.mem_cap) * (1 - margin) / GIB)
        m = len(self.conflicts)
        if m:
            rows = np.repeat(np.arange(m), 2)
            blocks.append(
                sparse.coo_matrix((np.ones(2 * m), (rows, self.conflicts.ravel())), shape=(m, n_x))
            )
            lo.append(np.full(m, -np.inf))
            hi.append(np.ones(m))
        # imported here: scipy.optimize takes half a second, which every command would pay
        from scipy.optimize import Bounds as VarBounds
        from scipy.optimize import LinearConstraint, milp

        constraint = LinearConstraint(
            sparse.vstack(blocks).tocsr(), np.concatenate(lo), np.concatenate(hi)
        )
        return milp(
            self.cost,
            constraints=constraint,
            integrality=np.ones(n_x),
            bounds=VarBounds(np.zeros(n_x), np.ones(n_x)),
            options={"time_limit": max(time_left, 0.1), "node_limit": NODE_LIMIT, "presolve": True},
        )

    def decode(self, x: np.ndarray) -> IntArray:
        where = np.full(len(self.prep.items), -1, dtype=np.int64)
        chosen = np.flatnonzero(x > 0.5)
        where[self.pairs[chosen, 0]] = self.pairs[chosen, 1]
        return where

    def violations(self, where: IntArray) -> set[int]:
        inv, it = self.prep.inv, self.prep.items
        load = np.zeros((self.n_h, inv.n_samples))
        for h in np.unique(where).tolist():
            load[h] = it.demand[where == h].sum(axis=0)
        over = load - padded_cpu_cap(inv.cpu_cap)[:, None]
        return {int(np.argmax(over[h])) for h in np.flatnonzero((over > 0).any(axis=1))}
