"""Room for maintenance after consolidation (``pack --spare N``): a post-step on the portfolio.

The strategies pack as tightly as they can; a placement so tight that no used host can be
emptied defeats maintenance. So before scheduling, each of the best candidates is checked with
a :data:`RoomCheck` (given by the command: every used host evacuable onto the other used hosts,
the hosts the plan frees being gone; see :mod:`vmplan.evacuate.room`). While some host is not
evacuable, a freed host is re-opened (the largest first: CPU limit, then memory limit) and
filled, up to the average fullness the hosts would have with it, with items from the hosts that
cannot be evacuated (items whose host of today it is first, so they go home; then items no other
used host may take; then the largest of the fullest such host). A freed host that takes the most
of those items no other used host may take (a pin) is re-opened first. Then the check runs again, until every used host passes or no freed host
is left. Then a candidate with as few hosts and fewer migrations (today's placement, when
it is as small) is taken instead if it passes as it is, so packing the inventory a plan leaves
asks for no migrations. Only candidates that pass are scheduled, so the emitted plan is one whose
evacuations were each verified.

The lower bound stays valid: once any N used hosts are evacuated the others hold every VM, so a
plan uses at least N more hosts than a bound without spare (:attr:`.Bounds.best`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from vmplan.engine.state import Hosts
from vmplan.model import IntArray, Inventory, MoveKind, Reason
from vmplan.pack.portfolio import KEEP_TODAY, Candidate, Portfolio, preference_penalty, rank

#: (inventory with the freed hosts closed, VM placement, how many failed hosts are enough or
#: None for all) -> the used hosts that fail the check
RoomCheck = Callable[[Inventory, IntArray, int | None], list[int]]

#: Failed hosts a round of :func:`make_room` looks for on a placement of more than
#: :data:`SMALL` hosts: the re-opened host is filled from the fullest of them, so a few are enough
#: to choose from, and a round that looked at every host cost 1-4 s at 10,000 VMs (of 25 s for
#: the whole pack). On fewer hosts every round looks at all (a round costs well under a second,
#: and the fill that relieves every failed host packed the PlanetLab days 2 hosts tighter).
ENOUGH = 8
SMALL = 32

#: How many of the best candidates are tried, in turn until one gets room (then today's
#: placement, the fallback).
TRIES = 2


def closed_after(inv: Inventory, placement: IntArray) -> Inventory:
    """The inventory with every host ``placement`` leaves empty in maintenance."""
    used = set(placement.tolist())
    hosts = tuple(
        h if h.maintenance or k in used else replace(h, maintenance=True)
        for k, h in enumerate(inv.hosts)
    )
    return Inventory(hosts, inv.vms, inv.rules, inv.demand, inv.interval_s, inv.start, inv.files)


def passes(p: Portfolio, c: Candidate, check: RoomCheck) -> bool:
    target = p.items.placement_of_vms(c.where)
    return not check(closed_after(p.inv, target), target, 1)


def apply(p: Portfolio, check: RoomCheck) -> None:
    """Replace the candidates by versions of the best few with room made (see the module doc);
    the frontier keeps the points whose placements pass as they are."""
    ranked = sorted(p.candidates, key=rank)
    tries = ranked[:TRIES] + [c for c in ranked[TRIES:] if c.name == KEEP_TODAY]
    spared = []
    for c in tries:  # the next only when one fails: each check evacuates every used host
        s = make_room(p, c, check)
        budget = p.settings.max_migrations
        if s is not None and (budget is None or s.migrations <= budget):
            spared.append(s)
            p.say(f"{s.name}: {s.hosts} hosts")
            break
    if spared:  # a placement with as few hosts and fewer migrations that passes as it is
        cheaper = [c for c in _pareto_candidates(p.candidates) if c.hosts <= spared[0].hosts]
        for c in sorted(cheaper, key=lambda c: c.migrations):
            if c.migrations >= spared[0].migrations:
                break
            if passes(p, c, check):
                spared.append(c)
                break
    points = [(c.hosts, c.migrations) for c in spared]
    if p.settings.frontier:
        for c in _pareto_candidates(p.candidates):
            if c.hosts >= p.lower and (c.hosts, c.migrations) not in points and passes(p, c, check):
                points.append((c.hosts, c.migrations))
    p.candidates = spared
    p.frontier = points


def make_room(p: Portfolio, c: Candidate, check: RoomCheck) -> Candidate | None:
    """``c`` with freed hosts re-opened until every used host passes ``check``, else None."""
    inv, items = p.inv, p.items
    state = Hosts(inv, items, c.where)
    reasons = dict(c.reasons)
    tried: set[int] = set()
    rounds = 0
    while True:
        target = items.placement_of_vms(state.where)
        enough = ENOUGH if len(state.used()) > SMALL else None
        bad = check(closed_after(inv, target), target, enough)
        if not bad:
            name = c.name if rounds == 0 else f"{c.name}, {rounds} host(s) re-opened for room"
            migrations = int((target != inv.current).sum())
            where = state.where.copy()
            penalty = preference_penalty(inv, where)
            return Candidate(name, where, reasons, len(state.used()), migrations, penalty)
        bad = [h for h in bad if state.count[h]]
        free = _freed(p, state, tried, _stuck(p, state, bad))
        if free.size == 0:
            return None
        tried.add(int(free[0]))
        _fill(p, state, reasons, bad, int(free[0]))
        rounds += 1


def _stuck(p: Portfolio, state: Hosts, bad: list[int]) -> IntArray:
    """Items on the ``bad`` hosts that no other used host may take (pins, vCPUs, peaks)."""
    members = np.flatnonzero(np.isin(state.where, bad))
    used = state.used()
    return np.asarray(members[p.items.allowed[np.ix_(members, used)].sum(axis=1) <= 1])


def _freed(p: Portfolio, state: Hosts, tried: set[int], stuck: IntArray) -> IntArray:
    """Open hosts the placement leaves empty: first those that take the most ``stuck`` items,
    then the largest (CPU limit, memory limit, index)."""
    inv = p.inv
    ok = ~inv.maintenance & p.items.allowed.any(axis=0) & (state.count == 0)
    ok[list(tried)] = False
    hosts = np.flatnonzero(ok)
    takes = p.items.allowed[np.ix_(stuck, hosts)].sum(axis=0)
    ranked = np.lexsort((hosts, -inv.mem_cap[hosts], -inv.cpu_cap[hosts], -takes))
    return np.asarray(hosts[ranked])


def _fill(p: Portfolio, state: Hosts, reasons: dict[int, Reason], bad: list[int], f: int) -> None:
    """Move items from the ``bad`` hosts onto the empty host ``f`` (see the module doc)."""
    names = [h.name for h in p.inv.hosts]
    used = state.used()
    share = float((state.peak[used] / state.cap[used]).mean()) if used.size else 0.0
    goal = share * used.size / (used.size + 1) * state.cap[f]
    dest = np.array([f], dtype=np.int64)
    for i, r in list(reasons.items()):  # f is no longer freed
        if r.kind is MoveKind.FREE and r.subject == names[f]:
            reasons[i] = Reason(MoveKind.REPACK)
    sources = list(bad)
    while sources and state.peak[f] < goal:
        b = max(sources, key=lambda h: (state.peak[h] / state.cap[h], -h))
        members = np.flatnonzero(state.where == b)
        home = members[p.before[members] == f]
        stuck = _stuck(p, state, [b])
        by_size = members[np.argsort(-state.items.peak[members], kind="stable")]
        order = [*home.tolist(), *stuck.tolist(), *by_size.tolist()]
        moved = False
        for i in order:
            first = state.count[f] == 0
            if (first or state.peak[f] + state.items.peak[i] <= goal) and state.fits(i, dest)[0]:
                state.remove(i)
                state.add(i, f)
                if p.before[i] == f:
                    reasons.pop(i, None)
                elif i not in reasons:
                    reasons[i] = Reason(MoveKind.MAKE_ROOM, names[b])
                moved = True
                break
        if not moved or state.count[b] == 0:
            sources.remove(b)


def _pareto_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """For each host count, the candidate with the fewest migrations."""
    best: dict[int, Candidate] = {}
    for c in sorted(candidates, key=rank):
        best.setdefault(c.hosts, c)
    return [best[h] for h in sorted(best)]
