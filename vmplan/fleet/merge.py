"""Per-cluster plans -> one plan of the whole inventory.

Indices are mapped back through each :class:`~vmplan.fleet.split.Part`. Clusters migrate
independently and at the same time, so each keeps its own wave numbers: wave ``w`` of the merged
plan is wave ``w`` of every cluster that has one. The independent verifier
(:func:`vmplan.engine.verify.verify_plan`) accepts that as it stands: the waves are still
numbered 1..W without a gap (every cluster's are), and what it checks per wave -- the
destinations' loads, the moves per host -- concerns hosts of one cluster only, which no other
cluster's moves touch. Renumbering (cluster after cluster) would be just as valid but would claim
an order between clusters that does not exist and make the plan as long as their sum.

How long a fleet's migrations take is therefore the longest cluster's
(:func:`longest_seconds`), not :attr:`Plan.total_seconds` of the merged plan, which adds up
waves that run at the same time as one.

A merged plan is feasible when every cluster's is; when one is not, the merged plan keeps
today's placement (as :class:`~vmplan.model.Plan` requires) and says why for the clusters that
failed: their notes, and of the hosts to empty, theirs; a cluster that would have succeeded gets
a note that its hosts can be emptied on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from vmplan.fleet.split import Part
from vmplan.inventory.clusters import shown
from vmplan.model import Inventory, Move, Plan, Unplaced


def merge_plans(inv: Inventory, parts: Sequence[Part], plans: Sequence[Plan]) -> Plan:
    """The plans of ``parts`` (same order) as one plan of ``inv``.

    VMs of clusters not in ``parts`` (filtered out) stay where they are."""
    if len(parts) == 1 and parts[0].inventory is inv:
        return plans[0]
    before = inv.current.copy()
    target = inv.current.copy()
    keyed: list[tuple[int, int, int, Move]] = []
    unplaced: list[Unplaced] = []
    notes: list[str] = []
    evacuated: list[int] = []
    for c, (part, plan) in enumerate(zip(parts, plans, strict=True)):
        before[part.vms] = part.hosts[plan.before]
        target[part.vms] = part.hosts[plan.target]
        for k, m in enumerate(plan.moves):
            moved = replace(
                m,
                vm=int(part.vms[m.vm]),
                source=int(part.hosts[m.source]),
                target=int(part.hosts[m.target]),
            )
            keyed.append((m.wave, c, k, moved))
        unplaced += [Unplaced(int(part.vms[u.vm]), u.reasons) for u in plan.unplaced]
    feasible = all(p.feasible for p in plans)
    could: list[str] = []  # after the reasons: the clusters that are not the reason
    for part, plan in zip(parts, plans, strict=True):
        hosts = [int(part.hosts[h]) for h in plan.evacuated]
        if feasible or not plan.feasible:
            notes += [f"{shown(part.name)}: {n}" for n in plan.notes]
            evacuated += hosts
        elif hosts:  # nothing moves anyway
            names = ", ".join(inv.hosts[h].name for h in hosts)
            own = "its own" if len(hosts) == 1 else "their own"
            could.append(
                f"{shown(part.name)}: {names} can be emptied on {own}: evacuate again without "
                "the other hosts"
            )
    notes += could
    bounds = [p.lower_bound for p in plans]
    lower = None if any(b is None for b in bounds) else sum(b for b in bounds if b is not None)
    if not feasible:
        target = before
        keyed = []
    before.flags.writeable = False
    target.flags.writeable = False
    return Plan(
        plans[0].command,
        feasible,
        before,
        target,
        tuple(m for *_, m in sorted(keyed, key=lambda t: t[:3])),
        lower,
        all(p.optimal for p in plans),
        tuple(sorted(evacuated)),
        tuple(unplaced),
        tuple(notes),
    )


def longest_seconds(plans: Sequence[Plan]) -> float:
    """How long the migrations of clusters that run side by side take: the longest cluster's."""
    return max((p.total_seconds for p in plans), default=0.0)


def placement_of(
    parts: Sequence[Part], targets: Sequence[np.ndarray], inv: Inventory
) -> np.ndarray:
    """Per-cluster placements as one placement of ``inv`` (others stay where they are)."""
    out = inv.current.copy()
    for part, t in zip(parts, targets, strict=True):
        out[part.vms] = part.hosts[t]
    return out
