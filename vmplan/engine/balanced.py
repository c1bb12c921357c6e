"""Balanced construction on a fixed number of hosts, then a repair that removes every overload.

With ``H`` hosts fixed (the ``H`` largest open ones), every item, largest first, goes where it adds
the least *overflow*, ties broken by the lowest resulting peak share (so load spreads out and the
hosts' series interleave instead of one host filling up first)::

    overflow(h) = sum_t max(0, load[h,t] - C[h]) / T  +  W * max(0, mem[h] - M[h]) / M[h] * C[h]

with ``C``, ``M`` the padded limits of :mod:`vmplan.constraints` and ``W`` a weight that makes
memory overflow dear. Placement never breaks pins, vCPUs or anti-affinity; only the limits may be
exceeded. The lowest new peak is found exactly (it is what lets the series interleave) but
pruned: the busiest samples give each host a lower bound, and hosts are summed in increasing order
of it until the bound passes the best peak found. When every host would go over, the exact
overflow is computed for the ``NEAREST`` hosts with the lowest block-maximum bound.

The repair is a min-conflicts search with a short tabu list: take the host with the most overflow,
move the item whose departure removes the most of it to the host where the total overflow drops
the most (or rises the least: a worsening move is allowed, but the item may not return to the host
it left for ``TENURE`` steps); when no move lowers the total, an exchange with an item of one of
the hosts least loaded at the overloaded samples may. When the steps (``MOVES_SHARE`` of the time)
run out with overflow left, the overload is taken off every host and put back where it fits, or
where one item steps aside to a third host (an ejection). It stops when no host is over (the
placement is then valid under the same fit rule as everything else), at the step limit, or at the
deadline. Everything is seeded; the same input gives the same result, but how far the search
gets within a deadline depends on the machine's speed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from vmplan.engine.construct import Order, item_order
from vmplan.engine.items import Items
from vmplan.engine.state import Hosts
from vmplan.model import FloatArray, IntArray, Inventory

#: Hosts given the exact overflow computation when no host certainly takes an item.
NEAREST = 12
#: The repair's time against the construction's, and its least time in seconds.
REPAIR_FACTOR = 1.5
REPAIR_MIN_S = 0.5
#: Hosts summed at a time while looking for the lowest new peak.
PEAK_CHUNK = 8
#: Memory overflow weight (a memory overflow is much harder to repair than a CPU one).
MEMORY_WEIGHT = 10.0
#: Steps a moved item may not go back to the host it left.
TENURE = 7
#: Items of an overloaded host considered per repair step.
MOVERS = 6
#: Movers and hosts tried for an exchange when no single move lowers the overflow.
SWAPPERS = 3
SWAP_HOSTS = 12
#: Share of the repair's time for moves and exchanges; the rest is for the reinsertion.
MOVES_SHARE = 0.7
#: Hosts tried for an ejection when an item taken off fits nowhere.
EJECT_HOSTS = 8
#: Repair steps per item (at least ``MIN_STEPS``).
STEPS_PER_ITEM = 2
MIN_STEPS = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    state: Hosts | None  # a valid placement on at most ``hosts`` hosts, or None
    overflow: float  # what was left when the repair gave up (0 when ``state`` is set)


def largest_hosts(inv: Inventory, items: Items, count: int) -> IntArray:
    """The ``count`` open hosts that take the most: CPU limit, then memory limit, then index."""
    open_hosts = np.flatnonzero(~inv.maintenance & items.allowed.any(axis=0))
    ranked = open_hosts[
        np.lexsort((open_hosts, -inv.mem_cap[open_hosts], -inv.cpu_cap[open_hosts]))
    ]
    return np.asarray(ranked[:count], dtype=np.int64)


def overflow(state: Hosts, hosts: IntArray) -> FloatArray:
    """The overflow of each of ``hosts`` (see the module docstring)."""
    samples = max(state.load.shape[1], 1)
    cap = state.cap[hosts]
    cpu = np.maximum(state.load[hosts] - cap[:, None], 0.0).sum(axis=1) / samples
    mem = np.maximum(state.mem[hosts] - state.mem_cap[hosts], 0.0)
    return np.asarray(cpu + MEMORY_WEIGHT * mem / np.maximum(state.mem_cap[hosts], 1.0) * cap)


def build_on(
    inv: Inventory, items: Items, hosts: IntArray, deadline: float, seed: int = 0
) -> Outcome:
    """Place every item on ``hosts`` (least overflow first), then repair; see the module docstring.

    The repair gets at most ``REPAIR_FACTOR`` times what the construction took (at least
    ``REPAIR_MIN_S``): a repair that needs longer rarely succeeds, and a failure should be cheap.
    """
    started = time.monotonic()
    state = Hosts(inv, items, np.full(len(items), -1, dtype=np.int64))
    order = item_order(inv, items, Order.PEAK)
    if seed:  # a restart: the same sizes, ties and near-ties in another order
        rng = np.random.default_rng(seed)
        noise = rng.uniform(0.97, 1.03, size=len(items))
        size = np.maximum(items.peak / max(float(inv.cpu_cap.mean()), 1e-9), 0) * noise
        order = np.lexsort((np.arange(len(items)), -size))
    for i in order.tolist():
        h = _least_overflow(state, i, hosts)
        if h < 0:
            return Outcome(None, np.inf)
        state.add(i, h)
    took = time.monotonic() - started
    return repair(
        state,
        hosts,
        min(deadline, time.monotonic() + max(REPAIR_MIN_S, REPAIR_FACTOR * took)),
        seed,
    )


def _eligible(state: Hosts, i: int, hosts: IntArray) -> IntArray:
    it = state.items
    ok = it.allowed[i, hosts]
    for j in it.conflicts[i]:
        ok &= hosts != state.where[j]
    return np.asarray(hosts[ok], dtype=np.int64)


def _least_overflow(state: Hosts, i: int, hosts: IntArray) -> int:
    """The host for item ``i``: no added overflow if possible (lowest new peak), else the least."""
    cand = _eligible(state, i, hosts)
    if cand.size == 0:
        return -1
    it = state.items
    mem_ok = state.mem[cand] + it.memory[i] <= state.mem_cap[cand]
    fits = cand[mem_ok]
    if fits.size:
        h, share = _lowest_peak(state, i, fits)
        if share <= 1.0:
            return h
    bound = (state.block_max[cand] + it.block_max[i]).max(axis=1)
    near = cand[np.lexsort((cand, bound / state.cap[cand], ~mem_ok))][:NEAREST]
    new_load = state.load[near] + it.demand[i]
    cap = state.cap[near]
    samples = max(new_load.shape[1], 1)
    after_cpu = np.maximum(new_load - cap[:, None], 0.0).sum(axis=1) / samples
    mem = np.maximum(state.mem[near] + it.memory[i] - state.mem_cap[near], 0.0)
    after = after_cpu + MEMORY_WEIGHT * mem / np.maximum(state.mem_cap[near], 1.0) * cap
    rise = after - overflow(state, near)
    peak = new_load.max(axis=1) / cap if new_load.shape[1] else np.zeros(near.size)
    return int(near[np.lexsort((near, peak, rise))][0])


def _lowest_peak(state: Hosts, i: int, hosts: IntArray) -> tuple[int, float]:
    """The host of ``hosts`` where ``load + demand[i]`` has the lowest peak share, and that share.

    Exact, but pruned: the busiest samples of the item and of each host give a lower bound on the
    new peak; hosts are fully summed in increasing order of it until the bound passes the best
    peak found.
    """
    it = state.items
    samples = state.load.shape[1]
    if samples == 0:
        return int(hosts[0]), 0.0
    cap = state.cap[hosts]
    at = np.concatenate(
        (state.top[hosts], np.broadcast_to(it.top[i], (hosts.size, it.top.shape[1]))), axis=1
    )
    low = (state.load.take(at + (hosts * samples)[:, None]) + it.demand[i].take(at)).max(
        axis=1
    ) / cap
    order = np.lexsort((hosts, low))
    best, best_share = -1, np.inf
    for k in range(0, order.size, PEAK_CHUNK):
        part = order[k : k + PEAK_CHUNK]
        part = part[low[part] < best_share]
        if part.size == 0:
            break
        share = (state.load[hosts[part]] + it.demand[i]).max(axis=1) / cap[part]
        j = int(np.argmin(share))
        if share[j] < best_share:
            best, best_share = int(hosts[part[j]]), float(share[j])
    return best, best_share


def repair(state: Hosts, hosts: IntArray, deadline: float, seed: int = 0) -> Outcome:
    """Min-conflicts moves and exchanges with a tabu list until no host of ``hosts`` is over.

    The start must keep pins and anti-affinity (only limits may be broken); so does every move.
    """
    over = overflow(state, hosts)
    steps = max(MIN_STEPS, STEPS_PER_ITEM * len(state.items))
    tabu: dict[tuple[int, int], int] = {}  # (item, host) -> first step it may return
    rng = np.random.default_rng(seed)
    moves_until = time.monotonic() + MOVES_SHARE * max(deadline - time.monotonic(), 0.0)
    for step in range(steps):
        if not (over > 0).any():
            return Outcome(state, 0.0)
        if time.monotonic() >= moves_until:
            break
        worst = np.flatnonzero(over > 0)
        k = int(worst[int(np.argmax(over[worst]))]) if step % 4 else int(rng.choice(worst))
        if not _step(state, hosts, over, k, tabu, step) and worst.size == 1:
            break  # the only host over has nothing that may move
    total = float(over.sum())
    if total > 0 and time.monotonic() < deadline:
        trial = state.copy()
        if _reinsert(trial, hosts, deadline):
            return Outcome(trial, 0.0)
    return Outcome(state if total == 0 else None, total)


def _reinsert(state: Hosts, hosts: IntArray, deadline: float) -> bool:
    """Take the overload off every host (:meth:`Hosts.shed`), then put each item taken back
    where it fits (fullest first) or where one item makes room by stepping to a third host."""
    out = [i for h in hosts.tolist() for i in state.shed(h)]
    for i in sorted(out, key=lambda i: (-state.items.peak[i], i)):
        if time.monotonic() >= deadline:
            return False
        cand = _eligible(state, i, hosts)
        h = state.best_fit(i, cand)
        if h >= 0:
            state.add(i, h)
        elif not _eject(state, i, cand, hosts):
            return False
    return True


def _eject(state: Hosts, i: int, cand: IntArray, hosts: IntArray) -> bool:
    """Room for item ``i`` on one of ``cand``: an item there moves to another host of ``hosts``.
    The ``EJECT_HOSTS`` hosts with the most room at the item's own busiest samples are tried."""
    it = state.items
    if cand.size == 0:
        return False
    top = it.top[i]
    room = (state.cap[cand, None] - state.load[np.ix_(cand, top)] - it.demand[i, top]).min(axis=1)
    for g in cand[np.lexsort((cand, -room))][:EJECT_HOSTS].tolist():
        on_g = np.flatnonzero(state.where == g)
        for w in on_g[np.lexsort((on_g, it.peak[on_g]))].tolist():
            if it.has_conflicts[w] or not state.fits_with_out(i, g, w):
                continue
            target = state.best_fit(w, _eligible(state, w, hosts[hosts != g]))
            if target >= 0:
                state.remove(w)
                state.add(w, target)
                state.add(i, g)
                return True
    return False


def _step(
    state: Hosts,
    hosts: IntArray,
    over: FloatArray,
    k: int,
    tabu: dict[tuple[int, int], int],
    step: int,
) -> bool:
    """One move off host ``hosts[k]``; updates ``over`` in place."""
    h = int(hosts[k])
    on = np.flatnonzero(state.where == h)
    if on.size == 0:
        return False
    it = state.items
    bad = (state.load[h] > state.cap[h]).nonzero()[0]
    # the items that carry most of the overload (by memory when only memory is over)
    relief = it.demand[np.ix_(on, bad)].sum(axis=1) if bad.size else it.memory[on]
    movers = on[np.lexsort((on, -relief))][:MOVERS]
    best: tuple[float, int, int] | None = None  # (change of the total overflow, item, host)
    for u in movers.tolist():
        source_after = _overflow_without(state, h, u)
        gain = over[k] - source_after
        dest = _eligible(state, u, hosts[hosts != h])
        dest = np.array([g for g in dest.tolist() if tabu.get((u, g), -1) <= step], dtype=np.int64)
        if dest.size == 0:
            continue
        rise = _overflow_rise(state, u, dest)
        j = int(np.argmin(rise))
        delta = float(rise[j]) - gain
        if best is None or delta < best[0]:
            best = (delta, u, int(dest[j]))
    index = {int(x): n for n, x in enumerate(hosts.tolist())}
    if best is None or best[0] >= 0:  # no move helps: a swap may
        swap = _best_swap(state, hosts, over, index, k, movers[:SWAPPERS])
        if swap is not None and (best is None or swap[0] < best[0]):
            _, u, w, g = swap
            state.remove(u)
            state.remove(w)
            state.add(u, g)
            state.add(w, h)
            tabu[(u, h)] = tabu[(w, g)] = step + TENURE
            _update(state, hosts, over, index, (h, g))
            return True
    if best is None:
        return False
    _, u, g = best
    state.remove(u)
    state.add(u, g)
    tabu[(u, h)] = step + TENURE
    _update(state, hosts, over, index, (h, g))
    return True


def _update(
    state: Hosts, hosts: IntArray, over: FloatArray, index: dict[int, int], changed: tuple[int, int]
) -> None:
    for x in changed:
        over[index[x]] = overflow(state, np.array([x], dtype=np.int64))[0]


def _overflow_of(rows: FloatArray, mem: FloatArray, cap: float, mem_cap: float) -> FloatArray:
    """The overflow of candidate rows (each a host's load) and memory, on one host."""
    samples = max(rows.shape[1], 1)
    cpu = np.maximum(rows - cap, 0.0).sum(axis=1) / samples
    return np.asarray(
        cpu + MEMORY_WEIGHT * np.maximum(mem - mem_cap, 0.0) / max(mem_cap, 1.0) * cap
    )


def _best_swap(
    state: Hosts,
    hosts: IntArray,
    over: FloatArray,
    index: dict[int, int],
    k: int,
    movers: IntArray,
) -> tuple[float, int, int, int] | None:
    """The exchange of a mover of ``hosts[k]`` with an item of another host that lowers the
    total overflow the most: (change, mover, partner, partner's host), or None.

    Items with anti-affinity partners are left out (a swap would need their rules checked twice).
    The hosts tried are the ``SWAP_HOSTS`` least loaded at the overloaded samples."""
    it = state.items
    h = int(hosts[k])
    bad = (state.load[h] > state.cap[h]).nonzero()[0]
    others = hosts[hosts != h]
    if bad.size:
        others = others[np.lexsort((others, state.load[np.ix_(others, bad)].sum(axis=1)))]
    best: tuple[float, int, int, int] | None = None
    for g in others[:SWAP_HOSTS].tolist():
        on_g = np.flatnonzero(state.where == g)
        for u in movers.tolist():
            if it.has_conflicts[u] or not it.allowed[u, g]:
                continue
            w = on_g[it.allowed[on_g, h] & ~it.has_conflicts[on_g]]
            if w.size == 0:
                continue
            at_h = _overflow_of(
                state.load[h] - it.demand[u] + it.demand[w],
                state.mem[h] - it.memory[u] + it.memory[w],
                float(state.cap[h]),
                float(state.mem_cap[h]),
            )
            at_g = _overflow_of(
                state.load[g] - it.demand[w] + it.demand[u],
                state.mem[g] - it.memory[w] + it.memory[u],
                float(state.cap[g]),
                float(state.mem_cap[g]),
            )
            delta = at_h + at_g - over[k] - over[index[g]]
            j = int(np.argmin(delta))
            if delta[j] < -1e-12 and (best is None or delta[j] < best[0]):
                best = (float(delta[j]), u, int(w[j]), g)
    return best


def _overflow_without(state: Hosts, h: int, u: int) -> float:
    it = state.items
    samples = max(state.load.shape[1], 1)
    cap = float(state.cap[h])
    cpu = np.maximum(state.load[h] - it.demand[u] - cap, 0.0).sum() / samples
    mem = max(float(state.mem[h] - it.memory[u] - state.mem_cap[h]), 0.0)
    return float(cpu + MEMORY_WEIGHT * mem / max(float(state.mem_cap[h]), 1.0) * cap)


def _overflow_rise(state: Hosts, u: int, dest: IntArray) -> FloatArray:
    """How much each of ``dest`` would gain in overflow by taking item ``u``."""
    it = state.items
    bound = (state.block_max[dest] + it.block_max[u]).max(axis=1)
    mem_after = state.mem[dest] + it.memory[u]
    rise = np.zeros(dest.size)
    unsure = ~((bound <= state.cap[dest]) & (mem_after <= state.mem_cap[dest]))
    idx = unsure.nonzero()[0]
    if idx.size:
        rows = dest[idx]
        cap = state.cap[rows]
        samples = max(state.load.shape[1], 1)
        load = state.load[rows]
        now = np.maximum(load - cap[:, None], 0.0).sum(axis=1)
        then = np.maximum(load + it.demand[u] - cap[:, None], 0.0).sum(axis=1)
        mem_now = np.maximum(state.mem[rows] - state.mem_cap[rows], 0.0)
        mem_then = np.maximum(mem_after[idx] - state.mem_cap[rows], 0.0)
        scale = MEMORY_WEIGHT / np.maximum(state.mem_cap[rows], 1.0) * cap
        rise[idx] = (then - now) / samples + (mem_then - mem_now) * scale
    return rise
