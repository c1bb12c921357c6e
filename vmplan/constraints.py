"""The one definition of what a placement must keep: fits, eligibility, rules.

Fits: a host's combined CPU at every sample within ``cores x cpu limit`` and its memory within
``memory x memory limit``, compared with one shared rounding tolerance so that float sums of series
never turn an exactly-full host into an overloaded one (and never let a real overload through).

Eligibility: a VM may sit on a host that is not in maintenance, has at least as many cores as the
VM has vCPUs, can hold its memory and its CPU peak within the host's limits, and is on the VM's pin
list if it has one. ``Eligibility`` keeps each reason as its own (VMs x hosts) mask so messages can
say which one excludes a host.

Rules: whether a placement keeps the placement rules (anti-affinity, affinity, pin), in a simple
reading kept apart from the solver, so that the plan verifier and ``vmplan check`` cannot be fooled
by a solver bug.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vmplan.model import BoolArray, FloatArray, IntArray, Inventory, Rule, RuleKind

#: The one rounding tolerance of every limit comparison: relative, plus 1e-9 of a core for CPU.
EPS = 1e-9

Number = FloatArray | float


def padded_cpu_cap(cap: Number) -> FloatArray:
    """The CPU limit in cores as every fit test compares it (the tolerance added)."""
    return np.asarray(np.asarray(cap, dtype=np.float64) * (1 + EPS) + EPS)


def padded_memory_cap(cap: Number) -> FloatArray:
    """The memory limit in bytes as every fit test compares it (the tolerance added)."""
    return np.asarray(np.asarray(cap, dtype=np.float64) * (1 + EPS))


def exact_cpu_sizes(sizes: FloatArray, cap: float) -> tuple[FloatArray, float]:
    """Demands and a CPU limit for a bound that packs one sample exactly: when all of them are
    whole multiples of one decimal step (0.01 cores, say, as series in percent of whole vCPUs
    give) larger than the tolerance, a set of them fits the padded limit exactly when their
    multiples fit the limit itself, so they come back as whole numbers of that step (and the
    limit too); otherwise as they are with the padded limit. Bounds like Fekete and Schepers'
    lose a host to the tolerance at exact fractions of a host (two halves of ``1 + 2e-9``)."""
    padded = float(padded_cpu_cap(cap))
    values = np.append(np.asarray(sizes, dtype=np.float64), cap)
    for digits in range(7):
        step = 10.0**-digits
        if padded - cap >= step:
            break
        scaled = values / step
        whole = np.round(scaled)
        if (np.abs(scaled - whole) <= 1e-12 * np.maximum(1.0, np.abs(scaled))).all():
            return whole[:-1], float(whole[-1])
    return np.asarray(sizes, dtype=np.float64), padded


def cpu_fits(load: Number, cap: Number) -> npt.NDArray[np.bool_]:
    """``load <= cap`` in cores, with the shared tolerance (scalars or broadcasting arrays)."""
    return np.asarray(np.asarray(load) <= padded_cpu_cap(cap))


def memory_fits(used: Number, cap: Number) -> npt.NDArray[np.bool_]:
    """``used <= cap`` in bytes, with the shared tolerance."""
    return np.asarray(np.asarray(used) <= padded_memory_cap(cap))


@dataclass(frozen=True, slots=True, eq=False)
class Eligibility:
    vcpus: BoolArray  # host has enough cores for the VM's vCPUs
    memory: BoolArray  # VM memory within the host's memory limit
    cpu_peak: BoolArray  # VM CPU peak within the host's CPU limit
    pinned: BoolArray  # host allowed by the VM's pin rules
    open: BoolArray  # (hosts,) host not in maintenance

    @property
    def allowed(self) -> BoolArray:
        return self.vcpus & self.memory & self.cpu_peak & self.pinned & self.open[None, :]


def eligibility(inv: Inventory) -> Eligibility:
    peaks = inv.demand.max(axis=1) if inv.n_samples else np.zeros(len(inv.vms))
    pinned = np.ones((len(inv.vms), len(inv.hosts)), dtype=np.bool_)
    for rule in inv.rules:
        if rule.kind is RuleKind.PIN:
            row = np.zeros(len(inv.hosts), dtype=np.bool_)
            row[[inv.host_index[h] for h in rule.hosts]] = True
            for name in rule.vms:
                pinned[inv.vm_index[name]] &= row
    return Eligibility(
        vcpus=inv.vcpus[:, None] <= inv.host_cores[None, :],
        memory=memory_fits(inv.memory[:, None], inv.mem_cap[None, :]),
        cpu_peak=cpu_fits(peaks[:, None], inv.cpu_cap[None, :]),
        pinned=pinned,
        open=~inv.maintenance,
    )


def broken(inv: Inventory, rule: Rule, placement: IntArray) -> str | None:
    """Why ``placement`` breaks ``rule``, or None when it keeps it."""
    hosts = [int(placement[inv.vm_index[v]]) for v in rule.vms]
    if rule.kind is RuleKind.ANTI_AFFINITY:
        shared = [(h, n) for h, n in Counter(hosts).items() if n > 1 and h >= 0]
        if shared:
            h, _ = min(shared)
            names = [v for v, x in zip(rule.vms, hosts, strict=True) if x == h]
            return f"{', '.join(names)} share host {inv.hosts[h].name}"
    elif rule.kind is RuleKind.AFFINITY:
        if len({h for h in hosts if h >= 0}) > 1:
            where = ", ".join(
                f"{v} on {inv.hosts[h].name}"
                for v, h in zip(rule.vms, hosts, strict=True)
                if h >= 0
            )
            return f"its VMs are on different hosts ({where})"
    else:
        allowed = {inv.host_index[h] for h in rule.hosts}
        outside = [
            f"{v} on {inv.hosts[h].name}"
            for v, h in zip(rule.vms, hosts, strict=True)
            if h >= 0 and h not in allowed
        ]
        if outside:
            return f"{', '.join(outside)}, outside {', '.join(rule.hosts)}"
    return None


def broken_rules(inv: Inventory, placement: IntArray) -> list[tuple[Rule, str]]:
    return [(r, why) for r in inv.rules if (why := broken(inv, r, placement)) is not None]
