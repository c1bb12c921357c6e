"""``--cluster`` on a command that reads a plan: some clusters of an inventory, and a plan of
the whole inventory cut down to them.

A plan file covers the clusters it was made for, often more than a command is asked about
(``vmplan script plan.json --cluster west``). It is read against the whole inventory, so that
every name in it is known, with the VMs of the chosen clusters required and those of the others
skipped (:func:`vmplan.planfile.read_plan`'s ``only``); :func:`narrow` then keeps the chosen
clusters' part of it: their VMs' placement, their moves with the waves renumbered 1..W without a
gap, their evacuated hosts, on the chosen clusters' own inventory (as
:func:`~vmplan.fleet.split.restrict` makes it).

Live migration never crosses clusters, and the plan reader refuses a plan that moves a VM to a
host of another cluster, so the chosen VMs' hosts are all among the chosen hosts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from vmplan.fleet.split import chosen, cluster_names, restrict
from vmplan.model import IntArray, Inventory, Plan, Unplaced


@dataclass(frozen=True, slots=True, eq=False)
class Selection:
    """The clusters ``names`` of ``whole``: their hosts' and VMs' indices in ``whole``
    (ascending) and their own ``inventory`` (``whole`` itself when every cluster is chosen)."""

    whole: Inventory
    names: tuple[str, ...]
    hosts: IntArray
    vms: IntArray
    inventory: Inventory

    @property
    def everything(self) -> bool:
        return self.inventory is self.whole


def select(inv: Inventory, only: Sequence[str]) -> Selection:
    """The clusters named in ``only`` (every one when empty), in the inventory's order.

    Raises :class:`~vmplan.fleet.split.UnknownCluster` for a name that no host carries."""
    hosts, vms = chosen(inv, only)
    names = tuple(n for n in cluster_names(inv) if not only or n in only)
    return Selection(inv, names, hosts, vms, restrict(inv, only))


def narrow(selection: Selection, plan: Plan) -> Plan:
    """``plan`` (of ``selection.whole``) on ``selection.inventory``: the chosen VMs' placement,
    their moves in waves renumbered without gaps, the chosen hosts it evacuates.

    The lower bound is the whole plan's, so it is dropped unless every cluster is chosen; a plan
    proven optimal is optimal in each cluster, so that claim stays. Raises :class:`ValueError`
    when a chosen VM is placed on a host outside the selection (the plan reader refuses that)."""
    if selection.everything:
        return plan
    whole = selection.whole
    host_at = _positions(selection.hosts, len(whole.hosts))
    vm_at = _positions(selection.vms, len(whole.vms))
    target = host_at[plan.target[selection.vms]]
    if target.size and int(target.min()) < 0:
        raise ValueError("the plan places a VM on a host of another cluster")
    target.flags.writeable = False
    kept = [m for m in plan.moves if vm_at[m.vm] >= 0]
    wave = {w: k + 1 for k, w in enumerate(sorted({m.wave for m in kept}))}
    moves = tuple(
        replace(
            m,
            vm=int(vm_at[m.vm]),
            source=int(host_at[m.source]),
            target=int(host_at[m.target]),
            wave=wave[m.wave],
        )
        for m in kept
    )
    return Plan(
        command=plan.command,
        feasible=plan.feasible,
        before=selection.inventory.current,
        target=target,
        moves=moves,
        lower_bound=None,
        optimal=plan.optimal,
        evacuated=tuple(int(host_at[h]) for h in plan.evacuated if host_at[h] >= 0),
        unplaced=tuple(
            Unplaced(int(vm_at[u.vm]), u.reasons) for u in plan.unplaced if vm_at[u.vm] >= 0
        ),
        notes=plan.notes,
    )


def _positions(index: IntArray, n: int) -> IntArray:
    """``out[index[k]] = k``, -1 elsewhere."""
    out = np.full(n, -1, dtype=np.int64)
    out[index] = np.arange(index.size, dtype=np.int64)
    return out
