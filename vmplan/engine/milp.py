"""The one exact model: items assigned to hosts, solved with ``scipy.optimize.milp`` (HiGHS).

Variables ``x[i,h] = 1`` when item ``i`` goes to host ``h``, one for every allowed pair that the
caller lists, and, when the objective counts hosts, ``y[h] = 1`` when host ``h`` is used::

    sum_h x[i,h] = 1                                    every item placed once
    sum_i d[i,t] x[i,h] <= C[h] (y[h])   for t in S     CPU limit at the samples in S
    sum_i m[i] x[i,h]   <= M[h] (y[h])                  memory limit
    x[i,h] + x[j,h] <= 1                                anti-affinity (i, j in conflict)
    x[i,h] <= y[h];  sum_h y[h] <= k;  y[h] >= y[h']    with host variables only

``C`` and ``M`` are the padded limits of :mod:`vmplan.constraints`, so the model and every other
fit test agree on what fits. The objective is the caller's: :mod:`vmplan.pack.exact` counts hosts,
then migrations; :mod:`vmplan.evacuate.exact` counts migrations.

``S`` starts with the caller's choice of samples and grows by cutting planes: a solution is
checked at every sample, the worst violated sample of each overloaded host is added, and the model
is solved again. Fewer rows can only admit more solutions, so a dual bound or a proof of
infeasibility with a partial ``S`` holds for the whole series. When the solver's own tolerance
lets a row it already has be broken, the capacities shrink by a relative ``1e-6`` once (the dual
bound of such a tightened solve is not kept: it could exceed the true optimum).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vmplan.constraints import cpu_fits, padded_cpu_cap, padded_memory_cap
from vmplan.model import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from scipy import sparse

#: Models with more assignment variables than this are not built (HiGHS slows down sharply).
MAX_VARIABLES = 6000
#: A deterministic budget per solve; the time limit is only a safety net.
NODE_LIMIT = 20000
#: Memory rows in GiB keep the coefficients in a range HiGHS likes.
GIB = float(2**30)
#: Capacities shrink by this much once when the solver's tolerance breaks a row it has.
MARGIN = 1e-6

# scipy.optimize.milp's status codes
_OPTIMAL, _INFEASIBLE = 0, 2


@dataclass(frozen=True, slots=True, eq=False)
class Assignment:
    """What is to be placed where: items (rows of ``demand``) onto hosts, over allowed pairs."""

    pairs: IntArray  # (k, 2): item, host; the only x variables
    demand: FloatArray  # (items, samples) in cores
    memory: FloatArray  # (items,) bytes
    cpu_cap: FloatArray  # (hosts,) unpadded limits in cores
    mem_cap: FloatArray  # (hosts,) unpadded limits in bytes
    conflicts: Sequence[frozenset[int]]  # item -> items it may not share a host with

    @property
    def n_items(self) -> int:
        return int(self.demand.shape[0])

    @property
    def n_hosts(self) -> int:
        return int(self.cpu_cap.shape[0])


@dataclass(frozen=True, slots=True)
class HostCount:
    """Host variables: at most ``max_hosts`` used, ``closed`` ones never, ``symmetry`` pairs
    ``(h, h')`` of interchangeable hosts ordered ``y[h] >= y[h']``; ``cost`` per used host."""

    max_hosts: int
    closed: BoolArray
    symmetry: tuple[tuple[int, int], ...] = ()
    cost: float = 0.0


@dataclass(frozen=True, slots=True, eq=False)
class Solution:
    where: IntArray | None  # item -> host, within every limit at every sample; None if none found
    optimal: bool  # the objective is proven optimal
    infeasible: bool  # proven: no assignment exists at all
    dual_bound: float  # a valid lower bound on the objective (-inf when unknown)


def applicable(n_items: int, n_pairs: int, max_items: int) -> bool:
    return 0 < n_items <= max_items and n_pairs <= MAX_VARIABLES


def solve(
    problem: Assignment,
    cost: FloatArray,
    deadline: float,
    samples: set[int],
    hosts: HostCount | None = None,
) -> Solution:
    """Minimise ``cost @ x`` (+ host costs) by cutting planes on the samples, within ``deadline``.

    ``samples`` is the first set ``S`` and grows in place with the samples that were cut.
    """
    placed = np.zeros(problem.n_items, dtype=np.bool_)
    placed[problem.pairs[:, 0]] = True
    if not placed.all():  # an item with no allowed host: nothing to solve
        return Solution(None, False, True, np.inf)
    margin, bound = 0.0, -np.inf
    while True:
        left = deadline - time.monotonic()
        if left <= 0.05:
            return Solution(None, False, False, bound)
        res = _milp(problem, cost, hosts, sorted(samples), margin, left)
        if res.status == _INFEASIBLE:
            return Solution(None, False, True, np.inf)
        dual = getattr(res, "mip_dual_bound", None)
        if not margin and dual is not None and np.isfinite(dual):
            bound = max(bound, float(dual))
        if res.x is None:
            return Solution(None, False, False, bound)
        where = _decode(problem, res.x)
        if (where < 0).any():
            return Solution(None, False, False, bound)
        violated = _violations(problem, where)
        if not violated:
            return Solution(where, res.status == _OPTIMAL, False, bound)
        if violated <= samples:
            if margin:
                return Solution(None, False, False, bound)
            margin = MARGIN
        samples |= violated


def conflict_pairs(problem: Assignment) -> IntArray:
    """Pairs of x columns that anti-affinity keeps apart: (m, 2)."""
    index = {(int(a), int(b)): k for k, (a, b) in enumerate(problem.pairs.tolist())}
    rows: list[tuple[int, int]] = []
    for i, others in enumerate(problem.conflicts):
        for j in sorted(others):
            if j > i:
                rows += [
                    (index[i, h], index[j, h])
                    for h in range(problem.n_hosts)
                    if (i, h) in index and (j, h) in index
                ]
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


class _Rows:
    """Constraint blocks stacked into one sparse matrix with lower and upper bounds."""

    def __init__(self, n_cols: int) -> None:
        self.n_cols = n_cols
        self.blocks: list[sparse.coo_matrix] = []
        self.lo: list[FloatArray] = []
        self.hi: list[FloatArray] = []

    def add(
        self, data: FloatArray, rows: IntArray, cols: IntArray, n: int, lo: Any, hi: Any
    ) -> None:
        from scipy import sparse

        self.blocks.append(sparse.coo_matrix((data, (rows, cols)), shape=(n, self.n_cols)))
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,)))
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,)))


def _milp(
    problem: Assignment,
    cost: FloatArray,
    hosts: HostCount | None,
    samples: list[int],
    margin: float,
    time_left: float,
) -> Any:
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp  # only when a model runs

    ii, hh = problem.pairs[:, 0], problem.pairs[:, 1]
    n_x, n_h, n_items = len(ii), problem.n_hosts, problem.n_items
    n_y = n_h if hosts is not None else 0
    cols = np.arange(n_x)
    rows = _Rows(n_x + n_y)
    rows.add(np.ones(n_x), ii, cols, n_items, 1.0, 1.0)
    cpu = padded_cpu_cap(problem.cpu_cap) * (1 - margin)
    mem = padded_memory_cap(problem.mem_cap) * (1 - margin) / GIB
    for coeffs, cap in [(problem.demand[ii, t], cpu) for t in samples] + [
        (problem.memory[ii] / GIB, mem)
    ]:
        _capacity(rows, coeffs, cap, hh, n_x, hosts is not None)
    pairs = conflict_pairs(problem)
    m = len(pairs)
    if m:
        rows.add(np.ones(2 * m), np.repeat(np.arange(m), 2), pairs.ravel(), m, -np.inf, 1.0)
    upper = np.ones(n_x + n_y)
    full_cost = np.zeros(n_x + n_y)
    full_cost[:n_x] = cost
    if hosts is not None:
        _host_rows(rows, hosts, hh, n_x, n_h)
        upper[n_x:][hosts.closed] = 0.0
        full_cost[n_x:] = hosts.cost
    constraint = LinearConstraint(
        sparse.vstack(rows.blocks).tocsr(), np.concatenate(rows.lo), np.concatenate(rows.hi)
    )
    return milp(
        full_cost,
        constraints=constraint,
        integrality=np.ones(n_x + n_y),
        bounds=Bounds(np.zeros(n_x + n_y), upper),
        options={"time_limit": max(time_left, 0.1), "node_limit": NODE_LIMIT, "presolve": True},
    )


def _capacity(
    rows: _Rows, coeffs: FloatArray, cap: FloatArray, hh: IntArray, n_x: int, with_y: bool
) -> None:
    """``sum_i coeffs[i] x[i,h] <= cap[h]`` (times ``y[h]`` with host variables), per host."""
    n_h = cap.shape[0]
    if not with_y:
        rows.add(coeffs, hh, np.arange(n_x), n_h, -np.inf, cap)
        return
    data = np.concatenate([coeffs, -cap])
    r = np.concatenate([hh, np.arange(n_h)])
    c = np.concatenate([np.arange(n_x), n_x + np.arange(n_h)])
    rows.add(data, r, c, n_h, -np.inf, 0.0)


def _host_rows(rows: _Rows, hosts: HostCount, hh: IntArray, n_x: int, n_h: int) -> None:
    """x[i,h] <= y[h]; sum_h y[h] <= k; y[h] >= y[h'] for interchangeable hosts."""
    cols = np.arange(n_x)
    data = np.concatenate([np.ones(n_x), -np.ones(n_x)])
    rows.add(data, np.tile(cols, 2), np.concatenate([cols, n_x + hh]), n_x, -np.inf, 0.0)
    rows.add(
        np.ones(n_h),
        np.zeros(n_h, dtype=np.int64),
        n_x + np.arange(n_h),
        1,
        -np.inf,
        hosts.max_hosts,
    )
    if hosts.symmetry:
        s = np.array(hosts.symmetry, dtype=np.int64)
        k = len(s)
        data = np.concatenate([np.ones(k), -np.ones(k)])
        rows.add(data, np.tile(np.arange(k), 2), n_x + s.T.ravel(), k, 0.0, np.inf)


def _decode(problem: Assignment, x: FloatArray) -> IntArray:
    where = np.full(problem.n_items, -1, dtype=np.int64)
    chosen = np.flatnonzero(x[: len(problem.pairs)] > 0.5)
    where[problem.pairs[chosen, 0]] = problem.pairs[chosen, 1]
    return where


def _violations(problem: Assignment, where: IntArray) -> set[int]:
    """The worst sample of every host over its CPU limit."""
    out = set()
    for h in np.unique(where).tolist():
        load = problem.demand[where == h].sum(axis=0)
        if not cpu_fits(load, problem.cpu_cap[h]).all():
            out.add(int(np.argmax(load - padded_cpu_cap(problem.cpu_cap[h]))))
    return out
