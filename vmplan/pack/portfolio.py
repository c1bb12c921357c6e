"""The pack portfolio: the candidates found so far, the frontier, the time budget, and one
function per strategy that adds to them.

Every strategy turns a placement into candidates (:class:`Candidate`: hosts, migrations, the
placement and why each item moves); the caller schedules the best one. Order and budget:

1. ``keep_today``: today's placement, repaired (only what must move), as the fallback;
2. ``walk_today``: free hosts one at a time from it (the trade-off frontier), on small fleets or
   with a migration budget, for ``WALK_SHARE`` of the budget;
3. on large fleets with at least ``EARLY_BALANCED_S`` of budget, one balanced try (see 5);
4. ``first_fit``: first-fit decreasing by peak, improved by freeing hosts for ``IMPROVE_SHARE``.
   It runs whatever the deadline (``--time-limit 0`` too), so no plan is ever worse than one
   first-fit pass;
5. ``balanced_search``: the fixed-H construction and repair (:mod:`vmplan.engine.balanced`), H
   from just above the lower bound, always below the best count found; restarts in the time left;
6. ``variants``: best-fit and by-norm decreasing while time is left (small fleets);
7. ``run_exact``: the MILP on small instances, which can prove optimality.

Every constructed placement is relabelled onto today's hosts and then settled (items sent back to
their host of today where it still takes them). Candidates rank by (hosts, preference penalty,
migrations): among plans with the fewest hosts, the one that best honours the hosts' ``prefer``
(:func:`preference_penalty`), then the fewest migrations, wins. A preference never costs a host.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from vmplan.engine import balanced, construct
from vmplan.engine.bounds import Bounds
from vmplan.engine.items import Items
from vmplan.engine.settings import Settings
from vmplan.engine.state import Hosts
from vmplan.model import IntArray, Inventory, MoveKind, Reason
from vmplan.pack import exact
from vmplan.pack.consolidate import TRIES_PER_ROUND, Walk, free_hosts

Progress = Callable[[str], None]

#: From this many VM groups on, fewer and cheaper strategies run.
LARGE = 3000
#: Hosts tried per round when freeing hosts of a large fleet (a failed try costs ~0.1 s there).
TRIES_PER_ROUND_LARGE = 4
#: Share of the budget the walk from today may take before the constructions on small fleets.
WALK_SHARE = 0.15
#: Share of the budget for freeing hosts on the first-fit result (the balanced search is next).
IMPROVE_SHARE = 0.1
#: The balanced search starts this share above the lower bound (the gap seen on real fleets).
GUESS = 0.04
#: On large fleets with at least this budget (seconds) one balanced try runs before first-fit
#: (there first-fit costs more than a balanced construction and rarely wins).
EARLY_BALANCED_S = 2.0
#: The name of the candidate that keeps today's placement (repaired), the fallback.
KEEP_TODAY = "keep today's placement"
#: Restarts of the balanced construction (new seeds) once the search over H is done.
RESTARTS = 8


@dataclass(frozen=True, slots=True)
class PackSettings(Settings):
    max_migrations: int | None = None
    #: how notes name ``max_migrations`` (on a fleet, a cluster's share of the option's value)
    budget_label: str = ""
    frontier: bool = False  # on large fleets, also walk from today's placement for the trade-off
    spare: int = 0  # hosts of the result that must be evacuable onto the others (see .spare)


@dataclass(slots=True)
class Candidate:
    name: str
    where: IntArray  # item -> host
    reasons: dict[int, Reason]
    hosts: int
    migrations: int
    penalty: int = 0  # see preference_penalty; set when the portfolio keeps it


@dataclass(slots=True)
class Portfolio:
    """What the strategies share: the instance, the budget, and what they found."""

    inv: Inventory
    items: Items
    settings: PackSettings
    bounds: Bounds
    before: IntArray  # item -> host today (-1 where split)
    walk: Walk  # today's placement, repaired; the walk from today improves it in place
    failed: list[int]  # items the repair could not put back
    say: Progress
    deadline: float
    candidates: list[Candidate] = field(default_factory=list)
    frontier: list[tuple[int, int]] = field(default_factory=list)
    over_budget: list[int] = field(default_factory=list)  # migrations of plans over the budget
    walked: bool = False
    lower: int = 0
    stopped: list[str] = field(default_factory=list)  # strategies the time limit stopped
    proven: bool = False  # the exact model proved the hosts and the migrations optimal

    @property
    def cut(self) -> bool:
        """Whether the time limit stopped the search before it finished (a proof of optimality
        finishes it, whatever the heuristics left undone)."""
        return bool(self.stopped) and not self.proven

    def fewer_hosts_need(self, hosts: int) -> int | None:
        """The fewest migrations of any placement found (budget or not) on fewer than ``hosts``
        hosts: what freeing one more host would cost."""
        costs = [m for h, m in self.frontier if h < hosts]
        if self.walk.refused is not None and self.walk.refused[0] < hosts:
            costs.append(self.walk.refused[1])
        return min(costs) if costs else None

    @property
    def large(self) -> bool:
        return len(self.items) > LARGE

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def keep(self, c: Candidate) -> None:
        c.penalty = preference_penalty(self.inv, c.where)
        self.frontier.append((c.hosts, c.migrations))
        budget = self.settings.max_migrations
        if budget is None or c.migrations <= budget:
            self.candidates.append(c)
        else:
            self.over_budget.append(c.migrations)

    def best(self) -> Candidate | None:
        return min(self.candidates, key=rank) if self.candidates else None

    def upper(self) -> int:
        """The fewest hosts of any candidate (all open hosts + 1 when there is none)."""
        c = self.best()
        return c.hosts if c is not None else int((~self.inv.maintenance).sum()) + 1

    def offer(self, name: str, walk: Walk) -> None:
        for h, m, w, r in walk.frontier:
            self.keep(Candidate(name, w, r, h, m))

    def offer_state(self, name: str, state: Hosts, improve_until: float) -> None:
        """A constructed placement: relabelled onto today's hosts, settled, improved by freeing
        hosts until ``improve_until`` (at most the deadline), then offered."""
        state = construct.relabel(self.inv, self.items, state, self.inv.current)
        construct.settle(state, self.before)
        alt = Walk(state, self.before, reasons_from_scratch(self.inv, state, self.before))
        tries = TRIES_PER_ROUND_LARGE if self.large else TRIES_PER_ROUND
        free_hosts(alt, None, min(improve_until, self.deadline), None, tries)
        self.offer(name, alt)
        self.say(f"{name}: {alt.frontier[-1][0]} hosts")


def rank(c: Candidate) -> tuple[int, int, int]:
    return (c.hosts, c.penalty, c.migrations)


def preference_penalty(inv: Inventory, where: IntArray) -> int:
    """Used hosts marked ``prefer: free`` plus unused hosts marked ``prefer: keep``."""
    used = np.zeros(len(inv.hosts), dtype=np.bool_)
    used[where[where >= 0]] = True
    return int(((inv.preference > 0) & used).sum() + ((inv.preference < 0) & ~used).sum())


def keep_today(p: Portfolio) -> None:
    """Today's placement, repaired: the plan with the fewest migrations, kept as the fallback."""
    if not p.failed:
        s = p.walk.state
        p.keep(
            Candidate(
                KEEP_TODAY,
                s.where.copy(),
                dict(p.walk.reasons),
                len(s.used()),
                p.walk.migrations(),
            )
        )


def first_fit(p: Portfolio) -> None:
    """One first-fit decreasing pass: always, whatever the deadline."""
    built = construct.decreasing(p.inv, p.items, construct.Order.PEAK, False)
    if built is not None:
        until = time.monotonic() + p.settings.time_limit * IMPROVE_SHARE
        p.offer_state("first-fit decreasing by peak", built, until)


def walk_today(p: Portfolio, until: float) -> None:
    """Free hosts one at a time from today's repaired placement (the trade-off frontier)."""
    if p.failed or p.walked:
        return
    p.walked = True
    if not free_hosts(p.walk, p.settings.max_migrations, until, p.say):
        p.stopped.append("consolidate")
    p.offer("consolidate", p.walk)


def balanced_search(p: Portfolio, attempts: int | None = None) -> None:
    """Fixed-H balanced construction. A success is cheap (the construction alone often leaves
    no overflow) and a failure costs its construction and a capped repair, so the search starts a
    little above the lower bound (``GUESS``), walks down while it succeeds and up after a failure,
    always below the best count found; restarts with new seeds use the time left. ``attempts``
    stops it early (the first try on a large fleet, before first-fit)."""
    lo = max(p.bounds.best, 1)
    h = min(p.upper() - 1, lo + max(1, round(GUESS * lo)))
    failed_at = lo - 1
    tried = 0
    while failed_at < h < p.upper() and p.left() > 0 and tried != attempts:
        tried += 1
        if _balanced_at(p, h, time.monotonic() + p.left() / 3, 0):
            h = p.upper() - 1
        else:
            failed_at = h
            h = h + 1 if h + 1 < p.upper() else failed_at
    if attempts is None and failed_at < h < p.upper() and p.left() <= 0:
        p.stopped.append("balanced")
    for seed in range(1, RESTARTS + 1):  # restarts one below the best found
        h = p.upper() - 1
        if h < lo or p.left() <= 0 or attempts is not None:
            return
        _balanced_at(p, h, time.monotonic() + p.left() / 2, seed)


def _balanced_at(p: Portfolio, h: int, until: float, seed: int) -> bool:
    hosts = balanced.largest_hosts(p.inv, p.items, h)
    if hosts.size < h:
        return False
    out = balanced.build_on(p.inv, p.items, hosts, min(until, p.deadline), seed)
    if out.state is None:
        p.say(f"balanced on {h} hosts: left {out.overflow:.3g} over")
        return False
    p.offer_state(f"balanced on {h} hosts", out.state, 0.0)
    return True


def variants(p: Portfolio) -> None:
    """Best-fit and by-norm decreasing, while time is left (small fleets only)."""
    if p.large:
        return
    for order, best in (
        (construct.Order.PEAK, True),
        (construct.Order.NORM, True),
        (construct.Order.NORM, False),
    ):
        if p.left() <= 0:
            p.stopped.append("variants")
            return
        built = construct.decreasing(p.inv, p.items, order, best)
        if built is not None:
            name = f"{'best' if best else 'first'}-fit decreasing by {order.value}"
            p.offer_state(name, built, p.deadline)


def run_exact(p: Portfolio) -> None:
    """The exact model on small instances, unless the best plan is already proven best."""
    best = p.best()
    if not exact.applicable(p.inv, p.items):
        return
    if best is not None and best.hosts <= p.lower and best.migrations == 0:
        return
    p.say("exact model (HiGHS)")
    upper = best.hosts if best else int((~p.inv.maintenance).sum())
    # small models get a moment even when the heuristics used the budget up
    floor = time.monotonic() + min(2.0, p.settings.time_limit)
    proven = best is not None and best.hosts <= p.lower
    result = exact.solve(p.inv, p.items, p.before, upper, max(p.deadline, floor), proven)
    # proven, the model takes ``upper`` as given, which with --spare N holds N spare hosts
    plain = result.lower_bound - (p.bounds.spare if proven else 0)
    p.bounds = replace(p.bounds, exact=plain)
    p.proven = result.optimal_migrations and (proven or result.optimal_hosts)
    if not p.proven:
        p.stopped.append("exact")
    p.lower = max(p.lower, p.bounds.best)
    if result.where is not None:
        state = Hosts(p.inv, p.items, result.where)
        p.keep(
            Candidate(
                "exact (MILP)",
                result.where,
                reasons_from_scratch(p.inv, state, p.before),
                len(state.used()),
                Walk(state, p.before).migrations(),
            )
        )


def reasons_from_scratch(inv: Inventory, state: Hosts, before_items: IntArray) -> dict[int, Reason]:
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
