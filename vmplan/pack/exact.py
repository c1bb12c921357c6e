"""The exact model, for small instances, solved with ``scipy.optimize.milp`` (HiGHS).

Variables: ``x[i,h] = 1`` when item ``i`` goes to host ``h`` (only where it is allowed),
``y[h] = 1`` when host ``h`` is used. Constraints::

    sum_h x[i,h] = 1                                  every item placed once
    sum_i d[i,t] x[i,h] <= C[h] y[h]     for t in S   CPU limit at the samples in S
    sum_i m[i] x[i,h]   <= M[h] y[h]                  memory limit
    x[i,h] <= y[h]                                    (tightens the relaxation)
    x[i,h] + x[j,h] <= 1                              anti-affinity (i, j in conflict)

Phase 1 minimises ``sum_h y[h]`` (with ``y[h] >= y[h']`` between interchangeable hosts to cut
symmetry); phase 2 fixes ``sum_h y[h] <= k`` and minimises migrations,
``sum_i w[i] (1 - x[i, today(i)])`` with ``w[i]`` the number of VMs in item ``i``.

``S`` starts with the busiest samples and grows by cutting planes: a solution is checked at every
sample and the worst violated sample of each overloaded host is added, then solved again. The
phase-1 dual bound is valid for the full model even while ``S`` is partial (fewer constraints can
only lower the optimum), so it is a true lower bound on hosts.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vmplan.constraints import padded_cpu_cap
from vmplan.engine.items import Items
from vmplan.model import IntArray, Inventory

if TYPE_CHECKING:
    from scipy import sparse

MAX_ITEMS = 120
MAX_VARIABLES = 6000
INITIAL_SAMPLES = 24
NODE_LIMIT = 20000  # a deterministic budget; the time limit is only a safety net


@dataclass(frozen=True, slots=True)
class ExactResult:
    where: IntArray | None  # item -> host, valid at every sample, or None
    lower_bound: int
    optimal_hosts: bool  # phase 1 proved the host count optimal
    optimal_migrations: bool


def applicable(inv: Inventory, items: Items) -> bool:
    return len(items) <= MAX_ITEMS and int(items.allowed.sum()) <= MAX_VARIABLES


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
    model = _Model(inv, items, before)
    hosts = upper
    where: IntArray | None = None
    if not proven:
        first = model.run(phase=1, max_hosts=upper, deadline=deadline)
        if first is None:
            return ExactResult(None, 0, False, False)
        where, bound, proved = first
        if where is None or not proved:
            return ExactResult(where, bound, False, False)
        hosts = int(np.unique(where).size)
    second = model.run(phase=2, max_hosts=hosts, deadline=deadline)
    if second is not None and second[0] is not None:
        return ExactResult(second[0], hosts, True, second[2])
    return ExactResult(where, hosts if where is not None else 0, where is not None, False)


class _Model:
    def __init__(self, inv: Inventory, items: Items, before: IntArray) -> None:
        self.inv, self.items, self.before = inv, items, before
        self.pairs = np.argwhere(items.allowed)  # (k, 2): item, host
        self.n_x = len(self.pairs)
        self.n_h = len(inv.hosts)
        total = items.demand.sum(axis=0)
        k = min(INITIAL_SAMPLES, inv.n_samples)
        self.samples = set(np.argsort(-total, kind="stable")[:k].tolist())
        self.samples |= set(np.argmax(items.demand, axis=1).tolist()[:INITIAL_SAMPLES])

    def run(
        self, phase: int, max_hosts: int, deadline: float
    ) -> tuple[IntArray | None, int, bool] | None:
        """Solve, adding violated samples, until valid; (where, bound, optimal) or None."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0.05:
                return None
            res = self._solve(phase, max_hosts, left)
            bound = float(getattr(res, "mip_dual_bound", None) or 0.0)
            lb = int(np.ceil(bound - 1e-6)) if phase == 1 and np.isfinite(bound) else 0
            if res.x is None:
                return (None, lb, False) if phase == 1 else None
            where = self._decode(res.x)
            violated = self._violations(where)
            if not violated:
                return where, lb, res.status == 0
            if violated <= self.samples:  # numerically off at a sample it already has
                return None
            self.samples |= violated

    def _solve(self, phase: int, max_hosts: int, time_left: float) -> Any:
        from scipy import sparse  # only small instances run the model: import it then

        inv, it = self.inv, self.items
        n_x, n_h = self.n_x, self.n_h
        ii, hh = self.pairs[:, 0], self.pairs[:, 1]
        cols_x = np.arange(n_x)
        rows: list[sparse.coo_matrix] = []
        lo: list[np.ndarray] = []
        hi: list[np.ndarray] = []

        def add(mat: sparse.coo_matrix, low: np.ndarray, high: np.ndarray) -> None:
            rows.append(mat)
            lo.append(low)
            hi.append(high)

        n_items = len(it)
        add(
            sparse.coo_matrix((np.ones(n_x), (ii, cols_x)), shape=(n_items, n_x + n_h)),
            np.ones(n_items),
            np.ones(n_items),
        )

        def capacity(coeffs: np.ndarray, caps: np.ndarray) -> None:
            """sum_i coeffs[i] x[i,h] - caps[h] y[h] <= 0, one row per host."""
            data = np.concatenate([coeffs, -caps])
            r = np.concatenate([hh, np.arange(n_h)])
            c = np.concatenate([cols_x, n_x + np.arange(n_h)])
            mat = sparse.coo_matrix((data, (r, c)), shape=(n_h, n_x + n_h))
            add(mat, np.full(n_h, -np.inf), np.zeros(n_h))

        for t in sorted(self.samples):
            capacity(it.demand[ii, t], inv.cpu_cap)
        gib = float(2**30)  # memory in GiB keeps the coefficients in a range HiGHS likes
        capacity(it.memory[ii] / gib, inv.mem_cap / gib)
        link = sparse.coo_matrix(
            (
                np.concatenate([np.ones(n_x), -np.ones(n_x)]),
                (np.tile(cols_x, 2), np.concatenate([cols_x, n_x + hh])),
            ),
            shape=(n_x, n_x + n_h),
        )
        add(link, np.full(n_x, -np.inf), np.zeros(n_x))
        index = {(int(a), int(b)): k for k, (a, b) in enumerate(self.pairs)}
        conflict_rows: list[tuple[int, int]] = []
        for i in range(n_items):
            for j in it.conflicts[i]:
                if j > i:
                    for h in range(n_h):
                        if (i, h) in index and (j, h) in index:
                            conflict_rows.append((index[i, h], index[j, h]))
        if conflict_rows:
            a = np.array(conflict_rows)
            m = len(a)
            add(
                sparse.coo_matrix(
                    (np.ones(2 * m), (np.repeat(np.arange(m), 2), a.ravel())), shape=(m, n_x + n_h)
                ),
                np.full(m, -np.inf),
                np.ones(m),
            )
        y_row = sparse.coo_matrix(
            (np.ones(n_h), (np.zeros(n_h), n_x + np.arange(n_h))), shape=(1, n_x + n_h)
        )
        add(y_row, np.array([-np.inf]), np.array([float(max_hosts)]))
        cost = np.zeros(n_x + n_h)
        if phase == 1:
            cost[n_x:] = 1.0
            sym = self._symmetry()
            if sym:
                s = np.array(sym)
                k = len(s)
                mat = sparse.coo_matrix(
                    (
                        np.concatenate([np.ones(k), -np.ones(k)]),
                        (np.tile(np.arange(k), 2), n_x + np.concatenate([s[:, 0], s[:, 1]])),
                    ),
                    shape=(k, n_x + n_h),
                )
                add(mat, np.zeros(k), np.full(k, np.inf))
        else:
            # VMs of item i that would move if it went to h: those not on h today
            sizes = np.array([len(m) for m in it.members], dtype=np.float64)
            there = np.zeros((n_items, n_h))
            np.add.at(there, (it.of_vm, inv.current), 1.0)
            cost[:n_x] = sizes[ii] - there[ii, hh]
        upper = np.ones(n_x + n_h)
        upper[n_x:][inv.maintenance] = 0.0
        # imported here: scipy.optimize takes half a second, which every command would pay
        from scipy.optimize import Bounds as VarBounds
        from scipy.optimize import LinearConstraint, milp

        constraint = LinearConstraint(
            sparse.vstack(rows).tocsr(), np.concatenate(lo), np.concatenate(hi)
        )
        return milp(
            cost,
            constraints=constraint,
            integrality=np.ones(n_x + n_h),
            bounds=VarBounds(np.zeros(n_x + n_h), upper),
            options={"time_limit": max(time_left, 0.1), "node_limit": NODE_LIMIT, "presolve": True},
        )

    def _symmetry(self) -> list[tuple[int, int]]:
        """Pairs (h, h') of interchangeable hosts, h first: y[h] >= y[h']."""
        inv, it = self.inv, self.items
        keys: dict[tuple[object, ...], list[int]] = {}
        for h in range(self.n_h):
            if inv.maintenance[h]:
                continue
            key = (inv.cpu_cap[h], inv.mem_cap[h], inv.host_cores[h], it.allowed[:, h].tobytes())
            keys.setdefault(key, []).append(h)
        out = []
        for group in keys.values():
            out += list(itertools.pairwise(group))
        return out

    def _decode(self, x: np.ndarray) -> IntArray:
        where = np.full(len(self.items), -1, dtype=np.int64)
        chosen = np.flatnonzero(x[: self.n_x] > 0.5)
        where[self.pairs[chosen, 0]] = self.pairs[chosen, 1]
        return where

    def _violations(self, where: IntArray) -> set[int]:
        if (where < 0).any():
            return set()
        load = np.zeros((self.n_h, self.inv.n_samples))
        np.add.at(load, where, self.items.demand)
        over = load - padded_cpu_cap(self.inv.cpu_cap)[:, None]
        out = set()
        for h in np.flatnonzero((over > 0).any(axis=1)):
            out.add(int(np.argmax(over[h])))
        return out
