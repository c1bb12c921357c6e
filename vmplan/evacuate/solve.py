"""The evacuation heuristics: what must move, where it goes, room-making, then headroom.

Everything works on packing items (affinity groups) and the :class:`~vmplan.engine.state.Hosts`
fit test, which prunes with peak and mean bounds before the full-series check.

- :func:`must_move`: the items that cannot stay -- those on the named hosts, affinity groups split
  over hosts (they end whole), and repairs of today's placement (a host a VM may not use,
  anti-affinity partners sharing a host, the largest contributors of an overloaded host). VMs on
  other hosts in maintenance may stay.
- :func:`place`: largest first, each item onto the open host it fits on with the lowest CPU peak
  share afterwards (``SPREAD``) or the fullest (``FIT``, which leaves big holes for big items).
  With ``room=True`` an item that fits nowhere gets room by one ejection: an item on a host it
  nearly fits on moves to a third host. Items that already move are ejected first (free), then
  single VMs that stay today (one extra migration each, reason ``make room on X``).
- :func:`improve`: lowers the highest peak share among destinations by moving items that move
  anyway (never adding a migration), and sends room-making items home when room reappears.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

import numpy as np

from vmplan.constraints import eligibility
from vmplan.engine.construct import Order, item_order
from vmplan.engine.items import Items, build, item_placement
from vmplan.engine.state import Hosts
from vmplan.model import FloatArray, IntArray, Inventory, MoveKind, Reason

#: Room-making looks at this many hosts (closest to fitting first) and items per host.
ROOM_HOSTS = 8
ROOM_ITEMS = 8


class Mode(enum.Enum):
    SPREAD = "spread"  # lowest peak share afterwards: headroom first
    FIT = "fit"  # fullest host afterwards: leaves large holes for large items


@dataclass(frozen=True, slots=True, eq=False)
class Prepared:
    """What every evacuation of one inventory shares (built once for ``check --evacuable``)."""

    inv: Inventory
    items: Items
    current: IntArray  # VM -> host today
    today: IntArray  # item -> host today, -1 when its VMs are split over hosts
    base: Hosts  # today's loads; split items are left out
    rank: IntArray  # item -> position when placing largest first
    linked: tuple[int, ...]  # items with anti-affinity partners

    @property
    def names(self) -> list[str]:
        return [h.name for h in self.inv.hosts]


@dataclass(slots=True)
class Attempt:
    """One strategy's outcome: a state (placed items), why each moved item moves, and failures."""

    state: Hosts
    reasons: dict[int, Reason]  # item -> why it moves
    failed: list[int] = field(default_factory=list)
    strategy: str = ""

    @property
    def feasible(self) -> bool:
        return not self.failed


def prepare(inv: Inventory, current: IntArray | None = None) -> Prepared:
    items = build(inv)
    vm_hosts = inv.current if current is None else current
    today = item_placement(items, vm_hosts)
    base = Hosts(inv, items, today)
    rank = np.empty(len(items), dtype=np.int64)
    rank[item_order(inv, items, Order.PEAK)] = np.arange(len(items))
    linked = tuple(k for k, c in enumerate(items.conflicts) if c)
    return Prepared(inv, items, vm_hosts, today, base, rank, linked)


def must_leave(prep: Prepared, named: frozenset[int]) -> dict[int, Reason]:
    """Items that may not stay on today's host whatever else moves, with the reason."""
    inv, items, today, names = prep.inv, prep.items, prep.today, prep.names
    out: dict[int, Reason] = {}
    for i in np.flatnonzero(today < 0).tolist():
        on = sorted(set(prep.current[items.members[i]].tolist()) & named)
        out[i] = Reason(MoveKind.EVACUATE, names[on[0]]) if on else Reason(MoveKind.JOIN_AFFINITY)
    for h in sorted(named):
        for i in np.flatnonzero(today == h).tolist():
            out[i] = Reason(MoveKind.EVACUATE, names[h])
    placed = np.flatnonzero(today >= 0)
    bad = ~prep.items.allowed[placed, today[placed]] & ~inv.maintenance[today[placed]]
    parked = placed[inv.maintenance[today[placed]]]  # may stay on a host in maintenance ...
    if parked.size:  # ... unless its pins or vCPUs forbid that host
        e = eligibility(inv)
        fit = e.pinned & e.vcpus
        for i in parked.tolist():
            if not fit[items.members[i], today[i]].all():
                out.setdefault(i, Reason(MoveKind.NOT_ALLOWED, names[int(today[i])]))
    for i in placed[bad].tolist():
        out.setdefault(i, Reason(MoveKind.NOT_ALLOWED, names[int(today[i])]))
    return out


def must_move(prep: Prepared, leave: dict[int, Reason], named: frozenset[int]) -> dict[int, Reason]:
    """``leave`` plus the repairs that make today's placement valid again: one of two
    anti-affine partners sharing a host, the largest contributors of a host over a limit."""
    items, today, names = prep.items, prep.today, prep.names
    out = dict(leave)
    for i in prep.linked:
        h = int(today[i])
        partners = items.conflicts[i]
        if (
            h >= 0
            and i not in out
            and any(today[j] == h and j < i and j not in out for j in partners)
        ):
            out[i] = Reason(MoveKind.ANTI_AFFINITY, names[h])
    # relieve hosts over their limits today (largest contributor at the worst sample first)
    s = prep.base
    over = np.flatnonzero(((s.load > s.cap[:, None]).any(axis=1)) | (s.mem > s.mem_cap))
    if over.size:
        state = s.copy()
        for i in out:
            if state.where[i] >= 0:
                state.remove(i)
        for h in over.tolist():
            if h in named:
                continue
            for i in state.shed(h):
                out[i] = Reason(MoveKind.RELIEVE, names[h])
    return out


def start_state(prep: Prepared, leaving: dict[int, Reason]) -> Hosts:
    state = prep.base.copy()
    for i in sorted(leaving):
        if state.where[i] >= 0:
            state.remove(i)
    return state


def vm_moves(prep: Prepared, where: IntArray) -> int:
    """Migrations of an item placement: VMs whose host changes."""
    target = where[prep.items.of_vm]
    return int((target != prep.current).sum())


def peak_share(state: Hosts, hosts: IntArray) -> FloatArray:
    out: FloatArray = state.peak[hosts] / state.inv.host_cores[hosts]
    return out


def destinations(prep: Prepared, state: Hosts) -> IntArray:
    """Hosts that receive at least one item."""
    moved = (state.where != prep.today) & (state.where >= 0)
    return np.unique(state.where[moved])


def _choose(state: Hosts, i: int, hosts: IntArray, mode: Mode) -> int:
    """The host among ``hosts`` that takes item ``i`` by ``mode``, or -1.

    The peak afterwards lies between its value at the busiest samples of the host and of the item
    (a maximum over fewer samples) and the host's peak plus the item's peak, so only hosts whose
    interval reaches the best bound get the full-series maximum; the choice (and its tie-break,
    the first host) is the same as over all of them.
    """
    if hosts.size == 0:
        return -1
    ok = state.fits(i, hosts)
    if not ok.any():
        return -1
    c = hosts[ok]
    d = state.items.demand[i]
    if d.size == 0:
        return int(c[0])
    scale = 1.0 / (state.inv.host_cores[c] if mode is Mode.SPREAD else state.cap[c])
    samples = state.load.shape[1]
    at = np.concatenate(
        (state.top[c], np.broadcast_to(state.items.top[i], (c.size, state.items.top.shape[1]))),
        axis=1,
    )
    lo = (state.load.take(at + (c * samples)[:, None]) + d.take(at)).max(axis=1) * scale
    hi = (state.peak[c] + state.items.peak[i]) * scale
    keep = np.flatnonzero(lo <= hi.min() if mode is Mode.SPREAD else hi >= lo.max())
    after = (state.load[c[keep]] + d).max(axis=1) * scale[keep]
    k = int(np.argmin(after)) if mode is Mode.SPREAD else int(np.argmax(after))
    return int(c[keep[k]])


def place(
    prep: Prepared,
    state: Hosts,
    leaving: dict[int, Reason],
    open_hosts: IntArray,
    mode: Mode,
    room: bool,
) -> Attempt:
    """Put every leaving item back on an open host (largest first); see the module docstring.

    With ``room=True`` every item is tried, so the failures are all the items that found no
    host; without, the attempt stops at the first failure.
    """
    reasons = dict(leaving)
    todo = sorted(leaving, key=lambda i: int(prep.rank[i]))
    attempt = Attempt(state, reasons, [], f"{mode.value}{' + room-making' if room else ''}")
    for i in todo:
        h = -1
        if prep.today[i] < 0:  # a split group: where most of its VMs already are, if it fits
            h = _choose(state, i, _home_of_group(prep, i, open_hosts), mode)
        if h < 0:
            h = _choose(state, i, open_hosts, mode)
        if h >= 0:
            state.add(i, h)
        elif not (room and make_room(prep, attempt, i, open_hosts)):
            attempt.failed.append(i)
            if not room:  # without room-making an attempt only answers "does it fit"
                break
    return attempt


def _home_of_group(prep: Prepared, i: int, open_hosts: IntArray) -> IntArray:
    """The open host holding most of split item ``i``'s VMs today (as a 0- or 1-element array)."""
    held = prep.current[prep.items.members[i]]
    held = held[np.isin(held, open_hosts)]
    if held.size == 0:
        return np.zeros(0, dtype=np.int64)
    counts = np.bincount(held)
    return np.array([int(np.argmax(counts))], dtype=np.int64)


def make_room(prep: Prepared, attempt: Attempt, i: int, open_hosts: IntArray) -> bool:
    """One ejection: an item on a host ``i`` nearly fits on steps to a third host.

    Items that move anyway go first (no extra migration), then single VMs that stay today.
    Hosts are tried from the one ``i`` misses by the least: the ``ROOM_HOSTS`` closest, and on
    each the ``ROOM_ITEMS`` smallest items whose leaving makes room (a deterministic budget).
    """
    s, it = attempt.state, prep.items
    hosts = open_hosts[it.allowed[i, open_hosts]]
    if hosts.size == 0:
        return False
    short = (s.load[hosts] + it.demand[i] - s.cap[hosts, None]).max(axis=1)
    short = np.maximum(short / s.cap[hosts], (s.mem[hosts] + it.memory[i]) / s.mem_cap[hosts] - 1)
    hosts = hosts[np.lexsort((hosts, short))][:ROOM_HOSTS]
    sizes = np.array([len(m) for m in it.members], dtype=np.int64)
    for moving_pass in (True, False):
        for g in hosts.tolist():
            on_g = np.flatnonzero(s.where == g)
            moving = s.where[on_g] != prep.today[on_g]
            cand = on_g[moving] if moving_pass else on_g[~moving]
            if cand.size == 0:
                continue
            rows = s.load[g][None, :] - it.demand[cand] + it.demand[i][None, :]
            ok = (rows <= s.cap[g]).all(axis=1)
            ok &= s.mem[g] - it.memory[cand] + it.memory[i] <= s.mem_cap[g]
            cand = cand[ok]
            cand = cand[np.lexsort((cand, it.peak[cand], sizes[cand]))][:ROOM_ITEMS]
            others = open_hosts[open_hosts != g]
            for u in cand.tolist():
                if not s.fits_with_out(i, g, u):
                    continue
                t = _choose(s, u, others, Mode.SPREAD)  # i is on no host yet: same answer
                if t < 0:
                    continue
                s.remove(u)
                s.add(i, g)
                s.add(u, t)
                if u not in attempt.reasons:
                    attempt.reasons[u] = Reason(MoveKind.MAKE_ROOM, prep.names[g])
                return True
    return False


def send_home(prep: Prepared, attempt: Attempt, leaving: dict[int, Reason]) -> None:
    """Room-making items whose host has room again go back (one migration fewer each)."""
    s = attempt.state
    for u in sorted(attempt.reasons):
        home, at = int(prep.today[u]), int(s.where[u])
        if u in leaving or home < 0 or at < 0 or at == home:
            continue
        s.remove(u)
        if s.fits(u, np.array([home], dtype=np.int64))[0]:
            s.add(u, home)
            del attempt.reasons[u]
        else:
            s.add(u, at)


def improve(
    prep: Prepared, attempt: Attempt, open_hosts: IntArray, deadline: float, rounds: int
) -> None:
    """Lower the highest CPU peak share among destinations, one move of a moving item at a time.

    A move is taken only when it lowers the highest share; it never adds a migration (the item
    moves anyway), and sends an item home when that is best (one migration fewer).
    """
    s, it, cores = attempt.state, prep.items, prep.inv.host_cores
    for _ in range(rounds):
        if time.monotonic() > deadline:
            return
        moving = np.flatnonzero((s.where != prep.today) & (s.where >= 0))
        if moving.size == 0:
            return
        dest = np.unique(s.where[moving])
        share = peak_share(s, dest)
        order = np.lexsort((dest, -share))
        h, top = int(dest[order[0]]), float(share[order[0]])
        second = float(share[order[1]]) if dest.size > 1 else 0.0
        second_host = int(dest[order[1]]) if dest.size > 1 else -1
        third = float(share[order[2]]) if dest.size > 2 else 0.0
        best: tuple[float, int, int] | None = None
        on_h = moving[s.where[moving] == h]
        for i in on_h.tolist():
            rest_on_h = on_h.size > 1
            src = (s.load[h] - it.demand[i]).max() / cores[h] if rest_on_h else 0.0
            cands = open_hosts[open_hosts != h]
            ok = s.fits(i, cands)
            if not ok.any():
                continue
            c = cands[ok]
            dst = (s.load[c] + it.demand[i]).max(axis=1) / cores[c]
            rest = np.where(c == second_host, third, second)
            new = np.maximum(np.maximum(rest, dst), src)
            k = int(np.argmin(new))
            if best is None or new[k] < best[0] - 1e-12:
                best = (float(new[k]), i, int(c[k]))
        if best is None or best[0] >= top - 1e-9:
            return
        _, i, g = best
        s.remove(i)
        s.add(i, g)
        if g == prep.today[i]:
            attempt.reasons.pop(i, None)
