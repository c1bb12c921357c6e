"""Why an evacuation does not fit, per VM, and what would make it fit (verified).

Per VM: the binding constraint on the host it misses by the least (CPU by how many cores at what
time, memory by how many GiB, an anti-affinity rule), from :func:`vmplan.engine.explain.why_unplaced`,
or the pins and sizes that leave it only hosts being evacuated. For the whole evacuation, first: the total shortfall (:func:`shortfall`), what the VMs left over
need beyond the free room of every receiving host together; then the lowest
``--cpu-limit`` (or ``--memory-limit``) with which it fits, found by re-running the placement with
that limit -- never a guess from one host.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from vmplan.constraints import eligibility
from vmplan.engine.explain import GIB, amount, why_unplaced
from vmplan.evacuate.solve import Attempt, Prepared
from vmplan.model import RuleKind, Unplaced
from vmplan.timefmt import time_of_day
from vmplan.units import plural

#: Whether the evacuation fits with every host's CPU and/or memory limit overridden.
FitsWith = Callable[[float | None, float | None], bool]


def unplaced(
    prep: Prepared, attempt: Attempt, named: frozenset[int], closed: frozenset[int]
) -> list[Unplaced]:
    """One entry per VM of every item the attempt could not place, in inventory order."""
    out = []
    elig = eligibility(prep.inv)
    for i in attempt.failed:
        for v in prep.items.members[i].tolist():
            reasons = _only_closed(prep, i, named) or why_unplaced(
                prep.inv,
                prep.items,
                elig,
                i,
                v,
                attempt.state,
                closed,
                limit_hint=False,
            )
            out.append(Unplaced(v, tuple(reasons)))
    return sorted(out, key=lambda u: u.vm)


def shortfall(prep: Prepared, attempt: Attempt, closed: frozenset[int]) -> str | None:
    """The whole evacuation against the room of every receiving host together.

    Every VM on a closed host (being evacuated or in maintenance) must go to an open one, and VMs
    may move between open hosts, so with ``L[t]`` the combined demand of every VM at sample ``t``
    and ``C`` the sum of the open hosts' CPU limits, no placement exists while
    ``max_t (L[t] - C) > 0``; memory likewise. That excess is the shortfall, whatever the placement.
    When neither is short the room adds up but is split between hosts. None when a single VM is
    left over, whose own reasons already say it all.
    """
    inv, items = prep.inv, prep.items
    left = sum(len(items.members[i]) for i in attempt.failed)
    if left < 2:
        return None
    receivers = np.array([h for h in range(len(inv.hosts)) if h not in closed], dtype=np.int64)
    parts = []
    if inv.n_samples:
        short = inv.demand.sum(axis=0) - float(inv.cpu_cap[receivers].sum())
        t = int(np.argmax(short))
        if short[t] > 0:
            parts.append(f"{amount(float(short[t]))} cores at {time_of_day(inv, t)}")
    mem_short = float(inv.memory.sum() - inv.mem_cap[receivers].sum())
    if mem_short > 0:
        parts.append(f"{amount(mem_short / GIB)} GiB of memory")
    leaving = int(np.isin(prep.current, np.array(sorted(closed), dtype=np.int64)).sum())
    if parts:
        return (
            f"short by {' and '.join(parts)} in total: the {plural(leaving, 'VM')} to move need "
            "more than the free room of every receiving host together"
        )
    return (
        f"the free room of the receiving hosts adds up, but it is split between hosts: "
        f"{plural(left, 'VM')} find no host with room for them"
    )


def _only_closed(prep: Prepared, i: int, named: frozenset[int]) -> list[str]:
    """When every host the item may use is being evacuated: which, and because of what."""
    inv = prep.inv
    allowed = np.flatnonzero(prep.items.allowed[i]).tolist()
    if not allowed or any(h not in named for h in allowed):
        return []
    names = ", ".join(inv.hosts[h].name for h in allowed)
    pins = [
        r.name
        for r in inv.rules
        if r.kind is RuleKind.PIN and any(inv.vm_index[x] in prep.items.members[i] for x in r.vms)
    ]
    because = f" (pin rule {', '.join(pins)})" if pins else " (the only hosts with room for it)"
    being = "which is" if len(allowed) == 1 else "which are"
    out = [f"may only run on {names}{because}, {being} being evacuated"]
    if len(allowed) > 1:
        out.append(f"evacuate {names} one at a time")
    return out


def limit_hints(inv_cpu: float, inv_memory: float, fits_with: FitsWith) -> list[str]:
    """``with --cpu-limit N% it fits`` (and/or memory), each verified by ``fits_with``.

    ``inv_cpu``/``inv_memory`` are the lowest limits in force; the search runs over whole percents
    above them up to 100% (bisection: a higher limit never makes the evacuation harder).
    """
    out = []
    cpu = _smallest(inv_cpu, lambda p: fits_with(p, None))
    if cpu is not None:
        out.append(f"with --cpu-limit {cpu}% it fits")
    memory = _smallest(inv_memory, lambda p: fits_with(None, p))
    if memory is not None:
        out.append(f"with --memory-limit {memory}% it fits")
    if cpu is None and memory is None and fits_with(1.0, 1.0):
        out.append("with --cpu-limit 100% --memory-limit 100% it fits")
    return out


def _smallest(current: float, fits: Callable[[float], bool]) -> int | None:
    lo = math.floor(current * 100 + 1e-9) + 1
    if lo > 100 or not fits(1.0):
        return None
    hi = 100  # fits at hi; find the smallest percent that fits
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(mid / 100):
            hi = mid
        else:
            lo = mid + 1
    return hi
