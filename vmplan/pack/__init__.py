"""Consolidation: the fewest hosts on which every host's combined CPU series stays within its
limit at every sample (and memory fits, and rules hold), then the fewest migrations.

One entry point, :func:`pack`, runs the portfolio of :mod:`.portfolio` (first-fit decreasing
always, the walk from today's placement, the balanced fixed-H construction, more constructions,
the exact MILP on small instances) and keeps the best verified result. Results compare by (hosts
used, migrations). The lower bound is the best of :mod:`vmplan.engine.bounds` and the MILP's dual
bound. The chosen placement is scheduled into safe waves (:mod:`vmplan.engine.schedule`) and
re-verified by :mod:`vmplan.engine.verify` before it is returned. With ``--spare N`` the best
candidates first get room for maintenance (:mod:`.spare`), each used host's evacuation verified,
and the lower bound is N more than one without spare. When no better plan can be put
into safe waves, today's placement (repaired, when it must be) is the answer, never a false
"infeasible".
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from vmplan.constraints import eligibility
from vmplan.engine import bounds as bounds_mod
from vmplan.engine.explain import why_unplaced
from vmplan.engine.items import Items, build, item_placement
from vmplan.engine.schedule import finish_plan
from vmplan.engine.state import Hosts
from vmplan.model import Command, IntArray, Inventory, MoveKind, Plan, Reason, Unplaced
from vmplan.pack import portfolio as pf
from vmplan.pack import spare
from vmplan.pack.consolidate import repair
from vmplan.pack.portfolio import Candidate, PackSettings, Portfolio, Progress
from vmplan.pack.result import FrontierPoint, PackResult, pareto
from vmplan.pack.spare import RoomCheck
from vmplan.units import plural

__all__ = ["FrontierPoint", "PackResult", "PackSettings", "Progress", "RoomCheck", "pack"]

#: How many of the best placements are scheduled before falling back to fewer migrations.
CANDIDATES_SCHEDULED = 4
#: At most this many plans with fewer migrations are tried after them.
FALLBACKS = 6


def pack(
    inv: Inventory,
    settings: PackSettings,
    progress: Progress | None = None,
    room: RoomCheck | None = None,
) -> PackResult:
    """The best verified plan; with ``settings.spare`` N > 0, ``room`` checks that N hosts of a
    placement can be evacuated (:mod:`.spare`), and only placements that pass are planned."""
    if settings.spare and room is None:
        raise ValueError("pack: spare > 0 needs a room check")
    started = time.monotonic()
    say = progress or (lambda _msg: None)
    items = build(inv)
    bounds = replace(bounds_mod.lower_bounds(inv, items), spare=settings.spare)
    say(f"lower bound {bounds.best} hosts ({bounds.explain()})")
    if items.contradictions:
        return _contradiction(inv, bounds, items.contradictions)
    nowhere = np.flatnonzero(~items.allowed.any(axis=1))
    if nowhere.size:
        return _infeasible(inv, items, bounds, nowhere, None)
    before = item_placement(items, inv.current)
    walk, failed = repair(inv, items, before)
    p = Portfolio(
        inv, items, settings, bounds, before, walk, failed, say, started + settings.time_limit
    )
    p.lower = bounds.best
    _search(p, started)
    return _finish(p, room if settings.spare else None)


def _search(p: Portfolio, started: float) -> None:
    """Every strategy in turn, within the budget (the first pass whatever the budget)."""
    pf.keep_today(p)
    if p.settings.max_migrations is not None or not p.large:
        pf.walk_today(p, started + p.settings.time_limit * pf.WALK_SHARE)
    if p.large and p.settings.time_limit >= pf.EARLY_BALANCED_S:
        pf.balanced_search(p, attempts=1)
    pf.first_fit(p)
    pf.balanced_search(p)
    pf.variants(p)
    if p.settings.frontier:
        pf.walk_today(p, max(p.deadline, time.monotonic() + p.settings.time_limit * 0.05))
    pf.run_exact(p)


def _finish(p: Portfolio, room: RoomCheck | None) -> PackResult:
    inv, settings = p.inv, p.settings
    if not p.candidates:
        if p.over_budget:
            return _over_budget(inv, p.bounds, settings, min(p.over_budget))
        return _infeasible(inv, p.items, p.bounds, np.array(p.failed), p.walk.state)
    if room is not None:
        spare.apply(p, room)
        if not p.candidates:
            return _no_room(inv, p.bounds, settings.spare)
    chosen, plan = _schedule_best(p)
    if chosen is None and not p.walked:  # no plan found so far has a safe order: walk from today
        pf.walk_today(p, time.monotonic() + settings.time_limit * 0.05)
        if room is not None:
            spare.apply(p, room)
        chosen, plan = _schedule_best(p)
    if chosen is not None:
        plan = replace(plan, notes=(*plan.notes, *_explain(p, plan)))
        return PackResult(plan, p.bounds, pareto(p.frontier), chosen.name, p.cut)
    if plan.feasible:  # every plan needs temporary stops past the budget
        return _over_budget(inv, p.bounds, settings, len(plan.moves))
    return PackResult(plan, p.bounds, (), "none")


def _schedule_best(p: Portfolio) -> tuple[Candidate | None, Plan]:
    """The best candidate whose waves can be ordered (within the budget), with its plan; else
    None and the last plan tried. The schedule may add temporary stops, so a budget is checked on
    the real moves. After the best few, the undominated ones by fewer migrations, down to today's
    placement (0 migrations when it is valid), which always has an order."""
    ranked = sorted(p.candidates, key=pf.rank)
    tries = ranked[:CANDIDATES_SCHEDULED]
    fewer = sorted(ranked[CANDIDATES_SCHEDULED:], key=lambda c: (c.migrations, c.hosts))
    undominated = [c for k, c in enumerate(fewer) if all(c.hosts < o.hosts for o in fewer[:k])]
    fallbacks = undominated[::-1]
    if len(fallbacks) > FALLBACKS:  # evenly spread, ending with the fewest migrations
        last = len(fallbacks) - 1
        fallbacks = [fallbacks[round(k * last / (FALLBACKS - 1))] for k in range(FALLBACKS)]
    tries += fallbacks
    current = p.inv.current
    plan = Plan(Command.PACK, False, current, current, (), p.lower, False)
    for c in tries:
        plan = _plan(p, c)
        budget = p.settings.max_migrations
        if plan.feasible and (budget is None or len(plan.moves) <= budget):
            return c, plan
    return None, plan


def _plan(p: Portfolio, c: Candidate) -> Plan:
    inv, items = p.inv, p.items
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
        p.settings,
        command=Command.PACK,
        closed=closed,
        lower_bound=p.lower,
        optimal=c.hosts <= p.lower,
    )


def _explain(p: Portfolio, plan: Plan) -> list[str]:
    """What the plan leaves undone and why: hosts the migration budget kept, a search the time
    limit cut."""
    notes = []
    before, after = int(np.unique(plan.before).size), int(np.unique(plan.target).size)
    budget = p.settings.max_migrations
    needs = p.fewer_hosts_need(after) if budget is not None else None
    if budget is not None and needs is not None and needs > budget:
        within = f"within {_budget(p.settings)}"
        if after >= before:
            notes.append(
                f"no host can be freed {within}: freeing the first host needs "
                f"{plural(needs, 'migration')}"
            )
        else:
            notes.append(
                f"{plural(before - after, 'host')} freed {within}: freeing one more needs "
                f"{plural(needs, 'migration')}"
            )
    if p.cut:
        proven = "the host count is proven optimal, " if plan.optimal else ""
        notes.append(
            f"the search was cut by --time-limit {p.settings.time_limit:g}s before it finished: "
            f"{proven}a longer limit may find a plan with "
            f"{'fewer migrations' if plan.optimal else 'fewer hosts or migrations'}"
        )
    return notes


def _budget(settings: PackSettings) -> str:
    """``--max-migrations N``, or what the settings call their budget."""
    return settings.budget_label or f"--max-migrations {settings.max_migrations}"


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
        f"no plan fits within {_budget(settings)}: the cheapest valid plan "
        f"found needs {plural(needed, 'migration')} (moving VMs off maintenance hosts, fixing "
        "overloads and "
        "rules, and temporary stops count)"
    )
    plan = Plan(
        Command.PACK, False, inv.current, inv.current, (), bounds.best, False, notes=(note,)
    )
    return PackResult(plan, bounds, (), "none")


def _no_room(inv: Inventory, bounds: bounds_mod.Bounds, n: int) -> PackResult:
    note = (
        f"no placement found keeps room to evacuate {plural(n, 'host')} onto the others, even "
        "with every freed host re-opened (a host no other host can take over, or a rule); "
        "--spare 0 plans without that room"
    )
    plan = Plan(
        Command.PACK, False, inv.current, inv.current, (), bounds.best, False, notes=(note,)
    )
    return PackResult(plan, bounds, (), "none")


def _contradiction(inv: Inventory, bounds: bounds_mod.Bounds, why: tuple[str, ...]) -> PackResult:
    plan = Plan(Command.PACK, False, inv.current, inv.current, (), bounds.best, False, notes=why)
    return PackResult(plan, bounds, (), "none")
