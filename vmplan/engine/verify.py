"""The independent plan checker: a plan that fails here is a bug, never output.

Deliberately simple and separate from the solver's incremental bookkeeping: it sums every host's
load from scratch, then replays the waves move by move on its own copy.

Checked: every VM placed exactly once on a real host; in the target placement every host within
its CPU limit at every sample and its memory limit, every VM on a host with at least its vCPUs,
no VM on a host in maintenance or being evacuated, every rule kept; every move leaving the host the
VM is on at that moment; during each wave every destination holding what it had at the wave's
start plus everything it receives (what leaves is still counted) within its limits; no two VMs of
an anti-affinity rule newly sharing a host after any wave; no host in more than ``parallel`` moves of a wave; the waves ending in the
target placement.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from vmplan.constraints import broken, cpu_fits, memory_fits
from vmplan.model import BoolArray, Command, FloatArray, IntArray, Inventory, Plan, Rule, RuleKind


def _loads(
    inv: Inventory, placement: IntArray, hosts: IntArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """CPU (hosts x samples) and memory of every host, summed from scratch host by host.

    With ``hosts``, only those CPU rows are summed (the others stay zero): a wave only needs its
    destinations, and a 10,000-VM fleet evacuated in 30 waves must not re-add the whole matrix
    30 times. (``np.add.at`` on 2-D rows was seconds per call at that size.)
    """
    cpu = np.zeros((len(inv.hosts), inv.n_samples))
    for h in range(len(inv.hosts)) if hosts is None else hosts.tolist():
        cpu[h] = inv.demand[placement == h].sum(axis=0)
    mem = np.bincount(placement, weights=inv.memory, minlength=len(inv.hosts)).astype(np.float64)
    return cpu, mem


def _over(inv: Inventory, cpu: FloatArray, mem: FloatArray, hosts: IntArray) -> list[str]:
    """Hosts over a limit; row ``k`` of ``cpu`` and entry ``k`` of ``mem`` belong to ``hosts[k]``."""
    out = []
    cpu_over: BoolArray = np.asarray(~cpu_fits(cpu, inv.cpu_cap[hosts][:, None]).all(axis=1))
    mem_over: BoolArray = ~memory_fits(mem, inv.mem_cap[hosts])
    for k in np.flatnonzero(cpu_over | mem_over).tolist():
        name = inv.hosts[hosts[k]].name
        if cpu_over[k]:
            out.append(f"host {name} over its CPU limit at sample {int(np.argmax(cpu[k]))}")
        if mem_over[k]:
            out.append(f"host {name} over its memory limit")
    return out


def verify_placement(
    inv: Inventory,
    placement: IntArray,
    forbidden: set[int] | None = None,
    stays: IntArray | None = None,
) -> list[str]:
    """Violations of a target placement (empty when it is valid).

    VMs on a host in maintenance must leave it, except those that ``stays`` (a placement) already
    has there: an evacuation of one host does not have to empty another.
    """
    n_hosts = len(inv.hosts)
    if placement.shape != (len(inv.vms),):
        return [f"placement has shape {placement.shape}, expected ({len(inv.vms)},)"]
    if ((placement < 0) | (placement >= n_hosts)).any():
        return ["a VM is not placed on any host"]
    out: list[str] = []
    cpu, mem = _loads(inv, placement)
    out += _over(inv, cpu, mem, np.arange(n_hosts))
    left = np.isin(placement, sorted(forbidden or ()))
    left |= inv.maintenance[placement] & (True if stays is None else stays != placement)
    return out + fit_and_rule_problems(inv, placement, left)


def fit_and_rule_problems(inv: Inventory, placement: IntArray, left: BoolArray) -> list[str]:
    """VMs wider than their host, VMs ``left`` on a host that must be empty, broken rules."""
    out = []
    for v in np.flatnonzero(inv.vcpus > inv.host_cores[placement]).tolist():
        out.append(f"VM {inv.vms[v].name} has more vCPUs than host {inv.hosts[placement[v]].name}")
    for v in np.flatnonzero(left).tolist():
        host = inv.hosts[placement[v]].name
        out.append(f"VM {inv.vms[v].name} left on host {host}, which must be empty")
    for rule in inv.rules:
        why = broken(inv, rule, placement)
        if why is not None:
            out.append(f"rule {rule.name} broken: {why}")
    return out


def _sharing(inv: Inventory, rule: Rule, placement: IntArray) -> set[frozenset[str]]:
    """Pairs of a rule's VMs on one host."""
    hosts = [(v, int(placement[inv.vm_index[v]])) for v in rule.vms]
    return {
        frozenset((a, b)) for i, (a, h) in enumerate(hosts) for b, g in hosts[i + 1 :] if h == g
    }


def verify_plan(inv: Inventory, plan: Plan, parallel: int) -> list[str]:
    """Violations of a whole plan: its target placement and every wave that leads there."""
    forbidden = set(plan.evacuated)
    stays = plan.before if plan.command is Command.EVACUATE else None
    out = verify_placement(inv, plan.target, forbidden, stays)
    placement = plan.before.copy()
    anti = [r for r in inv.rules if r.kind is RuleKind.ANTI_AFFINITY]
    waves: dict[int, list[int]] = {}
    for i, m in enumerate(plan.moves):
        waves.setdefault(m.wave, []).append(i)
    if sorted(waves) != list(range(1, len(waves) + 1)):
        out.append(f"waves are not numbered 1..{len(waves)}")
    cpu, mem = _loads(inv, placement)  # replayed move by move below
    for w in sorted(waves):
        moves = [plan.moves[i] for i in waves[w]]
        targets = np.unique(np.array([m.target for m in moves], dtype=np.int64))
        row = {h: k for k, h in enumerate(targets.tolist())}
        during_cpu, during_mem = cpu[targets], mem[targets]  # the destinations' rows, copied
        busy: Counter[int] = Counter()
        moved: set[int] = set()
        for m in moves:
            if m.vm in moved:
                out.append(f"wave {w}: VM {inv.vms[m.vm].name} moves twice")
            moved.add(m.vm)
            if placement[m.vm] != m.source:
                out.append(f"wave {w}: VM {inv.vms[m.vm].name} is not on its move's source")
            if m.source == m.target:
                out.append(f"wave {w}: VM {inv.vms[m.vm].name} moves onto its own host")
            if inv.maintenance[m.target] or m.target in forbidden:
                out.append(f"wave {w}: VM {inv.vms[m.vm].name} moves onto a closed host")
            if inv.vcpus[m.vm] > inv.host_cores[m.target]:
                out.append(f"wave {w}: VM {inv.vms[m.vm].name} too wide for its destination")
            during_cpu[row[m.target]] += inv.demand[m.vm]
            during_mem[row[m.target]] += inv.memory[m.vm]
            busy[m.source] += 1
            busy[m.target] += 1
        out += [f"wave {w}: {why}" for why in _over(inv, during_cpu, during_mem, targets)]
        out += [
            f"wave {w}: host {inv.hosts[h].name} in {n} moves, over the limit of {parallel}"
            for h, n in sorted(busy.items())
            if n > parallel
        ]
        for m in moves:  # the wave is over: sources lose what they sent
            placement[m.vm] = m.target
            cpu[m.source] -= inv.demand[m.vm]
            cpu[m.target] += inv.demand[m.vm]
            mem[m.source] -= inv.memory[m.vm]
            mem[m.target] += inv.memory[m.vm]
        for rule in anti:
            # a pair that shared a host before the plan may still share it for a while (the
            # move that separates them may have to wait for room); a new pair never may
            new = _sharing(inv, rule, placement) - _sharing(inv, rule, plan.before)
            if new:
                pair = ", ".join(sorted(min(new, key=sorted)))
                out.append(f"after wave {w}: rule {rule.name} broken: {pair} share a host")
    if not np.array_equal(placement, plan.target):
        out.append("the waves do not end in the target placement")
    return out
