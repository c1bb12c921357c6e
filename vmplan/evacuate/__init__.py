"""Evacuation: empty named hosts with live migrations that never overload a destination.

Model. VMs that an affinity rule keeps together form one item (:mod:`vmplan.engine.items`). Let
``N`` be the named hosts, ``Z = N + hosts in maintenance`` the closed hosts, ``d[i,t]`` an item's
CPU demand in cores, ``m[i]`` its memory, ``C[h]`` and ``M[h]`` a host's CPU and memory limits.
Find a target host ``x[i]`` for every item such that

    x[i] not in Z                  for every item that must move (on N, split, or not allowed where
                                   it is); VMs on other maintenance hosts may stay
    sum_{x[i]=h} d[i,t] <= C[h]    for every host h and every sample t
    sum_{x[i]=h} m[i]   <= M[h]
    x[i] != x[j]                   for anti-affine items; x[i] allowed by pins, vCPUs and peaks

minimising, in this order,

    1. migrations  sum_v [host of v changes]   (the VMs on N, plus room-making moves elsewhere)
    2. the highest CPU peak share among destinations  max_{h receives} max_t load[h,t] / cores[h]

Strategies (:mod:`.solve`, :mod:`.exact`): largest first onto the host left with the lowest peak
(spread), else onto the fullest (fit); if neither places everything, the exact MILP on small
instances and one-step room-making ejections; the best plan is improved for headroom, scheduled
into safe waves (:mod:`vmplan.engine.schedule`) and re-verified by :mod:`vmplan.engine.verify`. When nothing
fits, every VM that cannot be placed is reported with its binding constraint and the verified
limit with which the evacuation would fit (:mod:`.reasons`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from vmplan.engine import schedule as migrate
from vmplan.engine.schedule import NO_SAFE_ORDER, finish_plan
from vmplan.engine.settings import Settings
from vmplan.engine.state import Hosts
from vmplan.evacuate import exact
from vmplan.evacuate.incremental import Verifier
from vmplan.evacuate.reasons import limit_hints, shortfall, unplaced
from vmplan.evacuate.solve import (
    Attempt,
    Mode,
    Prepared,
    destinations,
    improve,
    must_leave,
    must_move,
    peak_share,
    place,
    prepare,
    send_home,
    start_state,
    vm_moves,
)
from vmplan.evacuate.window import Window, quietest
from vmplan.model import (
    Command,
    IntArray,
    Inventory,
    MoveKind,
    Plan,
    Reason,
    Unplaced,
    host_loads,
)
from vmplan.problems import PlanVerificationError

__all__ = [
    "EvacuateSettings",
    "Summary",
    "Verdict",
    "Window",
    "evacuable",
    "evacuate",
    "quietest",
    "summarize",
]

Progress = Callable[[str], None]

#: Rounds of the headroom improvement per item that moves (a deterministic budget).
IMPROVE_ROUNDS_PER_ITEM = 2


#: Its time limit is a safety net: the search has deterministic budgets.
EvacuateSettings = Settings


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one host could be evacuated now (``check --evacuable``)."""

    host: int
    feasible: bool
    migrations: int
    unplaced: tuple[Unplaced, ...] = ()
    hints: tuple[str, ...] = ()


@dataclass(slots=True)
class _Outcome:
    feasible: list[Attempt]  # best first
    failure: Attempt | None  # the failed attempt with the fewest VMs left over
    optimal: bool  # fewest migrations proven
    leaving: dict[int, Reason]
    proven_infeasible: bool = False  # the exact model showed that no evacuation exists


def evacuate(
    inv: Inventory,
    hosts: list[int],
    settings: EvacuateSettings | None = None,
    progress: Progress | None = None,
) -> Plan:
    """A verified plan that empties ``hosts``, or an infeasible one that says why per VM."""
    settings = settings or EvacuateSettings()
    say = progress or (lambda _msg: None)
    deadline = time.monotonic() + settings.time_limit
    named = frozenset(hosts)
    evacuated = tuple(sorted(named))
    prep = prepare(inv)
    outcome = _solve(prep, named, deadline, improve_headroom=True, say=say)
    closed = _closed(inv, named)
    blocked: Plan | None = None
    for attempt in outcome.feasible:
        target = prep.items.placement_of_vms(attempt.state.where)
        reasons = {
            v: attempt.reasons.get(int(prep.items.of_vm[v]), Reason(MoveKind.REBALANCE))
            for v in np.flatnonzero(target != inv.current).tolist()
        }
        plan = finish_plan(
            inv,
            target,
            reasons,
            settings,
            command=Command.EVACUATE,
            closed=closed,
            optimal=outcome.optimal,
            evacuated=evacuated,
            notes=(f"strategy: {attempt.strategy}",),
        )
        if plan.feasible:  # temporary stops are migrations the proof did not count
            return replace(plan, optimal=plan.optimal and not any(m.temporary for m in plan.moves))
        say(f"{attempt.strategy}: no safe order, trying the next plan")
        blocked = plan
    if blocked is not None:  # every candidate placement fits, but no safe order reaches any
        return replace(blocked, notes=())
    say("explaining")
    assert outcome.failure is not None
    missing = unplaced(prep, outcome.failure, named, closed)
    hints = tuple(_hints(inv, named, settings))
    missing = [Unplaced(u.vm, u.reasons + hints) for u in missing]
    total = shortfall(prep, outcome.failure, closed)
    proof = ("no evacuation exists at these limits (proven by the exact model)",)
    return Plan(
        Command.EVACUATE,
        False,
        inv.current,
        inv.current,
        evacuated=evacuated,
        unplaced=tuple(missing),
        notes=(*([total] if total else []), *(proof if outcome.proven_infeasible else ())),
    )


def evacuable(
    inv: Inventory,
    settings: EvacuateSettings | None = None,
    progress: Progress | None = None,
    current: IntArray | None = None,
    hosts: Sequence[int] | None = None,
    explain: bool = True,
    room: bool = True,
    stop_after: int | None = None,
) -> list[Verdict]:
    """For every host (or only ``hosts``), whether it could be evacuated now (on the whole
    series, all rules). ``explain=False`` leaves a failed verdict's reasons and limit hints out
    (what costs most when a host fails; ``pack --spare`` only needs the verdict); ``room=False``
    tries no room-making moves (a stricter, much cheaper verdict: a host it passes, the full
    search passes too); ``stop_after``: no more hosts once that many have failed.

    The inventory is prepared once and every host is tried from the same state. A placement that
    needs no room-making can always be ordered (its moves only fill open hosts up to their final
    load), so only plans with room-making are scheduled to confirm a safe order exists. Every
    target placement found is re-verified (:class:`.incremental.Verifier`: the same verdict as
    :func:`vmplan.engine.verify.verify_placement`, summing only the hosts the evacuation changes).
    """
    settings = settings or EvacuateSettings()
    say = progress or (lambda _msg: None)
    prep = prepare(inv, current)
    limits: dict[tuple[float | None, float | None], Prepared] = {}
    verifier: Verifier | None = None  # today's loads, summed once when first needed
    out: list[Verdict] = []
    tried = range(len(inv.hosts)) if hosts is None else hosts
    for k, h in enumerate(tried):
        if stop_after is not None and sum(not v.feasible for v in out) >= stop_after:
            break
        say(f"{inv.hosts[h].name} ({k + 1}/{len(tried)})")
        named = frozenset({h})
        deadline = time.monotonic() + settings.time_limit
        outcome = _solve(prep, named, deadline, improve_headroom=False, say=None, room=room)
        if outcome.feasible:
            best = outcome.feasible[0]
            if _orderable(prep, best, outcome.leaving, named, settings):
                target = prep.items.placement_of_vms(best.state.where)
                verifier = verifier or Verifier(inv, prep.current)
                problems = verifier.problems(target, named)
                if problems:
                    raise PlanVerificationError("; ".join(problems[:5]))
                out.append(Verdict(h, True, vm_moves(prep, best.state.where)))
                continue
            why = (NO_SAFE_ORDER,)
            moving = np.flatnonzero(prep.current == h).tolist()
            out.append(Verdict(h, False, 0, tuple(Unplaced(v, why) for v in moving)))
            continue
        if not explain:
            out.append(Verdict(h, False, 0))
            continue
        assert outcome.failure is not None
        missing = unplaced(prep, outcome.failure, named, _closed(inv, named))
        hints = tuple(_hints(inv, named, settings, limits, prep.current))
        out.append(Verdict(h, False, 0, tuple(missing), hints))
    return out


def _closed(inv: Inventory, named: frozenset[int]) -> frozenset[int]:
    return named | frozenset(np.flatnonzero(inv.maintenance).tolist())


def _solve(
    prep: Prepared,
    named: frozenset[int],
    deadline: float,
    improve_headroom: bool,
    say: Progress | None,
    room: bool = True,
) -> _Outcome:
    """Every strategy that is needed, best feasible first; ``room=False`` skips room-making."""
    inv = prep.inv
    forced = must_leave(prep, named)
    leaving = must_move(prep, forced, named)
    closed = np.zeros(len(inv.hosts), dtype=np.bool_)
    closed[sorted(_closed(inv, named))] = True
    open_hosts = np.flatnonzero(~closed)
    start = start_state(prep, leaving)
    feasible: list[Attempt] = []
    failures: list[Attempt] = []
    for mode in (Mode.SPREAD, Mode.FIT):
        attempt = place(prep, start.copy(), leaving, open_hosts, mode, room=False)
        if attempt.feasible:
            feasible.append(attempt)
            break
    optimal = bool(feasible)  # nothing moves but what must: the fewest migrations
    proven_infeasible = False
    if not feasible:
        if exact.applicable(prep) and time.monotonic() < deadline:
            if say:
                say("exact model (HiGHS)")
            result = exact.solve(prep, named, frozenset(forced), deadline)
            proven_infeasible = result.infeasible
            if result.where is not None:
                state = Hosts(inv, prep.items, result.where)
                reasons = _reasons_of(prep, result.where, leaving)
                feasible.append(Attempt(state, reasons, [], "exact (MILP)"))
                optimal = result.optimal
        for mode in (Mode.SPREAD, Mode.FIT):
            if (feasible and optimal) or not room:
                break
            attempt = place(prep, start.copy(), leaving, open_hosts, mode, room=True)
            (feasible if attempt.feasible else failures).append(attempt)
    if improve_headroom:
        for attempt in feasible:
            rounds = IMPROVE_ROUNDS_PER_ITEM * len(attempt.reasons) + 8
            send_home(prep, attempt, leaving)
            improve(prep, attempt, open_hosts, deadline, rounds)
            send_home(prep, attempt, leaving)
    feasible.sort(key=lambda a: (vm_moves(prep, a.state.where), _top_share(prep, a)))
    failure = min(failures, key=lambda a: _vms_of(prep, a.failed), default=None)
    return _Outcome(feasible, failure, optimal, leaving, proven_infeasible and not feasible)


def _reasons_of(prep: Prepared, where: IntArray, leaving: dict[int, Reason]) -> dict[int, Reason]:
    """Why each item of an exact solution moves: as the heuristics would say, else it relieves a
    host over its limits today (the model may pick another VM than the repair did), else it makes
    room."""
    s = prep.base
    over = set(np.flatnonzero((s.load > s.cap[:, None]).any(axis=1) | (s.mem > s.mem_cap)).tolist())
    out = dict(leaving)
    for i in np.flatnonzero((where != prep.today) & (where >= 0)).tolist():
        h = int(prep.today[i])
        if i not in out:
            kind = MoveKind.RELIEVE if h in over else MoveKind.MAKE_ROOM
            out[i] = Reason(kind, prep.names[h])
    return out


def _top_share(prep: Prepared, attempt: Attempt) -> float:
    dest = destinations(prep, attempt.state)
    return float(peak_share(attempt.state, dest).max()) if dest.size else 0.0


def _vms_of(prep: Prepared, items: list[int]) -> int:
    return sum(len(prep.items.members[i]) for i in items)


def _orderable(
    prep: Prepared,
    attempt: Attempt,
    leaving: dict[int, Reason],
    named: frozenset[int],
    settings: EvacuateSettings,
) -> bool:
    if all(i in leaving for i in attempt.reasons):
        return True
    target = prep.items.placement_of_vms(attempt.state.where)
    sched = migrate.schedule(
        prep.inv,
        prep.current,
        target,
        parallel=settings.parallel,
        bandwidth=settings.bandwidth,
        reasons={},
        closed=_closed(prep.inv, named),
    )
    return not sched.blocked


def _hints(
    inv: Inventory,
    named: frozenset[int],
    settings: EvacuateSettings,
    cache: dict[tuple[float | None, float | None], Prepared] | None = None,
    current: IntArray | None = None,
) -> list[str]:
    """Verified limits with which the evacuation would fit (re-running the placement; without
    room-making, so a limit found may be a little higher than needed but is never wrong)."""
    cache = {} if cache is None else cache
    open_ = ~inv.maintenance
    if not open_.any():
        return []

    def fits_with(cpu: float | None, memory: float | None) -> bool:
        key = (cpu, memory)
        if key not in cache:
            cache[key] = prepare(inv.with_limits(cpu, memory), current)
        deadline = time.monotonic() + settings.time_limit
        return bool(_solve(cache[key], named, deadline, False, None, room=False).feasible)

    lowest_cpu = min(h.cpu_limit for h, o in zip(inv.hosts, open_, strict=True) if o)
    lowest_mem = min(h.memory_limit for h, o in zip(inv.hosts, open_, strict=True) if o)
    return limit_hints(lowest_cpu, lowest_mem, fits_with)


@dataclass(frozen=True, slots=True)
class Summary:
    """What an operator reads first about an evacuation plan."""

    evacuated_vms: int  # VMs that leave the named hosts
    room_making: int  # VMs elsewhere that move to make room
    repairs: int  # VMs elsewhere that move because today's placement breaks a limit or rule
    temporary: int  # temporary stops on the way (extra migrations)
    destinations: tuple[int, ...]
    busiest: int | None  # the destination with the highest CPU peak share afterwards
    busiest_share: float
    busiest_sample: int

    @property
    def other_moves(self) -> int:
        """Migrations beyond one per VM on the named hosts."""
        return self.room_making + self.repairs + self.temporary


def summarize(inv: Inventory, plan: Plan) -> Summary:
    named = set(plan.evacuated)
    counts = {"evacuated": 0, "room": 0, "repair": 0, "temporary": 0}
    for m in plan.moves:
        if m.temporary:
            counts["temporary"] += 1
        elif int(plan.before[m.vm]) in named:
            counts["evacuated"] += 1
        elif m.reason.kind is MoveKind.MAKE_ROOM:
            counts["room"] += 1
        else:
            counts["repair"] += 1
    dest = tuple(sorted({int(plan.target[m.vm]) for m in plan.moves} - named))
    busiest, share, sample = None, 0.0, 0
    if dest and inv.n_samples:
        loads = host_loads(inv, plan.target)[list(dest)]
        shares = loads.max(axis=1) / inv.host_cores[list(dest)]
        k = int(np.argmax(shares))
        busiest, share, sample = dest[k], float(shares[k]), int(np.argmax(loads[k]))
    return Summary(
        evacuated_vms=counts["evacuated"],
        room_making=counts["room"],
        repairs=counts["repair"],
        temporary=counts["temporary"],
        destinations=dest,
        busiest=busiest,
        busiest_share=share,
        busiest_sample=sample,
    )
