"""``pack`` over a fleet: every cluster packed on its own (each with the full time limit), then
one result of the whole inventory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from functools import partial

import numpy as np

from vmplan.engine.bounds import Bounds
from vmplan.fleet.merge import merge_plans
from vmplan.fleet.run import Solved, Where, solve
from vmplan.fleet.split import Part, split
from vmplan.model import Inventory
from vmplan.pack import PackResult, PackSettings, Progress, pack
from vmplan.pack.result import FrontierPoint, pareto
from vmplan.pack.spare import RoomCheck


def pack_fleet(
    inv: Inventory, settings: PackSettings, where: Where, say: Progress | None = None
) -> Solved[PackResult]:
    """The merged result, and every cluster's part and own result (in the clusters' order)."""
    parts = split(inv)
    if len(parts) > 1:
        runs = "in this process" if where.jobs <= 1 else f"on {where.jobs} processes"
        runs = f"on the Dask scheduler {where.scheduler}" if where.scheduler else runs
        (say or (lambda _m: None))(f"packing {len(parts)} clusters {runs}")
    local = partial(pack, settings=settings, progress=say, room=_room(settings))
    results = solve(parts, partial(_pack_quietly, settings), where, local)
    return Solved(_merged(inv, parts, results), parts, tuple(results))


def _pack_quietly(settings: PackSettings, inv: Inventory) -> PackResult:
    """One cluster's task (it pickles: no progress callback or room check crosses a process)."""
    return pack(inv, settings, None, _room(settings))


def _room(settings: PackSettings) -> RoomCheck | None:
    """The evacuation check ``--spare`` needs, built where the cluster is packed (the fleet sits
    above pack and evacuate, which never import each other)."""
    from vmplan.evacuate.room import spare_check

    return spare_check(settings.spare, settings) if settings.spare else None


def _merged(inv: Inventory, parts: Sequence[Part], results: Sequence[PackResult]) -> PackResult:
    if len(parts) == 1 and parts[0].inventory is inv:
        return results[0]
    plan = merge_plans(inv, parts, [r.plan for r in results])
    strategies = dict.fromkeys(r.strategy for r in results)
    frontier = sum_frontiers([r.frontier for r in results])
    bounds = _sum_bounds([r.bounds for r in results])
    cut = any(r.cut for r in results)  # the fleet's search is cut where any cluster's is
    return PackResult(plan, bounds, frontier, ", ".join(strategies), cut)


def sum_frontiers(frontiers: Sequence[Sequence[FrontierPoint]]) -> tuple[FrontierPoint, ...]:
    """The fleet's hosts/migrations trade-off: clusters are planned independently, so any choice
    of one point per cluster is a plan of the fleet; for every total of hosts the fewest
    migrations over those choices (a min-plus convolution, cluster after cluster), then the
    points no other beats. Empty when a cluster has no frontier (it was not asked for)."""
    if not frontiers or not all(frontiers):
        return ()
    fewest = np.zeros(1)  # fewest[h]: the fewest migrations for h hosts in all (inf: none)
    for points in frontiers:
        step = np.full(fewest.size + max(p.hosts for p in points), np.inf)
        for p in points:
            shifted = step[p.hosts : p.hosts + fewest.size]
            np.minimum(shifted, fewest + p.migrations, out=shifted)
        fewest = step
    hosts = np.flatnonzero(np.isfinite(fewest))
    return pareto([(int(h), int(fewest[h])) for h in hosts])


def _sum_bounds(bounds: Sequence[Bounds]) -> Bounds:
    """Clusters share no host, so every kind of bound adds up over them (a kind some cluster
    did not compute is left out), and so do the clusters' best bounds, which may each come from
    another kind: their sum (``clusters``) is the fleet's bound."""
    total: dict[str, int | None] = {}
    for f in fields(Bounds):
        values = [getattr(b, f.name) for b in bounds]
        total[f.name] = None if None in values else sum(values)
    total["clusters"] = sum(b.plain for b in bounds)
    return Bounds(**total)  # type: ignore[arg-type]
