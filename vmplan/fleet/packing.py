"""``pack`` over a fleet: every cluster packed on its own (each with the full time limit), then
one result of the whole inventory.

``--max-migrations N`` bounds the fleet's migrations, not each cluster's: when the clusters'
plans together need more than N, each cluster gets a share of N (:func:`shares`, the fewest
hosts in all from the trade-offs the clusters' searches found) and those over their share are
packed again within it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from functools import partial

import numpy as np

from vmplan.engine.bounds import Bounds
from vmplan.fleet.merge import merge_plans
from vmplan.fleet.run import Solved, Where, solve
from vmplan.fleet.split import Part, split
from vmplan.model import IntArray, Inventory
from vmplan.pack import PackResult, PackSettings, Progress, pack
from vmplan.pack.result import FrontierPoint, pareto
from vmplan.pack.spare import RoomCheck
from vmplan.units import plural

#: At most this many rounds of packing clusters again within their shares (each round takes up
#: to the time limit; one is the rule, more when today's placement of a cluster is no option).
ROUNDS = 3


def pack_fleet(
    inv: Inventory, settings: PackSettings, where: Where, say: Progress | None = None
) -> Solved[PackResult]:
    """The merged result, and every cluster's part and own result (in the clusters' order)."""
    parts = split(inv)
    if len(parts) > 1:
        runs = "in this process" if where.jobs <= 1 else f"on {where.jobs} processes"
        runs = f"on the Dask scheduler {where.scheduler}" if where.scheduler else runs
        (say or (lambda _m: None))(f"packing {len(parts)} clusters {runs}")
    budget = settings.max_migrations
    first = settings
    if budget is not None and len(parts) > 1:  # the trade-offs the shares are drawn from
        first = replace(settings, frontier=True)
    results = _packed(parts, [first] * len(parts), where, say)
    if budget is not None and sum(len(r.plan.moves) for r in results) > budget:
        results = _within(budget, parts, results, settings, where, say)
    return Solved(_merged(inv, parts, results), parts, tuple(results))


def _packed(
    parts: Sequence[Part], settings: Sequence[PackSettings], where: Where, say: Progress | None
) -> list[PackResult]:
    local = partial(_pack_here, progress=say)
    return solve(parts, _pack_quietly, where, local, [(s,) for s in settings])


def _pack_here(inv: Inventory, settings: PackSettings, progress: Progress | None) -> PackResult:
    return pack(inv, settings, progress, _room(settings))


def _pack_quietly(inv: Inventory, settings: PackSettings) -> PackResult:
    """One cluster's task (it pickles: no progress callback or room check crosses a process)."""
    return pack(inv, settings, None, _room(settings))


def _within(
    budget: int,
    parts: Sequence[Part],
    results: list[PackResult],
    settings: PackSettings,
    where: Where,
    say: Progress | None,
) -> list[PackResult]:
    """The clusters' results within ``budget`` migrations in all.

    Each cluster's options are the points of its trade-off, its plan, and today's placement
    (0 migrations, which is no option when today's placement needs repairs or lacks room for
    ``--spare``). The shares are drawn (:func:`shares`) and every cluster whose result does not
    keep to its share, or was made within a smaller one, is packed again within it. A cluster
    that cannot keep to its share rules out its options within it, and the shares are drawn
    again, at most :data:`ROUNDS` times. A cluster without a plan in the first pass makes the
    fleet's infeasible anyway."""
    if not all(r.plan.feasible for r in results):
        return results
    options = [
        {*((p.hosts, p.migrations) for p in r.frontier), _point(r), (_hosts(r.plan.before), 0)}
        for r in results
    ]
    out, made_within = list(results), [budget] * len(parts)
    for _round in range(ROUNDS):
        share = shares([sorted(o) for o in options], budget)
        if share is None:  # the clusters' least needs add up to more than the budget
            needs = [
                min((m for _h, m in o), default=made + 1)
                for o, made in zip(options, made_within, strict=True)
            ]
            return _over(budget, parts, out, needs)
        again = [k for k in range(len(parts)) if not _keeps(out[k], share[k], made_within[k])]
        if not again:
            break
        if say is not None:
            say(f"packing {len(again)} clusters again within their share of {budget} migrations")
        label = "its share ({}) of --max-migrations {}"
        tighter = [
            replace(settings, max_migrations=share[k], budget_label=label.format(share[k], budget))
            for k in again
        ]
        for k, r in zip(
            again, _packed([parts[k] for k in again], tighter, where, say), strict=True
        ):
            out[k], made_within[k] = r, share[k]
            if not r.plan.feasible:
                options[k] = {(h, m) for h, m in options[k] if m > share[k]}
    return out


def _over(
    budget: int, parts: Sequence[Part], results: list[PackResult], needs: list[int]
) -> list[PackResult]:
    """The results, each cluster without a plan saying what the fleet needs in all."""
    each = ", ".join(f"{p.name} {n}" for p, n in zip(parts, needs, strict=True) if n)
    note = (
        f"no plan of the fleet fits within --max-migrations {budget}: its clusters need at "
        f"least {plural(sum(needs), 'migration')} in all ({each}), to repair today's placement "
        "or keep room for --spare"
    )
    return [
        r if r.plan.feasible else replace(r, plan=replace(r.plan, notes=(note,))) for r in results
    ]


def _keeps(result: PackResult, share: int, made_within: int) -> bool:
    """Whether a cluster's result stands with this share: a plan within it, made within no less
    (a larger share than it was made within might free more hosts)."""
    return result.plan.feasible and len(result.plan.moves) <= share <= made_within


def _hosts(placement: IntArray) -> int:
    return int(np.unique(placement).size)


def _point(result: PackResult) -> tuple[int, int]:
    """The (hosts, migrations) of a result's plan."""
    return _hosts(result.plan.target), len(result.plan.moves)


def shares(points: Sequence[Sequence[tuple[int, int]]], budget: int) -> list[int] | None:
    """One (hosts, migrations) point per cluster, fewest hosts in all (then fewest migrations)
    within ``budget`` migrations in all: each cluster's migrations, or None when no choice fits.

    A knapsack over the totals of migrations reached so far, cluster after cluster (the clusters
    have a few points each, and the totals are at most ``budget + 1``)."""
    reach: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}  # migrations -> hosts, choice
    for options in points:
        step: dict[int, tuple[int, tuple[int, ...]]] = {}
        for used, (hosts, chosen) in reach.items():
            for h, m in set(options):
                total, this = used + m, (hosts + h, (*chosen, m))
                if total <= budget and (total not in step or this < step[total]):
                    step[total] = this
        reach = step
    if not reach:
        return None
    _hosts, _total, chosen = min((h, total, c) for total, (h, c) in reach.items())
    return list(chosen)


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
