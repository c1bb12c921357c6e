"""Consolidation: the fewest hosts on which every host's combined CPU series stays within its
limit at every sample (and memory fits, and rules hold), then the fewest migrations.

One entry point, :func:`pack`, runs a portfolio and keeps the best verified result:

1. repair today's placement (only what must move), then free hosts one at a time from the least
   loaded (:mod:`.consolidate`) -- this path yields the hosts/migrations frontier (on large
   fleets, where it cannot catch up with the next path, it runs only when the frontier is asked
   for, a migration budget is set, or the next path finds or schedules no plan);
2. first-fit and best-fit decreasing from empty hosts (:mod:`.construct`), relabelled onto
   today's hosts, then improved by freeing hosts (one variant on large fleets, with fewer tries);
3. for small instances, the exact MILP (:mod:`.exact`), which can prove optimality.

Results compare by (hosts used, migrations). The lower bound is the best of :mod:`.bounds` and the
MILP's dual bound. The chosen placement is scheduled into safe waves (:mod:`vmplan.engine.schedule`) and
re-verified by :mod:`vmplan.engine.verify` before it is returned.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vmplan.constraints import eligibility
from vmplan.engine import bounds as bounds_mod
from vmplan.engine import construct
from vmplan.engine.explain import why_unplaced
from vmplan.engine.items import Items, build, item_placement
from vmplan.engine.schedule import finish_plan
from vmplan.engine.settings import Settings
from vmplan.engine.state import Hosts
from vmplan.model import Command, IntArray, Inventory, MoveKind, Plan, Reason, Unplaced
from vmplan.pack import exact
from vmplan.pack.consolidate import TRIES_PER_ROUND, Walk, free_hosts, repair

Progress = Callable[[str], None]

#: From this many VM groups on, fewer and cheaper strategies run first.
LARGE = 3000
#: Hosts tried per round when freeing hosts of a large fleet (a failed try costs ~0.1 s there).
TRIES_PER_ROUND_LARGE = 4
#: How many of the best placements are scheduled before giving up on a budget or a safe order.
CANDIDATES_SCHEDULED = 4


@dataclass(frozen=True, slots=True)
class PackSettings(Settings):
    max_migrations: int | None = None
    frontier: bool = False  # on large fleets, also walk from today's placement for the trade-off


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    hosts: int
    migrations: int


@dataclass(frozen=True, slots=True, eq=False)
class PackResult:
    plan: Plan
    bounds: bounds_mod.Bounds
    frontier: tuple[FrontierPoint, ...]
    strategy: str


@dataclass(slots=True)
class _Candidate:
    name: str
    where: IntArray  # item -> host
    reasons: dict[int, Reason]
    hosts: int
    migrations: int


def pack(inv: Inventory, settings: PackSettings, progress: Progress | None = None) -> PackResult:
    started = time.monotonic()
    deadline = started + settings.time_limit
    say = progress or (lambda _msg: None)
    items = build(inv)
    before_items = item_placement(items, inv.current)
    bounds = bounds_mod.lower_bounds(inv, items)
    say(f"lower bound {bounds.best} hosts ({bounds.explain()})")

    if items.contradictions:
        return _contradiction(inv, bounds, items.contradictions)
    nowhere = np.flatnonzero(~items.allowed.any(axis=1))
    if nowhere.size:
        return _infeasible(inv, items, bounds, nowhere, None)

    walk, failed = repair(inv, items, before_items)
    candidates: list[_Candidate] = []
    frontier: list[tuple[int, int]] = []

    over_budget: list[int] = []  # migrations of placements dropped for the budget

    def keep(c: _Candidate) -> None:
        if settings.max_migrations is None or c.migrations <= settings.max_migrations:
            candidates.append(c)
        else:
            over_budget.append(c.migrations)

    walked = False

    def consolidate(until: float) -> None:
        nonlocal walked
        walked = True
        free_hosts(walk, settings.max_migrations, until, say)
        frontier.extend((h, m) for h, m, _, _ in walk.frontier)
        for h, m, w, r in walk.frontier:
            keep(_Candidate("consolidate", w, r, h, m))

    # Freeing hosts one by one from today's placement is the strongest improver and the one that
    # respects a migration budget; on large fleets its steps are slow and it never catches up with
    # first-fit decreasing, so there it runs for the trade-off table (--frontier) in the time
    # left, or as the fallback when first-fit finds or schedules no plan.
    walk_first = settings.max_migrations is not None or len(items) <= LARGE
    tries = TRIES_PER_ROUND if len(items) <= LARGE else TRIES_PER_ROUND_LARGE
    if not failed and walk_first:
        consolidate(started + settings.time_limit * 0.5)
    for order, best in _variants(len(items)):
        if time.monotonic() >= deadline and (candidates or not failed):
            break
        built = construct.decreasing(inv, items, order, best)
        if built is None:
            continue
        state = construct.relabel(inv, items, built, inv.current)
        alt = Walk(state, before_items, _reasons_from_scratch(inv, items, state, before_items))
        free_hosts(alt, None, deadline, None, tries)
        name = f"{'best' if best else 'first'}-fit decreasing by {order.value}"
        for h, m, w, r in alt.frontier:
            frontier.append((h, m))
            keep(_Candidate(name, w, r, h, m))
        say(f"{name}: {alt.frontier[-1][0]} hosts")
    if not failed and not walk_first and (settings.frontier or not candidates):
        consolidate(max(deadline, time.monotonic() + settings.time_limit * 0.05))
    lower = bounds.best
    best_c = min(candidates, key=lambda c: (c.hosts, c.migrations)) if candidates else None
    if exact.applicable(inv, items) and (
        best_c is None or best_c.hosts > lower or best_c.migrations > 0
    ):
        say("exact model (HiGHS)")
        upper = best_c.hosts if best_c else int((~inv.maintenance).sum())
        # small models get a moment even when the heuristics used the budget up
        floor = time.monotonic() + min(2.0, settings.time_limit)
        proven = best_c is not None and best_c.hosts <= lower
        result = exact.solve(inv, items, before_items, upper, max(deadline, floor), proven)
        lower = max(lower, result.lower_bound)
        if result.where is not None:
            state = Hosts(inv, items, result.where)
            c = _Candidate(
                "exact (MILP)",
                result.where,
                _reasons_from_scratch(inv, items, state, before_items),
                len(state.used()),
                Walk(state, before_items).migrations(),
            )
            frontier.append((c.hosts, c.migrations))
            keep(c)
    if not candidates:
        if over_budget:
            return _over_budget(inv, bounds, settings, min(over_budget))
        return _infeasible(inv, items, bounds, np.array(failed), walk.state)
    chosen, plan = _schedule_best(inv, items, candidates, lower, settings)
    if chosen is None and not walked and not failed:  # first-fit's plans have no safe order
        consolidate(time.monotonic() + settings.time_limit * 0.05)
        chosen, plan = _schedule_best(inv, items, candidates, lower, settings)
    if chosen is not None:
        return PackResult(plan, bounds, _pareto(frontier), chosen.name)
    if plan.feasible:  # every plan needs temporary stops past the budget
        return _over_budget(inv, bounds, settings, len(plan.moves))
    return PackResult(plan, bounds, (), "none")


def _schedule_best(
    inv: Inventory,
    items: Items,
    candidates: list[_Candidate],
    lower: int,
    settings: PackSettings,
) -> tuple[_Candidate | None, Plan]:
    """The best candidate whose waves can be ordered (within the budget), with its plan; else
    None and the last plan tried. The schedule may add temporary stops, so a budget is checked on
    the real moves."""
    ranked = sorted(candidates, key=lambda c: (c.hosts, c.migrations))
    plan = Plan(Command.PACK, False, inv.current, inv.current, (), lower, False)
    for c in ranked[:CANDIDATES_SCHEDULED]:
        plan = _plan(inv, items, c, lower, c.hosts <= lower, settings)
        within = settings.max_migrations is None or len(plan.moves) <= settings.max_migrations
        if plan.feasible and within:
            return c, plan
    return None, plan


def _variants(n_items: int) -> list[tuple[construct.Order, bool]]:
    """From-scratch heuristics to try, most useful first (fewer on large instances)."""
    every = [
        (construct.Order.PEAK, True),
        (construct.Order.NORM, True),
        (construct.Order.PEAK, False),
        (construct.Order.NORM, False),
    ]
    # on large fleets one pass: first fit, which stops at the first host that takes an item
    return every if n_items <= LARGE else [(construct.Order.PEAK, False)]


def _reasons_from_scratch(
    inv: Inventory, items: Items, state: Hosts, before_items: IntArray
) -> dict[int, Reason]:
    names = [h.name for h in inv.hosts]
    used = set(state.used().tolist())
    out = {}
    for i in np.flatnonzero(state.where != before_items).tolist():
        b = int(before_items[i])
        if b < 0:
            out[i] = Reason(MoveKind.JOIN_AFFINITY)
        elif inv.maintenance[b]:
            out[i] = Reason(MoveKind.MAINTENANCE, names[b])
        elif b not in used:
            out[i] = Reason(MoveKind.FREE, names[b])
        else:
            out[i] = Reason(MoveKind.REPACK)
    return out


def _pareto(points: list[tuple[int, int]]) -> tuple[FrontierPoint, ...]:
    """Points no other point beats on both hosts and migrations, fewest migrations first."""
    best: dict[int, int] = {}
    for h, m in points:
        best[h] = min(m, best.get(h, m))
    out: list[FrontierPoint] = []
    for h in sorted(best, reverse=True):
        if not out or best[h] > out[-1].migrations or h < out[-1].hosts:
            while out and best[h] <= out[-1].migrations:
                out.pop()
            out.append(FrontierPoint(h, best[h]))
    return tuple(out)


def _plan(
    inv: Inventory,
    items: Items,
    c: _Candidate,
    lower: int,
    optimal: bool,
    settings: PackSettings,
) -> Plan:
    target = items.placement_of_vms(c.where)
    reasons = {
        int(v): c.reasons.get(int(items.of_vm[v]), Reason(MoveKind.REPACK))
        for v in range(len(inv.vms))
    }
    closed = frozenset(np.flatnonzero(inv.maintenance).tolist())
    return finish_plan(
        inv,
        target,
        reasons,
        settings,
        command=Command.PACK,
        closed=closed,
        lower_bound=lower,
        optimal=optimal,
    )


def _infeasible(
    inv: Inventory,
    items: Items,
    bounds: bounds_mod.Bounds,
    failed: IntArray,
    state: Hosts | None,
) -> PackResult:
    elig = eligibility(inv)
    unplaced = []
    for i in failed.tolist():
        for v in items.members[i].tolist():
            unplaced.append(Unplaced(v, tuple(why_unplaced(inv, items, elig, i, v, state))))
    plan = Plan(
        Command.PACK,
        False,
        inv.current,
        inv.current,
        (),
        bounds.best,
        False,
        unplaced=tuple(unplaced),
    )
    return PackResult(plan, bounds, (), "none")


def _over_budget(
    inv: Inventory, bounds: bounds_mod.Bounds, settings: PackSettings, needed: int
) -> PackResult:
    note = (
        f"no plan fits within --max-migrations {settings.max_migrations}: the cheapest valid plan "
        f"found needs {needed} migrations (moving VMs off maintenance hosts, fixing overloads and "
        "rules, and temporary stops count)"
    )
    plan = Plan(
        Command.PACK, False, inv.current, inv.current, (), bounds.best, False, notes=(note,)
    )
    return PackResult(plan, bounds, (), "none")


def _contradiction(inv: Inventory, bounds: bounds_mod.Bounds, why: tuple[str, ...]) -> PackResult:
    plan = Plan(Command.PACK, False, inv.current, inv.current, (), bounds.best, False, notes=why)
    return PackResult(plan, bounds, (), "none")
