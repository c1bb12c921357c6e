"""Hosts within their limits: combined CPU at every sample, memory, and vCPUs per VM."""

from __future__ import annotations

import numpy as np

from vmplan.constraints import cpu_fits, memory_fits
from vmplan.model import IntArray, Inventory, host_loads, host_memory_use
from vmplan.problems import Problem
from vmplan.timefmt import sample_label
from vmplan.units import format_bytes

CPU_ID = "cpu-limit"
MEMORY_ID = "memory-limit"
VCPU_ID = "vcpu-fit"
TOP_CONTRIBUTORS = 3


def cpu_limit(inv: Inventory, placement: IntArray) -> list[Problem]:
    loads = host_loads(inv, placement)
    over = ~cpu_fits(loads, inv.cpu_cap[:, None])
    out = []
    for h in np.flatnonzero(over.any(axis=1)):
        host = inv.hosts[h]
        t = int(np.argmax(loads[h] - inv.cpu_cap[h]))
        members = np.flatnonzero(placement == h)
        top = members[np.argsort(-inv.demand[members, t], kind="stable")][:TOP_CONTRIBUTORS]
        who = ", ".join(f"{inv.vms[v].name} {inv.demand[v, t]:.1f}" for v in top)
        out.append(
            Problem.at(
                host.where,
                f"hosts[{host.name}]",
                f"host {host.name} combined CPU reaches {loads[h, t] / host.cores:.1%} of "
                f"{host.cores:g} cores at {sample_label(inv, t)}, over its {host.cpu_limit:.0%} "
                f"limit in {int(over[h].sum())} of {inv.n_samples} samples; "
                f"most demand then (cores): {who}",
                CPU_ID,
            )
        )
    return out


def memory_limit(inv: Inventory, placement: IntArray) -> list[Problem]:
    used = host_memory_use(inv, placement)
    out = []
    for h in np.flatnonzero(~memory_fits(used, inv.mem_cap)):
        host = inv.hosts[h]
        out.append(
            Problem.at(
                host.where,
                f"hosts[{host.name}]",
                f"host {host.name} holds {format_bytes(used[h])} of VM memory, over its limit of "
                f"{format_bytes(inv.mem_cap[h])} ({host.memory_limit:.0%} of "
                f"{format_bytes(host.memory_bytes)})",
                MEMORY_ID,
            )
        )
    return out


def vcpu_fit(inv: Inventory, placement: IntArray) -> list[Problem]:
    out = []
    for v in np.flatnonzero(inv.vcpus > inv.host_cores[placement]):
        vm, host = inv.vms[v], inv.hosts[placement[v]]
        out.append(
            Problem.at(
                vm.where,
                f"vms[{vm.name}]",
                f"VM {vm.name} has {vm.vcpus} vCPUs but its host {host.name} has only "
                f"{host.cores:g} cores",
                VCPU_ID,
            )
        )
    return out
