"""``evacuate`` over a fleet: each cluster with a named host empties it within the cluster;
the other clusters are not touched."""

from __future__ import annotations

from functools import partial

import numpy as np

from vmplan.evacuate import EvacuateSettings, Progress, evacuate
from vmplan.fleet.merge import merge_plans
from vmplan.fleet.run import Solved, Where, solve
from vmplan.fleet.split import split
from vmplan.model import Inventory, Plan


def evacuate_fleet(
    inv: Inventory,
    hosts: list[int],
    settings: EvacuateSettings,
    where: Where,
    say: Progress | None = None,
) -> Solved[Plan]:
    """The merged plan, and the parts that had hosts to empty with their own plans."""
    named = np.array(sorted(hosts), dtype=np.int64)
    parts = tuple(p for p in split(inv) if np.isin(p.hosts, named).any())
    local_hosts = [(np.flatnonzero(np.isin(p.hosts, named)).tolist(),) for p in parts]
    local = partial(evacuate, settings=settings, progress=say)
    plans = solve(parts, partial(_evacuate_quietly, settings), where, local, local_hosts)
    return Solved(merge_plans(inv, parts, plans), parts, tuple(plans))


def _evacuate_quietly(settings: EvacuateSettings, inv: Inventory, hosts: list[int]) -> Plan:
    """One cluster's task (it pickles: no progress callback crosses a process)."""
    return evacuate(inv, hosts, settings, None)
