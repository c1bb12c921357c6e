"""Improvement from a starting placement: repair it, then free hosts one at a time.

Repair moves only what must move: VMs on hosts in maintenance or on hosts they may not use,
members of split affinity groups, anti-affinity partners that share a host, and the largest
contributors of overloaded hosts. Then, repeatedly, the least-loaded used host is emptied into the
room left on the other used hosts (hosts marked ``prefer: free`` are tried first and those marked
``prefer: keep`` last, whatever their load) (best fit, with one-step ejections: a VM on the receiving host
steps aside to a third host to make room). Every freed host is a point of the trade-off frontier
between hosts and migrations; VMs on kept hosts move only to make room.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vmplan.engine.items import Items
from vmplan.engine.state import Hosts
from vmplan.model import IntArray, Inventory, MoveKind, Reason

#: How many of the least-loaded hosts are tried per round before giving up.
TRIES_PER_ROUND = 12
#: Ejections look at this many receiving hosts (most CPU headroom first) and items per host.
EJECT_HOSTS = 8
EJECT_ITEMS = 16


@dataclass(slots=True)
class Walk:
    """The state being improved, the moves' reasons, and the frontier found on the way."""

    state: Hosts
    before: IntArray  # item -> host today (-1 where its VMs are split)
    reasons: dict[int, Reason] = field(default_factory=dict)  # item -> why it moves
    frontier: list[tuple[int, int, IntArray, dict[int, Reason]]] = field(default_factory=list)
    #: (hosts, migrations) of the cheapest host-freeing step the migration budget refused
    refused: tuple[int, int] | None = None

    def migrations(self, state: Hosts | None = None) -> int:
        """VMs not on today's host (counted per VM: a split affinity group moves only some)."""
        s = self.state if state is None else state
        return int((s.where[s.items.of_vm] != s.inv.current).sum())

    def record(self) -> None:
        point = (
            len(self.state.used()),
            self.migrations(),
            self.state.where.copy(),
            dict(self.reasons),
        )
        self.frontier.append(point)


def repair(inv: Inventory, items: Items, before_items: IntArray) -> tuple[Walk, list[int]]:
    """Take out what may not stay, put it back where it fits; returns the walk and failed items."""
    names = [h.name for h in inv.hosts]
    where = before_items.copy()
    reasons: dict[int, Reason] = {}
    for i in np.flatnonzero(where < 0).tolist():
        reasons[i] = Reason(MoveKind.JOIN_AFFINITY)
    for i in np.flatnonzero(where >= 0).tolist():
        h = int(where[i])
        if inv.maintenance[h]:
            where[i], reasons[i] = -1, Reason(MoveKind.MAINTENANCE, names[h])
        elif not items.allowed[i, h]:
            where[i], reasons[i] = -1, Reason(MoveKind.NOT_ALLOWED, names[h])
    for i in range(len(items)):
        if where[i] >= 0 and any(where[j] == where[i] for j in items.conflicts[i] if j < i):
            reasons[i] = Reason(MoveKind.ANTI_AFFINITY, names[int(where[i])])
            where[i] = -1
    state = Hosts(inv, items, where)
    for h in range(len(inv.hosts)):
        for i in state.shed(h):
            reasons[i] = Reason(MoveKind.RELIEVE, names[h])
    walk = Walk(state, before_items, reasons)
    failed = []
    for i in sorted(reasons, key=lambda i: (-items.peak[i], i)):
        if not _place(walk, i, np.flatnonzero(~inv.maintenance)):
            failed.append(i)
    return walk, failed


def _place(walk: Walk, i: int, candidates: IntArray) -> bool:
    """Best fit onto used hosts, else eject, else open the largest unused host."""
    s = walk.state
    used = candidates[s.count[candidates] > 0]
    h = s.best_fit(i, used) if used.size else -1
    if h < 0 and used.size and _eject(walk, i, used):
        return True
    if h < 0:
        spare = candidates[s.count[candidates] == 0]
        spare = spare[np.lexsort((spare, -s.cap[spare]))]
        ok = s.fits(i, spare) if spare.size else np.zeros(0, dtype=np.bool_)
        h = int(spare[int(np.argmax(ok))]) if ok.any() else -1
    if h < 0:
        return False
    s.add(i, h)
    return True


def _eject(walk: Walk, i: int, hosts: IntArray, exclude: int = -1) -> bool:
    """Make room for item ``i`` on one of ``hosts`` by moving one item there to a third host.

    Items already moving (not on their host of today) are preferred: moving them again costs no
    extra migration.
    """
    s = walk.state
    it = s.items
    names = [h.name for h in s.inv.hosts]
    receivers = hosts[it.allowed[i, hosts]]
    # the hosts with the most room at the item's own peak times first
    room_at_peak = (s.cap[receivers, None] - s.load[receivers] - it.demand[i]).min(axis=1)
    for g in receivers[np.lexsort((receivers, -room_at_peak))][:EJECT_HOSTS].tolist():
        on_g = np.flatnonzero(s.where == g)
        if on_g.size == 0:
            continue
        # all candidates u at once: load[g] - d[u] + d[i] <= cap at every sample; it can fail
        # only where g would be over with i added (demand is never negative)
        over = (s.load[g] + it.demand[i] > s.cap[g]).nonzero()[0]
        rows = s.load[g, over] - it.demand[np.ix_(on_g, over)] + it.demand[i, over]
        room = (rows <= s.cap[g]).all(axis=1)
        room &= s.mem[g] - it.memory[on_g] + it.memory[i] <= s.mem_cap[g]
        if not room.any():
            continue
        cands = on_g[room]
        moving = s.where[cands] != walk.before[cands]
        cands = cands[np.lexsort((cands, it.peak[cands], ~moving))][:EJECT_ITEMS]
        others = hosts[(hosts != g) & (hosts != exclude)]
        for u in cands.tolist():
            if not s.fits_with_out(i, g, u):
                continue
            # u's new host is one of the others: what g holds does not matter to that search
            target = s.best_fit(u, others) if others.size else -1
            if target >= 0 and _conflict_free_after(s, i, g, leaving=u):
                s.remove(u)
                s.add(i, g)
                s.add(u, target)
                walk.reasons.setdefault(u, Reason(MoveKind.MAKE_ROOM, names[g]))
                return True
    return False


def _conflict_free_after(s: Hosts, i: int, g: int, leaving: int) -> bool:
    return all(s.where[j] != g or j == leaving for j in s.items.conflicts[i])


def free_hosts(
    walk: Walk,
    budget: int | None,
    deadline: float,
    progress: Callable[[str], None] | None = None,
    tries: int = TRIES_PER_ROUND,
) -> bool:
    """Empty hosts one at a time while one of the ``tries`` least loaded can be emptied (within
    ``budget`` migrations); False when ``deadline`` stopped it first."""
    names = [h.name for h in walk.state.inv.hosts]
    walk.record()
    while time.monotonic() < deadline:
        s = walk.state
        used = s.used()
        if used.size <= 1:
            return True
        fill = np.maximum(
            s.peak[used] / s.cap[used], s.mem[used] / np.maximum(s.mem_cap[used], 1.0)
        )
        # free-marked hosts first, keep-marked last; then fewest items, then least full
        pref = s.inv.preference[used]
        order = used[np.lexsort((used, fill, s.count[used], -pref))]
        for h in order[:tries].tolist():
            if time.monotonic() >= deadline:
                return False
            trial = _try_empty(walk, h, used[used != h])
            if trial is None:
                continue
            state, reasons = trial
            migrations = walk.migrations(state)
            if budget is not None and migrations > budget:
                point = (len(state.used()), migrations)
                if walk.refused is None or point[1] < walk.refused[1]:
                    walk.refused = point
                continue
            walk.state = state
            for i, why in reasons.items():
                walk.reasons.setdefault(i, why)
            walk.record()
            if progress:
                progress(f"freed {names[h]}: {len(state.used())} hosts, {migrations} migrations")
            break
        else:
            return True
    return False


def _try_empty(walk: Walk, h: int, others: IntArray) -> tuple[Hosts, dict[int, Reason]] | None:
    """Move every item off host ``h`` onto ``others``; None when one does not fit."""
    names = [x.name for x in walk.state.inv.hosts]
    trial = Walk(walk.state.copy(), walk.before, dict(walk.reasons))
    s = trial.state
    items = np.flatnonzero(s.where == h)
    items = items[np.lexsort((items, -s.items.peak[items]))]
    for i in items.tolist():
        s.remove(i)
    reasons = {int(i): Reason(MoveKind.FREE, names[h]) for i in items}
    for i in items.tolist():
        g = s.best_fit(i, others)
        if g >= 0:
            s.add(i, g)
        elif not _eject(trial, i, others, exclude=h):
            return None
    new = {k: v for k, v in trial.reasons.items() if k not in walk.reasons}
    new.update({k: v for k, v in reasons.items() if k not in walk.reasons})
    return s, new
