"""Room for maintenance after a plan (``pack --spare N``): which hosts of a placement could not
be evacuated onto the other hosts it uses.

The check is handed to :func:`vmplan.pack.pack` by the command (pack and evacuate never import
each other). The inventory it is given has every host the placement frees closed (in
maintenance): after consolidation those hosts are gone, so an evacuation may only use the hosts
the plan keeps. What is checked, on the series planned on and with every rule:

- every used host alone is evacuable, the fullest first (with ``enough``, the check stops once
  that many hosts failed: the caller only needs to know some) (:func:`vmplan.evacuate.evacuable`, each target placement
  re-verified): first without moving other VMs to make room (cheap), then, when only a few hosts
  fail that way, those few with room-making as ``check --evacuable`` does; a host whose VMs cannot fit even in the others' room summed over hosts (at some
  sample, or in memory) fails without a search;
- for N > 1, also the N largest used hosts together (by CPU peak in cores, then memory): a plan
  made by :func:`vmplan.evacuate.evacuate`, verified. Other sets of N hosts are not tried (there
  are too many); the N largest need the most room.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from vmplan.constraints import padded_cpu_cap, padded_memory_cap
from vmplan.engine.settings import Settings
from vmplan.evacuate import evacuable, evacuate
from vmplan.model import VM, FloatArray, IntArray, Inventory, host_loads, host_memory_use

#: Hosts searched with room-making (other VMs moved aside, as ``check --evacuable`` does) when
#: no more than this many fail without it: the search costs about 0.25 s a host on 1,000 VMs,
#: and on a tight placement where most hosts fail the check fails anyway.
FULL_SEARCH = 3

#: (inventory with freed hosts closed, placement, how many failures are enough or None for all)
#: -> the hosts that could not be evacuated
RoomCheck = Callable[[Inventory, IntArray, int | None], list[int]]


def spare_check(spare: int, settings: Settings) -> RoomCheck:
    """The check that ``spare`` hosts of a placement can be evacuated (see the module doc)."""

    def check(inv: Inventory, placement: IntArray, enough: int | None = None) -> list[int]:
        used: list[int] = np.unique(placement).tolist()
        if len(used) <= spare:
            return used
        loads = host_loads(inv, placement)  # (hosts x samples): summed once for both
        hopeless = _no_room_left(inv, placement, loads, used)
        stop = _stop_after(enough, hopeless)
        if stop is not None and stop <= 0:  # the hopeless ones are enough
            return sorted(hopeless)
        tried = [h for h in fullest_first(inv, loads, used) if h not in hopeless]
        verdicts = evacuable(
            inv,
            settings,
            current=placement,
            hosts=tried,
            explain=False,
            room=False,
            stop_after=stop,
        )
        failed = [v.host for v in verdicts if not v.feasible]
        if not hopeless and 0 < len(failed) <= FULL_SEARCH:  # the last few: with room-making
            verdicts = evacuable(inv, settings, current=placement, hosts=failed, explain=False)
            failed = [v.host for v in verdicts if not v.feasible]
        bad = sorted(hopeless | set(failed))
        if bad or spare < 2:
            return bad
        together = largest(inv, placement, spare)
        moved = Inventory(
            inv.hosts, _placed(inv, placement), inv.rules, inv.demand, inv.interval_s, inv.start
        )
        plan = evacuate(moved, together, settings)
        return [] if plan.feasible else together

    return check


def _stop_after(enough: int | None, hopeless: set[int]) -> int | None:
    """How many hosts failing without room-making are enough: ``enough`` less the hopeless ones,
    but never fewer than ``FULL_SEARCH + 1`` when none is hopeless, so that the verdict is the
    whole check's (a few failures are searched again with room-making, and may pass)."""
    if enough is None:
        return None
    if enough < 1:
        raise ValueError("enough must be at least 1")
    return enough - len(hopeless) if hopeless else max(enough, FULL_SEARCH + 1)


def fullest_first(inv: Inventory, loads: FloatArray, used: list[int]) -> list[int]:
    """The used hosts, the highest CPU peak over the limit first (the likeliest to fail: their
    VMs need the most room elsewhere), then by index. ``loads``: every host's CPU series."""
    hosts = np.asarray(used, dtype=np.int64)
    peaks = loads[hosts].max(axis=1) if loads.shape[1] else np.zeros(hosts.size)
    share = peaks / inv.cpu_cap[hosts]
    return [int(h) for h in hosts[np.lexsort((hosts, -share))]]


def _no_room_left(
    inv: Inventory, placement: IntArray, loads: FloatArray, used: list[int]
) -> set[int]:
    """Used hosts that certainly cannot be evacuated, without a search: at some sample the load
    of all used hosts exceeds what the others may carry together (their padded limits, as every
    fit test pads them, summed), or their memory does. A necessary condition only: a host that
    passes it is searched."""
    hosts = np.asarray(used, dtype=np.int64)
    total = loads[hosts].sum(axis=0)
    memory = float(host_memory_use(inv, placement)[hosts].sum())
    cpu = padded_cpu_cap(inv.cpu_cap[hosts])
    mem = padded_memory_cap(inv.mem_cap[hosts])
    out = set()
    for k, h in enumerate(used):
        if (total > cpu.sum() - cpu[k]).any() or memory > mem.sum() - mem[k]:
            out.add(h)
    return out


def largest(inv: Inventory, placement: IntArray, count: int) -> list[int]:
    """The ``count`` used hosts with the highest CPU peak in cores (then memory, then index)."""
    used = np.unique(placement)
    loads = host_loads(inv, placement)[used]
    peak = loads.max(axis=1) if loads.shape[1] else np.zeros(used.size)
    memory = host_memory_use(inv, placement)[used]
    ranked = used[np.lexsort((used, -memory, -peak))]
    return sorted(int(h) for h in ranked[:count])


def _placed(inv: Inventory, placement: IntArray) -> tuple[VM, ...]:
    return tuple(
        replace(vm, host=inv.hosts[int(h)].name)
        for vm, h in zip(inv.vms, placement.tolist(), strict=True)
    )
