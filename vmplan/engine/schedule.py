"""From the current placement to a target one: ordered waves of live migrations that are safe.

Safety rule, checked at every sample of the series: during a wave every destination holds what it
had at the wave's start plus everything it receives in that wave (what it sends is still counted,
since a live migration frees its source only at the end), within its CPU and memory limits; no
host takes part in more than ``parallel`` moves of a wave; anti-affinity holds after every wave.

The scheduler is greedy: every wave takes, largest memory first (long moves together), each
pending move whose destination still has room. When nothing can move (A must go where B is and B
where A is, without room), one blocked VM takes a temporary stop on the host with the most
headroom, which counts as an extra migration. If no host can take it, the remaining moves are
reported as blocked.

Durations: a move copies the VM's memory ``COPY_FACTOR`` times (pre-copy rounds resend dirtied
pages) plus ``SETUP_S``; a host's migration bandwidth is shared by its concurrent moves in a wave.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from vmplan.constraints import eligibility, padded_cpu_cap, padded_memory_cap
from vmplan.engine.settings import Settings
from vmplan.engine.verify import verify_plan
from vmplan.model import (
    Command,
    FloatArray,
    IntArray,
    Inventory,
    Move,
    MoveKind,
    Plan,
    Reason,
    RuleKind,
    Unplaced,
    host_loads,
    host_memory_use,
)
from vmplan.problems import PlanVerificationError

COPY_FACTOR = 1.25
SETUP_S = 2.0


@dataclass(frozen=True, slots=True)
class Schedule:
    moves: tuple[Move, ...]
    blocked: tuple[int, ...]  # VMs whose moves could not be ordered safely


def _partners(inv: Inventory) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for rule in inv.rules:
        if rule.kind is RuleKind.ANTI_AFFINITY:
            members = {inv.vm_index[v] for v in rule.vms}
            for v in members:
                out.setdefault(v, set()).update(members - {v})
    return out


def schedule(
    inv: Inventory,
    before: IntArray,
    target: IntArray,
    *,
    parallel: int,
    bandwidth: float,
    reasons: dict[int, Reason],
    closed: frozenset[int] = frozenset(),
) -> Schedule:
    """Waves of moves from ``before`` to ``target``; ``reasons`` explains each VM's move.

    ``closed`` hosts (being evacuated, in maintenance) never receive a staging stop.
    """
    cur = before.copy()
    cpu = host_loads(inv, cur)
    mem = host_memory_use(inv, cur)
    pending = {int(v): int(target[v]) for v in np.flatnonzero(before != target)}
    order = sorted(pending, key=lambda v: (-inv.memory[v], v))
    rank = {v: k for k, v in enumerate(order)}
    queues: dict[int, list[int]] = {}  # destination -> its pending moves, in ``order``
    for v in order:
        queues.setdefault(pending[v], []).append(v)
    partners = _partners(inv)
    allowed = eligibility(inv).allowed
    limits = _Limits(padded_cpu_cap(inv.cpu_cap), padded_memory_cap(inv.mem_cap), parallel)
    moves: list[Move] = []
    # a move that found no room stays blocked until its destination loses load: remember when
    tried: dict[int, int] = {}  # VM -> wave of its last failed fit test
    shrank = np.zeros(len(inv.hosts), dtype=np.int64)  # host -> last wave it lost load
    wave = 0
    stops_left = len(pending) + 8  # staging stops allowed before the order counts as blocked
    while pending:
        wave += 1
        chosen = _wave(
            inv, cur, cpu, mem, pending, queues, rank, partners, limits, tried, shrank, wave
        )
        staged = False
        if not chosen:
            waiting = [v for v in order if v in pending]
            stop = _staging(inv, cur, cpu, mem, pending, waiting, partners, allowed, closed, limits)
            stops_left -= 1
            if stop is None or stops_left < 0:
                return Schedule(tuple(moves), tuple(sorted(pending)))
            chosen = [stop]
            staged = True
        busy = np.zeros(len(inv.hosts), dtype=np.int64)
        for v, d in chosen:
            busy[cur[v]] += 1
            busy[d] += 1
        arrived = set()
        for v, d in chosen:
            s = int(cur[v])
            share = max(busy[s], busy[d])
            seconds = SETUP_S + COPY_FACTOR * inv.memory[v] * share / bandwidth
            temporary = staged or d != pending[v]
            reason = (
                Reason(MoveKind.TEMPORARY, inv.hosts[s].name)
                if temporary
                else reasons.get(v, Reason(MoveKind.REBALANCE))
            )
            moves.append(Move(v, s, d, wave, round(float(seconds), 1), reason))
            cpu[s] -= inv.demand[v]
            cpu[d] += inv.demand[v]
            shrank[s] = wave
            mem[s] -= inv.memory[v]
            mem[d] += inv.memory[v]
            cur[v] = d
            if pending[v] == d:
                del pending[v]
                arrived.add(d)
        for d in arrived:
            queues[d] = [v for v in queues[d] if v in pending]
    return Schedule(tuple(moves), ())


@dataclass(frozen=True, slots=True)
class _Limits:
    cpu: FloatArray  # per host, with the rounding tolerance
    memory: FloatArray
    parallel: int

    def fit(self, inv: Inventory, load: FloatArray, mem_used: float, v: int, d: int) -> bool:
        """Whether host ``d``, holding ``load`` and ``mem_used``, can also take VM ``v``."""
        if mem_used + inv.memory[v] > self.memory[d]:
            return False
        return bool((load + inv.demand[v] <= self.cpu[d]).all())


def _wave(
    inv: Inventory,
    cur: IntArray,
    cpu: FloatArray,
    mem: FloatArray,
    pending: dict[int, int],
    queues: dict[int, list[int]],
    rank: dict[int, int],
    partners: dict[int, set[int]],
    limits: _Limits,
    tried: dict[int, int],
    shrank: IntArray,
    wave: int,
) -> list[tuple[int, int]]:
    """The moves of one wave: greedy, largest first, each checked against start + incoming.

    The pending moves are visited in ``order`` (by ``rank``) by merging the destinations' queues,
    so that a destination with no slot left this wave costs nothing more.
    """
    parallel = limits.parallel
    # plain lists: this loop runs over many pending moves in every wave
    busy = [0] * len(inv.hosts)
    where = cur.tolist()
    last_shrank = shrank.tolist()
    inc_cpu: dict[int, FloatArray] = {}  # destination -> its load plus this wave's arrivals
    inc_mem = mem.tolist()
    chosen: list[tuple[int, int]] = []
    arriving: dict[int, set[int]] = {}
    leaving: set[int] = set()
    heap = [(rank[q[0]], d, 0) for d, q in queues.items() if q]
    heapq.heapify(heap)
    while heap:
        _, d, k = heapq.heappop(heap)
        if busy[d] >= parallel:
            continue  # no slot left on d this wave: the rest of its queue waits
        q = queues[d]
        if k + 1 < len(q):
            heapq.heappush(heap, (rank[q[k + 1]], d, k + 1))
        v = q[k]
        s = where[v]
        if busy[s] >= parallel:
            continue
        if v in tried and last_shrank[d] < tried[v]:
            continue  # nothing left d since this move last failed: it fails again
        load = inc_cpu.get(d)
        if load is None:
            load = cpu[d]
        if not limits.fit(inv, load, inc_mem[d], v, d):
            if d not in arriving:  # failed on d's own load, not on this wave's arrivals
                tried[v] = wave
            continue
        mates = partners.get(v, set())
        if any((where[u] == d and u not in leaving) or u in arriving.get(d, set()) for u in mates):
            continue
        if any(u in arriving.get(s, set()) for u in mates):
            continue
        chosen.append((v, d))
        inc_cpu[d] = load + inv.demand[v]
        inc_mem[d] += inv.memory[v]
        busy[s] += 1
        busy[d] += 1
        arriving.setdefault(d, set()).add(v)
        leaving.add(v)
    return chosen


def _staging(
    inv: Inventory,
    cur: IntArray,
    cpu: FloatArray,
    mem: FloatArray,
    pending: dict[int, int],
    order: list[int],
    partners: dict[int, set[int]],
    allowed: np.ndarray,
    closed: frozenset[int],
    limits: _Limits,
) -> tuple[int, int] | None:
    """A temporary move that unblocks the waves: a VM whose host others wait for, to any host
    with room (most CPU headroom first)."""
    wanted = set(pending.values())
    candidates = [v for v in order if int(cur[v]) in wanted] + [
        v for v in order if int(cur[v]) not in wanted
    ]
    headroom = (inv.cpu_cap[:, None] - cpu).min(axis=1)
    hosts = np.argsort(-headroom, kind="stable")
    for v in candidates:
        s, d = int(cur[v]), pending[v]
        for g in hosts.tolist():
            if g in (s, d) or g in closed or not allowed[v, g]:
                continue
            if any(cur[u] == g for u in partners.get(v, set())):
                continue
            if limits.fit(inv, cpu[g], float(mem[g]), v, g):
                return v, g
    return None


#: Why a VM could not be moved when no order of waves reaches a placement.
NO_SAFE_ORDER = "no safe migration order: every host it could pass through is full"


def finish_plan(
    inv: Inventory,
    target: IntArray,
    reasons: dict[int, Reason],
    settings: Settings,
    *,
    command: Command,
    closed: frozenset[int],
    lower_bound: int | None = None,
    optimal: bool = False,
    evacuated: tuple[int, ...] = (),
    notes: tuple[str, ...] = (),
) -> Plan:
    """The waves to ``target``, as a verified plan; an infeasible one naming the blocked VMs when
    no safe order exists. A plan the independent checker rejects is a bug: it raises."""
    sched = schedule(
        inv,
        inv.current,
        target,
        parallel=settings.parallel,
        bandwidth=settings.bandwidth,
        reasons=reasons,
        closed=closed,
    )
    if sched.blocked:
        stuck = tuple(Unplaced(v, (NO_SAFE_ORDER,)) for v in sched.blocked)
        return Plan(
            command, False, inv.current, inv.current, (), lower_bound, False, evacuated, stuck
        )
    plan = Plan(
        command, True, inv.current, target, sched.moves, lower_bound, optimal, evacuated, (), notes
    )
    problems = verify_plan(inv, plan, settings.parallel)
    if problems:
        raise PlanVerificationError("; ".join(problems[:5]))
    return plan
