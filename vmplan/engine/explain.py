"""Why an item cannot be placed, in terms an operator can act on.

For each host it could use, the binding constraint: CPU (by how many cores, at what time of day,
over which window), memory (by how many GiB) or an anti-affinity rule; then the closest host and
what would make it fit there (cores freed in that window, or a higher ``--cpu-limit``).
"""

from __future__ import annotations

import math

import numpy as np

from vmplan.constraints import Eligibility, cpu_fits, memory_fits
from vmplan.engine.items import Items
from vmplan.engine.state import Hosts
from vmplan.model import Inventory, RuleKind
from vmplan.timefmt import time_of_day
from vmplan.units import format_bytes

GIB = float(2**30)


def why_unplaced(
    inv: Inventory,
    items: Items,
    elig: Eligibility,
    i: int,
    v: int,
    state: Hosts | None,
    closed: frozenset[int] = frozenset(),
    limit_hint: bool = True,
) -> list[str]:
    """Reasons (most useful first) why item ``i`` (holding VM ``v``) fits on no host.

    ``limit_hint=False`` leaves out the per-host "with --cpu-limit N% it fits", for callers that
    verify a limit for the whole plan themselves (evacuate re-runs its placement with it).
    """
    group = len(items.members[i]) > 1
    prefix = f"with its affinity group ({len(items.members[i])} VMs): " if group else ""
    candidates = [h for h in np.flatnonzero(items.allowed[i]).tolist() if h not in closed]
    if not candidates:
        if group:
            return [
                prefix + "no single host can hold the whole group (vCPUs, memory, CPU peak or pins)"
            ]
        return alone(inv, elig, v)
    if state is None:
        return [prefix + "no host has room for it"]
    best: tuple[float, str, str | None] | None = None
    for h in candidates:
        cost, text, hint = _shortfall(inv, items, state, i, h, limit_hint)
        if best is None or cost < best[0]:
            best = (cost, text, hint)
    assert best is not None
    out = [prefix + f"no host has room; closest is {best[1]}"]
    if best[2]:
        out.append(best[2])
    return out


def _shortfall(
    inv: Inventory, items: Items, state: Hosts, i: int, h: int, limit_hint: bool = True
) -> tuple[float, str, str | None]:
    host = inv.hosts[h]
    parts: list[str] = []
    hints: list[str] = []
    cost = 0.0
    for j in items.conflicts[i]:
        if state.where[j] == h:
            rule = _rule_between(inv, items, i, j)
            parts.append(f"anti-affinity rule {rule} (shares the host with {_name(inv, items, j)})")
            hints.append(f"without anti-affinity rule {rule}")
            cost += 1e6
    combined = state.load[h] + items.demand[i]
    over = combined - inv.cpu_cap[h]
    short = ~cpu_fits(combined, inv.cpu_cap[h])
    if short.any():
        t = int(np.argmax(over))
        window = np.flatnonzero(short)
        span = f"{time_of_day(inv, int(window[0]))}-{time_of_day(inv, int(window[-1]) + 1)}"
        parts.append(
            f"CPU short by {amount(over[t])} cores at {time_of_day(inv, t)} "
            f"(over the {host.cpu_limit:.0%} limit during {span})"
        )
        need = math.ceil(float(combined.max()) / host.cores * 100)
        hint = f"with {amount(over[t])} more cores free on {host.name} at {span}"
        if need <= 100 and limit_hint:
            hint += f", or with --cpu-limit {need}% it fits"
        hints.append(hint)
        cost += float(over[t]) / host.cores
    mem_over = state.mem[h] + items.memory[i] - inv.mem_cap[h]
    if not memory_fits(state.mem[h] + items.memory[i], inv.mem_cap[h]):
        parts.append(f"memory short by {amount(mem_over / GIB)} GiB")
        hints.append(f"with {amount(mem_over / GIB)} GiB more memory free on {host.name}")
        cost += float(mem_over / max(inv.mem_cap[h], 1.0))
    text = f"{host.name}: " + ("; ".join(parts) if parts else "fits alone but not with the rest")
    return cost, text, ("would fit " + " and ".join(hints)) if hints else None


def alone(inv: Inventory, elig: Eligibility, v: int) -> list[str]:
    """Why VM ``v`` fits on no open host even alone, with the numbers: one phrase per constraint
    that alone excludes every open host (the constraint itself is :mod:`vmplan.constraints`)."""
    open_ = np.flatnonzero(elig.open)
    if not open_.size:
        return ["every host is in maintenance"]
    out = []
    if not elig.vcpus[v, open_].any():
        most = int(np.argmax(inv.host_cores[open_]))
        h = int(open_[most])
        out.append(
            f"{inv.vcpus[v]:g} vCPUs, more than any host has cores "
            f"(the most: {inv.host_cores[h]:g} on {inv.hosts[h].name})"
        )
    if not elig.memory[v, open_].any():
        h = int(open_[int(np.argmax(inv.mem_cap[open_]))])
        out.append(
            f"{format_bytes(inv.memory[v])} of memory, more than any host's memory limit allows "
            f"(the most: {format_bytes(inv.mem_cap[h])} on {inv.hosts[h].name} at "
            f"{inv.hosts[h].memory_limit:.0%})"
        )
    if inv.n_samples and not elig.cpu_peak[v, open_].any():
        t = int(np.argmax(inv.demand[v]))
        h = int(open_[int(np.argmax(inv.cpu_cap[open_]))])
        out.append(
            f"a CPU peak of {amount(float(inv.demand[v, t]))} cores at {time_of_day(inv, t)}, "
            f"above every host's CPU limit (the most: {amount(float(inv.cpu_cap[h]))} cores on "
            f"{inv.hosts[h].name} at {inv.hosts[h].cpu_limit:.0%})"
        )
    if not elig.pinned[v, open_].any():
        out.append("pin rules that allow no host")
    if not out:
        out.append("no host satisfies all of vCPUs, memory, CPU peak and pin rules at once")
    return out


def amount(value: float) -> str:
    """A shortfall with one decimal; one too small to show is "under 0.1", never "0.0"."""
    return f"{value:.1f}" if value >= 0.05 else "under 0.1"


def _name(inv: Inventory, items: Items, j: int) -> str:
    return ", ".join(inv.vms[v].name for v in items.members[j])


def _rule_between(inv: Inventory, items: Items, i: int, j: int) -> str:
    a = {inv.vms[v].name for v in items.members[i]}
    b = {inv.vms[v].name for v in items.members[j]}
    for rule in inv.rules:
        if rule.kind is RuleKind.ANTI_AFFINITY and a & set(rule.vms) and b & set(rule.vms):
            return rule.name
    return "?"
