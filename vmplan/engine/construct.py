"""Constructive heuristics: first-fit and best-fit decreasing on the whole series.

Items go in decreasing size (by peak share, or by the norm of the series); each goes to the first
(or the fullest) used host that takes it at every sample, else opens the largest unused host.
The bins are then relabelled onto today's hosts (an assignment problem) so that as many VMs as
possible stay where they are.

The relabelling minimises, over assignments of bins b to distinct hosts h where b fits,

    sum_b  M * pref[h] - weight[b, h],    M = sum of all weights + 1,

where ``weight[b, h]`` is the memory (bytes, +1 per VM) of bin b's VMs that sit on h today and
``pref[h]`` is 1 for ``prefer: free``, -1 for ``prefer: keep``, 0 otherwise. Since M exceeds any
difference in weight, the preference comes first: the bins land on keep-marked hosts before
unmarked ones and on free-marked hosts last, even when that moves more memory; among labellings
that honour the preferences as well, the most memory stays. That is the order the pack portfolio
ranks plans in (hosts, preference, migrations). The number of bins is fixed, so a preference
never costs a host; a pair that does not fit costs more than any sum of allowed pairs.
"""

from __future__ import annotations

import enum

import numpy as np

from vmplan.engine.assign import assign
from vmplan.engine.items import Items
from vmplan.engine.state import Hosts
from vmplan.model import BoolArray, IntArray, Inventory


class Order(enum.StrEnum):
    PEAK = "peak"
    NORM = "norm"


def item_order(inv: Inventory, items: Items, order: Order) -> IntArray:
    """Items largest first: CPU peak (or series norm) and memory as shares of an average host."""
    open_ = ~inv.maintenance
    cap = float(inv.cpu_cap[open_].mean()) if open_.any() else 1.0
    mem = float(inv.mem_cap[open_].mean()) if open_.any() else 1.0
    if order is Order.PEAK:
        cpu = items.peak / cap
    else:
        cpu = np.sqrt((items.demand**2).mean(axis=1)) / cap
    size = np.maximum(cpu, items.memory / mem)
    return np.lexsort((np.arange(len(items)), -size))


def decreasing(inv: Inventory, items: Items, order: Order, best: bool) -> Hosts | None:
    """First-fit (``best=False``) or best-fit decreasing from empty hosts; None if an item fails."""
    state = Hosts(inv, items, np.full(len(items), -1, dtype=np.int64))
    open_hosts = np.flatnonzero(~inv.maintenance)
    spare = list(open_hosts[np.lexsort((open_hosts, -inv.cpu_cap[open_hosts]))])
    ranked = item_order(inv, items, order).tolist()
    if not best:
        return _first_fit_decreasing(state, ranked, spare)
    used: list[int] = []
    for i in ranked:
        h = state.best_fit(i, np.array(used, dtype=np.int64)) if used else -1
        if h < 0:
            h = _open(state, i, spare, used)
            if h < 0:
                return None
        state.add(i, h)
    return state


#: Items screened together by first-fit decreasing: one vectorised screen per batch.
BATCH = 32


def _first_fit_decreasing(state: Hosts, ranked: list[int], spare: list[int]) -> Hosts | None:
    """Each item on the first used host (in opening order) that takes it, else a new host.

    Loads only grow here, so a batch of items is screened against the used hosts at once: "does
    not fit" stays true through the batch, "certainly fits" until the host receives an item.
    Hosts changed or opened during the batch get the exact test. The result is exactly that of
    one item at a time.
    """
    used: list[int] = []
    for b in range(0, len(ranked), BATCH):
        batch = ranked[b : b + BATCH]
        known = np.array(used, dtype=np.int64)
        ok = sure = np.zeros((len(batch), 0), dtype=np.bool_)
        if known.size:
            ok, sure = state.screen(np.repeat(batch, known.size), np.tile(known, len(batch)))
            ok, sure = ok.reshape(len(batch), -1), sure.reshape(len(batch), -1)
        changed = np.zeros(len(state.inv.hosts), dtype=np.bool_)
        for k, i in enumerate(batch):
            h = _first_screened(state, i, known, ok[k], sure[k], changed)
            if h < 0 and len(used) > known.size:
                newer = np.array(used[known.size :], dtype=np.int64)
                fit = state.exact(i, newer)
                h = int(newer[int(np.argmax(fit))]) if fit.any() else -1
            if h < 0:
                h = _open(state, i, spare, used)
                if h < 0:
                    return None
            state.add(i, h, refresh=False)
            changed[h] = True
        state.refresh(np.flatnonzero(changed))
    return state


def _first_screened(
    state: Hosts, i: int, hosts: IntArray, ok: BoolArray, sure: BoolArray, changed: BoolArray
) -> int:
    """The first of ``hosts`` that takes item ``i``, from a screen taken before ``changed``."""
    candidates = ok.nonzero()[0]
    for k in range(0, candidates.size, CHUNK):
        part = candidates[k : k + CHUNK]
        hs = hosts[part]
        good = sure[part] & ~changed[hs]
        upto = int(np.argmax(good)) if good.any() else part.size
        check = (~good[:upto]).nonzero()[0]  # only the hosts before the first certain one
        if check.size:
            h_check = hs[check]
            was = changed[h_check]
            if was.any():
                result = np.empty(check.size, dtype=np.bool_)
                result[~was] = state.full(i, h_check[~was])
                result[was] = state.exact(i, h_check[was])
            else:
                result = state.full(i, h_check)
            good[check] = result
        if good.any():
            return int(hs[int(np.argmax(good))])
    return -1


#: Hosts fully tested at a time while looking for the first that fits.
CHUNK = 8


def _open(state: Hosts, i: int, spare: list[int], used: list[int]) -> int:
    """The first spare host (largest first) that takes item ``i``, now used; -1 if none."""
    ok = state.fits(i, np.array(spare, dtype=np.int64)) if spare else np.zeros(0, np.bool_)
    if not ok.any():
        return -1
    h = spare.pop(int(np.argmax(ok)))
    used.append(h)
    return h


def relabel(inv: Inventory, items: Items, state: Hosts, before_vms: IntArray) -> Hosts:
    """Move whole bins onto the hosts that already hold most of their VMs' memory, where they fit."""
    bins = state.used()
    open_hosts = np.flatnonzero(~inv.maintenance)
    if bins.size == 0 or open_hosts.size == 0:
        return state
    # weight[b, h]: memory of bin b's VMs that sit on host h today (VMs that would stay), +1 each
    row = np.full(len(inv.hosts), -1, dtype=np.int64)
    row[bins] = np.arange(bins.size)
    col = np.full(len(inv.hosts), -1, dtype=np.int64)
    col[open_hosts] = np.arange(open_hosts.size)
    vm_bin = row[state.where[items.of_vm]]
    vm_col = col[before_vms]
    counted = (vm_bin >= 0) & (vm_col >= 0)
    weight = np.zeros((bins.size, open_hosts.size))
    np.add.at(weight, (vm_bin[counted], vm_col[counted]), inv.memory[counted] + 1.0)
    # feasible[b, h]: every item of bin b may go to h, and the bin's load and memory fit there
    item_bin = row[state.where]
    placed = np.flatnonzero(item_bin >= 0)
    barred = np.zeros((bins.size, open_hosts.size), dtype=np.int64)
    not_allowed = ~items.allowed[np.ix_(placed, open_hosts)]
    if not_allowed.any():  # pins, vCPUs, sizes: which bins contain an item a host may not take
        hit = np.flatnonzero(not_allowed.any(axis=1))
        for k in hit.tolist():
            barred[item_bin[placed[k]]] += not_allowed[k]
    # a bin's series fits under a host's limit at every sample exactly when its peak does
    feasible = (
        (barred == 0)
        & (state.mem[bins][:, None] <= state.mem_cap[open_hosts][None, :])
        & (state.peak[bins][:, None] <= state.cap[open_hosts][None, :])
    )
    # the preference first, then the most weight, over assignments of every bin to a host of
    # its own (see the module doc); a pair that does not fit costs more than any allowed sum, so
    # it is used only when nothing else works
    big = weight.sum() + 1.0
    pref = inv.preference[open_hosts]
    if pref.any():
        cost = np.where(feasible, big * pref[None, :] - weight, big * (2 * bins.size + 1))
    else:
        cost = np.where(feasible, -weight, big)
    cols = assign(cost)
    rows = np.arange(bins.size)
    if not feasible[rows, cols].all():  # some bin has no host of its own
        return state
    new_where = state.where.copy()
    for r, c in zip(rows, cols, strict=True):
        new_where[state.where == bins[r]] = open_hosts[c]
    return Hosts(inv, items, new_where)


def settle(state: Hosts, before: IntArray) -> int:
    """Send items back to their host of today where that host is used and still takes them
    (fewer migrations at the same host count); returns how many went back.

    Largest first, so the VMs that are dearest to move stay home first.
    """
    used = state.count > 0
    away = np.flatnonzero((state.where != before) & (before >= 0))
    away = away[used[before[away]]]
    away = away[np.lexsort((away, -state.items.memory[away]))]
    back = 0
    for i in away.tolist():
        h = int(before[i])
        if state.exact(i, np.array([h], dtype=np.int64))[0]:
            state.remove(i)
            state.add(i, h)
            back += 1
    return back
