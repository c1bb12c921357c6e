"""evacuate's objective on the shared exact model (:mod:`vmplan.engine.milp`), for small instances.

Variables ``x[i,h]`` for every open host item ``i`` is allowed on, plus its host of today unless it
must leave it (named, split, not allowed there -- a host in maintenance that is not named keeps
what it has). With ``w[i,h]`` the number of the item's VMs that are not on ``h`` today::

    minimise   sum w[i,h] x[i,h]                               migrations

under the engine's assignment rows. ``S`` starts with every sample on short series, else the
busiest ones and each host's peak today. Infeasibility proven with a partial ``S`` is proven for
the whole series. The headroom objective is left to the local improvement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vmplan.engine import milp
from vmplan.evacuate.solve import Prepared
from vmplan.model import FloatArray, IntArray

MAX_ITEMS = 150
ALL_SAMPLES = 96  # series this short get every sample as a row from the start
INITIAL_SAMPLES = 24


@dataclass(frozen=True, slots=True)
class ExactResult:
    where: IntArray | None  # item -> host, valid at every sample
    infeasible: bool  # proven: no evacuation exists at all
    optimal: bool  # the fewest migrations, proven


def applicable(prep: Prepared) -> bool:
    return milp.applicable(len(prep.items), int(prep.items.allowed.sum()), MAX_ITEMS)


def solve(
    prep: Prepared, named: frozenset[int], forced: frozenset[int], deadline: float
) -> ExactResult:
    """The fewest migrations; ``forced`` items may not stay on today's host."""
    inv, items = prep.inv, prep.items
    pairs = _pairs(prep, named, forced)
    problem = milp.Assignment(
        pairs, items.demand, items.memory, inv.cpu_cap, inv.mem_cap, items.conflicts
    )
    found = milp.solve(problem, _cost(prep, pairs), deadline, _initial_samples(prep))
    return ExactResult(found.where, found.infeasible, found.optimal)


def _pairs(prep: Prepared, named: frozenset[int], forced: frozenset[int]) -> IntArray:
    closed = prep.inv.maintenance.copy()
    closed[sorted(named)] = True
    allowed = prep.items.allowed & ~closed[None, :]
    for i, h in enumerate(prep.today.tolist()):
        if h >= 0 and i not in forced:
            allowed[i, h] = True  # it may stay
    return np.argwhere(allowed)


def _cost(prep: Prepared, pairs: IntArray) -> FloatArray:
    """The VMs of item ``i`` that are not on ``h`` today, for every pair (i, h)."""
    members = prep.items.members
    stay = np.array(
        [float((prep.current[members[i]] == h).sum()) for i, h in pairs.tolist()], dtype=np.float64
    )
    sizes = np.array([len(m) for m in members], dtype=np.float64)
    return np.asarray(sizes[pairs[:, 0]] - stay)


def _initial_samples(prep: Prepared) -> set[int]:
    n = prep.inv.n_samples
    if n <= ALL_SAMPLES:
        return set(range(n))
    total = prep.base.load.sum(axis=0)
    samples = set(np.argsort(-total, kind="stable")[:INITIAL_SAMPLES].tolist())
    return samples | set(np.argmax(prep.base.load, axis=1).tolist())
